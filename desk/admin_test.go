package desk

import (
	"context"
	"errors"
	"testing"
	"time"

	"warrantydesk/models"
)

func TestAdminManagesAgents(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin := f.agent(models.RoleAdmin)
	plain := f.agent(models.RoleAgent)

	if _, _, err := f.desk.AddAgent(ctx, plain, "olle@kommun.test", "Olle", models.RoleAgent); !errors.Is(err, ErrForbidden) {
		t.Errorf("an agent added an agent: %v", err)
	}
	olle, password, err := f.desk.AddAgent(ctx, admin, "Olle@Kommun.test", "Olle", models.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	if len(password) != oneTimePasswordLength {
		t.Errorf("one-time password %q", password)
	}
	if _, err := f.desk.Login(ctx, "olle@kommun.test", password); err != nil {
		t.Errorf("login with the one-time password: %v", err)
	}
	if _, _, err := f.desk.AddAgent(ctx, admin, "olle@kommun.test", "Olle 2", models.RoleAgent); validationKey(err, "email") != "error.agent_exists" {
		t.Errorf("duplicate agent: %v", err)
	}
	if _, _, err := f.desk.AddAgent(ctx, admin, "x@kommun.test", "X", "boss"); validationKey(err, "role") != "error.bad_role" {
		t.Errorf("bad role: %v", err)
	}

	// Role changes; the last admin keeps the role.
	if err := f.desk.SetAgentRole(ctx, admin, olle.ID, models.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if err := f.desk.SetAgentRole(ctx, admin, olle.ID, models.RoleAgent); err != nil {
		t.Fatal(err)
	}
	if err := f.desk.SetAgentRole(ctx, admin, admin.ID, models.RoleAgent); conflictKey(err) != "error.last_admin" {
		t.Errorf("last admin demoted: %v", err)
	}
	if err := f.desk.SetAgentRole(ctx, plain, olle.ID, models.RoleAdmin); !errors.Is(err, ErrForbidden) {
		t.Errorf("an agent changed a role: %v", err)
	}

	// A reset password works, the old one does not, and sessions end.
	session, err := f.store.CreateSession(ctx, olle.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, fresh, err := f.desk.ResetAgentPassword(ctx, admin, olle.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fresh == password {
		t.Error("reset gave the same password")
	}
	if _, err := f.desk.Login(ctx, "olle@kommun.test", password); !errors.Is(err, ErrBadLogin) {
		t.Errorf("old password still works: %v", err)
	}
	if _, err := f.desk.Login(ctx, "olle@kommun.test", fresh); err != nil {
		t.Errorf("new password: %v", err)
	}
	if _, err := f.store.AgentBySession(ctx, session); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("session survived the reset: %v", err)
	}
	events, _ := f.store.Audit(ctx, "agent", olle.ID)
	if len(events) < 4 {
		t.Errorf("agent audit: %+v", events)
	}
}

func TestVendorStatsCountOpenAndOverdueCases(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.deliver(hardwareMail("Skärmen är sprucken"))
	stats, err := f.desk.VendorStats(ctx, f.now)
	if err != nil || len(stats) != 1 {
		t.Fatalf("stats %+v %v", stats, err)
	}
	if stats[0].OpenCases != 1 || stats[0].Overdue != 0 {
		t.Errorf("today: %+v", stats[0])
	}
	stats, _ = f.desk.VendorStats(ctx, f.now.AddDate(0, 0, 30))
	if stats[0].OpenCases != 1 || stats[0].Overdue != 1 {
		t.Errorf("a month later: %+v", stats[0])
	}
}
