package collector

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/seameo/rollcall/collector/fakeyoutube"
)

// TestPreflightCalls: CheckVideos returns the owning channel and the chat
// id, ProbeChat tells a members-only chat (403 forbidden) from a readable
// one, and every call is charged to the quota ledger at its price.
func TestPreflightCalls(t *testing.T) {
	env := newFakeEnv(t, fakeyoutube.Options{})
	env.clock.Set(t0.Add(10 * time.Minute)) // live
	st := newMemStore(env.clock)
	q, err := NewQuota(st, "seameo", 10000, 0, env.clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	vs, err := env.yt.CheckVideos(ctx, q, []string{"vid00000001", "gone0000001"})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 || vs[0].ChannelID != "UCowner" || vs[0].ChatID != fakeyoutube.ChatIDOf("vid00000001") || vs[0].State != "live" {
		t.Fatalf("CheckVideos = %+v", vs)
	}
	if err := env.yt.ProbeChat(ctx, q, vs[0].ChatID); err != nil {
		t.Fatalf("ProbeChat = %v", err)
	}
	env.fake.Inject(fakeyoutube.Fault{Method: fakeyoutube.MethodChatList, Status: 403, Reason: "forbidden"})
	if err := env.yt.ProbeChat(ctx, q, vs[0].ChatID); !errors.Is(err, ErrForbidden) {
		t.Fatalf("ProbeChat of a members-only chat = %v, want ErrForbidden", err)
	}
	if used, _ := st.QuotaUsed(ctx, "seameo", QuotaDay(env.clock.Now(), q.loc)); used != 1+5+5 || env.fake.QuotaUsed() != used {
		t.Fatalf("ledger holds %d units, the fake charged %d; want 11", used, env.fake.QuotaUsed())
	}
}

func TestClockReadingSkew(t *testing.T) {
	server := time.Date(2026, 12, 5, 4, 0, 0, 0, time.UTC) // the Date header: whole seconds
	for _, tt := range []struct {
		name       string
		sent, recv time.Duration // relative to server
		skew       time.Duration
	}{
		{"in step", 400 * time.Millisecond, 600 * time.Millisecond, 0},
		{"ten seconds ahead", 10*time.Second + 400*time.Millisecond, 10*time.Second + 600*time.Millisecond, 10 * time.Second},
		{"five seconds behind", -5*time.Second + 300*time.Millisecond, -5*time.Second + 700*time.Millisecond, -5 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := ClockReading{Server: server, Sent: server.Add(tt.sent), Received: server.Add(tt.recv)}
			if got := c.Skew(); got != tt.skew {
				t.Fatalf("Skew = %s, want %s", got, tt.skew)
			}
			if got, want := c.Uncertainty(), 500*time.Millisecond+(tt.recv-tt.sent)/2; got != want {
				t.Fatalf("Uncertainty = %s, want %s", got, want)
			}
		})
	}
}

func TestDateRecorder(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", "Sat, 05 Dec 2026 04:00:00 GMT")
		w.WriteHeader(http.StatusBadRequest) // errors carry a Date too
	}))
	defer srv.Close()
	d := &DateRecorder{}
	if _, ok := d.Last(); ok {
		t.Fatal("a reading before any answer")
	}
	resp, err := (&http.Client{Transport: d}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	c, ok := d.Last()
	if !ok || !c.Server.Equal(time.Date(2026, 12, 5, 4, 0, 0, 0, time.UTC)) || c.Received.Before(c.Sent) {
		t.Fatalf("Last = %+v, %v", c, ok)
	}
}

func TestProbeStreamEndpoint(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	go func() { _ = srv.Serve(ln) }()
	defer srv.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ProbeStreamEndpoint(ctx, ln.Addr().String(), true); err != nil {
		t.Fatalf("a gRPC server on loopback: %v", err)
	}

	// an HTTP/1 server is no gRPC server
	h1 := httptest.NewServer(http.NotFoundHandler())
	defer h1.Close()
	if err := ProbeStreamEndpoint(ctx, h1.Listener.Addr().String(), true); err == nil {
		t.Fatal("an HTTP/1 server passed as gRPC")
	}
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := closed.Addr().String()
	closed.Close()
	if err := ProbeStreamEndpoint(ctx, addr, true); err == nil {
		t.Fatal("a closed port passed")
	}
}

func TestLoopbackEndpoint(t *testing.T) {
	for ep, want := range map[string]bool{
		"127.0.0.1:9000": true, "[::1]:443": true, "localhost:50051": true,
		"youtube.googleapis.com:443": false, "10.0.0.1:443": false, "nonsense": false,
	} {
		if got := LoopbackEndpoint(ep); got != want {
			t.Errorf("LoopbackEndpoint(%q) = %v, want %v", ep, got, want)
		}
	}
}

func TestEstimateEventUnits(t *testing.T) {
	now := time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name      string
		start     time.Time
		length    time.Duration
		videos    int
		chats     int
		streaming bool
		want      UnitsEstimate
	}{
		// live now for 4 h: a videos.list every 30 s (480), a poll a minute (240 + 1 to drain)
		{"polling, live now", now, 4 * time.Hour, 1, 1, false, UnitsEstimate{StatsCalls: 480, ChatCalls: 241, Total: 480 + 5*241}},
		// an hour ahead: 50 samples a minute apart, 40 every 15 s in the last 10 minutes
		{"streaming, an hour ahead", now.Add(time.Hour), 4 * time.Hour, 1, 1, true, UnitsEstimate{StatsCalls: 90 + 480, ChatCalls: 25, Streaming: true, Total: 570 + 5*25}},
		// a day ahead: only the hour before counts, as the daemon is started then
		{"a day ahead", now.Add(24 * time.Hour), time.Hour, 1, 1, true, UnitsEstimate{StatsCalls: 90 + 120, ChatCalls: 7, Streaming: true, Total: 210 + 35}},
		// 60 videos need two videos.list calls a round; three chats
		{"many videos", now, time.Hour, 60, 3, false, UnitsEstimate{StatsCalls: 2 * 120, ChatCalls: 3 * 61, Total: 240 + 5*183}},
		{"a start in the past counts from now", now.Add(-time.Hour), time.Hour, 1, 0, false, UnitsEstimate{StatsCalls: 120, Total: 120}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := EstimateEventUnits(now, tt.start, tt.length, tt.videos, tt.chats, tt.streaming); got != tt.want {
				t.Fatalf("EstimateEventUnits = %+v, want %+v", got, tt.want)
			}
		})
	}
}
