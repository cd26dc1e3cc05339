package collector

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"golang.org/x/oauth2"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/collector/fakeyoutube"
)

// The tests below run the real generated client (StreamSource) against
// fakeyoutube's gRPC server over loopback, time moved by a ManualClock.
// They stay outside synctest: a goroutine reading a loopback socket is not
// durably blocked, so a bubble's time would not move while a stream is
// open; StreamConfig dials an address and has no in-memory transport.

var streamT0 = time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)

const streamVideo = "vidstream01"

type streamEnv struct {
	clock   *fakeyoutube.ManualClock
	fake    *fakeyoutube.Server
	addr    string
	chatID  string
	src     *StreamSource
	metrics *Metrics
}

func newStreamEnv(t *testing.T, opts fakeyoutube.Options, cfg StreamConfig) *streamEnv {
	t.Helper()
	clock := fakeyoutube.NewManualClock(streamT0)
	if opts.APIKey == "" {
		opts.APIKey = streamTestKey
	}
	fake := fakeyoutube.New(clock, opts)
	fake.AddVideo(fakeyoutube.Video{
		ID: streamVideo, Title: "Policy dialogue", ChannelID: "UCowner",
		ScheduledStart: streamT0.Add(-10 * time.Minute), ActualStart: streamT0.Add(-5 * time.Minute), ActualEnd: streamT0.Add(time.Hour),
	})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- fake.ServeGRPC(lis) }()
	t.Cleanup(func() {
		fake.StopGRPC()
		if err := <-served; err != nil {
			t.Errorf("ServeGRPC: %v", err)
		}
	})
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Endpoint, cfg.Insecure, cfg.Metrics = lis.Addr().String(), true, m
	if cfg.APIKey == "" && cfg.TokenSource == nil {
		cfg.APIKey = streamTestKey
	}
	src, err := NewStreamSource(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	return &streamEnv{clock: clock, fake: fake, addr: lis.Addr().String(), chatID: fakeyoutube.ChatIDOf(streamVideo), src: src, metrics: m}
}

// addTexts scripts n text messages, one a second from first.
func (e *streamEnv) addTexts(t *testing.T, prefix string, first time.Time, n int) []string {
	t.Helper()
	var ids []string
	var msgs []fakeyoutube.Message
	for i := range n {
		id := fmt.Sprintf("%s-%03d", prefix, i)
		ids = append(ids, id)
		msgs = append(msgs, fakeyoutube.Message{ID: id, AuthorChannelID: "UCviewer", AuthorName: "Viewer",
			Text: "hello " + id, PublishedAt: first.Add(time.Duration(i) * time.Second)})
	}
	if err := e.fake.AddMessages(streamVideo, msgs...); err != nil {
		t.Fatal(err)
	}
	return ids
}

// pageLog records what a stream delivered.
type pageLog struct {
	mu    sync.Mutex
	pages []ChatRead
	ids   []string
	token string
}

func (l *pageLog) onPage(r ChatRead) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pages = append(l.pages, r)
	for _, m := range r.Messages {
		l.ids = append(l.ids, m.ID)
	}
	l.token = r.NextPageToken
	return nil
}

func (l *pageLog) snapshot() (pages int, ids []string, token string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.pages), slices.Clone(l.ids), l.token
}

// run starts one StreamChat in the background.
func (e *streamEnv) run(ctx context.Context, token string, log *pageLog) <-chan error {
	done := make(chan error, 1)
	go func() { done <- e.src.StreamChat(ctx, e.chatID, token, log.onPage) }()
	return done
}

// waitFor waits (bounded) until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func waitDone(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("StreamChat did not return")
		return nil
	}
}

