// Package app wires warrantydesk together: it loads and validates the
// configuration, opens the database, builds every component with its
// dependencies, runs the background workers and the web server, and shuts
// them down gracefully. The command-line commands live here too.
package app
