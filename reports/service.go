package reports

import (
	"context"
	"fmt"
	"time"

	"warrantydesk/models"
)

// Service loads the rows the reports are computed from.
type Service struct {
	store *models.Store
	cfg   Config
	loc   *time.Location
	// overdue lists the tickets whose SLA is breached at now: the desk's
	// rule (desk.Service.Overdue), so the dashboard and the ticket list's
	// overdue view always agree.
	overdue func(ctx context.Context, now time.Time) ([]models.Ticket, error)
}

// New builds the reports on store with cfg. overdue is the desk's SLA rule
// (desk.Service.Overdue); loc is the desk's zone (months and days are its).
func New(store *models.Store, cfg Config, loc *time.Location,
	overdue func(ctx context.Context, now time.Time) ([]models.Ticket, error)) *Service {
	if loc == nil {
		loc = time.UTC
	}
	return &Service{store: store, cfg: cfg, loc: loc, overdue: overdue}
}

// Config returns the prices and factors the reports use.
func (s *Service) Config() Config { return s.cfg }

// Build loads the data as of now and computes every report. intake is the
// state of mail intake from the health checks; when it is not Known, Build
// judges intake by the mailbox cursors (IntakeFromCursors).
func (s *Service) Build(ctx context.Context, now time.Time, intake IntakeHealth) (*Report, error) {
	d := Data{Now: now, Loc: s.loc, Intake: intake}
	var err error
	if d.Assets, err = s.store.ReportAssets(ctx); err != nil {
		return nil, err
	}
	if d.Tickets, err = s.store.ReportTickets(ctx); err != nil {
		return nil, err
	}
	if d.Cases, err = s.store.ReportCases(ctx); err != nil {
		return nil, err
	}
	if d.Vendors, err = s.store.ListVendors(ctx); err != nil {
		return nil, fmt.Errorf("report vendors: %w", err)
	}
	if s.overdue != nil {
		if d.Overdue, err = s.overdue(ctx, now); err != nil {
			return nil, err
		}
	}
	if !intake.Known {
		cursors, err := s.store.Cursors(ctx)
		if err != nil {
			return nil, fmt.Errorf("report intake cursors: %w", err)
		}
		d.Intake = IntakeFromCursors(cursors)
	}
	return Compute(d, s.cfg), nil
}

// IntakeFromCursors judges intake by the mailbox cursors: failing when a
// mailbox's last error is newer than its last successful fetch. Not Known
// when no mailbox was ever read.
func IntakeFromCursors(cursors []models.MailboxCursor) IntakeHealth {
	var h IntakeHealth
	for _, c := range cursors {
		if c.LastFetchAt == nil && c.LastErrorAt == nil {
			continue
		}
		if !h.Known {
			h = IntakeHealth{Known: true, OK: true}
		}
		if c.LastFetchAt != nil && (h.LastSuccess == nil || c.LastFetchAt.After(*h.LastSuccess)) {
			h.LastSuccess = c.LastFetchAt
		}
		if c.LastErrorAt != nil && (c.LastFetchAt == nil || c.LastErrorAt.After(*c.LastFetchAt)) {
			h.OK = false
			h.Detail = c.Mailbox + ": " + c.LastError
		}
	}
	return h
}
