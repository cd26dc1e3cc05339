package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
	"github.com/seameo/rollcall/collector/fakeyoutube"
)

// ownerFake is the fake YouTube on loopback with the owner's token and a
// client over it.
func ownerFake(t *testing.T, clock fakeyoutube.Clock) (*fakeyoutube.Server, *httptest.Server, *YouTube) {
	t.Helper()
	fake := fakeyoutube.New(clock, fakeyoutube.Options{AccessToken: ownerToken, OwnerChannelID: "UCowner"})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	yt, err := NewYouTube(context.Background(), YouTubeConfig{Endpoint: srv.URL,
		TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: ownerToken})})
	if err != nil {
		t.Fatal(err)
	}
	return fake, srv, yt
}

// TestFakeBroadcastFilters checks the fake's liveBroadcasts.list against
// the reference: exactly one filter, the status filters, broadcastType,
// maxResults and its bounds, the token's own broadcasts only.
func TestFakeBroadcastFilters(t *testing.T) {
	clock := fakeyoutube.NewManualClock(t0)
	fake, srv, _ := ownerFake(t, clock)
	add := func(id, channel string, start, end time.Duration) {
		fake.AddVideo(fakeyoutube.Video{ID: id, Title: id, ChannelID: channel, ScheduledStart: t0.Add(start),
			ActualStart: t0.Add(start), ActualEnd: t0.Add(end)})
	}
	add("upcoming01", "UCowner", time.Hour, 2*time.Hour)
	add("live000001", "UCowner", -time.Hour, time.Hour)
	add("ended00001", "UCowner", -3*time.Hour, -2*time.Hour)
	add("foreign001", "UCother", -time.Hour, time.Hour)
	get := func(q string) (int, []string, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/youtube/v3/liveBroadcasts?part=snippet&"+q, nil)
		req.Header.Set("Authorization", "Bearer "+ownerToken)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Items         []struct{ Id string }
			NextPageToken string
			Error         struct{ Errors []struct{ Reason string } }
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, it := range body.Items {
			ids = append(ids, it.Id)
		}
		reason := ""
		if len(body.Error.Errors) > 0 {
			reason = body.Error.Errors[0].Reason
		}
		if reason == "" {
			reason = body.NextPageToken
		}
		return resp.StatusCode, ids, reason
	}
	tests := []struct {
		name   string
		query  string
		status int
		ids    []string
		reason string
	}{
		{"mine lists every own broadcast", "mine=true&maxResults=50", 200, []string{"ended00001", "live000001", "upcoming01"}, ""},
		{"active", "broadcastStatus=active", 200, []string{"live000001"}, ""},
		{"upcoming", "broadcastStatus=upcoming", 200, []string{"upcoming01"}, ""},
		{"completed", "broadcastStatus=completed", 200, []string{"ended00001"}, ""},
		{"all", "broadcastStatus=all&maxResults=50", 200, []string{"ended00001", "live000001", "upcoming01"}, ""},
		{"broadcastType all is event", "broadcastStatus=active&broadcastType=all", 200, []string{"live000001"}, ""},
		{"broadcastType persistent is empty", "broadcastStatus=active&broadcastType=persistent", 200, nil, ""},
		{"id of another channel", "id=foreign001", 200, []string{"foreign001"}, ""},
		{"two filters", "mine=true&broadcastStatus=active", 400, nil, "incompatibleParameters"},
		{"no filter", "maxResults=5", 400, nil, "incompatibleParameters"},
		{"maxResults above 50", "mine=true&maxResults=51", 400, nil, "invalidValue"},
		{"bad status", "broadcastStatus=live", 400, nil, "invalidValue"},
		{"bad page token", "mine=true&pageToken=zzz", 400, nil, "invalidPageToken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, ids, reason := get(tt.query)
			if status != tt.status || !slices.Equal(ids, tt.ids) || (tt.status != 200 && reason != tt.reason) {
				t.Errorf("%s: %d %v %q, want %d %v %q", tt.query, status, ids, reason, tt.status, tt.ids, tt.reason)
			}
		})
	}
	fake.LeakBroadcast("foreign001")
	if _, ids, _ := get("broadcastStatus=active"); !slices.Contains(ids, "foreign001") {
		t.Errorf("a leaked broadcast is not listed: %v", ids)
	}
	if n := fake.Calls(fakeyoutube.MethodBroadcastsList); n != len(tests)+1 {
		t.Errorf("calls = %d, want %d", n, len(tests)+1)
	}
	if used := fake.QuotaUsed(); used != int64(5*(len(tests)+1)) {
		t.Errorf("units = %d, want 5 a call, failed ones too", used)
	}
}

