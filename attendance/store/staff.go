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

type staffRow struct {
	ID           int64  `db:"id"`
	Email        string `db:"email"`
	PasswordHash string `db:"password_hash"`
	Role         string `db:"role"`
	Disabled     bool   `db:"disabled"`
	FailedLogins int    `db:"failed_logins"`
	LockedUntil  int64  `db:"locked_until"`
	CreatedAt    int64  `db:"created_at"`
}

const staffColumns = `id, email, password_hash, role, disabled, failed_logins, locked_until, created_at`

func (r staffRow) user() attendance.StaffUser {
	return attendance.StaffUser{ID: r.ID, Email: r.Email, Role: r.Role, PasswordHash: r.PasswordHash, Disabled: r.Disabled,
		FailedLogins: r.FailedLogins, LockedUntil: fromUS(r.LockedUntil), CreatedAt: fromUS(r.CreatedAt)}
}

// PutStaffUser adds a staff member, or replaces the role and password of an
// existing one (same email, compared case-insensitively), enables and
// unlocks them, and ends their sessions: a password reset signs out
// whoever had the old one.
func (s *Store) PutStaffUser(ctx context.Context, email, role, passwordHash string) (attendance.StaffUser, error) {
	email = attendance.NormalizeEmail(email)
	if err := attendance.ValidateEmail(email); err != nil {
		return attendance.StaffUser{}, attendance.Errorf(attendance.EInvalid, "staff email: %v", err)
	}
	if err := attendance.ValidateStaffRole(role); err != nil {
		return attendance.StaffUser{}, err
	}
	var r staffRow
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &r, tx.Rebind(`INSERT INTO staff_users (email, password_hash, role, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role,
		failed_logins = 0, locked_until = 0, disabled = ?
		RETURNING `+staffColumns), email, passwordHash, role, us(s.now()), false)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`DELETE FROM staff_sessions WHERE user_id = ?`), r.ID)
		return err
	})
	if err != nil {
		return attendance.StaffUser{}, fmt.Errorf("store: put staff user: %w", err)
	}
	return r.user(), nil
}

// StaffUserByEmail returns a staff member by email.
func (s *Store) StaffUserByEmail(ctx context.Context, email string) (attendance.StaffUser, error) {
	var r staffRow
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+staffColumns+` FROM staff_users WHERE email = ?`), attendance.NormalizeEmail(email))
	if err != nil {
		return attendance.StaffUser{}, fmt.Errorf("store: staff user: %w", notFound(err, "no staff user with that email"))
	}
	return r.user(), nil
}

// StaffUserCount returns how many staff accounts exist.
func (s *Store) StaffUserCount(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM staff_users`); err != nil {
		return 0, fmt.Errorf("store: count staff users: %w", err)
	}
	return n, nil
}

// RecordSignInFailure counts a failed sign-in of a staff member and locks
// the account until lockUntil once failures reach maxFailures (the count
// then starts again).
func (s *Store) RecordSignInFailure(ctx context.Context, userID int64, maxFailures int, lockUntil time.Time) error {
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		var n int
		err := tx.GetContext(ctx, &n, tx.Rebind(`UPDATE staff_users SET failed_logins = failed_logins + 1 WHERE id = ? RETURNING failed_logins`), userID)
		if err != nil {
			return err
		}
		if n >= maxFailures {
			_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE staff_users SET failed_logins = 0, locked_until = ? WHERE id = ?`), us(lockUntil), userID)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("store: record sign-in failure of staff user %d: %w", userID, err)
	}
	return nil
}

// RecordSignInSuccess clears a staff member's failure count and lock.
func (s *Store) RecordSignInSuccess(ctx context.Context, userID int64) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE staff_users SET failed_logins = 0, locked_until = 0 WHERE id = ?`), userID)
	if err != nil {
		return fmt.Errorf("store: record sign-in of staff user %d: %w", userID, err)
	}
	return nil
}

// CreateStaffSession stores a new session.
func (s *Store) CreateStaffSession(ctx context.Context, ss attendance.StaffSession) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO staff_sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`), ss.TokenHash, ss.UserID, ss.CSRFToken, us(ss.CreatedAt), us(ss.LastSeenAt), us(ss.ExpiresAt))
	if err != nil {
		return fmt.Errorf("store: create staff session: %w", err)
	}
	return nil
}

