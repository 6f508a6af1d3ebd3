package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"warrantydesk/api"
	"warrantydesk/models"
)

// openAPI is the part of an OpenAPI 3.1 document the tests read.
type openAPI struct {
	OpenAPI    string                                `json:"openapi"`
	Servers    []struct{ URL string }                `json:"servers"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]*schema `json:"schemas"`
	} `json:"components"`
}

type operation struct {
	Responses map[string]struct {
		Ref     string `json:"$ref"`
		Content map[string]struct {
			Schema *schema `json:"schema"`
		} `json:"content"`
	} `json:"responses"`
}

// schema is the JSON Schema subset the document uses.
type schema struct {
	Ref        string             `json:"$ref"`
	Type       any                `json:"type"` // a name or a list of names
	Required   []string           `json:"required"`
	Properties map[string]*schema `json:"properties"`
	Items      *schema            `json:"items"`
	Enum       []any              `json:"enum"`
	OneOf      []*schema          `json:"oneOf"`
	AllOf      []*schema          `json:"allOf"`
}

func loadOpenAPI(t *testing.T) *openAPI {
	t.Helper()
	var doc openAPI
	if err := json.Unmarshal(api.Spec(), &doc); err != nil {
		t.Fatalf("api/openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") || len(doc.Servers) != 1 || doc.Servers[0].URL != "/api/v1" {
		t.Fatalf("openapi %q servers %v", doc.OpenAPI, doc.Servers)
	}
	return &doc
}

var echoParam = regexp.MustCompile(`:([a-z_]+)`)

// TestOpenAPIMatchesRoutes checks the document against the real route
// table: every /api/v1 route is documented and every documented operation
// is routed.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	en := newEnv(t)
	doc := loadOpenAPI(t)
	routed := map[string]bool{}
	for _, r := range en.e.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Method == "echo_route_not_found" {
			continue
		}
		p := echoParam.ReplaceAllString(strings.TrimPrefix(r.Path, "/api/v1"), "{$1}")
		routed[strings.ToLower(r.Method)+" "+p] = true
	}
	documented := map[string]bool{}
	for p, item := range doc.Paths {
		for m := range item {
			if m == "parameters" {
				continue
			}
			documented[m+" "+p] = true
		}
	}
	for op := range routed {
		if !documented[op] {
			t.Errorf("route %s is not in api/openapi.json", op)
		}
	}
	for op := range documented {
		if !routed[op] {
			t.Errorf("api/openapi.json documents %s, which is not routed", op)
		}
	}
	if len(routed) < 15 {
		t.Errorf("only %d API routes found", len(routed))
	}
}

// TestOpenAPIResponsesMatchSchemas calls every documented GET on a seeded
// desk and validates the answer against the documented 200 schema:
// required fields present, types and enums as documented.
func TestOpenAPIResponsesMatchSchemas(t *testing.T) {
	en := newEnv(t)
	ctx := context.Background()
	doc := loadOpenAPI(t)
	admin := en.adminToken()

	asset := en.seedAsset("PF2ABC12", time.Now().AddDate(-1, 0, 0), "eva@corp.test")
	tk := en.seedTicket("Skärmen flimrar", models.StatusAtVendor, models.CategoryHardware, "eva@corp.test", "Den flimrar.", asset)
	now := time.Now().UTC()
	if err := en.store.SaveVendorCase(ctx, &models.VendorCase{TicketID: tk.ID, VendorID: *asset.VendorID, AssetID: &asset.ID,
		State: models.CaseForwarded, ForwardedAt: &now}); err != nil {
		t.Fatal(err)
	}
	if err := en.desk.Reply(ctx, en.agent, tk.Number, "Vi har skickat den.", models.StatusAtVendor); err != nil {
		t.Fatal(err)
	}
	if _, err := en.store.RecordFetched(ctx, "INBOX", 1, []models.FetchedMail{{UID: 1, Raw: []byte("Subject: x\r\n\r\nhej\r\n")}}); err != nil {
		t.Fatal(err)
	}
	hook := decodeJSON(t, en.apiCall("POST", "/api/v1/webhooks", admin,
		`{"url":"http://127.0.0.1:1/hook","events":["ticket.updated"]}`), http.StatusCreated)
	if err := en.desk.AddNote(ctx, en.agent, tk.Number, "Skickad."); err != nil { // queues a delivery
		t.Fatal(err)
	}
	params := strings.NewReplacer("{number}", itoa(tk.Number), "{serial}", asset.Serial,
		"{id}", fmt.Sprint(hook["id"]))

	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	checked := 0
	for _, p := range paths {
		raw, ok := doc.Paths[p]["get"]
		if !ok {
			continue
		}
		var op operation
		if err := json.Unmarshal(raw, &op); err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		ok200 := op.Responses["200"]
		sch := ok200.Content["application/json"].Schema
		if sch == nil {
			t.Errorf("GET %s: no application/json schema for 200", p)
			continue
		}
		for _, code := range []string{"401", "403"} {
			if _, ok := op.Responses[code]; !ok {
				t.Errorf("GET %s: %s not documented", p, code)
			}
		}
		t.Run(p, func(t *testing.T) {
			res := en.apiCall("GET", "/api/v1"+params.Replace(p), admin, "")
			var body any
			if err := json.Unmarshal([]byte(decodeRaw(t, res)), &body); err != nil {
				t.Fatal(err)
			}
			for _, problem := range validate(doc, sch, body, "$") {
				t.Error(problem)
			}
			if l, ok := body.(map[string]any); ok {
				if items, ok := l["items"].([]any); ok && len(items) == 0 {
					t.Errorf("empty list: the sample proves nothing about its items")
				}
			}
		})
		checked++
	}
	if checked < 8 {
		t.Errorf("only %d GET operations checked", checked)
	}
	// Errors follow the documented Error schema too.
	var body any
	res := en.apiCall("PATCH", "/api/v1/tickets/"+itoa(tk.Number), en.token, `{"priority":"asap"}`)
	_ = json.Unmarshal([]byte(res.body), &body)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("patch: %d", res.StatusCode)
	}
	for _, problem := range validate(doc, doc.Components.Schemas["Error"], body, "$") {
		t.Error(problem)
	}
}

func decodeRaw(t *testing.T, res response) string {
	t.Helper()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, res.body)
	}
	return res.body
}

// validate checks v against s and returns every mismatch, each naming its place.
func validate(doc *openAPI, s *schema, v any, at string) []string {
	if s.Ref != "" {
		name := strings.TrimPrefix(s.Ref, "#/components/schemas/")
		ref, ok := doc.Components.Schemas[name]
		if !ok {
			return []string{at + ": unknown $ref " + s.Ref}
		}
		return validate(doc, ref, v, at)
	}
	var out []string
	for _, sub := range s.AllOf {
		out = append(out, validate(doc, sub, v, at)...)
	}
	if len(s.OneOf) > 0 {
		matches := 0
		for _, sub := range s.OneOf {
			if len(validate(doc, sub, v, at)) == 0 {
				matches++
			}
		}
		if matches != 1 {
			out = append(out, fmt.Sprintf("%s: %v matches %d of the oneOf schemas, want 1", at, v, matches))
		}
	}
	if s.Type != nil && !typeMatches(s.Type, v) {
		return append(out, fmt.Sprintf("%s: %v (%T) is not of type %v", at, v, v, s.Type))
	}
	if len(s.Enum) > 0 && v != nil && !slices.Contains(s.Enum, v) {
		out = append(out, fmt.Sprintf("%s: %v is not one of %v", at, v, s.Enum))
	}
	switch x := v.(type) {
	case map[string]any:
		for _, f := range s.Required {
			if _, ok := x[f]; !ok {
				out = append(out, fmt.Sprintf("%s: required field %q missing", at, f))
			}
		}
		for f, sub := range s.Properties {
			if fv, ok := x[f]; ok {
				out = append(out, validate(doc, sub, fv, at+"."+f)...)
			}
		}
	case []any:
		if s.Items != nil {
			for i, it := range x {
				out = append(out, validate(doc, s.Items, it, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	}
	return out
}

func typeMatches(t any, v any) bool {
	var names []string
	switch x := t.(type) {
	case string:
		names = []string{x}
	case []any:
		for _, n := range x {
			names = append(names, fmt.Sprint(n))
		}
	}
	for _, n := range names {
		switch vv := v.(type) {
		case nil:
			if n == "null" {
				return true
			}
		case string:
			if n == "string" {
				return true
			}
		case bool:
			if n == "boolean" {
				return true
			}
		case float64:
			if n == "number" || (n == "integer" && vv == float64(int64(vv))) {
				return true
			}
		case []any:
			if n == "array" {
				return true
			}
		case map[string]any:
			if n == "object" {
				return true
			}
		}
	}
	return false
}