// TestBroadcastPagingThroughTheClient lists 120 broadcasts through the
// real client: pages of 50 followed by nextPageToken, each page charged.
func TestBroadcastPagingThroughTheClient(t *testing.T) {
	clock := fakeyoutube.NewManualClock(t0)
	fake, _, yt := ownerFake(t, clock)
	for i := range 120 {
		fake.AddVideo(fakeyoutube.Video{ID: fmt.Sprintf("up%09d", i), Title: "Policy Dialogue", ChannelID: "UCowner",
			ScheduledStart: t0.Add(time.Duration(i+1) * time.Minute)})
	}
	st := newMemStore(clock)
	q, _ := NewQuota(st, "owner", 10000, 1000, clock, nil)
	d := NewDiscoverer(yt, nil, q, clock, nil)
	got, err := d.list(context.Background(), []string{BroadcastsUpcoming, BroadcastsActive})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 120 {
		t.Errorf("listed %d broadcasts, want 120", len(got))
	}
	// upcoming: 3 pages; active: 1 empty page; channels.list once.
	if n := fake.Calls(fakeyoutube.MethodBroadcastsList); n != 4 {
		t.Errorf("liveBroadcasts.list calls = %d, want 4", n)
	}
	if used, fakeUsed := q.Status().Used, fake.QuotaUsed(); used != fakeUsed || used != 4*5+1 {
		t.Errorf("ledger %d units, fake %d, want %d", used, fakeUsed, 4*5+1)
	}
}

func TestDiscoveryCadence(t *testing.T) {
	from, to := t0, t0.Add(24*time.Hour)
	d := attendance.Discovery{On: true, From: from, To: to}
	at := func(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }
	live := attendance.Stream{State: attendance.StreamLive}
	soon := attendance.Stream{State: attendance.StreamUpcoming, ScheduledStart: at(5)}
	ended := attendance.Stream{State: attendance.StreamEnded, ActualEnd: at(5)}
	dropped := attendance.Stream{State: attendance.StreamEnded}
	tests := []struct {
		name             string
		now              time.Time
		streams          []attendance.Stream
		active, upcoming time.Duration
		ok               bool
	}{
		{"before the window", at(-3), nil, time.Hour, time.Hour, true},
		{"in the window, nothing on", at(1), nil, 10 * time.Minute, 10 * time.Minute, true},
		{"a stream live", at(1), []attendance.Stream{live}, time.Minute, 10 * time.Minute, true},
		{"a stream due within 15 minutes", at(5).Add(-10 * time.Minute), []attendance.Stream{soon}, time.Minute, 10 * time.Minute, true},
		{"a stream due in an hour", at(4), []attendance.Stream{soon}, 10 * time.Minute, 10 * time.Minute, true},
		{"a stream late", at(6), []attendance.Stream{soon}, time.Minute, 10 * time.Minute, true},
		{"a stream ended 10 minutes ago: a restart may come", at(5).Add(10 * time.Minute), []attendance.Stream{ended}, time.Minute, 10 * time.Minute, true},
		{"a stream ended an hour ago", at(6), []attendance.Stream{ended}, 10 * time.Minute, 10 * time.Minute, true},
		{"a stream dropped by staff", at(6), []attendance.Stream{dropped}, 10 * time.Minute, 10 * time.Minute, true},
		{"after the window", at(25), []attendance.Stream{ended}, 0, 0, false},
		{"after the window, still live", at(25), []attendance.Stream{live}, time.Minute, 10 * time.Minute, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, u, ok := DiscoveryCadence(tt.now, d, tt.streams)
			if a != tt.active || u != tt.upcoming || ok != tt.ok {
				t.Errorf("cadence = %v, %v, %t; want %v, %v, %t", a, u, ok, tt.active, tt.upcoming, tt.ok)
			}
		})
	}
}

// announceEnv is a real store (SQLite) with an event announcing its
// checkpoints, one live stream, and the fake YouTube, in a bubble.
type announceEnv struct {
	fake   *fakeyoutube.Server
	store  *store.Store
	a      *Announcer
	event  attendance.Event
	chatID string
}

