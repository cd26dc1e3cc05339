// Package mailtext holds the words of rollcall's mail: each kind's
// templates (a subject, a plain text body and an HTML body, Go templates
// over Data), the built-in ones, an event's own kept in the store, and a
// folder's files that win over both for one run of "rollcall mail".
//
// It is the domain's part of mail, shared by the sender (attendance/mail,
// which adds the outbox and SMTP) and the dashboard (which previews and
// edits an event's templates), so neither imports the other.
package mailtext
