package collector

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/collector/fakeyoutube"
)

// streamScenario is newScenario with the fake's gRPC server running and a
// StreamSource on it.
func streamScenario(t *testing.T, clock fakeyoutube.Clock, start time.Time, length time.Duration, aud fakeyoutube.Audience, opts fakeyoutube.Options) (*scenario, *StreamSource) {
	t.Helper()
	sc := newScenario(t, clock.(interface {
		Now() time.Time
		After(time.Duration) <-chan time.Time
	}), start, length, aud, opts)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- sc.fake.ServeGRPC(lis) }()
	t.Cleanup(func() {
		sc.fake.StopGRPC()
		<-served
	})
	src, err := NewStreamSource(context.Background(), StreamConfig{Endpoint: lis.Addr().String(), Insecure: true,
		APIKey: testKey, Metrics: sc.metrics})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	return sc, src
}

func runStreamCollector(t *testing.T, c *Collector, sc *scenario) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx) }()
	select {
	case <-c.Done():
	case <-time.After(60 * time.Second):
		t.Fatalf("not done; health = %+v; stream = %+v", c.Health(), sc.store.stream(1))
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of cancel")
	}
}

// The two tests below still play their event on a sped-up wall clock and
// so race a loaded machine. They cannot run in a synctest bubble as the
// REST end-to-end tests do: streamList is gRPC over a loopback socket,
// which is not durably blocking, and StreamConfig has no dialer through
// which an in-memory connection could be given.

// A whole event read through streamList: streams cut every 25 responses,
// closed by the server every 10 s, dropped by faults and on command, each
// resumed with the last committed token; every message is committed once
// and the ledger agrees with the fake to the unit.
func TestCollectorStreamsEveryMessageOnce(t *testing.T) {
	start := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	// A speed clock (streamList runs over a loopback socket, which a
	// synctest bubble cannot hold): the first read takes the whole history
	// and chat stays readable for hours after the end, so a loaded machine
	// that starts late or drains slowly loses nothing the test is not about.
	clock := fakeyoutube.NewSpeedClock(start.Add(-40*time.Minute), 500)
	aud := fakeyoutube.Audience{Seed: 11, Attendees: attendees(150), Lurkers: 300, Hostile: true, Moderation: true,
		Floods: []fakeyoutube.Flood{{At: start.Add(20 * time.Minute), Size: 3000}}}
	sc, src := streamScenario(t, clock, start, time.Hour, aud,
		fakeyoutube.Options{History: 100000, ChatEndedGrace: 6 * time.Hour, StreamDisconnectEvery: 25})
	sc.fake.InjectEvery(6, fakeyoutube.Fault{Method: fakeyoutube.MethodChatStream, Status: 503})
	sc.fake.Inject(fakeyoutube.Fault{Method: fakeyoutube.MethodChatStream, Drop: true})
	sc.fake.Inject(fakeyoutube.Fault{Method: fakeyoutube.MethodChatStream, Status: 403, Reason: "rateLimitExceeded"})

	c, err := New(Config{QuotaProject: "test-key", Clock: clock, RefreshInterval: 10 * time.Second, Streamer: src},
		sc.yt, sc.store, sc.metrics, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() { // a few disconnects on command while the event runs
		for range 5 {
			select {
			case <-stop:
				return
			case <-time.After(500 * time.Millisecond):
				sc.fake.DisconnectStreams()
			}
		}
	}()
	runStreamCollector(t, c, sc)

	st := sc.store.stream(1)
	if st.State != attendance.StreamEnded || st.ChatState != attendance.ChatDrained {
		t.Errorf("stream = %s/%s, want ended/drained", st.State, st.ChatState)
	}
	checkExactlyOnce(t, sc)
	if got, all := len(sc.store.commits), len(sc.fake.Messages(sc.video)); got != all {
		t.Errorf("committed %d of %d scripted messages", got, all)
	}
	if n := sc.fake.Calls(fakeyoutube.MethodChatList); n != 0 {
		t.Errorf("%d liveChatMessages.list calls; streaming should need none", n)
	}
	used, _ := sc.store.QuotaUsed(context.Background(), "test-key", QuotaDay(start, c.quota.loc))
	if fakeUsed := sc.fake.QuotaUsed(); used != fakeUsed {
		t.Errorf("ledger says %d units, the fake counted %d", used, fakeUsed)
	}
	if n := testutil.ToFloat64(sc.metrics.errors.WithLabelValues(MethodChatStream, "transient")); n < 3 {
		t.Errorf("transient stream errors counted = %v", n)
	}
	t.Logf("messages=%d pages=%d units=%d stream_calls=%d videos_calls=%d", len(sc.store.commits), sc.store.pages, used,
		sc.fake.Calls(fakeyoutube.MethodChatStream), sc.fake.Calls(fakeyoutube.MethodVideosList))
}

// A server that refuses streamList (UNIMPLEMENTED) makes the collector
// fall back to polling, and the event is still read whole.
func TestCollectorFallsBackToPolling(t *testing.T) {
	start := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	clock := fakeyoutube.NewSpeedClock(start.Add(-40*time.Minute), 500) // margins as in TestCollectorStreamsEveryMessageOnce
	aud := fakeyoutube.Audience{Seed: 12, Attendees: attendees(50), Lurkers: 100}
	sc, src := streamScenario(t, clock, start, 30*time.Minute, aud,
		fakeyoutube.Options{History: 100000, PollingMillis: 3000, ChatEndedGrace: 6 * time.Hour})
	sc.fake.InjectEvery(1, fakeyoutube.Fault{Method: fakeyoutube.MethodChatStream, Status: 501, Reason: "notImplemented"})

	c, err := New(Config{QuotaProject: "test-key", Clock: clock, RefreshInterval: 10 * time.Second, Streamer: src},
		sc.yt, sc.store, sc.metrics, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	runStreamCollector(t, c, sc)
	checkExactlyOnce(t, sc)
	if got, all := len(sc.store.commits), len(sc.fake.Messages(sc.video)); got != all {
		t.Errorf("committed %d of %d scripted messages", got, all)
	}
	if n := sc.fake.Calls(fakeyoutube.MethodChatList); n == 0 {
		t.Error("no liveChatMessages.list call: the collector did not fall back to polling")
	}
	if n := testutil.ToFloat64(sc.metrics.errors.WithLabelValues(MethodChatStream, "streaming_unsupported")); n < 1 {
		t.Errorf("streaming_unsupported errors counted = %v", n)
	}
}
