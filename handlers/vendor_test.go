package handlers

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"warrantydesk/desk"
	"warrantydesk/models"
)

// Sample data of the reseller case, overdue, public status and canned reply
// pages for TestTemplatesRender.

func sampleVendorPanel(at time.Time) vendorPanel {
	return vendorPanel{ClaimBefore: "Reklamera före 2026-01-31", SLAPaused: "SLA pausad sedan 2025-03-14 10:30",
		CaseURL: "/tickets/1001/case", StateOptions: []option{{Value: "forwarded", Label: "Skickat", Selected: true}},
		CaseRef: "RMA-1", Comment: "Kvitto", FormOpen: true,
		Case: &casePanel{Vendor: "Atea", CaseRef: "ATEA-123", State: badge{"case-forwarded", "Skickat"}, PaidRepair: true,
			ExpectedBack: "2025-03-24", Overdue: "Försenat",
			Dates: []caseDate{{Label: "Skickat", At: &at, Current: true}, {Label: "Mottaget"}}}}
}

func sampleForwardPreview() forwardPreviewData {
	return forwardPreviewData{Number: 1001, TicketURL: "/tickets/1001", Subject: "Skärmen <b>", To: "Atea <service@atea.test>",
		MailSubject: "[#1001] Garantiärende", Body: "Hej Atea,\n<b>fel</b>", Attachments: []string{"bild.jpg"},
		Notice: "Enheten har garanti t.o.m. 2026-01-31.", Privacy: "Namnet tas bort.", Warranty: true, SendURL: "/tickets/1001/forward"}
}

func samplePublicStatus(at time.Time) publicStatusData {
	return publicStatusData{Found: true, Number: 1001, Subject: "Skärmen <b>", Status: "Hos återförsäljaren",
		CaseState: "Skickat", Summary: "Hos återförsäljaren sedan 14 mar.", AtVendorSince: "2025-03-14", ExpectedBack: "2025-03-24",
		BackOn: "2025-03-20", Updated: at}
}

func sampleOverdue(at time.Time) overdueData {
	return overdueData{
		SLA: []overdueTicketRow{{Number: 1001, URL: "/tickets/1001", Subject: "Skärmen <b>", Status: badge{"status-open", "Öppen"},
			Due: at, Late: "5 tim"}},
		Vendor: []overdueCaseRow{{Number: 1002, URL: "/tickets/1002", Subject: "Fläkten", Vendor: "Atea", CaseRef: "RMA-1",
			State: "Mottaget", PaidRepair: true, Forwarded: &at, Due: "2025-03-24", Late: "3 dagar"}},
		Claims: []claimDueRow{{Number: 1003, URL: "/tickets/1003", Subject: "Batteriet", Serial: "PF2ABC12", Model: "T14",
			Status: "Öppen", ClaimBefore: "2025-04-01", DaysLeft: "12 dagar"}},
	}
}

func sampleCannedList(at time.Time) cannedListData {
	return cannedListData{NewURL: "/canned/new", CanDelete: true, Rows: []cannedRow{{Title: "Lånedator <b>", Preview: "Hej {{name}}",
		Langs: "Svenska, English", UpdatedBy: "anna@desk.test", Updated: at, EditURL: "/canned/3", DeleteURL: "/canned/3/delete"}}}
}

func sampleCannedForm() cannedFormData {
	return cannedFormData{Action: "/canned/3", CancelURL: "/canned", DeleteURL: "/canned/3/delete",
		In:           desk.CannedInput{Title: "Lånedator", BodySV: "Hej {{name}}", BodyEN: "Hi {{foo}}"},
		Placeholders: "{{ticket}}, {{name}}", Errors: []string{"Okänd platshållare."}, Invalid: map[string]bool{"body_en": true}}
}

const (
	evaEmail = "eva.svensson@corp.test"
	evaName  = "Eva Svensson"
)

