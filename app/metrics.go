package app

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"warrantydesk/handlers"
	"warrantydesk/models"
)

// writeMetrics writes the Prometheus text exposition (version 0.0.4): one
// HELP and TYPE per family, before its samples. The numbers are read from
// the database at scrape time (gauges), so every instance sharing the
// database reports the same queue depths (warrantydesk_leader and the
// uptime are the instance's own); a family whose query fails is
// left out (and logged) rather than reported as zero.
func (a *App) writeMetrics(w io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := time.Now()
	m := metricWriter{w: w}
	failed := func(family string, err error) {
		a.Log.Warn("metrics: query failed", "family", family, "err", err)
	}

	m.family("warrantydesk_up", "gauge", "Whether the desk is running.")
	m.sample("warrantydesk_up", nil, 1)
	m.family("warrantydesk_uptime_seconds", "gauge", "Seconds since the process started.")
	m.sample("warrantydesk_uptime_seconds", nil, float64(int64(now.Sub(a.started).Seconds())))
	// Per instance, like the uptime: scrape every instance, and their sum is
	// the number of leaders (1 when all is well).
	m.family("warrantydesk_leader", "gauge", "1 while this instance is the leader (fetches mail, drains the outbox), 0 on standby.")
	m.sample("warrantydesk_leader", nil, boolValue(a.Role() == RoleLeader))

	if counts, err := a.Store.CountByStatus(ctx); err == nil {
		m.family("warrantydesk_tickets", "gauge", "Tickets by status.")
		for _, s := range models.Statuses {
			m.sample("warrantydesk_tickets", []string{"status", s}, float64(counts[s]))
		}
	} else {
		failed("warrantydesk_tickets", err)
	}

	// Intake: every fetched mail by outcome, how long the oldest unprocessed
	// one has waited, and each mailbox's fetch health.
	if counts, err := a.Store.CountIntakeByOutcome(ctx); err == nil {
		m.family("warrantydesk_intake_mails", "gauge", "Fetched mails by outcome.")
		m.counts("warrantydesk_intake_mails", "outcome", counts)
	} else {
		failed("warrantydesk_intake_mails", err)
	}
	if oldest, ok, err := a.Store.OldestPendingIntake(ctx); err == nil {
		m.family("warrantydesk_intake_lag_seconds", "gauge", "Seconds the oldest fetched but unprocessed mail has waited (0 when none waits).")
		m.sample("warrantydesk_intake_lag_seconds", nil, ageSeconds(now, oldest, ok))
	} else {
		failed("warrantydesk_intake_lag_seconds", err)
	}
	if cursors, err := a.Store.Cursors(ctx); err == nil {
		sort.Slice(cursors, func(i, j int) bool { return cursors[i].Mailbox < cursors[j].Mailbox })
		m.family("warrantydesk_intake_last_fetch_timestamp_seconds", "gauge", "Unix time of the last successful fetch per mailbox (0 before the first).")
		for _, c := range cursors {
			m.sample("warrantydesk_intake_last_fetch_timestamp_seconds", []string{"mailbox", c.Mailbox}, unixOf(c.LastFetchAt))
		}
		m.family("warrantydesk_intake_fetch_failing", "gauge", "1 while a mailbox's last fetch failed (its last error is newer than its last success).")
		for _, c := range cursors {
			failing := c.LastErrorAt != nil && (c.LastFetchAt == nil || c.LastErrorAt.After(*c.LastFetchAt))
			m.sample("warrantydesk_intake_fetch_failing", []string{"mailbox", c.Mailbox}, boolValue(failing))
		}
	} else {
		failed("warrantydesk_intake_fetch", err)
	}

	// Outbox.
	if counts, err := a.Store.CountOutboxByStatus(ctx); err == nil {
		m.family("warrantydesk_outbox_mails", "gauge", "Outgoing mails by status.")
		m.counts("warrantydesk_outbox_mails", "status", counts)
	} else {
		failed("warrantydesk_outbox_mails", err)
	}
	if st, err := a.Store.OutboxQueueStats(ctx); err == nil {
		m.queue("warrantydesk_outbox", "outgoing mails", now, st)
	} else {
		failed("warrantydesk_outbox_depth", err)
	}

	// Reseller cases.
	if vs, err := a.Desk.VendorSummaries(ctx); err == nil {
		m.family("warrantydesk_vendor_cases_open", "gauge", "Reseller cases not yet shipped back or closed, by reseller.")
		for _, v := range vs {
			m.sample("warrantydesk_vendor_cases_open", []string{"vendor", v.Vendor.Name}, float64(v.OpenCases))
		}
		m.family("warrantydesk_vendor_cases_overdue", "gauge", "Open reseller cases past the reseller's turnaround, by reseller.")
		for _, v := range vs {
			m.sample("warrantydesk_vendor_cases_overdue", []string{"vendor", v.Vendor.Name}, float64(v.OverdueCases))
		}
	} else {
		failed("warrantydesk_vendor_cases", err)
	}

	// Webhooks.
	if counts, err := a.Store.CountWebhookDeliveriesByStatus(ctx); err == nil {
		m.family("warrantydesk_webhook_deliveries", "gauge", "Webhook deliveries in the queue and its log, by status.")
		for _, s := range models.WebhookStatuses {
			m.sample("warrantydesk_webhook_deliveries", []string{"status", s}, float64(counts[s]))
		}
	} else {
		failed("warrantydesk_webhook_deliveries", err)
	}
	if st, err := a.Store.WebhookQueueStats(ctx); err == nil {
		m.queue("warrantydesk_webhook", "webhook deliveries", now, st)
	} else {
		failed("warrantydesk_webhook_depth", err)
	}

	if a.httpMetrics != nil {
		a.httpMetrics.WritePrometheus(w)
	}
}

