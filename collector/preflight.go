package collector

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/seameo/rollcall/attendance"
)

// The checks `rollcall preflight` makes of YouTube before an event. Each
// call is charged to the quota ledger given, every attempt counted, as the
// daemon charges its own.

// StreamListEndpoint is the streamList server to use: endpoint, or
// YouTube's when it is empty.
func StreamListEndpoint(endpoint string) string {
	if endpoint == "" {
		return DefaultStreamEndpoint
	}
	return endpoint
}

// VideoCheck is one video as preflight sees it in videos.list.
type VideoCheck struct {
	VideoID        string
	ChannelID      string // snippet.channelId: the channel that owns the video
	State          attendance.StreamState
	ChatID         string // activeLiveChatId; empty when chat is off or the stream is over
	ScheduledStart time.Time
	ScheduledEnd   time.Time
}

// CheckVideos reads snippet and liveStreamingDetails of ids, 50 per call
// (1 unit each). Videos YouTube does not return (deleted, private, a typo)
// are missing from the result.
func (y *YouTube) CheckVideos(ctx context.Context, q *Quota, ids []string) ([]VideoCheck, error) {
	var out []VideoCheck
	for start := 0; start < len(ids); start += maxVideosPerCall {
		batch := ids[start:min(start+maxVideosPerCall, len(ids))]
		callCtx, attempts := countAttempts(ctx)
		resp, err := y.svc.Videos.List([]string{"snippet", "liveStreamingDetails"}).
			Id(batch...).MaxResults(maxVideosPerCall).Context(callCtx).Do()
		charge(ctx, q, MethodVideosList, attempts())
		if err != nil {
			return out, y.classify(ctx, MethodVideosList, err)
		}
		for _, v := range resp.Items {
			s := toSample(v)
			c := VideoCheck{VideoID: v.Id, State: s.State, ChatID: s.ChatID, ScheduledStart: s.ScheduledStart, ScheduledEnd: s.ScheduledEnd}
			if v.Snippet != nil {
				c.ChannelID = v.Snippet.ChannelId
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// MyChannel returns the id of the OAuth user's own channel
// (channels.list mine=true, 1 unit).
func (y *YouTube) MyChannel(ctx context.Context, q *Quota) (string, error) {
	callCtx, attempts := countAttempts(ctx)
	resp, err := y.svc.Channels.List([]string{"id"}).Mine(true).Context(callCtx).Do()
	charge(ctx, q, MethodChannelsList, attempts())
	if err != nil {
		return "", y.classify(ctx, MethodChannelsList, err)
	}
	if len(resp.Items) == 0 {
		return "", nil
	}
	return resp.Items[0].Id, nil
}

// ProbeChat reads one page of a live chat's message ids only
// (liveChatMessages.list part=id, maxResults 200: 5 units) and throws it
// away. It tells whether this credential may read the chat: YouTube has no
// field that says "members-only", but an API key gets 403 forbidden there.
func (y *YouTube) ProbeChat(ctx context.Context, q *Quota, chatID string) error {
	callCtx, attempts := countAttempts(ctx)
	_, err := y.svc.LiveChatMessages.List(chatID, []string{"id"}).MaxResults(200).Context(callCtx).Do()
	charge(ctx, q, MethodChatList, attempts()*ChatReadCost)
	if err != nil {
		return y.classify(ctx, MethodChatList, err)
	}
	return nil
}

// charge records units in the ledger; a ledger that cannot be written is
// not a reason to hide what YouTube answered, so the error is dropped
// here and shows in the quota check that reads the ledger afterwards.
func charge(ctx context.Context, q *Quota, method string, units int64) {
	if q != nil {
		_ = q.Spend(context.WithoutCancel(ctx), method, units)
	}
}

// ClockReading is one answer's Date header with the local times the
// request was sent and its answer received.
type ClockReading struct {
	Server   time.Time // the Date header: whole seconds
	Sent     time.Time
	Received time.Time
}

// Skew is how far the local clock is ahead of the server's (negative:
// behind), taking the middle of the round trip as the moment the server
// stamped the answer and the middle of the Date header's second as its time.
func (c ClockReading) Skew() time.Duration {
	local := c.Sent.Add(c.Received.Sub(c.Sent) / 2)
	return local.Sub(c.Server.Add(500 * time.Millisecond))
}

// Uncertainty bounds the error of Skew: half the Date header's one-second
// resolution and half the round trip.
func (c ClockReading) Uncertainty() time.Duration {
	return 500*time.Millisecond + c.Received.Sub(c.Sent)/2
}

// DateRecorder is an http.RoundTripper that remembers the Date header of
// the last answer (errors included) with the local send and receive times,
// so the local clock can be compared with YouTube's at no extra call.
type DateRecorder struct {
	Base http.RoundTripper // default http.DefaultTransport
	Now  func() time.Time  // default time.Now

	mu   sync.Mutex
	last ClockReading
	ok   bool
}

// RoundTrip implements http.RoundTripper.
func (d *DateRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	base, now := d.Base, d.Now
	if base == nil {
		base = http.DefaultTransport
	}
	if now == nil {
		now = time.Now
	}
	sent := now()
	resp, err := base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	received := now()
	if t, perr := http.ParseTime(resp.Header.Get("Date")); perr == nil {
		d.mu.Lock()
		d.last, d.ok = ClockReading{Server: t.UTC(), Sent: sent, Received: received}, true
		d.mu.Unlock()
	}
	return resp, nil
}

// Last returns the last reading; ok is false when no answer carried a Date.
func (d *DateRecorder) Last() (ClockReading, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.last, d.ok
}

// ProbeStreamEndpoint opens a gRPC connection (HTTP/2, over TLS unless
// plaintext) to the streamList server and waits until it is ready or
// ctx ends. It makes no call, so it costs no quota units; it proves the
// network lets gRPC through, not that a chat can be streamed.
func ProbeStreamEndpoint(ctx context.Context, endpoint string, plaintext bool) error {
	creds := credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
	if plaintext {
		creds = insecure.NewCredentials()
	}
	conn, err := grpc.NewClient("passthrough:///"+endpoint, grpc.WithTransportCredentials(creds))
	if err != nil {
		return fmt.Errorf("grpc %s: %w", endpoint, err)
	}
	defer conn.Close()
	conn.Connect()
	for {
		st := conn.GetState()
		switch st {
		case connectivity.Ready:
			return nil
		case connectivity.TransientFailure, connectivity.Shutdown:
			return fmt.Errorf("grpc %s: connection %s%s", endpoint, st, tcpCause(ctx, endpoint))
		}
		if !conn.WaitForStateChange(ctx, st) {
			return fmt.Errorf("grpc %s: not ready (%s): %w", endpoint, st, ctx.Err())
		}
	}
}

// tcpCause tells a refused or unreachable address from a server that
// accepts TCP but not gRPC (a proxy that blocks HTTP/2, TLS trouble):
// grpc-go keeps the reason of a failed connection to itself.
func tcpCause(ctx context.Context, endpoint string) string {
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := (&net.Dialer{}).DialContext(dctx, "tcp", endpoint)
	if err != nil {
		return " (tcp: " + err.Error() + ")"
	}
	c.Close()
	return " (tcp connects, but no gRPC over it: TLS or HTTP/2 blocked?)"
}

// LoopbackEndpoint reports whether host:port names this machine, where a
// test or a local proxy serves gRPC without TLS.
func LoopbackEndpoint(endpoint string) bool {
	host, _, err := net.SplitHostPort(endpoint)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Quota estimate of an event, for preflight.
const (
	// MinUsefulChatInterval is the slowest chat polling that still serves
	// the event: a read a minute keeps checkpoint hits and check-ins on
	// the live page within a minute, and matches the longest wait the
	// collector accepts from the server (MaxPollInterval).
	MinUsefulChatInterval = MaxPollInterval
	// StreamConnectionAllowance is how often a streamList connection is
	// assumed to be reopened (5 units each). YouTube does not document how
	// long a stream stays open; this is a safe margin, not a measurement.
	StreamConnectionAllowance = 10 * time.Minute
	// preStartWindow is how long before the start the daemon is assumed to
	// be sampling (staff start it before the stream: the first chat read
	// returns only recent history).
	preStartWindow = time.Hour
)

// UnitsEstimate is the quota units an event is expected to need.
type UnitsEstimate struct {
	StatsCalls int64 // videos.list calls, 1 unit each
	ChatCalls  int64 // chat reads (polling) or connections (streaming), 5 units each
	Streaming  bool  // ChatCalls are streamList connections
	Total      int64
}

// EstimateEventUnits estimates the units an event of length starting at
// start (zero: now) with videos videos, of which chats have a chat, needs:
// videos.list at the watcher's cadence (SampleInterval) from an hour before
// the start to the end, all videos in one call per 50; and chat read at the
// collector's minimum useful cadence — polling once per
// MinUsefulChatInterval per chat, or one streamList connection per
// StreamConnectionAllowance per chat — plus one read per chat to drain it.
func EstimateEventUnits(now, start time.Time, length time.Duration, videos, chats int, streaming bool) UnitsEstimate {
	if start.IsZero() || start.Before(now) {
		start = now
	}
	length = max(length, 0)
	batches := int64((max(videos, 1) + maxVideosPerCall - 1) / maxVideosPerCall)
	var rounds int64
	s := attendance.Stream{State: attendance.StreamUpcoming, ScheduledStart: start}
	from := start.Add(-preStartWindow)
	if from.Before(now) {
		from = now
	}
	for t := from; t.Before(start); t = t.Add(SampleInterval(s, t)) {
		rounds++
	}
	s.State = attendance.StreamLive
	end := start.Add(length)
	for t := start; t.Before(end); t = t.Add(SampleInterval(s, t)) {
		rounds++
	}
	e := UnitsEstimate{StatsCalls: rounds * batches, Streaming: streaming}
	every := MinUsefulChatInterval
	if streaming {
		every = StreamConnectionAllowance
	}
	perChat := int64((length+every-1)/every) + 1
	e.ChatCalls = perChat * int64(max(chats, 0))
	e.Total = e.StatsCalls + ChatReadCost*e.ChatCalls
	return e
}
