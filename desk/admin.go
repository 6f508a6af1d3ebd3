package desk

import (
	"context"
	"crypto/rand"
	"errors"
	"time"

	"warrantydesk/models"
)

// Administration: agents and their roles, the resellers' standing and the
// state of mail intake. Every action checks that the actor is an admin
// (the handlers check too, but the rule lives here: requireAdmin).

// oneTimePasswordLength is the length of a password made by AddAgent and
// ResetAgentPassword: 16 characters of a 56-letter alphabet, ~93 bits.
const oneTimePasswordLength = 16

// passwordAlphabet leaves out letters that are easily confused (0/O, 1/l/I).
const passwordAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// newOneTimePassword makes a random password to hand to an agent once.
func newOneTimePassword() string {
	b := make([]byte, oneTimePasswordLength)
	for i := range b {
		b[i] = passwordAlphabet[randIndex(len(passwordAlphabet))]
	}
	return string(b)
}

// randIndex returns a uniformly random number in [0, n) from crypto/rand.
func randIndex(n int) int {
	var buf [1]byte
	limit := 256 - 256%n
	for {
		if _, err := rand.Read(buf[:]); err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		if int(buf[0]) < limit {
			return int(buf[0]) % n
		}
	}
}

// AddAgent adds an agent with role and a random password, which is returned
// to be shown once to the admin (who hands it on); it is never stored.
func (s *Service) AddAgent(ctx context.Context, actor *models.Agent, email, name, role string) (*models.Agent, string, error) {
	return s.AddUser(ctx, actor, email, name, role, "")
}

// AddUser is AddAgent for any role: a vendor user (RoleVendor) works for the
// existing vendor named vendorName, which the other roles must leave empty
// (CreateUser checks both).
func (s *Service) AddUser(ctx context.Context, actor *models.Agent, email, name, role, vendorName string) (*models.Agent, string, error) {
	if err := requireAdmin(actor); err != nil {
		return nil, "", err
	}
	password := newOneTimePassword()
	a, err := s.CreateUser(ctx, email, name, role, vendorName, password)
	if errors.Is(err, models.ErrDuplicate) {
		return nil, "", invalid("email", "error.agent_exists")
	}
	if err != nil {
		return nil, "", err
	}
	if err := s.audit(ctx, s.store, actor.Email, "agent", a.ID, "created", "", a.Email+" ("+a.Role+")"); err != nil {
		return nil, "", err
	}
	return a, password, nil
}

// SetAgentRole changes an agent's role. The last admin cannot lose the role,
// so the desk always has someone who can manage it.
func (s *Service) SetAgentRole(ctx context.Context, actor *models.Agent, id uint, role string) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	if role != models.RoleAdmin && role != models.RoleAgent {
		return invalid("role", "error.bad_role")
	}
	return s.store.Tx(ctx, func(tx *models.Store) error {
		a, err := tx.AgentByID(ctx, id)
		if err != nil {
			return err
		}
		if a.Role == role {
			return nil
		}
		if a.Role == models.RoleVendor {
			// A reseller's user stays one: it is tied to its vendor.
			return invalid("role", "error.bad_role")
		}
		if a.Role == models.RoleAdmin {
			n, err := tx.CountAdmins(ctx)
			if err != nil {
				return err
			}
			if n <= 1 {
				return &ConflictError{Key: "error.last_admin"}
			}
		}
		if err := tx.UpdateAgentRole(ctx, id, role); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor.Email, "agent", id, "role", a.Role, role)
	})
}

// ResetAgentPassword gives an agent a new random password, returned to be
// shown once, and ends the agent's sessions.
func (s *Service) ResetAgentPassword(ctx context.Context, actor *models.Agent, id uint) (*models.Agent, string, error) {
	if err := requireAdmin(actor); err != nil {
		return nil, "", err
	}
	password := newOneTimePassword()
	hash, err := HashPassword(password)
	if err != nil {
		return nil, "", err
	}
	var a *models.Agent
	err = s.store.Tx(ctx, func(tx *models.Store) error {
		if a, err = tx.AgentByID(ctx, id); err != nil {
			return err
		}
		if err := tx.UpdateAgentPassword(ctx, id, hash); err != nil {
			return err
		}
		if err := tx.DeleteAgentSessions(ctx, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor.Email, "agent", id, "password", "", "reset")
	})
	if err != nil {
		return nil, "", err
	}
	return a, password, nil
}

// VendorStat is one reseller as the admin pages show it: its configuration
// and how its cases stand.
type VendorStat struct {
	Vendor    models.Vendor
	OpenCases int64
	Overdue   int
}

// VendorStats lists every reseller with its open and overdue cases at now.
func (s *Service) VendorStats(ctx context.Context, now time.Time) ([]VendorStat, error) {
	vendors, err := s.store.ListVendors(ctx)
	if err != nil {
		return nil, err
	}
	open, err := s.store.OpenCasesByVendor(ctx)
	if err != nil {
		return nil, err
	}
	overdue, err := s.VendorOverdueCases(ctx, now)
	if err != nil {
		return nil, err
	}
	late := map[uint]int{}
	for _, c := range overdue {
		late[c.Case.VendorID]++
	}
	out := make([]VendorStat, 0, len(vendors))
	for _, v := range vendors {
		out = append(out, VendorStat{Vendor: v, OpenCases: open[v.ID], Overdue: late[v.ID]})
	}
	return out, nil
}

// IntakeStatus is the state of mail intake and delivery for the admin page.
type IntakeStatus struct {
	Cursors []models.MailboxCursor
	Outbox  map[string]int64 // outgoing mails by status (queued, sent, failed)
}

// IntakeStatus reads every mailbox cursor and the outbox counts.
func (s *Service) IntakeStatus(ctx context.Context) (*IntakeStatus, error) {
	cursors, err := s.store.Cursors(ctx)
	if err != nil {
		return nil, err
	}
	counts, err := s.store.CountOutboxByStatus(ctx)
	if err != nil {
		return nil, err
	}
	return &IntakeStatus{Cursors: cursors, Outbox: counts}, nil
}
