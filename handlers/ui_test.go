package handlers

import (
	"bytes"
	"context"
	"html"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"warrantydesk/models"
)

// testPNG is a small red picture, w×h pixels.
func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.RGBA{R: 200, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestAttachments(t *testing.T) {
	en := newEnv(t)
	tk := en.seedTicket("Trasig skärm", models.StatusNew, models.CategoryHardware, "eva@corp.test", "Se bilderna.", nil)
	pic := testPNG(t, 3, 2)
	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 1500)...)
	msg := en.seedMail(tk, "Bilagor.", "",
		testFile{name: "skärm.png", contentType: "image/png", contentID: "skarm@eva", data: pic},
		testFile{name: `Kvitto "mars" ÅÄÖ.pdf`, contentType: "application/pdf", data: pdf},
		testFile{name: "sida.html", contentType: "text/html; charset=utf-8", data: []byte("<script>alert(1)</script>")},
		testFile{name: "logg.txt", contentType: `text/plain; charset="iso-8859-1"`, data: []byte("rad 1\n")},
		testFile{name: "../../etc/passwd\r\nX-Evil: 1", contentType: "image/svg+xml", data: []byte("<svg/>")},
	)
	ids := map[string]uint{}
	for _, a := range msg.Attachments {
		ids[a.Filename] = a.ID
	}
	other := en.seedTicket("Annat ärende", models.StatusNew, models.CategoryOther, "bo@corp.test", "Hej", nil)
	c := en.client()
	c.login()
	base := ticketURL(tk.Number)

	t.Run("listed on the ticket page", func(t *testing.T) {
		body := c.get(base).body
		for _, want := range []string{
			`<a href="` + base + `/attachments/` + itoa(int64(ids["skärm.png"])) + `">skärm.png</a>`,
			"image/png, " + strconv.Itoa(len(pic)) + " byte",
			"Kvitto &#34;mars&#34; ÅÄÖ.pdf", "application/pdf, 1,5 kB",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("ticket page lacks %q", want)
			}
		}
	})

	tests := []struct {
		name, path          string
		status              int
		contentType         string
		disposition         string // prefix of Content-Disposition
		filenameStar        string
		body                []byte
		noDispositionSubstr string
	}{
		{name: "image download", path: "/attachments/" + itoa(int64(ids["skärm.png"])), status: 200,
			contentType: "image/png", disposition: `attachment; filename="sk_rm.png"`, filenameStar: "filename*=UTF-8''sk%C3%A4rm.png", body: pic},
		{name: "image inline", path: "/attachments/" + itoa(int64(ids["skärm.png"])) + "/inline", status: 200,
			contentType: "image/png", disposition: `inline; filename="sk_rm.png"`, body: pic},
		{name: "pdf with quotes and non-ASCII name", path: "/attachments/" + itoa(int64(ids[`Kvitto "mars" ÅÄÖ.pdf`])), status: 200,
			contentType: "application/pdf", disposition: `attachment; filename="Kvitto _mars_ ___.pdf"`,
			filenameStar: "filename*=UTF-8''Kvitto%20%22mars%22%20%C3%85%C3%84%C3%96.pdf", body: pdf},
		{name: "html is never served as html", path: "/attachments/" + itoa(int64(ids["sida.html"])), status: 200,
			contentType: "application/octet-stream", disposition: `attachment; filename="sida.html"`},
		{name: "text keeps its charset", path: "/attachments/" + itoa(int64(ids["logg.txt"])), status: 200,
			contentType: "text/plain; charset=iso-8859-1", disposition: "attachment;"},
		{name: "svg is octet-stream and the name loses path and CRLF",
			path: "/attachments/" + itoa(int64(ids["../../etc/passwd\r\nX-Evil: 1"])), status: 200,
			contentType: "application/octet-stream", disposition: `attachment; filename="passwdX-Evil: 1"`, noDispositionSubstr: "/"},
		{name: "pdf has no inline variant", path: "/attachments/" + itoa(int64(ids[`Kvitto "mars" ÅÄÖ.pdf`])) + "/inline", status: 404},
		{name: "svg has no inline variant", path: "/attachments/" + itoa(int64(ids["../../etc/passwd\r\nX-Evil: 1"])) + "/inline", status: 404},
		{name: "unknown id", path: "/attachments/999999", status: 404},
		{name: "bad id", path: "/attachments/abc", status: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := c.get(base + tc.path)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if tc.status != 200 {
				return
			}
			if got := res.Header.Get("Content-Type"); got != tc.contentType {
				t.Errorf("Content-Type %q, want %q", got, tc.contentType)
			}
			cd := res.Header.Get("Content-Disposition")
			if !strings.HasPrefix(cd, tc.disposition) {
				t.Errorf("Content-Disposition %q, want prefix %q", cd, tc.disposition)
			}
			if !strings.Contains(cd, "filename*=UTF-8''") || (tc.filenameStar != "" && !strings.Contains(cd, tc.filenameStar)) {
				t.Errorf("Content-Disposition %q lacks %q", cd, tc.filenameStar)
			}
			if tc.noDispositionSubstr != "" && strings.Contains(cd, tc.noDispositionSubstr) {
				t.Errorf("Content-Disposition %q contains %q", cd, tc.noDispositionSubstr)
			}
			if res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no X-Content-Type-Options: nosniff")
			}
			if tc.body != nil && res.body != string(tc.body) {
				t.Errorf("body differs: %d bytes, want %d", len(res.body), len(tc.body))
			}
		})
	}

	t.Run("another ticket's attachment is not served", func(t *testing.T) {
		for _, p := range []string{"", "/inline"} {
			path := ticketURL(other.Number) + "/attachments/" + itoa(int64(ids["skärm.png"])) + p
			if res := c.get(path); res.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", path, res.StatusCode)
			}
		}
	})
}

