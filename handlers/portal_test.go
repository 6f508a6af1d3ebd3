package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"warrantydesk/desk"
	"warrantydesk/models"
)

// Vendor users of the portal tests: Vera works for Atea (the vendor of
// en.seedAsset), Otto for Refurbo AB.
const (
	veraEmail = "vera@atea.test"
	ottoEmail = "otto@refurbo.test"
)

// portalFixture is a desk with a case at Atea and one at Refurbo AB, and a
// vendor user for each.
type portalFixture struct {
	atea, refurbo *models.Ticket // tickets with a case at that vendor
	vera, otto    *models.Agent
	veraToken     string
	// secrets are texts on the Atea ticket a vendor must never see.
	secrets []string
	// attachment is a file of Atea's reply; otherFile one of the
	// requester's own mail.
	attachment, otherFile uint
}

// seedPortal forwards a ticket to Atea through the desk (a real vendor_out
// mail), adds Atea's reply with a file, an internal note and two requester
// mails (one with a photo), and records a case of another ticket at
// Refurbo AB.
func (en *env) seedPortal() *portalFixture {
	en.t.Helper()
	ctx := context.Background()
	f := &portalFixture{}
	f.atea = en.vendorTicket("PF2PORT1", time.Now().AddDate(-1, 0, 0))
	photo := en.seedMail(f.atea, "Här är en bild.", "", testFile{name: "skarm.jpg", contentType: "image/jpeg", data: []byte("\xff\xd8jpeg")})
	f.otherFile = photo.Attachments[0].ID
	if err := en.desk.ForwardToVendor(ctx, en.agent, f.atea.Number); err != nil {
		en.t.Fatalf("forward: %v", err)
	}
	f.secrets = []string{"INTERNAL-NOTE-7731", "REQUESTER-FOLLOWUP-5521"}
	if err := en.desk.AddNote(ctx, en.agent, f.atea.Number, "Intern: "+f.secrets[0]); err != nil {
		en.t.Fatal(err)
	}
	en.seedMail(f.atea, "Hur går det? "+f.secrets[1], "")
	sum, err := en.store.PutBlob(ctx, []byte("%PDF-1.4 offert"))
	if err != nil {
		en.t.Fatal(err)
	}
	reply := &models.Message{TicketID: f.atea.ID, Direction: models.DirIn, Kind: models.KindVendorIn, FromName: "Atea Service",
		FromEmail: "service@atea.test", Subject: "Re: Garantiärende", Text: "Vi har tagit emot ärendet. RMA-123456", CreatedAt: time.Now().UTC(),
		Attachments: []models.Attachment{{BlobSHA256: sum, Filename: "atea-kvitto.pdf", ContentType: "application/pdf", Size: 15, CreatedAt: time.Now().UTC()}}}
	if err := en.store.AddMessage(ctx, reply); err != nil {
		en.t.Fatal(err)
	}
	f.attachment = reply.Attachments[0].ID

	refurbo := &models.Vendor{Name: "Refurbo AB", Email: "cases@refurbo.test", WarrantyMonths: 24, TurnaroundDays: 5}
	if err := en.store.UpsertVendor(ctx, refurbo); err != nil {
		en.t.Fatal(err)
	}
	if refurbo, err = en.store.VendorByName(ctx, "Refurbo AB"); err != nil {
		en.t.Fatal(err)
	}
	f.refurbo = en.seedTicket("Tangentbordet glappar", models.StatusAtVendor, models.CategoryHardware, "olle@corp.test", "Hej", nil)
	now := time.Now().UTC()
	if err := en.store.SaveVendorCase(ctx, &models.VendorCase{TicketID: f.refurbo.ID, VendorID: refurbo.ID,
		State: models.CaseForwarded, ForwardedAt: &now}); err != nil {
		en.t.Fatal(err)
	}
	if err := en.store.AddMessage(ctx, &models.Message{TicketID: f.refurbo.ID, Direction: models.DirOut, Kind: models.KindVendorOut,
		To: "cases@refurbo.test", Subject: "Garantiärende", Text: "REFURBO-ONLY-9911", CreatedAt: now}); err != nil {
		en.t.Fatal(err)
	}

	if f.vera, err = en.desk.CreateUser(ctx, veraEmail, "Vera Atea", models.RoleVendor, "Atea", testPassword); err != nil {
		en.t.Fatal(err)
	}
	if f.otto, err = en.desk.CreateUser(ctx, ottoEmail, "Otto Refurbo", models.RoleVendor, "refurbo ab", testPassword); err != nil {
		en.t.Fatal(err)
	}
	if f.veraToken, err = en.store.CreateAPIToken(ctx, f.vera.ID, "test"); err != nil {
		en.t.Fatal(err)
	}
	return f
}

