package collector

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/oauth2"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
	"github.com/seameo/rollcall/collector/fakeyoutube"
)

// ownerEnv is owner mode end to end in a synctest bubble: the fake YouTube
// over an in-memory network, the real client with the owner's token, a
// real store, and the collector.
type ownerEnv struct {
	fake  *fakeyoutube.Server
	yt    *YouTube
	store *store.Store
}

const ownerToken = "ya29.owner-e2e"

func newOwnerEnv(t *testing.T, e storetest.Engine) *ownerEnv {
	t.Helper()
	fake := fakeyoutube.New(SystemClock{}, fakeyoutube.Options{AccessToken: ownerToken, OwnerChannelID: "UCowner", PollingMillis: 15000})
	tr := servePipe(t, fake)
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	yt, err := NewYouTube(context.Background(), YouTubeConfig{Endpoint: "http://youtube.test", Transport: tr, Metrics: m,
		TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: ownerToken})})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), e.DSN(t), store.WithMaxConns(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &ownerEnv{fake: fake, yt: yt, store: st}
}

// TestDiscoverAndAnnounceEndToEnd plays an event created with discovery
// and announcements on, on SQLite and PostgreSQL: two scheduled broadcasts
// of the channel are found (a rehearsal whose title does not match, a
// broadcast of the next day and another channel's broadcast are not), the
// first is followed when it restarts under a new video id, three
// checkpoints are announced in every live chat (four posts), the posts
// appear in the chat authored by the owner and count as evidence for
// nobody, and every call is charged alike in the fake and in the ledger.
func TestDiscoverAndAnnounceEndToEnd(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t0 := time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC) // 08:00 in Bangkok
			inBubble(t, t0, func(t *testing.T) { discoverAndAnnounce(t, e, t0) })
		})
	}
}

