package desk

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"warrantydesk/models"
)

// TestViewCountsAreNeverStaleAfterAWrite: the list's counts are cached,
// and every way of changing tickets — intake, the API, a status change, an
// assignment, a reply, a bulk change, a merge, a write by another process —
// shows in the very next count, without anyone forgetting the cache.
func TestViewCountsAreNeverStaleAfterAWrite(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	agent, err := f.desk.CreateAgent(ctx, "eva@kommun.test", "Eva", models.RoleAgent, "long enough password")
	if err != nil {
		t.Fatal(err)
	}
	counts := func() map[string]int64 {
		t.Helper()
		c, err := f.desk.ViewCounts(ctx, agent)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	expect := func(step string, want map[string]int64) {
		t.Helper()
		got := counts()
		for v, n := range want {
			if got[v] != n {
				t.Errorf("%s: view %s counts %d, want %d (all counts: %v)", step, v, got[v], n, got)
			}
		}
		if again := counts(); fmt.Sprint(again) != fmt.Sprint(got) {
			t.Errorf("%s: a second read differs: %v, then %v", step, got, again)
		}
	}
	expect("empty", map[string]int64{ViewAll: 0, ViewNew: 0})

	f.deliver(mailFrom("anna@kommun.test", "Skärmen är trasig", "Hej, skärmen flimrar."))
	expect("intake", map[string]int64{ViewAll: 1, ViewNew: 1, ViewUnassigned: 1})

	second, err := f.desk.CreateTicketAs(ctx, agent, NewTicket{Email: "olle@kommun.test", Subject: "Lösenord", Text: "Jag har glömt mitt lösenord."})
	if err != nil {
		t.Fatal(err)
	}
	expect("API ticket", map[string]int64{ViewAll: 2, ViewUnassigned: 2})

	first := second.Number - 1
	if err := f.desk.Assign(ctx, agent, first, agent.ID); err != nil {
		t.Fatal(err)
	}
	expect("assign", map[string]int64{ViewMine: 1, ViewUnassigned: 1})

	if err := f.desk.SetStatus(ctx, agent, first, models.StatusPending); err != nil {
		t.Fatal(err)
	}
	expect("status", map[string]int64{ViewPending: 1, ViewMine: 1})

	if err := f.desk.Reply(ctx, agent, first, "Vi tittar på det.", models.StatusResolved); err != nil {
		t.Fatal(err)
	}
	expect("reply resolving", map[string]int64{ViewPending: 0, ViewMine: 0, ViewResolved: 1})

	if _, err := f.desk.Bulk(ctx, agent, []int64{second.Number}, BulkAssign, "me"); err != nil {
		t.Fatal(err)
	}
	expect("bulk assign", map[string]int64{ViewMine: 1, ViewUnassigned: 0})

	third, err := f.desk.CreateTicketAs(ctx, agent, NewTicket{Email: "olle@kommun.test", Subject: "Lösenord igen", Text: "Samma sak."})
	if err != nil {
		t.Fatal(err)
	}
	expect("third ticket", map[string]int64{ViewAll: 3, ViewUnassigned: 1})
	admin, err := f.desk.CreateAgent(ctx, "boss@kommun.test", "Boss", models.RoleAdmin, "long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.desk.Merge(ctx, admin, third.Number, second.Number); err != nil {
		t.Fatal(err)
	}
	expect("merge closes the merged ticket", map[string]int64{ViewUnassigned: 0, ViewResolved: 2})

	// Another process (the CLI, say) changes the database file directly.
	other, err := models.Open(ctx, models.Options{DSN: f.path})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	before := counts()
	if err := other.UpdateTicket(ctx, f.ticket(second.Number).ID, map[string]any{"status": models.StatusAtVendor}); err != nil {
		t.Fatal(err)
	}
	expect("another process", map[string]int64{ViewAtVendor: before[ViewAtVendor] + 1})
}

// TestCachedReadsFollowWrites: the signed-in agent of a session and the
// agent list are cached, yet a logout, a role change and a new agent show
// at once.
func TestCachedReadsFollowWrites(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	admin, err := f.desk.CreateAgent(ctx, "boss@kommun.test", "Boss", models.RoleAdmin, "long enough password")
	if err != nil {
		t.Fatal(err)
	}
	eva, err := f.desk.CreateAgent(ctx, "eva@kommun.test", "Eva", models.RoleAgent, "long enough password")
	if err != nil {
		t.Fatal(err)
	}
	token, err := f.store.CreateSession(ctx, eva.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second read comes from the cache
		a, err := f.desk.AgentBySession(ctx, token)
		if err != nil || a.ID != eva.ID || a.Role != models.RoleAgent {
			t.Fatalf("session: %+v %v", a, err)
		}
	}
	if err := f.desk.SetAgentRole(ctx, admin, eva.ID, models.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if a, err := f.desk.AgentBySession(ctx, token); err != nil || a.Role != models.RoleAdmin {
		t.Errorf("after the role change: %+v %v, want role admin", a, err)
	}
	agents, err := f.desk.Agents(ctx)
	if err != nil || len(agents) != 2 {
		t.Fatalf("agents: %v %v", agents, err)
	}
	agents[0].Name = "changed by the caller" // callers get their own copy
	if again, err := f.desk.Agents(ctx); err != nil || again[0].Name != "Boss" {
		t.Errorf("the cached list changed with a caller's copy: %v %v", again, err)
	}
	if _, err := f.desk.CreateAgent(ctx, "olle@kommun.test", "Olle", models.RoleAgent, "long enough password"); err != nil {
		t.Fatal(err)
	}
	if agents, err = f.desk.Agents(ctx); err != nil || len(agents) != 3 || agents[0].Name != "Boss" {
		t.Errorf("agents after adding one: %v %v", agents, err)
	}
	if err := f.store.DeleteSession(ctx, token); err != nil {
		t.Fatal(err)
	}
	if a, err := f.desk.AgentBySession(ctx, token); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("after logout: %+v %v, want ErrNotFound", a, err)
	}
	expired, err := f.store.CreateSession(ctx, eva.ID, -time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.AgentBySession(ctx, expired); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("expired session: %v, want ErrNotFound", err)
	}
}