// The first response is the recent history (capped as REST's first read
// is), then each newly visible message is pushed; Served records exactly
// what the client received; one call costs 5 units.
func TestFakeStreamHistoryThenPushes(t *testing.T) {
	e := newStreamEnv(t, fakeyoutube.Options{History: 20, StreamLifetime: -1}, StreamConfig{})
	history := e.addTexts(t, "old", streamT0.Add(-60*time.Second), 30)
	live := e.addTexts(t, "new", streamT0.Add(time.Second), 5)

	ctx, cancel := context.WithCancel(testCtx(t))
	log := &pageLog{}
	done := e.run(ctx, "", log)
	waitFor(t, "the history page", func() bool { n, _, _ := log.snapshot(); return n == 1 })
	_, ids, _ := log.snapshot()
	if !slices.Equal(ids, history[10:]) {
		t.Fatalf("history = %v, want the last 20 of %v", ids, history)
	}
	for i := range live {
		e.clock.Advance(time.Second)
		waitFor(t, "a pushed page", func() bool { n, _, _ := log.snapshot(); return n == 2+i })
	}
	pages, ids, _ := log.snapshot()
	if want := append(slices.Clone(history[10:]), live...); !slices.Equal(ids, want) {
		t.Errorf("received %v, want %v", ids, want)
	}
	if pages != 1+len(live) {
		t.Errorf("%d pages, want one per pushed message plus the history", pages)
	}
	cancel()
	if err := waitDone(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if got := e.fake.Served(streamVideo); !slices.Equal(got, ids) {
		t.Errorf("Served = %v, want what the client received %v", got, ids)
	}
	if q, c := e.fake.QuotaUsed(), e.fake.Calls(fakeyoutube.MethodChatStream); q != 5 || c != 1 {
		t.Errorf("quota %d over %d calls, want 5 over 1", q, c)
	}
}

// Page tokens are shared with REST: a polled token resumes a stream and a
// streamed token resumes polling, and every message comes once.
func TestFakeStreamTokensShareRESTTimeline(t *testing.T) {
	e := newStreamEnv(t, fakeyoutube.Options{History: 5, StreamLifetime: -1}, StreamConfig{})
	all := e.addTexts(t, "m", streamT0.Add(-4*time.Second), 12) // m-000..004 visible, the rest one a second
	srv := httptest.NewServer(e.fake)
	t.Cleanup(srv.Close)
	yt, err := NewYouTube(context.Background(), YouTubeConfig{APIKey: streamTestKey, Endpoint: srv.URL, ChatPageSize: 200})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	first, err := yt.ReadChat(testCtx(t), e.chatID, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range first.Messages {
		got = append(got, m.ID)
	}

	e.clock.Advance(3 * time.Second) // m-005..007 visible
	ctx, cancel := context.WithCancel(testCtx(t))
	log := &pageLog{}
	done := e.run(ctx, first.NextPageToken, log)
	waitFor(t, "the resumed page", func() bool { n, _, _ := log.snapshot(); return n == 1 })
	e.clock.Advance(2 * time.Second) // m-008, m-009
	waitFor(t, "m-009", func() bool { _, ids, _ := log.snapshot(); return slices.Contains(ids, "m-009") })
	cancel()
	if err := waitDone(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	waitFor(t, "the server to see the stream go", func() bool { return e.fake.OpenStreams() == 0 })
	_, ids, token := log.snapshot()
	got = append(got, ids...)

	e.clock.Advance(2 * time.Second) // m-010, m-011
	last, err := yt.ReadChat(testCtx(t), e.chatID, token)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range last.Messages {
		got = append(got, m.ID)
	}
	if !slices.Equal(got, all) {
		t.Errorf("polled, streamed, polled: %v, want each of %v once", got, all)
	}
	if served := e.fake.Served(streamVideo); !slices.Equal(served, all) {
		t.Errorf("Served = %v", served)
	}
}

// A stream cut every 3 responses and on command, resumed each time with
// the last token, loses and repeats nothing.
func TestFakeStreamDisconnectsLoseNothing(t *testing.T) {
	e := newStreamEnv(t, fakeyoutube.Options{History: 75, StreamLifetime: -1, StreamDisconnectEvery: 3}, StreamConfig{})
	want := e.addTexts(t, "m", streamT0.Add(time.Second), 20)

	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	log := &pageLog{}
	var mu sync.Mutex
	var errs []error
	loopDone := make(chan struct{})
	go func() { // the reconnecting reader a poller would be
		defer close(loopDone)
		for ctx.Err() == nil {
			_, _, token := log.snapshot()
			err := e.src.StreamChat(ctx, e.chatID, token, log.onPage)
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	}()
	waitFor(t, "the first page", func() bool { n, _, _ := log.snapshot(); return n == 1 })
	for i := range want {
		e.clock.Advance(time.Second)
		waitFor(t, want[i], func() bool { _, ids, _ := log.snapshot(); return slices.Contains(ids, want[i]) })
		if i == 10 {
			waitFor(t, "an open stream", func() bool { return e.fake.OpenStreams() == 1 })
			e.fake.DisconnectStreams()
			waitFor(t, "the disconnect on command", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return slices.ContainsFunc(errs, func(err error) bool {
					return err != nil && strings.Contains(err.Error(), "disconnected on command")
				})
			})
		}
	}
	cancel()
	<-loopDone
	_, ids, _ := log.snapshot()
	if !slices.Equal(ids, want) {
		t.Errorf("received %v, want each of %v once", ids, want)
	}
	if served := e.fake.Served(streamVideo); !slices.Equal(served, want) {
		t.Errorf("Served = %v", served)
	}
	mu.Lock()
	defer mu.Unlock()
	transient := 0
	for _, err := range errs[:len(errs)-1] {
		if !errors.Is(err, ErrTransient) {
			t.Errorf("a disconnect gave %v, want ErrTransient", err)
		}
		transient++
	}
	// A connection carries at most 3 responses before it is cut (one more
	// is cut on command), the last at most 2: 20 messages need at least 6
	// cut connections.
	if transient < 6 {
		t.Errorf("%d disconnects, want at least 6", transient)
	}
	// The last call ends with the cancel, or — when the server cut it
	// just before the cancel, after the last message — with that cut, and
	// the loop then saw the cancel. Either way the loop ended: a cancel
	// that did not end an open stream would hang <-loopDone above.
	if last := errs[len(errs)-1]; !errors.Is(last, context.Canceled) && !errors.Is(last, ErrTransient) {
		t.Errorf("last call ended with %v, want context.Canceled or a cut", last)
	}
	// The last call may have ended before it reached the server.
	if q, c := e.fake.QuotaUsed(), e.fake.Calls(fakeyoutube.MethodChatStream); q != int64(5*c) || c < len(errs)-1 {
		t.Errorf("quota %d for %d calls reaching the server of %d made, want 5 each", q, c, len(errs))
	}
}

// The server closes each stream after StreamLifetime of fake time (10 s by
// default): a normal close, nil.
func TestFakeStreamLifetimeClosesNormally(t *testing.T) {
	e := newStreamEnv(t, fakeyoutube.Options{}, StreamConfig{})
	e.addTexts(t, "m", streamT0.Add(2*time.Second), 3)
	log := &pageLog{}
	done := e.run(testCtx(t), "", log)
	waitFor(t, "the first page", func() bool { n, _, _ := log.snapshot(); return n == 1 })
	e.clock.Advance(5 * time.Second)
	waitFor(t, "the pushed page", func() bool { _, ids, _ := log.snapshot(); return len(ids) == 3 })
	select {
	case err := <-done:
		t.Fatalf("the stream ended before its lifetime: %v", err)
	default:
	}
	e.clock.Advance(5 * time.Second)
	if err := waitDone(t, done); err != nil {
		t.Fatalf("err = %v, want nil for a normal close", err)
	}
	if n := testutil.ToFloat64(e.metrics.requests.WithLabelValues(MethodChatStream, "OK")); n != 1 {
		t.Errorf("requests{OK} = %v", n)
	}
}

// The API key goes in x-goog-api-key; a wrong key is ErrKeyInvalid; an
// OAuth bearer token works over the plaintext loopback connection, and a
// wrong one is ErrKeyInvalid too.
func TestFakeStreamCredentials(t *testing.T) {
	const token = "ya29.stream-token"
	tests := []struct {
		name string
		cfg  StreamConfig
		want error
	}{
		{name: "api key", cfg: StreamConfig{APIKey: streamTestKey}},
		{name: "wrong api key", cfg: StreamConfig{APIKey: "AIzaWRONG-key-0000"}, want: ErrKeyInvalid},
		{name: "bearer token", cfg: StreamConfig{TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token})}},
		{name: "wrong bearer token", cfg: StreamConfig{TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "ya29.wrong"})}, want: ErrKeyInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newStreamEnv(t, fakeyoutube.Options{AccessToken: token}, tt.cfg)
			e.addTexts(t, "m", streamT0.Add(-time.Second), 1)
			log := &pageLog{}
			done := e.run(testCtx(t), "", log)
			if tt.want == nil {
				waitFor(t, "the first page", func() bool { n, _, _ := log.snapshot(); return n == 1 })
				e.clock.Advance(fakeyoutube.DefaultStreamLifetime) // the server closes the stream
			}
			err := waitDone(t, done)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
				if strings.Contains(err.Error(), "AIzaWRONG") || strings.Contains(err.Error(), "ya29.wrong") {
					t.Errorf("error leaks the credential: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if _, ids, _ := log.snapshot(); len(ids) != 1 {
				t.Errorf("received %v", ids)
			}
		})
	}
}

