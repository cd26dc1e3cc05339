package store_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

// TestGapsRecordedWithTheirPage: a page carrying a GapReason records one
// gap in its own transaction, from the last message stored before it to
// its first message (or the store's now when it has none); a refused page
// records nothing, and its retry records the gap once.
func TestGapsRecordedWithTheirPage(t *testing.T) {
	now := time.Date(2026, 11, 20, 5, 0, 0, 0, time.UTC)
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			s := storetest.Open(t, e, store.WithClock(func() time.Time { return now }))
			ctx := context.Background()
			ev := newEvent(t, s, "gaps", "aaaaaaaaaaa", "bbbbbbbbbbb")
			streams, _ := s.Streams(ctx, ev.ID)
			a, b := streams[0].ID, streams[1].ID
			at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
			m := func(id string, min int) attendance.ChatMessage {
				return attendance.ChatMessage{ID: id, Type: attendance.MsgText, AuthorChannelID: ch(1), Text: "hi", PublishedAt: at(min)}
			}
			commit := func(p attendance.ChatPage) error { return s.CommitChatPage(ctx, p) }
			// Stream a: messages at minutes 1 and 5, then a token expires.
			if err := commit(attendance.ChatPage{StreamID: a, Messages: []attendance.ChatMessage{m("a1", 1), m("a5", 5)}, NextPageToken: "t1"}); err != nil {
				t.Fatal(err)
			}
			// A stale writer's gap page is refused: nothing of it, gap included, is written.
			if _, err := s.DB().ExecContext(ctx, s.DB().Rebind(`UPDATE streams SET fence = 3 WHERE id = ?`), a); err != nil {
				t.Fatal(err)
			}
			// The read without a token reaches back before the last stored
			// message (a5): the gap ends at the first message after it of
			// the recent history, not at a ticker event (a Super Chat at
			// minute 12) that such a read brings from further back.
			superChat := m("sc12", 12)
			superChat.Type = attendance.MsgSuperChat
			gapPage := attendance.ChatPage{StreamID: a, Messages: []attendance.ChatMessage{superChat, m("a1", 1), m("a5", 5), m("a40", 40), m("a41", 41)}, NextPageToken: "t2",
				GapReason: attendance.GapTokenInvalid, Fence: 2}
			if err := commit(gapPage); !errors.Is(err, store.ErrStaleFence) {
				t.Fatalf("stale gap page: %v", err)
			}
			if gaps, _ := s.Gaps(ctx, ev.ID); len(gaps) != 0 {
				t.Fatalf("a refused page recorded a gap: %+v", gaps)
			}
			gapPage.Fence = 3
			if err := commit(gapPage); err != nil {
				t.Fatal(err)
			}
			// Stream b: nothing stored yet, the chat is replaced and the new one is empty.
			if err := commit(attendance.ChatPage{StreamID: b, NextPageToken: "n1", GapReason: attendance.GapChatReplaced}); err != nil {
				t.Fatal(err)
			}
			// A page without a reason records nothing.
			if err := commit(attendance.ChatPage{StreamID: b, Messages: []attendance.ChatMessage{m("b50", 50)}, NextPageToken: "n2"}); err != nil {
				t.Fatal(err)
			}
			gaps, err := s.Gaps(ctx, ev.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := []attendance.Gap{
				{StreamID: a, VideoID: "aaaaaaaaaaa", From: at(5), To: at(40), Reason: attendance.GapTokenInvalid, RecordedAt: now},
				{StreamID: b, VideoID: "bbbbbbbbbbb", To: now, Reason: attendance.GapChatReplaced, RecordedAt: now},
			}
			if !reflect.DeepEqual(gaps, want) {
				t.Fatalf("gaps\n got %+v\nwant %+v", gaps, want)
			}
			sum, err := s.Summary(ctx, "gaps")
			if err != nil {
				t.Fatal(err)
			}
			if len(sum.Gaps) != 2 || sum.Gaps[0].From == nil || !sum.Gaps[0].From.Equal(at(5)) || sum.Gaps[1].From != nil || sum.Gaps[1].Reason != attendance.GapChatReplaced {
				t.Fatalf("summary gaps %+v", sum.Gaps)
			}
		})
	}
}