func discoverAndAnnounce(t *testing.T, e storetest.Engine, t0 time.Time) {
	ctx := context.Background()
	env := newOwnerEnv(t, e)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	const (
		vidA, vidA2, vidB = "ownVideoA01", "ownVideoA02", "ownVideoB01"
		vidRehearsal      = "ownVideoR01"
		vidForeign        = "othVideoF01"
		vidTomorrow       = "ownVideoT01"
		restartAfter      = 50 * time.Minute
	)
	add := func(id, title, channel string, start, end time.Duration) {
		env.fake.AddVideo(fakeyoutube.Video{ID: id, Title: title, ChannelID: channel, ScheduledStart: at(start),
			ScheduledEnd: at(end), ActualStart: at(start), ActualEnd: at(end)})
	}
	// A 4-hour event: A from 0:10 (restarting as A2 at 0:50) to 3:00, B
	// from 1:30 to 4:10; the daemon runs until 4:40.
	add(vidA, "Policy Dialogue 2026 — opening", "UCowner", 10*time.Minute, 3*time.Hour)
	add(vidB, "Policy Dialogue 2026 — panels", "UCowner", 90*time.Minute, 250*time.Minute)
	add(vidRehearsal, "Rehearsal", "UCowner", 20*time.Minute, 40*time.Minute)
	add(vidForeign, "Policy Dialogue 2026 (mirror)", "UCother", 30*time.Minute, 2*time.Hour)
	env.fake.LeakBroadcast(vidForeign)
	env.fake.AddVideo(fakeyoutube.Video{ID: vidTomorrow, Title: "Policy Dialogue 2026 — day 2", ChannelID: "UCowner",
		ScheduledStart: at(25 * time.Hour)})
	if err := env.fake.RestartBroadcast(vidA, vidA2, at(restartAfter)); err != nil {
		t.Fatal(err)
	}

	from, to := attendance.DayWindow(t0, mustZone(t, "Asia/Bangkok"))
	ev, err := env.store.CreateEvent(ctx, attendance.Event{Slug: "pd-2026", Title: "Policy Dialogue 2026", TimeZone: "Asia/Bangkok",
		Policy: attendance.DefaultPolicy(), Announce: true,
		Discovery: attendance.Discovery{On: true, Match: "^Policy Dialogue 2026", From: from, To: to}})
	if err != nil {
		t.Fatal(err)
	}
	// p1 answers every checkpoint; the secretariat's own channel is linked
	// too (a staff member registered with it): its words must count for
	// nothing.
	if _, err := env.store.ImportRegistrations(ctx, ev.ID, []attendance.Registration{
		{FullName: "Person One", Email: "p1@example.org", Role: attendance.RoleParticipant},
		{FullName: "Secretariat", Email: "sec@example.org", Role: attendance.RoleParticipant},
	}, false); err != nil {
		t.Fatal(err)
	}
	for email, ch := range map[string]string{"p1@example.org": "UCp1", "sec@example.org": "UCowner"} {
		r, err := env.store.Registration(ctx, ev.ID, email)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.store.LinkManually(ctx, ev.ID, r.ID, ch, "tester", "e2e"); err != nil {
			t.Fatal(err)
		}
	}
	words := []string{"lotus", "mango", "bamboo"}
	opens := []time.Duration{20 * time.Minute, 60 * time.Minute, 100 * time.Minute}
	for i, w := range words {
		if _, err := env.store.AddCheckpoint(ctx, ev.ID, w, at(opens[i]), at(opens[i]+10*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	say := func(video, channel, text string, d time.Duration, owner bool) {
		if err := env.fake.AddMessages(video, fakeyoutube.Message{AuthorChannelID: channel, AuthorName: "someone",
			Text: text, PublishedAt: at(d), ChatOwner: owner}); err != nil {
			t.Fatal(err)
		}
	}
	say(vidA, "UCowner", "welcome! the first word will be lotus", 19*time.Minute, true) // before the window
	say(vidA, "UCowner", "lotus, everyone", 21*time.Minute, true)                       // typed by the owner: no evidence
	say(vidA, "UCp1", "lotus", 22*time.Minute, false)
	say(vidA2, "UCp1", "mango!", 62*time.Minute, false) // the new video's chat
	say(vidB, "UCp1", "bamboo", 103*time.Minute, false)

	c, err := New(Config{QuotaProject: "e2e", RefreshInterval: 15 * time.Second, LeaseTTL: 2 * time.Minute,
		EventDuration: 3 * time.Hour, Owner: env.yt}, env.yt, env.store, nil, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	stop := runCollector(t, c)
	end := 280 * time.Minute
	time.Sleep(at(end).Sub(time.Now()))
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// Discovery: A, its restart A2 and B; nothing else.
	streams, err := env.store.Streams(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range streams {
		got = append(got, s.VideoID)
	}
	slices.Sort(got)
	if want := []string{vidA, vidA2, vidB}; !slices.Equal(got, want) {
		t.Errorf("discovered streams = %v, want %v", got, want)
	}
	log, err := env.store.AuditLog(ctx, ev.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range log {
		if a.Action == "stream discover" && a.Subject == "video "+vidA2 {
			if late := time.UnixMicro(a.At).Sub(at(restartAfter)); late > time.Minute+15*time.Second {
				t.Errorf("the restarted broadcast was followed %v after it restarted, want within a minute (and a round)", late)
			}
		}
	}

	// Announcements: three checkpoints, posted to every live chat (A for
	// the first, A2 for the second, A2 and B for the third).
	posts := env.fake.Posts()
	byChat := map[string][]fakeyoutube.Posted{}
	for _, p := range posts {
		byChat[p.VideoID] = append(byChat[p.VideoID], p)
	}
	want := map[string][]string{vidA: {"lotus"}, vidA2: {"mango", "bamboo"}, vidB: {"bamboo"}}
	for video, ws := range want {
		ps := byChat[video]
		if len(ps) != len(ws) {
			t.Errorf("posts to %s = %d, want %d", video, len(ps), len(ws))
			continue
		}
		for i, p := range ps {
			if !strings.Contains(p.Text, ws[i]) || !strings.Contains(p.Text, "open 10 minutes") {
				t.Errorf("post %d to %s = %q, want the word %s", i, video, p.Text, ws[i])
			}
			if i > 0 && p.At.Sub(ps[i-1].At) < time.Minute {
				t.Errorf("two posts to %s within a minute", video)
			}
		}
	}
	if len(posts) != 4 {
		t.Errorf("posts = %d, want 4", len(posts))
	}
	anns, err := env.store.Announcements(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range anns {
		if a.State != attendance.AnnouncePosted || a.MessageID == "" || a.Attempts != 1 {
			t.Errorf("announcement %s: %s after %d attempts (%s)", a, a.State, a.Attempts, a.Reply)
		}
	}
	// The posts came back through the chat reader, authored by the owner.
	for video := range want {
		for _, id := range env.fake.Served(video) {
			for _, p := range byChat[video] {
				if id == p.MessageID {
					delete(byChat, video)
				}
			}
		}
	}
	if len(byChat) != 0 {
		t.Errorf("posts never read back from the chat: %v", byChat)
	}

	// Evidence: p1 hit each checkpoint once; the owner's words and posts
	// count for nobody.
	cps, err := env.store.Checkpoints(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, cp := range cps {
		if cp.Hits != 1 {
			t.Errorf("checkpoint %d has %d hits, want 1 (p1's; the owner's words are no evidence)", cp.Number, cp.Hits)
		}
	}

	// Units: the fake's accounting and the ledger agree.
	day := time.Now().In(mustZone(t, "America/Los_Angeles")).Format(time.DateOnly)
	ledger, err := env.store.QuotaUsed(ctx, "e2e", day)
	if err != nil {
		t.Fatal(err)
	}
	if fake := env.fake.QuotaUsed(); ledger != fake {
		t.Errorf("ledger %d units, fake %d", ledger, fake)
	}
	t.Logf("units over %v: liveBroadcasts.list %d calls × 5 = %d, liveChatMessages.insert %d × 20 = %d, channels.list %d × 1, all calls %d units",
		end, env.fake.Calls(fakeyoutube.MethodBroadcastsList), 5*env.fake.Calls(fakeyoutube.MethodBroadcastsList),
		env.fake.Calls(fakeyoutube.MethodChatInsert), 20*env.fake.Calls(fakeyoutube.MethodChatInsert),
		env.fake.Calls(fakeyoutube.MethodChannelsList), env.fake.QuotaUsed())
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
