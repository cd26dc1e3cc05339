package attendance

import (
	"errors"
	"time"
)

// MailKind is what a message of the outbox carries.
type MailKind string

// The kinds of mail rollcall sends: before the event each registrant's
// attendance code, during it a reminder staff send to the people of a
// filter (their code again), after it each certificate.
const (
	MailCodes        MailKind = "codes"
	MailReminders    MailKind = "reminders"
	MailCertificates MailKind = "certificates"
)

// MailTemplate is an event's own text of a kind of mail (Go templates over
// the fields attendance/mailtext documents), kept with who set it and when.
type MailTemplate struct {
	Kind                MailKind
	Subject, Text, HTML string
	UpdatedBy           string
	UpdatedAt           time.Time
}

// MailState is where an outbox message stands.
type MailState string

// The states of an outbox message. Queued and sending are open: a run sends
// them. Sent, failed and bounced are final.
const (
	MailQueued  MailState = "queued"
	MailSending MailState = "sending" // its Message-ID fixed; the SMTP transaction may have begun
	MailSent    MailState = "sent"    // the server accepted it (250 after DATA)
	MailFailed  MailState = "failed"  // a permanent (5xx) reply, or temporary ones past the retry limit
	MailBounced MailState = "bounced" // the server refused the recipient (5xx to RCPT TO)
)

// OutboxEntry is one message of the outbox: one person, one kind, one
// version of what is mailed (the code, or the certificate id) and one copy
// (0, then one more for each resend staff ask for), with its recipient
// as read with it.
type OutboxEntry struct {
	ID             int64
	EventID        int64
	RegistrationID int64
	Kind           MailKind
	Version        string
	Copy           int
	State          MailState
	Attempts       int
	// MessageID is fixed, once, just before the first SMTP transaction,
	// and kept for every later attempt of this message.
	MessageID     string
	Reply         string // the SMTP server's last reply
	NextAttemptAt time.Time
	QueuedAt      time.Time
	UpdatedAt     time.Time
	RequestedBy   string // the staff member who asked for a resend

	// Email, FullName and Code are the recipient's, read with the row.
	Email, FullName, Code string
}

// ErrMailGone is wrapped by the error of marking a message sending when it
// is no longer open: its person was deleted, or another run finished it.
// Such a message is not sent.
var ErrMailGone = errors.New("message no longer open")
