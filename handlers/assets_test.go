package handlers

import (
	"bytes"
	"context"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"warrantydesk/models"
)

const adminEmail = "admin@desk.test"

// adminClient is a browser logged in as an admin.
func (en *env) adminClient() *client {
	en.t.Helper()
	if _, err := en.store.AgentByEmail(context.Background(), adminEmail); err != nil {
		if _, err := en.desk.CreateAgent(context.Background(), adminEmail, "Ada Admin", models.RoleAdmin, testPassword); err != nil {
			en.t.Fatal(err)
		}
	}
	c := en.client()
	tok := c.csrf("/login")
	if res := c.post("/login", url.Values{"email": {adminEmail}, "password": {testPassword}, "_csrf": {tok}}); res.StatusCode != http.StatusSeeOther {
		en.t.Fatalf("admin login: %d", res.StatusCode)
	}
	return c
}

// upload posts a CSV through the assets page's upload form.
func (c *client) upload(csrf, csv string) response {
	c.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if csrf != "" {
		if err := w.WriteField("_csrf", csrf); err != nil {
			c.t.Fatal(err)
		}
	}
	fw, err := w.CreateFormFile("file", "leverans.csv")
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := fw.Write([]byte(csv)); err != nil {
		c.t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		c.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, c.env.srv.URL+"/assets/import", &body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.do(req)
}

func TestAssetUploadForm(t *testing.T) {
	en := newEnv(t)
	en.seedAsset("PF2ABC12", time.Date(2024, 1, 10, 0, 0, 0, 0, time.UTC), "eva@corp.test")
	csv := "serial,vendor,delivered_on\nPF2ABC12,Atea,2024-02-01\nPF9NEW01,Atea,2025-13-01\nPF9NEW02,Atea,2025-01-01\n"

	t.Run("agents see no form and may not post", func(t *testing.T) {
		c := en.client()
		c.login()
		page := c.get("/assets")
		if strings.Contains(page.body, `action="/assets/import"`) {
			t.Error("the upload form is shown to an agent")
		}
		if res := c.upload(c.csrf("/assets"), csv); res.StatusCode != http.StatusForbidden {
			t.Errorf("agent upload: %d, want 403", res.StatusCode)
		}
	})
	c := en.adminClient()
	t.Run("without the CSRF token", func(t *testing.T) {
		if res := c.upload("", csv); res.StatusCode != http.StatusForbidden {
			t.Errorf("upload without token: %d, want 403", res.StatusCode)
		}
		if _, err := en.store.AssetBySerial(context.Background(), "PF9NEW02"); err == nil {
			t.Error("a refused upload imported rows")
		}
	})
	t.Run("summary and row errors", func(t *testing.T) {
		page := c.get("/assets")
		if !strings.Contains(page.body, `enctype="multipart/form-data"`) {
			t.Fatal("no upload form for the admin")
		}
		res := c.upload(csrfRe.FindStringSubmatch(page.body)[1], csv)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("upload: %d\n%s", res.StatusCode, res.body)
		}
		body := html.UnescapeString(res.body)
		for _, want := range []string{
			en.cat.T("sv", "registry.import.summary", 1, 1, 1),
			en.cat.T("sv", "registry.import.row_column", 3, "delivered_on", en.cat.T("sv", "import.row.bad_date", "2025-13-01")),
		} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		a, err := en.store.AssetBySerial(context.Background(), "PF2ABC12")
		if err != nil || day(a.DeliveredOn) != "2024-02-01" {
			t.Fatalf("PF2ABC12 not updated: %v %v", a, err)
		}
		events, _ := en.store.Audit(context.Background(), "asset", a.ID)
		if len(events) != 1 || events[0].Actor != adminEmail || events[0].Field != "delivered_on" || events[0].Old != "2024-01-10" {
			t.Errorf("warranty history %+v, want delivered_on by the admin", events)
		}
	})
	t.Run("a wrong header refuses the file", func(t *testing.T) {
		res := c.upload(c.csrf("/assets"), "serienummer,modell\nX,Y\n")
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, en.cat.T("sv", "import.header.no_serial")) {
			t.Errorf("bad header: %d", res.StatusCode)
		}
	})
}

