package collector

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"golang.org/x/oauth2"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/collector/fakeyoutube"
)

const testKey = "AIzaSyTESTKEY-do-not-leak-123456"

var t0 = time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)

// fakeEnv is a fake YouTube with one live video and the adapter over the
// real client pointed at it.
type fakeEnv struct {
	clock   *fakeyoutube.ManualClock
	fake    *fakeyoutube.Server
	srv     *httptest.Server
	yt      *YouTube
	metrics *Metrics
	reg     *prometheus.Registry
}

func newFakeEnv(t testing.TB, opts fakeyoutube.Options) *fakeEnv {
	t.Helper()
	clock := fakeyoutube.NewManualClock(t0)
	if opts.APIKey == "" {
		opts.APIKey = testKey
	}
	fake := fakeyoutube.New(clock, opts)
	fake.AddVideo(fakeyoutube.Video{
		ID: "vid00000001", Title: "Policy dialogue", ChannelID: "UCowner",
		ScheduledStart: t0.Add(-10 * time.Minute), ScheduledEnd: t0.Add(2 * time.Hour),
		ActualStart: t0.Add(-5 * time.Minute), ActualEnd: t0.Add(time.Hour),
		Viewers: []fakeyoutube.Point{{At: t0.Add(-5 * time.Minute), Value: 0}, {At: t0.Add(5 * time.Minute), Value: 1000}},
		Views:   []fakeyoutube.Point{{At: t0.Add(-5 * time.Minute), Value: 0}, {At: t0.Add(time.Hour), Value: 5000}},
		Likes:   []fakeyoutube.Point{{At: t0, Value: 42}},
	})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	yt, err := NewYouTube(context.Background(), YouTubeConfig{APIKey: testKey, Endpoint: srv.URL, Metrics: m, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return &fakeEnv{clock: clock, fake: fake, srv: srv, yt: yt, metrics: m, reg: reg}
}

func TestYouTubeVideos(t *testing.T) {
	env := newFakeEnv(t, fakeyoutube.Options{})
	ids := []string{"vid00000001"}
	for i := range 120 { // more than two batches of 50
		ids = append(ids, "missing"+strings.Repeat("x", i%3)+string(rune('a'+i%26)))
	}
	got, err := env.yt.Videos(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if n := env.fake.Calls(fakeyoutube.MethodVideosList); n != 3 {
		t.Errorf("videos.list calls = %d, want 3 (batches of 50)", n)
	}
	if len(got) != 1 {
		t.Fatalf("got %d samples, want 1", len(got))
	}
	s := got[0].Sample
	if s.State != attendance.StreamLive || s.ChatID != fakeyoutube.ChatIDOf("vid00000001") || s.Title != "Policy dialogue" {
		t.Errorf("sample = %+v", s)
	}
	if s.ConcurrentViewers == nil || *s.ConcurrentViewers != 500 {
		t.Errorf("concurrent viewers = %v, want 500", s.ConcurrentViewers)
	}
	if s.Likes == nil || *s.Likes != 42 || s.Views == nil {
		t.Errorf("likes/views = %v/%v", s.Likes, s.Views)
	}
	if !s.ActualStart.Equal(t0.Add(-5*time.Minute)) || !s.ScheduledEnd.Equal(t0.Add(2*time.Hour)) || !s.ActualEnd.IsZero() {
		t.Errorf("times = %v %v %v", s.ActualStart, s.ScheduledEnd, s.ActualEnd)
	}

	env.clock.Set(t0.Add(2 * time.Hour))
	got, err = env.yt.Videos(context.Background(), ids[:1])
	if err != nil {
		t.Fatal(err)
	}
	s = got[0].Sample
	if s.State != attendance.StreamEnded || s.ChatID != "" || s.ConcurrentViewers != nil || !s.ActualEnd.Equal(t0.Add(time.Hour)) {
		t.Errorf("ended sample = %+v", s)
	}
}

func TestYouTubeReadChat(t *testing.T) {
	env := newFakeEnv(t, fakeyoutube.Options{History: 3, PollingMillis: 4321})
	var msgs []fakeyoutube.Message
	for i := range 10 {
		msgs = append(msgs, fakeyoutube.Message{
			ID: "m" + string(rune('0'+i)), AuthorChannelID: "UCa", AuthorName: "@a", Text: "hello",
			PublishedAt: t0.Add(time.Duration(i-5) * time.Second),
		})
	}
	msgs = append(msgs,
		fakeyoutube.Message{ID: "del", Type: attendance.MsgMessageDeleted, AuthorChannelID: "UCmod", TargetID: "m9", PublishedAt: t0.Add(10 * time.Second)},
		fakeyoutube.Message{ID: "ban", Type: attendance.MsgUserBanned, AuthorChannelID: "UCmod", TargetID: "UCa", PublishedAt: t0.Add(11 * time.Second)},
		fakeyoutube.Message{ID: "sc", Type: attendance.MsgSuperChat, AuthorChannelID: "UCb", AuthorName: "Lotus K7QM-4X2P", Text: "thanks", PublishedAt: t0.Add(12 * time.Second)},
		fakeyoutube.Message{ID: "new", Type: "someFutureEvent", AuthorChannelID: "UCb", PublishedAt: t0.Add(13 * time.Second)},
		fakeyoutube.Message{ID: "st", Type: attendance.MsgSuperSticker, AuthorChannelID: "UCc", AuthorName: "Lotus", PublishedAt: t0.Add(13 * time.Second)},
		fakeyoutube.Message{ID: "ms", Type: attendance.MsgMemberMilestone, AuthorChannelID: "UCd", AuthorName: "Mekong", Text: "six months!", PublishedAt: t0.Add(13 * time.Second)},
	)
	if err := env.fake.AddMessages("vid00000001", msgs...); err != nil {
		t.Fatal(err)
	}
	chatID := fakeyoutube.ChatIDOf("vid00000001")
	ctx := context.Background()
	first, err := env.yt.ReadChat(ctx, chatID, "")
	if err != nil {
		t.Fatal(err)
	}
	// six messages are visible at t0 (offsets -5…0); the first read gives the last three.
	if ids := msgIDs(first.Messages); ids != "m3,m4,m5" {
		t.Errorf("first read = %s, want recent history m3,m4,m5", ids)
	}
	if first.PollingMillis != 4321 || first.NextPageToken == "" || !first.OfflineAt.IsZero() {
		t.Errorf("first read = %+v", first)
	}
	env.clock.Advance(20 * time.Second)
	next, err := env.yt.ReadChat(ctx, chatID, first.NextPageToken)
	if err != nil {
		t.Fatal(err)
	}
	if ids := msgIDs(next.Messages); ids != "m6,m7,m8,m9,del,ban,sc,new,st,ms" {
		t.Errorf("next read = %s", ids)
	}
	byID := map[string]attendance.ChatMessage{}
	for _, m := range next.Messages {
		byID[m.ID] = m
	}
	if m := byID["del"]; m.Type != attendance.MsgMessageDeleted || m.TargetID != "m9" || m.AuthorChannelID != "UCmod" {
		t.Errorf("deletion = %+v", m)
	}
	if m := byID["ban"]; m.TargetID != "UCa" {
		t.Errorf("ban = %+v", m)
	}
	// Evidence is the buyer's comment only; the amount and the buyer's
	// display name are in displayMessage, kept for display.
	if m := byID["sc"]; m.Text != "thanks" || m.Type != attendance.MsgSuperChat || m.DisplayText != `$5.00 from Lotus K7QM-4X2P: "thanks"` {
		t.Errorf("super chat = %+v", m)
	}
	if m := byID["st"]; m.Text != "" || !strings.Contains(m.DisplayText, "Lotus") {
		t.Errorf("super sticker = %+v", m)
	}
	if m := byID["ms"]; m.Text != "six months!" || !strings.Contains(m.DisplayText, "Mekong") {
		t.Errorf("member milestone = %+v", m)
	}
	if m := byID["m6"]; !m.PublishedAt.Equal(t0.Add(time.Second)) || m.AuthorName != "@a" || m.Text != "hello" {
		t.Errorf("text = %+v", m)
	}
	if m := byID["new"]; m.Type != "someFutureEvent" {
		t.Errorf("unknown type = %+v", m)
	}

	env.clock.Set(t0.Add(time.Hour + time.Second))
	end, err := env.yt.ReadChat(ctx, chatID, next.NextPageToken)
	if err != nil {
		t.Fatal(err)
	}
	if !end.OfflineAt.Equal(t0.Add(time.Hour)) || len(end.Messages) != 0 {
		t.Errorf("after end = %+v", end)
	}
	env.clock.Set(t0.Add(2 * time.Hour))
	if _, err := env.yt.ReadChat(ctx, chatID, end.NextPageToken); !errors.Is(err, ErrChatEnded) {
		t.Errorf("read long after end: err = %v, want ErrChatEnded", err)
	}
}

func msgIDs(ms []attendance.ChatMessage) string {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return strings.Join(ids, ",")
}

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 11, 28, 2, 3, 4, 0, time.UTC)
	for _, s := range []string{
		"2026-11-28T02:03:04Z", "2026-11-28T02:03:04.000Z", "2026-11-28T02:03:04.000000Z",
		"2026-11-28T02:03:04+00:00", "2026-11-28T02:03:04.000+00:00", "2026-11-28T02:03:04.000000+00:00",
		"2026-11-28T09:03:04+07:00",
	} {
		if got := parseTime(s); !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %v", s, got)
		}
	}
	if got := parseTime("2026-11-28T02:03:04.123456Z"); got.Nanosecond() != 123456000 {
		t.Errorf("fraction lost: %v", got)
	}
	for _, s := range []string{"", "yesterday", "2026-11-28 02:03:04"} {
		if got := parseTime(s); !got.IsZero() {
			t.Errorf("parseTime(%q) = %v, want zero", s, got)
		}
	}
}