// TestCommitKeepsTheCollectorsChatState: a committed page turns waiting,
// gap and backoff into polling, and leaves streaming (and every state the
// collector set for other reasons) as it was.
func TestCommitKeepsTheCollectorsChatState(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ev := newEvent(t, s, "states", "aaaaaaaaaaa")
		streams, _ := s.Streams(ctx, ev.ID)
		id := streams[0].ID
		for _, tc := range []struct {
			before, after attendance.ChatState
		}{
			{attendance.ChatWaiting, attendance.ChatPolling},
			{attendance.ChatGap, attendance.ChatPolling},
			{attendance.ChatBackoff, attendance.ChatPolling},
			{attendance.ChatPolling, attendance.ChatPolling},
			{attendance.ChatStreaming, attendance.ChatStreaming},
			{attendance.ChatDisabled, attendance.ChatDisabled},
			{attendance.ChatStopped, attendance.ChatStopped},
		} {
			if err := s.SetChatState(ctx, id, 0, tc.before, ""); err != nil {
				t.Fatal(err)
			}
			if err := s.CommitChatPage(ctx, attendance.ChatPage{StreamID: id, NextPageToken: "t"}); err != nil {
				t.Fatal(err)
			}
			streams, _ = s.Streams(ctx, ev.ID)
			if got := streams[0].ChatState; got != tc.after {
				t.Errorf("%s after a commit: %s, want %s", tc.before, got, tc.after)
			}
		}
	})
}

// TestTrackedStreamsFollowTheVideo: a stream is tracked while its video
// has not ended, whatever its chat state (unavailable included), and once
// ended until its chat is final.
func TestTrackedStreamsFollowTheVideo(t *testing.T) {
	cases := []struct {
		state   attendance.StreamState
		chat    attendance.ChatState
		tracked bool
	}{
		{attendance.StreamLive, attendance.ChatDrained, true},
		{attendance.StreamLive, attendance.ChatForbidden, true},
		{attendance.StreamLive, attendance.ChatStopped, true},
		{attendance.StreamUpcoming, attendance.ChatWaiting, true},
		{attendance.StreamUnavailable, attendance.ChatBackoff, true},
		{attendance.StreamUnavailable, attendance.ChatDrained, true},
		{attendance.StreamEnded, attendance.ChatStreaming, true},
		{attendance.StreamEnded, attendance.ChatBackoff, true},
		{attendance.StreamEnded, attendance.ChatGap, true},
		{attendance.StreamEnded, attendance.ChatPolling, true},
		{attendance.StreamEnded, attendance.ChatWaiting, true},
		{attendance.StreamEnded, attendance.ChatDrained, false},
		{attendance.StreamEnded, attendance.ChatDisabled, false},
		{attendance.StreamEnded, attendance.ChatNotFound, false},
		{attendance.StreamEnded, attendance.ChatForbidden, false},
		{attendance.StreamEnded, attendance.ChatStopped, false},
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var videos []string
		for i := range cases {
			videos = append(videos, string(rune('a'+i))+"aaaaaaaaaa")
		}
		ev := newEvent(t, s, "follow", videos...)
		streams, _ := s.Streams(ctx, ev.ID)
		for i, c := range cases {
			// The collector's own writes; the store keeps what it is told.
			if _, err := s.DB().ExecContext(ctx, s.DB().Rebind(`UPDATE streams SET state = ?, chat_state = ? WHERE id = ?`), c.state, c.chat, streams[i].ID); err != nil {
				t.Fatal(err)
			}
		}
		tracked, err := s.TrackedStreams(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, st := range tracked {
			got[st.VideoID] = true
		}
		for i, c := range cases {
			if got[videos[i]] != c.tracked {
				t.Errorf("video %s, chat %s: tracked %v, want %v", c.state, c.chat, got[videos[i]], c.tracked)
			}
		}
	})
}

