package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"warrantydesk/desk"
	"warrantydesk/models"
)

// expSample is one parsed sample line.
type expSample struct {
	name   string
	labels map[string]string
	value  float64
}

var (
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelPair  = regexp.MustCompile(`^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"`)
)

// parseExposition checks text against the text exposition format 0.0.4:
// HELP and TYPE once per family and before its samples, samples of known
// families only, no series twice, histograms with cumulative buckets ending
// in +Inf that equals _count, and a _sum. It returns the samples.
func parseExposition(text string) (out []expSample, problems []string) {
	t := &problemList{}
	defer func() { problems = t.list }()
	types := map[string]string{}
	helps := map[string]bool{}
	seen := map[string]bool{}
	if !strings.HasSuffix(text, "\n") {
		t.Errorf("exposition does not end with a newline")
	}
	for n, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		where := "line " + strconv.Itoa(n+1) + ": " + line
		switch {
		case strings.HasPrefix(line, "# HELP "):
			name, _, _ := strings.Cut(strings.TrimPrefix(line, "# HELP "), " ")
			if helps[name] || types[name] != "" {
				t.Errorf("%s: HELP again or after TYPE", where)
			}
			helps[name] = true
		case strings.HasPrefix(line, "# TYPE "):
			f := strings.Fields(strings.TrimPrefix(line, "# TYPE "))
			if len(f) != 2 || !metricName.MatchString(f[0]) || types[f[0]] != "" {
				t.Errorf("%s: bad or repeated TYPE", where)
				continue
			}
			switch f[1] {
			case "counter", "gauge", "histogram", "summary", "untyped":
			default:
				t.Errorf("%s: unknown type", where)
			}
			types[f[0]] = f[1]
		case strings.HasPrefix(line, "#") || line == "":
			t.Errorf("%s: unexpected line", where)
		default:
			s := parseSample(t, where, line)
			family := s.name
			if types[family] == "" {
				for _, suf := range []string{"_bucket", "_sum", "_count"} {
					if base := strings.TrimSuffix(s.name, suf); base != s.name && types[base] == "histogram" {
						family = base
					}
				}
			}
			if types[family] == "" {
				t.Errorf("%s: sample before its TYPE", where)
			}
			key := s.name + "{" + canonicalLabels(s.labels) + "}"
			if seen[key] {
				t.Errorf("%s: duplicate series", where)
			}
			seen[key] = true
			out = append(out, s)
		}
	}
	checkHistograms(t, types, out)
	return out, t.list
}

func parseSample(t *problemList, where, line string) expSample {
	s := expSample{labels: map[string]string{}}
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		t.Errorf("%s: no value", where)
		return s
	}
	s.name, line = line[:i], line[i:]
	if !metricName.MatchString(s.name) {
		t.Errorf("%s: bad metric name", where)
	}
	if strings.HasPrefix(line, "{") {
		line = line[1:]
		for !strings.HasPrefix(line, "}") {
			m := labelPair.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s: bad label at %q", where, line)
				return s
			}
			if _, dup := s.labels[m[1]]; dup {
				t.Errorf("%s: label %s twice", where, m[1])
			}
			s.labels[m[1]] = m[2]
			line = strings.TrimPrefix(line[len(m[0]):], ",")
		}
		line = line[1:]
	}
	if !strings.HasPrefix(line, " ") {
		t.Errorf("%s: no space before the value", where)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(line), 64)
	if err != nil {
		t.Errorf("%s: value: %v", where, err)
	}
	s.value = v
	return s
}

func canonicalLabels(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + strconv.Quote(l[k]) + ",")
	}
	return b.String()
}

