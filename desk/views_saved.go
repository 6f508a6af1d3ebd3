package desk

import (
	"context"
	"strings"
	"unicode/utf8"

	"warrantydesk/models"
)

// Limits of a saved view.
const (
	MaxViewName  = 80
	MaxViewQuery = 1000
)

// SaveView stores the ticket list query under name for actor, replacing
// the query of the actor's view of the same name. query is the list's
// query string, already reduced to the list's own parameters.
func (s *Service) SaveView(ctx context.Context, actor *models.Agent, name, query string) (*models.SavedView, error) {
	name = strings.Join(strings.Fields(name), " ")
	bad := map[string]string{}
	switch {
	case name == "":
		bad["name"] = "saved.error.name_required"
	case utf8.RuneCountInString(name) > MaxViewName:
		bad["name"] = "saved.error.name_too_long"
	}
	if len(query) > MaxViewQuery {
		bad["query"] = "saved.error.query_too_long"
	}
	if len(bad) > 0 {
		return nil, &ValidationError{Fields: bad}
	}
	v := &models.SavedView{AgentID: actor.ID, Name: name, Query: query}
	if err := s.store.SaveView(ctx, v); err != nil {
		return nil, err
	}
	return v, nil
}

// SavedViews lists actor's saved views by name.
func (s *Service) SavedViews(ctx context.Context, actor *models.Agent) ([]models.SavedView, error) {
	return s.store.SavedViews(ctx, actor.ID)
}

// DeleteSavedView deletes one of actor's saved views; ErrNotFound for a
// view that is not the actor's.
func (s *Service) DeleteSavedView(ctx context.Context, actor *models.Agent, id uint) error {
	return s.store.DeleteSavedView(ctx, actor.ID, id)
}
