// Package devmail runs in-process mail servers — an IMAP server and an SMTP capture — for the demo and for tests.
package devmail
