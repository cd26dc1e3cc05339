package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/dashboard"
)

func TestUserAdd(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "rollcall.db")
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("a long enough password\n"), 0o600)
	runCLI := func(stdin string, args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := run(append(args, "--db", db), strings.NewReader(stdin), &out, &errb, func(string) string { return "" })
		return code, errb.String()
	}
	if code, msg := runCLI("", "user", "add", "--email", "Ana@SEAMEO.org", "--role", "admin", "--password-file", pw); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if code, msg := runCLI("another long password\n", "user", "add", "--email", "ops@seameo.org", "--role", "viewer", "--password-file", "-"); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	for _, bad := range [][]string{
		{"user", "add", "--email", "x@seameo.org", "--role", "owner", "--password-file", pw},
		{"user", "add", "--role", "admin", "--password-file", pw},
		{"user", "add", "--email", "x@seameo.org", "--role", "admin"}, // no terminal
	} {
		if code, _ := runCLI("", bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
	if code, msg := runCLI("short\n", "user", "add", "--email", "x@seameo.org", "--role", "admin", "--password-file", "-"); code != 2 || !strings.Contains(msg, "too short") {
		t.Errorf("short password: exit %d %s", code, msg)
	}
	s, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.StaffUserByEmail(context.Background(), "ana@seameo.org")
	if err != nil || u.Role != "admin" || !dashboard.CheckPassword(u.PasswordHash, "a long enough password") {
		t.Fatalf("%+v %v", u, err)
	}
	if strings.Contains(u.PasswordHash, "a long enough password") {
		t.Fatal("password stored in clear")
	}
}
