package handlers

import (
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"testing"
)

// TestStandbyInstanceSaysIntakeRunsElsewhere: /healthz carries the instance's
// role next to the existing fields, and the mailbox page of a standby tells
// the admin (in both languages) why this instance fetches nothing.
func TestStandbyInstanceSaysIntakeRunsElsewhere(t *testing.T) {
	en := newEnv(t)
	admin := en.adminClient()
	for _, tt := range []struct {
		role, lang string
		notice     bool
	}{
		{"standby", "sv", true},
		{"standby", "en", true},
		{"leader", "sv", false},
		{"", "en", false}, // not serving (a one-shot command's handler)
	} {
		t.Run(tt.role+"/"+tt.lang, func(t *testing.T) {
			en.health.Role = tt.role
			res := admin.get("/healthz")
			var body map[string]any
			if err := json.Unmarshal([]byte(res.body), &body); err != nil || res.StatusCode != http.StatusOK {
				t.Fatalf("healthz: %d %v %s", res.StatusCode, err, res.body)
			}
			if body["status"] != "ok" || body["checks"] == nil {
				t.Errorf("healthz lost its fields: %s", res.body)
			}
			if role, has := body["role"]; (tt.role == "" && has) || (tt.role != "" && role != tt.role) {
				t.Errorf("healthz role = %v (present %v), want %q", role, has, tt.role)
			}

			admin.get("/lang/" + tt.lang + "?next=%2F")
			page := admin.get("/admin/mailbox").body
			notice := html.EscapeString(en.cat.T(tt.lang, "leader.standby_notice"))
			if strings.Contains(page, notice) != tt.notice {
				t.Errorf("%s page shows the standby notice: %v, want %v", tt.lang, !tt.notice, tt.notice)
			}
		})
	}
	if sv, enText := en.cat.T("sv", "leader.standby_notice"), en.cat.T("en", "leader.standby_notice"); sv == enText || sv == "leader.standby_notice" {
		t.Errorf("the notice is not translated: sv %q, en %q", sv, enText)
	}
}
