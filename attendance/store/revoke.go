package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/seameo/rollcall/attendance"
)

// VerifyCertificate looks up a certificate for the public verification
// page. It answers ENotFound, exactly as for an id that was never issued,
// when the id is malformed or unknown, and also when the certificate is
// withheld: it was issued once, is not revoked, but the event's current
// decision no longer gives that person that certificate (an override, a
// deleted form, a changed role). A revoked certificate is always found, so
// that its page can say REVOKED. It reads one snapshot and writes nothing,
// so an anonymous GET cannot change the store; only ids that Issue issued
// exist to be found.
func (s *Store) VerifyCertificate(ctx context.Context, id string) (attendance.PublicCertificate, error) {
	var out attendance.PublicCertificate
	err := s.readTx(ctx, func(tx *sqlx.Tx) error {
		c, err := certificateByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if !c.Revoked() {
			d, err := s.decisionIn(ctx, tx, c.EventID, c.RegistrationID)
			if err != nil {
				return fmt.Errorf("store: verify certificate: %w", err)
			}
			if d.Certificate != c.Type || d.CertificateID != c.ID {
				return fmt.Errorf("store: certificate: %w", attendance.Errorf(attendance.ENotFound, "no such certificate"))
			}
			c.Name = d.CertificateName
		}
		e, err := eventByID(ctx, tx, c.EventID)
		if err != nil {
			return fmt.Errorf("store: verify certificate: %w", err)
		}
		day, err := eventDay(ctx, tx, e)
		if err != nil {
			return fmt.Errorf("store: verify certificate: %w", err)
		}
		out = attendance.PublicCertificate{Certificate: c, EventDate: day}
		return nil
	})
	return out, err
}

// RevokeResult is what RevokeCertificate did.
type RevokeResult struct {
	Certificate attendance.Certificate
	// AlreadyRevoked is true when the certificate had been revoked before;
	// nothing was changed then.
	AlreadyRevoked bool
}

// RevokeCertificate revokes a certificate of an event by its id (as
// printed: dashes and case do not matter), with a reason, and audits it in
// the same transaction. Revoking a revoked certificate changes nothing and
// reports AlreadyRevoked. A revoked certificate keeps its verification page,
// which then says REVOKED; from then on Decisions give that person no
// certificate of that type (reason "revoked: …"), so no export, render or
// badge hands it out again.
func (s *Store) RevokeCertificate(ctx context.Context, eventID int64, id, reason, staff string) (RevokeResult, error) {
	reason, staff = strings.TrimSpace(reason), strings.TrimSpace(staff)
	switch {
	case reason == "":
		return RevokeResult{}, attendance.Errorf(attendance.EInvalid, "say why the certificate is revoked")
	case staff == "":
		return RevokeResult{}, attendance.Errorf(attendance.EInvalid, "say who revokes the certificate")
	}
	c, err := s.CertificateByID(ctx, id)
	if err != nil {
		return RevokeResult{}, err
	}
	if c.EventID != eventID {
		return RevokeResult{}, fmt.Errorf("store: certificate: %w", attendance.Errorf(attendance.ENotFound, "no certificate %s in this event", attendance.FormatCertificateID(c.ID)))
	}
	if c.Revoked() {
		return RevokeResult{Certificate: c, AlreadyRevoked: true}, nil
	}
	now := s.now()
	err = s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE certificates SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND revoked_at = 0`),
			us(now), reason, c.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return errAlreadyRevoked
		}
		return audit(ctx, tx, staff, "certificate revoke", eventID, "certificate "+c.ID, reason, us(now))
	})
	switch {
	case errors.Is(err, errAlreadyRevoked):
		c, err = s.CertificateByID(ctx, id)
		return RevokeResult{Certificate: c, AlreadyRevoked: true}, err
	case err != nil:
		return RevokeResult{}, fmt.Errorf("store: revoke certificate %s: %w", c.ID, err)
	}
	c.RevokedAt, c.RevokeReason = fromUS(us(now)), reason
	return RevokeResult{Certificate: c}, nil
}

// errAlreadyRevoked ends a revocation that another writer beat.
var errAlreadyRevoked = errors.New("already revoked")
