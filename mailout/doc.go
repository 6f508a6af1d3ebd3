// Package mailout builds outgoing mail and delivers it from the durable outbox over SMTP.
//
// Mail is rendered once by Build, stored as raw bytes in the outbox table
// (models.OutboxMail) in the same transaction as the ticket change that caused
// it, and delivered later by a Worker through a Sender. Delivery is
// at-least-once: nothing queued is ever lost, and at most the one mail that was
// being delivered when the process died can be sent twice.
package mailout
