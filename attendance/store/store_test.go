package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

func newEvent(t *testing.T, s *store.Store, slug string, videos ...string) attendance.Event {
	t.Helper()
	e, err := s.CreateEvent(context.Background(), attendance.Event{Slug: slug, Title: "Policy Dialogue", TimeZone: "Asia/Bangkok",
		Policy: attendance.DefaultPolicy(), VideoIDs: videos})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestParseDSN(t *testing.T) {
	tests := []struct {
		in      string
		engine  store.Engine
		wantErr bool
	}{
		{"rollcall.db", store.SQLite, false},
		{"sqlite:/tmp/x.db", store.SQLite, false},
		{"sqlite:///tmp/x.db", store.SQLite, false},
		{"postgres://u:p@localhost/db", store.Postgres, false},
		{"postgresql://localhost/db", store.Postgres, false},
		{"mysql://localhost/db", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e, _, err := store.ParseDSN(tt.in)
			if (err != nil) != tt.wantErr || e != tt.engine {
				t.Fatalf("ParseDSN(%q) = %q, %v", tt.in, e, err)
			}
		})
	}
}

func TestOpenRedactsPassword(t *testing.T) {
	_, err := store.Open(context.Background(), "postgres://rollcall:s3cret@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	if err == nil {
		t.Fatal("expected an error")
	}
	if got := err.Error(); strings.Contains(got, "s3cret") {
		t.Fatalf("error leaks the password: %s", got)
	}
}

func TestEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		two := 2
		e, err := s.CreateEvent(ctx, attendance.Event{Slug: "pd-2026", Title: "Futures of Higher Education", TimeZone: "Asia/Bangkok",
			Policy: attendance.Policy{MinCheckpoints: &two, RequireForm: true, MaxRegistrationsPerChannel: 3}, VideoIDs: []string{"dQw4w9WgXcQ", "abcdefghijk"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateEvent(ctx, attendance.Event{Slug: "pd-2026", Title: "again", Policy: attendance.DefaultPolicy()}); attendance.ErrorCode(err) != attendance.EConflict {
			t.Fatalf("duplicate slug: got %v, want a conflict", err)
		}
		got, err := s.Event(ctx, "pd-2026")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != e.ID || got.Title != e.Title || *got.Policy.MinCheckpoints != 2 || got.Policy.MaxRegistrationsPerChannel != 3 ||
			len(got.VideoIDs) != 2 || got.VideoIDs[1] != "abcdefghijk" || !got.CreatedAt.Equal(e.CreatedAt) {
			t.Fatalf("Event = %+v, want %+v", got, e)
		}
		if _, err := s.Event(ctx, "nope"); attendance.ErrorCode(err) != attendance.ENotFound {
			t.Fatalf("missing event: got %v", err)
		}
		p := got.Policy
		p.MinCheckpoints = nil
		p.RequireForm = false
		if err := s.SetPolicy(ctx, e.ID, p); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Event(ctx, "pd-2026")
		if got.Policy.MinCheckpoints != nil || got.Policy.RequireForm {
			t.Fatalf("policy not changed: %+v", got.Policy)
		}
		list, err := s.Events(ctx)
		if err != nil || len(list) != 1 || len(list[0].VideoIDs) != 2 {
			t.Fatalf("Events = %+v, %v", list, err)
		}
	})
}

func TestTimesRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newEvent(t, s, "times", "dQw4w9WgXcQ")
		streams, err := s.Streams(ctx, e.ID)
		if err != nil || len(streams) != 1 {
			t.Fatal(streams, err)
		}
		bkk, _ := time.LoadLocation("Asia/Bangkok")
		start := time.Date(2026, 11, 29, 9, 0, 0, 123456000, bkk) // microsecond precision
		v := int64(1234)
		err = s.RecordStreamSample(ctx, streams[0].ID, attendance.StreamSample{At: start, State: attendance.StreamLive,
			ScheduledStart: start, ActualStart: start.Add(time.Microsecond), ConcurrentViewers: &v, ChatID: "chat1"})
		if err != nil {
			t.Fatal(err)
		}
		streams, _ = s.Streams(ctx, e.ID)
		got := streams[0]
		if !got.ScheduledStart.Equal(start) || got.ActualStart.Sub(start) != time.Microsecond || got.ScheduledStart.Location() != time.UTC {
			t.Fatalf("times: scheduled %v actual %v, want %v (UTC)", got.ScheduledStart, got.ActualStart, start)
		}
	})
}

