package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/seameo/rollcall/attendance"
)

// SetCertificateTemplate keeps an event's template of a certificate type
// (participation or appreciation), replacing the one before, and audits
// it. The template is opaque here: certpdf's JSON with its images inline.
func (s *Store) SetCertificateTemplate(ctx context.Context, eventID int64, certType, template, staff string) error {
	if err := checkTemplateType(certType); err != nil {
		return err
	}
	if strings.TrimSpace(staff) == "" {
		return attendance.Errorf(attendance.EInvalid, "say who sets the template")
	}
	now := us(s.now())
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO certificate_templates (event_id, type, template, updated_at, updated_by)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_id, type) DO UPDATE SET template = excluded.template,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by`), eventID, certType, template, now, staff); err != nil {
			return err
		}
		return audit(ctx, tx, staff, "certificate template set", eventID, certType, fmt.Sprintf("%d bytes", len(template)), now)
	})
	if err != nil {
		return fmt.Errorf("store: set %s template of event %d: %w", certType, eventID, err)
	}
	return nil
}

// ResetCertificateTemplate removes an event's template of a type, so that
// it prints with the default again; audited. It reports whether there was one.
func (s *Store) ResetCertificateTemplate(ctx context.Context, eventID int64, certType, staff string) (bool, error) {
	if err := checkTemplateType(certType); err != nil {
		return false, err
	}
	var n int64
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM certificate_templates WHERE event_id = ? AND type = ?`), eventID, certType)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return audit(ctx, tx, staff, "certificate template reset", eventID, certType, "", us(s.now()))
	})
	if err != nil {
		return false, fmt.Errorf("store: reset %s template of event %d: %w", certType, eventID, err)
	}
	return n > 0, nil
}

// CertificateTemplates returns an event's templates by certificate type.
func (s *Store) CertificateTemplates(ctx context.Context, eventID int64) (map[string]string, error) {
	var rows []struct {
		Type     string `db:"type"`
		Template string `db:"template"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT type, template FROM certificate_templates WHERE event_id = ?`), eventID); err != nil {
		return nil, fmt.Errorf("store: certificate templates of event %d: %w", eventID, err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Type] = r.Template
	}
	return out, nil
}

func checkTemplateType(t string) error {
	if t != string(attendance.CertParticipation) && t != string(attendance.CertAppreciation) {
		return attendance.Errorf(attendance.EInvalid, "certificate type %q: expected participation or appreciation", t)
	}
	return nil
}
