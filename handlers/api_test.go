package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"warrantydesk/models"
)

// apiList is the shape every API list must have.
type apiList struct {
	Items []map[string]any `json:"items"`
	Total int64            `json:"total"`
}

func (en *env) apiList(path string) apiList {
	en.t.Helper()
	res := en.api(path)
	if res.StatusCode != http.StatusOK {
		en.t.Fatalf("GET %s: %d %s", path, res.StatusCode, res.body)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(res.body), &raw); err != nil {
		en.t.Fatalf("GET %s: %v", path, err)
	}
	if len(raw) != 2 || raw["items"] == nil || raw["total"] == nil {
		en.t.Fatalf("GET %s: want exactly {items,total}, got %s", path, res.body)
	}
	var l apiList
	if err := json.Unmarshal([]byte(res.body), &l); err != nil {
		en.t.Fatal(err)
	}
	return l
}

func numbers(l apiList) []int64 {
	var out []int64
	for _, it := range l.Items {
		out = append(out, int64(it["number"].(float64)))
	}
	return out
}

func TestAPITickets(t *testing.T) {
	en := newEnv(t)
	asset := en.seedAsset("PF2ABC12", time.Now().AddDate(-1, 0, 0), "eva@corp.test")
	t1 := en.seedTicket("Skärmen flimrar", models.StatusNew, models.CategoryHardware, "eva@corp.test",
		"Min dator flimrar när jag startar den.", asset)
	t2 := en.seedTicket("Lösenordet har gått ut", models.StatusOpen, models.CategoryAccount, "olle@corp.test",
		"Jag kommer inte in i Outlook.", nil)
	t3 := en.seedTicket("Printer jams", models.StatusClosed, models.CategoryOther, "kim@corp.test", "Paper stuck.", nil)

	t.Run("empty status is every status", func(t *testing.T) {
		for _, path := range []string{"/api/v1/tickets", "/api/v1/tickets?status="} {
			l := en.apiList(path)
			if l.Total != 3 || len(l.Items) != 3 {
				t.Fatalf("%s: total %d items %d, want 3", path, l.Total, len(l.Items))
			}
		}
	})
	t.Run("item shape", func(t *testing.T) {
		l := en.apiList("/api/v1/tickets?status=new")
		if l.Total != 1 || len(l.Items) != 1 {
			t.Fatalf("status=new: %+v", l)
		}
		it := l.Items[0]
		for _, f := range []string{"number", "subject", "status", "category", "priority", "requester", "created_at", "updated_at"} {
			if _, ok := it[f]; !ok {
				t.Errorf("item lacks %q: %v", f, it)
			}
		}
		req := it["requester"].(map[string]any)
		if it["number"].(float64) != float64(t1.Number) || it["status"] != "new" || it["category"] != "hardware" ||
			req["email"] != "eva@corp.test" || req["name"] != "eva" {
			t.Errorf("item %v", it)
		}
		if _, err := time.Parse(time.RFC3339, it["created_at"].(string)); err != nil {
			t.Errorf("created_at: %v", err)
		}
	})
	cases := []struct {
		name, query string
		want        []int64
	}{
		{"status", "?status=open", []int64{t2.Number}},
		{"category", "?category=other", []int64{t3.Number}},
		{"full-text", "?q=outlook", []int64{t2.Number}},
		{"full-text prefix, Swedish", "?q=flimr", []int64{t1.Number}},
		{"ticket number", "?q=1002", []int64{t2.Number}},
		{"serial, as typed", "?serial=pf-2abc%2012", []int64{t1.Number}},
		{"serial and status", "?serial=PF2ABC12&status=closed", nil},
		{"limit", "?limit=1&offset=1", nil}, // checked below by count
	}
	for _, tc := range cases[:len(cases)-1] {
		t.Run(tc.name, func(t *testing.T) {
			got := numbers(en.apiList("/api/v1/tickets" + tc.query))
			if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("paging", func(t *testing.T) {
		l := en.apiList("/api/v1/tickets?limit=1&offset=1")
		if l.Total != 3 || len(l.Items) != 1 {
			t.Errorf("total %d items %d, want 3 and 1", l.Total, len(l.Items))
		}
	})
	t.Run("bad input", func(t *testing.T) {
		for _, p := range []string{"/api/v1/tickets?status=bogus", "/api/v1/tickets?limit=0", "/api/v1/tickets?limit=x",
			"/api/v1/tickets/abc", "/api/v1/tickets/-4"} {
			res := en.api(p)
			var body map[string]any
			if res.StatusCode != http.StatusBadRequest || json.Unmarshal([]byte(res.body), &body) != nil || body["error"] == nil {
				t.Errorf("%s: %d %s, want 400 JSON", p, res.StatusCode, res.body)
			}
		}
	})

	t.Run("detail", func(t *testing.T) {
		res := en.api("/api/v1/tickets/1001")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", res.StatusCode, res.body)
		}
		var d map[string]any
		if err := json.Unmarshal([]byte(res.body), &d); err != nil {
			t.Fatal(err)
		}
		a, ok := d["asset"].(map[string]any)
		if !ok {
			t.Fatalf("asset: %v", d["asset"])
		}
		end := asset.DeliveredOn.AddDate(0, 36, -1).Format("2006-01-02")
		if a["serial"] != "PF2ABC12" || a["model"] != "ThinkPad T14" || a["warranty_ends_on"] != end || a["under_warranty"] != true {
			t.Errorf("asset %v, want warranty until %s", a, end)
		}
		if v, present := d["vendor_case"]; !present || v != nil {
			t.Errorf("vendor_case = %v (present %v), want null", v, present)
		}
		msgs := d["messages"].([]any)
		if len(msgs) != 1 {
			t.Fatalf("messages %v", msgs)
		}
		m := msgs[0].(map[string]any)
		for _, f := range []string{"direction", "kind", "from", "subject", "text", "at"} {
			if _, ok := m[f]; !ok {
				t.Errorf("message lacks %q", f)
			}
		}
		if m["direction"] != "in" || m["kind"] != "email" || m["from"] != "eva@corp.test" || m["text"] != "Min dator flimrar när jag startar den." {
			t.Errorf("message %v", m)
		}
		if d["requester"].(map[string]any)["email"] != "eva@corp.test" {
			t.Errorf("requester %v", d["requester"])
		}
	})
	t.Run("detail without asset", func(t *testing.T) {
		var d map[string]any
		_ = json.Unmarshal([]byte(en.api("/api/v1/tickets/1002").body), &d)
		if v, present := d["asset"]; !present || v != nil {
			t.Errorf("asset = %v (present %v), want null", v, present)
		}
	})
	t.Run("unknown ticket", func(t *testing.T) {
		res := en.api("/api/v1/tickets/999999")
		var body map[string]any
		if res.StatusCode != http.StatusNotFound || json.Unmarshal([]byte(res.body), &body) != nil || body["error"] == nil {
			t.Errorf("%d %s, want 404 JSON", res.StatusCode, res.body)
		}
	})
	t.Run("unknown API path", func(t *testing.T) {
		if res := en.api("/api/v1/nope"); res.StatusCode != http.StatusNotFound || res.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%d %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
	})
}

func TestAPIAssetsAndIntake(t *testing.T) {
	en := newEnv(t)
	en.seedAsset("PF2ABC12", time.Now().AddDate(-4, 0, 0), "eva@corp.test")
	en.seedAsset("5CG1234XYZ", time.Now().AddDate(0, -2, 0), "olle@corp.test")

	l := en.apiList("/api/v1/assets?serial=pf-2abc.12")
	if l.Total != 1 || l.Items[0]["serial"] != "PF2ABC12" || l.Items[0]["under_warranty"] != false {
		t.Fatalf("serial search: %+v", l)
	}
	if all := en.apiList("/api/v1/assets"); all.Total != 2 {
		t.Errorf("all assets: total %d", all.Total)
	}

	ctx := context.Background()
	_, err := en.store.RecordFetched(ctx, "INBOX", 7, []models.FetchedMail{
		{UID: 1, Raw: []byte("Subject: a\r\n\r\nx"), FromEmail: "eva@corp.test", Subject: "a", Outcome: models.OutcomeIgnored, Reason: "auto-reply"},
		{UID: 2, Raw: []byte("Subject: b\r\n\r\ny"), FromEmail: "kim@corp.test", Subject: "b", Outcome: models.OutcomeQuarantined, Reason: "unparseable"},
	})
	if err != nil {
		t.Fatal(err)
	}
	il := en.apiList("/api/v1/intake?outcome=quarantined")
	if il.Total != 1 || il.Items[0]["reason"] != "unparseable" || il.Items[0]["outcome"] != "quarantined" {
		t.Errorf("intake: %+v", il)
	}
	if all := en.apiList("/api/v1/intake"); all.Total != 2 {
		t.Errorf("all intake: %d", all.Total)
	}
}
