// Package oauth owns OAuth 2.0 access tokens for mailboxes that no longer accept passwords
// (Microsoft 365, Google) and the SASL XOAUTH2 mechanism that presents them to IMAP and SMTP
// servers. Tokens come from golang.org/x/oauth2 (client credentials for Microsoft, a refresh
// token for Google), are renewed before they expire, and every failure to renew is kept so the
// desk can report it; secrets never appear in an error or a log line.
package oauth
