package collector_test

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seameo/rollcall/collector"
	"github.com/seameo/rollcall/collector/fakeyoutube"
)

// Example shows how rollcall demo wires the fake YouTube, the adapter over
// the real client and the collector: a two-hour event played 40 times
// faster than real time, on loopback, with no credentials.
func Example() {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	start := time.Now().UTC().Add(2 * time.Minute)
	clock := fakeyoutube.NewSpeedClock(time.Now().UTC(), 40)

	fake := fakeyoutube.New(clock, fakeyoutube.Options{})
	_, _ = fake.AddEvent(fakeyoutube.EventScript{
		VideoID: "demoVideo01", Start: start, Length: 2 * time.Hour, Seed: 1,
		Attendees: []fakeyoutube.Attendee{{ChannelID: "UCdemo000000000000000001", Name: "สมชาย ใจดี", Code: "K7QM-4X2P"}},
	})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() { _ = http.Serve(ln, fake) }()

	reg := prometheus.NewRegistry()
	metrics, _ := collector.NewMetrics(reg)
	yt, _ := collector.NewYouTube(ctx, collector.YouTubeConfig{
		APIKey:   "demo", // the fake accepts any key when Options.APIKey is empty
		Endpoint: "http://" + ln.Addr().String() + "/",
		Metrics:  metrics,
	})
	var store collector.Store = demoStore{} // the lead's attendance/store
	c, _ := collector.New(collector.Config{
		QuotaProject: "demo", QuotaDaily: 10000, EventDuration: 2 * time.Hour, Clock: clock,
	}, yt, store, metrics, logger)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = c.Run(ctx) }()
	<-c.Done() // serve --until-ended: every stream ended and drained
}

// demoStore stands in for attendance/store in the example.
type demoStore struct{ collector.Store }
