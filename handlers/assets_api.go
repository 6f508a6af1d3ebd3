package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"warrantydesk/desk"
)

// apiAsset is an asset in the API.
type apiAsset struct {
	apiAssetRef
	DeliveredOn *string `json:"delivered_on"`
	AssignedTo  string  `json:"assigned_to"`
	Department  string  `json:"department"`
	State       string  `json:"state"`
}

// apiAssets lists assets: ?serial= (normalised, exact serial or asset tag),
// ?q= (serial or asset tag, normalised, or model; substring),
// ?warranty=under|expiring30|expiring60|expiring90|expired|unknown,
// ?state=, ?department=, limit, offset.
func (h *handler) apiAssets(c echo.Context) error {
	limit, offset, err := apiLimits(c)
	if err != nil {
		return err
	}
	assets, total, err := h.Desk.ListAssets(c.Request().Context(), desk.AssetQuery{
		Serial: c.QueryParam("serial"), Q: c.QueryParam("q"), Warranty: c.QueryParam("warranty"),
		State: c.QueryParam("state"), Department: c.QueryParam("department"), Limit: limit, Offset: offset,
	})
	if err != nil {
		return err
	}
	today := h.Desk.Today()
	out := list[apiAsset]{Items: make([]apiAsset, 0, len(assets)), Total: total}
	for i := range assets {
		a := &assets[i]
		item := apiAsset{apiAssetRef: *assetRef(a, desk.WarrantyOf(a, today)), AssignedTo: a.AssignedTo,
			Department: a.Department, State: a.State}
		if d := day(a.DeliveredOn); d != "" {
			item.DeliveredOn = &d
		}
		out.Items = append(out.Items, item)
	}
	return c.JSON(http.StatusOK, out)
}
