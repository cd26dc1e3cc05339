package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

// TestEventShowGapsAndMembersOnly: `event show` lists the chat's gaps and
// the checkpoints during which chat was members-only, in text and in
// --json (next to every key it had before).
func TestEventShowGapsAndMembersOnly(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			c := newCLI(t, dsn)
			c.ok("event", "create", "pd-2026", "--title", "Policy Dialogue", "--video", "dQw4w9WgXcQ")
			at := func(m int) time.Time { return time.Date(2026, 11, 20, 2, m, 0, 0, time.UTC) }
			c.ok("checkpoint", "add", "--event", "pd-2026", "--word", "lotus", "--opens-at", at(20).Format(time.RFC3339), "--closes-at", at(25).Format(time.RFC3339))
			ctx := context.Background()
			st, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			ev, _ := st.Event(ctx, "pd-2026")
			streams, _ := st.Streams(ctx, ev.ID)
			for i, pg := range []attendance.ChatPage{
				{Messages: []attendance.ChatMessage{{ID: "m1", Type: attendance.MsgText, AuthorChannelID: "UCa", Text: "hi", PublishedAt: at(1)}}},
				{GapReason: attendance.GapTokenInvalid, Messages: []attendance.ChatMessage{
					{ID: "m2", Type: attendance.MsgText, AuthorChannelID: "UCa", Text: "hi", PublishedAt: at(15)},
					{ID: "s1", Type: attendance.MsgMembersOnlyStarted, PublishedAt: at(16)},
					{ID: "e1", Type: attendance.MsgMembersOnlyEnded, PublishedAt: at(22)},
				}},
			} {
				pg.StreamID, pg.NextPageToken = streams[0].ID, string(rune('a'+i))
				if err := st.CommitChatPage(ctx, pg); err != nil {
					t.Fatal(err)
				}
			}
			st.Close()

			text := c.ok("event", "show", "pd-2026")
			for _, want := range []string{
				"chat gaps (import a replay file to recover them):\n  dQw4w9WgXcQ  2026-11-20T02:01:00Z → 2026-11-20T02:15:00Z  page_token_invalid\n",
				"members-only chat during checkpoints (non-members could not answer):\n  checkpoint 1  dQw4w9WgXcQ  2026-11-20T02:16:00Z → 2026-11-20T02:22:00Z\n",
			} {
				if !strings.Contains(text, want) {
					t.Errorf("event show lacks %q:\n%s", want, text)
				}
			}
			var sum map[string]any
			if err := json.Unmarshal([]byte(c.ok("event", "show", "pd-2026", "--json")), &sum); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"slug", "streams", "registrations", "linked", "checkpoints", "gaps", "members_only"} {
				if _, ok := sum[k]; !ok {
					t.Errorf("--json lacks %q", k)
				}
			}
			gaps, _ := json.Marshal(sum["gaps"])
			if string(gaps) != `[{"from":"2026-11-20T02:01:00Z","reason":"page_token_invalid","to":"2026-11-20T02:15:00Z","video_id":"dQw4w9WgXcQ"}]` {
				t.Errorf("gaps %s", gaps)
			}
			mo, _ := json.Marshal(sum["members_only"])
			if string(mo) != `[{"checkpoint":1,"from":"2026-11-20T02:16:00Z","to":"2026-11-20T02:22:00Z","video_id":"dQw4w9WgXcQ"}]` {
				t.Errorf("members_only %s", mo)
			}
		})
	}
}
