package store

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"
)

// WithoutMigration opens the store without migrating its schema, for a
// command that only reports whether the database is ready (preflight): it
// must not upgrade a schema under a daemon that runs an older binary.
func WithoutMigration() Option { return func(s *Store) { s.noMigrate = true } }

// SchemaVersion is where a database's schema stands against the migrations
// this binary carries.
type SchemaVersion struct {
	Current int64 // the highest migration applied; 0 for an empty database
	Newest  int64 // the highest migration this binary knows
}

// UpToDate reports whether the schema is exactly the newest this binary knows.
func (v SchemaVersion) UpToDate() bool { return v.Current == v.Newest }

// SchemaVersion reads the schema version without changing anything: goose
// would create its version table just to read it, so the table is looked
// up in the catalogue first.
func (s *Store) SchemaVersion(ctx context.Context) (SchemaVersion, error) {
	var v SchemaVersion
	newest, err := newestMigration(s.engine)
	if err != nil {
		return v, err
	}
	v.Newest = newest
	exists := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'goose_db_version'`
	if s.engine == Postgres {
		exists = `SELECT COUNT(*) FROM (SELECT to_regclass('goose_db_version') AS t) r WHERE t IS NOT NULL`
	}
	var n int
	if err := s.db.GetContext(ctx, &n, exists); err != nil {
		return v, fmt.Errorf("store: schema version: %w", err)
	}
	if n == 0 {
		return v, nil
	}
	if err := s.db.GetContext(ctx, &v.Current, `SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied`); err != nil {
		return v, fmt.Errorf("store: schema version: %w", err)
	}
	return v, nil
}

// newestMigration is the highest version among the embedded migrations of
// an engine (files named 00007_what.sql).
func newestMigration(engine Engine) (int64, error) {
	entries, err := fs.ReadDir(migrations, "migrations/"+string(engine))
	if err != nil {
		return 0, fmt.Errorf("store: migrations: %w", err)
	}
	var newest int64
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		if !ok || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		if n, err := strconv.ParseInt(num, 10, 64); err == nil && n > newest {
			newest = n
		}
	}
	return newest, nil
}

// SQLiteFileMissing reports whether dsn names a SQLite database whose file
// does not exist: opening it would create an empty one.
func SQLiteFileMissing(dsn string) (path string, missing bool) {
	engine, src, err := ParseDSN(dsn)
	if err != nil || engine != SQLite {
		return "", false
	}
	path, _, _ = strings.Cut(strings.TrimPrefix(src, "file:"), "?")
	if path == "" || path == ":memory:" {
		return path, false
	}
	_, err = os.Stat(path)
	return path, os.IsNotExist(err)
}

// CodesExport is what the audit log says about an event's attendance codes
// reaching the people: when `rollcall codes` last exported them, and how
// many registrations there are, in all and since that export.
type CodesExport struct {
	At            time.Time // zero when never exported
	Registrations int64
	Since         int64 // registrations created after the export (all when never exported)
}

// CodesExportAction is the audit log action of `rollcall codes`.
const CodesExportAction = "codes export"

// CodesExportStatus reads the last codes export of an event and counts the
// registrations created after it.
func (s *Store) CodesExportStatus(ctx context.Context, eventID int64) (CodesExport, error) {
	var out CodesExport
	var at int64
	err := s.db.GetContext(ctx, &at, s.db.Rebind(`SELECT COALESCE(MAX(at), 0) FROM audit_log WHERE event_id = ? AND action = ?`),
		eventID, CodesExportAction)
	if err != nil {
		return out, fmt.Errorf("store: last codes export of event %d: %w", eventID, err)
	}
	out.At = fromUS(at)
	err = s.db.GetContext(ctx, &out.Registrations, s.db.Rebind(`SELECT COUNT(*) FROM registrations WHERE event_id = ?`), eventID)
	if err != nil {
		return out, fmt.Errorf("store: count registrations: %w", err)
	}
	err = s.db.GetContext(ctx, &out.Since, s.db.Rebind(`SELECT COUNT(*) FROM registrations WHERE event_id = ? AND created_at > ?`), eventID, at)
	if err != nil {
		return out, fmt.Errorf("store: count registrations since the codes export: %w", err)
	}
	return out, nil
}
