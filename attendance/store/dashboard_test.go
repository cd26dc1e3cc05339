package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

func TestStaffUsersAndSignInFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u, err := s.PutStaffUser(ctx, " Staff@SEAMEO.test ", attendance.StaffViewer, "$argon2id$h1")
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "staff@seameo.test" || u.Role != attendance.StaffViewer || u.ID == 0 {
			t.Fatalf("user %+v", u)
		}
		if _, err := s.PutStaffUser(ctx, "x@y.org", "owner", "h"); attendance.ErrorCode(err) != attendance.EInvalid {
			t.Fatalf("bad role: %v", err)
		}
		lock := time.Date(2026, 11, 28, 10, 15, 0, 123000, time.UTC)
		for i := 0; i < 4; i++ {
			if err := s.RecordSignInFailure(ctx, u.ID, 5, lock); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := s.StaffUserByEmail(ctx, "staff@seameo.test")
		if got.FailedLogins != 4 || !got.LockedUntil.IsZero() {
			t.Fatalf("after 4 failures: %+v", got)
		}
		s.RecordSignInFailure(ctx, u.ID, 5, lock)
		got, _ = s.StaffUserByEmail(ctx, "STAFF@seameo.test")
		if got.FailedLogins != 0 || !got.LockedUntil.Equal(lock) {
			t.Fatalf("after 5 failures: %+v", got)
		}
		// Re-adding replaces role and password and unlocks.
		u2, err := s.PutStaffUser(ctx, "staff@seameo.test", attendance.StaffAdmin, "$argon2id$h2")
		if err != nil || u2.ID != u.ID || u2.Role != attendance.StaffAdmin || u2.PasswordHash != "$argon2id$h2" || !u2.LockedUntil.IsZero() {
			t.Fatalf("re-add: %+v %v", u2, err)
		}
		if n, _ := s.StaffUserCount(ctx); n != 1 {
			t.Fatalf("count %d", n)
		}
		if _, err := s.StaffUserByEmail(ctx, "nobody@x.org"); attendance.ErrorCode(err) != attendance.ENotFound {
			t.Fatalf("unknown: %v", err)
		}
	})
}

func TestStaffSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u, _ := s.PutStaffUser(ctx, "a@seameo.test", attendance.StaffAdmin, "h")
		t0 := time.Date(2026, 11, 28, 9, 0, 0, 1000, time.UTC)
		ss := attendance.StaffSession{TokenHash: "hash1", UserID: u.ID, CSRFToken: "csrf1", CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(7 * 24 * time.Hour)}
		if err := s.CreateStaffSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
		got, gu, err := s.StaffSessionUser(ctx, "hash1")
		if err != nil || got != ss || gu.Email != "a@seameo.test" {
			t.Fatalf("session %+v %+v %v", got, gu, err)
		}
		if err := s.TouchStaffSession(ctx, "hash1", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, _, _ = s.StaffSessionUser(ctx, "hash1")
		if !got.LastSeenAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("touched %+v", got)
		}
		s.CreateStaffSession(ctx, attendance.StaffSession{TokenHash: "hash2", UserID: u.ID, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)})
		n, err := s.DeleteExpiredStaffSessions(ctx, t0.Add(2*time.Hour), t0.Add(-time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("expired %d %v", n, err)
		}
		if err := s.DeleteStaffSession(ctx, "hash1"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.StaffSessionUser(ctx, "hash1"); attendance.ErrorCode(err) != attendance.ENotFound {
			t.Fatalf("deleted session: %v", err)
		}
	})
}