// loginAs is a browser logged in through the form as email; it checks where
// the login lands.
func (en *env) loginAs(email, wantLanding string) *client {
	en.t.Helper()
	c := en.client()
	tok := c.csrf("/login")
	res := c.post("/login", url.Values{"email": {email}, "password": {testPassword}, "_csrf": {tok}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != wantLanding {
		en.t.Fatalf("login as %s: %d to %q, want 303 to %s", email, res.StatusCode, res.Header.Get("Location"), wantLanding)
	}
	return c
}

func TestVendorPortal(t *testing.T) {
	en := newEnv(t)
	f := en.seedPortal()
	vera := en.loginAs(veraEmail, "/portal")
	caseURL := "/portal/cases/" + strconv.FormatInt(f.atea.Number, 10)
	otherURL := "/portal/cases/" + strconv.FormatInt(f.refurbo.Number, 10)

	t.Run("list shows only its own cases", func(t *testing.T) {
		res := vera.get("/portal")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET /portal: %d", res.StatusCode)
		}
		for _, want := range []string{caseURL, "PF2PORT1", "ThinkPad T14", "Skärmen är sprucken", en.tr("sv", "case_state.forwarded")} {
			if !strings.Contains(res.body, want) {
				t.Errorf("portal list lacks %q", want)
			}
		}
		for _, bad := range []string{otherURL, "Tangentbordet", `href="/tickets"`, `href="/reports"`, `href="/help"`} {
			if strings.Contains(res.body, bad) {
				t.Errorf("portal list shows %q", bad)
			}
		}
	})

	t.Run("case page shows the forward and the reply, nothing internal", func(t *testing.T) {
		res := vera.get(caseURL)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", caseURL, res.StatusCode)
		}
		// "skärmen på min dator är sprucken" is the fault as the forward quoted it.
		for _, want := range []string{"PF2PORT1", "skärmen på min dator är sprucken", "RMA-123456", "atea-kvitto.pdf",
			"service@atea.test", `name="_csrf"`, `name="state"`} {
			if !strings.Contains(res.body, want) {
				t.Errorf("case page lacks %q", want)
			}
		}
		// "för garantireparation" is the forward's system note (sys.forwarded).
		for _, bad := range append(f.secrets, "skarm.jpg", "REFURBO-ONLY-9911", "för garantireparation", "Här är en bild.") {
			if strings.Contains(res.body, bad) {
				t.Errorf("case page shows %q", bad)
			}
		}
		if res := vera.get(caseURL + "/attachments/" + strconv.FormatUint(uint64(f.attachment), 10)); res.StatusCode != http.StatusOK ||
			!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment;") {
			t.Errorf("forwarded file: %d %q, want 200 as a download", res.StatusCode, res.Header.Get("Content-Disposition"))
		}
		if res := vera.get(caseURL + "/attachments/" + strconv.FormatUint(uint64(f.otherFile), 10)); res.StatusCode != http.StatusNotFound {
			t.Errorf("a file of the requester's own mail: %d, want 404", res.StatusCode)
		}
	})

	t.Run("another vendor's case is not found", func(t *testing.T) {
		for _, path := range []string{otherURL, "/portal/cases/999999"} {
			if res := vera.get(path); res.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", path, res.StatusCode)
			}
		}
		tok := vera.csrf("/portal")
		res := vera.post(otherURL, url.Values{"_csrf": {tok}, "state": {models.CaseInRepair}, "comment": {"x"}})
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s: %d, want 404", otherURL, res.StatusCode)
		}
		c, err := en.store.VendorCaseForTicket(context.Background(), f.refurbo.ID)
		if err != nil || c.State != models.CaseForwarded {
			t.Errorf("Refurbo's case changed: %+v, %v", c, err)
		}
		// Otto sees his own case, not Atea's.
		otto := en.loginAs(ottoEmail, "/portal")
		if res := otto.get(otherURL); res.StatusCode != http.StatusOK || !strings.Contains(res.body, "REFURBO-ONLY-9911") {
			t.Errorf("Otto's own case: %d", res.StatusCode)
		}
		if res := otto.get(caseURL); res.StatusCode != http.StatusNotFound {
			t.Errorf("Otto on Atea's case: %d, want 404", res.StatusCode)
		}
	})

	t.Run("update needs CSRF", func(t *testing.T) {
		res := vera.post(caseURL, url.Values{"state": {models.CaseInRepair}})
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("POST without CSRF: %d, want 403", res.StatusCode)
		}
	})

	t.Run("update state, case number and comment", func(t *testing.T) {
		tok := vera.csrf(caseURL)
		res := vera.post(caseURL, url.Values{"_csrf": {tok}, "state": {models.CaseInRepair}, "case_ref": {"RMA-777001"},
			"comment": {"Skärmen byts, klar på fredag."}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != caseURL {
			t.Fatalf("POST %s: %d to %q\n%s", caseURL, res.StatusCode, res.Header.Get("Location"), res.body)
		}
		c, err := en.store.VendorCaseForTicket(context.Background(), f.atea.ID)
		if err != nil || c.State != models.CaseInRepair || c.CaseRef != "RMA-777001" {
			t.Fatalf("case after update: %+v, %v", c, err)
		}
		if page := vera.get(caseURL); !strings.Contains(page.body, "klar på fredag") || !strings.Contains(page.body, "RMA-777001") {
			t.Error("the vendor does not see its own comment and case number")
		}
		// The agent sees it on the ticket, attributed to the vendor user.
		agent := en.client()
		agent.login()
		page := agent.get("/tickets/" + strconv.FormatInt(f.atea.Number, 10))
		for _, want := range []string{"Skärmen byts, klar på fredag.", "Vera Atea", "RMA-777001", en.tr("sv", "case_state.in_repair")} {
			if !strings.Contains(page.body, want) {
				t.Errorf("ticket page lacks %q", want)
			}
		}
		events, err := en.store.Audit(context.Background(), "vendor_case", c.ID)
		if err != nil {
			t.Fatal(err)
		}
		fields := map[string]string{}
		for _, e := range events {
			fields[e.Field] = e.Actor
		}
		for _, field := range []string{"state", "case_ref", "comment"} {
			if fields[field] != veraEmail {
				t.Errorf("audit of %s by %q, want %s", field, fields[field], veraEmail)
			}
		}
	})

	t.Run("refused update keeps the input", func(t *testing.T) {
		tok := vera.csrf(caseURL)
		res := vera.post(caseURL, url.Values{"_csrf": {tok}, "state": {models.CaseForwarded}, "comment": {"tillbaka?"}})
		if res.StatusCode != http.StatusConflict || !strings.Contains(res.body, en.tr("sv", "error.case_state_backwards")) ||
			!strings.Contains(res.body, "tillbaka?") {
			t.Errorf("backwards state: %d", res.StatusCode)
		}
		res = vera.post(caseURL, url.Values{"_csrf": {tok}, "state": {models.CaseInRepair}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, en.tr("sv", "error.portal_nothing")) {
			t.Errorf("nothing to change: %d", res.StatusCode)
		}
	})

	t.Run("agent pages and API are closed to the vendor", func(t *testing.T) {
		for path, want := range map[string]int{"/": http.StatusSeeOther, "/tickets": http.StatusSeeOther,
			"/tickets/" + strconv.FormatInt(f.atea.Number, 10): http.StatusForbidden, "/assets": http.StatusForbidden,
			"/admin": http.StatusForbidden, "/api/ui/changes": http.StatusForbidden} {
			res := vera.get(path)
			if res.StatusCode != want || (want == http.StatusSeeOther && res.Header.Get("Location") != "/portal") {
				t.Errorf("GET %s: %d to %q, want %d", path, res.StatusCode, res.Header.Get("Location"), want)
			}
		}
		for _, path := range []string{"/api/v1/tickets", "/api/v1/tickets/" + strconv.FormatInt(f.atea.Number, 10), "/api/v1/assets", "/api/v1/intake"} {
			req, _ := http.NewRequest(http.MethodGet, en.srv.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+f.veraToken)
			if res := en.client().do(req); res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, `"error"`) {
				t.Errorf("vendor token on %s: %d %s, want 403 JSON", path, res.StatusCode, res.body)
			}
		}
	})

	t.Run("agents and admins cannot open the portal", func(t *testing.T) {
		agent := en.client()
		agent.login()
		for _, c := range []*client{agent, en.adminClient()} {
			for _, path := range []string{"/portal", caseURL} {
				if res := c.get(path); res.StatusCode != http.StatusForbidden {
					t.Errorf("staff GET %s: %d, want 403", path, res.StatusCode)
				}
			}
		}
	})

	t.Run("logout", func(t *testing.T) {
		tok := vera.csrf("/portal")
		if res := vera.post("/logout", url.Values{"_csrf": {tok}}); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
			t.Fatalf("logout: %d", res.StatusCode)
		}
		if res := vera.get("/portal"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Errorf("portal after logout: %d", res.StatusCode)
		}
	})
}