func TestYouTubeErrorClasses(t *testing.T) {
	huge, enormous := int64(-7), int64(1<<62)
	tests := []struct {
		name   string
		fault  fakeyoutube.Fault
		want   error
		reason string
	}{
		{"500", fakeyoutube.Fault{Status: 500}, ErrTransient, "transient"},
		{"503", fakeyoutube.Fault{Status: 503}, ErrTransient, "transient"},
		{"429", fakeyoutube.Fault{Status: 429}, ErrTransient, "transient"},
		{"quotaExceeded", fakeyoutube.Fault{Status: 403, Reason: "quotaExceeded"}, ErrQuotaExceeded, "quota_exceeded"},
		{"rateLimitExceeded", fakeyoutube.Fault{Status: 403, Reason: "rateLimitExceeded"}, ErrRateLimited, "rate_limited"},
		{"liveChatEnded 403", fakeyoutube.Fault{Status: 403, Reason: "liveChatEnded"}, ErrChatEnded, "chat_ended"},
		{"liveChatEnded 404", fakeyoutube.Fault{Status: 404, Reason: "liveChatEnded"}, ErrChatEnded, "chat_ended"},
		{"liveChatDisabled", fakeyoutube.Fault{Status: 403, Reason: "liveChatDisabled"}, ErrChatDisabled, "chat_disabled"},
		{"liveChatNotFound", fakeyoutube.Fault{Status: 404, Reason: "liveChatNotFound"}, ErrChatNotFound, "chat_not_found"},
		{"forbidden", fakeyoutube.Fault{Status: 403, Reason: "forbidden"}, ErrForbidden, "forbidden"},
		{"keyInvalid", fakeyoutube.Fault{Status: 400, Reason: "keyInvalid"}, ErrKeyInvalid, "key_invalid"},
		{"authError 401", fakeyoutube.Fault{Status: 401}, ErrKeyInvalid, "key_invalid"},
		{"pageTokenInvalid", fakeyoutube.Fault{Status: 400, Reason: "pageTokenInvalid"}, ErrPageTokenInvalid, "page_token_invalid"},
		{"invalidPageToken", fakeyoutube.Fault{Status: 400, Reason: "invalidPageToken", Domain: "youtube.parameter"}, ErrPageTokenInvalid, "page_token_invalid"},
		{"odd 400", fakeyoutube.Fault{Status: 400, Reason: "somethingNew"}, ErrBadRequest, "bad_request"},
		{"odd 404", fakeyoutube.Fault{Status: 404, Reason: "notFound"}, ErrBadRequest, "bad_request"},
		{"408", fakeyoutube.Fault{Status: 408}, ErrTransient, "transient"},
		{"dropped connection", fakeyoutube.Fault{Drop: true}, ErrTransient, "transient"},
		{"truncated body", fakeyoutube.Fault{Truncate: true}, ErrTransient, "transient"},
		{"invalid json", fakeyoutube.Fault{InvalidJSON: true}, ErrTransient, "transient"},
		{"100 MB body", fakeyoutube.Fault{HugeBody: 100 << 20}, ErrTransient, "transient"},
		{"negative polling interval", fakeyoutube.Fault{PollingIntervalMillis: &huge}, nil, ""},
		{"huge polling interval", fakeyoutube.Fault{PollingIntervalMillis: &enormous}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newFakeEnv(t, fakeyoutube.Options{})
			tt.fault.Method = fakeyoutube.MethodChatList
			env.fake.Inject(tt.fault)
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			read, err := env.yt.ReadChat(context.Background(), fakeyoutube.ChatIDOf("vid00000001"), "")
			if tt.want == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				want := DefaultPollInterval
				if read.PollingMillis > 0 {
					want = MaxPollInterval
				}
				if d := ClampPollInterval(read.PollingMillis); d != want {
					t.Errorf("clamped interval = %v", d)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if got := ReasonLabel(err); got != tt.reason {
				t.Errorf("reason label = %q, want %q", got, tt.reason)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error leaks the api key: %v", err)
			}
			if got := testutil.ToFloat64(env.metrics.errors.WithLabelValues(MethodChatList, tt.reason)); got != 1 {
				t.Errorf("errors_total{reason=%s} = %v, want 1", tt.reason, got)
			}
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if grown := int64(after.TotalAlloc - before.TotalAlloc); grown > 128<<20 {
				t.Errorf("allocated %d MiB for one failed read", grown>>20)
			}
		})
	}
}