func TestMessageHTML(t *testing.T) {
	en := newEnv(t)
	tk := en.seedTicket("Formaterat mejl", models.StatusNew, models.CategoryHardware, "eva@corp.test", "Hej", nil)
	pic := testPNG(t, 4, 4)
	// Stored HTML is sanitised at intake; this one is not, as if the policy
	// had once let something through.
	const stored = `<p>Hej <b>IT</b></p><script>window.__xss=1</script><img src=x onerror="window.__xss=1">` +
		`<img src="cid:Logo%40eva" alt="logga"><img src="cid:saknas@eva"><img src="https://tracker.example/p.gif">` +
		`<a href="javascript:alert(1)">klick</a><iframe src="/tickets"></iframe>`
	msg := en.seedMail(tk, "Hej IT", stored,
		testFile{name: "logo.png", contentType: "image/png", contentID: "logo@eva", data: pic},
		testFile{name: "doc.pdf", contentType: "application/pdf", contentID: "saknas@eva", data: []byte("%PDF")})
	plain := en.seedMail(tk, "Bara text", "")
	other := en.seedTicket("Annat", models.StatusNew, models.CategoryOther, "bo@corp.test", "Hej", nil)
	c := en.client()
	c.login()
	htmlURL := messageHTMLURL(tk.Number, msg.ID)
	var signed string // the cid: picture's URL in the formatted view

	t.Run("served sanitised under its own policy", func(t *testing.T) {
		res := c.get(htmlURL)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d\n%s", res.StatusCode, res.body)
		}
		csp := res.Header.Get("Content-Security-Policy")
		for _, d := range []string{"default-src 'none'", "img-src 'self'", "style-src 'unsafe-inline'", "sandbox"} {
			if !strings.Contains(csp, d) {
				t.Errorf("CSP %q lacks %q", csp, d)
			}
		}
		if strings.Contains(csp, "script-src") || strings.Contains(csp, "allow-scripts") || strings.Contains(csp, "allow-same-origin") {
			t.Errorf("CSP %q allows scripts or the same origin", csp)
		}
		if xfo := res.Header.Get("X-Frame-Options"); xfo != "SAMEORIGIN" {
			t.Errorf("X-Frame-Options %q, want SAMEORIGIN (the ticket page frames it)", xfo)
		}
		body := strings.ToLower(res.body)
		for _, bad := range []string{"<script", "onerror", "javascript:", "<iframe", "cid:"} {
			if strings.Contains(body, bad) {
				t.Errorf("formatted view contains %q:\n%s", bad, res.body)
			}
		}
		if !strings.Contains(res.body, "<b>IT</b>") {
			t.Errorf("formatted view lost its formatting:\n%s", res.body)
		}
		srcs := regexp.MustCompile(`<img [^>]*src="([^"]*)"`).FindAllStringSubmatch(res.body, -1)
		if len(srcs) != 2 { // the cid: picture and the remote one (blocked by img-src 'self')
			t.Fatalf("%d pictures with a src, want 2:\n%s", len(srcs), res.body)
		}
		signed = html.UnescapeString(srcs[0][1])
		if u, err := url.Parse(signed); err != nil || u.Path != inlineURL(tk.Number, msg.Attachments[0].ID) {
			t.Errorf("cid: picture points at %q, want the inline route of attachment %d", signed, msg.Attachments[0].ID)
		}
	})
	// The frame's requests carry no session cookie (opaque origin), so its
	// picture URLs are signed; the signature opens that picture and no more.
	t.Run("signed picture URL", func(t *testing.T) {
		anon := en.client()
		u, _ := url.Parse(signed)
		q := u.Query()
		if res := anon.get(signed); res.StatusCode != http.StatusOK || res.body != string(pic) {
			t.Fatalf("signed URL without a session: %d, want 200 with the picture", res.StatusCode)
		}
		expired := strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10)
		h := &handler{urlKey: []byte("wrong key")}
		for name, p := range map[string]string{
			"tampered signature": u.Path + "?exp=" + q.Get("exp") + "&sig=" + strings.Repeat("0", 32),
			"later expiry":       u.Path + "?exp=" + strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10) + "&sig=" + q.Get("sig"),
			"other attachment":   inlineURL(tk.Number, msg.Attachments[1].ID) + "?" + u.RawQuery,
			"other ticket":       inlineURL(other.Number, msg.Attachments[0].ID) + "?" + u.RawQuery,
			"download route":     attachmentURL(tk.Number, msg.Attachments[0].ID) + "?" + u.RawQuery,
			"no signature":       u.Path,
			"other key":          h.signedInlineURL(tk.Number, msg.Attachments[0].ID, time.Now()),
			"expired":            u.Path + "?exp=" + expired + "&sig=" + h.inlineSignature(tk.Number, msg.Attachments[0].ID, expired),
		} {
			res := anon.get(p)
			if loc, _ := url.Parse(res.Header.Get("Location")); res.StatusCode != http.StatusSeeOther || loc == nil || loc.Path != "/login" {
				t.Errorf("%s: %d, want 303 to /login", name, res.StatusCode)
			}
		}
	})
	t.Run("only the ticket's messages with HTML", func(t *testing.T) {
		for _, p := range []string{messageHTMLURL(tk.Number, plain.ID), messageHTMLURL(other.Number, msg.ID), messageHTMLURL(tk.Number, 99999)} {
			if res := c.get(p); res.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", p, res.StatusCode)
			}
		}
	})
	t.Run("ticket page offers the formatted view in a sandboxed frame", func(t *testing.T) {
		body := c.get(ticketURL(tk.Number)).body
		frames := regexp.MustCompile(`<iframe [^>]*>`).FindAllString(body, -1)
		if len(frames) != 1 {
			t.Fatalf("%d iframes, want 1 (only the mail with HTML)", len(frames))
		}
		f := frames[0]
		if !strings.Contains(f, `src="`+htmlURL+`"`) || !strings.Contains(f, ` sandbox="`) ||
			strings.Contains(f, "allow-scripts") || strings.Contains(f, "allow-same-origin") {
			t.Errorf("iframe %s: want src %s and a sandbox without scripts or same origin", f, htmlURL)
		}
		if !strings.Contains(body, "<summary>"+en.cat.T("sv", "msg.show_formatted")+"</summary>") {
			t.Error("no Visa formaterat summary")
		}
		if !strings.Contains(body, `href="`+htmlURL+`"`) {
			t.Error("no plain link to the formatted view")
		}
	})
}

