package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

// TestSchemaVersionWithoutMigration: a store opened WithoutMigration
// reads the version of an empty database as 0 and changes nothing; after
// a migrating Open it is the newest the binary knows.
func TestSchemaVersionWithoutMigration(t *testing.T) {
	ctx := context.Background()
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			for i := 0; i < 2; i++ { // reading twice: the first read created nothing
				s, err := store.Open(ctx, dsn, store.WithoutMigration())
				if err != nil {
					t.Fatal(err)
				}
				v, err := s.SchemaVersion(ctx)
				s.Close()
				if err != nil || v.Current != 0 || v.Newest < 1 || v.UpToDate() {
					t.Fatalf("empty database: %+v, %v", v, err)
				}
			}
			s, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if v, err := s.SchemaVersion(ctx); err != nil || !v.UpToDate() {
				t.Fatalf("migrated database: %+v, %v", v, err)
			}
		})
	}
}

func TestSQLiteFileMissing(t *testing.T) {
	dir := t.TempDir()
	there := filepath.Join(dir, "there.db")
	if err := os.WriteFile(there, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		dsn     string
		missing bool
	}{
		{filepath.Join(dir, "gone.db"), true},
		{"sqlite:" + filepath.Join(dir, "gone.db") + "?_pragma=foo", true},
		{there, false},
		{"postgres://localhost/x", false},
	} {
		if _, got := store.SQLiteFileMissing(tt.dsn); got != tt.missing {
			t.Errorf("SQLiteFileMissing(%q) = %v, want %v", tt.dsn, got, tt.missing)
		}
	}
}

// TestCodesExportStatus: never exported, exported, and registrations
// added after the export.
func TestCodesExportStatus(t *testing.T) {
	ctx := context.Background()
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			now := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)
			s, err := store.Open(ctx, e.DSN(t), store.WithClock(func() time.Time { return now }))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ev := newEvent(t, s, "codes")
			add := func(email string) {
				t.Helper()
				now = now.Add(time.Minute)
				if _, err := s.ImportRegistrations(ctx, ev.ID, []attendance.Registration{{FullName: "Somchai", Email: email, Role: attendance.RoleParticipant}}, false); err != nil {
					t.Fatal(err)
				}
			}
			status := func() store.CodesExport {
				t.Helper()
				c, err := s.CodesExportStatus(ctx, ev.ID)
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			add("a@example.org")
			if c := status(); !c.At.IsZero() || c.Registrations != 1 || c.Since != 1 {
				t.Fatalf("never exported: %+v", c)
			}
			now = now.Add(time.Minute)
			if err := s.Audit(ctx, "tester", store.CodesExportAction, ev.ID, "", "1 codes"); err != nil {
				t.Fatal(err)
			}
			if c := status(); !c.At.Equal(now) || c.Registrations != 1 || c.Since != 0 {
				t.Fatalf("exported: %+v", c)
			}
			add("b@example.org")
			if c := status(); c.Registrations != 2 || c.Since != 1 {
				t.Fatalf("one added since: %+v", c)
			}
		})
	}
}