// TestEvidenceOnlyFromOwnWords: a code or checkpoint word that appears only
// in a Super Chat's displayMessage (the buyer's display name and the
// amount) or in an author name counts for nothing; in the comment it
// counts. The display text is stored, exported to its person and blanked
// by retention like the text.
func TestEvidenceOnlyFromOwnWords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := attendance.DefaultPolicy()
		p.RequireForm = false
		f := newFixture(t, s, p, person("Anh Nguyen", "participant", ""), person("Bo Lee", "participant", ""))
		if _, err := s.AddCheckpoint(ctx, f.ev.ID, "lotus", t0, t0.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		superChat := func(n int, min float64, name, comment string) attendance.ChatMessage {
			m := f.msg(n, min, comment)
			m.Type, m.AuthorName = attendance.MsgSuperChat, name
			m.DisplayText = "₫50,000 from " + name + `: "` + comment + `"`
			return m
		}
		sticker := f.msg(1, 3, "")
		sticker.Type, sticker.AuthorName, sticker.DisplayText = attendance.MsgSuperSticker, "Lotus "+f.code("anh"), "Super Sticker from Lotus "+f.code("anh")
		f.page(
			superChat(1, 2, "Lotus "+f.code("anh"), "great talk"),
			sticker,
			superChat(2, 4, "Bo", "lotus "+f.code("bo")),
		)
		d := f.decisions()
		if d["anh"].Evidence.Linked || d["anh"].Evidence.CheckpointsHit != 0 {
			t.Errorf("a code and word in a buyer's name counted: %+v", d["anh"].Evidence)
		}
		if !d["bo"].Evidence.Linked || d["bo"].Evidence.CheckpointsHit != 1 || d["bo"].Certificate != attendance.CertParticipation {
			t.Errorf("a code and word in a Super Chat comment: %+v %v", d["bo"].Evidence, d["bo"].Reasons)
		}
		rec, err := s.Person(ctx, f.ev.ID, "bo@example.org")
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.Messages) != 1 || rec.Messages[0].Text != "lotus "+f.code("bo") || rec.Messages[0].DisplayText != `₫50,000 from Bo: "lotus `+f.code("bo")+`"` {
			t.Fatalf("person messages %+v", rec.Messages)
		}
		if _, err := s.PurgeChatText(ctx, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		var left int
		if err := s.DB().GetContext(ctx, &left, `SELECT COUNT(*) FROM chat_messages WHERE display_text <> '' OR text <> ''`); err != nil || left != 0 {
			t.Fatalf("after retention %d messages keep text: %v", left, err)
		}
		if d := f.decisions(); !d["bo"].Evidence.Linked || d["bo"].Evidence.CheckpointsHit != 1 {
			t.Fatalf("retention took evidence: %+v", d["bo"].Evidence)
		}
	})
}

