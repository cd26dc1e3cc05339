package dashboard

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
)

var csrfValue = regexp.MustCompile(`name="csrf" value="[^"]+"`)

// TestPagesGolden keeps the shape of the server-rendered pages: the reach
// report and the live page, as a viewer and as an admin.
func TestPagesGolden(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	// The event is in Bangkok: the pages show its times in ICT.
	if _, err := h.st.DB().Exec(`UPDATE events SET time_zone = 'Asia/Bangkok'`); err != nil {
		t.Fatal(err)
	}
	streams, _ := h.st.Streams(ctx, h.ev.ID)
	start := h.clock.Now().Add(-10 * time.Minute)
	for i := int64(0); i <= 10; i++ {
		v, views, likes := 500+i*40, 900+i*100, 10+i
		h.st.RecordStreamSample(ctx, streams[0].ID, attendance.StreamSample{At: start.Add(time.Duration(i) * time.Minute), State: attendance.StreamLive,
			ConcurrentViewers: &v, Views: &views, Likes: &likes})
	}
	var msgs []attendance.ChatMessage
	for i := 0; i < 30; i++ {
		msgs = append(msgs, attendance.ChatMessage{ID: string(rune('a'+i%26)) + string(rune('a'+i/26)), Type: attendance.MsgText,
			AuthorChannelID: "UC" + string(rune('a'+i%5)), AuthorName: xss, Text: xss, PublishedAt: start.Add(time.Duration(i) * 20 * time.Second)})
	}
	if err := h.st.CommitChatPage(ctx, attendance.ChatPage{StreamID: streams[0].ID, Messages: msgs}); err != nil {
		t.Fatal(err)
	}
	h.seedPeople("Nguyễn Thị Lan", xss, "Somchai Jaidee")
	if _, err := h.st.AddCheckpoint(ctx, h.ev.ID, "durian", start, start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	seedHits(t, h.st, h.ev.ID, 1, 2)
	viewer, admin := h.signIn(viewerEmail), h.signIn(adminEmail)
	for _, tc := range []struct {
		name, path string
		admin      bool
	}{
		{"report-viewer.html", "/events/dialogue/report", false},
		{"live-viewer.html", "/events/dialogue", false},
		{"live-admin.html", "/events/dialogue", true},
	} {
		c := viewer
		if tc.admin {
			c = admin
		}
		_, body := h.get(c, tc.path)
		golden(t, tc.name, csrfValue.ReplaceAllString(body, `name="csrf" value="CSRF"`))
	}
}
