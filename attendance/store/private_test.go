package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
)

// TestSQLiteFileIsPrivate: a new SQLite database, with its -wal and -shm
// files, is readable by its owner only: it holds password hashes and
// people's data. An existing file keeps its mode.
func TestSQLiteFileIsPrivate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "rollcall.db")
	s, err := store.Open(ctx, "sqlite:"+db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.PutStaffUser(ctx, "ana@seameo.test", attendance.StaffAdmin, "h"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{db, db + "-wal", db + "-shm"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s: mode %04o, want 0600", filepath.Base(name), perm)
		}
	}

	// A file that exists is opened as it is (an operator's choice).
	other := filepath.Join(dir, "shared.db")
	if err := os.WriteFile(other, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	s2, err := store.Open(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if fi, _ := os.Stat(other); fi.Mode().Perm() != 0o640 {
		t.Errorf("existing file's mode changed to %04o", fi.Mode().Perm())
	}
}
