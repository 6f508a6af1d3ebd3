package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"warrantydesk/mailin"
	"warrantydesk/models"
)

// TestDemoRunsTheWholeLoop starts `warrantydesk demo` in-process and checks
// what a newcomer should see within the first minute.
func TestDemoRunsTheWholeLoop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *Demo, 1)
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- RunDemo(ctx, DemoOptions{Listen: "127.0.0.1:0", Out: &out, ResellerDelay: 300 * time.Millisecond,
			Ready: func(d *Demo) { ready <- d }})
	}()
	var d *Demo
	select {
	case d = <-ready:
	case err := <-done:
		t.Fatalf("demo stopped: %v", err)
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo: %v", err)
		}
	}()
	if !strings.Contains(out.String(), d.URL+"/login") || !strings.Contains(out.String(), d.Password) {
		t.Errorf("the demo must print its URL and login:\n%s", out.String())
	}
	store := d.App.Store
	bg := context.Background()

	// 14 seeded mails, 3 reseller answers (one per forward), 1 out-of-office.
	waitFor(t, "the seeded loop to settle", func() bool {
		recs := intakeOutcomes(t, store)
		return len(recs) == 18 && finished(recs) == 18
	})
	counts := map[string]int{}
	for _, r := range intakeOutcomes(t, store) {
		counts[r.Outcome]++
		if r.Outcome == models.OutcomeQuarantined {
			t.Errorf("demo mail quarantined: %s (%s)", r.Subject, r.Reason)
		}
	}
	if counts[models.OutcomeCreated] != 11 || counts[models.OutcomeIgnored] != 2 || counts[models.OutcomeAppended] != 5 {
		t.Errorf("outcomes %v, want 11 created, 2 ignored (newsletter, stray out-of-office), 5 appended", counts)
	}

	forwarded := 0
	for _, n := range []int64{1001, 1002, 1009} {
		tk, err := store.TicketByNumber(bg, n)
		if err != nil {
			t.Fatal(err)
		}
		vc, err := store.VendorCaseForTicket(bg, tk.ID)
		if err != nil {
			t.Errorf("#%d has no vendor case: %v", n, err)
			continue
		}
		if tk.Status != models.StatusAtVendor || vc.State != models.CaseAcknowledged || !strings.HasPrefix(vc.CaseRef, "RMA-") {
			t.Errorf("#%d: status %s, case %s %q", n, tk.Status, vc.State, vc.CaseRef)
		}
		forwarded++
	}
	// The English keyboard fault goes to a vendor without auto-forward; the old device is out of warranty.
	for _, n := range []int64{1003, 1004} {
		tk, _ := store.TicketByNumber(bg, n)
		if tk == nil || tk.Status != models.StatusNew || tk.Category != models.CategoryHardware {
			t.Errorf("#%d must stay with the desk as a new hardware ticket: %+v", n, tk)
		}
	}
	// The out-of-office answer to the Teams ticket is on it, and changed nothing.
	teams, _ := store.TicketByNumber(bg, 1006)
	msgs, _ := store.Messages(bg, teams.ID)
	auto := 0
	for _, m := range msgs {
		if m.AutoClass == mailin.ClassAutoReply {
			auto++
		}
	}
	if auto != 1 || teams.Status != models.StatusNew || teams.Category != models.CategorySoftware {
		t.Errorf("#1006: %d automatic messages, status %s, category %s", auto, teams.Status, teams.Category)
	}
	if got := len(d.App.resellerInbox()); got != 3 {
		t.Errorf("the reseller's inbox shows %d mails, want 3", got)
	}
	req, _ := http.NewRequest(http.MethodGet, d.URL+"/api/v1/tickets?status=at_vendor", nil)
	req.Header.Set("Authorization", "Bearer "+d.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Items []struct {
			Number int64 `json:"number"`
		} `json:"items"`
		Total int `json:"total"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || list.Total != 3 || len(list.Items) != 3 {
		t.Errorf("API list of tickets at the vendor: %+v (%v)", list, err)
	}
	resp.Body.Close()
	if !strings.Contains(out.String(), d.Token) {
		t.Error("the demo must print its API token")
	}
	resp, err = http.Get(d.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz = %d", resp.StatusCode)
	}
	resp, err = http.Get(d.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/login = %d", resp.StatusCode)
	}
}
