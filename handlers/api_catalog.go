package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// apiAssetTicket is a ticket about a device.
type apiAssetTicket struct {
	Number    int64     `json:"number"`
	Subject   string    `json:"subject"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

// apiAssetDetail is one device with its tickets.
type apiAssetDetail struct {
	apiAsset
	ReplacedBy *string          `json:"replaced_by"` // serial of the replacement device
	Tickets    []apiAssetTicket `json:"tickets"`
}

// apiAssetBySerial returns the device with this serial (normalised).
func (h *handler) apiAssetBySerial(c echo.Context) error {
	v, err := h.Desk.AssetView(c.Request().Context(), c.Param("serial"))
	if err != nil {
		return err
	}
	a := v.Asset
	d := apiAssetDetail{apiAsset: apiAsset{apiAssetRef: *assetRef(a, v.Warranty), AssignedTo: a.AssignedTo,
		Department: a.Department, State: a.State}, Tickets: make([]apiAssetTicket, 0, len(v.Tickets))}
	if s := day(a.DeliveredOn); s != "" {
		d.DeliveredOn = &s
	}
	if v.ReplacedBy != nil {
		d.ReplacedBy = &v.ReplacedBy.Serial
	}
	for _, t := range v.Tickets {
		d.Tickets = append(d.Tickets, apiAssetTicket{Number: t.Number, Subject: t.Subject, Status: t.Status, CreatedAt: t.CreatedAt.UTC()})
	}
	return c.JSON(http.StatusOK, d)
}

// apiVendor is a reseller with its case counts.
type apiVendor struct {
	Name           string `json:"name"`
	Email          string `json:"email"`
	CasePattern    string `json:"case_pattern"`
	WarrantyMonths int    `json:"warranty_months"`
	TurnaroundDays int    `json:"turnaround_days"`
	AutoForward    bool   `json:"auto_forward"`
	OpenCases      int    `json:"open_cases"`
	OverdueCases   int    `json:"overdue_cases"`
}

// apiVendors lists every reseller by name.
func (h *handler) apiVendors(c echo.Context) error {
	vs, err := h.Desk.VendorSummaries(c.Request().Context())
	if err != nil {
		return err
	}
	out := list[apiVendor]{Items: make([]apiVendor, 0, len(vs)), Total: int64(len(vs))}
	for _, v := range vs {
		out.Items = append(out.Items, apiVendor{Name: v.Vendor.Name, Email: v.Vendor.Email, CasePattern: v.Vendor.CasePattern,
			WarrantyMonths: v.Vendor.WarrantyMonths, TurnaroundDays: v.Vendor.TurnaroundDays, AutoForward: v.Vendor.AutoForward,
			OpenCases: v.OpenCases, OverdueCases: v.OverdueCases})
	}
	return c.JSON(http.StatusOK, out)
}
