package models

import (
	"time"
)

// Ticket statuses (DESIGN.md).
const (
	StatusNew      = "new"
	StatusOpen     = "open"
	StatusPending  = "pending"
	StatusAtVendor = "at_vendor"
	StatusResolved = "resolved"
	StatusClosed   = "closed"
)

// Statuses lists every ticket status in workflow order.
var Statuses = []string{StatusNew, StatusOpen, StatusPending, StatusAtVendor, StatusResolved, StatusClosed}

// Ticket categories (DESIGN.md).
const (
	CategoryHardware = "hardware"
	CategorySoftware = "software"
	CategoryAccount  = "account"
	CategoryOther    = "other"
)

// Categories lists every ticket category.
var Categories = []string{CategoryHardware, CategorySoftware, CategoryAccount, CategoryOther}

// Priorities lists every ticket priority, lowest first.
var Priorities = []string{"low", "normal", "high", "urgent"}

// Message directions and kinds.
const (
	DirIn  = "in"
	DirOut = "out"

	KindEmail     = "email"
	KindNote      = "note"
	KindVendorIn  = "vendor_in"
	KindVendorOut = "vendor_out"
	KindSystem    = "system"
)

// Intake outcomes recorded for every fetched mail.
const (
	OutcomePending     = "pending"
	OutcomeCreated     = "created"
	OutcomeAppended    = "appended"
	OutcomeIgnored     = "ignored"
	OutcomeQuarantined = "quarantined"
)

// Outbox states.
const (
	OutboxQueued = "queued"
	OutboxSent   = "sent"
	OutboxFailed = "failed" // gave up after the last retry
)

// Asset states.
const (
	AssetInUse    = "in_use"
	AssetAtVendor = "at_vendor"
	AssetRetired  = "retired"
)