// TestModerationFlagsReview: evidence resting on a message a moderator
// deleted, or on messages of a banned channel, is kept and counts, and is
// flagged for review (a conflict kind that blocks nothing) — whichever
// came first; a retraction by the author flags nothing, nor does the
// deletion of a message that carries no evidence.
func TestModerationFlagsReview(t *testing.T) {
	type flag struct{ who, kind string }
	mod := func(id, typ, target string, min float64) attendance.ChatMessage {
		return attendance.ChatMessage{ID: id, Type: typ, AuthorChannelID: "UCmoderator", TargetID: target, PublishedAt: t0.Add(time.Duration(min * float64(time.Minute)))}
	}
	cases := []struct {
		name  string
		pages func(f *fixture) [][]attendance.ChatMessage
		want  []flag
		// the moderation entries of anh's timeline, sorted
		moderation []string
	}{
		{"code message deleted on a later page", func(f *fixture) [][]attendance.ChatMessage {
			code := f.msg(1, 1, f.code("anh")) // msg00001
			return [][]attendance.ChatMessage{{code, f.msg(1, 2, "lotus")}, {mod("d1", attendance.MsgMessageDeleted, code.ID, 3)}}
		}, []flag{{"anh", attendance.ConflictEvidenceDeleted}}, []string{"message msg00001 deleted by a moderator"}},
		{"checkpoint answer deleted on a later page", func(f *fixture) [][]attendance.ChatMessage {
			answer := f.msg(1, 2, "lotus")
			return [][]attendance.ChatMessage{{f.msg(1, 1, f.code("anh")), answer}, {mod("d1", attendance.MsgMessageDeleted, answer.ID, 3)}}
		}, []flag{{"anh", attendance.ConflictEvidenceDeleted}}, []string{"message msg00001 deleted by a moderator"}},
		{"answer deleted before its author typed the code", func(f *fixture) [][]attendance.ChatMessage {
			answer := f.msg(1, 2, "lotus")
			return [][]attendance.ChatMessage{{answer}, {mod("d1", attendance.MsgMessageDeleted, answer.ID, 3)}, {f.msg(1, 4, f.code("anh"))}}
		}, []flag{{"anh", attendance.ConflictEvidenceDeleted}}, []string{"message msg00001 deleted by a moderator"}},
		{"retracted by its author", func(f *fixture) [][]attendance.ChatMessage {
			code := f.msg(1, 1, f.code("anh"))
			return [][]attendance.ChatMessage{{code, f.msg(1, 2, "lotus")}, {mod("r1", attendance.MsgMessageRetract, code.ID, 3)}}
		}, nil, nil},
		{"deleted chatter that carries no evidence", func(f *fixture) [][]attendance.ChatMessage {
			chatter := f.msg(1, 5, "rude words")
			return [][]attendance.ChatMessage{{f.msg(1, 1, f.code("anh")), f.msg(1, 2, "lotus"), chatter}, {mod("d1", attendance.MsgMessageDeleted, chatter.ID, 6)}}
		}, nil, []string{"message msg00001 deleted by a moderator"}},
		{"channel banned on a later page", func(f *fixture) [][]attendance.ChatMessage {
			return [][]attendance.ChatMessage{{f.msg(1, 1, f.code("anh")), f.msg(1, 2, "lotus"), f.msg(2, 2, f.code("bo")+" lotus")},
				{mod("b1", attendance.MsgUserBanned, ch(1), 7)}}
		}, []flag{{"anh", attendance.ConflictChannelBanned}}, []string{"channel banned from the chat"}},
		{"channel banned before it typed its code", func(f *fixture) [][]attendance.ChatMessage {
			return [][]attendance.ChatMessage{{f.msg(1, 2, "lotus")}, {mod("b1", attendance.MsgUserBanned, ch(1), 3)}, {f.msg(1, 4, f.code("anh"))}}
		}, []flag{{"anh", attendance.ConflictChannelBanned}}, []string{"channel banned from the chat"}},
		{"deletion and ban in the evidence's own page", func(f *fixture) [][]attendance.ChatMessage {
			code := f.msg(1, 1, f.code("anh"))
			return [][]attendance.ChatMessage{{code, f.msg(1, 2, "lotus"), mod("d1", attendance.MsgMessageDeleted, code.ID, 3), mod("b1", attendance.MsgUserBanned, ch(1), 3)}}
		}, []flag{{"anh", attendance.ConflictChannelBanned}, {"anh", attendance.ConflictEvidenceDeleted}}, []string{"channel banned from the chat", "message msg00001 deleted by a moderator"}},
	}
	for _, e := range storetest.Engines() {
		for _, tc := range cases {
			t.Run(e.Name+"/"+tc.name, func(t *testing.T) {
				s := storetest.Open(t, e)
				ctx := context.Background()
				p := attendance.DefaultPolicy()
				p.RequireForm = false
				f := newFixture(t, s, p, person("Anh Nguyen", "participant", ""), person("Bo Lee", "participant", ""))
				if _, err := s.AddCheckpoint(ctx, f.ev.ID, "lotus", t0, t0.Add(10*time.Minute)); err != nil {
					t.Fatal(err)
				}
				for _, pg := range tc.pages(f) {
					f.page(pg...)
				}
				cs, err := s.Conflicts(ctx, f.ev.ID, false)
				if err != nil {
					t.Fatal(err)
				}
				var got []flag
				for _, c := range cs {
					got = append(got, flag{strings.TrimSuffix(c.Email, "@example.org"), c.Kind})
				}
				slices.SortFunc(got, func(a, b flag) int { return strings.Compare(a.who+" "+a.kind, b.who+" "+b.kind) })
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("flags %v, want %v", got, tc.want)
				}
				d := f.decisions()["anh"]
				if !d.Evidence.Linked || d.Evidence.CheckpointsHit != 1 || d.Certificate != attendance.CertParticipation {
					t.Fatalf("evidence not kept: %+v %v", d.Evidence, d.Reasons)
				}
				var wantReasons []string
				for _, fl := range tc.want {
					wantReasons = append(wantReasons, fl.kind)
				}
				if !reflect.DeepEqual(attendance.ReasonStrings(d.Reasons), wantReasons) {
					t.Fatalf("reasons %v, want %v", d.Reasons, wantReasons)
				}
				if d := f.decisions()["bo"]; slices.ContainsFunc(attendance.ReasonStrings(d.Reasons), attendance.ReviewOnly) {
					t.Fatalf("bo flagged: %v", d.Reasons)
				}
				tl, err := s.Timeline(ctx, f.ev.ID, f.people["anh"].ID)
				if err != nil {
					t.Fatal(err)
				}
				var moderation []string
				for _, e := range tl {
					if e.Kind == "moderation" {
						moderation = append(moderation, e.Text)
					}
				}
				slices.Sort(moderation)
				if want := tc.moderation; !reflect.DeepEqual(moderation, want) {
					t.Fatalf("timeline moderation %q, want %q", moderation, want)
				}
				if len(tc.want) > 0 {
					// Staff review clears the flag; the evidence stays.
					if _, err := s.ResolveConflicts(ctx, f.ev.ID, f.people["anh"].ID, "staff@example.org", "seen"); err != nil {
						t.Fatal(err)
					}
					if d := f.decisions()["anh"]; len(d.Reasons) != 0 || d.Certificate != attendance.CertParticipation {
						t.Fatalf("after review: %v %v", d.Certificate, d.Reasons)
					}
				}
			})
		}
	}
}