func TestStreamSamples(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newEvent(t, s, "samples", "dQw4w9WgXcQ")
		streams, _ := s.Streams(ctx, e.ID)
		id := streams[0].ID
		at := time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)
		n := func(v int64) *int64 { return &v }
		steps := []attendance.StreamSample{
			{At: at, State: attendance.StreamUpcoming, ScheduledStart: at.Add(time.Hour)},
			{At: at.Add(time.Hour), State: attendance.StreamLive, ChatID: "c1", ConcurrentViewers: n(500), Views: n(10)},
			{At: at.Add(2 * time.Hour), State: attendance.StreamLive, ConcurrentViewers: n(300)},         // peak stays 500; views kept
			{At: at.Add(3 * time.Hour), State: attendance.StreamEnded, ActualEnd: at.Add(3 * time.Hour)}, // viewers unknown now
			{At: at.Add(4 * time.Hour), State: attendance.StreamLive},                                    // never back from ended
		}
		for _, st := range steps {
			if err := s.RecordStreamSample(ctx, id, st); err != nil {
				t.Fatal(err)
			}
		}
		streams, _ = s.Streams(ctx, e.ID)
		got := streams[0]
		if got.State != attendance.StreamEnded || got.PeakConcurrentViewers != 500 || got.ChatID != "c1" || !got.ScheduledStart.Equal(at.Add(time.Hour)) {
			t.Fatalf("stream = %+v", got)
		}
		var views int64
		if err := s.DB().GetContext(ctx, &views, s.DB().Rebind(`SELECT views FROM streams WHERE id = ?`), id); err != nil || views != 10 {
			t.Fatalf("views = %d, %v; want the last reported 10", views, err)
		}
		if err := s.RecordStreamSample(ctx, 999999, steps[0]); err == nil {
			t.Fatal("sample of an unknown stream: want an error")
		}
	})
}

func TestImportRegistrations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newEvent(t, s, "regs")
		regs := []attendance.Registration{
			{FullName: "สมศักดิ์ ศรีสุข", Email: "somsak@example.th", Country: "Thailand", Role: attendance.RoleParticipant, Extra: map[string]string{"Position": "Teacher"}},
			{FullName: "Nguyễn Thị Ngọc Ánh", Email: "Anh@Example.VN ", Role: attendance.RoleSpeaker},
		}
		res, err := s.ImportRegistrations(ctx, e.ID, regs, false)
		if err != nil || res != (attendance.ImportResult{Added: 2}) {
			t.Fatalf("first import = %+v, %v", res, err)
		}
		res, err = s.ImportRegistrations(ctx, e.ID, regs, false)
		if err != nil || res != (attendance.ImportResult{Unchanged: 2}) {
			t.Fatalf("second import = %+v, %v", res, err)
		}
		before, _ := s.Registration(ctx, e.ID, "anh@example.vn")
		regs[1].Org = "SEAMEO RETRAC"
		res, err = s.ImportRegistrations(ctx, e.ID, regs[1:], true)
		if err != nil || res != (attendance.ImportResult{Updated: 1}) {
			t.Fatalf("dry run = %+v, %v", res, err)
		}
		if r, _ := s.Registration(ctx, e.ID, "anh@example.vn"); r.Org != "" {
			t.Fatal("dry run wrote")
		}
		if _, err = s.ImportRegistrations(ctx, e.ID, regs[1:], false); err != nil {
			t.Fatal(err)
		}
		after, err := s.Registration(ctx, e.ID, " ANH@example.vn")
		if err != nil {
			t.Fatal(err)
		}
		if after.Org != "SEAMEO RETRAC" || after.Code != before.Code || after.ID != before.ID || after.FullName != "Nguyễn Thị Ngọc Ánh" {
			t.Fatalf("update: %+v (before %+v)", after, before)
		}
		var codes []string
		err = s.EachRegistration(ctx, e.ID, func(r attendance.Registration) error {
			if attendance.NormalizeCode(r.Code) != r.Code {
				return fmt.Errorf("code %q is not canonical", r.Code)
			}
			codes = append(codes, r.Code)
			return nil
		})
		if err != nil || len(codes) != 2 || codes[0] == codes[1] {
			t.Fatalf("codes %v, %v", codes, err)
		}
		th, _ := s.Registration(ctx, e.ID, "somsak@example.th")
		if th.Extra["Position"] != "Teacher" || th.Source != attendance.SourceImport {
			t.Fatalf("extra/source: %+v", th)
		}
		// A code given in the file that another person holds is a conflict, and nothing is written.
		_, err = s.ImportRegistrations(ctx, e.ID, []attendance.Registration{
			{FullName: "New Person", Email: "new@example.org", Role: attendance.RoleParticipant},
			{FullName: "Thief", Email: "thief@example.org", Role: attendance.RoleParticipant, Code: th.Code},
		}, false)
		if attendance.ErrorCode(err) != attendance.EConflict {
			t.Fatalf("stolen code: %v", err)
		}
		if n, _ := s.RegistrationCount(ctx, e.ID); n != 2 {
			t.Fatalf("failed import half-wrote: %d registrations", n)
		}
	})
}

