// Package models owns warrantydesk's data: the GORM models, the versioned
// migrations that create them, and the context-first store methods that read
// and write them. It knows nothing about HTTP or mail; the rules that decide
// what to store live in package desk.
package models
