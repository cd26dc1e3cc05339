// Package mail sends each person their own message from the outbox:
// before an event their attendance code, during it the reminders staff
// queued, after it their certificate (the PDF attached, or a personal link
// to it), through SMTP. The words are attendance/mailtext's.
//
// # The outbox
//
// The store keeps one row per person, kind (codes, reminders,
// certificates), version (the code, the reminder's batch, or the
// certificate id mailed) and copy (0, then one per resend staff ask for), with its state — queued, sending, sent, failed, bounced
// — its attempts, its Message-ID and the SMTP server's last reply. A run
// first queues what is missing (queuing again is a no-op), then sends every
// open row (queued or sending) whose next attempt is due, oldest first, one
// at a time over one SMTP connection, until none is open.
//
// # Exactly once
//
// For each message, in this order:
//
//  1. the row becomes sending, with its Message-ID, in a committed
//     transaction (the Message-ID is made once, at the first attempt, and
//     kept for every later one);
//  2. MAIL FROM, RCPT TO, DATA and the message go to the server;
//  3. the server's reply to the end of DATA is committed at once: sent
//     (2xx), queued again with a back-off (4xx, or a connection that broke),
//     failed (5xx), or bounced (5xx to RCPT TO). Nothing else happens between
//     the reply and that commit.
//
// A crash or kill -9 before step 1 commits leaves the row queued: it is
// sent by the next run. A crash between 1 and the server's acceptance
// leaves it sending, and the server holds nothing (an SMTP server keeps a
// message only once the DATA terminator is acknowledged). A crash between
// the server's acceptance and the commit of step 3 — a window of one
// reply's transit and one small commit, a few milliseconds per message —
// also leaves it sending, but the message was delivered.
//
// The rule for a row found sending at the start of a run: it is sent again
// with the SAME Message-ID. So nobody is ever skipped; and in the one
// window above, the person receives a second copy of the very same message
// (same Message-ID, same content). Receivers that collapse messages by
// Message-ID (Gmail does; many mail clients do) show one; an MTA that does
// not will deliver both. That is the residual risk, bounded by one message
// per crash (a run sends one message at a time), and preferred to its
// alternative — marking the row "unknown" for staff — which would silently
// skip a person whenever the crash fell before the server accepted, the far
// wider window. The run's summary and log say how many interrupted
// messages were re-sent, so staff know a duplicate is possible for those.
//
// # Retries
//
// A 4xx reply, or a connection that fails, queues the message again after a
// back-off (RetryAfter, doubling per attempt, at most an hour) until
// MaxAttempts attempts, then it fails with the last reply. A 5xx reply is
// final: failed with the reply (bounced when the server refused the
// recipient). A message that cannot be composed (a template error, a name
// no installed font can print) fails with "not sent: …" and zero attempts:
// no server has seen it, so the next run queues it again
// (store.RequeueUnsent) once the cause is fixed. A person deleted (rollcall
// person delete) loses their rows
// with their registration, and a row that is no longer open when it comes
// to be sent is not sent.
//
// Logs and metrics carry outbox row ids, counts and SMTP codes only, never
// an address or a name; the SMTP password is never logged.
package mail
