package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/seameo/rollcall/attendance"
)

// Lease is attendance.Lease, kept here for callers of the store.
type Lease = attendance.Lease

// ErrLeaseLost means the lease was taken over or expired.
var ErrLeaseLost = attendance.ErrLeaseLost

// AcquireLease takes the chat lease of a stream for holder when it is free or
// expired, and returns it with a new fence. ok is false when another holder's
// lease is still valid. Leases are rows in the streams table, not advisory
// locks, so they survive connection poolers and expire with a dead holder.
func (s *Store) AcquireLease(ctx context.Context, streamID int64, holder string, ttl time.Duration) (Lease, bool, error) {
	now := s.now()
	l := Lease{StreamID: streamID, Holder: holder, Expires: now.Add(ttl).Truncate(time.Microsecond)}
	err := s.db.GetContext(ctx, &l.Fence, s.db.Rebind(`UPDATE streams SET lease_holder = ?, lease_expires_at = ?, fence = fence + 1
		WHERE id = ? AND (lease_holder = '' OR lease_holder = ? OR lease_expires_at < ?) RETURNING fence`),
		holder, us(l.Expires), streamID, holder, us(now))
	if errors.Is(err, sql.ErrNoRows) {
		return Lease{}, false, nil
	}
	if err != nil {
		s.forgetReadOnlyConns(err)
		return Lease{}, false, fmt.Errorf("store: acquire lease of stream %d: %w", streamID, err)
	}
	return l, true, nil
}

// RenewLease extends a held lease. It returns ErrLeaseLost when the lease
// expired or another holder took it: the caller must stop writing.
func (s *Store) RenewLease(ctx context.Context, l Lease, ttl time.Duration) (Lease, error) {
	now := s.now()
	expires := now.Add(ttl).Truncate(time.Microsecond)
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE streams SET lease_expires_at = ?
		WHERE id = ? AND lease_holder = ? AND fence = ? AND lease_expires_at >= ?`),
		us(expires), l.StreamID, l.Holder, l.Fence, us(now))
	if err != nil {
		s.forgetReadOnlyConns(err)
		return l, fmt.Errorf("store: renew lease of stream %d: %w", l.StreamID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return l, fmt.Errorf("store: renew lease of stream %d: %w", l.StreamID, err)
	} else if n == 0 {
		return l, ErrLeaseLost
	}
	l.Expires = expires
	return l, nil
}

// ReleaseLease gives a lease up so that a standby can take over at once.
func (s *Store) ReleaseLease(ctx context.Context, l Lease) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE streams SET lease_holder = '', lease_expires_at = 0
		WHERE id = ? AND lease_holder = ? AND fence = ?`), l.StreamID, l.Holder, l.Fence)
	if err != nil {
		s.forgetReadOnlyConns(err)
		return fmt.Errorf("store: release lease of stream %d: %w", l.StreamID, err)
	}
	return nil
}

// ClaimDaemon makes sure only one daemon works on a SQLite file: it takes an
// exclusive lock on a file beside the database, held until release is called
// or the process dies. The lock proves every daemon before it dead, so their
// chat leases are freed: a daemon restarted after a crash reads chat at once
// instead of waiting out its dead predecessor's lease (up to 15 s, after
// every crash). On PostgreSQL several daemons may run; chat leases share the
// work out, so it does nothing.
func (s *Store) ClaimDaemon(ctx context.Context, dsn string) (release func(), err error) {
	if s.engine != SQLite {
		return func() {}, nil
	}
	path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
	path, _, _ = strings.Cut(path, "?")
	lockPath := path + ".daemon-lock"
	f, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: daemon lock %s: %w", lockPath, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		abs, _ := filepath.Abs(path)
		return nil, fmt.Errorf("store: another rollcall daemon is already running on %s; SQLite allows one daemon per file (use PostgreSQL for several replicas): %w", abs, err)
	}
	// Fences stay: a page of a dead holder can never arrive anyway.
	if _, err := s.db.ExecContext(ctx, `UPDATE streams SET lease_holder = '', lease_expires_at = 0 WHERE lease_holder <> ''`); err != nil {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
		return nil, fmt.Errorf("store: free the chat leases of earlier daemons: %w", err)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
