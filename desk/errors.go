package desk

import (
	"errors"
	"fmt"
	"strings"

	"warrantydesk/models"
)

// ErrNotFound is returned when the ticket, asset or user does not exist.
var ErrNotFound = models.ErrNotFound

// ErrForbidden is returned when the actor may not do this.
var ErrForbidden = errors.New("forbidden")

// ValidationError lists the fields of a request that are wrong, each with a
// catalog key that explains the problem in the user's language.
type ValidationError struct {
	Fields map[string]string // field → message key
}

func (e *ValidationError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for f, k := range e.Fields {
		parts = append(parts, f+": "+k)
	}
	return "invalid input: " + strings.Join(parts, ", ")
}

func invalid(field, key string) error {
	return &ValidationError{Fields: map[string]string{field: key}}
}

// ConflictError reports that the action does not fit the ticket's state.
type ConflictError struct{ Key string }

func (e *ConflictError) Error() string { return fmt.Sprintf("conflict: %s", e.Key) }
