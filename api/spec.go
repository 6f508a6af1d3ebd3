// Package api holds the OpenAPI 3 description of the JSON API under
// /api/v1 (openapi.json), embedded so the server can hand it out and tests
// can check it against the route table.
package api

import _ "embed"

//go:embed openapi.json
var spec []byte

// Spec returns the OpenAPI document (JSON).
func Spec() []byte { return spec }
