package collector

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seameo/rollcall/attendance"
)

// Metrics are the collector's Prometheus metrics. Labels are bounded: event
// slug, video id, method, message type, status code, error reason — never a
// person, a channel id or free text. Build one with NewMetrics and hand it
// to NewYouTube and New; a nil *Metrics records nothing.
type Metrics struct {
	streamLive        *prometheus.GaugeVec
	viewers           *prometheus.GaugeVec
	views             *prometheus.GaugeVec
	likes             *prometheus.GaugeVec
	expectedEnd       *prometheus.GaugeVec
	messages          *prometheus.CounterVec
	pollLag           *prometheus.HistogramVec
	lastCommit        *prometheus.GaugeVec
	backoff           *prometheus.GaugeVec
	requests          *prometheus.CounterVec
	errors            *prometheus.CounterVec
	quotaUsed         *prometheus.CounterVec
	quotaRemaining    prometheus.Gauge
	quotaPaused       prometheus.Gauge
	quotaExhaustionAt prometheus.Gauge
	storeErrors       *prometheus.CounterVec
	chatState         *prometheus.GaugeVec
	gaps              *prometheus.CounterVec
	reconnects        *prometheus.CounterVec
	scheduledStart    *prometheus.GaugeVec
	quotaProject      *prometheus.GaugeVec
}

// Chat-state gauge values (rollcall_chat_state's state label): exactly one
// is 1 per stream. They fold the stored attendance.ChatState and the
// video's state into what an operator acts on.
const (
	StateWaiting     = "waiting"     // no chat yet (upcoming, or the chat id is not known or not found)
	StateStreaming   = "streaming"   // read with streamList
	StatePolling     = "polling"     // read with liveChatMessages.list
	StateBackoff     = "backoff"     // reads fail for now and are retried
	StateGap         = "gap"         // restarted without a token; a gap was recorded
	StateEnded       = "ended"       // the video ended and the chat is drained
	StateDisabled    = "disabled"    // the owner turned chat off (re-checked while live)
	StateForbidden   = "forbidden"   // the credential may not read it (re-checked while live)
	StateStopped     = "stopped"     // a request YouTube will never accept: needs a human
	StateUnavailable = "unavailable" // videos.list no longer returns the video
)

// ChatStates are every value of rollcall_chat_state's state label.
var ChatStates = []string{StateWaiting, StateStreaming, StatePolling, StateBackoff, StateGap, StateEnded,
	StateDisabled, StateForbidden, StateStopped, StateUnavailable}

// Store operations counted by rollcall_store_errors_total.
const (
	OpCommitChatPage = "commit_chat_page"
	OpRecordSample   = "record_sample"
	OpTrackedStreams = "tracked_streams"
	OpQuotaLedger    = "quota_ledger"
	OpSetChatState   = "set_chat_state"
	OpLease          = "lease"
)

// errorReasons are the reason labels of rollcall_youtube_errors_total,
// created at zero so that rates and alerts see them before the first error.
var errorReasons = []string{"quota_exceeded", "rate_limited", "chat_ended", "chat_disabled", "chat_not_found",
	"forbidden", "key_invalid", "grant_invalid", "page_token_invalid", "bad_request", "streaming_unsupported", "transient", "other"}

