package desk

import (
	"bytes"
	"context"
	"testing"
)

// FuzzImportAssets: any bytes as a delivery list give a summary whose counts
// match its row errors, and never a panic.
func FuzzImportAssets(f *testing.F) {
	f.Add([]byte("serial,model,vendor,delivered_on,warranty_months\nPF3KX2A1,T14,Refurbo AB,2025-01-01,36\n"))
	f.Add([]byte("Serial;Model\nabc-123;X\n;\n\"unterminated\n"))
	f.Add([]byte("\ufeffserial,warranty_ends_on\nX1,2027-02-30\n"))
	f.Add([]byte("serial,serial\n1,2\n"))
	fx := newFixture(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		sum, err := fx.desk.ImportAssets(context.Background(), bytes.NewReader(data), nil)
		if err != nil {
			return
		}
		if sum.Failed != len(sum.Errors) {
			t.Fatalf("failed %d but %d row errors", sum.Failed, len(sum.Errors))
		}
		for _, e := range sum.Errors {
			if e.Row < 1 || e.Msg == "" {
				t.Fatalf("row error without place or message: %+v", e)
			}
		}
	})
}