func TestAssetPage(t *testing.T) {
	en := newEnv(t)
	ctx := context.Background()
	delivered := time.Date(2025, 9, 25, 0, 0, 0, 0, time.UTC)
	a := en.seedAsset("PF2ABC12", delivered, "eva@corp.test")
	tk := en.seedTicket("Skärmen flimrar", models.StatusOpen, models.CategoryHardware, "eva@corp.test", "S/N PF2ABC12", a)

	t.Run("renders in sv and en", func(t *testing.T) {
		c := en.client()
		c.login()
		for _, lang := range []string{"sv", "en"} {
			if lang == "en" {
				c.get("/lang/en?next=%2F")
			}
			res := c.get("/assets/pf-2abc12")
			if res.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d", lang, res.StatusCode)
			}
			body := html.UnescapeString(res.body)
			for _, want := range []string{
				en.cat.T(lang, "registry.basis.delivered", "2025-09-25", 36), "2028-09-24",
				en.cat.T(lang, "registry.basis.months_from.vendor"), tk.Subject, "#" + itoa(tk.Number),
				en.cat.T(lang, "status.open"),
			} {
				if !strings.Contains(body, want) {
					t.Errorf("%s page lacks %q", lang, want)
				}
			}
			if strings.Contains(body, `action="/assets/PF2ABC12/swap"`) {
				t.Errorf("%s: an agent sees the admin forms", lang)
			}
		}
		if res := c.get("/assets/NOSUCH"); res.StatusCode != http.StatusNotFound {
			t.Errorf("unknown serial: %d", res.StatusCode)
		}
		if res := c.post("/assets/PF2ABC12/state", url.Values{"state": {"retired"}, "_csrf": {c.csrf("/assets/PF2ABC12")}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("agent state change: %d, want 403", res.StatusCode)
		}
	})

	c := en.adminClient()
	t.Run("edit warranty: refused input is shown again", func(t *testing.T) {
		res := c.post("/assets/PF2ABC12/warranty", url.Values{"ends_on": {"2027-01-01"}, "months": {"12"}, "_csrf": {c.csrf("/assets/PF2ABC12")}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, en.cat.T("sv", "registry.error.end_or_months")) ||
			!strings.Contains(res.body, `value="2027-01-01"`) {
			t.Errorf("both fields: %d", res.StatusCode)
		}
	})
	t.Run("edit warranty: fixed end, then history", func(t *testing.T) {
		res := c.post("/assets/PF2ABC12/warranty", url.Values{"ends_on": {"2029-06-30"}, "_csrf": {c.csrf("/assets/PF2ABC12")}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d", res.StatusCode)
		}
		body := html.UnescapeString(c.get("/assets/PF2ABC12").body)
		for _, want := range []string{en.cat.T("sv", "registry.basis.fixed"), en.cat.T("sv", "registry.field.warranty_ends_on"), "2029-06-30", adminEmail} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		got, _ := en.store.AssetBySerial(ctx, "PF2ABC12")
		if day(got.WarrantyEndsOnEffective) != "2029-06-30" {
			t.Errorf("effective end %s", day(got.WarrantyEndsOnEffective))
		}
	})
	t.Run("swap from the ticket", func(t *testing.T) {
		if body := c.get(ticketURL(tk.Number)).body; !strings.Contains(body, `href="/assets/PF2ABC12?ticket=`+itoa(tk.Number)+`#swap"`) {
			t.Error("the ticket's device card has no swap link for the admin")
		}
		path := "/assets/PF2ABC12?ticket=" + itoa(tk.Number)
		if !strings.Contains(c.get(path).body, `name="ticket" value="`+itoa(tk.Number)+`"`) {
			t.Error("the swap form does not carry the ticket")
		}
		res := c.post("/assets/PF2ABC12/swap", url.Values{"new_serial": {"pf9-new01"}, "ticket": {itoa(tk.Number)}, "_csrf": {c.csrf(path)}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != ticketURL(tk.Number) {
			t.Fatalf("swap: %d → %s\n%s", res.StatusCode, res.Header.Get("Location"), res.body)
		}
		got, err := en.store.TicketByNumber(ctx, tk.Number)
		if err != nil || got.Asset == nil || got.Asset.Serial != "PF9NEW01" {
			t.Fatalf("ticket asset %v %v", got.Asset, err)
		}
		old, _ := en.store.AssetBySerial(ctx, "PF2ABC12")
		if old.State != models.AssetRetired || old.ReplacedByID == nil || *old.ReplacedByID != got.Asset.ID {
			t.Errorf("old device %s replaced by %v", old.State, old.ReplacedByID)
		}
		body := html.UnescapeString(c.get("/assets/PF2ABC12").body)
		if !strings.Contains(body, `href="/assets/PF9NEW01"`) || !strings.Contains(body, en.cat.T("sv", "registry.field.replaced_by")) {
			t.Error("the old device's page does not show its replacement")
		}
	})
}

// TestTicketOtherSerials: a mail naming an unknown serial offers the
// registered device it is one look-alike character from (O/0).
func TestTicketOtherSerials(t *testing.T) {
	en := newEnv(t)
	en.seedAsset("PF0ABC12", time.Now().AddDate(-1, 0, 0), "eva@corp.test")
	tk := en.seedTicket("Trasig dator", models.StatusNew, models.CategoryHardware, "bo@corp.test", "Serienummer: PFOABC12", nil)
	c := en.client()
	c.login()
	body := html.UnescapeString(c.get(ticketURL(tk.Number)).body)
	for _, want := range []string{en.cat.T("sv", "registry.other_serials"), `name="serial" value="PF0ABC12"`, en.cat.T("sv", "registry.near_match", "PFOABC12")} {
		if !strings.Contains(body, want) {
			t.Errorf("ticket page lacks %q", want)
		}
	}
	res := c.post(ticketURL(tk.Number)+"/asset", url.Values{"serial": {"PF0ABC12"}, "_csrf": {c.csrf(ticketURL(tk.Number))}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("link: %d", res.StatusCode)
	}
	if strings.Contains(c.get(ticketURL(tk.Number)).body, en.cat.T("sv", "registry.other_serials")) {
		t.Error("the linked device is still offered")
	}
}

func TestAPIAssetFilters(t *testing.T) {
	en := newEnv(t)
	now := time.Now()
	en.seedAsset("PF2ABC12", now.AddDate(-4, 0, 0), "eva@corp.test")                                        // expired
	en.seedAsset("5CG1234XYZ", now.AddDate(0, -2, 0), "olle@corp.test")                                     // under, years left
	en.seedAsset("PF2EXP20", now.AddDate(-3, 0, 20), "bo@corp.test")                                        // ends in about 19 days
	if _, err := en.store.UpsertAsset(context.Background(), &models.Asset{Serial: "NODATE1"}); err != nil { // unknown
		t.Fatal(err)
	}
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"warranty=expired", []string{"PF2ABC12"}},
		{"warranty=expiring30", []string{"PF2EXP20"}},
		{"warranty=under", []string{"PF2EXP20", "5CG1234XYZ"}},
		{"warranty=unknown", []string{"NODATE1"}},
		{"q=pf2-abc", []string{"PF2ABC12"}},
		{"q=thinkpad&warranty=expiring90", []string{"PF2EXP20"}},
		{"serial=it+xp-20", []string{"PF2EXP20"}}, // asset tag IT-XP20, normalised
	} {
		l := en.apiList("/api/v1/assets?" + tt.query)
		var got []string
		for _, it := range l.Items {
			got = append(got, it["serial"].(string))
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") || l.Total != int64(len(tt.want)) {
			t.Errorf("%s: %v (total %d), want %v", tt.query, got, l.Total, tt.want)
		}
	}
	if res := en.api("/api/v1/assets?warranty=soon"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown warranty filter: %d, want 400", res.StatusCode)
	}
}
