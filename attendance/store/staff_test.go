package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

// TestStaffSessionsEnd: a password reset, `user signout`, `user disable`
// and `user remove` end every session of that staff member (and only
// theirs), the last three audited by staff id, never by email.
func TestStaffSessionsEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
		ana, _ := s.PutStaffUser(ctx, "ana@seameo.test", attendance.StaffAdmin, "h1")
		bo, _ := s.PutStaffUser(ctx, "bo@seameo.test", attendance.StaffViewer, "h1")
		open := func(u attendance.StaffUser, token string) {
			t.Helper()
			if err := s.CreateStaffSession(ctx, attendance.StaffSession{TokenHash: token, UserID: u.ID, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		alive := func(token string) bool {
			_, _, err := s.StaffSessionUser(ctx, token)
			return err == nil
		}
		open(ana, "a1")
		open(ana, "a2")
		open(bo, "b1")

		// A password reset (here with a new role) ends Ana's sessions.
		if _, err := s.PutStaffUser(ctx, "ana@seameo.test", attendance.StaffViewer, "h2"); err != nil {
			t.Fatal(err)
		}
		if alive("a1") || alive("a2") || !alive("b1") {
			t.Fatalf("after a password reset: a1 %v a2 %v b1 %v", alive("a1"), alive("a2"), alive("b1"))
		}

		open(ana, "a3")
		if n, err := s.EndStaffSessions(ctx, "ANA@seameo.test", "ops"); err != nil || n != 1 || alive("a3") || !alive("b1") {
			t.Fatalf("signout: %d %v", n, err)
		}

		open(ana, "a4")
		u, n, err := s.DisableStaffUser(ctx, "ana@seameo.test", "ops")
		if err != nil || n != 1 || !u.Disabled || alive("a4") {
			t.Fatalf("disable: %+v %d %v", u, n, err)
		}
		if got, _ := s.StaffUserByEmail(ctx, "ana@seameo.test"); !got.Disabled {
			t.Fatal("not disabled")
		}
		// `user add` again enables.
		if got, _ := s.PutStaffUser(ctx, "ana@seameo.test", attendance.StaffAdmin, "h3"); got.Disabled {
			t.Fatal("re-add left the account disabled")
		}

		open(ana, "a5")
		if n, err := s.RemoveStaffUser(ctx, "ana@seameo.test", "ops"); err != nil || n != 1 || alive("a5") {
			t.Fatalf("remove: %d %v", n, err)
		}
		if _, err := s.StaffUserByEmail(ctx, "ana@seameo.test"); attendance.ErrorCode(err) != attendance.ENotFound {
			t.Fatalf("removed user: %v", err)
		}
		if !alive("b1") {
			t.Fatal("another staff member's session ended")
		}

		for _, err := range []error{
			func() error { _, err := s.EndStaffSessions(ctx, "ana@seameo.test", "ops"); return err }(),
			func() error { _, _, err := s.DisableStaffUser(ctx, "nobody@seameo.test", "ops"); return err }(),
			func() error { _, err := s.RemoveStaffUser(ctx, "nobody@seameo.test", "ops"); return err }(),
		} {
			if attendance.ErrorCode(err) != attendance.ENotFound {
				t.Errorf("unknown staff member: %v", err)
			}
		}
		if _, err := s.EndStaffSessions(ctx, "bo@seameo.test", " "); attendance.ErrorCode(err) != attendance.EInvalid || !alive("b1") {
			t.Errorf("unnamed actor: %v", err)
		}

		var audits []struct {
			Actor   string `db:"actor"`
			Action  string `db:"action"`
			Subject string `db:"subject"`
			Detail  string `db:"detail"`
		}
		if err := s.DB().SelectContext(ctx, &audits, `SELECT actor, action, subject, detail FROM audit_log WHERE event_id IS NULL ORDER BY id`); err != nil {
			t.Fatal(err)
		}
		want := []string{"staff signout", "staff disable", "staff remove"}
		if len(audits) != len(want) {
			t.Fatalf("audit %+v", audits)
		}
		for i, a := range audits {
			if a.Action != want[i] || a.Actor != "ops" || a.Subject == "" || a.Subject == "ana@seameo.test" {
				t.Errorf("audit %d: %+v", i, a)
			}
		}
	})
}
