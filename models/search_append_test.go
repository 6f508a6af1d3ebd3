package models

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestIndexAppendedTextEqualsARebuild: appending a reply's text to a
// ticket's search row gives the row a rebuild from every message gives
// (the ticket holds only the requester's mails), whether the ticket's row
// is already stored or was written earlier in the same intake transaction.
func TestIndexAppendedTextEqualsARebuild(t *testing.T) {
	ctx := context.Background()
	// Quote stripping stands in for mailin.StripQuoted: the rebuild applies it to every message.
	strip := func(text string) string {
		var keep []string
		for _, l := range strings.Split(text, "\n") {
			if !strings.HasPrefix(l, ">") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	s, err := Open(ctx, Options{DSN: filepath.Join(t.TempDir(), "wd.db"), SearchText: strip})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	r, err := s.UpsertRequester(ctx, "eva@corp.test", "Eva", "sv")
	if err != nil {
		t.Fatal(err)
	}
	body := func(id uint) string {
		t.Helper()
		var b string
		if err := s.w.Raw("SELECT body FROM ticket_fts WHERE rowid = ?", id).Row().Scan(&b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	texts := []string{"Skärmen är svart.", "Nu blinkar den.\n> Skärmen är svart.", "Den är trasig igen.\n>> gammalt"}
	for _, sameTx := range []bool{false, true} {
		t.Run(map[bool]string{false: "stored row", true: "row of the same transaction"}[sameTx], func(t *testing.T) {
			tk := &Ticket{Subject: "Skärm", RequesterID: r.ID, Requester: *r, Status: StatusNew, Priority: "normal", Category: CategoryOther}
			add := func(tx *Store, text string) {
				t.Helper()
				if err := tx.AddMessage(ctx, &Message{TicketID: tk.ID, Direction: DirIn, Kind: KindEmail, Text: text}); err != nil {
					t.Fatal(err)
				}
			}
			err := s.Tx(ctx, func(tx *Store) error {
				dctx, d := WithDeferredWrites(ctx)
				if err := tx.CreateTicket(dctx, tk); err != nil {
					return err
				}
				add(tx, texts[0])
				if err := tx.IndexNewTicket(dctx, tk, []string{tx.SearchText(texts[0])}); err != nil {
					return err
				}
				if sameTx {
					add(tx, texts[1])
					if err := tx.IndexAppendedText(dctx, tk, tx.SearchText(texts[1])); err != nil {
						return err
					}
				}
				return d.Flush(dctx, tx)
			})
			if err != nil {
				t.Fatal(err)
			}
			rest := texts[1:]
			if sameTx {
				rest = texts[2:]
			}
			for _, text := range rest {
				add(s, text)
				if err := s.IndexAppendedText(ctx, tk, s.SearchText(text)); err != nil {
					t.Fatal(err)
				}
			}
			appended := body(tk.ID)
			if err := s.IndexTicket(ctx, tk.ID); err != nil {
				t.Fatal(err)
			}
			if rebuilt := body(tk.ID); appended != rebuilt {
				t.Errorf("appended row\n%q\nrebuilt row\n%q", appended, rebuilt)
			}
			if strings.Contains(appended, "gammalt") || !strings.Contains(appended, "trasig") {
				t.Errorf("row %q", appended)
			}
		})
	}
}
