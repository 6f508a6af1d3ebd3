package handlers

import (
	"time"
)

// Sample data of the admin pages and the help page for TestTemplatesRender
// and the accessibility checks.

func sampleAdminAgents() adminAgentsData {
	at := time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)
	roles := []option{{Value: "agent", Label: "Handläggare", Selected: true}, {Value: "admin", Label: "Administratör"}}
	return adminAgentsData{
		Rows: []adminAgentRow{{ID: 1, Name: "Anna <b>", Email: "anna@desk.test", Role: badge{"role-agent", "Handläggare"}, Roles: roles,
			RoleURL: "/admin/agents/1/role", PasswordURL: "/admin/agents/1/password", Self: true, Created: at},
			{ID: 2, Name: "Jonas", Email: "jonas@atea.test", Role: badge{"role-vendor", "Återförsäljare"}, Vendor: "Atea <b>",
				RoleURL: "/admin/agents/2/role", PasswordURL: "/admin/agents/2/password", Created: at}},
		Roles: roles, Vendors: []option{{Value: "Atea", Label: "Atea", Selected: true}},
		Form:   adminAgentForm{Email: "olle@desk.test", Name: "Olle", Role: "agent", Vendor: "Atea"},
		Errors: []string{"Det finns redan en handläggare med den e-postadressen."},
		Issued: &issuedPassword{Name: "Olle", Email: "olle@desk.test", Password: "abcDEF234ghjKLM5", Created: true},
	}
}

func sampleAdminVendors() adminVendorsData {
	return adminVendorsData{Rows: []adminVendorRow{{Name: "Atea", Email: "service@atea.test", CasePattern: `RMA-\d{6}`,
		WarrantyMonths: 36, Turnaround: 10, AutoForward: "Ja", OpenCases: 3, Overdue: 1, OverdueClass: "badge badge-bad"}}}
}

func sampleAdminMailbox() adminMailboxData {
	at := time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)
	return adminMailboxData{
		Settings: MailboxSettings{IMAPHost: "imap.kommun.se", IMAPPort: 993, IMAPTLS: "implicit", IMAPUsername: "helpdesk",
			Mailbox: "INBOX", ProcessedMailbox: "Behandlat", Idle: true, PollInterval: time.Minute,
			SMTPHost: "smtp.kommun.se", SMTPPort: 587, SMTPTLS: "starttls", SMTPFrom: "bounce@kommun.se", DeskAddress: "helpdesk@kommun.se"},
		Configured: true, SMTPOn: true, Poll: "1m0s",
		Intake:  &HealthCheck{OK: false, Detail: "intake failing: timeout", LastSuccess: &at},
		Cursors: []cursorRow{{Mailbox: "INBOX", UIDValidity: 7, LastUID: 120, LastFetch: &at, LastError: "timeout", LastErrorAt: &at}},
		Outbox:  []adminCount{{State: badge{"delivery-failed", "Misslyckades"}, Count: 2, URL: "/outbox?status=failed"}},
	}
}

func sampleHelp() helpData {
	return helpData{Groups: []shortcutGroup{{Title: "Listor", Items: []shortcut{{Keys: []string{"j"}, Label: "Nästa rad"},
		{Keys: []string{"g", "i"}, Label: "Alla ärenden", URL: "/tickets", Goto: "i"}}}}}
}

// sampleRelated is the related-tickets card of the ticket page sample.
func sampleRelated() *relatedCard {
	st := badge{"status-open", "Öppen"}
	return &relatedCard{
		Links:      []relatedItem{{Number: 1002, URL: "/tickets/1002", Subject: "Skrivaren <b>", Status: st, UnlinkURL: "/tickets/1001/links/1002/delete"}},
		MergedInto: &relatedItem{Number: 1003, URL: "/tickets/1003", Subject: "Samma fel", Status: st},
		MergedFrom: []relatedItem{{Number: 1000, URL: "/tickets/1000", Subject: "Tidigare", Status: st}},
		LinkURL:    "/tickets/1001/links", MergeURL: "/tickets/1001/merge",
	}
}
