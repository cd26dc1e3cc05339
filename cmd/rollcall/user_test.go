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

// TestUserEndCommands: `user signout|disable|remove EMAIL` act in the name
// of --staff (else $USER), refuse to run unnamed, and answer an unknown
// email as bad input.
func TestUserEndCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "rollcall.db")
	c := newCLI(t, db)
	pw := writeFile(t, "pw", []byte("a long enough password\n"))
	c.ok("user", "add", "--email", "ana@seameo.org", "--role", "admin", "--password-file", pw)
	c.env["USER"] = ""
	if code, _, errs := c.run("user", "signout", "ana@seameo.org"); code != 2 || !strings.Contains(errs, "--staff") {
		t.Fatalf("unnamed: exit %d %s", code, errs)
	}
	c.env["USER"] = "tester"
	for _, sub := range []string{"signout", "disable", "remove"} {
		if code, _, errs := c.run("user", sub, "nobody@seameo.org"); code != 2 || !strings.Contains(errs, "no staff user") {
			t.Errorf("%s of an unknown email: exit %d %s", sub, code, errs)
		}
	}
	if _, _, errs := c.run("user", "signout", "ANA@seameo.org", "--staff", "ops"); !strings.Contains(errs, "0 sessions ended") {
		t.Fatalf("signout: %s", errs)
	}
	c.ok("user", "disable", "ana@seameo.org")
	c.ok("user", "remove", "ana@seameo.org")
	s, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var actors []string
	if err := s.DB().Select(&actors, `SELECT actor || ' ' || action FROM audit_log ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(actors, ", ") != "ops staff signout, tester staff disable, tester staff remove" {
		t.Fatalf("audit log: %q", actors)
	}
}
