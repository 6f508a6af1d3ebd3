package handlers

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"warrantydesk/models"
)

// BenchmarkPages measures the CPU and allocations of one request of each
// busy page through the real router (session, CSRF, rendering), client
// included, on a small desk: a full list page of 50 rows, a ticket page and
// a ranked search with snippets. internal/benchdesk measures the same pages
// at 100 000 tickets under 50 concurrent clients.
//
//	go test -tags sqlite_fts5 -run '^$' -bench Pages -benchmem ./handlers
func BenchmarkPages(b *testing.B) {
	en := newEnv(b)
	statuses := []string{models.StatusNew, models.StatusOpen, models.StatusPending, models.StatusResolved}
	var last *models.Ticket
	for i := range 120 {
		text := strings.Repeat("hej jag har problem med skärmen som flimrar och batteriet laddar inte ", 8)
		last = en.seedTicket(fmt.Sprintf("Skärmen flimrar %d", i), statuses[i%len(statuses)], "hardware",
			fmt.Sprintf("user%d@corp.test", i%17), text, nil)
	}
	c := en.client()
	c.login()
	for _, p := range []struct{ name, path string }{
		{"list", "/tickets"},
		{"list-mine", "/tickets?view=mine"},
		{"ticket", fmt.Sprintf("/tickets/%d", last.Number)},
		{"search", "/tickets?q=skarm"},
		{"search-number", fmt.Sprintf("/tickets?q=%%23%d", last.Number)},
		{"healthz", "/healthz"},
	} {
		b.Run(p.name, func(b *testing.B) {
			if res := c.get(p.path); res.StatusCode != http.StatusOK {
				b.Fatalf("GET %s: %d", p.path, res.StatusCode)
			}
			b.ReportAllocs()
			for b.Loop() {
				c.get(p.path)
			}
		})
	}
}