func newAnnounceEnv(t *testing.T) *announceEnv {
	t.Helper()
	ctx := context.Background()
	env := newOwnerEnv(t, storetest.Engine{Name: "sqlite", DSN: storetest.SQLiteDSN})
	env.fake.AddVideo(fakeyoutube.Video{ID: "annVideo001", Title: "Live", ChannelID: "UCowner",
		ScheduledStart: time.Now(), ActualStart: time.Now(), ActualEnd: time.Now().Add(3 * time.Hour)})
	ev, err := env.store.CreateEvent(ctx, attendance.Event{Slug: "ann", Title: "Ann", Policy: attendance.DefaultPolicy(),
		Announce: true, VideoIDs: []string{"annVideo001"}})
	if err != nil {
		t.Fatal(err)
	}
	streams, err := env.store.Streams(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	chat := fakeyoutube.ChatIDOf("annVideo001")
	if err := env.store.RecordStreamSample(ctx, streams[0].ID, attendance.StreamSample{At: time.Now(), State: attendance.StreamLive, ChatID: chat}); err != nil {
		t.Fatal(err)
	}
	q, err := NewQuota(env.store, "ann", 10000, 1000, SystemClock{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &announceEnv{fake: env.fake, store: env.store, a: NewAnnouncer(env.yt, env.store, q, SystemClock{}, testLogger(t)), event: ev, chatID: chat}
}

func (e *announceEnv) checkpoint(t *testing.T, word string, minutes int) {
	t.Helper()
	if _, err := e.store.AddCheckpoint(context.Background(), e.event.ID, word, time.Now(), time.Now().Add(time.Duration(minutes)*time.Minute)); err != nil {
		t.Fatal(err)
	}
}

func (e *announceEnv) announcements(t *testing.T) []attendance.Announcement {
	t.Helper()
	anns, err := e.store.Announcements(context.Background(), e.event.ID)
	if err != nil {
		t.Fatal(err)
	}
	return anns
}

// TestAnnounceOnePostAMinutePerChat opens two checkpoints at once: the
// second is posted a minute after the first, not before.
func TestAnnounceOnePostAMinutePerChat(t *testing.T) {
	inBubble(t, t0, func(t *testing.T) {
		e := newAnnounceEnv(t)
		e.checkpoint(t, "lotus", 10)
		e.checkpoint(t, "mango", 10)
		e.a.Step(context.Background())
		if n := len(e.fake.Posts()); n != 1 {
			t.Fatalf("posts after the first step = %d, want 1", n)
		}
		for range 5 {
			time.Sleep(10 * time.Second)
			e.a.Step(context.Background())
		}
		if n := len(e.fake.Posts()); n != 1 {
			t.Fatalf("posts within the minute = %d, want 1", n)
		}
		time.Sleep(10 * time.Second)
		e.a.Step(context.Background())
		posts := e.fake.Posts()
		if len(posts) != 2 || posts[1].At.Sub(posts[0].At) < time.Minute {
			t.Fatalf("posts = %+v, want two a minute apart", posts)
		}
		if !strings.Contains(posts[0].Text, "lotus") || !strings.Contains(posts[1].Text, "mango") {
			t.Errorf("texts = %q, %q", posts[0].Text, posts[1].Text)
		}
		for _, a := range e.announcements(t) {
			if a.State != attendance.AnnouncePosted {
				t.Errorf("%s: %s", a, a.State)
			}
		}
	})
}

// TestAnnounceNoRetryOn4xx: a 4xx answer fails the announcement at once,
// kept with YouTube's answer, and it is never sent again.
func TestAnnounceNoRetryOn4xx(t *testing.T) {
	inBubble(t, t0, func(t *testing.T) {
		e := newAnnounceEnv(t)
		e.fake.Inject(fakeyoutube.Fault{Method: fakeyoutube.MethodChatInsert, Status: 403, Reason: "forbidden", Message: "The caller may not post"})
		e.checkpoint(t, "lotus", 10)
		for range 10 {
			e.a.Step(context.Background())
			time.Sleep(time.Minute)
		}
		if n := e.fake.Calls(fakeyoutube.MethodChatInsert); n != 1 {
			t.Errorf("insert calls = %d, want 1", n)
		}
		anns := e.announcements(t)
		if len(anns) != 1 || anns[0].State != attendance.AnnounceFailed || anns[0].Attempts != 1 || !strings.Contains(anns[0].Reply, "forbidden") {
			t.Errorf("announcements = %+v", anns)
		}
	})
}

// TestAnnounceRetriesOnceOnTransient: a 5xx is sent once more a minute
// later; a second 5xx fails it for good.
func TestAnnounceRetriesOnceOnTransient(t *testing.T) {
	for _, tt := range []struct {
		name   string
		faults int
		state  string
		posts  int
	}{
		{"one 503 then posted", 1, attendance.AnnouncePosted, 1},
		{"two 503s then failed", 2, attendance.AnnounceFailed, 0},
		{"429 then posted", -1, attendance.AnnouncePosted, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			inBubble(t, t0, func(t *testing.T) {
				e := newAnnounceEnv(t)
				if tt.faults < 0 {
					e.fake.Inject(fakeyoutube.Fault{Method: fakeyoutube.MethodChatInsert, Status: 429, Reason: "tooManyRequests"})
				}
				for range max(tt.faults, 0) {
					e.fake.Inject(fakeyoutube.Fault{Method: fakeyoutube.MethodChatInsert, Status: 503, Reason: "backendError"})
				}
				e.checkpoint(t, "lotus", 10)
				e.a.Step(context.Background())
				time.Sleep(30 * time.Second)
				e.a.Step(context.Background())
				if n := e.fake.Calls(fakeyoutube.MethodChatInsert); n != 1 {
					t.Errorf("insert calls within the minute = %d, want 1", n)
				}
				for range 10 {
					time.Sleep(30 * time.Second)
					e.a.Step(context.Background())
				}
				anns := e.announcements(t)
				if n := e.fake.Calls(fakeyoutube.MethodChatInsert); n != 2 || len(anns) != 1 || anns[0].State != tt.state || anns[0].Attempts != 2 {
					t.Errorf("insert calls = %d, announcements = %+v", n, anns)
				}
				if n := len(e.fake.Posts()); n != tt.posts {
					t.Errorf("posts = %d, want %d", n, tt.posts)
				}
			})
		})
	}
}

// TestAnnounceWithoutOAuthFailsVisibly: serve with an API key fails each
// announcement with the reason, calls nothing, and tries no more.
func TestAnnounceWithoutOAuthFailsVisibly(t *testing.T) {
	inBubble(t, t0, func(t *testing.T) {
		e := newAnnounceEnv(t)
		e.a.src = nil
		e.checkpoint(t, "lotus", 10)
		for range 3 {
			e.a.Step(context.Background())
			time.Sleep(time.Minute)
		}
		anns := e.announcements(t)
		if len(anns) != 1 || anns[0].State != attendance.AnnounceFailed || !strings.Contains(anns[0].Reply, "oauth") {
			t.Errorf("announcements = %+v", anns)
		}
		if n := e.fake.Calls(fakeyoutube.MethodChatInsert); n != 0 {
			t.Errorf("insert calls = %d", n)
		}
	})
}

// TestAnnounceAfterACrashMidPost: a row a crash left posting is sent once
// more a minute later at the soonest, and failed when that try was its
// second.
func TestAnnounceAfterACrashMidPost(t *testing.T) {
	inBubble(t, t0, func(t *testing.T) {
		e := newAnnounceEnv(t)
		ctx := context.Background()
		e.checkpoint(t, "lotus", 10)
		if _, err := e.store.QueueAnnouncements(ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
		// a collector claims it and dies before posting
		if _, ok, err := e.store.ClaimAnnouncement(ctx, time.Now(), AnnounceSpacing); err != nil || !ok {
			t.Fatal(ok, err)
		}
		e.a.Step(ctx)
		if n := e.fake.Calls(fakeyoutube.MethodChatInsert); n != 0 {
			t.Fatalf("posted within the minute of the crash")
		}
		time.Sleep(AnnounceSpacing)
		e.a.Step(ctx)
		anns := e.announcements(t)
		if n := e.fake.Calls(fakeyoutube.MethodChatInsert); n != 1 || anns[0].State != attendance.AnnouncePosted || anns[0].Attempts != 2 {
			t.Errorf("insert calls = %d, announcements = %+v", n, anns)
		}
	})
}

// TestDiscoverRefusedWithoutOAuth: serve with an API key lists nothing for
// a discovering event and says why, once, naming no person.
func TestDiscoverRefusedWithoutOAuth(t *testing.T) {
	inBubble(t, t0, func(t *testing.T) {
		env := newOwnerEnv(t, storetest.Engine{Name: "sqlite", DSN: storetest.SQLiteDSN})
		from, to := attendance.DayWindow(t0, time.UTC)
		if _, err := env.store.CreateEvent(context.Background(), attendance.Event{Slug: "disc", Title: "Disc", Policy: attendance.DefaultPolicy(),
			Discovery: attendance.Discovery{On: true, From: from, To: to}}); err != nil {
			t.Fatal(err)
		}
		var buf strings.Builder
		q, _ := NewQuota(env.store, "key", 10000, 1000, SystemClock{}, nil)
		d := NewDiscoverer(nil, env.store, q, SystemClock{}, slog.New(slog.NewTextHandler(&lockedWriter{w: &buf}, nil)))
		for range 3 {
			time.Sleep(d.Step(context.Background()).Sub(time.Now()))
		}
		if n := strings.Count(buf.String(), "broadcast discovery needs the channel owner's oauth token"); n != 1 {
			t.Errorf("refusal logged %d times:\n%s", n, buf.String())
		}
		if n := env.fake.Calls(fakeyoutube.MethodBroadcastsList); n != 0 {
			t.Errorf("liveBroadcasts.list calls = %d", n)
		}
	})
}
