package desk

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"warrantydesk/mailin"
	"warrantydesk/models"
)

// assetColumns are the header names of a delivery list (DESIGN.md); the
// order in the file is free.
var assetColumns = []string{"serial", "asset_tag", "model", "manufacturer", "vendor", "delivered_on",
	"warranty_months", "warranty_ends_on", "assigned_to", "department"}

// RowError is one rejected CSV row.
type RowError struct {
	Row    int    // 1-based line of the file, the header being row 1
	Column string // "" when the whole row is wrong
	Msg    string
}

func (e RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("row %d: %s", e.Row, e.Msg)
	}
	return fmt.Sprintf("row %d column %q: %s", e.Row, e.Column, e.Msg)
}

// ImportSummary is the result of an asset import.
type ImportSummary struct {
	Imported int
	Updated  int
	Failed   int
	Errors   []RowError
}

// String is the summary line of the import command.
func (s ImportSummary) String() string {
	return fmt.Sprintf("imported %d, updated %d, failed %d", s.Imported, s.Updated, s.Failed)
}

// ImportAssets reads a reseller's delivery list and upserts every good row
// by normalised serial; bad rows are reported with row and column and change
// nothing. Comma- and semicolon-separated files (Excel in Swedish) are both read.
// progress, when not nil, is called every 500 rows.
func (s *Service) ImportAssets(ctx context.Context, r io.Reader, progress func(rows int)) (ImportSummary, error) {
	var sum ImportSummary
	data, err := io.ReadAll(io.LimitReader(r, 200<<20))
	if err != nil {
		return sum, fmt.Errorf("read CSV: %w", err)
	}
	text := strings.TrimPrefix(string(data), "\ufeff")
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma = sniffDelimiter(text)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return sum, fmt.Errorf("read CSV header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		name = strings.ReplaceAll(name, " ", "_")
		if _, dup := col[name]; dup {
			return sum, fmt.Errorf("CSV header: column %q appears twice", name)
		}
		col[name] = i
	}
	if _, ok := col["serial"]; !ok {
		return sum, fmt.Errorf("CSV header: required column \"serial\" is missing (found: %s)", strings.Join(header, ", "))
	}
	var unknown []string
	for name := range col {
		if !slices.Contains(assetColumns, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		return sum, fmt.Errorf("CSV header: unknown column(s) %s (known: %s)", strings.Join(unknown, ", "), strings.Join(assetColumns, ", "))
	}
	vendors, err := s.store.ListVendors(ctx)
	if err != nil {
		return sum, err
	}
	seen := map[string]int{}
	row := 1
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		row++
		if progress != nil && row%500 == 0 {
			progress(row - 1)
		}
		if err != nil {
			var perr *csv.ParseError
			if errors.As(err, &perr) {
				row = perr.Line
			}
			sum.fail(RowError{Row: row, Msg: "unreadable CSV: " + err.Error()})
			continue
		}
		if blankRow(rec) {
			continue
		}
		a, rerr := parseAssetRow(rec, col, row, vendors)
		if rerr != nil {
			sum.fail(*rerr)
			continue
		}
		if first, dup := seen[a.Serial]; dup {
			sum.fail(RowError{Row: row, Column: "serial", Msg: fmt.Sprintf("serial %s is already on row %d", a.Serial, first)})
			continue
		}
		seen[a.Serial] = row
		created, err := s.store.UpsertAsset(ctx, a)
		if err != nil {
			return sum, fmt.Errorf("row %d: %w", row, err)
		}
		if created {
			sum.Imported++
		} else {
			sum.Updated++
		}
	}
	return sum, nil
}

func (s *ImportSummary) fail(e RowError) {
	s.Failed++
	s.Errors = append(s.Errors, e)
}

func parseAssetRow(rec []string, col map[string]int, row int, vendors []models.Vendor) (*models.Asset, *RowError) {
	get := func(name string) string {
		i, ok := col[name]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	bad := func(column, format string, args ...any) *RowError {
		return &RowError{Row: row, Column: column, Msg: fmt.Sprintf(format, args...)}
	}
	serial := mailin.NormalizeSerial(get("serial"))
	if serial == "" {
		return nil, bad("serial", "is empty")
	}
	if len(serial) > 64 {
		return nil, bad("serial", "is longer than 64 characters")
	}
	a := &models.Asset{Serial: serial, AssetTag: get("asset_tag"), Model: get("model"),
		Manufacturer: get("manufacturer"), AssignedTo: strings.ToLower(get("assigned_to")), Department: get("department")}
	if name := get("vendor"); name != "" {
		for i := range vendors {
			if strings.EqualFold(vendors[i].Name, name) {
				a.VendorID = &vendors[i].ID
			}
		}
		if a.VendorID == nil {
			return nil, bad("vendor", "unknown vendor %q (configure it under [[vendors]])", name)
		}
	}
	for _, c := range []struct {
		name string
		dst  **time.Time
	}{{"delivered_on", &a.DeliveredOn}, {"warranty_ends_on", &a.WarrantyEndsOn}} {
		v := get(c.name)
		if v == "" {
			continue
		}
		d, err := time.Parse("2006-01-02", v)
		if err != nil {
			return nil, bad(c.name, "%q is not a date (YYYY-MM-DD)", v)
		}
		*c.dst = &d
	}
	if v := get("warranty_months"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 240 {
			return nil, bad("warranty_months", "%q is not a number of months (0-240)", v)
		}
		a.WarrantyMonths = n
	}
	if a.DeliveredOn != nil && a.WarrantyEndsOn != nil && a.WarrantyEndsOn.Before(*a.DeliveredOn) {
		return nil, bad("warranty_ends_on", "is before delivered_on")
	}
	if a.AssignedTo != "" && !strings.Contains(a.AssignedTo, "@") {
		return nil, bad("assigned_to", "%q is not an email address", a.AssignedTo)
	}
	return a, nil
}

// sniffDelimiter picks ';' when the header line has more semicolons than commas.
func sniffDelimiter(text string) rune {
	first, _, _ := strings.Cut(text, "\n")
	if strings.Count(first, ";") > strings.Count(first, ",") {
		return ';'
	}
	return ','
}

func blankRow(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}