func msgs(from, n int, at time.Time) []attendance.ChatMessage {
	out := make([]attendance.ChatMessage, n)
	for i := range out {
		out[i] = attendance.ChatMessage{ID: fmt.Sprintf("m%06d", from+i), Type: attendance.MsgText,
			AuthorChannelID: fmt.Sprintf("UC%022d", (from+i)%7), AuthorName: "viewer", Text: "hello",
			PublishedAt: at.Add(time.Duration(from+i) * 10 * time.Second)}
	}
	return out
}

func TestCommitChatPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newEvent(t, s, "chat", "dQw4w9WgXcQ")
		streams, _ := s.Streams(ctx, e.ID)
		id := streams[0].ID
		at := time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)
		if err := s.CommitChatPage(ctx, attendance.ChatPage{StreamID: id, Messages: msgs(0, 30, at), NextPageToken: "t1"}); err != nil {
			t.Fatal(err)
		}
		// The same page again (a crash between commit and the next read) and an overlapping one.
		if err := s.CommitChatPage(ctx, attendance.ChatPage{StreamID: id, Messages: msgs(0, 30, at), NextPageToken: "t1"}); err != nil {
			t.Fatal(err)
		}
		page := msgs(20, 20, at)
		page = append(page, attendance.ChatMessage{ID: "del1", Type: attendance.MsgMessageDeleted, AuthorChannelID: "UCmoderator", TargetID: "m000003", PublishedAt: at})
		if err := s.CommitChatPage(ctx, attendance.ChatPage{StreamID: id, Messages: page, NextPageToken: "t2", OfflineAt: at.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		sum, err := s.Summary(ctx, "chat")
		if err != nil {
			t.Fatal(err)
		}
		if st := sum.Streams[0]; st.ChatMessages != 41 || st.ChatAuthors != 7 {
			t.Fatalf("summary %+v: want 41 messages by 7 authors", st)
		}
		streams, _ = s.Streams(ctx, e.ID)
		if streams[0].PageToken != "t2" || !streams[0].OfflineAt.Equal(at.Add(time.Hour)) {
			t.Fatalf("cursor %+v", streams[0])
		}
		var deleted bool
		if err := s.DB().GetContext(ctx, &deleted, s.DB().Rebind(`SELECT deleted FROM chat_messages WHERE message_id = ?`), "m000003"); err != nil || !deleted {
			t.Fatalf("deletion not marked: %v %v", deleted, err)
		}
		var minutes int
		if err := s.DB().GetContext(ctx, &minutes, `SELECT COUNT(*) FROM chat_activity`); err != nil || minutes == 0 {
			t.Fatalf("activity minutes %d %v", minutes, err)
		}
		// A writer with an older fence than the stream's is refused, and writes nothing.
		if _, err := s.DB().ExecContext(ctx, s.DB().Rebind(`UPDATE streams SET fence = 5 WHERE id = ?`), id); err != nil {
			t.Fatal(err)
		}
		err = s.CommitChatPage(ctx, attendance.ChatPage{StreamID: id, Messages: msgs(100, 5, at), NextPageToken: "stale", Fence: 4})
		if !errors.Is(err, store.ErrStaleFence) {
			t.Fatalf("stale fence: %v", err)
		}
		sum, _ = s.Summary(ctx, "chat")
		streams, _ = s.Streams(ctx, e.ID)
		if sum.Streams[0].ChatMessages != 41 || streams[0].PageToken != "t2" {
			t.Fatal("a refused page wrote something")
		}
	})
}