// TestCheckpointAddedAfterModeration: a checkpoint entered after the fact
// judges stored messages; a hit it finds on a message a moderator deleted
// (or of a banned channel) is flagged as it is made.
func TestCheckpointAddedAfterModeration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := attendance.DefaultPolicy()
		p.RequireForm = false
		f := newFixture(t, s, p, person("Anh Nguyen", "participant", ""), person("Bo Lee", "participant", ""))
		answer := f.msg(1, 2, "lotus")
		f.page(f.msg(1, 1, f.code("anh")), answer, f.msg(2, 1, f.code("bo")), f.msg(2, 2, "lotus"))
		f.page(attendance.ChatMessage{ID: "d1", Type: attendance.MsgMessageDeleted, AuthorChannelID: "UCmod", TargetID: answer.ID, PublishedAt: t0.Add(3 * time.Minute)},
			attendance.ChatMessage{ID: "b1", Type: attendance.MsgUserBanned, AuthorChannelID: "UCmod", TargetID: ch(2), PublishedAt: t0.Add(3 * time.Minute)})
		if cs, _ := s.Conflicts(ctx, f.ev.ID, false); len(cs) != 1 || cs[0].Kind != attendance.ConflictChannelBanned {
			t.Fatalf("before the checkpoint: %+v", cs) // bo's link rests on the banned channel; anh's code message was not deleted
		}
		if _, err := s.AddCheckpoint(ctx, f.ev.ID, "lotus", t0, t0.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		d := f.decisions()
		if !reflect.DeepEqual(attendance.ReasonStrings(d["anh"].Reasons), []string{attendance.ConflictEvidenceDeleted}) || d["anh"].Evidence.CheckpointsHit != 1 {
			t.Errorf("anh: %v %+v", d["anh"].Reasons, d["anh"].Evidence)
		}
		if !reflect.DeepEqual(attendance.ReasonStrings(d["bo"].Reasons), []string{attendance.ConflictChannelBanned}) || d["bo"].Evidence.CheckpointsHit != 1 {
			t.Errorf("bo: %v %+v", d["bo"].Reasons, d["bo"].Evidence)
		}
	})
}

