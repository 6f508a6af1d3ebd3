package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestSmallRun runs the benchmark end to end on a small database: seeding,
// the search index merge, log-in, every page under concurrent clients with
// and without writes, then again on the kept file. run fails when a request
// or a write fails, so this is the check that every measured page answers
// 200 under load and that the command itself keeps working.
func TestSmallRun(t *testing.T) {
	db := filepath.Join(t.TempDir(), "wd.db")
	args := []string{"-db", db, "-tickets", "300", "-messages", "2", "-clients", "8", "-requests", "120", "-write-every", "10ms"}
	var out bytes.Buffer
	if err := run(args, &out); err != nil {
		t.Fatalf("first run: %v\n%s", err, out.String())
	}
	first := out.String()
	if !strings.Contains(first, "seeded 300 tickets, 600 messages") {
		t.Errorf("first run did not seed 300 tickets with 600 messages:\n%s", first)
	}
	for _, page := range []string{"/healthz (baseline)", "list: default view, page 1", "list: mine", "list: overdue",
		"list: status+category, page 20", "ticket page", "search (page, ranked, snippets)", "search: ticket number"} {
		if n := strings.Count(first, page); n != 2 {
			t.Errorf("%q is in %d tables, want 2 (quiet, with writes):\n%s", page, n, first)
		}
	}
	if strings.Contains(first, " 0 writes in") || !strings.Contains(first, ", 0 failed") {
		t.Errorf("the writer wrote nothing or failed:\n%s", first)
	}

	out.Reset()
	if err := run(append(args, "-only", "search", "-write-every", "0"), &out); err != nil {
		t.Fatalf("second run: %v\n%s", err, out.String())
	}
	second := out.String()
	if strings.Contains(second, "seeded") || strings.Contains(second, "ticket page") || !strings.Contains(second, "search: ticket number") {
		t.Errorf("second run should reuse the file and measure only the searches:\n%s", second)
	}
}
