package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"warrantydesk/models"
)

// access is who may use a route: the expectation TestRouteAuthorization
// checks every route against, for every identity.
type access int

const (
	accessPublic    access = iota // anyone, logged in or not
	accessAnyUser                 // any logged-in user, vendor users too (logout)
	accessStaff                   // agents and admins (session)
	accessAdmin                   // admins (session)
	accessVendor                  // vendor users (session): the portal
	accessStaffJSON               // agents and admins (session), a JSON endpoint: 401/403 as JSON
	accessAPI                     // agents' and admins' bearer tokens: the JSON API
	accessAPIAdmin                // admins' bearer tokens: the API's administration (webhooks)
)

// routeAccess is the authorisation table: every route of the route table
// with who may use it. A route missing here fails the test, so a new route
// cannot ship without someone deciding who may use it.
var routeAccess = map[string]access{
	"GET /healthz": accessPublic, "GET /metrics": accessPublic, "GET /static/*": accessPublic,
	"GET /login": accessPublic, "POST /login": accessPublic, "GET /lang/:lang": accessPublic,
	"GET /status/:token": accessPublic,

	"POST /logout": accessAnyUser,

	"GET /": accessStaff, "GET /tickets": accessStaff, "POST /tickets/bulk": accessStaff,
	"POST /tickets/views": accessStaff, "POST /tickets/views/:id/delete": accessStaff,
	"GET /tickets/:number": accessStaff, "POST /tickets/:number/reply": accessStaff,
	"POST /tickets/:number/note": accessStaff, "POST /tickets/:number/status": accessStaff,
	"POST /tickets/:number/assign": accessStaff, "GET /tickets/:number/forward": accessStaff,
	"POST /tickets/:number/forward": accessStaff, "POST /tickets/:number/paid-repair": accessStaff,
	"POST /tickets/:number/case": accessStaff, "POST /tickets/:number/asset": accessStaff,
	"GET /tickets/:number/attachments/:id": accessStaff,
	// Also a signed URL without a session: TestInlineImages* in web_test.go.
	"GET /tickets/:number/attachments/:id/inline": accessStaff,
	"GET /tickets/:number/messages/:id/html":      accessStaff,
	"GET /outbox":                                 accessStaff, "POST /outbox/:id/retry": accessStaff,
	"GET /intake": accessStaff, "POST /intake/:id/reprocess": accessStaff,
	"GET /reseller":               accessStaff,
	"POST /tickets/:number/merge": accessStaff, "POST /tickets/:number/links": accessStaff,
	"POST /tickets/:number/links/:other/delete": accessStaff,
	"GET /help":   accessStaff,
	"GET /assets": accessStaff, "GET /assets/:serial": accessStaff,
	"GET /overdue": accessStaff,
	"GET /canned":  accessStaff, "POST /canned": accessStaff, "GET /canned/new": accessStaff,
	"GET /canned/:id": accessStaff, "POST /canned/:id": accessStaff,
	"GET /reports": accessStaff, "GET /reports/summary": accessStaff, "GET /reports/:section": accessStaff,

	"GET /api/ui/changes": accessStaffJSON,

	"POST /assets/import": accessAdmin, "POST /assets/:serial/warranty": accessAdmin,
	"POST /assets/:serial/state": accessAdmin, "POST /assets/:serial/swap": accessAdmin,
	"GET /admin/rules": accessAdmin, "POST /admin/rules": accessAdmin, "GET /admin/rules/new": accessAdmin,
	"GET /admin/rules/test": accessAdmin, "GET /admin/rules/:id": accessAdmin, "POST /admin/rules/:id": accessAdmin,
	"POST /admin/rules/:id/enabled": accessAdmin, "POST /admin/rules/:id/move": accessAdmin,
	"GET /admin/rules/:id/delete": accessAdmin, "POST /admin/rules/:id/delete": accessAdmin,
	"GET /canned/:id/delete": accessAdmin, "POST /canned/:id/delete": accessAdmin,
	"GET /admin": accessAdmin, "GET /admin/agents": accessAdmin, "POST /admin/agents": accessAdmin,
	"POST /admin/agents/:id/role": accessAdmin, "POST /admin/agents/:id/password": accessAdmin,
	"GET /admin/vendors": accessAdmin, "GET /admin/mailbox": accessAdmin,
	"GET /admin/requesters": accessAdmin, "GET /admin/requesters/export": accessAdmin,
	"POST /admin/requesters/erase": accessAdmin,

	"GET /portal": accessVendor, "GET /portal/cases/:number": accessVendor,
	"POST /portal/cases/:number": accessVendor, "GET /portal/cases/:number/attachments/:id": accessVendor,

	"GET /api/v1/tickets": accessAPI, "GET /api/v1/tickets/:number": accessAPI,
	"GET /api/v1/assets": accessAPI, "GET /api/v1/intake": accessAPI,
	"GET /api/v1/openapi.json": accessAPI, "POST /api/v1/tickets": accessAPI,
	"PATCH /api/v1/tickets/:number": accessAPI, "POST /api/v1/tickets/:number/reply": accessAPI,
	"POST /api/v1/tickets/:number/notes": accessAPI, "GET /api/v1/assets/:serial": accessAPI,
	"GET /api/v1/vendors": accessAPI,

	"GET /api/v1/webhooks": accessAPIAdmin, "POST /api/v1/webhooks": accessAPIAdmin,
	"DELETE /api/v1/webhooks/:id": accessAPIAdmin, "GET /api/v1/webhooks/:id/deliveries": accessAPIAdmin,
}

