package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/seameo/rollcall/attendance"
)

// outboxRow is an outbox row joined with its recipient.
type outboxRow struct {
	ID          int64  `db:"id"`
	EventID     int64  `db:"event_id"`
	RegID       int64  `db:"registration_id"`
	Kind        string `db:"kind"`
	Version     string `db:"version"`
	Copy        int    `db:"copy"`
	State       string `db:"state"`
	Attempts    int    `db:"attempts"`
	MessageID   string `db:"message_id"`
	Reply       string `db:"reply"`
	Next        int64  `db:"next_attempt_at"`
	Queued      int64  `db:"queued_at"`
	Updated     int64  `db:"updated_at"`
	RequestedBy string `db:"requested_by"`
	Email       string `db:"email"`
	FullName    string `db:"full_name"`
	Code        string `db:"code"`
}

const outboxColumns = `o.id, o.event_id, o.registration_id, o.kind, o.version, o.copy, o.state, o.attempts, o.message_id,
	o.reply, o.next_attempt_at, o.queued_at, o.updated_at, o.requested_by, r.email, r.full_name, r.code`

func (r outboxRow) entry() attendance.OutboxEntry {
	return attendance.OutboxEntry{ID: r.ID, EventID: r.EventID, RegistrationID: r.RegID, Kind: attendance.MailKind(r.Kind),
		Version: r.Version, Copy: r.Copy, State: attendance.MailState(r.State), Attempts: r.Attempts, MessageID: r.MessageID,
		Reply: r.Reply, NextAttemptAt: fromUS(r.Next), QueuedAt: fromUS(r.Queued), UpdatedAt: fromUS(r.Updated),
		RequestedBy: r.RequestedBy, Email: r.Email, FullName: r.FullName, Code: r.Code}
}

// MailItem is one message to queue: a person and the version of what is
// mailed (the code, or the certificate id).
type MailItem struct {
	RegistrationID int64
	Version        string
}