// NewMetrics creates the collector's metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	sv := []string{"event", "video"}
	m := &Metrics{
		streamLive: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rollcall_stream_live", Help: "1 while the stream is live, else 0.",
		}, sv),
		viewers: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rollcall_stream_concurrent_viewers", Help: "Concurrent viewers as YouTube last reported them while live.",
		}, sv),
		views: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rollcall_stream_views", Help: "View count as YouTube reports it.",
		}, sv),
		likes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rollcall_stream_likes", Help: "Like count as YouTube reports it.",
		}, sv),
		expectedEnd: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rollcall_stream_expected_end_timestamp_seconds", Help: "When the quota planner expects the stream to end (unix seconds).",
		}, sv),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rollcall_chat_messages_total", Help: "Chat messages committed, by YouTube message type.",
		}, []string{"event", "video", "type"}),
		pollLag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rollcall_chat_poll_lag_seconds",
			Help:    "Time from a chat message's publishedAt to its commit.",
			Buckets: []float64{1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 300, 600},
		}, sv),
		lastCommit: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rollcall_chat_last_commit_timestamp_seconds", Help: "When the last chat page was committed (unix seconds).",
		}, sv),
		backoff: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rollcall_collector_backoff", Help: "1 while the stream's chat poller backs off after errors, else 0.",
		}, sv),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rollcall_youtube_requests_total", Help: "YouTube API requests by method and HTTP status code (\"error\" when no response came).",
		}, []string{"method", "code"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rollcall_youtube_errors_total", Help: "Failed YouTube API calls by method and classified reason.",
		}, []string{"method", "reason"}),
		quotaUsed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rollcall_youtube_quota_used_units_total", Help: "YouTube quota units spent by this process, failed calls included.",
		}, []string{"method"}),
		quotaRemaining: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rollcall_youtube_quota_remaining_units", Help: "Units left of the day's YouTube quota budget (shared ledger).",
		}),
		quotaPaused: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rollcall_youtube_quota_paused", Help: "1 while no YouTube call is made until the Pacific-midnight reset.",
		}),
		quotaExhaustionAt: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rollcall_youtube_quota_exhaustion_timestamp_seconds", Help: "Projected time the day's budget runs out at the current spend rate (unix seconds); 0 when not projected.",
		}),
	}
	m.storeErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rollcall_store_errors_total", Help: "Failed database operations of the collector, by operation.",
	}, []string{"operation"})
	for _, op := range []string{OpCommitChatPage, OpRecordSample, OpTrackedStreams, OpQuotaLedger, OpSetChatState, OpLease} {
		m.storeErrors.WithLabelValues(op)
	}
	m.chatState = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "rollcall_chat_state", Help: "1 for the current chat-capture state of the stream (waiting, streaming, polling, backoff, gap, ended, disabled, forbidden, stopped, unavailable), 0 for the others.",
	}, []string{"event", "video", "state"})
	m.gaps = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rollcall_chat_gaps_total", Help: "Spans of chat that YouTube no longer served (expired page token, replaced chat), recorded for staff to fill with a replay import.",
	}, sv)
	m.reconnects = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rollcall_chat_source_reconnects_total", Help: "Chat streams (streamList) opened again after the server closed one or it failed.",
	}, sv)
	m.quotaProject = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "rollcall_youtube_quota_project_info", Help: "1 for the Cloud project whose daily quota the ledger keeps (a name, never a key).",
	}, []string{"project"})
	m.scheduledStart = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "rollcall_stream_scheduled_start_timestamp_seconds", Help: "The stream's scheduled start as YouTube reports it (unix seconds).",
	}, sv)
	for _, method := range []string{MethodVideosList, MethodChatList, MethodChatStream} {
		for _, reason := range errorReasons {
			m.errors.WithLabelValues(method, reason)
		}
	}
	for _, c := range []prometheus.Collector{
		m.storeErrors, m.streamLive, m.viewers, m.views, m.likes, m.expectedEnd, m.messages, m.pollLag, m.lastCommit,
		m.backoff, m.requests, m.errors, m.quotaUsed, m.quotaRemaining, m.quotaPaused, m.quotaExhaustionAt,
		m.chatState, m.gaps, m.reconnects, m.scheduledStart, m.quotaProject,
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("collector: register metrics: %w", err)
		}
	}
	return m, nil
}

// countStoreError counts a failed database operation.
func (m *Metrics) countStoreError(op string) {
	if m != nil {
		m.storeErrors.WithLabelValues(op).Inc()
	}
}

func (m *Metrics) countRequest(method, code string) {
	if m != nil {
		m.requests.WithLabelValues(method, code).Inc()
	}
}

func (m *Metrics) countError(method string, err error) {
	if m != nil {
		m.errors.WithLabelValues(method, ReasonLabel(err)).Inc()
	}
}

func (m *Metrics) setBackoff(event, video string, on bool) {
	if m == nil {
		return
	}
	v := 0.0
	if on {
		v = 1
	}
	m.backoff.WithLabelValues(event, video).Set(v)
}

func (m *Metrics) setExpectedEnd(event, video string, end time.Time) {
	if m != nil && !end.IsZero() {
		m.expectedEnd.WithLabelValues(event, video).Set(float64(end.Unix()))
	}
}

func (m *Metrics) setLive(s attendance.Stream, live bool) {
	if m == nil {
		return
	}
	v := 0.0
	if live {
		v = 1
	}
	m.streamLive.WithLabelValues(s.EventSlug, s.VideoID).Set(v)
}

// setChatState sets the stream's rollcall_chat_state: state to 1, every
// other state to 0.
func (m *Metrics) setChatState(event, video, state string) {
	if m == nil {
		return
	}
	for _, st := range ChatStates {
		v := 0.0
		if st == state {
			v = 1
		}
		m.chatState.WithLabelValues(event, video, st).Set(v)
	}
}

func (m *Metrics) countGap(event, video string) {
	if m != nil {
		m.gaps.WithLabelValues(event, video).Inc()
	}
}

func (m *Metrics) countReconnect(event, video string) {
	if m != nil {
		m.reconnects.WithLabelValues(event, video).Inc()
	}
}

func (m *Metrics) setScheduledStart(event, video string, at time.Time) {
	if m != nil && !at.IsZero() {
		m.scheduledStart.WithLabelValues(event, video).Set(float64(at.Unix()))
	}
}

// track creates a tracked stream's counters at zero, so that rates and
// alerts see them before the first gap or reconnect.
func (m *Metrics) track(event, video string) {
	if m != nil {
		m.gaps.WithLabelValues(event, video)
		m.reconnects.WithLabelValues(event, video)
	}
}

// markUpToDate records that the stream's chat was read up to now although
// no page was committed (a streamList connection that closed with nothing
// new): the stall alert looks at the last commit.
func (m *Metrics) markUpToDate(event, video string, at time.Time) {
	if m != nil {
		m.lastCommit.WithLabelValues(event, video).Set(float64(at.Unix()))
	}
}
