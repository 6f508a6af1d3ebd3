package handlers

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"warrantydesk/desk"
	"warrantydesk/models"
)

// apiCall is one JSON API request with a token ("" = none).
func (en *env) apiCall(method, path, token, body string) response {
	en.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, en.srv.URL+path, r)
	if err != nil {
		en.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return en.client().do(req)
}

// adminToken adds an admin and returns an API token of theirs.
func (en *env) adminToken() string {
	en.t.Helper()
	ctx := context.Background()
	a, err := en.desk.CreateAgent(ctx, "admin@desk.test", "Ada Admin", models.RoleAdmin, "an admin's long password")
	if err != nil {
		en.t.Fatal(err)
	}
	tok, err := en.store.CreateAPIToken(ctx, a.ID, "test")
	if err != nil {
		en.t.Fatal(err)
	}
	return tok
}

// apiErr decodes an error answer and checks its status and shape.
func apiErr(t *testing.T, res response, status int, fields ...string) map[string]any {
	t.Helper()
	if res.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", res.StatusCode, status, res.body)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(res.body), &body); err != nil {
		t.Fatalf("error body is not JSON: %v %s", err, res.body)
	}
	if msg, _ := body["error"].(string); msg == "" {
		t.Errorf("no error message: %s", res.body)
	}
	got, _ := body["fields"].(map[string]any)
	for _, f := range fields {
		if m, _ := got[f].(string); m == "" {
			t.Errorf("fields lacks %q: %s", f, res.body)
		}
	}
	if len(fields) == 0 && got != nil && status != http.StatusBadRequest {
		t.Errorf("unexpected fields: %s", res.body)
	}
	return body
}

func decodeJSON(t *testing.T, res response, status int) map[string]any {
	t.Helper()
	if res.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", res.StatusCode, status, res.body)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(res.body), &m); err != nil {
		t.Fatalf("%v: %s", err, res.body)
	}
	return m
}

func TestAPICreateTicket(t *testing.T) {
	en := newEnv(t)
	ctx := context.Background()
	en.seedAsset("PF2ABC12", time.Now().AddDate(-1, 0, 0), "eva@corp.test")

	t.Run("created with the device by serial, the actor audited", func(t *testing.T) {
		res := en.apiCall("POST", "/api/v1/tickets", en.token,
			`{"email":"Eva@Corp.test","name":"Eva Ek","subject":"Skärmen flimrar","text":"Skärmen på min dator flimrar hela tiden.","serial":"pf2-abc12"}`)
		tk := decodeJSON(t, res, http.StatusCreated)
		number := int64(tk["number"].(float64))
		if loc := res.Header.Get("Location"); loc != "/api/v1/tickets/"+itoa(number) {
			t.Errorf("Location %q", loc)
		}
		req := tk["requester"].(map[string]any)
		asset, _ := tk["asset"].(map[string]any)
		if req["email"] != "eva@corp.test" || req["name"] != "Eva Ek" || tk["status"] != "new" || tk["category"] != "hardware" ||
			asset == nil || asset["serial"] != "PF2ABC12" {
			t.Fatalf("ticket %v", tk)
		}
		msgs := tk["messages"].([]any)
		first := msgs[0].(map[string]any)
		if first["text"] != "Skärmen på min dator flimrar hela tiden." || first["from"] != "eva@corp.test" || first["direction"] != "in" {
			t.Errorf("first message %v", first)
		}
		if !strings.Contains(res.body, "Anna Agent") {
			t.Error("no note names the agent who opened it")
		}
		stored, err := en.store.TicketByNumber(ctx, number)
		if err != nil {
			t.Fatal(err)
		}
		audit, err := en.store.Audit(ctx, "ticket", stored.ID)
		if err != nil || len(audit) == 0 || audit[0].Actor != testEmail {
			t.Errorf("audit %+v %v: want actor %s", audit, err, testEmail)
		}
		if _, total, _ := en.store.ListOutbox(ctx, "", 10, 0); total != 0 {
			t.Errorf("%d mails queued without acknowledge", total)
		}
	})
	t.Run("given category wins; in the list", func(t *testing.T) {
		tk := decodeJSON(t, en.apiCall("POST", "/api/v1/tickets", en.token,
			`{"email":"olle@corp.test","subject":"Outlook","text":"Skärmen är trasig","category":"software"}`), http.StatusCreated)
		if tk["category"] != "software" || tk["asset"] != nil {
			t.Errorf("ticket %v", tk)
		}
		if l := en.apiList("/api/v1/tickets?category=software"); l.Total != 1 {
			t.Errorf("list: %+v", l)
		}
	})
	cases := []struct {
		name, ctype, body string
		status            int
		fields            []string
	}{
		{"fields invalid", "application/json", `{"email":"not an address","subject":"","text":" ","category":"x","serial":"NOPE1234"}`,
			http.StatusUnprocessableEntity, []string{"email", "subject", "text", "category", "serial"}},
		{"unknown field", "application/json", `{"email":"a@corp.test","subject":"s","text":"t","priority":"high"}`, http.StatusBadRequest, []string{"priority"}},
		{"wrong type", "application/json", `{"email":"a@corp.test","subject":7,"text":"t"}`, http.StatusBadRequest, []string{"subject"}},
		{"not JSON", "application/json", `{"email":`, http.StatusBadRequest, nil},
		{"two objects", "application/json", `{} {}`, http.StatusBadRequest, nil},
		{"form post", "application/x-www-form-urlencoded", `email=a@corp.test`, http.StatusUnsupportedMediaType, nil},
		{"too large", "application/json", `{"email":"a@corp.test","subject":"s","text":"` + strings.Repeat("x", 2<<20) + `"}`, http.StatusRequestEntityTooLarge, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", en.srv.URL+"/api/v1/tickets", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ctype)
			req.Header.Set("Authorization", "Bearer "+en.token)
			apiErr(t, en.client().do(req), tc.status, tc.fields...)
		})
	}
	if l := en.apiList("/api/v1/tickets"); l.Total != 2 {
		t.Errorf("refused requests created tickets: total %d", l.Total)
	}
}