func TestYouTubeNaturalErrors(t *testing.T) {
	env := newFakeEnv(t, fakeyoutube.Options{})
	ctx := context.Background()
	if _, err := env.yt.ReadChat(ctx, "no-such-chat", ""); !errors.Is(err, ErrChatNotFound) {
		t.Errorf("unknown chat: %v", err)
	}
	if _, err := env.yt.ReadChat(ctx, fakeyoutube.ChatIDOf("vid00000001"), "garbage!"); !errors.Is(err, ErrPageTokenInvalid) {
		t.Errorf("bad token: %v", err)
	}
	bad, err := NewYouTube(ctx, YouTubeConfig{APIKey: "AIzaWRONGKEY-secret-999", Endpoint: env.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.Videos(ctx, []string{"vid00000001"})
	if !errors.Is(err, ErrKeyInvalid) {
		t.Errorf("wrong key: %v", err)
	}
	if strings.Contains(err.Error(), "AIzaWRONGKEY-secret-999") {
		t.Errorf("error leaks the key: %v", err)
	}
}

func TestYouTubeRedactsTransportErrors(t *testing.T) {
	env := newFakeEnv(t, fakeyoutube.Options{})
	env.fake.Inject(fakeyoutube.Fault{Drop: true})
	_, err := env.yt.Videos(context.Background(), []string{"vid00000001"})
	if err == nil || strings.Contains(err.Error(), testKey) || !strings.Contains(err.Error(), "REDACTED") {
		t.Errorf("dropped connection error = %v; want key redacted", err)
	}
	env.srv.Close() // connection refused: url.Error carries the full URL with key=
	_, err = env.yt.Videos(context.Background(), []string{"vid00000001"})
	if err == nil || strings.Contains(err.Error(), testKey) {
		t.Errorf("refused connection error = %v; want key redacted", err)
	}
	if !errors.Is(err, ErrTransient) {
		t.Errorf("refused connection: %v, want transient", err)
	}
	// metrics never carry the key either
	out, err := testutil.CollectAndFormat(env.reg, expfmt.TypeTextPlain)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), testKey) {
		t.Error("metrics leak the api key")
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{`Get "http://x/youtube/v3/videos?alt=json&key=AIzaSECRET&part=id": EOF`, `Get "http://x/youtube/v3/videos?alt=json&key=REDACTED&part=id": EOF`},
		{"Authorization: Bearer ya29.a0AfH6SMB-xyz", "Authorization: Bearer REDACTED"},
		{"refresh_token=1//0gabc&client_secret=GOCSPX-1", "refresh_token=REDACTED&client_secret=REDACTED"},
		{"plain text with the literal sekrit-value", "plain text with the literal REDACTED"},
	}
	for _, tt := range tests {
		if got := redact(tt.in, "sekrit-value"); got != tt.want {
			t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestYouTubeOAuthPath(t *testing.T) {
	env := newFakeEnv(t, fakeyoutube.Options{AccessToken: "ya29.owner", OwnerChannelID: "UCowner"})
	ctx := context.Background()
	yt, err := NewYouTube(ctx, YouTubeConfig{TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "ya29.owner"}), Endpoint: env.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := yt.CheckAccess(ctx, true, ""); err != nil {
		t.Fatalf("check access: %v", err)
	}
	page, err := yt.MyBroadcasts(ctx, BroadcastsActive, "")
	bs := page.Broadcasts
	if err != nil || len(bs) != 1 || bs[0].ChatID != fakeyoutube.ChatIDOf("vid00000001") || bs[0].LifeCycle != "live" {
		t.Fatalf("broadcasts = %+v, %v", bs, err)
	}
	if err := yt.PostMessage(ctx, bs[0].ChatID, "Checkpoint word: MEKONG"); err != nil {
		t.Fatal(err)
	}
	read, err := yt.ReadChat(ctx, bs[0].ChatID, "")
	if err != nil || len(read.Messages) != 1 || read.Messages[0].AuthorChannelID != "UCowner" {
		t.Fatalf("read back = %+v, %v", read, err)
	}
	stale, err := NewYouTube(ctx, YouTubeConfig{TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "ya29.stale"}), Endpoint: env.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	err = stale.CheckAccess(ctx, true, "")
	if !errors.Is(err, ErrKeyInvalid) || strings.Contains(err.Error(), "ya29.stale") {
		t.Errorf("stale token: %v", err)
	}
	if err := env.yt.CheckAccess(ctx, false, "vid00000001"); err != nil {
		t.Errorf("api key check: %v", err)
	}
	if _, err := NewYouTube(ctx, YouTubeConfig{}); err == nil {
		t.Error("no credential accepted")
	}
}

func TestPollerLogsNoSecrets(t *testing.T) {
	env := newFakeEnv(t, fakeyoutube.Options{})
	var buf strings.Builder
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store := newMemStore(env.clock, attendance.Stream{ID: 1, EventSlug: "e", VideoID: "vid00000001",
		ChatID: fakeyoutube.ChatIDOf("vid00000001"), State: attendance.StreamLive})
	q, _ := NewQuota(store, "key", 10000, 1000, env.clock, nil)
	p := NewPoller(PollerConfig{Quota: q, Source: env.yt, Store: store, Stream: store.stream(1), Clock: env.clock, Logger: logger})
	env.fake.Inject(fakeyoutube.Fault{Drop: true})
	env.fake.Inject(fakeyoutube.Fault{Status: 400, Reason: "keyInvalid", Message: "API key not valid: " + testKey})
	for range 3 {
		if _, done := p.Step(context.Background()); done {
			break
		}
	}
	out := buf.String()
	if !strings.Contains(out, "youtube refused") {
		t.Errorf("no loud error logged:\n%s", out)
	}
	if strings.Contains(out, testKey) {
		t.Errorf("log leaks the api key:\n%s", out)
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
