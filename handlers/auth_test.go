package handlers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestLoginFlow(t *testing.T) {
	en := newEnv(t)
	c := en.client()

	res := c.get("/login")
	if res.StatusCode != http.StatusOK || !strings.Contains(res.body, `name="email"`) || !strings.Contains(res.body, `name="password"`) {
		t.Fatalf("GET /login: %d, want the form", res.StatusCode)
	}
	if !strings.Contains(res.body, "Logga in") {
		t.Error("login page is not in Swedish by default")
	}
	tok := csrfRe.FindStringSubmatch(res.body)[1]

	t.Run("wrong password", func(t *testing.T) {
		res := c.post("/login", url.Values{"email": {testEmail}, "password": {"wrong password!"}, "_csrf": {tok}})
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", res.StatusCode)
		}
		if !strings.Contains(res.body, en.cat.T("sv", "error.bad_login")) {
			t.Error("no localised error on the page")
		}
		if !strings.Contains(res.body, `value="`+testEmail+`"`) {
			t.Error("the email typed is not kept")
		}
		for _, ck := range res.Cookies() {
			if ck.Name == sessionCookie && ck.Value != "" {
				t.Error("a failed login set a session cookie")
			}
		}
	})

	t.Run("unknown email", func(t *testing.T) {
		res := c.post("/login", url.Values{"email": {"nobody@desk.test"}, "password": {testPassword}, "_csrf": {tok}})
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", res.StatusCode)
		}
	})

	t.Run("without CSRF token", func(t *testing.T) {
		res := en.client().post("/login", url.Values{"email": {testEmail}, "password": {testPassword}})
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d, want 403", res.StatusCode)
		}
		if !strings.Contains(res.body, en.cat.T("sv", "error.csrf")) {
			t.Error("403 page is not the localised CSRF message")
		}
		if strings.Contains(res.Header.Get("Set-Cookie"), sessionCookie+"=") {
			t.Error("session started without a CSRF token")
		}
	})

	t.Run("cross-site post", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, en.srv.URL+"/login",
			strings.NewReader(url.Values{"email": {testEmail}, "password": {testPassword}, "_csrf": {tok}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if res := c.do(req); res.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d, want 403", res.StatusCode)
		}
	})

	t.Run("right password", func(t *testing.T) {
		res := c.post("/login", url.Values{"email": {" ANNA@desk.test "}, "password": {testPassword}, "_csrf": {tok},
			"next": {"/tickets?status=new"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/tickets?status=new" {
			t.Fatalf("status %d to %q, want 303 to /tickets?status=new", res.StatusCode, res.Header.Get("Location"))
		}
		var sess *http.Cookie
		for _, ck := range res.Cookies() {
			if ck.Name == sessionCookie {
				sess = ck
			}
		}
		if sess == nil || sess.Value == "" {
			t.Fatal("no session cookie")
		}
		if !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.MaxAge != 12*3600 {
			t.Errorf("session cookie flags: HttpOnly=%v SameSite=%v MaxAge=%d", sess.HttpOnly, sess.SameSite, sess.MaxAge)
		}
		if res := c.get("/tickets"); res.StatusCode != http.StatusOK || !strings.Contains(res.body, "Anna Agent") {
			t.Fatalf("GET /tickets after login: %d", res.StatusCode)
		}
		if res := c.get("/login"); res.StatusCode != http.StatusSeeOther {
			t.Errorf("GET /login when logged in: %d, want a redirect", res.StatusCode)
		}
	})

	t.Run("logout", func(t *testing.T) {
		tok := c.csrf("/tickets")
		res := c.post("/logout", url.Values{"_csrf": {tok}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
			t.Fatalf("logout: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
		if res := c.get("/tickets"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("GET /tickets after logout: %d, want a redirect to login", res.StatusCode)
		}
	})
}

// publicRoutes may be reached without logging in; every other route must not.
var publicRoutes = map[string]bool{
	"GET /healthz": true, "GET /metrics": true, "GET /static/*": true,
	"GET /login": true, "POST /login": true, "GET /lang/:lang": true,
	"GET /status/:token": true, // signed per ticket: TestPublicStatusPage
}

func TestEveryRouteNeedsLogin(t *testing.T) {
	en := newEnv(t)
	en.seedTicket("Skärmen flimrar", "new", "hardware", "eva@corp.test", "Hej", nil)
	anon := en.client()
	tok := anon.csrf("/login") // so POSTs fail on the missing session, not on CSRF
	fill := strings.NewReplacer(":number", "1001", ":id", "1", ":lang", "en", "*", "app.css")
	checked := 0
	for _, r := range en.e.Routes() {
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			continue // RouteNotFound entries of the API group
		}
		key := r.Method + " " + r.Path
		if publicRoutes[key] {
			continue
		}
		checked++
		t.Run(key, func(t *testing.T) {
			path := fill.Replace(r.Path)
			var res response
			if r.Method == http.MethodGet {
				res = anon.get(path)
			} else {
				res = anon.post(path, url.Values{"_csrf": {tok}, "text": {"x"}, "status": {"open"}})
			}
			if strings.HasPrefix(r.Path, "/api/") {
				var body map[string]any
				if res.StatusCode != http.StatusUnauthorized || json.Unmarshal([]byte(res.body), &body) != nil || body["error"] == nil {
					t.Fatalf("status %d body %q, want 401 JSON with error", res.StatusCode, res.body)
				}
				return
			}
			loc, _ := url.Parse(res.Header.Get("Location"))
			if res.StatusCode != http.StatusSeeOther || loc == nil || loc.Path != "/login" {
				t.Fatalf("status %d to %q, want 303 to /login", res.StatusCode, res.Header.Get("Location"))
			}
			if r.Method == http.MethodGet && loc.Query().Get("next") != path {
				t.Errorf("next=%q, want %q", loc.Query().Get("next"), path)
			}
		})
	}
	if checked < 15 {
		t.Errorf("only %d routes checked; route table walk broken?", checked)
	}

	t.Run("bad token", func(t *testing.T) {
		for _, h := range []string{"", "Bearer", "Bearer nope", "Basic " + en.token, "Token " + en.token} {
			req, _ := http.NewRequest(http.MethodGet, en.srv.URL+"/api/v1/tickets", nil)
			if h != "" {
				req.Header.Set("Authorization", h)
			}
			if res := anon.do(req); res.StatusCode != http.StatusUnauthorized {
				t.Errorf("Authorization %q: %d, want 401", h, res.StatusCode)
			}
		}
	})
	t.Run("session cookie is no API token", func(t *testing.T) {
		c := en.client()
		c.login()
		if res := c.get("/api/v1/tickets"); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("API with a session cookie only: %d, want 401", res.StatusCode)
		}
	})
}

func TestNoOpenRedirect(t *testing.T) {
	en := newEnv(t)
	evil := []string{"//evil.example", "//evil.example/tickets", `/\evil.example`, "https://evil.example/",
		"http:evil.example", "javascript:alert(1)", " //evil.example", "\t//evil.example", "/%0d%0aLocation:http://evil.example",
		"///evil.example", "evil.example"}
	for _, next := range evil {
		t.Run(next, func(t *testing.T) {
			c := en.client()
			tok := c.csrf("/login?next=" + url.QueryEscape(next))
			res := c.post("/login", url.Values{"email": {testEmail}, "password": {testPassword}, "_csrf": {tok}, "next": {next}})
			assertLocal(t, res)
			assertLocal(t, c.get("/login?next="+url.QueryEscape(next)))
			assertLocal(t, c.get("/lang/en?next="+url.QueryEscape(next)))
		})
	}
	t.Run("local path kept", func(t *testing.T) {
		c := en.client()
		if res := c.get("/lang/en?next=%2Fassets%3Fq%3Dt14"); res.Header.Get("Location") != "/assets?q=t14" {
			t.Errorf("Location %q, want /assets?q=t14", res.Header.Get("Location"))
		}
	})
}

// assertLocal fails unless res redirects to a path on this site.
func assertLocal(t *testing.T, res response) {
	t.Helper()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d, want 303", res.StatusCode)
	}
	loc := res.Header.Get("Location")
	u, err := url.Parse(loc)
	if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(loc, "/") ||
		strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, `/\`) || strings.ContainsAny(loc, "\r\n") {
		t.Fatalf("redirect to %q leaves the site", loc)
	}
}

func TestLanguageSwitch(t *testing.T) {
	en := newEnv(t)
	c := en.client()
	c.login()
	if res := c.get("/tickets"); !strings.Contains(res.body, ">Ärenden<") || !strings.Contains(res.body, `lang="sv"`) {
		t.Fatal("default page is not Swedish")
	}
	res := c.get("/lang/en?next=%2Ftickets")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/tickets" {
		t.Fatalf("switch: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res := c.get("/tickets"); !strings.Contains(res.body, ">Tickets<") || !strings.Contains(res.body, `lang="en"`) {
		t.Fatal("page is not English after the switch")
	}
	if res := c.get("/lang/de"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unsupported language: %d, want 404", res.StatusCode)
	}
}

func TestPublicEndpoints(t *testing.T) {
	en := newEnv(t)
	c := en.client()

	res := c.get("/healthz")
	var h struct {
		Status string                 `json:"status"`
		Checks map[string]HealthCheck `json:"checks"`
	}
	if res.StatusCode != http.StatusOK || json.Unmarshal([]byte(res.body), &h) != nil || h.Status != "ok" || !h.Checks["database"].OK {
		t.Fatalf("healthz: %d %s", res.StatusCode, res.body)
	}
	en.health = Health{OK: false, Checks: map[string]HealthCheck{"imap": {OK: false, Detail: "login failed"}}}
	res = c.get("/healthz")
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(res.body, `"degraded"`) || !strings.Contains(res.body, "login failed") {
		t.Fatalf("degraded healthz: %d %s", res.StatusCode, res.body)
	}

	res = c.get("/metrics")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain; version=0.0.4") ||
		!strings.Contains(res.body, "warrantydesk_up 1") {
		t.Fatalf("metrics: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), res.body)
	}

	res = c.get("/static/app.css")
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), "text/css") ||
		res.Header.Get("Cache-Control") == "" {
		t.Fatalf("static: %d %q cache %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
	}
	for _, p := range []string{"/static/", "/static/nope.css", "/static/../templates.go", "/static/%2e%2e/i18n/sv.json"} {
		if res := c.get(p); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, res.StatusCode)
		}
	}

	res = c.get("/login")
	for hdr, want := range map[string]string{
		"Content-Security-Policy": contentSecurityPolicy, "X-Content-Type-Options": "nosniff",
		"Referrer-Policy": "same-origin", "X-Frame-Options": "DENY",
	} {
		if got := res.Header.Get(hdr); got != want {
			t.Errorf("%s = %q, want %q", hdr, got, want)
		}
	}
	var csrfCk *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == csrfCookie {
			csrfCk = ck
		}
	}
	if csrfCk == nil || !csrfCk.HttpOnly || csrfCk.SameSite != http.SameSiteLaxMode || csrfCk.Path != "/" {
		t.Errorf("CSRF cookie: %+v", csrfCk)
	}

	res = c.get("/no/such/page")
	if res.StatusCode != http.StatusNotFound || !strings.Contains(res.body, en.cat.T("sv", "error.not_found")) {
		t.Errorf("unknown page: %d, want the localised 404 page", res.StatusCode)
	}
}
