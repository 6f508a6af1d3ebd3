// Package mailin is the mail intake pipeline: IMAP fetch, MIME parsing, classification (automatic mail,
// bounces, language, serial numbers, fault category) and threading.
package mailin