func TestCreateUserVendorRole(t *testing.T) {
	en := newEnv(t)
	en.seedAsset("PF2ROLE01", time.Now(), "") // vendor Atea
	ctx := context.Background()
	for _, tc := range []struct {
		name, role, vendor, field string
	}{
		{"vendor without vendor", models.RoleVendor, "", "vendor"},
		{"unknown vendor", models.RoleVendor, "Nobody AB", "vendor"},
		{"agent with vendor", models.RoleAgent, "Atea", "vendor"},
		{"admin with vendor", models.RoleAdmin, "Atea", "vendor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := en.desk.CreateUser(ctx, "x-"+tc.role+"@atea.test", "X", tc.role, tc.vendor, testPassword)
			verr, ok := err.(*desk.ValidationError)
			if !ok || verr.Fields[tc.field] == "" {
				t.Fatalf("err %v, want a validation error on %s", err, tc.field)
			}
		})
	}
	a, err := en.desk.CreateUser(ctx, "v@atea.test", "V", models.RoleVendor, "atea", testPassword)
	if err != nil || a.Role != models.RoleVendor || a.VendorID == nil {
		t.Fatalf("vendor user: %+v, %v", a, err)
	}
	if err := en.desk.SetAgentRole(ctx, &models.Agent{Email: "root@desk.test", Role: models.RoleAdmin}, a.ID, models.RoleAgent); err == nil {
		t.Error("a vendor user was turned into an agent (it would keep its vendor)")
	}
}