func TestAPITicketActions(t *testing.T) {
	en := newEnv(t)
	ctx := context.Background()
	bo, err := en.desk.CreateAgent(ctx, "bo@desk.test", "Bo Berg", models.RoleAgent, "another long password")
	if err != nil {
		t.Fatal(err)
	}
	tk := en.seedTicket("Lösenordet har gått ut", models.StatusNew, models.CategoryOther, "olle@corp.test", "Jag kommer inte in.", nil)
	path := "/api/v1/tickets/" + itoa(tk.Number)

	t.Run("reply mails the requester and sets the status", func(t *testing.T) {
		d := decodeJSON(t, en.apiCall("POST", path+"/reply", en.token, `{"text":"Prova att logga in igen.","status":"resolved"}`), http.StatusOK)
		if d["status"] != "resolved" {
			t.Errorf("status %v", d["status"])
		}
		mails, total, err := en.store.ListOutbox(ctx, "", 10, 0)
		if err != nil || total != 1 || mails[0].Purpose != "reply" || !strings.Contains(mails[0].Recipients, "olle@corp.test") {
			t.Fatalf("outbox %v %d %+v", err, total, mails)
		}
		d = decodeJSON(t, en.apiCall("POST", path+"/reply", en.token, `{"text":"Hör av dig om det krånglar."}`), http.StatusOK)
		if d["status"] != "pending" {
			t.Errorf("reply without status: %v, want pending", d["status"])
		}
	})
	t.Run("note", func(t *testing.T) {
		d := decodeJSON(t, en.apiCall("POST", path+"/notes", en.token, `{"text":"Ringde Olle."}`), http.StatusOK)
		msgs := d["messages"].([]any)
		last := msgs[len(msgs)-1].(map[string]any)
		if last["kind"] != "note" || last["text"] != "Ringde Olle." || last["from"] != testEmail {
			t.Errorf("last message %v", last)
		}
		if _, total, _ := en.store.ListOutbox(ctx, "", 10, 0); total != 2 {
			t.Errorf("a note was mailed: %d mails", total)
		}
	})
	t.Run("patch changes every field in one step, audited", func(t *testing.T) {
		d := decodeJSON(t, en.apiCall("PATCH", path, en.token,
			`{"status":"open","priority":"high","category":"account","assignee_email":"BO@desk.test"}`), http.StatusOK)
		as, _ := d["assignee"].(map[string]any)
		if d["status"] != "open" || d["priority"] != "high" || d["category"] != "account" || as == nil || as["email"] != bo.Email {
			t.Fatalf("ticket %v", d)
		}
		audit, _ := en.store.Audit(ctx, "ticket", tk.ID)
		seen := map[string]bool{}
		for _, a := range audit {
			if a.Actor == testEmail {
				seen[a.Field] = true
			}
		}
		for _, f := range []string{"status", "priority", "category", "assignee"} {
			if !seen[f] {
				t.Errorf("no audit of %s by %s: %+v", f, testEmail, audit)
			}
		}
		d = decodeJSON(t, en.apiCall("PATCH", path, en.token, `{"assignee_email":""}`), http.StatusOK)
		if d["assignee"] != nil {
			t.Errorf("not unassigned: %v", d["assignee"])
		}
	})
	refusals := []struct {
		name, method, path, body string
		status                   int
		fields                   []string
	}{
		{"empty reply", "POST", path + "/reply", `{"text":"  "}`, 422, []string{"text"}},
		{"reply bad status", "POST", path + "/reply", `{"text":"x","status":"done"}`, 422, []string{"status"}},
		{"empty note", "POST", path + "/notes", `{"text":""}`, 422, []string{"text"}},
		{"patch nothing", "PATCH", path, `{}`, 422, []string{"body"}},
		{"patch bad values", "PATCH", path, `{"priority":"asap","assignee_email":"nobody@desk.test"}`, 422, []string{"priority", "assignee_email"}},
		{"reply unknown ticket", "POST", "/api/v1/tickets/999999/reply", `{"text":"x"}`, 404, nil},
		{"patch unknown ticket", "PATCH", "/api/v1/tickets/999999", `{"status":"open"}`, 404, nil},
		{"bad number", "POST", "/api/v1/tickets/abc/notes", `{"text":"x"}`, 400, nil},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			apiErr(t, en.apiCall(tc.method, tc.path, en.token, tc.body), tc.status, tc.fields...)
		})
	}
	if got, _ := en.store.TicketByNumber(ctx, tk.Number); got.Priority != "high" {
		t.Errorf("a refused patch changed the ticket: priority %s", got.Priority)
	}
}

