package collector

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
	"github.com/seameo/rollcall/collector/fakeyoutube"
)

// TestDiscoverByHandleWithAKey: an event discovered by handle, with an API
// key only, finds the channel's public broadcast in its window through the
// uploads playlist (2 units a reading, and 1 once to find the handle's
// channel; charged alike in the fake and in the ledger); an unlisted broadcast, one outside the window, an ordinary
// upload and another channel's broadcast are not added; a restart under a
// new video id is followed within two minutes; an unknown handle is said
// once and adds nothing.
func TestDiscoverByHandleWithAKey(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC) // 08:00 in Bangkok
	inBubble(t, t0, func(t *testing.T) {
		ctx := context.Background()
		fake := fakeyoutube.New(SystemClock{}, fakeyoutube.Options{APIKey: "the-key"})
		fake.SetHandle("@seameo", "UCseameo")
		at := func(d time.Duration) time.Time { return t0.Add(d) }
		fake.AddVideo(fakeyoutube.Video{ID: "pubVideoA01", Title: "Policy Dialogue", ChannelID: "UCseameo", ScheduledStart: at(time.Hour),
			ActualStart: at(time.Hour), ActualEnd: at(90 * time.Minute)})
		fake.AddVideo(fakeyoutube.Video{ID: "pubVideoU01", Title: "Policy Dialogue (staff)", ChannelID: "UCseameo", Unlisted: true,
			ScheduledStart: at(2 * time.Hour)})
		fake.AddVideo(fakeyoutube.Video{ID: "pubVideoT01", Title: "Policy Dialogue", ChannelID: "UCseameo", ScheduledStart: at(30 * time.Hour)})
		fake.AddVideo(fakeyoutube.Video{ID: "pubVideoO01", Title: "An old upload", ChannelID: "UCseameo", ScheduledStart: at(-48 * time.Hour),
			ActualStart: at(-48 * time.Hour), ActualEnd: at(-47 * time.Hour)})
		fake.AddVideo(fakeyoutube.Video{ID: "othVideoX01", Title: "Policy Dialogue", ChannelID: "UCother", ScheduledStart: at(time.Hour)})
		m, err := NewMetrics(prometheus.NewRegistry())
		if err != nil {
			t.Fatal(err)
		}
		yt, err := NewYouTube(ctx, YouTubeConfig{Endpoint: "http://youtube.test", Transport: servePipe(t, fake), APIKey: "the-key", Metrics: m})
		if err != nil {
			t.Fatal(err)
		}
		st, err := store.Open(ctx, storetest.SQLiteDSN(t), store.WithMaxConns(1))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		from, to := attendance.DayWindow(t0, attendance.Event{TimeZone: "Asia/Bangkok"}.Location())
		ev, err := st.CreateEvent(ctx, attendance.Event{Slug: "pub", Title: "Pub", TimeZone: "Asia/Bangkok", Policy: attendance.DefaultPolicy(),
			Discovery: attendance.Discovery{On: true, ChannelID: "@seameo", From: from, To: to}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateEvent(ctx, attendance.Event{Slug: "nobody", Title: "Nobody", Policy: attendance.DefaultPolicy(),
			Discovery: attendance.Discovery{On: true, ChannelID: "@nobody-here", From: from, To: to}}); err != nil {
			t.Fatal(err)
		}
		var logs strings.Builder
		q, _ := NewQuota(st, "key", 10000, 1000, SystemClock{}, nil)
		d := NewDiscoverer(nil, st, q, SystemClock{}, slog.New(slog.NewTextHandler(&lockedWriter{w: &logs}, nil)))
		d.UsePublic(yt)
		videos := func() []string {
			ss, _ := st.Streams(ctx, ev.ID)
			var ids []string
			for _, s := range ss {
				ids = append(ids, s.VideoID)
			}
			return ids
		}
		time.Sleep(d.Step(ctx).Sub(time.Now()))
		if got := videos(); len(got) != 1 || got[0] != "pubVideoA01" {
			t.Fatalf("discovered %v, want the public broadcast in the window only", got)
		}
		if !d.Pending(time.Now()) {
			t.Error("the window is open, but discovery is not pending")
		}
		// The broadcast restarts under a new video id while the first is
		// live: found within two minutes.
		fake.AddVideo(fakeyoutube.Video{ID: "pubVideoA02", Title: "Policy Dialogue", ChannelID: "UCseameo", ScheduledStart: at(time.Hour),
			ActualStart: time.Now().Add(time.Minute)})
		for time.Since(at(0)) < 3*time.Hour {
			if err := st.RecordStreamSample(ctx, mustStream(t, st, ev.ID, "pubVideoA01"), attendance.StreamSample{At: time.Now(),
				State: attendance.StreamLive, ScheduledStart: at(time.Hour), ActualStart: at(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			next := d.Step(ctx)
			if got := videos(); len(got) == 2 {
				break
			}
			time.Sleep(next.Sub(time.Now()))
		}
		if got := videos(); len(got) != 2 || got[1] != "pubVideoA02" {
			t.Fatalf("after the restart %v", got)
		}
		if n := strings.Count(logs.String(), "no YouTube channel has the event's handle"); n != 1 {
			t.Errorf("unknown handle said %d times:\n%s", n, logs.String())
		}
		// Each handle is looked up once in these two minutes: the found
		// one is kept, the unknown one is asked again only at its next
		// reading (10 minutes on).
		if n := fake.Calls(fakeyoutube.MethodChannelsList); n != 2 {
			t.Errorf("channels.list called %d times, want 2 (each handle once)", n)
		}
		if n := fake.Calls(fakeyoutube.MethodBroadcastsList); n != 0 {
			t.Errorf("liveBroadcasts.list called %d times with a key", n)
		}
		used, _ := st.QuotaUsed(ctx, "key", QuotaDay(time.Now(), pacific(t)))
		if charged := fake.QuotaUsed(); used != charged || charged == 0 {
			t.Errorf("ledger %d, fake %d", used, charged)
		}
		t.Logf("discovery by handle: %d units over %s (%d channels.list, %d playlistItems.list, %d videos.list)", fake.QuotaUsed(),
			time.Since(at(0)).Round(time.Minute), fake.Calls(fakeyoutube.MethodChannelsList), fake.Calls(fakeyoutube.MethodPlaylistItems),
			fake.Calls(fakeyoutube.MethodVideosList))
	})
}

func mustStream(t *testing.T, st *store.Store, eventID int64, video string) int64 {
	t.Helper()
	ss, err := st.Streams(context.Background(), eventID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		if s.VideoID == video {
			return s.ID
		}
	}
	t.Fatalf("no stream %s", video)
	return 0
}

func pacific(t *testing.T) *time.Location {
	loc, err := LoadPacific()
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
