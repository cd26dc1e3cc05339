package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/seameo/rollcall/attendance"
)

// SetMailTemplate keeps an event's own templates of a kind of mail,
// replacing those before, and audits it. The caller checks that they parse
// and render (mailtext.Parse); the store keeps text.
func (s *Store) SetMailTemplate(ctx context.Context, eventID int64, t attendance.MailTemplate, staff string) error {
	if strings.TrimSpace(staff) == "" {
		return attendance.Errorf(attendance.EInvalid, "say who sets the mail template")
	}
	now := us(s.now())
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO mail_templates (event_id, kind, subject, text_body, html_body, updated_at, updated_by)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id, kind) DO UPDATE SET subject = excluded.subject,
			text_body = excluded.text_body, html_body = excluded.html_body,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by`),
			eventID, string(t.Kind), t.Subject, t.Text, t.HTML, now, staff); err != nil {
			return err
		}
		return audit(ctx, tx, staff, "mail template set", eventID, string(t.Kind),
			fmt.Sprintf("%d bytes", len(t.Subject)+len(t.Text)+len(t.HTML)), now)
	})
	if err != nil {
		return fmt.Errorf("store: set %s mail template of event %d: %w", t.Kind, eventID, err)
	}
	return nil
}

// ResetMailTemplate removes an event's own templates of a kind, so that it
// is mailed with the built-in ones again; audited. It reports whether there
// were any.
func (s *Store) ResetMailTemplate(ctx context.Context, eventID int64, kind attendance.MailKind, staff string) (bool, error) {
	var n int64
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM mail_templates WHERE event_id = ? AND kind = ?`), eventID, string(kind))
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return audit(ctx, tx, staff, "mail template reset", eventID, string(kind), "", us(s.now()))
	})
	if err != nil {
		return false, fmt.Errorf("store: reset %s mail template of event %d: %w", kind, eventID, err)
	}
	return n > 0, nil
}

// MailTemplate returns an event's own templates of a kind; ok is false when
// the event has none (the built-in ones apply).
func (s *Store) MailTemplate(ctx context.Context, eventID int64, kind attendance.MailKind) (t attendance.MailTemplate, ok bool, err error) {
	var rows []struct {
		Subject   string `db:"subject"`
		Text      string `db:"text_body"`
		HTML      string `db:"html_body"`
		UpdatedAt int64  `db:"updated_at"`
		UpdatedBy string `db:"updated_by"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT subject, text_body, html_body, updated_at, updated_by
		FROM mail_templates WHERE event_id = ? AND kind = ?`), eventID, string(kind)); err != nil {
		return t, false, fmt.Errorf("store: %s mail template of event %d: %w", kind, eventID, err)
	}
	if len(rows) == 0 {
		return t, false, nil
	}
	r := rows[0]
	return attendance.MailTemplate{Kind: kind, Subject: r.Subject, Text: r.Text, HTML: r.HTML,
		UpdatedBy: r.UpdatedBy, UpdatedAt: fromUS(r.UpdatedAt)}, true, nil
}