func TestAPIAssetsAndVendors(t *testing.T) {
	en := newEnv(t)
	en.seedAsset("PF2ABC12", time.Now().AddDate(-1, 0, 0), "eva@corp.test")
	a, _ := en.store.AssetBySerial(context.Background(), "PF2ABC12")
	tk := en.seedTicket("Fläkten låter", models.StatusOpen, models.CategoryHardware, "eva@corp.test", "Det brummar.", a)

	d := decodeJSON(t, en.api("/api/v1/assets/pf2-abc12"), http.StatusOK)
	tickets := d["tickets"].([]any)
	if d["serial"] != "PF2ABC12" || d["vendor"] != "Atea" || d["under_warranty"] != true || len(tickets) != 1 ||
		tickets[0].(map[string]any)["number"].(float64) != float64(tk.Number) {
		t.Errorf("asset %v", d)
	}
	apiErr(t, en.api("/api/v1/assets/NOSUCH99"), http.StatusNotFound)

	l := en.apiList("/api/v1/vendors")
	if l.Total != 1 || l.Items[0]["name"] != "Atea" || l.Items[0]["turnaround_days"].(float64) != 10 || l.Items[0]["open_cases"].(float64) != 0 {
		t.Errorf("vendors %+v", l)
	}
}

// TestAPIRequiresToken tries every API route without a token, with a wrong
// one, and (for webhooks) as an agent rather than an admin.
func TestAPIRequiresToken(t *testing.T) {
	en := newEnv(t)
	for _, r := range en.e.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1") || r.Method == "echo_route_not_found" {
			continue
		}
		path := strings.NewReplacer(":number", "1001", ":serial", "PF2ABC12", ":id", "1").Replace(r.Path)
		for _, tok := range []string{"", "wrong-token"} {
			res := en.apiCall(r.Method, path, tok, `{}`)
			apiErr(t, res, http.StatusUnauthorized)
			if res.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s: 401 without WWW-Authenticate", r.Method, path)
			}
		}
		if strings.HasPrefix(r.Path, "/api/v1/webhooks") {
			apiErr(t, en.apiCall(r.Method, path, en.token, `{}`), http.StatusForbidden)
		}
	}
}

// receiver is a webhook endpoint: it checks every request's signature with
// its own HMAC code, and fails the first `fail` requests with a 500.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	secret string
	mu     sync.Mutex
	fail   int
	got    []map[string]any
	hdrs   []http.Header
}

