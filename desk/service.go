package desk

import (
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"warrantydesk/mailout"
	"warrantydesk/models"
	"warrantydesk/templates"
)

// Options configure the desk.
type Options struct {
	// Address is the helpdesk's own address (From of every mail, and where staff write).
	Address mail.Address
	// EnvelopeFrom is the SMTP envelope sender; empty = Address.
	EnvelopeFrom string
	// Language is the default language of mail to staff ("sv").
	Language string
	// Location is the time zone dates are shown in.
	Location *time.Location
	// AckLimitPerHour caps acknowledgements per sender and hour; 0 = no acknowledgements.
	AckLimitPerHour int
	// ResponseSLA is how soon a new ticket should get its first answer.
	ResponseSLA time.Duration
	// RetentionMonths, when > 0, erases the personal data of tickets closed
	// longer ago than this, on the schedule (GDPR storage limitation).
	RetentionMonths int
	// SearchOptimizeHour is the hour of the night (local time) at which the
	// schedule merges the search index into one piece, once a day (see
	// OptimizeSearchNightly); -1 = never. The zero value is midnight.
	SearchOptimizeHour int
	// Now is the clock (tests set it).
	Now func() time.Time
	// VendorShareRequester lets mail to a reseller name the requester (name
	// and address). Off by default: the reseller learns only the department,
	// and the requester's name and address are removed from the fault text.
	VendorShareRequester bool
	// BaseURL is the desk's public web address (e.g. https://desk.kommun.se);
	// status links in mail to requesters are built on it. Empty: no links.
	BaseURL string
}

// Service is the desk's domain logic.
type Service struct {
	store *models.Store
	ids   *mailout.IDSigner
	mails *templates.MailTemplates
	cat   *templates.Catalog
	opt   Options
	log   *slog.Logger
	// mailQueued is called after a transaction that queued mail commits.
	mailQueued func()
	guard      *loginGuard
	// views caches the ticket list's view counts (views.go), cache the
	// other reads of busy pages (readcache.go).
	views viewCountCache
	cache readCache
}

// New builds the desk. onMailQueued wakes the outbox worker (may be nil).
func New(store *models.Store, ids *mailout.IDSigner, mails *templates.MailTemplates, cat *templates.Catalog, opt Options, logger *slog.Logger, onMailQueued func()) *Service {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	if opt.Language == "" {
		opt.Language = "sv"
	}
	if opt.ResponseSLA == 0 {
		opt.ResponseSLA = 24 * time.Hour
	}
	if onMailQueued == nil {
		onMailQueued = func() {}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{store: store, ids: ids, mails: mails, cat: cat, opt: opt, log: logger.With("subsystem", "desk"), mailQueued: onMailQueued, guard: newLoginGuard()}
}

// Store returns the desk's store (for read-only views).
func (s *Service) Store() *models.Store { return s.store }

// Location returns the time zone dates are shown in.
func (s *Service) Location() *time.Location { return s.opt.Location }

// Now returns the desk's clock reading in UTC.
func (s *Service) now() time.Time { return s.opt.Now().UTC() }

// Now returns the desk's clock reading in UTC (Options.Now), so that pages
// judge "overdue" by the same clock as the desk.
func (s *Service) Now() time.Time { return s.now() }

// isOwnAddress reports whether email is the desk's address or a plus variant of it.
func (s *Service) isOwnAddress(email string) bool {
	local, domain, ok := strings.Cut(strings.ToLower(email), "@")
	ownLocal, ownDomain, _ := strings.Cut(strings.ToLower(s.opt.Address.Address), "@")
	if !ok || domain != ownDomain {
		return false
	}
	base, _, _ := strings.Cut(local, "+")
	return base == ownLocal
}

// plusAddress returns desk+T<number>@domain, which threads replies to ticket number.
func (s *Service) plusAddress(number int64) string {
	local, domain, _ := strings.Cut(s.opt.Address.Address, "@")
	return local + "+T" + itoa(number) + "@" + domain
}