// Each chat-level error the fake can answer maps to its sentinel.
func TestFakeStreamChatErrors(t *testing.T) {
	tests := []struct {
		name  string
		opts  fakeyoutube.Options
		setup func(e *streamEnv)
		chat  string
		token string
		want  error
	}{
		{name: "unknown chat", chat: "Cg0KCnope", want: ErrChatNotFound},
		{name: "chat disabled", setup: func(e *streamEnv) {
			e.fake.AddVideo(fakeyoutube.Video{ID: streamVideo, ChatDisabled: true, ActualStart: streamT0.Add(-time.Minute)})
		}, want: ErrChatDisabled},
		{name: "chat ended", setup: func(e *streamEnv) { e.clock.Advance(2 * time.Hour) }, want: ErrChatEnded},
		{name: "members-only with a key", setup: func(e *streamEnv) {
			e.fake.AddVideo(fakeyoutube.Video{ID: streamVideo, MembersOnly: true, ActualStart: streamT0.Add(-time.Minute)})
		}, want: ErrForbidden},
		{name: "invalid page token", token: "bm90LWEtdG9rZW4", want: ErrPageTokenInvalid},
		{name: "quota exceeded", opts: fakeyoutube.Options{DailyQuota: 4}, want: ErrQuotaExceeded},
		{name: "503 fault", setup: func(e *streamEnv) {
			e.fake.Inject(fakeyoutube.Fault{Method: fakeyoutube.MethodChatStream, Status: 503})
		}, want: ErrTransient},
		{name: "dropped", setup: func(e *streamEnv) {
			e.fake.Inject(fakeyoutube.Fault{Method: fakeyoutube.MethodChatStream, Drop: true})
		}, want: ErrTransient},
		{name: "streaming refused", setup: func(e *streamEnv) {
			e.fake.Inject(fakeyoutube.Fault{Method: fakeyoutube.MethodChatStream, Status: 501, Reason: "notImplemented"})
		}, want: ErrStreamingUnsupported},
		{name: "bad request", setup: func(e *streamEnv) {
			e.fake.Inject(fakeyoutube.Fault{Method: fakeyoutube.MethodChatStream, Status: 400, Reason: "invalidValue"})
		}, want: ErrBadRequest},
		{name: "rate limited", setup: func(e *streamEnv) {
			e.fake.Inject(fakeyoutube.Fault{Method: fakeyoutube.MethodChatStream, Status: 403, Reason: "rateLimitExceeded"})
		}, want: ErrRateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newStreamEnv(t, tt.opts, StreamConfig{})
			if tt.setup != nil {
				tt.setup(e)
			}
			if tt.chat != "" {
				e.chatID = tt.chat
			}
			log := &pageLog{}
			err := waitDone(t, e.run(testCtx(t), tt.token, log))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if n, _, _ := log.snapshot(); n != 0 {
				t.Errorf("%d pages before the error", n)
			}
			if n := testutil.ToFloat64(e.metrics.errors.WithLabelValues(MethodChatStream, ReasonLabel(tt.want))); n != 1 {
				t.Errorf("errors{%s} = %v, want 1", ReasonLabel(tt.want), n)
			}
		})
	}
}