func newReceiver(t *testing.T, secret string, fail int) *receiver {
	rc := &receiver{t: t, secret: secret, fail: fail}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m := hmac.New(sha256.New, []byte(rc.secret))
		m.Write(body)
		if want := "sha256=" + hex.EncodeToString(m.Sum(nil)); r.Header.Get("X-Warrantydesk-Signature") != want {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if rc.fail > 0 {
			rc.fail--
			http.Error(w, "receiver down", http.StatusInternalServerError)
			return
		}
		var p map[string]any
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		rc.got = append(rc.got, p)
		rc.hdrs = append(rc.hdrs, r.Header.Clone())
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func TestAPIWebhooks(t *testing.T) {
	en := newEnv(t)
	ctx := context.Background()
	admin := en.adminToken()
	const secret = "a shared secret of some length"
	rc := newReceiver(t, secret, 1)

	created := decodeJSON(t, en.apiCall("POST", "/api/v1/webhooks", admin,
		`{"url":"`+rc.srv.URL+`/hook","events":["ticket.created","ticket.updated"],"secret":"`+secret+`","description":"ITSM"}`), http.StatusCreated)
	id := itoa(int64(created["id"].(float64)))
	if created["secret"] != secret {
		t.Errorf("created %v", created)
	}
	apiErr(t, en.api("/api/v1/webhooks"), http.StatusForbidden) // an agent, not an admin
	list := decodeJSON(t, en.apiCall("GET", "/api/v1/webhooks", admin, ""), http.StatusOK)
	if items := list["items"].([]any); len(items) != 1 || items[0].(map[string]any)["secret"] != nil {
		t.Errorf("list shows %v (never the secret)", list)
	}
	apiErr(t, en.apiCall("POST", "/api/v1/webhooks", admin, `{"url":"`+rc.srv.URL+`/hook","events":["ticket.created"]}`), http.StatusConflict)
	apiErr(t, en.apiCall("POST", "/api/v1/webhooks", admin, `{"url":"ftp://x","events":["ticket.eaten"],"secret":"short"}`),
		http.StatusUnprocessableEntity, "url", "events", "secret")

	// A ticket created through the API queues ticket.created; the receiver
	// fails the first attempt, the retry succeeds.
	tk := decodeJSON(t, en.apiCall("POST", "/api/v1/tickets", en.token,
		`{"email":"eva@corp.test","subject":"Dockan laddar inte","text":"Dockningsstationen laddar inte datorn."}`), http.StatusCreated)
	clock := time.Now()
	w := desk.NewWebhookWorker(en.store, desk.WebhookWorkerOptions{Backoff: []time.Duration{time.Minute},
		Now: func() time.Time { return clock }})
	if n, err := w.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("first pass: %d %v", n, err)
	}
	log := decodeJSON(t, en.apiCall("GET", "/api/v1/webhooks/"+id+"/deliveries", admin, ""), http.StatusOK)
	d := log["items"].([]any)[0].(map[string]any)
	if d["status"] != "queued" || d["attempts"].(float64) != 1 || d["last_status_code"].(float64) != 500 ||
		!strings.Contains(d["last_error"].(string), "receiver down") || d["next_attempt_at"] == nil {
		t.Fatalf("after the 500: %v", d)
	}
	if n, _ := w.DeliverDue(ctx); n != 0 {
		t.Fatal("retried before its back-off")
	}
	clock = clock.Add(time.Minute)
	if n, err := w.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("retry: %d %v", n, err)
	}
	log = decodeJSON(t, en.apiCall("GET", "/api/v1/webhooks/"+id+"/deliveries", admin, ""), http.StatusOK)
	d = log["items"].([]any)[0].(map[string]any)
	if d["status"] != "delivered" || d["attempts"].(float64) != 2 || d["last_status_code"].(float64) != 200 || d["delivered_at"] == nil {
		t.Fatalf("after the retry: %v", d)
	}
	if len(rc.got) != 1 {
		t.Fatalf("receiver accepted %d requests", len(rc.got))
	}
	p, h := rc.got[0], rc.hdrs[0]
	pt := p["ticket"].(map[string]any)
	if p["event"] != "ticket.created" || p["id"] != d["event_id"] || pt["number"] != tk["number"] ||
		pt["requester"].(map[string]any)["email"] != "eva@corp.test" || h.Get("X-Warrantydesk-Event") != "ticket.created" ||
		h.Get("X-Warrantydesk-Delivery") != p["id"] || h.Get("X-Warrantydesk-Timestamp") == "" {
		t.Errorf("payload %v headers %v", p, h)
	}

	// A note is a ticket.updated, delivered at once.
	en.apiCall("POST", "/api/v1/tickets/"+itoa(int64(tk["number"].(float64)))+"/notes", en.token, `{"text":"Bytt kabel."}`)
	if n, err := w.DeliverDue(ctx); err != nil || n != 1 || len(rc.got) != 2 || rc.got[1]["event"] != "ticket.updated" {
		t.Fatalf("note event: %d %v %v", n, err, rc.got)
	}

	if res := en.apiCall("DELETE", "/api/v1/webhooks/"+id, admin, ""); res.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.StatusCode, res.body)
	}
	apiErr(t, en.apiCall("GET", "/api/v1/webhooks/"+id+"/deliveries", admin, ""), http.StatusNotFound)
	apiErr(t, en.apiCall("DELETE", "/api/v1/webhooks/"+id, admin, ""), http.StatusNotFound)
}
