package fakeyoutube

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	"google.golang.org/api/youtube/v3"
)

var t0 = time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)

func newClient(t *testing.T, srv *httptest.Server, opts ...option.ClientOption) *youtube.Service {
	t.Helper()
	svc, err := youtube.NewService(context.Background(), append([]option.ClientOption{option.WithEndpoint(srv.URL + "/")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func setup(t *testing.T, opts Options) (*Server, *ManualClock, *httptest.Server) {
	t.Helper()
	clock := NewManualClock(t0)
	fake := New(clock, opts)
	fake.AddVideo(Video{ID: "v1", Title: "Dialogue", ChannelID: "UCowner", ScheduledStart: t0,
		ActualStart: t0.Add(time.Minute), ActualEnd: t0.Add(time.Hour)})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return fake, clock, srv
}

func reason(err error) string {
	var g *googleapi.Error
	if errors.As(err, &g) && len(g.Errors) > 0 {
		return g.Errors[0].Reason
	}
	return ""
}

func TestQuotaExceededAndPacificReset(t *testing.T) {
	fake, clock, srv := setup(t, Options{APIKey: "k", DailyQuota: 12})
	svc := newClient(t, srv, option.WithAPIKey("k"))
	chat := svc.LiveChatMessages.List(ChatIDOf("v1"), []string{"snippet"})
	clock.Set(t0.Add(2 * time.Minute))
	for i := range 2 {
		if _, err := chat.Do(); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	if _, err := chat.Do(); reason(err) != "quotaExceeded" {
		t.Fatalf("third read: %v, want quotaExceeded", err)
	}
	if _, err := svc.Videos.List([]string{"id"}).Id("v1").Do(); err != nil {
		t.Fatalf("1-unit call within the last 2 units: %v", err)
	}
	if got := fake.QuotaUsed(); got != 11 {
		t.Errorf("used = %d, want 11", got)
	}
	clock.Set(time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)) // Pacific midnight (PST)
	if got := fake.QuotaUsed(); got != 0 {
		t.Errorf("after reset used = %d, want 0", got)
	}
}

func TestKeyCheck(t *testing.T) {
	_, _, srv := setup(t, Options{APIKey: "good", AccessToken: "tok"})
	_, err := newClient(t, srv, option.WithAPIKey("bad")).Videos.List([]string{"id"}).Id("v1").Do()
	if reason(err) != "keyInvalid" {
		t.Errorf("bad key: %v", err)
	}
	if _, err := newClient(t, srv, option.WithAPIKey("good")).Videos.List([]string{"id"}).Id("v1").Do(); err != nil {
		t.Errorf("good key: %v", err)
	}
	_, err = newClient(t, srv, option.WithHTTPClient(srv.Client())).Videos.List([]string{"id"}).Id("v1").Do()
	if reason(err) != "keyInvalid" {
		t.Errorf("no credential: %v", err)
	}
}

func TestOAuthPath(t *testing.T) {
	fake, clock, srv := setup(t, Options{AccessToken: "ya29.tok", OwnerChannelID: "UCowner"})
	clock.Set(t0.Add(5 * time.Minute))
	svc := newClient(t, srv, option.WithHTTPClient(&http.Client{Transport: bearerTransport{"ya29.tok"}}))
	resp, err := svc.LiveBroadcasts.List([]string{"snippet", "status"}).BroadcastStatus("active").Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Items) != 1 || resp.Items[0].Snippet.LiveChatId != ChatIDOf("v1") || resp.Items[0].Status.LifeCycleStatus != "live" {
		t.Fatalf("broadcasts = %+v", resp.Items)
	}
	if _, err := svc.LiveBroadcasts.List([]string{"id"}).Mine(true).BroadcastStatus("all").Do(); reason(err) != "incompatibleParameters" {
		t.Errorf("two filters: %v", err)
	}
	msg := &youtube.LiveChatMessage{Snippet: &youtube.LiveChatMessageSnippet{LiveChatId: ChatIDOf("v1"), Type: "textMessageEvent",
		TextMessageDetails: &youtube.LiveChatTextMessageDetails{MessageText: "Checkpoint word: MEKONG"}}}
	got, err := svc.LiveChatMessages.Insert([]string{"snippet"}, msg).Do()
	if err != nil {
		t.Fatal(err)
	}
	if got.Snippet.AuthorChannelId != "UCowner" || got.Id == "" {
		t.Errorf("inserted = %+v", got.Snippet)
	}
	page, err := svc.LiveChatMessages.List(ChatIDOf("v1"), []string{"snippet", "authorDetails"}).Do()
	if err != nil || len(page.Items) != 1 || page.Items[0].Snippet.DisplayMessage != "Checkpoint word: MEKONG" {
		t.Fatalf("read back: %v %+v", err, page)
	}
	if fake.QuotaUsed() != 5+5+20+5 {
		t.Errorf("quota used = %d", fake.QuotaUsed())
	}
}

func TestChatLifecycle(t *testing.T) {
	fake, clock, srv := setup(t, Options{History: 2, PollingMillis: 1000, ChatEndedGrace: time.Minute})
	var msgs []Message
	for i := range 5 {
		msgs = append(msgs, Message{AuthorChannelID: "UCa", Text: "hi", PublishedAt: t0.Add(time.Duration(i+2) * time.Minute)})
	}
	if err := fake.AddMessages("v1", msgs...); err != nil {
		t.Fatal(err)
	}
	svc := newClient(t, srv, option.WithHTTPClient(srv.Client()))
	list := func(tok string) (*youtube.LiveChatMessageListResponse, error) {
		c := svc.LiveChatMessages.List(ChatIDOf("v1"), []string{"snippet", "authorDetails"}).MaxResults(200)
		if tok != "" {
			c = c.PageToken(tok)
		}
		return c.Do()
	}
	clock.Set(t0.Add(10 * time.Minute))
	r, err := list("")
	if err != nil || len(r.Items) != 2 || r.NextPageToken == "" || r.PollingIntervalMillis != 1000 {
		t.Fatalf("first read: %v %+v", err, r)
	}
	r2, err := list(r.NextPageToken)
	if err != nil || len(r2.Items) != 0 || r2.NextPageToken == "" {
		t.Fatalf("second read: %v %+v", err, r2)
	}
	if got := fake.Served("v1"); len(got) != 2 {
		t.Errorf("served = %v", got)
	}
	clock.Set(t0.Add(time.Hour + 30*time.Second))
	r3, err := list(r2.NextPageToken)
	if err != nil || r3.OfflineAt == "" {
		t.Fatalf("after end: %v %+v", err, r3)
	}
	clock.Set(t0.Add(time.Hour + time.Minute))
	if _, err := list(r3.NextPageToken); reason(err) != "liveChatEnded" {
		t.Errorf("after grace: %v", err)
	}
	v, err := svc.Videos.List([]string{"snippet", "liveStreamingDetails", "statistics"}).Id("v1").Do()
	if err != nil || v.Items[0].LiveStreamingDetails.ActiveLiveChatId != "" || v.Items[0].Snippet.LiveBroadcastContent != "none" {
		t.Errorf("ended video: %v %+v", err, v.Items[0].LiveStreamingDetails)
	}
}

func TestManualClock(t *testing.T) {
	c := NewManualClock(t0)
	a := c.After(time.Second)
	b := c.After(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := c.BlockUntil(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if next, ok := c.NextDeadline(); !ok || !next.Equal(t0.Add(time.Second)) {
		t.Errorf("next deadline = %v", next)
	}
	c.Advance(30 * time.Second)
	select {
	case got := <-a:
		if !got.Equal(t0.Add(30 * time.Second)) {
			t.Errorf("fired at %v", got)
		}
	default:
		t.Fatal("first timer did not fire")
	}
	select {
	case <-b:
		t.Fatal("second timer fired early")
	default:
	}
	c.Set(t0) // never backwards
	if !c.Now().Equal(t0.Add(30 * time.Second)) {
		t.Errorf("clock went back to %v", c.Now())
	}
	c.Advance(time.Minute)
	<-b
}

func TestAudience(t *testing.T) {
	a := Audience{
		Seed: 42, Start: t0, End: t0.Add(2 * time.Hour),
		Attendees: []Attendee{
			{ChannelID: "UCsomchai000000000000001", Name: "สมชาย ใจดี", Code: "K7QM-4X2P"},
			{ChannelID: "UChuong0000000000000002", Name: "Nguyễn Thị Hương", Code: "B8RT-9Z3W"},
		},
		Checkpoints: []CheckpointWindow{{Word: "MEKONG", OpensAt: t0.Add(30 * time.Minute), ClosesAt: t0.Add(40 * time.Minute)}},
		Lurkers:     50,
		Floods:      []Flood{{At: t0.Add(time.Hour), Size: 2500}},
		Hostile:     true,
		Moderation:  true,
	}
	msgs := a.Generate()
	if !reflect.DeepEqual(msgs, a.Generate()) {
		t.Fatal("not deterministic for one seed")
	}
	a2 := a
	a2.Seed = 43
	if reflect.DeepEqual(msgs, a2.Generate()) {
		t.Error("a different seed gave the same chat")
	}
	ids := map[string]bool{}
	var codes, scripts, hostile, long, types int
	for i, m := range msgs {
		if ids[m.ID] {
			t.Fatalf("duplicate id %s", m.ID)
		}
		ids[m.ID] = true
		if i > 0 && m.PublishedAt.Before(msgs[i-1].PublishedAt) {
			t.Fatal("not in publishedAt order")
		}
		if m.PublishedAt.Before(a.Start) || !m.PublishedAt.Before(a.End) {
			t.Fatalf("message outside the chat: %v", m.PublishedAt)
		}
		if !utf8.ValidString(m.Text) {
			t.Fatalf("invalid utf-8: %q", m.Text)
		}
		up := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(m.Text))
		if strings.Contains(up, "K7QM4X2P") || strings.Contains(m.Text, "Ｋ７ＱＭ") {
			codes++
		}
		if strings.ContainsAny(m.Text, "กขคจ") || strings.ContainsAny(m.Text, "ជភ") || strings.ContainsAny(m.Text, "ສວ") || strings.ContainsAny(m.Text, "မဂ") || strings.Contains(m.Text, "Xin chào") {
			scripts++
		}
		if strings.Contains(m.Text, "onerror") {
			hostile++
		}
		if len(m.Text) > 4000 {
			long++
		}
		if m.Type != "textMessageEvent" {
			types++
		}
	}
	if codes == 0 || scripts == 0 || hostile == 0 || long == 0 || types != 3 {
		t.Errorf("codes=%d scripts=%d hostile=%d long=%d other types=%d", codes, scripts, hostile, long, types)
	}
	if len(msgs) < 2500+50 {
		t.Errorf("only %d messages", len(msgs))
	}
	if got := toFullWidth("K7QM-4X2P"); got != "Ｋ７ＱＭ－４Ｘ２Ｐ" {
		t.Errorf("full width = %q", got)
	}
}

// bearerTransport adds a bearer token, as an OAuth transport does.
type bearerTransport struct{ token string }

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

func TestAddEvent(t *testing.T) {
	clock := NewManualClock(t0.Add(-time.Minute))
	fake := New(clock, Options{})
	n, err := fake.AddEvent(EventScript{VideoID: "demo0000001", Start: t0, Seed: 1,
		Attendees: []Attendee{{ChannelID: "UCa", Name: "A", Code: "K7QM-4X2P"}}})
	if err != nil || n < 2500 {
		t.Fatalf("AddEvent = %d, %v", n, err)
	}
	if got := len(fake.Messages("demo0000001")); got != n {
		t.Errorf("scripted %d, stored %d", n, got)
	}
	if _, err := fake.AddEvent(EventScript{}); err == nil {
		t.Error("event without a video accepted")
	}
}

func TestEnforcePolling(t *testing.T) {
	_, clock, srv := setup(t, Options{PollingMillis: 2000, EnforcePolling: true})
	svc := newClient(t, srv, option.WithHTTPClient(srv.Client()))
	clock.Set(t0.Add(5 * time.Minute))
	r, err := svc.LiveChatMessages.List(ChatIDOf("v1"), []string{"snippet"}).Do()
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(1999 * time.Millisecond)
	if _, err := svc.LiveChatMessages.List(ChatIDOf("v1"), []string{"snippet"}).PageToken(r.NextPageToken).Do(); reason(err) != "rateLimitExceeded" {
		t.Errorf("too soon: %v", err)
	}
	clock.Advance(time.Millisecond)
	if _, err := svc.LiveChatMessages.List(ChatIDOf("v1"), []string{"snippet"}).PageToken(r.NextPageToken).Do(); err != nil {
		t.Errorf("on time: %v", err)
	}
}

func TestDelayFaultHonoursCancellation(t *testing.T) {
	fake, _, srv := setup(t, Options{})
	fake.Inject(Fault{Delay: time.Hour})
	svc := newClient(t, srv, option.WithHTTPClient(srv.Client()))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err := svc.Videos.List([]string{"id"}).Id("v1").Context(ctx).Do()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v", err)
	}
	if time.Since(began) > 5*time.Second {
		t.Error("the delay did not end with the request")
	}
}
