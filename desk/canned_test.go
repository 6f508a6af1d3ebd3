package desk

import (
	"context"
	"errors"
	"slices"
	"testing"

	"warrantydesk/models"
)

func TestCannedReplyRules(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	agent, admin := f.agent(models.RoleAgent), f.agent(models.RoleAdmin)
	r, err := f.desk.CreateCannedReply(ctx, agent, CannedInput{Title: "  Lånedator  ", BodySV: "Hej {{name}}!"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Title != "Lånedator" || r.CreatedBy != agent.Email {
		t.Errorf("stored %+v", r)
	}
	tests := []struct {
		name   string
		in     CannedInput
		fields map[string]string
	}{
		{"no title", CannedInput{BodySV: "x"}, map[string]string{"title": "error.canned_title_required"}},
		{"title taken, any case", CannedInput{Title: "LÅNEDATOR", BodySV: "x"}, map[string]string{"title": "error.canned_title_taken"}},
		{"no body", CannedInput{Title: "Tom"}, map[string]string{"body_sv": "error.canned_body_required"}},
		{"unknown placeholder", CannedInput{Title: "Fel", BodySV: "ok {{ticket}}", BodyEN: "Hi {{namn}}"},
			map[string]string{"body_en": "error.canned_bad_placeholder"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.desk.CreateCannedReply(ctx, agent, tc.in)
			var verr *ValidationError
			if !errors.As(err, &verr) || len(verr.Fields) != len(tc.fields) {
				t.Fatalf("err %v, want fields %v", err, tc.fields)
			}
			for k, v := range tc.fields {
				if verr.Fields[k] != v {
					t.Errorf("field %s: %q, want %q", k, verr.Fields[k], v)
				}
			}
		})
	}
	// Editing keeps its own title without calling it taken.
	if err := f.desk.UpdateCannedReply(ctx, agent, r.ID, CannedInput{Title: "Lånedator", BodySV: "Hej!"}); err != nil {
		t.Errorf("update: %v", err)
	}
	if err := f.desk.DeleteCannedReply(ctx, agent, r.ID); !errors.Is(err, ErrForbidden) {
		t.Errorf("agent deletes: %v, want ErrForbidden", err)
	}
	if err := f.desk.DeleteCannedReply(ctx, admin, r.ID); err != nil {
		t.Errorf("admin deletes: %v", err)
	}
	if _, err := f.desk.CannedReply(ctx, r.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
}

func TestRenderCannedReplyInRequesterLanguage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.deliver(hardwareMail("Skärmen är sprucken")) // #1001, Anna Svensson, PF3KX2A1 delivered 2025-06-01
	agent := f.agent(models.RoleAgent)
	both, err := f.desk.CreateCannedReply(ctx, agent, CannedInput{Title: "Garanti",
		BodySV: "Hej {{name}}! #{{ticket}} {{subject}}: {{model}} {{serial}}, garanti t.o.m. {{warranty_end}}.",
		BodyEN: "Hi {{ Name }}! #{{ticket}}: covered until {{warranty_end}}."})
	if err != nil {
		t.Fatal(err)
	}
	onlyEN, err := f.desk.CreateCannedReply(ctx, agent, CannedInput{Title: "English only", BodyEN: "Hi {{name}}."})
	if err != nil {
		t.Fatal(err)
	}
	check := func(id uint, wantLang, wantText string) {
		t.Helper()
		got, err := f.desk.RenderCannedReply(ctx, id, 1001)
		if err != nil {
			t.Fatal(err)
		}
		if got.Lang != wantLang || got.Text != wantText {
			t.Errorf("got %s %q, want %s %q", got.Lang, got.Text, wantLang, wantText)
		}
	}
	check(both.ID, "sv", "Hej Anna Svensson! #1001 Skärmen är sprucken: ThinkPad T14 PF3KX2A1, garanti t.o.m. 2028-05-31.")
	check(onlyEN.ID, "en", "Hi Anna Svensson.")
	if err := f.store.UpdateTicket(ctx, f.ticket(1001).ID, map[string]any{"language": "en"}); err != nil {
		t.Fatal(err)
	}
	check(both.ID, "en", "Hi Anna Svensson! #1001: covered until 2028-05-31.")
	if _, err := f.desk.RenderCannedReply(ctx, both.ID, 4242); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown ticket: %v", err)
	}
}

// TestCannedRepliesFollowWrites: the canned replies are kept between
// writes, yet a created, edited or deleted reply shows at once; a caller
// changing its copy changes no one else's.
func TestCannedRepliesFollowWrites(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	agent, admin := f.agent(models.RoleAgent), f.agent(models.RoleAdmin)
	titles := func() []string {
		t.Helper()
		list, err := f.desk.CannedReplies(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range list {
			out = append(out, r.Title)
		}
		return out
	}
	if got := titles(); len(got) != 0 {
		t.Fatalf("replies before any: %v", got)
	}
	r, err := f.desk.CreateCannedReply(ctx, agent, CannedInput{Title: "Lånedator", BodySV: "Hej {{name}}!"})
	if err != nil {
		t.Fatal(err)
	}
	if got := titles(); !slices.Equal(got, []string{"Lånedator"}) {
		t.Errorf("after creating: %v", got)
	}
	list, _ := f.desk.CannedReplies(ctx)
	list[0].Title = "Ändrad av anroparen"
	if err := f.desk.UpdateCannedReply(ctx, agent, r.ID, CannedInput{Title: "Garantiinfo", BodySV: "Hej"}); err != nil {
		t.Fatal(err)
	}
	if got := titles(); !slices.Equal(got, []string{"Garantiinfo"}) {
		t.Errorf("after editing: %v", got)
	}
	if err := f.desk.DeleteCannedReply(ctx, admin, r.ID); err != nil {
		t.Fatal(err)
	}
	if got := titles(); len(got) != 0 {
		t.Errorf("after deleting: %v", got)
	}
}
