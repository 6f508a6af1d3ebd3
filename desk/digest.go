package desk

// The warranty digest for admins and the schedule that runs the desk's
// timed work (vendor reminders, the daily digest).

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"time"

	"warrantydesk/mailout"
	"warrantydesk/models"
)

// DigestItem is one device in the warranty digest.
type DigestItem struct {
	Serial, Model, Department string
	EndsOn                    string // last day covered, YYYY-MM-DD
	DaysLeft                  int
}

// DigestBucket groups the devices whose warranty ends From–To days from now.
type DigestBucket struct {
	From, To int
	Items    []DigestItem
}

// digestBuckets are the digest's groups, in days left.
var digestBuckets = [][2]int{{0, 30}, {31, 60}, {61, 90}}

// warrantyBuckets sorts the fleet's devices into the digest's groups.
func (s *Service) warrantyBuckets(ctx context.Context, now time.Time) ([]DigestBucket, int, error) {
	assets, err := s.store.AssetsWithWarranty(ctx)
	if err != nil {
		return nil, 0, err
	}
	today := now.In(s.opt.Location)
	buckets := make([]DigestBucket, len(digestBuckets))
	for i, b := range digestBuckets {
		buckets[i] = DigestBucket{From: b[0], To: b[1]}
	}
	n := 0
	for i := range assets {
		a := &assets[i]
		w := WarrantyOf(a, today)
		if !w.Known || !w.Under {
			continue
		}
		for j, b := range digestBuckets {
			if w.DaysLeft >= b[0] && w.DaysLeft <= b[1] {
				buckets[j].Items = append(buckets[j].Items, DigestItem{Serial: a.Serial, Model: a.Model,
					Department: a.Department, EndsOn: formatDate(w.EndsOn), DaysLeft: w.DaysLeft})
				n++
			}
		}
	}
	for _, b := range buckets { // soonest end first within a group
		slices.SortFunc(b.Items, func(x, y DigestItem) int {
			return cmp.Or(cmp.Compare(x.DaysLeft, y.DaysLeft), cmp.Compare(x.Serial, y.Serial))
		})
	}
	return buckets, n, nil
}

// WarrantyDigest renders, in the desk's language, the list of devices whose
// warranty ends in 0–30, 31–60 and 61–90 days (serial, model, department,
// end date), and returns how many devices it lists.
func (s *Service) WarrantyDigest(ctx context.Context, now time.Time) (subject, body string, n int, err error) {
	buckets, n, err := s.warrantyBuckets(ctx, now)
	if err != nil {
		return "", "", 0, err
	}
	subject, body, err = s.renderDigest(s.opt.Language, now, buckets, n)
	return subject, body, n, err
}

func (s *Service) renderDigest(lang string, now time.Time, buckets []DigestBucket, n int) (string, string, error) {
	return s.mails.Render("warranty_digest", s.mailLang(lang), map[string]any{
		"Date": formatDate(now.In(s.opt.Location)), "Count": n, "Buckets": buckets, "Desk": s.opt.Address.Name,
	})
}

// digestJob names the warranty digest in the job_runs table.
const digestJob = "warranty_digest"

