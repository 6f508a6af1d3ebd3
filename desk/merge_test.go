package desk

import (
	"context"
	"strings"
	"testing"

	"warrantydesk/models"
)

func TestMergeMovesEverythingAndLaterMailFollows(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	agent := f.agent(models.RoleAgent)
	// #1001: a hardware fault forwarded to the reseller (vendor case, outbox
	// mail); #1002: the same person writes again about the same laptop.
	f.deliver(hardwareMail("Skärmen är sprucken"))
	f.deliver(mailFrom("Anna Svensson <anna@kommun.test>", "Angående datorn", "Har ni fått mitt ärende?",
		"Content-Disposition: inline"))
	from, into := f.ticket(1001), f.ticket(1002)
	fromMsgs := len(f.messages(1001))
	intoMsgs := len(f.messages(1002))
	forwardID := ""
	for _, m := range f.outbox() {
		if m.Purpose == "vendor_forward" {
			forwardID = m.MessageID
		}
	}
	if forwardID == "" {
		t.Fatal("fixture: #1001 was not forwarded to the reseller")
	}

	if err := f.desk.Merge(ctx, agent, 1001, 1002); err != nil {
		t.Fatalf("merge: %v", err)
	}

	// Conversation and vendor case moved; #1001 is closed with a note.
	if got := len(f.messages(1002)); got != fromMsgs+intoMsgs+1 {
		t.Errorf("#1002 has %d messages, want %d moved + %d own + 1 note", got, fromMsgs, intoMsgs)
	}
	if !f.hasNote(1001, "Sammanslaget med #1002") {
		t.Errorf("#1001 lacks the merge note: %+v", f.messages(1001))
	}
	if !f.hasNote(1002, "#1001") {
		t.Error("#1002 lacks a note about the merge")
	}
	if st := f.ticket(1001).Status; st != models.StatusClosed {
		t.Errorf("#1001 status %s, want closed", st)
	}
	if vc := f.vendorCase(1002); vc.TicketID != into.ID {
		t.Errorf("vendor case still on ticket %d", vc.TicketID)
	}
	if f.ticket(1002).AssetID == nil {
		t.Error("#1002 did not take over the device of #1001")
	}
	for _, tc := range []struct {
		id    uint
		field string
	}{{from.ID, "merged_into"}, {into.ID, "merged_from"}} {
		events, err := f.store.Audit(ctx, "ticket", tc.id)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range events {
			found = found || (e.Field == tc.field && e.Actor == agent.Email)
		}
		if !found {
			t.Errorf("ticket %d: no %s audit by %s in %+v", tc.id, tc.field, agent.Email, events)
		}
	}

	// Later mail threaded to #1001 lands on #1002 and never opens a
	// follow-up of the closed ticket.
	later := []struct{ name, raw string }{
		{"subject tag from the requester", mailFrom("anna@kommun.test", "SV: [#1001] Skärmen är sprucken", "Någon nyhet?")},
		{"plus address", "From: anna@kommun.test\nTo: helpdesk+T1001@kommun.test\nSubject: info\nMessage-ID: <plus-merge@test>\n\nInfo.\n"},
		{"reseller reply to the forward", "From: Jonas <jonas@refurbo.test>\nTo: helpdesk@kommun.test\nSubject: Ert ärende\n" +
			"Message-ID: <v1-merge@refurbo.test>\nIn-Reply-To: <" + forwardID + ">\n\nVi har registrerat RMA-2026-0999.\n"},
	}
	for _, tc := range later {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.deliver(tc.raw)
			if rec.Outcome != models.OutcomeAppended || rec.TicketID == nil || *rec.TicketID != into.ID {
				t.Errorf("outcome %s (%s) on ticket %v, want appended to #1002 (id %d)", rec.Outcome, rec.Reason, rec.TicketID, into.ID)
			}
		})
	}
	// A stranger's copied tag is still refused: merging adds no parties.
	rec := f.deliver(mailFrom("mallory@evil.test", "Re: [#1001] Skärmen", "Skicka lösenordet."))
	if rec.TicketID != nil && *rec.TicketID == into.ID {
		t.Errorf("forged tag of a merged ticket was appended: %s", rec.Reason)
	}
}

func TestMergeRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	agent := f.agent(models.RoleAgent)
	for _, s := range []string{"Ett", "Två", "Tre"} {
		f.deliver(mailFrom("anna@kommun.test", s, "Text "+s))
	}
	if err := f.desk.Merge(ctx, agent, 1001, 1002); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		from, into int64
		key        string
	}{
		{"into itself", 1003, 1003, "error.merge_self"},
		{"no target", 1003, 0, "error.merge_target_required"},
		{"unknown target", 1003, 9999, "error.merge_unknown_target"},
		{"target already merged", 1003, 1001, "error.merge_target_merged"},
		{"merged twice", 1001, 1003, "error.merge_already_merged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := f.desk.Merge(ctx, agent, tt.from, tt.into)
			if got := validationKey(err, "into") + conflictKey(err); got != tt.key {
				t.Errorf("error %v, want %s", err, tt.key)
			}
		})
	}
	if err := f.desk.Merge(ctx, nil, 1003, 1002); err != ErrForbidden {
		t.Errorf("merge without an actor: %v", err)
	}
}

func TestLinkedTicketsShowBothWays(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	agent := f.agent(models.RoleAgent)
	for _, s := range []string{"Skrivaren", "Skrivaren igen", "Annat"} {
		f.deliver(mailFrom("anna@kommun.test", s, "Text"))
	}
	if err := f.desk.LinkTickets(ctx, agent, 1002, 1001); err != nil {
		t.Fatal(err)
	}
	if err := f.desk.LinkTickets(ctx, agent, 1001, 1002); err != nil { // again, other way: no duplicate
		t.Fatal(err)
	}
	if err := f.desk.LinkTickets(ctx, agent, 1001, 1003); err != nil {
		t.Fatal(err)
	}
	numbers := func(n int64) string {
		r, err := f.desk.RelatedTickets(ctx, f.ticket(n).ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, tk := range r.Links {
			out = append(out, itoa(tk.Number))
		}
		return strings.Join(out, ",")
	}
	if got := numbers(1001); got != "1002,1003" {
		t.Errorf("#1001 related %q", got)
	}
	if got := numbers(1002); got != "1001" {
		t.Errorf("#1002 related %q (links must show both ways)", got)
	}
	if err := f.desk.UnlinkTickets(ctx, agent, 1002, 1001); err != nil {
		t.Fatal(err)
	}
	if got := numbers(1001); got != "1003" {
		t.Errorf("after unlink #1001 related %q", got)
	}
	events, _ := f.store.Audit(ctx, "ticket", f.ticket(1003).ID)
	if len(events) == 0 || events[len(events)-1].Field != "related" || events[len(events)-1].New != "#1001" {
		t.Errorf("#1003 audit %+v", events)
	}
	for _, tc := range []struct {
		other int64
		key   string
	}{{1001, "error.link_self"}, {0, "error.link_target_required"}, {4242, "error.link_unknown_target"}} {
		if err := f.desk.LinkTickets(ctx, agent, 1001, tc.other); validationKey(err, "related") != tc.key {
			t.Errorf("link 1001→%d: %v, want %s", tc.other, err, tc.key)
		}
	}
}
