package store_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seameo/rollcall/attendance/store"
)

// TestSQLiteWritableAgainAfterAnOutage: while a SQLite file cannot be
// written, SQLite opens new connections read-only without a word, and such
// a connection stays read-only for its life. Once the file is writable
// again, the store must not go on refusing writes through them (it did,
// for ever: issue 12, item 11). The outage is the ext4 immutable flag,
// which stops writes through open descriptors too, even for root.
func TestSQLiteWritableAgainAfterAnOutage(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "rollcall.db")
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	write := func() error {
		_, err := st.AddQuotaUnits(ctx, "default", "2026-12-05", "videos.list", 1)
		return err
	}
	if err := write(); err != nil {
		t.Fatal(err)
	}
	files := []string{db, db + "-wal"}
	chattr := func(flag string) error {
		out, err := exec.Command("chattr", append([]string{flag}, files...)...).CombinedOutput()
		if err != nil {
			return &chattrError{strings.TrimSpace(string(out))}
		}
		return nil
	}
	if err := chattr("+i"); err != nil {
		if os.Getenv("ROLLCALL_LONG") != "" {
			t.Fatalf("chattr +i (ext4, CAP_LINUX_IMMUTABLE) is needed here: %v", err)
		}
		t.Skipf("cannot make the file immutable here (ext4 and CAP_LINUX_IMMUTABLE needed): %v", err)
	}
	t.Cleanup(func() { _ = chattr("-i") })
	// Writes fail, several at once, so the pool opens new connections
	// while the file is immutable.
	conns := make([]interface{ Close() error }, 0, 4)
	for range 4 {
		c, err := st.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
	for range 4 {
		if err := write(); err == nil {
			t.Fatal("a write to an immutable file succeeded")
		}
	}
	if err := chattr("-i"); err != nil {
		t.Fatal(err)
	}
	// The first write may still meet a read-only connection; the next
	// ones may not.
	_ = write()
	for i := range 6 {
		if err := write(); err != nil {
			t.Fatalf("write %d after the file became writable again: %v", i+2, err)
		}
	}
}

type chattrError struct{ out string }

func (e *chattrError) Error() string { return "chattr: " + e.out }