func TestQuotedHistory(t *testing.T) {
	en := newEnv(t)
	const quoted = "Den blinkar fortfarande.\n\nDen 3 mars 2025 skrev IT <helpdesk@desk.test>:\n> Har du startat om datorn?\n> /IT"
	tk := en.seedTicket("Blinkar", models.StatusOpen, models.CategoryHardware, "eva@corp.test", quoted, nil)
	c := en.client()
	c.login()
	body := c.get(ticketURL(tk.Number)).body
	first := regexp.MustCompile(`(?s)<pre class="msg-text">(.*?)</pre>`).FindAllStringSubmatch(body, -1)
	if len(first) != 2 {
		t.Fatalf("%d msg-text blocks, want 2 (stripped and full)", len(first))
	}
	if got := html.UnescapeString(first[0][1]); got != "Den blinkar fortfarande." {
		t.Errorf("shown text %q, want only what Eva wrote", got)
	}
	if got := html.UnescapeString(first[1][1]); got != quoted {
		t.Errorf("full text %q", got)
	}
	if !strings.Contains(body, "<summary>Visa hela meddelandet</summary>") {
		t.Error("no Visa hela meddelandet")
	}

	t.Run("no toggle when nothing is quoted", func(t *testing.T) {
		tk := en.seedTicket("Ny fråga", models.StatusNew, models.CategoryOther, "eva@corp.test", "Hur byter jag lösenord?", nil)
		if body := c.get(ticketURL(tk.Number)).body; strings.Contains(body, "msg-full") {
			t.Error("full-text toggle on a mail without history")
		}
	})
	t.Run("a mail that is only a forward is shown whole", func(t *testing.T) {
		fwd := "---------- Forwarded message ---------\nFrom: Bo <bo@corp.test>\nDate: 3 mars\n\nSkrivaren är trasig."
		tk := en.seedTicket("Fwd: Skrivaren", models.StatusNew, models.CategoryOther, "eva@corp.test", fwd, nil)
		body := c.get(ticketURL(tk.Number)).body
		if strings.Contains(body, "msg-full") || !strings.Contains(body, "Skrivaren är trasig.") {
			t.Error("forwarded content hidden")
		}
	})
}