// identity is one kind of caller: anonymous, a session of a role, or a
// bearer token of a role (a token client has no session cookie).
type identity struct {
	name   string
	role   string // "" when anonymous
	token  bool   // authenticates by bearer token, not by session
	email  string
	c      *client
	csrf   string // the CSRF token of c's forms
	bearer string
}

// allowed reports whether the table lets id use a route of access a.
func (id identity) allowed(a access) bool {
	session := id.role != "" && !id.token
	staff := id.role == models.RoleAgent || id.role == models.RoleAdmin
	switch a {
	case accessPublic:
		return true
	case accessAnyUser:
		return session
	case accessStaff, accessStaffJSON:
		return session && staff
	case accessAdmin:
		return session && id.role == models.RoleAdmin
	case accessVendor:
		return session && id.role == models.RoleVendor
	case accessAPI:
		return id.token && staff
	case accessAPIAdmin:
		return id.token && id.role == models.RoleAdmin
	}
	return false
}

// authzWorld is a seeded desk with a user of every role and sample values
// for every path parameter.
type authzWorld struct {
	en         *env
	f          *portalFixture
	identities []identity
	// params fills a route's path parameters; ids fills :id per route prefix.
	params map[string]string
	ids    map[string]string
}

func newAuthzWorld(t *testing.T) *authzWorld {
	t.Helper()
	en := newEnv(t)
	ctx := context.Background()
	f := en.seedPortal()
	w := &authzWorld{en: en, f: f}
	en.adminClient() // creates the admin
	spare, err := en.desk.CreateAgent(ctx, "spare@desk.test", "Spare Agent", models.RoleAgent, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := en.store.AgentByEmail(ctx, adminEmail)
	if err != nil {
		t.Fatal(err)
	}
	adminToken, err := en.store.CreateAPIToken(ctx, admin.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := en.store.Messages(ctx, f.atea.ID)
	if err != nil {
		t.Fatal(err)
	}
	var msgID, outboxID uint
	for _, m := range msgs {
		if m.Kind == models.KindEmail && msgID == 0 {
			msgID = m.ID
		}
		if m.OutboxID != nil {
			outboxID = *m.OutboxID
		}
	}
	num := func(n int64) string { return strconv.FormatInt(n, 10) }
	uid := func(n uint) string { return strconv.FormatUint(uint64(n), 10) }
	w.params = map[string]string{":number": num(f.atea.Number), ":other": num(f.refurbo.Number), ":serial": "PF2PORT1",
		":lang": "sv", ":token": "not-a-token", ":section": "fleet", "*": "app.css"}
	// :id by the path before it; the first (longest) matching prefix wins.
	w.ids = map[string]string{
		"/tickets/:number/attachments/":      uid(f.otherFile),
		"/tickets/:number/messages/":         uid(msgID),
		"/portal/cases/:number/attachments/": uid(f.attachment),
		"/admin/agents/":                     uid(spare.ID),
		"/outbox/":                           uid(outboxID),
		"/":                                  "1",
	}

	anon := en.client()
	w.identities = []identity{
		{name: "anonymous", c: anon, csrf: anon.csrf("/login")},
		{name: "agent", role: models.RoleAgent, email: testEmail},
		{name: "admin", role: models.RoleAdmin, email: adminEmail},
		{name: "vendor", role: models.RoleVendor, email: veraEmail},
		{name: "agent token", role: models.RoleAgent, token: true, bearer: en.token},
		{name: "admin token", role: models.RoleAdmin, token: true, bearer: adminToken},
		{name: "vendor token", role: models.RoleVendor, token: true, bearer: f.veraToken},
	}
	for i := range w.identities {
		id := &w.identities[i]
		switch {
		case id.email != "":
			id.c, id.csrf = w.session(id.email)
		case id.token:
			// A CSRF cookie and token, so a refused form post is refused
			// for its missing session, not for CSRF.
			id.c = en.client()
			id.csrf = id.c.csrf("/login")
		}
	}
	return w
}

// session logs email in on a new browser and returns it with its CSRF token.
func (w *authzWorld) session(email string) (*client, string) {
	w.en.t.Helper()
	landing := "/tickets"
	if email == veraEmail {
		landing = "/portal"
	}
	c := w.en.loginAs(email, landing)
	return c, c.csrf(landing)
}

// path fills route path p with sample values.
func (w *authzWorld) path(p string) string {
	if i := strings.Index(p, ":id"); i >= 0 {
		prefixes := make([]string, 0, len(w.ids))
		for k := range w.ids {
			prefixes = append(prefixes, k)
		}
		sort.Slice(prefixes, func(a, b int) bool { return len(prefixes[a]) > len(prefixes[b]) })
		for _, pre := range prefixes {
			if strings.HasPrefix(p[:i], pre) {
				p = p[:i] + w.ids[pre] + p[i+len(":id"):]
				break
			}
		}
	}
	for k, v := range w.params {
		p = strings.ReplaceAll(p, k, v)
	}
	return p
}

// request sends one request to path as id. Form posts carry id's CSRF
// token and harmless fields that most handlers refuse as invalid.
func (w *authzWorld) request(id identity, c *client, csrf, method, path string, n int) response {
	w.en.t.Helper()
	var req *http.Request
	var err error
	if strings.HasPrefix(path, "/api/v1/") && method != http.MethodGet {
		// An empty JSON object: past authorisation, the API refuses it as invalid.
		req, err = http.NewRequest(method, w.en.srv.URL+path, strings.NewReader("{}"))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
	} else if method == http.MethodPost {
		form := url.Values{"text": {"authz"}, "status": {"open"}}
		if path == "/login" {
			// Unknown users, one per request, so the login lockout never trips.
			form.Set("email", "nobody"+strconv.Itoa(n)+"@desk.test")
			form.Set("password", "wrong password")
		}
		if csrf != "" {
			form.Set(csrfField, csrf)
		}
		req, err = http.NewRequest(method, w.en.srv.URL+path, strings.NewReader(form.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		req, err = http.NewRequest(method, w.en.srv.URL+path, nil)
	}
	if err != nil {
		w.en.t.Fatal(err)
	}
	if id.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+id.bearer)
	}
	return c.do(req)
}

func TestRouteAuthorization(t *testing.T) {
	w := newAuthzWorld(t)
	seen := map[string]bool{}
	n := 0
	for _, r := range w.en.e.Routes() {
		if r.Method == echo.RouteNotFound {
			continue // the API group's JSON 404s
		}
		key := r.Method + " " + r.Path
		seen[key] = true
		want, ok := routeAccess[key]
		if !ok {
			t.Errorf("route %s has no entry in routeAccess (authz_test.go): decide who may use it", key)
			continue
		}
		path := w.path(r.Path)
		for _, id := range w.identities {
			n++
			t.Run(key+"/"+id.name, func(t *testing.T) {
				c, csrf := id.c, id.csrf
				if key == "POST /logout" && id.email != "" {
					// Logging out ends the session: use a fresh one.
					c, csrf = w.session(id.email)
				}
				res := w.request(id, c, csrf, r.Method, path, n)
				w.check(t, key, path, want, id, res)
			})
		}
	}
	for key := range routeAccess {
		if !seen[key] {
			t.Errorf("routeAccess lists %s, which is not in the route table", key)
		}
	}
	if len(seen) < 60 {
		t.Errorf("only %d routes walked; is the route table walk broken?", len(seen))
	}
}

// check compares one response with the table: allowed means the request
// got past authorisation (not 401, not 403, not sent to log in or to the
// portal, and no server error); refused means exactly the refusal this kind
// of caller should get.
func (w *authzWorld) check(t *testing.T, key, path string, a access, id identity, res response) {
	t.Helper()
	loc, _ := url.Parse(res.Header.Get("Location"))
	redirectTo := ""
	if res.StatusCode == http.StatusSeeOther && loc != nil {
		redirectTo = loc.Path
	}
	method, _, _ := strings.Cut(key, " ")
	if id.allowed(a) {
		switch {
		case key == "POST /login":
			// Reachable: the form answers for the unknown user.
			if res.StatusCode != http.StatusUnauthorized || !strings.Contains(res.body, `name="password"`) {
				t.Fatalf("status %d, want the login form refusing an unknown user", res.StatusCode)
			}
		case key == "POST /logout":
			if redirectTo != "/login" || !clearsSession(res) {
				t.Fatalf("status %d to %q, want the session ended", res.StatusCode, redirectTo)
			}
		case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden ||
			res.StatusCode >= 500 || redirectTo == "/login" || (redirectTo == "/portal" && a != accessPublic):
			t.Fatalf("status %d to %q, want %s let in\n%.300s", res.StatusCode, redirectTo, id.name, res.body)
		}
		return
	}
	api := a == accessAPI || a == accessAPIAdmin
	isJSON := api || a == accessStaffJSON
	loggedIn := id.role != "" && id.token == api
	switch {
	case isJSON && !loggedIn:
		wantJSONError(t, res, http.StatusUnauthorized)
	case isJSON:
		wantJSONError(t, res, http.StatusForbidden)
	case !loggedIn:
		if redirectTo != "/login" {
			t.Fatalf("status %d to %q, want 303 to /login", res.StatusCode, res.Header.Get("Location"))
		}
		if method == http.MethodGet && loc.Query().Get("next") != path {
			t.Errorf("next=%q, want %q", loc.Query().Get("next"), path)
		}
	case id.role == models.RoleVendor && method == http.MethodGet && (path == "/" || path == "/tickets"):
		if redirectTo != "/portal" {
			t.Fatalf("status %d to %q, want 303 to /portal", res.StatusCode, res.Header.Get("Location"))
		}
	default:
		if res.StatusCode != http.StatusForbidden || strings.Contains(res.body, w.en.tr("sv", "error.csrf")) {
			t.Fatalf("status %d, want 403 (not a CSRF refusal)\n%.300s", res.StatusCode, res.body)
		}
	}
}

// wantJSONError checks a JSON refusal with status.
func wantJSONError(t *testing.T, res response, status int) {
	t.Helper()
	var body map[string]any
	if res.StatusCode != status || json.Unmarshal([]byte(res.body), &body) != nil || body["error"] == nil {
		t.Fatalf("status %d body %.200q, want %d JSON with error", res.StatusCode, res.body, status)
	}
}

// clearsSession reports whether res deletes the session cookie.
func clearsSession(res response) bool {
	for _, ck := range res.Cookies() {
		if ck.Name == sessionCookie && ck.MaxAge < 0 {
			return true
		}
	}
	return false
}
