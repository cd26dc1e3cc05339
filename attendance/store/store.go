// Package store is rollcall's one SQL store: sqlx over SQLite (embedded,
// the default) or PostgreSQL (lib/pq), with embedded migrations per engine.
//
// Queries are written once with ? placeholders and rebound per engine. Times
// are stored as BIGINT microseconds since the Unix epoch, UTC, on both
// engines (0 means unknown), so that they round-trip exactly and compare
// cheaply.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	_ "github.com/lib/pq" // PostgreSQL driver "postgres"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/seameo/rollcall/attendance"
	_ "modernc.org/sqlite" // SQLite driver "sqlite"
)

//go:embed migrations
var migrations embed.FS

// Engine is the SQL engine behind a Store.
type Engine string

// Engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Store is the database. It is safe for concurrent use.
type Store struct {
	db     *sqlx.DB
	engine Engine
	log    *slog.Logger
	now    func() time.Time
	// noMigrate leaves the schema as it is (WithoutMigration).
	noMigrate bool
	maxConns  int // WithMaxConns; 0: the engine's default
}

// Option configures Open.
type Option func(*Store)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// WithMaxConns bounds the connections open at once (default 8 for SQLite,
// 16 for PostgreSQL). Tests that run the collector in a synctest bubble use
// 1: SQLite's busy handler sleeps while a lock is held, and the bubble's
// clock cannot move while another goroutine waits on a mutex the sleeper
// holds.
func WithMaxConns(n int) Option { return func(s *Store) { s.maxConns = n } }

// WithClock sets the clock used for created/updated times (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// ParseDSN tells the engine and driver source of a --db value: a bare path or
// sqlite:PATH is SQLite, postgres:// or postgresql:// is PostgreSQL.
func ParseDSN(dsn string) (Engine, string, error) {
	switch {
	case dsn == "":
		return "", "", errors.New("no database: set --db or ROLLCALL_DB")
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return Postgres, dsn, nil
	case strings.HasPrefix(dsn, "sqlite:"):
		dsn = strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
	case strings.Contains(dsn, "://"):
		return "", "", fmt.Errorf("database %q: expected a file path, sqlite:PATH or postgres://…", redactDSN(dsn))
	}
	path, query, _ := strings.Cut(dsn, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", "", fmt.Errorf("database %q: %w", dsn, err)
	}
	// Set per connection by the driver: every pooled connection gets them.
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return SQLite, "file:" + path + "?" + q.Encode(), nil
}

// idleTransactionTimeout ends a PostgreSQL session that sits inside a
// transaction doing nothing. A replica paused (SIGSTOP, a frozen VM) or cut
// off in the middle of a chat commit would otherwise keep its row locks for
// as long as the pause lasts, and the replica that takes its chat lease over
// would wait on them: the takeover would not happen at all. The store's
// transactions wait on nothing but the database, so a session idle this long
// inside one has lost its client; it is shorter than the chat lease (15 s),
// so a takeover is not held up past the lease.
const idleTransactionTimeout = "10s"

// withIdleTransactionTimeout sets idle_in_transaction_session_timeout on
// every connection of a PostgreSQL URL, unless the URL sets it already.
func withIdleTransactionTimeout(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn // sqlx.Open reports it
	}
	q := u.Query()
	if q.Has("idle_in_transaction_session_timeout") || strings.Contains(q.Get("options"), "idle_in_transaction_session_timeout") {
		return dsn
	}
	q.Set("idle_in_transaction_session_timeout", idleTransactionTimeout)
	u.RawQuery = q.Encode()
	return u.String()
}

// redactDSN hides a password in a database URL.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	return u.Redacted()
}