// EnqueueMail queues one message of kind for each item that has none for
// that version yet (copy 0), in one transaction, and returns how many it
// added. Queuing again is a no-op: a message queued, sent or failed stays
// as it is, so a run can always begin by queuing everything.
func (s *Store) EnqueueMail(ctx context.Context, eventID int64, kind attendance.MailKind, items []MailItem) (int, error) {
	var added int
	err := s.tx(ctx, func(tx *sqlx.Tx) (err error) {
		added, err = enqueueMail(ctx, tx, eventID, kind, items, us(s.now()))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: queue %s mail of event %d: %w", kind, eventID, err)
	}
	return added, nil
}

// QueueReminders queues a reminder for each registration of the event
// (the staff's choice: a filter of the people table), as one batch: its
// version, the same for every message of the batch, makes a repeated
// request of the same batch (a double submit) queue nothing more. It is
// audited in staff's name with what they chose (detail), in the same
// transaction, and returns how many it queued.
func (s *Store) QueueReminders(ctx context.Context, eventID int64, registrationIDs []int64, batch, staff, detail string) (int, error) {
	if strings.TrimSpace(staff) == "" || strings.TrimSpace(batch) == "" {
		return 0, attendance.Errorf(attendance.EInvalid, "a reminder needs a batch and who sends it")
	}
	items := make([]MailItem, len(registrationIDs))
	for i, id := range registrationIDs {
		items[i] = MailItem{RegistrationID: id, Version: batch}
	}
	var added int
	now := us(s.now())
	err := s.tx(ctx, func(tx *sqlx.Tx) (err error) {
		// only the event's own registrations: an id of another event
		// refuses the whole request
		if err := checkRegistrations(ctx, tx, eventID, registrationIDs...); err != nil {
			return err
		}
		if added, err = enqueueMail(ctx, tx, eventID, attendance.MailReminders, items, now); err != nil {
			return err
		}
		return audit(ctx, tx, staff, "mail reminders queued", eventID, batch, fmt.Sprintf("%d queued of %d; %s", added, len(items), detail), now)
	})
	if err != nil {
		return 0, fmt.Errorf("store: queue reminders of event %d: %w", eventID, err)
	}
	return added, nil
}

// enqueueMail inserts the items' messages that are not there yet (copy 0)
// and returns how many it added.
func enqueueMail(ctx context.Context, tx *sqlx.Tx, eventID int64, kind attendance.MailKind, items []MailItem, now int64) (int, error) {
	added := 0
	for i := 0; i < len(items); i += 500 {
		chunk := items[i:min(i+500, len(items))]
		args := make([]any, 0, len(chunk)*6)
		for _, it := range chunk {
			args = append(args, eventID, it.RegistrationID, string(kind), it.Version, now, now)
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO outbox (event_id, registration_id, kind, version, queued_at, updated_at)
			VALUES `+placeholders(len(chunk), 6)+` ON CONFLICT (event_id, registration_id, kind, version, copy) DO NOTHING`), args...)
		if err != nil {
			return 0, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		added += int(n)
	}
	return added, nil
}

// RequeueUnsent queues again an event's messages of a kind that failed
// before ever reaching the SMTP server (attempts 0: the message could not
// be composed, e.g. a name with no font yet), so that a later run, after
// the cause is fixed, sends them. A message any server has seen is never
// requeued here.
func (s *Store) RequeueUnsent(ctx context.Context, eventID int64, kind attendance.MailKind) (int, error) {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE outbox SET state = 'queued', next_attempt_at = 0, updated_at = ?
		WHERE event_id = ? AND kind = ? AND state = 'failed' AND attempts = 0`), us(s.now()), eventID, string(kind))
	if err != nil {
		return 0, fmt.Errorf("store: requeue unsent %s mail of event %d: %w", kind, eventID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: requeue unsent %s mail of event %d: %w", kind, eventID, err)
	}
	return int(n), nil
}

// OutboxDue returns up to limit open messages (queued or sending) of an
// event and kind whose next attempt is due at now, oldest first, with their
// recipients. A person deleted since has no rows left to return.
func (s *Store) OutboxDue(ctx context.Context, eventID int64, kind attendance.MailKind, now time.Time, limit int) ([]attendance.OutboxEntry, error) {
	var rows []outboxRow
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+outboxColumns+` FROM outbox o
		JOIN registrations r ON r.id = o.registration_id
		WHERE o.event_id = ? AND o.kind = ? AND o.state IN ('queued', 'sending') AND o.next_attempt_at <= ?
		ORDER BY o.id LIMIT ?`), eventID, string(kind), us(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: due %s mail of event %d: %w", kind, eventID, err)
	}
	out := make([]attendance.OutboxEntry, len(rows))
	for i, r := range rows {
		out[i] = r.entry()
	}
	return out, nil
}

// OutboxNextAttempt returns when the earliest open message of an event
// and kind is due; false when none is open.
func (s *Store) OutboxNextAttempt(ctx context.Context, eventID int64, kind attendance.MailKind) (time.Time, bool, error) {
	var at sql.NullInt64
	err := s.db.GetContext(ctx, &at, s.db.Rebind(`SELECT MIN(next_attempt_at) FROM outbox
		WHERE event_id = ? AND kind = ? AND state IN ('queued', 'sending')`), eventID, string(kind))
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: next %s mail of event %d: %w", kind, eventID, err)
	}
	if !at.Valid {
		return time.Time{}, false, nil
	}
	return fromUS(at.Int64), true, nil
}

// MarkMailSending records, and commits, that message id is about to be
// sent with messageID: its state becomes sending and its attempts grow by
// one. It must return before the SMTP transaction begins. A message that is
// no longer open (see attendance.ErrMailGone) is not to be sent.
func (s *Store) MarkMailSending(ctx context.Context, id int64, messageID string) error {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE outbox SET state = 'sending', message_id = ?, attempts = attempts + 1,
		updated_at = ? WHERE id = ? AND state IN ('queued', 'sending')`), messageID, us(s.now()), id)
	if err != nil {
		return fmt.Errorf("store: mark message %d sending: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: mark message %d sending: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("store: mark message %d sending: %w", id, attendance.ErrMailGone)
	}
	return nil
}

// MarkMail records the outcome of an attempt: sent, failed or bounced with
// the server's reply, or queued again (a temporary failure) until next.
func (s *Store) MarkMail(ctx context.Context, id int64, state attendance.MailState, reply string, next time.Time) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE outbox SET state = ?, reply = ?, next_attempt_at = ?, updated_at = ?
		WHERE id = ?`), string(state), truncate(reply, 1000), us(next), us(s.now()), id)
	if err != nil {
		return fmt.Errorf("store: mark message %d %s: %w", id, state, err)
	}
	return nil
}