// metricWriter writes exposition lines.
type metricWriter struct{ w io.Writer }

func (m metricWriter) family(name, typ, help string) {
	fmt.Fprintf(m.w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

// sample writes one sample; labels are name, value pairs.
func (m metricWriter) sample(name string, labels []string, v float64) {
	fmt.Fprint(m.w, name)
	for i := 0; i+1 < len(labels); i += 2 {
		sep := ","
		if i == 0 {
			sep = "{"
		}
		fmt.Fprintf(m.w, `%s%s="%s"`, sep, labels[i], handlers.LabelValue(labels[i+1]))
	}
	if len(labels) > 1 {
		fmt.Fprint(m.w, "}")
	}
	fmt.Fprintf(m.w, " %s\n", strconv.FormatFloat(v, 'g', -1, 64))
}

// counts writes one sample per key, in key order.
func (m metricWriter) counts(name, label string, counts map[string]int64) {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m.sample(name, []string{label, k}, float64(counts[k]))
	}
}

// queue writes a durable queue's depth, retrying entries and oldest age.
func (m metricWriter) queue(prefix, what string, now time.Time, st models.QueueStats) {
	m.family(prefix+"_depth", "gauge", "Queued "+what+" waiting for delivery (due or backing off).")
	m.sample(prefix+"_depth", nil, float64(st.Depth))
	m.family(prefix+"_retrying", "gauge", "Queued "+what+" that failed at least once and wait for a retry.")
	m.sample(prefix+"_retrying", nil, float64(st.Retrying))
	m.family(prefix+"_oldest_queued_age_seconds", "gauge", "Seconds the oldest queued entry of "+what+" has waited (0 when empty).")
	m.sample(prefix+"_oldest_queued_age_seconds", nil, ageSeconds(now, st.Oldest, st.Depth > 0))
}

func ageSeconds(now, since time.Time, ok bool) float64 {
	if !ok || since.IsZero() {
		return 0
	}
	return float64(int64(max(now.Sub(since), 0).Seconds()))
}

func unixOf(t *time.Time) float64 {
	if t == nil {
		return 0
	}
	return float64(t.Unix())
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