// Open connects to the database named by dsn (see ParseDSN) and migrates its
// schema up.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	engine, src, err := ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &Store{engine: engine, log: slog.New(slog.DiscardHandler), now: time.Now}
	for _, o := range opts {
		o(s)
	}
	driver := "sqlite"
	if engine == SQLite {
		if err := s.createPrivate(src); err != nil {
			return nil, err
		}
	}
	if engine == Postgres {
		driver = "postgres"
		src = withIdleTransactionTimeout(src)
	}
	db, err := sqlx.Open(driver, src)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", engine, err)
	}
	if engine == SQLite {
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(sqliteIdleConns)
	} else {
		db.SetMaxOpenConns(16)
		db.SetMaxIdleConns(8)
		db.SetConnMaxIdleTime(5 * time.Minute)
	}
	if s.maxConns > 0 {
		db.SetMaxOpenConns(s.maxConns)
	}
	s.db = db
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to %s database %s: %w", engine, redactDSN(dsn), err)
	}
	if s.noMigrate {
		return s, nil
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations/"+string(s.engine))
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	dialect := goose.DialectSQLite3
	var opts []goose.ProviderOption
	if s.engine == Postgres {
		dialect = goose.DialectPostgres
		// Replicas starting together take turns.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return fmt.Errorf("store: migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, s.db.DB, sub, opts...)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate up: %w", err)
	}
	for _, r := range res {
		s.log.Info("migration applied", "version", r.Source.Version, "duration", r.Duration)
	}
	return nil
}

// Engine returns the SQL engine in use.
func (s *Store) Engine() Engine { return s.engine }

// DB returns the underlying handle, for tests and benchmarks.
func (s *Store) DB() *sqlx.DB { return s.db }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// sqliteIdleConns is how many idle SQLite connections the pool keeps.
const sqliteIdleConns = 2

// sqliteReadOnly is SQLite's SQLITE_READONLY result code (the low byte of
// its extended codes).
const sqliteReadOnly = 8

// forgetReadOnlyConns closes the pool's idle SQLite connections after a
// write failed with SQLITE_READONLY. SQLite opens a file it cannot write
// (an immutable or read-only file, during an outage) read-only without a
// word, and such a connection stays read-only for its life: kept in the
// pool, it refused every write long after the file was writable again.
// The connection that failed is idle again by the time this runs.
func (s *Store) forgetReadOnlyConns(err error) {
	if s.engine != SQLite || err == nil {
		return
	}
	var se interface{ Code() int }
	if errors.As(err, &se) && se.Code()&0xff == sqliteReadOnly {
		s.log.Warn("sqlite connections opened while the file was not writable are read-only: closing the idle ones")
		s.db.SetMaxIdleConns(0)
		s.db.SetMaxIdleConns(sqliteIdleConns)
	}
}

// tx runs fn in a transaction, committing when it returns nil.
func (s *Store) tx(ctx context.Context, fn func(tx *sqlx.Tx) error) (err error) {
	defer func() { s.forgetReadOnlyConns(err) }() // after the Rollback below has released the connection
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// us converts a time to stored microseconds (0 for the zero time).
func us(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromUS converts stored microseconds to a UTC time (zero for 0).
func fromUS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

// placeholders returns "(?,?,?),(?,?,?)" for rows rows of n columns.
func placeholders(rows, n int) string {
	one := "(" + inClause(n) + ")"
	return strings.TrimSuffix(strings.Repeat(one+",", rows), ",")
}

// notFound turns sql.ErrNoRows into a user-facing not-found error.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return attendance.Errorf(attendance.ENotFound, format, args...)
	}
	return err
}

// createPrivate creates a SQLite database file that does not exist yet
// with mode 0600 before SQLite opens it: it holds password hashes and
// people's data, and SQLite gives its -wal and -shm files the database
// file's mode. An existing file readable by others is left as it is, with
// a warning.
func (s *Store) createPrivate(src string) error {
	path, query, _ := strings.Cut(strings.TrimPrefix(src, "file:"), "?")
	if path == "" || strings.HasPrefix(path, ":") || strings.Contains(query, "mode=memory") {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		if err := f.Close(); err != nil {
			return fmt.Errorf("store: create %s: %w", path, err)
		}
		return nil
	case errors.Is(err, os.ErrExist):
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0 {
			s.log.Warn("the database file is readable by others: it holds password hashes and people's data; run chmod 600 on it and its -wal and -shm files",
				"path", path, "mode", fmt.Sprintf("%04o", fi.Mode().Perm()))
		}
		return nil
	default:
		return fmt.Errorf("store: create %s: %w", path, err)
	}
}
