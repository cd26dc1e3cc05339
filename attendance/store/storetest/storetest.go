// Package storetest opens real stores for tests: SQLite in a temporary
// directory always, and PostgreSQL whenever ROLLCALL_TEST_POSTGRES holds a
// URL, each test in a schema of its own that is dropped afterwards.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/lib/pq" // PostgreSQL driver

	"github.com/seameo/rollcall/attendance/store"
)

// PostgresEnv names the variable holding the URL of a PostgreSQL database
// that tests may create schemas in.
const PostgresEnv = "ROLLCALL_TEST_POSTGRES"

// Engine is a named way to open a fresh store.
type Engine struct {
	Name string
	// DSN returns the --db value of a fresh, empty database for t.
	DSN func(t testing.TB) string
}

// Engines returns SQLite, and PostgreSQL when ROLLCALL_TEST_POSTGRES is set.
func Engines() []Engine {
	e := []Engine{{Name: "sqlite", DSN: SQLiteDSN}}
	if os.Getenv(PostgresEnv) != "" {
		e = append(e, Engine{Name: "postgres", DSN: PostgresDSN})
	}
	return e
}

// SQLiteDSN returns the path of a new SQLite file in t's temporary directory.
func SQLiteDSN(t testing.TB) string {
	return filepath.Join(t.TempDir(), "rollcall.db")
}

// PostgresDSN creates a schema of its own for t in the database named by
// ROLLCALL_TEST_POSTGRES and returns a URL whose search_path selects it. The
// schema is dropped when t ends. It fails t when the variable is unset or
// the server does not answer: a test asked for PostgreSQL must not pass
// without it.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Fatalf("%s is not set", PostgresEnv)
	}
	db, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatalf("open %s: %v", PostgresEnv, err)
	}
	t.Cleanup(func() { db.Close() })
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := db.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("postgres at %s: create schema: %v", PostgresEnv, err)
	}
	t.Cleanup(func() {
		_, _ = db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open opens a fresh store on the given engine, closed when t ends.
func Open(t testing.TB, e Engine, opts ...store.Option) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), e.DSN(t), opts...)
	if err != nil {
		t.Fatalf("open %s store: %v", e.Name, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Each runs fn as a subtest on every engine.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	for _, e := range Engines() {
		t.Run(e.Name, func(t *testing.T) { fn(t, Open(t, e)) })
	}
}
