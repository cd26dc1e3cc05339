package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

// TestOwnerMessagesAreNoEvidence: the channel's own messages
// (isChatOwner) and rollcall's announcements (by the message id YouTube
// returned, even when not marked isChatOwner) never link anyone nor hit a
// checkpoint; their words stay as display only. A person's own message
// still counts.
func TestOwnerMessagesAreNoEvidence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := attendance.DefaultPolicy()
		p.RequireForm = false
		f := newFixture(t, s, p, person("Anh Nguyen", "participant", ""), person("Bo Lee", "participant", ""))
		cp, err := s.AddCheckpoint(ctx, f.ev.ID, "lotus", t0, t0.Add(10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		// rollcall posted an announcement whose id YouTube gave as posted1
		if _, err := s.DB().ExecContext(ctx, s.DB().Rebind(`INSERT INTO announcements (event_id, checkpoint_id, stream_id, chat_id, text,
			state, message_id, created_at) VALUES (?, ?, ?, 'chat', 'type lotus', ?, 'posted1', 1)`),
			f.ev.ID, cp.ID, f.stream, attendance.AnnouncePosted); err != nil {
			t.Fatal(err)
		}
		owner := f.msg(1, 1, "lotus — my code "+f.code("anh"))
		owner.IsChatOwner = true
		posted := f.msg(2, 2, "Checkpoint: type the word lotus; code "+f.code("bo"))
		posted.ID = "posted1"
		f.page(owner, posted)
		d := f.decisions()
		for _, who := range []string{"anh", "bo"} {
			if d[who].Evidence.Linked || d[who].Evidence.CheckpointsHit != 0 {
				t.Errorf("%s: the owner's words counted: %+v", who, d[who].Evidence)
			}
		}
		var display string
		if err := s.DB().GetContext(ctx, &display, s.DB().Rebind(`SELECT display_text FROM chat_messages WHERE message_id = ? AND text = ''`), owner.ID); err != nil || display != owner.Text {
			t.Errorf("the owner's message is not kept as display only: %q %v", display, err)
		}
		f.page(f.msg(3, 3, "lotus "+f.code("bo")))
		if d := f.decisions(); !d["bo"].Evidence.Linked || d["bo"].Evidence.CheckpointsHit != 1 {
			t.Errorf("a person's own words did not count: %+v", d["bo"].Evidence)
		}
	})
}