// vendorTicket stores a hardware ticket from Eva about a ThinkPad (vendor
// Atea: 36 months, 10 days turnaround) delivered on delivered.
func (en *env) vendorTicket(serial string, delivered time.Time) *models.Ticket {
	en.t.Helper()
	if _, err := en.store.UpsertRequester(context.Background(), evaEmail, evaName, "sv"); err != nil {
		en.t.Fatal(err)
	}
	asset := en.seedAsset(serial, delivered, evaEmail)
	return en.seedTicket("Skärmen är sprucken", models.StatusOpen, models.CategoryHardware, evaEmail,
		"Hej, skärmen på min dator är sprucken.\nHälsningar Eva Svensson", asset)
}

// outbox lists the queued mail, newest first.
func (en *env) outbox() []models.OutboxMail {
	en.t.Helper()
	list, _, err := en.store.ListOutbox(context.Background(), "", 100, 0)
	if err != nil {
		en.t.Fatal(err)
	}
	return list
}

func countPurpose(list []models.OutboxMail, purpose string) int {
	n := 0
	for _, m := range list {
		if m.Purpose == purpose {
			n++
		}
	}
	return n
}

// T is the catalog text as a page shows it (HTML-escaped).
func (en *env) tr(lang, key string, args ...any) string {
	return html.EscapeString(en.cat.T(lang, key, args...))
}

