package desk

// Operational alerts to the desk's admins (e.g. a mailbox token that cannot be renewed).

import (
	"context"
	"fmt"
	"net/mail"
	"time"

	"warrantydesk/models"
)

// AdminAlert is a problem an administrator has to fix, mailed in the admin's
// language from the mail template "alert_<Kind>" (templates/mail).
type AdminAlert struct {
	Kind string         // names the alert and its template, e.g. "oauth"
	Data map[string]any // the template's fields
}

// AlertAdmins queues alert to every admin, at most once per Kind and calendar day (the desk's
// time zone), however many processes or workers report it. It returns whether mail was queued.
// The mail goes through the outbox: when the outgoing server is what is broken it waits there.
func (s *Service) AlertAdmins(ctx context.Context, alert AdminAlert, now time.Time) (bool, error) {
	day := now.In(s.opt.Location).Format("2006-01-02")
	queued := 0
	err := s.store.Tx(ctx, func(tx *models.Store) error {
		first, err := tx.ClaimJobRun(ctx, "alert_"+alert.Kind, day, now)
		if err != nil || !first {
			return err
		}
		admins, err := tx.AdminAgents(ctx)
		if err != nil {
			return err
		}
		for _, a := range admins {
			lang := s.mailLang(a.Language)
			subject, body, err := s.mails.Render("alert_"+alert.Kind, lang, alert.Data)
			if err != nil {
				return err
			}
			if err := s.queueInternal(ctx, tx, mail.Address{Name: a.Name, Address: a.Email}, subject, body, lang, "alert"); err != nil {
				return fmt.Errorf("alert %s to %s: %w", alert.Kind, a.Email, err)
			}
			queued++
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("admin alert %s of %s: %w", alert.Kind, day, err)
	}
	if queued > 0 {
		s.log.Info("admin alert queued", "kind", alert.Kind, "admins", queued)
		s.mailQueued()
	}
	return queued > 0, nil
}