// samplePortal and samplePortalCase are the portal pages' data for
// TestTemplatesRender.
func samplePortal(at time.Time) portalListData {
	return portalListData{Vendor: "Atea", Rows: []portalRow{samplePortalRow(at)}}
}

func samplePortalRow(at time.Time) portalRow {
	return portalRow{Number: 1001, URL: "/portal/cases/1001", Subject: "Skärmen <b>", Serial: "PF2ABC12", Model: "ThinkPad T14",
		State: badge{"case-in_repair", "På reparation"}, CaseRef: "RMA-1", PaidRepair: true, Forwarded: &at,
		Due: "2025-03-24", Overdue: "Försenad"}
}

func samplePortalCase(at time.Time) portalCaseData {
	return portalCaseData{portalRow: samplePortalRow(at), Vendor: "Atea",
		Dates: []caseDate{{Label: "Skickat", At: &at}, {Label: "På reparation", Current: true}},
		Messages: []portalMessage{{Class: "msg-vendor-out", Kind: "Till er", From: "IT <it@desk.test>", To: "service@atea.test",
			Subject: "Garantiärende", Text: "Skärmen flimrar.", At: at,
			Attachments: []attachmentItem{{Name: "bild.jpg", Type: "image/jpeg", Size: "12 kB", URL: "/portal/cases/1001/attachments/9"}}}},
		FormURL: "/portal/cases/1001", StateOptions: []option{{Value: "in_repair", Label: "På reparation", Selected: true}},
		CaseRefInput: "RMA-2", Comment: "klar fredag", Errors: []string{"Välj en ny status."}}
}