func TestForwardPreviewThenCaseStates(t *testing.T) {
	en := newEnv(t)
	tk := en.vendorTicket("PF2ABC12", time.Now().AddDate(-1, 0, 0))
	c := en.client()
	c.login()
	tURL := ticketURL(tk.Number)

	page := c.get(tURL)
	if !strings.Contains(page.body, `href="`+tURL+`/forward"`) || strings.Contains(page.body, `action="`+tURL+`/forward"`) {
		t.Fatalf("the ticket page should link to the preview, not post the forward:\n%s", page.body)
	}

	res := c.get(tURL + "/forward")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("preview: %d\n%s", res.StatusCode, res.body)
	}
	end := desk.WarrantyOf(mustAsset(t, en, "PF2ABC12"), time.Now()).EndsOn.Format(dayLayout)
	for _, want := range []string{"service@atea.test", "<pre", "PF2ABC12", en.tr("sv", "forward.preview_warranty", end),
		`action="` + tURL + `/forward"`, en.tr("sv", "forward.send"), en.tr("sv", "fwd.privacy_redacted")} {
		if !strings.Contains(res.body, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	if strings.Contains(res.body, "Svensson") || strings.Contains(res.body, `action="`+tURL+`/paid-repair"`) {
		t.Error("preview names the requester or offers a paid repair for a device under warranty")
	}
	if n := countPurpose(en.outbox(), "vendor_forward"); n != 0 {
		t.Fatalf("the preview queued %d mails", n)
	}

	tok := csrfRe.FindStringSubmatch(res.body)[1]
	if res := c.post(tURL+"/forward", url.Values{"_csrf": {tok}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("forward: %d\n%s", res.StatusCode, res.body)
	}
	if n := countPurpose(en.outbox(), "vendor_forward"); n != 1 {
		t.Fatalf("forward queued %d vendor mails, want 1", n)
	}

	page = c.get(tURL)
	due := time.Now().In(en.desk.Location()).AddDate(0, 0, 10).Format(dayLayout)
	for _, want := range []string{"<dt>" + en.tr("sv", "vcase.expected") + "</dt><dd>" + due, "SLA pausad", `action="` + tURL + `/case"`,
		en.tr("sv", "vcase.not_reached")} {
		if !strings.Contains(page.body, want) {
			t.Errorf("case panel lacks %q", want)
		}
	}
	if strings.Contains(page.body, `href="`+tURL+`/forward"`) {
		t.Error("a ticket with an open case still offers the forward")
	}

	// Forward: acknowledged with the reseller's case number.
	res = c.post(tURL+"/case", url.Values{"_csrf": {tok}, "state": {models.CaseAcknowledged},
		"case_ref": {"RMA-2026-0412"}, "comment": {"Kvitto från Atea"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("case state: %d\n%s", res.StatusCode, res.body)
	}
	page = c.get(tURL)
	if !strings.Contains(page.body, "RMA-2026-0412") || !strings.Contains(page.body, "Kvitto från Atea") ||
		!strings.Contains(page.body, en.tr("sv", "flash.case_state_saved")) {
		t.Errorf("after acknowledged: case number, comment note or notice missing")
	}
	ack := en.tr("sv", "case_state.acknowledged")
	if i := strings.Index(page.body, `<span class="actor">`+ack+`</span> <time>`); i < 0 {
		t.Errorf("the acknowledged state has no date on the panel")
	}

	// Backwards: refused, with the reason and what was typed.
	res = c.post(tURL+"/case", url.Values{"_csrf": {tok}, "state": {models.CaseForwarded}, "case_ref": {"X-9"}})
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("backwards: %d, want 409", res.StatusCode)
	}
	if !strings.Contains(res.body, en.tr("sv", "error.case_state_backwards")) || !strings.Contains(res.body, `value="X-9"`) {
		t.Errorf("backwards: reason or typed case number missing:\n%s", res.body)
	}
	if v, err := en.store.VendorCaseForTicket(context.Background(), tk.ID); err != nil || v.State != models.CaseAcknowledged || v.CaseRef != "RMA-2026-0412" {
		t.Errorf("refused change altered the case: %+v %v", v, err)
	}

	// A second preview while the case is open says why not.
	if res := c.get(tURL + "/forward"); res.StatusCode != http.StatusConflict || !strings.Contains(res.body, en.tr("sv", "error.forward_open_case")) {
		t.Errorf("preview with an open case: %d", res.StatusCode)
	}
}

func mustAsset(t *testing.T, en *env, serial string) *models.Asset {
	t.Helper()
	a, err := en.store.AssetBySerial(context.Background(), serial)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestForwardPreviewOutOfWarrantyOffersPaidRepair(t *testing.T) {
	en := newEnv(t)
	tk := en.vendorTicket("PC1M8QWE", time.Now().AddDate(-5, 0, 0))
	c := en.client()
	c.login()
	tURL := ticketURL(tk.Number)

	res := c.get(tURL + "/forward")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("preview: %d", res.StatusCode)
	}
	end := desk.WarrantyOf(mustAsset(t, en, "PC1M8QWE"), time.Now()).EndsOn.Format(dayLayout)
	for _, want := range []string{en.tr("sv", "forward.preview_out_of_warranty", end), `action="` + tURL + `/paid-repair"`,
		en.tr("sv", "forward.request_quote"), "Offertförfrågan"} {
		if !strings.Contains(res.body, want) {
			t.Errorf("out-of-warranty preview lacks %q", want)
		}
	}
	if strings.Contains(res.body, `action="`+tURL+`/forward"`) {
		t.Error("out-of-warranty preview offers the warranty claim")
	}
	tok := csrfRe.FindStringSubmatch(res.body)[1]
	if res := c.post(tURL+"/forward", url.Values{"_csrf": {tok}}); res.StatusCode != http.StatusConflict {
		t.Errorf("warranty claim out of warranty: %d, want 409", res.StatusCode)
	}
	if res := c.post(tURL+"/paid-repair", url.Values{"_csrf": {tok}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("paid repair: %d\n%s", res.StatusCode, res.body)
	}
	var quote *models.OutboxMail
	for _, m := range en.outbox() {
		if m.Purpose == "vendor_quote" {
			quote = &m
		}
	}
	if quote == nil || quote.Recipients != "service@atea.test" || !strings.Contains(quote.Subject, "Offertförfrågan") {
		t.Fatalf("quote request in the outbox: %+v", quote)
	}
	if n := countPurpose(en.outbox(), "vendor_forward"); n != 0 {
		t.Errorf("%d warranty claims queued for a device out of warranty", n)
	}
	page := c.get(tURL)
	if !strings.Contains(page.body, en.tr("sv", "vcase.paid_repair")) || !strings.Contains(page.body, en.tr("sv", "flash.paid_repair_requested")) {
		t.Error("the case panel does not mark the paid repair")
	}
}

func TestPublicStatusPage(t *testing.T) {
	en := newEnv(t)
	tk := en.vendorTicket("PF2ABC12", time.Now().AddDate(-1, 0, 0))
	if err := en.desk.ForwardToVendor(context.Background(), en.agent, tk.Number); err != nil {
		t.Fatal(err)
	}
	token := en.desk.StatusToken(tk.Number)
	anon := en.client()

	res := anon.get("/status/" + token)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status page: %d\n%s", res.StatusCode, res.body)
	}
	if got := res.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy %q", got)
	}
	if got := res.Header.Get("X-Robots-Tag"); !strings.Contains(got, "noindex") {
		t.Errorf("X-Robots-Tag %q", got)
	}
	for _, want := range []string{`lang="sv"`, "Skärmen är sprucken", en.tr("sv", "case_state.forwarded"), en.tr("sv", "status_public.expected_back")} {
		if !strings.Contains(res.body, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	for _, bad := range []string{"Eva", "Svensson", evaEmail, "corp.test", "Anna Agent", testEmail, "atea.test", `class="nav"`, "/logout", "/tickets"} {
		if strings.Contains(res.body, bad) {
			t.Errorf("status page shows %q", bad)
		}
	}

	// In the requester's language, whatever the visitor's cookie says.
	if err := en.store.UpdateTicket(context.Background(), tk.ID, map[string]any{"language": "en"}); err != nil {
		t.Fatal(err)
	}
	res = anon.get("/status/" + token)
	if !strings.Contains(res.body, `lang="en"`) || !strings.Contains(res.body, en.tr("en", "status_public.status")) ||
		!strings.Contains(res.body, en.tr("en", "case_state.forwarded")) {
		t.Errorf("English requester got:\n%s", res.body)
	}

	num, sig, _ := strings.Cut(token, ".")
	flip := "A"
	if strings.HasSuffix(sig, "A") {
		flip = "B"
	}
	other := strconv.FormatInt(tk.Number+1, 10)
	en.seedTicket("Annat ärende", models.StatusOpen, models.CategoryOther, "olle@corp.test", "x", nil)
	for name, bad := range map[string]string{
		"tampered signature": num + "." + sig[:len(sig)-1] + flip,
		"other ticket":       other + "." + sig,
		"no signature":       num,
		"garbage":            "..",
	} {
		res := anon.get("/status/" + url.PathEscape(bad))
		if res.StatusCode != http.StatusNotFound || !strings.Contains(res.body, en.tr("sv", "status_public.not_found_title")) {
			t.Errorf("%s: %d, want the 404 page", name, res.StatusCode)
		}
		if strings.Contains(res.body, "Skärmen") || strings.Contains(res.body, "Annat") {
			t.Errorf("%s: the 404 page shows a ticket", name)
		}
	}
}

func TestOverduePage(t *testing.T) {
	en := newEnv(t)
	ctx := context.Background()
	now := time.Now().UTC()

	late := en.seedTicket("Teams kraschar", models.StatusOpen, models.CategorySoftware, "bo@corp.test", "kraschar", nil)
	if err := en.store.UpdateTicket(ctx, late.ID, map[string]any{"sla_due_at": now.Add(-5 * time.Hour)}); err != nil {
		t.Fatal(err)
	}

	atVendor := en.vendorTicket("PF2ABC12", now.AddDate(-1, 0, 0))
	v, err := en.store.VendorByName(ctx, "Atea")
	if err != nil {
		t.Fatal(err)
	}
	forwarded := now.AddDate(0, 0, -13)
	vc := &models.VendorCase{TicketID: atVendor.ID, VendorID: v.ID, AssetID: atVendor.AssetID, State: models.CaseAcknowledged,
		CaseRef: "RMA-2026-0007", ForwardedAt: &forwarded, ReceivedAt: &forwarded}
	if err := en.store.SaveVendorCase(ctx, vc); err != nil {
		t.Fatal(err)
	}
	if err := en.store.UpdateTicket(ctx, atVendor.ID, map[string]any{"status": models.StatusAtVendor, "sla_paused_at": forwarded,
		"sla_due_at": forwarded.Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}

	// Warranty ends in nine days: 36 months from this delivery, minus one day.
	endingAsset := en.seedAsset("5CG2341XYZ", now.AddDate(-3, 0, 10), "olle@corp.test")
	claim := en.seedTicket("Batteriet sväller", models.StatusOpen, models.CategoryHardware, "olle@corp.test", "sväller", endingAsset)
	claimEnd := desk.WarrantyOf(mustAsset(t, en, "5CG2341XYZ"), now).EndsOn.Format(dayLayout)

	c := en.client()
	c.login()
	res := c.get("/overdue")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("overdue: %d\n%s", res.StatusCode, res.body)
	}
	if !strings.Contains(res.body, `href="/overdue" aria-current="page"`) {
		t.Error("no current nav link to /overdue")
	}
	sla, vendor, claims := sectionOf(res.body, "overdue-sla-h"), sectionOf(res.body, "overdue-vendor-h"), sectionOf(res.body, "overdue-claims-h")
	has := func(section string, tk *models.Ticket) bool {
		return strings.Contains(section, `href="`+ticketURL(tk.Number)+`"`)
	}
	if !has(sla, late) || has(sla, atVendor) || has(sla, claim) {
		t.Errorf("SLA section wrong:\n%s", sla)
	}
	if !strings.Contains(sla, en.tr("sv", "overdue.hours_late", 5)) {
		t.Errorf("SLA section lacks how late:\n%s", sla)
	}
	if !has(vendor, atVendor) || has(vendor, late) || !strings.Contains(vendor, "RMA-2026-0007") ||
		!strings.Contains(vendor, en.tr("sv", "overdue.days_late", 3)) {
		t.Errorf("vendor section wrong:\n%s", vendor)
	}
	if !has(claims, claim) || has(claims, late) || !strings.Contains(claims, en.tr("sv", "vcase.claim_before", claimEnd)) {
		t.Errorf("claims section wrong:\n%s", claims)
	}

	// The claim deadline shows on the ticket too.
	if page := c.get(ticketURL(claim.Number)); !strings.Contains(page.body, en.tr("sv", "vcase.claim_before", claimEnd)) {
		t.Error("ticket page lacks the claim deadline")
	}
	// And the overdue case on its ticket.
	due := forwarded.In(en.desk.Location()).AddDate(0, 0, 10).Format(dayLayout)
	if page := c.get(ticketURL(atVendor.Number)); !strings.Contains(page.body, en.tr("sv", "vendor.overdue", due)) {
		t.Error("ticket page lacks the reseller's delay")
	}
}

// sectionOf returns the <section> labelled by the heading with id.
func sectionOf(body, id string) string {
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</section>")
	if j < 0 {
		return body[i:]
	}
	return body[i : i+j]
}

func TestCannedReplies(t *testing.T) {
	en := newEnv(t)
	ctx := context.Background()
	svTicket := en.vendorTicket("PF2ABC12", time.Now().AddDate(-1, 0, 0))
	enTicket := en.seedTicket("Keyboard broken", models.StatusOpen, models.CategoryHardware, "john@corp.test", "broken", nil)
	if err := en.store.UpdateTicket(ctx, enTicket.ID, map[string]any{"language": "en"}); err != nil {
		t.Fatal(err)
	}
	c := en.client()
	c.login()
	tok := c.csrf("/canned")

	// Refused forms say why and keep what was typed.
	res := c.post("/canned", url.Values{"_csrf": {tok}, "title": {" "}, "body_sv": {"Hej {{namn}}"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad form: %d", res.StatusCode)
	}
	for _, want := range []string{en.tr("sv", "error.canned_title_required"), en.tr("sv", "error.canned_bad_placeholder"), "Hej {{namn}}"} {
		if !strings.Contains(res.body, want) {
			t.Errorf("refused form lacks %q", want)
		}
	}

	form := url.Values{"_csrf": {tok}, "title": {"Garantiinfo"},
		"body_sv": {"Hej {{name}}!\nÄrende {{ticket}} ({{subject}}): din {{model}} ({{serial}}) har garanti t.o.m. {{warranty_end}}."},
		"body_en": {"Hi {{name}}!\nTicket {{ticket}} ({{subject}}): your {{model}} ({{serial}}) is covered until {{warranty_end}}."}}
	if res := c.post("/canned", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", res.StatusCode, res.body)
	}
	if res := c.post("/canned", form); res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, en.tr("sv", "error.canned_title_taken")) {
		t.Errorf("duplicate title: %d", res.StatusCode)
	}
	replies, err := en.desk.CannedReplies(ctx)
	if err != nil || len(replies) != 1 {
		t.Fatalf("replies: %v %v", replies, err)
	}
	r := replies[0]
	if r.CreatedBy != testEmail || r.UpdatedBy != testEmail {
		t.Errorf("created by %q, updated by %q", r.CreatedBy, r.UpdatedBy)
	}
	id := strconv.FormatUint(uint64(r.ID), 10)

	list := c.get("/canned")
	if !strings.Contains(list.body, "Garantiinfo") || strings.Contains(list.body, `href="/canned/`+id+`/delete"`) {
		t.Errorf("agent's list: title missing or a delete link shown")
	}

	// Edit.
	edit := c.get("/canned/" + id)
	if !strings.Contains(edit.body, `value="Garantiinfo"`) {
		t.Fatalf("edit form:\n%s", edit.body)
	}
	form.Set("title", "Garanti")
	if res := c.post("/canned/"+id, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("update: %d\n%s", res.StatusCode, res.body)
	}

	// Insert without JavaScript: a GET of the ticket page fills the reply.
	page := c.get(ticketURL(svTicket.Number))
	if !strings.Contains(page.body, `method="get" action="`+ticketURL(svTicket.Number)+`#reply-text"`) ||
		!strings.Contains(page.body, `<option value="`+id+`">Garanti</option>`) {
		t.Fatalf("ticket page has no canned reply picker:\n%s", page.body)
	}
	end := desk.WarrantyOf(mustAsset(t, en, "PF2ABC12"), time.Now()).EndsOn.Format(dayLayout)
	wantSV := html.EscapeString("Hej " + evaName + "!\nÄrende " + strconv.FormatInt(svTicket.Number, 10) +
		" (Skärmen är sprucken): din ThinkPad T14 (PF2ABC12) har garanti t.o.m. " + end + ".")
	page = c.get(ticketURL(svTicket.Number) + "?canned=" + id)
	if !strings.Contains(page.body, `required>`+wantSV+`</textarea>`) {
		t.Errorf("Swedish prefill: want %q in\n%s", wantSV, page.body)
	}
	if !strings.Contains(page.body, `<option value="`+id+`" selected>`) {
		t.Error("the inserted reply is not selected in the picker")
	}
	wantEN := html.EscapeString("Hi john!\nTicket " + strconv.FormatInt(enTicket.Number, 10) +
		" (Keyboard broken): your  () is covered until .")
	page = c.get(ticketURL(enTicket.Number) + "?canned=" + id)
	if !strings.Contains(page.body, `required>`+wantEN+`</textarea>`) {
		t.Errorf("English prefill: want %q", wantEN)
	}
	if page := c.get(ticketURL(enTicket.Number) + "?canned=99999"); page.StatusCode != http.StatusOK ||
		!strings.Contains(page.body, en.tr("sv", "canned.not_found")) {
		t.Errorf("unknown canned reply: %d", page.StatusCode)
	}

	// Only admins delete.
	if res := c.get("/canned/" + id + "/delete"); res.StatusCode != http.StatusForbidden {
		t.Errorf("agent's delete page: %d, want 403", res.StatusCode)
	}
	if res := c.post("/canned/"+id+"/delete", url.Values{"_csrf": {tok}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("agent's delete: %d, want 403", res.StatusCode)
	}
	admin := en.adminClient()
	confirm := admin.get("/canned/" + id + "/delete")
	if confirm.StatusCode != http.StatusOK || !strings.Contains(confirm.body, "Garanti") {
		t.Fatalf("admin's delete page: %d", confirm.StatusCode)
	}
	atok := csrfRe.FindStringSubmatch(confirm.body)[1]
	if res := admin.post("/canned/"+id+"/delete", url.Values{"_csrf": {atok}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin's delete: %d", res.StatusCode)
	}
	if page := c.get(ticketURL(svTicket.Number)); strings.Contains(page.body, `">Garanti</option>`) {
		t.Error("deleted canned reply still offered")
	}
	if res := admin.post("/canned/"+id+"/delete", url.Values{"_csrf": {atok}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("deleting again: %d, want 404", res.StatusCode)
	}
}