// TestMembersOnlyNotices: members-only mode switched on during a
// checkpoint window, or still on when one opens, is a notice for that
// checkpoint; a span that ended before the window is not.
func TestMembersOnlyNotices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, attendance.DefaultPolicy(), person("Anh Nguyen", "participant", ""))
		for i, at := range []float64{10, 30, 50} {
			opens := t0.Add(time.Duration(at) * time.Minute)
			if _, err := s.AddCheckpoint(ctx, f.ev.ID, []string{"one", "two", "three"}[i], opens, opens.Add(5*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		mode := func(id, typ string, min float64) attendance.ChatMessage {
			return attendance.ChatMessage{ID: id, Type: typ, PublishedAt: t0.Add(time.Duration(min * float64(time.Minute)))}
		}
		// on before checkpoint 1 and off before it opens; on inside checkpoint 2 and never off.
		f.page(mode("s1", attendance.MsgMembersOnlyStarted, 2), mode("e1", attendance.MsgMembersOnlyEnded, 8))
		f.page(mode("s2", attendance.MsgMembersOnlyStarted, 32))
		got, err := s.MembersOnlyNotices(ctx, f.ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		from := t0.Add(32 * time.Minute)
		want := []attendance.MembersOnlyNotice{{Checkpoint: 2, VideoID: "dQw4w9WgXcQ", From: from}, {Checkpoint: 3, VideoID: "dQw4w9WgXcQ", From: from}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("notices\n got %+v\nwant %+v", got, want)
		}
		sum, err := s.Summary(ctx, "pd")
		if err != nil {
			t.Fatal(err)
		}
		if len(sum.MembersOnly) != 2 || sum.MembersOnly[0].To != nil || sum.MembersOnly[1].Checkpoint != 3 {
			t.Fatalf("summary %+v", sum.MembersOnly)
		}
	})
}

// TestMigrationFlagsStoredEvidence: upgrading a database that already
// holds moderated evidence (schema 6) keeps its moderation events and
// flags the links and hits resting on them.
func TestMigrationFlagsStoredEvidence(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			dsn := e.DSN(t)
			s, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			p := attendance.DefaultPolicy()
			p.RequireForm = false
			f := newFixture(t, s, p, person("Anh Nguyen", "participant", ""), person("Bo Lee", "participant", ""), person("Chai Srisuk", "participant", ""))
			if _, err := s.AddCheckpoint(ctx, f.ev.ID, "lotus", t0, t0.Add(10*time.Minute)); err != nil {
				t.Fatal(err)
			}
			code := f.msg(1, 1, f.code("anh"))
			f.page(code, f.msg(1, 2, "lotus"), f.msg(2, 1, f.code("bo")), f.msg(3, 1, f.code("chai")))
			f.page(
				attendance.ChatMessage{ID: "d1", Type: attendance.MsgMessageDeleted, AuthorChannelID: "UCmod", TargetID: code.ID, PublishedAt: t0.Add(3 * time.Minute)},
				attendance.ChatMessage{ID: "b1", Type: attendance.MsgUserBanned, AuthorChannelID: "UCmod", TargetID: ch(2), PublishedAt: t0.Add(3 * time.Minute)},
				attendance.ChatMessage{ID: "r1", Type: attendance.MsgMessageRetract, AuthorChannelID: ch(3), TargetID: "msg00004", PublishedAt: t0.Add(3 * time.Minute)},
			)
			// Back to schema 6, as a database written before 00007 is: the
			// later migrations undone first (newest first).
			for _, q := range []string{
				`DROP TABLE mail_templates`,                                 // 00011
				`DROP TABLE outbox`, `DROP INDEX certificates_status_index`, // 00010
				`ALTER TABLE events DROP COLUMN status_next`, `ALTER TABLE certificates DROP COLUMN status_index`,
				`DROP TABLE announcements`, `ALTER TABLE streams DROP COLUMN discovered`, // 00009
				`ALTER TABLE events DROP COLUMN announce_template`, `ALTER TABLE events DROP COLUMN announce`,
				`ALTER TABLE events DROP COLUMN discover_to`, `ALTER TABLE events DROP COLUMN discover_from`,
				`ALTER TABLE events DROP COLUMN discover_match`, `ALTER TABLE events DROP COLUMN discover_channel`,
				`ALTER TABLE events DROP COLUMN discover`,
				`DROP TABLE reach_fetches`, `DROP TABLE reach_analytics`, // 00008
				`DELETE FROM link_conflicts WHERE kind IN ('evidence_deleted', 'channel_banned')`,
				`DROP TABLE chat_moderation`, `ALTER TABLE chat_messages DROP COLUMN display_text`, `DROP TABLE chat_gaps`,
				`DELETE FROM goose_db_version WHERE version_id >= 7`,
			} {
				if _, err := s.DB().ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			s.Close()
			s, err = store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			f.s = s
			cs, err := s.Conflicts(ctx, f.ev.ID, false)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range cs {
				got = append(got, strings.TrimSuffix(c.Email, "@example.org")+" "+c.Kind)
			}
			slices.Sort(got)
			if want := []string{"anh evidence_deleted", "bo channel_banned"}; !reflect.DeepEqual(got, want) {
				t.Fatalf("flags after the upgrade %v, want %v", got, want)
			}
			if d := f.decisions(); d["anh"].Certificate != attendance.CertParticipation || !d["chai"].Evidence.Linked {
				t.Fatalf("evidence after the upgrade: %+v", d)
			}
		})
	}
}