func TestTrackedStreamsAndChatState(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newEvent(t, s, "tracked", "aaaaaaaaaaa", "bbbbbbbbbbb")
		streams, _ := s.Streams(ctx, e.ID)
		tr, err := s.TrackedStreams(ctx)
		if err != nil || len(tr) != 2 || tr[0].EventSlug != "tracked" {
			t.Fatalf("tracked %+v %v", tr, err)
		}
		_ = s.RecordStreamSample(ctx, streams[0].ID, attendance.StreamSample{At: time.Now(), State: attendance.StreamEnded})
		_ = s.SetChatState(ctx, streams[0].ID, 0, attendance.ChatPolling, "")
		if tr, _ = s.TrackedStreams(ctx); len(tr) != 2 {
			t.Fatal("an ended stream still draining its chat must stay tracked")
		}
		_ = s.SetChatState(ctx, streams[0].ID, 0, attendance.ChatDrained, "liveChatEnded")
		if tr, _ = s.TrackedStreams(ctx); len(tr) != 1 || tr[0].VideoID != "bbbbbbbbbbb" {
			t.Fatalf("tracked after drain: %+v", tr)
		}
		_ = s.CommitChatPage(ctx, attendance.ChatPage{StreamID: streams[1].ID, NextPageToken: "tok"})
		_ = s.SetChatState(ctx, streams[1].ID, 0, attendance.ChatGap, "pageTokenInvalid")
		streams, _ = s.Streams(ctx, e.ID)
		if streams[1].PageToken != "" || streams[1].ChatState != attendance.ChatGap {
			t.Fatalf("gap must clear the token: %+v", streams[1])
		}
	})
}

func TestQuotaLedger(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if n, err := s.AddQuotaUnits(ctx, "key:ab12", "2026-11-28", "liveChatMessages.list", 5); err != nil || n != 5 {
			t.Fatal(n, err)
		}
		if n, _ := s.AddQuotaUnits(ctx, "key:ab12", "2026-11-28", "videos.list", 1); n != 6 {
			t.Fatal(n)
		}
		_, _ = s.AddQuotaUnits(ctx, "key:ab12", "2026-11-29", "videos.list", 1)
		_, _ = s.AddQuotaUnits(ctx, "oauth:other", "2026-11-28", "videos.list", 100)
		if n, _ := s.QuotaUsed(ctx, "key:ab12", "2026-11-28"); n != 6 {
			t.Fatalf("used %d, want 6", n)
		}
	})
}

// TestCommitChatPageWithNUL: PostgreSQL text cannot hold NUL; a message with
// one must not make its page fail (the poller would retry it forever).
func TestCommitChatPageWithNUL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newEvent(t, s, "nul", "dQw4w9WgXcQ")
		streams, _ := s.Streams(ctx, e.ID)
		m := msgs(0, 2, time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC))
		m[0].Text, m[0].AuthorName = "hel\x00lo", "na\x00me"
		if err := s.CommitChatPage(ctx, attendance.ChatPage{StreamID: streams[0].ID, Messages: m, NextPageToken: "t"}); err != nil {
			t.Fatal(err)
		}
		var text string
		if err := s.DB().GetContext(ctx, &text, s.DB().Rebind(`SELECT text FROM chat_messages WHERE message_id = ?`), m[0].ID); err != nil || text != "hello" {
			t.Fatalf("text %q, %v", text, err)
		}
	})
}