// Super Chat text comes from userComment, never from displayMessage (which
// holds the buyer's name); a Super Sticker gives none; a milestone gives
// its comment; a type newer than the proto is kept as a stable string;
// deletion and ban targets arrive.
func TestFakeStreamMessageShapes(t *testing.T) {
	e := newStreamEnv(t, fakeyoutube.Options{}, StreamConfig{})
	at := streamT0.Add(-time.Minute)
	if err := e.fake.AddMessages(streamVideo,
		fakeyoutube.Message{ID: "sc", Type: attendance.MsgSuperChat, AuthorChannelID: "UCbuyer", AuthorName: "MANGO Buyer", Text: "my comment", Amount: "€2.00", PublishedAt: at},
		fakeyoutube.Message{ID: "st", Type: attendance.MsgSuperSticker, AuthorChannelID: "UCsticker", AuthorName: "MANGO", PublishedAt: at.Add(time.Second)},
		fakeyoutube.Message{ID: "ms", Type: attendance.MsgMemberMilestone, AuthorChannelID: "UCmember", AuthorName: "Member", Text: "twelve months", PublishedAt: at.Add(2 * time.Second)},
		fakeyoutube.Message{ID: "del", Type: attendance.MsgMessageDeleted, AuthorChannelID: "UCmod", AuthorName: "Mod", TargetID: "sc", PublishedAt: at.Add(3 * time.Second)},
		fakeyoutube.Message{ID: "ban", Type: attendance.MsgUserBanned, AuthorChannelID: "UCmod", AuthorName: "Mod", TargetID: "UCspam", PublishedAt: at.Add(4 * time.Second)},
		fakeyoutube.Message{ID: "new", Type: "unknownType77", AuthorChannelID: "UCnew", AuthorName: "New", Text: "??", PublishedAt: at.Add(5 * time.Second)},
	); err != nil {
		t.Fatal(err)
	}
	log := &pageLog{}
	ctx, cancel := context.WithCancel(testCtx(t))
	done := e.run(ctx, "", log)
	waitFor(t, "the history page", func() bool { n, _, _ := log.snapshot(); return n == 1 })
	cancel()
	waitDone(t, done)
	log.mu.Lock()
	msgs := log.pages[0].Messages
	log.mu.Unlock()
	byID := map[string]attendance.ChatMessage{}
	for _, m := range msgs {
		byID[m.ID] = m
	}
	sc := byID["sc"]
	if sc.Type != attendance.MsgSuperChat || sc.Text != "my comment" || !strings.Contains(sc.DisplayText, "MANGO Buyer") || strings.Contains(sc.Text, "MANGO") {
		t.Errorf("super chat = %+v", sc)
	}
	if st := byID["st"]; st.Type != attendance.MsgSuperSticker || st.Text != "" || st.DisplayText == "" {
		t.Errorf("super sticker = %+v", st)
	}
	if ms := byID["ms"]; ms.Type != attendance.MsgMemberMilestone || ms.Text != "twelve months" {
		t.Errorf("milestone = %+v", ms)
	}
	if d := byID["del"]; d.Type != attendance.MsgMessageDeleted || d.TargetID != "sc" || d.Text != "" {
		t.Errorf("deletion = %+v", d)
	}
	if b := byID["ban"]; b.Type != attendance.MsgUserBanned || b.TargetID != "UCspam" {
		t.Errorf("ban = %+v", b)
	}
	if n := byID["new"]; n.Type != "unknownType77" || n.AuthorChannelID != "UCnew" || !n.PublishedAt.Equal(at.Add(5*time.Second)) {
		t.Errorf("unknown type = %+v", n)
	}
}

