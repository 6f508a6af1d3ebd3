package handlers

import (
	"github.com/labstack/echo/v4"

	"warrantydesk/desk"
	"warrantydesk/models"
)

// requireAdmin lets only admins through. It runs after requireAgent, so a
// visitor who is not logged in goes to the login page first, and an agent
// who is not an admin gets the 403 page. The desk checks the role again.
func (h *handler) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if a := agentOf(c); a == nil || a.Role != models.RoleAdmin {
			return desk.ErrForbidden
		}
		return next(c)
	}
}