func checkHistograms(t *problemList, types map[string]string, samples []expSample) {
	type series struct {
		buckets    []expSample
		sum, count *expSample
	}
	all := map[string]*series{}
	get := func(name string, labels map[string]string) *series {
		l := map[string]string{}
		for k, v := range labels {
			if k != "le" {
				l[k] = v
			}
		}
		key := name + "{" + canonicalLabels(l) + "}"
		if all[key] == nil {
			all[key] = &series{}
		}
		return all[key]
	}
	for i := range samples {
		s := &samples[i]
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			base := strings.TrimSuffix(s.name, suf)
			if base == s.name || types[base] != "histogram" {
				continue
			}
			h := get(base, s.labels)
			switch suf {
			case "_bucket":
				if _, ok := s.labels["le"]; !ok {
					t.Errorf("%s without le", s.name)
				}
				h.buckets = append(h.buckets, *s)
			case "_sum":
				h.sum = s
			case "_count":
				h.count = s
			}
		}
	}
	for key, h := range all {
		if h.sum == nil || h.count == nil || len(h.buckets) == 0 {
			t.Errorf("histogram %s lacks _sum, _count or buckets", key)
			continue
		}
		prevLe, prev := -1.0, 0.0
		for _, b := range h.buckets {
			le, err := strconv.ParseFloat(b.labels["le"], 64) // "+Inf" parses as +Inf
			if err != nil || le <= prevLe || b.value < prev {
				t.Errorf("histogram %s: bucket le=%s (%v) not increasing or not cumulative", key, b.labels["le"], b.value)
			}
			prevLe, prev = le, b.value
		}
		last := h.buckets[len(h.buckets)-1]
		if last.labels["le"] != "+Inf" || last.value != h.count.value {
			t.Errorf("histogram %s: last bucket le=%s %v, count %v", key, last.labels["le"], last.value, h.count.value)
		}
	}
}

// problemList collects what is wrong with an exposition.
type problemList struct{ list []string }

func (p *problemList) Errorf(format string, args ...any) {
	p.list = append(p.list, fmt.Sprintf(format, args...))
}

func find(samples []expSample, name string, labels ...string) (float64, bool) {
	for _, s := range samples {
		if s.name != name {
			continue
		}
		ok := true
		for i := 0; i+1 < len(labels); i += 2 {
			ok = ok && s.labels[labels[i]] == labels[i+1]
		}
		if ok {
			return s.value, true
		}
	}
	return 0, false
}