// truncate cuts s to at most n bytes, never inside a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// OutboxCounts counts an event's messages of a kind by state.
func (s *Store) OutboxCounts(ctx context.Context, eventID int64, kind attendance.MailKind) (map[attendance.MailState]int, error) {
	var rows []struct {
		State string `db:"state"`
		N     int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT state, COUNT(*) AS n FROM outbox WHERE event_id = ? AND kind = ? GROUP BY state`),
		eventID, string(kind)); err != nil {
		return nil, fmt.Errorf("store: count %s mail of event %d: %w", kind, eventID, err)
	}
	out := map[attendance.MailState]int{}
	for _, r := range rows {
		out[attendance.MailState(r.State)] = r.N
	}
	return out, nil
}

// PersonOutbox returns every message to one registration, oldest first:
// the delivery state the person page shows.
func (s *Store) PersonOutbox(ctx context.Context, registrationID int64) ([]attendance.OutboxEntry, error) {
	var rows []outboxRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+outboxColumns+` FROM outbox o
		JOIN registrations r ON r.id = o.registration_id WHERE o.registration_id = ? ORDER BY o.id`), registrationID); err != nil {
		return nil, fmt.Errorf("store: mail of registration %d: %w", registrationID, err)
	}
	out := make([]attendance.OutboxEntry, len(rows))
	for i, r := range rows {
		out[i] = r.entry()
	}
	return out, nil
}

// ResendMail queues one more copy of a person's latest message of a kind
// (the same version, a new copy number, so a new Message-ID) at staff's
// request, and audits it in the same transaction. The next mail run of
// that kind sends it. A person with no message of that kind yet has
// nothing to resend (ENotFound); one whose latest copy is still open needs
// no resend (EConflict).
func (s *Store) ResendMail(ctx context.Context, eventID, registrationID int64, kind attendance.MailKind, staff string) error {
	staff = strings.TrimSpace(staff)
	if staff == "" {
		return attendance.Errorf(attendance.EInvalid, "say who asks for the resend")
	}
	now := us(s.now())
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		var last struct {
			Version string `db:"version"`
			Copy    int    `db:"copy"`
			State   string `db:"state"`
		}
		err := tx.GetContext(ctx, &last, tx.Rebind(`SELECT version, copy, state FROM outbox WHERE event_id = ? AND registration_id = ? AND kind = ?
			ORDER BY id DESC LIMIT 1`), eventID, registrationID, string(kind))
		if errors.Is(err, sql.ErrNoRows) {
			return attendance.Errorf(attendance.ENotFound, "no %s message to resend: run rollcall mail %s first", kind, kind)
		}
		if err != nil {
			return err
		}
		if st := attendance.MailState(last.State); st == attendance.MailQueued || st == attendance.MailSending {
			return attendance.Errorf(attendance.EConflict, "the %s message is still %s: the next mail run sends it", kind, st)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO outbox (event_id, registration_id, kind, version, copy, queued_at, updated_at, requested_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), eventID, registrationID, string(kind), last.Version, last.Copy+1, now, now, staff); err != nil {
			return err
		}
		return audit(ctx, tx, staff, "mail resend", eventID, fmt.Sprintf("registration %d", registrationID),
			fmt.Sprintf("%s, copy %d", kind, last.Copy+1), now)
	})
	if err != nil {
		return fmt.Errorf("store: resend %s mail to registration %d: %w", kind, registrationID, err)
	}
	return nil
}
