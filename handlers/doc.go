// Package handlers is the HTTP side of the desk: one route table, web pages,
// the JSON API, authentication and CSRF.
//
// Handlers are thin: they bind and check the request, call the desk (package
// desk) or read from the store, and render a page, a redirect or JSON. Every
// rule about tickets lives in the desk; every string a user reads goes
// through the message catalog (package templates).
package handlers
