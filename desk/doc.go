// Package desk is the domain layer: the ticket lifecycle, warranty rules,
// routing of hardware faults to the reseller, threading of incoming mail, and
// the agent actions (reply, note, status, assignment). It is the only place
// where rules live; handlers and the intake pipeline call it.
package desk