// A cancelled ctx ends an open stream promptly.
func TestFakeStreamCancelIsPrompt(t *testing.T) {
	e := newStreamEnv(t, fakeyoutube.Options{StreamLifetime: -1}, StreamConfig{})
	ctx, cancel := context.WithCancel(testCtx(t))
	log := &pageLog{}
	done := e.run(ctx, "", log)
	waitFor(t, "the first page", func() bool { n, _, _ := log.snapshot(); return n == 1 })
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("StreamChat did not return within 2 s of the cancel")
	}
}

// Every type of the proto's enum goes through the fake's gRPC server and
// the client as the same REST string it was scripted with.
func TestFakeStreamEveryTypeRoundTrips(t *testing.T) {
	e := newStreamEnv(t, fakeyoutube.Options{History: 100}, StreamConfig{})
	var want []string
	for _, typ := range messageTypes {
		if typ != "invalidType" {
			want = append(want, typ)
		}
	}
	slices.Sort(want)
	for i, typ := range want {
		if err := e.fake.AddMessages(streamVideo, fakeyoutube.Message{ID: "m-" + typ, Type: typ, AuthorChannelID: "UCa", AuthorName: "A",
			Text: "x", PublishedAt: streamT0.Add(time.Duration(i-len(want)) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	log := &pageLog{}
	ctx, cancel := context.WithCancel(testCtx(t))
	done := e.run(ctx, "", log)
	waitFor(t, "the history page", func() bool { n, _, _ := log.snapshot(); return n == 1 })
	cancel()
	waitDone(t, done)
	log.mu.Lock()
	defer log.mu.Unlock()
	var got []string
	for _, m := range log.pages[0].Messages {
		if m.ID != "m-"+m.Type {
			t.Errorf("message %s arrived as type %q", m.ID, m.Type)
		}
		got = append(got, m.Type)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("types %v, want %v", got, want)
	}
}
