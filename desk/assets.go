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

// AssetColumns lists the delivery-list columns the registry reads.
func AssetColumns() []string { return slices.Clone(assetColumns) }

// RowError is one rejected CSV row.
type RowError struct {
	Row    int    // 1-based line of the file, the header being row 1
	Column string // "" when the whole row is wrong
	Msg    string // English, for the command line
	// Key and Args say the same through the catalog (the web upload form).
	Key  string
	Args []any
}

func (e RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("row %d: %s", e.Row, e.Msg)
	}
	return fmt.Sprintf("row %d column %q: %s", e.Row, e.Column, e.Msg)
}

// HeaderError is a delivery list that cannot be read at all (its header is
// wrong); nothing was imported. Key and Args say it through the catalog.
type HeaderError struct {
	Msg  string
	Key  string
	Args []any
}

func (e *HeaderError) Error() string { return e.Msg }

func headerError(key string, args []any, format string, fargs ...any) error {
	return &HeaderError{Msg: fmt.Sprintf(format, fargs...), Key: key, Args: args}
}

// ImportSummary is the result of an asset import.
type ImportSummary struct {
	Imported int
	Updated  int
	Failed   int
	Errors   []RowError
	// Ignored lists the header's columns the registry does not use.
	Ignored []string
}

// String is the summary line of the import command.
func (s ImportSummary) String() string {
	return fmt.Sprintf("imported %d, updated %d, failed %d", s.Imported, s.Updated, s.Failed)
}

// ImportActor is the audit actor of an import from the command line.
const ImportActor = "import"

// importBatch is how many rows one transaction writes: few commits for a
// big list, and a short hold on the single writer connection.
const importBatch = 500

// ImportAssets reads a reseller's delivery list and upserts every good row
// by normalised serial; bad rows are reported with row and column and change
// nothing. Comma- and semicolon-separated files (Excel in Swedish) are both read.
// progress, when not nil, is called every 500 rows. Changes to an existing
// asset's warranty (delivered_on, warranty_months, warranty_ends_on, vendor)
// are recorded as audit events by actor "import".
func (s *Service) ImportAssets(ctx context.Context, r io.Reader, progress func(rows int)) (ImportSummary, error) {
	return s.importAssets(ctx, ImportActor, r, progress)
}

// ImportAssetsAs is ImportAssets from the web upload form: only an admin may
// import, and the warranty changes are recorded under the admin's address.
func (s *Service) ImportAssetsAs(ctx context.Context, actor *models.Agent, r io.Reader) (ImportSummary, error) {
	if err := requireAdmin(actor); err != nil {
		return ImportSummary{}, err
	}
	return s.importAssets(ctx, actor.Email, r, nil)
}

func (s *Service) importAssets(ctx context.Context, actor string, r io.Reader, progress func(rows int)) (ImportSummary, error) {
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
		return sum, headerError("import.header.unreadable", nil, "read CSV header: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		name = strings.ReplaceAll(name, " ", "_")
		if _, dup := col[name]; dup {
			return sum, headerError("import.header.duplicate", []any{name}, "CSV header: column %q appears twice", name)
		}
		col[name] = i
	}
	if _, ok := col["serial"]; !ok {
		return sum, headerError("import.header.no_serial", nil,
			"CSV header: required column \"serial\" is missing (found: %s)", strings.Join(header, ", "))
	}
	var unknown []string
	for name := range col {
		if !slices.Contains(assetColumns, name) {
			unknown = append(unknown, name)
		}
	}
	// A reseller's delivery list carries more than the registry needs (prices,
	// order numbers): extra columns are ignored and reported, not refused.
	slices.Sort(unknown)
	sum.Ignored = unknown
	vendors, err := s.store.ListVendors(ctx)
	if err != nil {
		return sum, err
	}
	vendorNames := map[uint]string{}
	for _, v := range vendors {
		vendorNames[v.ID] = v.Name
	}
	seen := map[string]int{}
	var batch []*models.Asset
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var created, updated int
		err := s.store.Tx(ctx, func(tx *models.Store) error {
			for _, a := range batch {
				prev, err := tx.UpsertAssetPrev(ctx, a)
				if err != nil {
					return fmt.Errorf("row %d: %w", seen[a.Serial], err)
				}
				if prev == nil {
					created++
					continue
				}
				updated++
				if err := s.auditWarrantyChanges(ctx, tx, actor, prev, a, vendorNames); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		sum.Imported += created
		sum.Updated += updated
		batch = batch[:0]
		return nil
	}
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
			sum.fail(RowError{Row: row, Msg: "unreadable CSV: " + err.Error(), Key: "import.row.unreadable"})
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
			sum.fail(RowError{Row: row, Column: "serial", Msg: fmt.Sprintf("serial %s is already on row %d", a.Serial, first),
				Key: "import.row.duplicate", Args: []any{a.Serial, first}})
			continue
		}
		seen[a.Serial] = row
		if batch = append(batch, a); len(batch) >= importBatch {
			if err := flush(); err != nil {
				return sum, err
			}
		}
	}
	return sum, flush()
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
	// bad reports column's problem: key and args for the catalog, format
	// and the same args for the command line.
	bad := func(column, key, format string, args ...any) *RowError {
		return &RowError{Row: row, Column: column, Msg: fmt.Sprintf(format, args...), Key: key, Args: args}
	}
	serial := mailin.NormalizeSerial(get("serial"))
	if serial == "" {
		return nil, bad("serial", "import.row.serial_empty", "is empty")
	}
	if len(serial) > 64 {
		return nil, bad("serial", "import.row.serial_long", "is longer than 64 characters")
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
			return nil, bad("vendor", "import.row.unknown_vendor", "unknown vendor %q (configure it under [[vendors]])", name)
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
			return nil, bad(c.name, "import.row.bad_date", "%q is not a date (YYYY-MM-DD)", v)
		}
		*c.dst = &d
	}
	if v := get("warranty_months"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 240 {
			return nil, bad("warranty_months", "import.row.bad_months", "%q is not a number of months (0-240)", v)
		}
		a.WarrantyMonths = n
	}
	if a.DeliveredOn != nil && a.WarrantyEndsOn != nil && a.WarrantyEndsOn.Before(*a.DeliveredOn) {
		return nil, bad("warranty_ends_on", "import.row.ends_before_delivery", "is before delivered_on")
	}
	if a.AssignedTo != "" && !strings.Contains(a.AssignedTo, "@") {
		return nil, bad("assigned_to", "import.row.bad_email", "%q is not an email address", a.AssignedTo)
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