func TestLinkAsset(t *testing.T) {
	en := newEnv(t)
	delivered := time.Now().AddDate(-1, 0, 0)
	a1 := en.seedAsset("PF2ABC12", delivered, "eva@corp.test")
	en.seedAsset("PF2XYZ99", delivered, "eva@corp.test")
	tk := en.seedTicket("Datorn startar inte", models.StatusNew, models.CategoryHardware, "eva@corp.test", "Den är död.", nil)
	c := en.client()
	c.login()
	path := ticketURL(tk.Number)
	tok := c.csrf(path)
	post := func(form url.Values) response {
		form.Set("_csrf", tok)
		return c.post(path+"/asset", form)
	}

	t.Run("suggestions have one-click buttons", func(t *testing.T) {
		body := c.get(path).body
		for _, s := range []string{"PF2ABC12", "PF2XYZ99"} {
			if !strings.Contains(body, `<input type="hidden" name="serial" value="`+s+`">`) {
				t.Errorf("no one-click form for %s", s)
			}
		}
		if !strings.Contains(body, `id="asset-serial"`) {
			t.Error("no serial input")
		}
	})
	t.Run("unknown serial is refused and kept", func(t *testing.T) {
		res := post(url.Values{"serial": {"NOPE123"}})
		if res.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d, want 400", res.StatusCode)
		}
		if !strings.Contains(res.body, en.cat.T("sv", "error.unknown_serial")) || !strings.Contains(res.body, `value="NOPE123"`) {
			t.Error("refused form lacks the reason or what was typed")
		}
	})
	t.Run("empty serial is refused, not an unlink", func(t *testing.T) {
		res := post(url.Values{"serial": {" - "}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, en.cat.T("sv", "error.serial_required")) {
			t.Fatalf("status %d, want 400 with %q", res.StatusCode, en.cat.T("sv", "error.serial_required"))
		}
	})
	t.Run("typed serial, any spelling", func(t *testing.T) {
		res := post(url.Values{"serial": {"pf-2abc 12"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != path {
			t.Fatalf("status %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), res.body)
		}
		got, err := en.store.TicketByNumber(context.Background(), tk.Number)
		if err != nil || got.AssetID == nil || *got.AssetID != a1.ID {
			t.Fatalf("ticket asset %v (%v), want %d", got.AssetID, err, a1.ID)
		}
		body := c.get(path).body
		if !strings.Contains(body, en.cat.T("sv", "flash.asset_linked")) || !strings.Contains(body, en.cat.T("sv", "ticket.asset_unlink")) {
			t.Error("no notice or no unlink button after linking")
		}
	})
	t.Run("one-click change to the other device", func(t *testing.T) {
		if res := post(url.Values{"serial": {"PF2XYZ99"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d", res.StatusCode)
		}
		if body := c.get(path).body; !strings.Contains(body, "PF2XYZ99") || !strings.Contains(body, "PF2ABC12 → PF2XYZ99") {
			t.Error("change not shown with its audit entry")
		}
	})
	t.Run("unlink", func(t *testing.T) {
		if res := post(url.Values{"unlink": {"1"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d", res.StatusCode)
		}
		got, _ := en.store.TicketByNumber(context.Background(), tk.Number)
		if got.AssetID != nil {
			t.Errorf("asset still linked: %d", *got.AssetID)
		}
		if !strings.Contains(c.get(path).body, en.cat.T("sv", "flash.asset_unlinked")) {
			t.Error("no notice after unlinking")
		}
	})
}

func TestIntakeReprocess(t *testing.T) {
	en := newEnv(t)
	ctx := context.Background()
	tk := en.seedTicket("Skärmen", models.StatusNew, models.CategoryHardware, "eva@corp.test", "Hej", nil)
	ids, err := en.store.RecordFetched(ctx, "INBOX", 7, []models.FetchedMail{
		{UID: 1, Raw: bytes.Repeat([]byte("a"), 2500), FromEmail: "eva@corp.test", Subject: "Skärmen"},
		{UID: 2, Raw: []byte("trasigt"), FromEmail: "bo@corp.test", Subject: "Trasigt", Outcome: models.OutcomeQuarantined, Reason: "parse: boom"},
	})
	if err != nil || len(ids) != 2 {
		t.Fatalf("record: %v %v", ids, err)
	}
	done := &models.IntakeRecord{ID: ids[0], Outcome: models.OutcomeCreated, Reason: "new ticket", TicketID: &tk.ID,
		FromEmail: "eva@corp.test", Subject: "Skärmen"}
	if err := en.store.FinishIntake(ctx, done); err != nil {
		t.Fatal(err)
	}
	c := en.client()
	c.login()
	body := c.get("/intake").body
	reprocess := "/intake/" + strconv.FormatUint(uint64(ids[1]), 10) + "/reprocess"
	if strings.Count(body, `action="/intake/`) != 1 || !strings.Contains(body, `action="`+reprocess+`"`) {
		t.Errorf("want one reprocess button, for the quarantined mail")
	}
	if !strings.Contains(body, `<a href="`+ticketURL(tk.Number)+`">#`+itoa(tk.Number)+`</a>`) {
		t.Error("no link to the mail's ticket")
	}
	if !strings.Contains(body, "2,5 kB") || !strings.Contains(body, "7 byte") {
		t.Error("raw mail sizes not shown")
	}

	tok := c.csrf("/intake")
	res := c.post(reprocess, url.Values{"_csrf": {tok}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/intake" {
		t.Fatalf("reprocess: %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), res.body)
	}
	if n := en.requeued.Load(); n != 1 {
		t.Errorf("OnIntakeRequeued called %d times, want 1", n)
	}
	rec, err := en.store.IntakeByID(ctx, ids[1])
	if err != nil || rec.Outcome != models.OutcomePending {
		t.Fatalf("record after reprocess: %+v %v", rec, err)
	}
	if !strings.Contains(c.get("/intake").body, en.cat.T("sv", "flash.reprocess_queued")) {
		t.Error("no notice after reprocess")
	}
	if res := c.post(reprocess, url.Values{"_csrf": {tok}}); res.StatusCode != http.StatusConflict ||
		!strings.Contains(res.body, en.cat.T("sv", "error.not_quarantined")) {
		t.Errorf("second reprocess: %d, want 409 with the reason", res.StatusCode)
	}
	if en.requeued.Load() != 1 {
		t.Error("processor woken for a refused reprocess")
	}
}

func TestIntakeBanner(t *testing.T) {
	en := newEnv(t)
	last := time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)
	c := en.client()
	c.login()
	want := "Inläsningen av e-post har misslyckats sedan 2025-03-14 10:30: intake failing: LOGIN failed &lt;b&gt;"
	tests := []struct {
		name   string
		health Health
		banner string // "" = no banner
	}{
		{"healthy", Health{OK: true, Checks: map[string]HealthCheck{"intake": {OK: true, LastSuccess: &last}}}, ""},
		{"no intake check", Health{OK: true, Checks: map[string]HealthCheck{"database": {OK: true}}}, ""},
		{"outbox failing only", Health{OK: false, Checks: map[string]HealthCheck{"outbox": {OK: false, Detail: "x"}}}, ""},
		{"intake failing", Health{OK: false, Checks: map[string]HealthCheck{"intake": {OK: false,
			Detail: "intake failing: LOGIN failed <b>", LastSuccess: &last}}}, want},
		{"intake never worked", Health{OK: false, Checks: map[string]HealthCheck{"intake": {OK: false,
			Detail: "cannot read intake state"}}}, "Inläsningen av e-post misslyckas: cannot read intake state"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			en.health = tc.health
			for _, p := range []string{"/tickets", "/intake", "/assets"} {
				body := c.get(p).body
				has := strings.Contains(body, `class="intake-alert"`)
				if has != (tc.banner != "") || (tc.banner != "" && !strings.Contains(body, tc.banner)) {
					t.Errorf("GET %s: banner shown %v, want %q", p, has, tc.banner)
				}
			}
		})
	}
	t.Run("not for visitors", func(t *testing.T) {
		en.health = tests[3].health
		if body := en.client().get("/login").body; strings.Contains(body, "intake-alert") {
			t.Error("banner on the login page")
		}
	})
}
