package dashboard

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
)

// TestLivePageChatNotices: a gap in the chat and members-only mode during
// a checkpoint are shown on the live page (to viewers and admins: they
// name no person) and in its JSON; without them the page is as before
// (the live-*.html goldens).
func TestLivePageChatNotices(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	streams, _ := h.st.Streams(ctx, h.ev.ID)
	start := h.clock.Now().Add(-30 * time.Minute)
	if _, err := h.st.AddCheckpoint(ctx, h.ev.ID, "durian", start.Add(10*time.Minute), start.Add(20*time.Minute)); err != nil {
		t.Fatal(err)
	}
	pages := []attendance.ChatPage{
		{Messages: []attendance.ChatMessage{{ID: "m1", Type: attendance.MsgText, AuthorChannelID: "UCa", Text: "hi", PublishedAt: start}}},
		{GapReason: attendance.GapTokenInvalid, Messages: []attendance.ChatMessage{
			{ID: "m2", Type: attendance.MsgText, AuthorChannelID: "UCa", Text: "hi", PublishedAt: start.Add(5 * time.Minute)},
			{ID: "s1", Type: attendance.MsgMembersOnlyStarted, PublishedAt: start.Add(12 * time.Minute)},
		}},
	}
	for _, pg := range pages {
		pg.StreamID = streams[0].ID
		if err := h.st.CommitChatPage(ctx, pg); err != nil {
			t.Fatal(err)
		}
	}
	viewer := h.signIn(viewerEmail)
	_, body := h.get(viewer, "/events/dialogue")
	i, j := strings.Index(body, `<section class="card warn" id="chat-notices">`), strings.Index(body, `<section class="tiles">`)
	if i < 0 || j < i {
		t.Fatalf("no chat notices on the live page:\n%s", body)
	}
	golden(t, "live-notices.html", body[i:j])
	_, js := h.get(viewer, "/events/dialogue/live.json")
	var sn struct {
		Gaps        []GapFigures         `json:"gaps"`
		MembersOnly []MembersOnlyFigures `json:"members_only"`
	}
	if err := json.Unmarshal([]byte(js), &sn); err != nil {
		t.Fatal(err)
	}
	if len(sn.Gaps) != 1 || !sn.Gaps[0].From.Equal(start) || sn.Gaps[0].Reason != attendance.GapTokenInvalid ||
		len(sn.MembersOnly) != 1 || sn.MembersOnly[0].Checkpoint != 1 || !sn.MembersOnly[0].To.IsZero() {
		t.Fatalf("live.json notices %+v", sn)
	}
}

// TestLivePageShowsFailedAnnouncements: a checkpoint announcement rollcall
// could not post (owner mode) is shown on the live page and in its JSON,
// with YouTube's answer and never the text (it holds the word).
func TestLivePageShowsFailedAnnouncements(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	now := h.clock.Now()
	streams, _ := h.st.Streams(ctx, h.ev.ID)
	if err := h.st.RecordStreamSample(ctx, streams[0].ID, attendance.StreamSample{At: now, State: attendance.StreamLive, ChatID: "chat1"}); err != nil {
		t.Fatal(err)
	}
	ev := h.ev
	ev.Announce = true
	if err := h.st.SetOwnerMode(ctx, ev, "tester"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.AddCheckpoint(ctx, h.ev.ID, "durian", now.Add(-time.Minute), now.Add(9*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.QueueAnnouncements(ctx, now); err != nil {
		t.Fatal(err)
	}
	a, ok, err := h.st.ClaimAnnouncement(ctx, now, time.Minute)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if err := h.st.FinishAnnouncement(ctx, a, attendance.AnnounceFailed, "youtube: liveChatMessages.insert: 403 forbidden", ""); err != nil {
		t.Fatal(err)
	}
	_, body := h.get(h.signIn(viewerEmail), "/events/dialogue")
	want := "The announcement of checkpoint 1 in the chat of " + streams[0].VideoID + " failed (youtube: liveChatMessages.insert: 403 forbidden)"
	if !strings.Contains(body, want) || strings.Contains(body, "durian") {
		t.Errorf("live page lacks the failed announcement (or shows the word to a viewer):\n%s", body)
	}
	_, js := h.get(h.signIn(viewerEmail), "/events/dialogue/live.json")
	var sn struct {
		Failed []AnnouncementFigures `json:"failed_announcements"`
	}
	if err := json.Unmarshal([]byte(js), &sn); err != nil || len(sn.Failed) != 1 || sn.Failed[0].Checkpoint != 1 {
		t.Errorf("live.json failed announcements %+v %v", sn, err)
	}
}