func TestMetricsExposition(t *testing.T) {
	ctx := context.Background()
	cfg := Defaults()
	useTestDatabase(t, &cfg)
	cfg.Desk.Address = "helpdesk@kommun.test"
	cfg.Vendors = []VendorConfig{{Name: "Refurbo \"AB\"", Email: "garanti@refurbo.test", WarrantyMonths: 36, TurnaroundDays: 10},
		{Name: "Atea", Email: "service@atea.test", TurnaroundDays: 5}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	agent, err := a.Desk.CreateAgent(ctx, "eva@kommun.test", "Eva", models.RoleAgent, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	token, err := a.Store.CreateAPIToken(ctx, agent.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	// A ticket with a reply waiting in the outbox, an overdue reseller case,
	// a webhook delivery waiting, and a fetched mail not yet processed.
	tk, err := a.Desk.CreateTicketAs(ctx, agent, desk.NewTicket{Email: "anna@kommun.test", Subject: "Trasig skärm", Text: "Skärmen är sprucken."})
	if err != nil {
		t.Fatal(err)
	}
	vendor, err := a.Store.VendorByName(ctx, "Refurbo \"AB\"")
	if err != nil {
		t.Fatal(err)
	}
	forwarded := time.Now().UTC().AddDate(0, 0, -20)
	if err := a.Store.SaveVendorCase(ctx, &models.VendorCase{TicketID: tk.ID, VendorID: vendor.ID, State: models.CaseForwarded, ForwardedAt: &forwarded}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Desk.AddWebhook(ctx, nil, desk.WebhookInput{URL: "http://127.0.0.1:1/hook", Events: []string{desk.EventTicketUpdated}}); err != nil {
		t.Fatal(err)
	}
	if err := a.Desk.Reply(ctx, agent, tk.Number, "Vi tittar på det.", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Store.RecordFetched(ctx, "INBOX", 7, []models.FetchedMail{{UID: 1, Raw: []byte("Subject: x\r\n\r\nhej\r\n")}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // so the waiting mail's lag is at least a second

	h, err := a.Handler()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(path, tok string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if path == "/metrics" && res.Header.Get("Content-Type") != "text/plain; version=0.0.4; charset=utf-8" {
			t.Errorf("content type %q", res.Header.Get("Content-Type"))
		}
		return string(b)
	}
	for _, n := range []string{"1001", "1001", "999"} {
		get("/api/v1/tickets/"+n, token)
	}
	get("/api/v1/tickets", "")
	get("/no/such/page", "")
	text := get("/metrics", "")
	samples, problems := parseExposition(text)
	for _, p := range problems {
		t.Error(p)
	}

	want := []struct {
		name   string
		labels []string
		check  func(float64) bool
		what   string
	}{
		{"warrantydesk_up", nil, eq(1), "1"},
		{"warrantydesk_tickets", []string{"status", "pending"}, eq(1), "1"},
		{"warrantydesk_intake_mails", []string{"outcome", "pending"}, eq(1), "1"},
		{"warrantydesk_intake_lag_seconds", nil, func(v float64) bool { return v >= 1 && v < 60 }, "1–60 s"},
		{"warrantydesk_intake_last_fetch_timestamp_seconds", []string{"mailbox", "INBOX"}, func(float64) bool { return true }, "present"},
		{"warrantydesk_outbox_mails", []string{"status", "queued"}, eq(1), "1"},
		{"warrantydesk_outbox_depth", nil, eq(1), "1"},
		{"warrantydesk_outbox_retrying", nil, eq(0), "0"},
		{"warrantydesk_vendor_cases_open", []string{"vendor", `Refurbo \"AB\"`}, eq(1), "1"},
		{"warrantydesk_vendor_cases_overdue", []string{"vendor", `Refurbo \"AB\"`}, eq(1), "1"},
		{"warrantydesk_vendor_cases_overdue", []string{"vendor", "Atea"}, eq(0), "0"},
		{"warrantydesk_webhook_depth", nil, eq(1), "1"},
		{"warrantydesk_webhook_deliveries", []string{"status", "failed"}, eq(0), "0"},
		{"warrantydesk_http_request_duration_seconds_count", []string{"route", "/api/v1/tickets/:number", "status", "2xx", "method", "GET"}, eq(2), "2"},
		{"warrantydesk_http_request_duration_seconds_count", []string{"route", "/api/v1/tickets/:number", "status", "4xx"}, eq(1), "1 (the 404)"},
		{"warrantydesk_http_request_duration_seconds_count", []string{"route", "/api/v1/tickets", "status", "4xx"}, eq(1), "1 (the 401)"},
	}
	for _, w := range want {
		v, ok := find(samples, w.name, w.labels...)
		if !ok || !w.check(v) {
			t.Errorf("%s%v = %v (present %v), want %s", w.name, w.labels, v, ok, w.what)
		}
	}
	if strings.Contains(text, `route="/api/v1/tickets/1001"`) || strings.Contains(text, "/no/such/page") {
		t.Error("a raw URL became a label value")
	}
	if t.Failed() {
		t.Log(text)
	}
}

func eq(want float64) func(float64) bool { return func(v float64) bool { return v == want } }

// TestParseExpositionRejectsBrokenText shows the checker above can fail.
func TestParseExpositionRejectsBrokenText(t *testing.T) {
	good := "# HELP a_b A.\n# TYPE a_b gauge\na_b{x=\"1\"} 2\n"
	if _, problems := parseExposition(good); len(problems) != 0 {
		t.Fatalf("good text refused: %v", problems)
	}
	hist := func(b1, b2, inf, count string) string {
		return "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"0.1\"} " + b1 + "\nh_bucket{le=\"1\"} " + b2 +
			"\nh_bucket{le=\"+Inf\"} " + inf + "\nh_sum 1\nh_count " + count + "\n"
	}
	if _, problems := parseExposition(hist("1", "2", "3", "3")); len(problems) != 0 {
		t.Fatalf("good histogram refused: %v", problems)
	}
	for name, text := range map[string]string{
		"sample before TYPE":     "a 1\n# HELP a A.\n# TYPE a gauge\n",
		"duplicate series":       good + "a_b{x=\"1\"} 3\n",
		"TYPE twice":             good + "# TYPE a_b gauge\n",
		"bad value":              "# HELP a A.\n# TYPE a gauge\na one\n",
		"unterminated label":     "# HELP a A.\n# TYPE a gauge\na{x=\"1} 1\n",
		"buckets not cumulative": hist("2", "1", "3", "3"),
		"+Inf is not count":      hist("1", "2", "3", "4"),
		"no +Inf":                "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
		"no sum":                 "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n",
	} {
		if _, problems := parseExposition(text); len(problems) == 0 {
			t.Errorf("%s: accepted", name)
		}
	}
}