func TestLiveFigures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newEvent(t, s, "live", "dQw4w9WgXcQ", "aqz-KE-bpKQ")
		streams, _ := s.Streams(ctx, e.ID)
		t0 := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
		for i, v := range []int64{100, 250, 180} {
			v := v
			if err := s.RecordStreamSample(ctx, streams[0].ID, attendance.StreamSample{At: t0.Add(time.Duration(i) * time.Minute), State: attendance.StreamLive, ConcurrentViewers: &v}); err != nil {
				t.Fatal(err)
			}
		}
		s.RecordStreamSample(ctx, streams[1].ID, attendance.StreamSample{At: t0.Add(90 * time.Second), State: attendance.StreamUpcoming})
		ls, err := s.LiveStreams(ctx, e.ID)
		if err != nil || len(ls) != 2 || *ls[0].ConcurrentViewers != 180 || ls[0].PeakConcurrentViewers != 250 || ls[1].ConcurrentViewers != nil || ls[0].State != "live" {
			t.Fatalf("live streams %+v %v", ls, err)
		}
		vs, err := s.ViewerSamples(ctx, e.ID, t0.Add(30*time.Second), 10)
		if err != nil || len(vs) != 2 || vs[0].Viewers != 250 || !vs[1].At.Equal(t0.Add(2*time.Minute)) {
			t.Fatalf("samples %+v %v", vs, err)
		}
		if vs, _ := s.ViewerSamples(ctx, e.ID, t0, 1); len(vs) != 1 || vs[0].Viewers != 180 {
			t.Fatalf("newest sample %+v", vs)
		}

		var page []attendance.ChatMessage
		for i := 0; i < 7; i++ {
			page = append(page, attendance.ChatMessage{ID: fmt.Sprint("m", i), Type: attendance.MsgText, AuthorChannelID: fmt.Sprint("UC", i%3),
				AuthorName: "x", Text: "hi", PublishedAt: t0.Add(time.Duration(i*25) * time.Second)})
		}
		if err := s.CommitChatPage(ctx, attendance.ChatPage{StreamID: streams[0].ID, Messages: page[:5]}); err != nil {
			t.Fatal(err)
		}
		if err := s.CommitChatPage(ctx, attendance.ChatPage{StreamID: streams[1].ID, Messages: page[5:]}); err != nil {
			t.Fatal(err)
		}
		m0 := t0.Unix() / 60
		pm, err := s.ChatPerMinute(ctx, e.ID, m0)
		want := []attendance.MinuteCount{{Minute: m0, N: 3}, {Minute: m0 + 1, N: 2}, {Minute: m0 + 2, N: 2}}
		if err != nil || fmt.Sprint(pm) != fmt.Sprint(want) {
			t.Fatalf("per minute %v, want %v (%v)", pm, want, err)
		}
		if pm, _ := s.ChatPerMinute(ctx, e.ID, m0+2); len(pm) != 1 {
			t.Fatalf("window %v", pm)
		}
		if n, err := s.DistinctChatters(ctx, e.ID); err != nil || n != 3 {
			t.Fatalf("chatters %d %v", n, err)
		}

		regs := []attendance.Registration{
			{FullName: "Ana", Email: "ana@example.org", Country: "Philippines"},
			{FullName: "Bui", Email: "bui@example.org", Country: "Viet Nam"},
			{FullName: "Cuong", Email: "cuong@example.org", Country: "Viet Nam"},
			{FullName: "Dara", Email: "dara@example.org"},
		}
		if _, err := s.ImportRegistrations(ctx, e.ID, regs, false); err != nil {
			t.Fatal(err)
		}
		db := s.DB()
		for i, email := range []string{"bui@example.org", "ana@example.org", "bui@example.org"} {
			r, _ := s.Registration(ctx, e.ID, email)
			if _, err := db.Exec(db.Rebind(`INSERT INTO links (event_id, registration_id, channel_id, method, linked_at) VALUES (?, ?, ?, 'code', ?)`),
				e.ID, r.ID, fmt.Sprint("UC", i), t0.Add(time.Duration(i)*time.Minute).UnixMicro()); err != nil {
				t.Fatal(err)
			}
		}
		bc, err := s.LinkedByCountry(ctx, e.ID)
		wantC := []attendance.CountryFigures{{Country: "Viet Nam", Registered: 2, Linked: 1}, {Country: "", Registered: 1, Linked: 0}, {Country: "Philippines", Registered: 1, Linked: 1}}
		if err != nil || fmt.Sprint(bc) != fmt.Sprint(wantC) {
			t.Fatalf("by country %v, want %v (%v)", bc, wantC, err)
		}
		ci, err := s.RecentCheckIns(ctx, e.ID, 2)
		if err != nil || len(ci) != 2 || ci[0].FullName != "Bui" || ci[1].FullName != "Ana" || !ci[0].At.Equal(t0.Add(2*time.Minute)) {
			t.Fatalf("check-ins %+v %v", ci, err)
		}

		s.AddQuotaUnits(ctx, "key:a", "2026-11-28", "videos.list", 3)
		s.AddQuotaUnits(ctx, "key:a", "2026-11-28", "liveChatMessages.list", 10)
		s.AddQuotaUnits(ctx, "key:a", "2026-11-27", "videos.list", 99)
		q, err := s.QuotaByMethod(ctx, "2026-11-28")
		if err != nil || fmt.Sprint(q) != "[{liveChatMessages.list 10} {videos.list 3}]" {
			t.Fatalf("quota %v %v", q, err)
		}
		if cc, err := s.CertificateCounts(ctx, e.ID); err != nil || len(cc) != 0 {
			t.Fatalf("certificates %v %v", cc, err)
		}
	})
}