// StaffSessionUser returns a session by token hash with its staff member.
func (s *Store) StaffSessionUser(ctx context.Context, tokenHash string) (attendance.StaffSession, attendance.StaffUser, error) {
	var r struct {
		staffRow
		TokenHash  string `db:"token_hash"`
		CSRFToken  string `db:"csrf_token"`
		SCreatedAt int64  `db:"s_created_at"`
		LastSeenAt int64  `db:"last_seen_at"`
		ExpiresAt  int64  `db:"expires_at"`
	}
	cols := "u." + strings.ReplaceAll(staffColumns, ", ", ", u.")
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+cols+`, s.token_hash, s.csrf_token, s.created_at AS s_created_at,
		s.last_seen_at, s.expires_at FROM staff_sessions s JOIN staff_users u ON u.id = s.user_id WHERE s.token_hash = ?`), tokenHash)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return attendance.StaffSession{}, attendance.StaffUser{}, fmt.Errorf("store: staff session: %w", attendance.Errorf(attendance.ENotFound, "no such session"))
		}
		return attendance.StaffSession{}, attendance.StaffUser{}, fmt.Errorf("store: staff session: %w", err)
	}
	return attendance.StaffSession{TokenHash: r.TokenHash, UserID: r.ID, CSRFToken: r.CSRFToken, CreatedAt: fromUS(r.SCreatedAt),
		LastSeenAt: fromUS(r.LastSeenAt), ExpiresAt: fromUS(r.ExpiresAt)}, r.staffRow.user(), nil
}

// TouchStaffSession records that a session was used at t.
func (s *Store) TouchStaffSession(ctx context.Context, tokenHash string, t time.Time) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE staff_sessions SET last_seen_at = ? WHERE token_hash = ?`), us(t), tokenHash)
	if err != nil {
		return fmt.Errorf("store: touch staff session: %w", err)
	}
	return nil
}

// DeleteStaffSession ends a session (sign-out).
func (s *Store) DeleteStaffSession(ctx context.Context, tokenHash string) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM staff_sessions WHERE token_hash = ?`), tokenHash)
	if err != nil {
		return fmt.Errorf("store: delete staff session: %w", err)
	}
	return nil
}

// DeleteExpiredStaffSessions removes sessions past their absolute end or
// idle since before idleBefore.
func (s *Store) DeleteExpiredStaffSessions(ctx context.Context, now, idleBefore time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM staff_sessions WHERE expires_at <= ? OR last_seen_at < ?`), us(now), us(idleBefore))
	if err != nil {
		return 0, fmt.Errorf("store: delete expired staff sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// DisableStaffUser disables a staff member and ends their sessions,
// audited in actor's name. `user add` again enables them.
func (s *Store) DisableStaffUser(ctx context.Context, email, actor string) (attendance.StaffUser, int64, error) {
	var u attendance.StaffUser
	var n int64
	err := s.staffChange(ctx, email, actor, "staff disable", func(tx *sqlx.Tx, r staffRow) error {
		var err error
		if n, err = deleteSessionsOf(ctx, tx, r.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE staff_users SET disabled = ? WHERE id = ?`), true, r.ID); err != nil {
			return err
		}
		r.Disabled = true
		u = r.user()
		return nil
	}, func() string { return fmt.Sprintf("disabled; %d sessions ended", n) })
	if err != nil {
		return attendance.StaffUser{}, 0, err
	}
	return u, n, nil
}

// RemoveStaffUser deletes a staff member and their sessions, audited in
// actor's name. The audit log keeps the staff id, not the email.
func (s *Store) RemoveStaffUser(ctx context.Context, email, actor string) (int64, error) {
	var n int64
	err := s.staffChange(ctx, email, actor, "staff remove", func(tx *sqlx.Tx, r staffRow) error {
		var err error
		if n, err = deleteSessionsOf(ctx, tx, r.ID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`DELETE FROM staff_users WHERE id = ?`), r.ID)
		return err
	}, func() string { return fmt.Sprintf("removed; %d sessions ended", n) })
	return n, err
}

// EndStaffSessions signs a staff member out everywhere, audited in actor's
// name, and returns how many sessions ended.
func (s *Store) EndStaffSessions(ctx context.Context, email, actor string) (int64, error) {
	var n int64
	err := s.staffChange(ctx, email, actor, "staff signout", func(tx *sqlx.Tx, r staffRow) error {
		var err error
		n, err = deleteSessionsOf(ctx, tx, r.ID)
		return err
	}, func() string { return fmt.Sprintf("%d sessions ended", n) })
	return n, err
}

// staffChange runs change on the staff member of email in a transaction
// with its audit entry (subject "staff user ID", detail from detail()).
func (s *Store) staffChange(ctx context.Context, email, actor, action string, change func(tx *sqlx.Tx, r staffRow) error, detail func() string) error {
	if strings.TrimSpace(actor) == "" {
		return attendance.Errorf(attendance.EInvalid, "%s: say who acts (an audit entry needs a staff name)", action)
	}
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		var r staffRow
		err := tx.GetContext(ctx, &r, tx.Rebind(`SELECT `+staffColumns+` FROM staff_users WHERE email = ?`), attendance.NormalizeEmail(email))
		if err != nil {
			return notFound(err, "no staff user with that email")
		}
		if err := change(tx, r); err != nil {
			return err
		}
		return audit(ctx, tx, actor, action, 0, fmt.Sprintf("staff user %d", r.ID), detail(), us(s.now()))
	})
	if err != nil {
		return fmt.Errorf("store: %s: %w", action, err)
	}
	return nil
}

func deleteSessionsOf(ctx context.Context, tx *sqlx.Tx, userID int64) (int64, error) {
	res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM staff_sessions WHERE user_id = ?`), userID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
