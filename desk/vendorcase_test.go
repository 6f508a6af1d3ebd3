package desk

import (
	"context"
	"strings"
	"testing"
	"time"

	"warrantydesk/models"
)

func TestCaseStateTransitionsRecordDatesAuditAndEffects(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	eva := f.agent(models.RoleAgent)
	f.deliver(hardwareMail("Skärmen är sprucken"))
	t0 := f.now
	c := f.vendorCase(1001)
	if c.State != models.CaseForwarded || !sameTime(c.ForwardedAt, t0) || c.ForwardMessageID == "" {
		t.Fatalf("after the forward: state %s forwarded %v message %q", c.State, c.ForwardedAt, c.ForwardMessageID)
	}
	if a := f.ticket(1001).Asset; a.State != models.AssetAtVendor {
		t.Errorf("device state after the forward: %s, want at_vendor", a.State)
	}

	steps := []struct {
		name, state, ref string
		wantErr          string // conflict or validation key
		at               func(*models.VendorCase) *time.Time
	}{
		{"acknowledged with the vendor's number", models.CaseAcknowledged, "RMA-2026-0001", "", func(c *models.VendorCase) *time.Time { return c.ReceivedAt }},
		{"in repair", models.CaseInRepair, "", "", func(c *models.VendorCase) *time.Time { return c.InRepairAt }},
		{"back to an earlier state is refused", models.CaseAcknowledged, "", "error.case_state_backwards", nil},
		{"the same state again is refused", models.CaseInRepair, "", "error.case_state_same", nil},
		{"an unknown state is refused", "lost", "", "error.bad_case_state", nil},
		{"shipped back", models.CaseShippedBack, "", "", func(c *models.VendorCase) *time.Time { return c.ReturnedAt }},
		{"closed", models.CaseClosed, "", "", func(c *models.VendorCase) *time.Time { return c.ClosedAt }},
		{"nothing after closed", models.CaseClosed, "", "error.case_closed", nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			f.now = f.now.Add(24 * time.Hour)
			err := f.desk.SetCaseState(ctx, eva, 1001, st.state, st.ref, "Kommentar: "+st.name)
			if st.wantErr != "" {
				if got := conflictKey(err) + validationKey(err, "state"); got != st.wantErr {
					t.Fatalf("error %v, want %s", err, st.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := f.vendorCase(1001)
			if c.State != st.state || !sameTime(st.at(c), f.now) || !sameTime(c.StateAt(st.state), f.now) {
				t.Errorf("state %s date %v, want %s at %s", c.State, st.at(c), st.state, f.now)
			}
			if !f.hasNote(1001, "Kommentar: "+st.name) {
				t.Error("no system note with the comment")
			}
		})
	}

	c = f.vendorCase(1001)
	if c.CaseRef != "RMA-2026-0001" || c.RepairedAt == nil {
		t.Errorf("case ref %q repaired %v", c.CaseRef, c.RepairedAt)
	}
	events, err := f.store.Audit(ctx, "vendor_case", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, e := range events {
		if e.Field == "state" {
			if e.Actor != eva.Email {
				t.Errorf("audit actor %q", e.Actor)
			}
			trail = append(trail, e.Old+"→"+e.New)
		}
	}
	want := "forwarded→acknowledged acknowledged→in_repair in_repair→shipped_back shipped_back→closed"
	if strings.Join(trail, " ") != want {
		t.Errorf("audit trail %v, want %s", trail, want)
	}
	// shipped_back brought the device and the ticket back.
	tk := f.ticket(1001)
	if tk.Status != models.StatusOpen || tk.Asset.State != models.AssetInUse {
		t.Errorf("after shipped_back: ticket %s, device %s", tk.Status, tk.Asset.State)
	}
	if !f.hasNote(1001, "Tillbaka från reparation") {
		t.Error("no back-from-repair note")
	}
	if err := f.desk.SetCaseState(ctx, eva, 4242, models.CaseClosed, "", ""); err != ErrNotFound {
		t.Errorf("unknown ticket: %v", err)
	}
	f.deliver(mailFrom("bo@kommun.test", "Teams kraschar", "Teams kraschar hela tiden."))
	if err := f.desk.SetCaseState(ctx, eva, 1002, models.CaseAcknowledged, "", ""); conflictKey(err) != "error.no_vendor_case" {
		t.Errorf("ticket without a case: %v", err)
	}
}

func TestClosingAnOpenCaseReturnsTheDeviceAndReopens(t *testing.T) {
	f := newFixture(t)
	f.deliver(hardwareMail("Skärmen"))
	if err := f.desk.SetCaseState(context.Background(), f.agent(models.RoleAgent), 1001, models.CaseClosed, "", "Avböjt: fuktskada"); err != nil {
		t.Fatal(err)
	}
	tk := f.ticket(1001)
	if tk.Status != models.StatusOpen || tk.Asset.State != models.AssetInUse || f.vendorCase(1001).ClosedAt == nil {
		t.Errorf("ticket %s device %s", tk.Status, tk.Asset.State)
	}
	if got := f.sent("notify"); len(got) != 0 {
		t.Errorf("a declined case told the requester it was repaired: %v", got[0].Subject)
	}
}

func TestSuggestedCaseState(t *testing.T) {
	tests := []struct {
		name, text, cur, want string
	}{
		{"shipped back, Swedish", "Hej! Enheten är lagad och skickad tillbaka idag.", models.CaseAcknowledged, models.CaseShippedBack},
		{"shipped, English", "The unit has been repaired and shipped today.", models.CaseInRepair, models.CaseShippedBack},
		{"in repair", "Datorn är nu under reparation.", models.CaseAcknowledged, models.CaseInRepair},
		{"not yet shipped", "Enheten har inte skickats tillbaka ännu.", models.CaseAcknowledged, ""},
		{"hasn't been shipped", "It hasn't been shipped yet.", models.CaseAcknowledged, ""},
		{"future", "The unit will be shipped tomorrow.", models.CaseInRepair, ""},
		{"Swedish future", "Den ska vara returnerad på fredag.", models.CaseInRepair, ""},
		{"only earlier states", "Vi har mottagit enheten.", models.CaseInRepair, ""},
		{"word inside another word", "Oskickad tillbakablick", models.CaseForwarded, ""},
		{"nothing", "Tack för ert mejl.", models.CaseForwarded, ""},
		{"received", "We have received the laptop.", models.CaseForwarded, models.CaseAcknowledged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, phrase := suggestedCaseState(tt.text, tt.cur); got != tt.want {
				t.Errorf("suggested %q (%q), want %q", got, phrase, tt.want)
			}
		})
	}
}

func TestVendorReplySuggestsButNeverSetsTheState(t *testing.T) {
	f := newFixture(t)
	f.deliver(hardwareMail("Skärmen är sprucken"))
	fwd := f.vendorCase(1001).ForwardMessageID
	f.deliver("From: jonas@refurbo.test\nTo: helpdesk@kommun.test\nSubject: Ert ärende\nMessage-ID: <v1@refurbo.test>\n" +
		"In-Reply-To: <" + fwd + ">\n\nEnheten är lagad och skickad tillbaka idag. RMA-2026-0412\n")
	c := f.vendorCase(1001)
	if c.State != models.CaseAcknowledged {
		t.Errorf("state %s: a vendor mail may only acknowledge", c.State)
	}
	if !f.hasNote(1001, "Förslag") || !f.hasNote(1001, "skickad tillbaka") {
		t.Errorf("no suggestion note: %+v", f.messages(1001))
	}
}

func TestOutOfWarrantyPreviewOffersPaidRepair(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	eva := f.agent(models.RoleAgent)
	f.deliver(mailFrom("Bo <bo@kommun.test>", "Batteriet", "Batteriet laddar inte, datorn är trasig. S/N pc1m8qwe"))
	before := len(f.outbox())

	p, err := f.desk.PreviewForward(ctx, 1001)
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != PreviewPaidRepair || p.UnderWarranty || !p.WarrantyKnown || p.NoticeKey != "forward.preview_out_of_warranty" ||
		p.WarrantyEndsOn.Format("2006-01-02") != "2025-01-09" {
		t.Errorf("preview %+v", p)
	}
	if p.To.Address != "garanti@refurbo.test" || !strings.Contains(p.Subject, "Offertförfrågan: reparation utanför garanti") ||
		!strings.Contains(p.Body, "Batteriet laddar inte") {
		t.Errorf("preview mail: to %s subject %q", p.To.Address, p.Subject)
	}
	if len(f.outbox()) != before {
		t.Error("a preview sent mail")
	}
	if err := f.desk.ForwardToVendor(ctx, eva, 1001); conflictKey(err) != "error.forward_out_of_warranty" {
		t.Errorf("warranty forward of an expired device: %v", err)
	}

	if err := f.desk.RequestPaidRepair(ctx, eva, 1001); err != nil {
		t.Fatal(err)
	}
	quotes := f.sent("vendor_quote")
	if len(quotes) != 1 || quotes[0].Recipients != "garanti@refurbo.test" {
		t.Fatalf("quote mails %+v", quotes)
	}
	q := quotes[0].parsed
	if !strings.Contains(q.Subject, "[#1001] Offertförfrågan: reparation utanför garanti") || !strings.Contains(q.Text, "INTE omfattas av garantin") ||
		strings.Contains(q.Subject, "Garantiärende") {
		t.Errorf("quote mail %q\n%s", q.Subject, q.Text)
	}
	if len(f.sent("vendor_forward")) != 0 {
		t.Error("a warranty claim was sent for an expired device")
	}
	c := f.vendorCase(1001)
	if !c.PaidRepair || c.State != models.CaseForwarded || c.ForwardMessageID != quotes[0].MessageID {
		t.Errorf("case %+v", c)
	}
	if f.ticket(1001).Status != models.StatusAtVendor || !f.hasNote(1001, "Offertförfrågan") {
		t.Errorf("ticket %s", f.ticket(1001).Status)
	}
	if err := f.desk.RequestPaidRepair(ctx, eva, 1001); conflictKey(err) != "error.forward_open_case" {
		t.Errorf("second request: %v", err)
	}

	// A device under warranty previews as a claim and refuses the paid path.
	f.deliver(mailFrom("Cia <cia@kommun.test>", "Tangentbord", "Tangentbordet är trasigt. Serienr 5CG2341XYZ"))
	_ = f.desk.SetCaseState(ctx, eva, 1002, models.CaseClosed, "", "") // auto-forwarded: close to preview again
	p, err = f.desk.PreviewForward(ctx, 1002)
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != PreviewWarranty || !p.UnderWarranty || !strings.Contains(p.Subject, "Garantiärende") {
		t.Errorf("in-warranty preview %+v", p)
	}
	if err := f.desk.RequestPaidRepair(ctx, eva, 1002); conflictKey(err) != "error.paid_repair_under_warranty" {
		t.Errorf("paid repair under warranty: %v", err)
	}
}

func TestVendorLearnsOnlyTheDepartmentUnlessConfigured(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	csv := "serial,asset_tag,model,vendor,delivered_on,assigned_to,department\nPF3KX2A1,KOM-00017,ThinkPad T14,Refurbo AB,2025-06-01,anna@kommun.test,Skola Norr\n"
	if sum, err := f.desk.ImportAssets(ctx, strings.NewReader(csv), nil); err != nil || sum.Failed > 0 {
		t.Fatalf("import: %v %v", err, sum.Errors)
	}
	f.deliver(hardwareMail("Skärmen är sprucken"))
	fwd := f.sent("vendor_forward")
	if len(fwd) != 1 {
		t.Fatalf("%d forwards", len(fwd))
	}
	body := fwd[0].parsed.Text
	for _, personal := range []string{"Anna", "Svensson", "anna@kommun.test"} {
		if strings.Contains(body, personal) {
			t.Errorf("the vendor got %q:\n%s", personal, body)
		}
	}
	if !strings.Contains(body, "Skola Norr") || !strings.Contains(body, "Skärmen är sprucken") || !strings.Contains(body, "[borttaget]") {
		t.Errorf("forward lacks the department or the fault:\n%s", body)
	}

	f.desk.opt.VendorShareRequester = true
	if err := f.desk.SetCaseState(ctx, f.agent(models.RoleAgent), 1001, models.CaseClosed, "", ""); err != nil {
		t.Fatal(err)
	}
	p, err := f.desk.PreviewForward(ctx, 1001)
	if err != nil {
		t.Fatal(err)
	}
	if !p.SharesRequester || !strings.Contains(p.Body, "Anna Svensson <anna@kommun.test>") {
		t.Errorf("sharing configured, yet:\n%s", p.Body)
	}
}