// TestDeletePersonRemovesTheirModeration: a person's deletion takes the
// moderation that names their channel or messages with it, and leaves
// other people's.
func TestDeletePersonRemovesTheirModeration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, attendance.DefaultPolicy(), person("Anh Nguyen", "participant", ""), person("Bo Lee", "participant", ""))
		anhCode, boCode := f.msg(1, 1, f.code("anh")), f.msg(2, 1, f.code("bo"))
		f.page(anhCode, boCode)
		mod := func(id, typ, target string) attendance.ChatMessage {
			return attendance.ChatMessage{ID: id, Type: typ, AuthorChannelID: "UCmod", TargetID: target, PublishedAt: t0.Add(2 * time.Minute)}
		}
		f.page(mod("d1", attendance.MsgMessageDeleted, anhCode.ID), mod("b1", attendance.MsgUserBanned, ch(1)),
			mod("d2", attendance.MsgMessageDeleted, boCode.ID))
		if _, err := s.DeletePerson(ctx, f.ev.ID, "anh@example.org", "mai"); err != nil {
			t.Fatal(err)
		}
		var left []string
		if err := s.DB().SelectContext(ctx, &left, `SELECT message_id FROM chat_moderation ORDER BY message_id`); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(left, []string{"d2"}) {
			t.Fatalf("moderation left %v, want [d2]", left)
		}
	})
}
