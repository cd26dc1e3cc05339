package collector

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/collector/fakeyoutube"
)

// TestDemoWiring wires the fake YouTube, the adapter over the real client
// and the collector as rollcall demo does, plays the demo's two-hour event
// to its end, and checks that serve --until-ended would stop with the
// attendee's code stored. It runs in a bubble: the fake is served over an
// in-memory network, and the two hours are the bubble's, not the wall's.
func TestDemoWiring(t *testing.T) {
	inBubble(t, t0, func(t *testing.T) {
		ctx := context.Background()
		fake := fakeyoutube.New(SystemClock{}, fakeyoutube.Options{})
		if _, err := fake.AddEvent(fakeyoutube.EventScript{
			VideoID: "demoVideo01", Start: t0.Add(2 * time.Minute), Length: 2 * time.Hour, Seed: 1,
			Attendees: []fakeyoutube.Attendee{{ChannelID: "UCdemo000000000000000001", Name: "สมชาย ใจดี", Code: "K7QM-4X2P"}},
		}); err != nil {
			t.Fatal(err)
		}
		metrics, err := NewMetrics(prometheus.NewRegistry())
		if err != nil {
			t.Fatal(err)
		}
		yt, err := NewYouTube(ctx, YouTubeConfig{
			APIKey:    "demo", // the fake accepts any key when Options.APIKey is empty
			Endpoint:  "http://youtube.test/",
			Transport: servePipe(t, fake),
			Metrics:   metrics,
		})
		if err != nil {
			t.Fatal(err)
		}
		store := newMemStore(SystemClock{}, attendance.Stream{ID: 1, EventSlug: "demo", VideoID: "demoVideo01", State: attendance.StreamUpcoming})
		var coded []string
		store.commitHook = func(page attendance.ChatPage) error {
			for _, m := range page.Messages {
				if m.AuthorChannelID == "UCdemo000000000000000001" {
					coded = append(coded, m.Text)
				}
			}
			return nil
		}
		c, err := New(Config{QuotaProject: "demo", QuotaDaily: 10000, EventDuration: 2 * time.Hour}, yt, store, metrics, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		stop := runCollector(t, c)
		select {
		case <-c.Done(): // serve --until-ended: every stream ended and drained
		case <-time.After(4 * time.Hour):
			t.Fatalf("not done within 4h: %+v", c.Health())
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if st := store.stream(1); st.State != attendance.StreamEnded || st.ChatState != attendance.ChatDrained {
			t.Errorf("stream = %s/%s, want ended/drained", st.State, st.ChatState)
		}
		if got, all := len(store.commits), len(fake.Messages("demoVideo01")); got != all {
			t.Errorf("committed %d of %d scripted messages", got, all)
		}
		found := false
		for _, text := range coded {
			found = found || len(attendance.ExtractCodes(text)) > 0
		}
		if !found {
			t.Errorf("the attendee's code was not stored; their messages: %q", coded)
		}
	})
}