// Requester is a member of staff who writes to the desk.
type Requester struct {
	ID         uint   `gorm:"primaryKey"`
	Email      string `gorm:"size:320;not null;uniqueIndex"`
	Name       string `gorm:"size:200"`
	Department string `gorm:"size:200"`
	Language   string `gorm:"size:8"`
	// BouncedAt is set when mail to this address bounced hard.
	BouncedAt *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Agent is a helpdesk user who logs in to the web UI or the API.
type Agent struct {
	ID           uint   `gorm:"primaryKey"`
	Email        string `gorm:"size:320;not null;uniqueIndex"`
	Name         string `gorm:"size:200;not null"`
	Role         string `gorm:"size:16;not null"` // admin | agent | vendor
	PasswordHash string `gorm:"size:200;not null"`
	Language     string `gorm:"size:8"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// VendorID is the reseller a vendor user works for (Role RoleVendor
	// only; nil for agents and admins). See migrate_portal.go.
	VendorID *uint   `gorm:"index"`
	Vendor   *Vendor `gorm:"constraint:OnDelete:RESTRICT"`
}

// Agent roles. A vendor user is a reseller's employee who sees only the
// vendor portal (/portal): the cases sent to its VendorID.
const (
	RoleAdmin  = "admin"
	RoleAgent  = "agent"
	RoleVendor = "vendor"
)

// APIToken is a bearer token for the JSON API. Only its SHA-256 is stored.
type APIToken struct {
	ID         uint   `gorm:"primaryKey"`
	AgentID    uint   `gorm:"not null;index"`
	Agent      Agent  `gorm:"constraint:OnDelete:CASCADE"`
	TokenHash  string `gorm:"size:64;not null;uniqueIndex"`
	Label      string `gorm:"size:100"`
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	CreatedAt  time.Time
}

// Session is a logged-in browser. Only the SHA-256 of the cookie value is stored.
type Session struct {
	ID        uint      `gorm:"primaryKey"`
	TokenHash string    `gorm:"size:64;not null;uniqueIndex"`
	AgentID   uint      `gorm:"not null;index"`
	Agent     Agent     `gorm:"constraint:OnDelete:CASCADE"`
	ExpiresAt time.Time `gorm:"not null;index"`
	CreatedAt time.Time
}

// Vendor is a reseller that repairs devices under its warranty.
type Vendor struct {
	ID             uint   `gorm:"primaryKey"`
	Name           string `gorm:"size:200;not null;uniqueIndex"`
	Email          string `gorm:"size:320;not null"`
	CasePattern    string `gorm:"size:200"`
	WarrantyMonths int    `gorm:"not null;default:36"`
	TurnaroundDays int    `gorm:"not null;default:10"`
	AutoForward    bool   `gorm:"not null;default:false"`
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Asset is one device in the fleet.
type Asset struct {
	ID           uint    `gorm:"primaryKey"`
	Serial       string  `gorm:"size:64;not null;uniqueIndex"` // normalised: upper case, no spaces or dashes
	AssetTag     string  `gorm:"size:64;index"`
	Model        string  `gorm:"size:200"`
	Manufacturer string  `gorm:"size:200"`
	VendorID     *uint   `gorm:"index"`
	Vendor       *Vendor `gorm:"constraint:OnDelete:SET NULL"`
	DeliveredOn  *time.Time
	// WarrantyMonths overrides the vendor's warranty length when > 0.
	WarrantyMonths int
	// WarrantyEndsOn, when set, is the warranty end and wins over DeliveredOn + months.
	WarrantyEndsOn *time.Time
	AssignedTo     string `gorm:"size:320;index"` // requester email
	Department     string `gorm:"size:200"`
	State          string `gorm:"size:16;not null;default:in_use"`
	ReplacedByID   *uint
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// WarrantyEndsOnEffective is the warranty end the fields above give (the
	// same rule as desk.WarrantyOf), NULL when unknown. The store keeps it up
	// to date on every write (GORM never writes it: "->"), so that warranty
	// filters are an indexed range query.
	WarrantyEndsOnEffective *time.Time `gorm:"index;->"`
}

// Ticket is one case on the desk.
type Ticket struct {
	ID          uint      `gorm:"primaryKey"`
	Number      int64     `gorm:"not null;uniqueIndex"`
	Subject     string    `gorm:"size:500;not null"`
	RequesterID uint      `gorm:"not null;index"`
	Requester   Requester `gorm:"constraint:OnDelete:RESTRICT"`
	Status      string    `gorm:"size:16;not null;index:idx_tickets_status_updated,priority:1"`
	Priority    string    `gorm:"size:16;not null;default:normal"`
	Category    string    `gorm:"size:16;not null;index"`
	// FaultMatches are the classifier's keywords, comma separated, shown as the reason.
	FaultMatches string `gorm:"size:500"`
	Language     string `gorm:"size:8"`
	AssetID      *uint  `gorm:"index"`
	Asset        *Asset `gorm:"constraint:OnDelete:SET NULL"`
	// AssigneeID has no index of its own: idx_tickets_assignee_status_updated
	// (migration 50) starts with it (migration 100 dropped the plain one).
	AssigneeID *uint
	Assignee   *Agent `gorm:"constraint:OnDelete:SET NULL"`
	// Cc holds the other addresses on the first mail, comma separated: parties of the ticket.
	Cc         string `gorm:"size:2000"`
	SLADueAt   *time.Time
	ResolvedAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time `gorm:"index:idx_tickets_status_updated,priority:2"`
	// SLAPausedAt is set while the SLA clock is stopped (the ticket waits on
	// the reseller); leaving that status moves SLADueAt on by the pause.
	SLAPausedAt *time.Time
}

// Message is one entry in a ticket's conversation.
type Message struct {
	ID         uint   `gorm:"primaryKey"`
	TicketID   uint   `gorm:"not null;index"`
	Direction  string `gorm:"size:4;not null"`
	Kind       string `gorm:"size:16;not null"`
	FromName   string `gorm:"size:200"`
	FromEmail  string `gorm:"size:320"`
	To         string `gorm:"size:2000"`
	Cc         string `gorm:"size:2000"`
	Subject    string `gorm:"size:500"`
	Text       string
	HTML       string
	MessageID  string `gorm:"size:500;index"`
	InReplyTo  string `gorm:"size:500"`
	References string
	// AutoClass is the intake classification (personal, auto_reply, bounce, report, bulk).
	AutoClass string `gorm:"size:16"`
	// AgentID is the author when an agent wrote it.
	AgentID *uint
	// OutboxID links an outgoing mail to its delivery record.
	OutboxID       *uint `gorm:"index"`
	IntakeRecordID *uint `gorm:"index"`
	Attachments    []Attachment
	CreatedAt      time.Time `gorm:"index"`
}

// Attachment is a file on a message; its bytes live in Blob, shared by content hash.
type Attachment struct {
	ID          uint   `gorm:"primaryKey"`
	MessageID   uint   `gorm:"not null;index"`
	BlobSHA256  string `gorm:"size:64;not null;index"`
	Filename    string `gorm:"size:500"`
	ContentType string `gorm:"size:200"`
	Size        int64
	ContentID   string `gorm:"size:500"`
	Inline      bool
	CreatedAt   time.Time
}

// Blob is content-addressed bytes (attachments and raw mails).
type Blob struct {
	SHA256    string `gorm:"primaryKey;size:64"`
	Data      []byte `gorm:"not null"`
	Size      int64
	CreatedAt time.Time
}

// Vendor case states.
const (
	CaseForwarded    = "forwarded"
	CaseAcknowledged = "acknowledged"
	CaseInRepair     = "in_repair"
	CaseShippedBack  = "shipped_back"
	CaseClosed       = "closed"
)

// VendorCase tracks a repair at the reseller. Its state moves forward through
// forwarded → acknowledged → in_repair → shipped_back → closed; StateAt says
// which column holds the date of each state.
type VendorCase struct {
	ID          uint   `gorm:"primaryKey"`
	TicketID    uint   `gorm:"not null;index"`
	VendorID    uint   `gorm:"not null;index"`
	Vendor      Vendor `gorm:"constraint:OnDelete:RESTRICT"`
	AssetID     *uint  `gorm:"index"`
	CaseRef     string `gorm:"size:100;index"`
	State       string `gorm:"size:16;not null"`
	ForwardedAt *time.Time
	ReceivedAt  *time.Time
	RepairedAt  *time.Time
	ReturnedAt  *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// InRepairAt is when the case entered in_repair; ClosedAt when it was
	// closed. The other states keep their original columns: see StateAt.
	InRepairAt *time.Time
	ClosedAt   *time.Time
	// ReminderSentAt is when the vendor was last reminded of an overdue case.
	ReminderSentAt *time.Time
	// ForwardMessageID is the Message-ID (without <>) of the mail that opened
	// the case; reminders answer it so they stay in the vendor's thread.
	ForwardMessageID string `gorm:"size:500"`
	// PaidRepair marks a quote request for a repair outside the warranty
	// (no warranty claim).
	PaidRepair bool `gorm:"not null;default:false"`
}

// IntakeRecord is the account of one fetched mail: where it came from and what became of it.
type IntakeRecord struct {
	ID          uint   `gorm:"primaryKey"`
	Mailbox     string `gorm:"size:200;not null;uniqueIndex:idx_intake_uid,priority:1"`
	UIDValidity uint32 `gorm:"not null;uniqueIndex:idx_intake_uid,priority:2"`
	UID         uint32 `gorm:"not null;uniqueIndex:idx_intake_uid,priority:3"`
	MessageID   string `gorm:"size:500;index:idx_intake_msgid_hash,priority:1"`
	SHA256      string `gorm:"size:64;not null;index:idx_intake_msgid_hash,priority:2"`
	Size        int64
	FromEmail   string `gorm:"size:320"`
	Subject     string `gorm:"size:500"`
	Class       string `gorm:"size:16"`
	Outcome     string `gorm:"size:16;not null;index"`
	Reason      string `gorm:"size:1000"`
	TicketID    *uint  `gorm:"index"`
	// DuplicateOf points at the record that already processed the same mail.
	DuplicateOf *uint
	FetchedAt   time.Time `gorm:"not null;index"`
	ProcessedAt *time.Time
}

// MailboxCursor remembers how far intake has read one mailbox.
type MailboxCursor struct {
	Mailbox     string `gorm:"primaryKey;size:200"`
	UIDValidity uint32 `gorm:"not null"`
	LastUID     uint32 `gorm:"not null"`
	LastFetchAt *time.Time
	LastError   string `gorm:"size:1000"`
	LastErrorAt *time.Time
	UpdatedAt   time.Time
}

// OutboxMail is an outgoing mail, stored before it is sent.
type OutboxMail struct {
	ID            uint      `gorm:"primaryKey"`
	TicketID      *uint     `gorm:"index"`
	MessageID     string    `gorm:"size:500;not null;uniqueIndex"`
	FromAddr      string    `gorm:"size:320;not null"`
	Recipients    string    `gorm:"size:2000;not null"` // comma separated envelope recipients
	Subject       string    `gorm:"size:500"`
	Purpose       string    `gorm:"size:32"` // ack, reply, vendor_forward, notify
	Raw           []byte    `gorm:"not null"`
	Status        string    `gorm:"size:16;not null;index:idx_outbox_due,priority:1"`
	Attempts      int       `gorm:"not null;default:0"`
	NextAttemptAt time.Time `gorm:"not null;index:idx_outbox_due,priority:2"`
	LastError     string    `gorm:"size:1000"`
	SentAt        *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// AuditEvent records who changed what.
type AuditEvent struct {
	ID       uint      `gorm:"primaryKey"`
	Actor    string    `gorm:"size:320;not null"`                                  // agent email, "intake", "system"
	Object   string    `gorm:"size:64;not null;index:idx_audit_object,priority:1"` // e.g. "ticket"
	ObjectID uint      `gorm:"not null;index:idx_audit_object,priority:2"`
	Field    string    `gorm:"size:64"`
	Old      string    `gorm:"size:500"`
	New      string    `gorm:"size:500"`
	At       time.Time `gorm:"not null"`
}

// AckLog remembers acknowledgements sent, for per-sender rate limiting.
type AckLog struct {
	ID     uint      `gorm:"primaryKey"`
	Email  string    `gorm:"size:320;not null;index:idx_ack_email_at,priority:1"`
	SentAt time.Time `gorm:"not null;index:idx_ack_email_at,priority:2"`
}

// AllModels lists every model, in creation order, for migrations.
func AllModels() []any {
	return []any{
		&Requester{}, &Agent{}, &APIToken{}, &Session{}, &Vendor{}, &Asset{}, &Ticket{}, &Message{},
		&Attachment{}, &Blob{}, &VendorCase{}, &IntakeRecord{}, &MailboxCursor{}, &OutboxMail{},
		&AuditEvent{}, &AckLog{},
	}
}