// SendWarrantyDigest mails the warranty digest to every admin agent, each in
// their language, at most once per day (the day in the desk's time zone,
// recorded in job_runs in the same transaction as the mail). A day with no
// device in the digest sends nothing.
func (s *Service) SendWarrantyDigest(ctx context.Context, now time.Time) error {
	day := now.In(s.opt.Location).Format("2006-01-02")
	buckets, n, err := s.warrantyBuckets(ctx, now)
	if err != nil {
		return err
	}
	queued := 0
	err = s.store.Tx(ctx, func(tx *models.Store) error {
		first, err := tx.ClaimJobRun(ctx, digestJob, day, now)
		if err != nil || !first || n == 0 {
			return err
		}
		admins, err := tx.AdminAgents(ctx)
		if err != nil {
			return err
		}
		for _, a := range admins {
			lang := s.mailLang(a.Language)
			subject, body, err := s.renderDigest(lang, now, buckets, n)
			if err != nil {
				return err
			}
			if err := s.queueInternal(ctx, tx, mail.Address{Name: a.Name, Address: a.Email}, subject, body, lang, "digest"); err != nil {
				return fmt.Errorf("warranty digest to %s: %w", a.Email, err)
			}
			queued++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("warranty digest of %s: %w", day, err)
	}
	if queued > 0 {
		s.log.Info("warranty digest queued", "day", day, "devices", n, "admins", queued)
		s.mailQueued()
	}
	return nil
}

// queueInternal stores an automatic mail to a colleague that belongs to no
// ticket (the digest) in the outbox.
func (s *Service) queueInternal(ctx context.Context, tx *models.Store, to mail.Address, subject, body, lang, purpose string) error {
	msgID := s.ids.New(0) // ticket 0: a reply threads to no ticket
	raw, err := mailout.Build(mailout.Mail{
		From:      mailout.Address{Name: s.opt.Address.Name, Email: s.opt.Address.Address},
		To:        []mailout.Address{{Name: to.Name, Email: to.Address}},
		Subject:   subject,
		Text:      body,
		MessageID: msgID,
		Automatic: true,
		Language:  lang,
		Date:      s.now(),
	})
	if err != nil {
		return fmt.Errorf("build %s mail: %w", purpose, err)
	}
	return tx.EnqueueMail(ctx, &models.OutboxMail{
		MessageID: msgID, FromAddr: firstNonEmpty(s.opt.EnvelopeFrom, s.opt.Address.Address),
		Recipients: to.Address, Subject: subject, Purpose: purpose, Raw: raw,
	})
}

// ScheduleOnce runs the desk's timed work once at now: reminders to
// resellers about overdue cases, then the daily warranty digest. Both are
// safe to repeat; an error in one does not stop the other.
func (s *Service) ScheduleOnce(ctx context.Context, now time.Time) error {
	n, remindErr := s.RemindVendors(ctx, now)
	if n > 0 {
		s.log.Info("vendor reminders queued", "count", n)
	}
	digestErr := s.SendWarrantyDigest(ctx, now)
	var retentionErr error
	if s.opt.RetentionMonths > 0 {
		_, retentionErr = s.ApplyRetention(ctx, now, s.opt.RetentionMonths)
	}
	_, optimizeErr := s.OptimizeSearchNightly(ctx, now)
	return errors.Join(remindErr, digestErr, retentionErr, optimizeErr)
}

// searchOptimizeJob names the nightly merge of the search index in the job
// runs (one per local day).
const searchOptimizeJob = "search-optimize"

// searchOptimizeWindow is how long after SearchOptimizeHour the merge may
// still start (a desk down at that hour merges when it is back, but not
// in the working day, when writes would wait for it).
const searchOptimizeWindow = 3 * time.Hour

// OptimizeSearchNightly merges the search index into one piece
// (models.OptimizeSearch) once a local day, from SearchOptimizeHour for
// searchOptimizeWindow; it reports whether it did. Writes add small pieces
// to the index, and a search reads every piece: after a day of mail a
// common word costs a search a third more. The merge holds the database's
// writer (~10 s at 100 000 tickets), so it runs at night.
func (s *Service) OptimizeSearchNightly(ctx context.Context, now time.Time) (bool, error) {
	hour := s.opt.SearchOptimizeHour
	if hour < 0 {
		return false, nil
	}
	local := now.In(s.opt.Location)
	start := time.Date(local.Year(), local.Month(), local.Day(), hour, 0, 0, 0, local.Location())
	if local.Before(start) || !local.Before(start.Add(searchOptimizeWindow)) {
		return false, nil
	}
	ran := false
	began := time.Now()
	err := s.store.Tx(ctx, func(tx *models.Store) error {
		first, err := tx.ClaimJobRun(ctx, searchOptimizeJob, local.Format("2006-01-02"), now)
		if err != nil || !first {
			return err
		}
		ran = true
		return tx.OptimizeSearch(ctx)
	})
	if err != nil {
		return false, fmt.Errorf("merge the search index: %w", err)
	}
	if ran {
		s.log.Info("search index merged", "took", time.Since(began).Round(time.Millisecond))
	}
	return ran, nil
}

// RunSchedule runs ScheduleOnce now and then every interval (default 15
// minutes) until ctx is cancelled, when it returns nil. Errors are logged
// and retried at the next tick.
func (s *Service) RunSchedule(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		every = 15 * time.Minute
	}
	log := s.log.With("worker", "schedule")
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if err := s.ScheduleOnce(ctx, s.now()); err != nil && ctx.Err() == nil {
			log.Error("scheduled work failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
