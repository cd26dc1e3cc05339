package dashboard

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/seameo/rollcall/attendance"
)

// GaugeSource computes the attendance gauges (the store, handed over by cmd).
type GaugeSource interface {
	Ping(ctx context.Context) error
	MetricGauges(ctx context.Context) (attendance.AttendanceGauges, error)
}

// storePingTimeout bounds the database ping behind both /readyz and
// rollcall_store_up, so that the two always tell the same story.
const storePingTimeout = 2 * time.Second

// AttendanceCollector is a prometheus.Collector that reads the attendance
// gauges from the store at scrape time, under a timeout. Labels hold event
// slugs, roles, checkpoint numbers, video ids and certificate types only.
//
// rollcall_store_up is the database ping alone (as /readyz does it): a
// count query that is slow or fails leaves it at 1, skips the gauges of
// that scrape and counts in rollcall_store_scrape_errors_total{reason}
// instead, so DatabaseUnreachable means what it says.
type AttendanceCollector struct {
	src     GaugeSource
	timeout time.Duration
	log     *slog.Logger

	registrations, linked, checkpointHits, forms, certificates, chatAuthors, eventChatAuthors, up *prometheus.Desc
	reachViews, reachMinutes, reachCountryViews                                                   *prometheus.Desc
	// scrapeErrors counts the scrapes whose gauge queries failed, by
	// reason: timeout (past the scrape's database time) or error.
	scrapeErrors *prometheus.CounterVec
}

// NewAttendanceCollector returns a collector over src; each scrape gets at
// most timeout (default 5 s) of database time for the gauges, after a ping
// of at most 2 s.
func NewAttendanceCollector(src GaugeSource, timeout time.Duration, log *slog.Logger) *AttendanceCollector {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	scrapeErrors := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rollcall_store_scrape_errors_total",
		Help: "Scrapes whose attendance gauge queries failed although the database answered its ping, by reason (timeout, error)."}, []string{"reason"})
	for _, r := range []string{"timeout", "error"} {
		scrapeErrors.WithLabelValues(r)
	}
	return &AttendanceCollector{src: src, timeout: timeout, log: log, scrapeErrors: scrapeErrors,
		registrations:  prometheus.NewDesc("rollcall_registrations", "People registered for an event, by role.", []string{"event", "role"}, nil),
		linked:         prometheus.NewDesc("rollcall_attendance_linked", "Registrations linked to a chat channel.", []string{"event"}, nil),
		checkpointHits: prometheus.NewDesc("rollcall_checkpoint_hits", "Registrations that hit a checkpoint, by checkpoint number.", []string{"event", "checkpoint"}, nil),
		forms:          prometheus.NewDesc("rollcall_forms_submitted", "Assessment form responses imported.", []string{"event"}, nil),
		certificates:   prometheus.NewDesc("rollcall_certificates_eligible", "Certificates issued and not revoked, by type.", []string{"event", "type"}, nil),
		chatAuthors:    prometheus.NewDesc("rollcall_chat_authors", "Distinct chat channels that wrote in a stream.", []string{"event", "video"}, nil),
		eventChatAuthors: prometheus.NewDesc("rollcall_event_chat_authors",
			"Distinct chat channels that wrote in any stream of an event (a channel in two streams counts once).", []string{"event"}, nil),
		reachViews: prometheus.NewDesc("rollcall_reach_views", "Views of an ended stream's video as YouTube Analytics last reported them, live or on demand (fetched after the end, then daily for a week).",
			[]string{"event", "video", "live_or_on_demand"}, prometheus.Labels{"source": "analytics"}),
		reachMinutes: prometheus.NewDesc("rollcall_reach_minutes_watched", "Estimated minutes watched of an ended stream's video as YouTube Analytics last reported them, live or on demand.",
			[]string{"event", "video", "live_or_on_demand"}, prometheus.Labels{"source": "analytics"}),
		reachCountryViews: prometheus.NewDesc("rollcall_reach_country_views", "Views of an ended stream's video by viewer country (ISO 3166-1 alpha-2, top 50) as YouTube Analytics last reported them.",
			[]string{"event", "video", "country"}, prometheus.Labels{"source": "analytics"}),
		up: prometheus.NewDesc("rollcall_store_up", "Whether the database answered a ping at the last scrape (1) or not (0), as /readyz checks it.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *AttendanceCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.registrations, c.linked, c.checkpointHits, c.forms, c.certificates, c.chatAuthors, c.eventChatAuthors, c.up,
		c.reachViews, c.reachMinutes, c.reachCountryViews} {
		ch <- d
	}
	c.scrapeErrors.Describe(ch)
}

// Collect implements prometheus.Collector.
func (c *AttendanceCollector) Collect(ch chan<- prometheus.Metric) {
	defer c.scrapeErrors.Collect(ch)
	pctx, cancel := context.WithTimeout(context.Background(), storePingTimeout)
	err := c.src.Ping(pctx)
	cancel()
	if err != nil {
		c.log.Warn("metrics: database unreachable", "err", err)
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	g, err := c.src.MetricGauges(ctx)
	if err != nil {
		reason := "error"
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			reason = "timeout"
		}
		c.log.Warn("metrics: attendance gauges", "reason", reason, "err", err)
		c.scrapeErrors.WithLabelValues(reason).Inc()
		return
	}
	for _, set := range []struct {
		d  *prometheus.Desc
		gs []attendance.Gauge
	}{{c.registrations, g.Registrations}, {c.linked, g.Linked}, {c.checkpointHits, g.CheckpointHits}, {c.forms, g.Forms},
		{c.certificates, g.Certificates}, {c.chatAuthors, g.ChatAuthors}, {c.eventChatAuthors, g.EventChatAuthors},
		{c.reachViews, g.ReachViews}, {c.reachMinutes, g.ReachMinutes}, {c.reachCountryViews, g.ReachCountryViews}} {
		for _, v := range set.gs {
			ch <- prometheus.MustNewConstMetric(set.d, prometheus.GaugeValue, v.Value, v.Labels...)
		}
	}
}

// RegisterMetrics registers the dashboard's metrics on reg: the attendance
// gauges computed from src at scrape time, and rollcall_build_info.
func RegisterMetrics(reg prometheus.Registerer, src GaugeSource, version string, log *slog.Logger) error {
	bi := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rollcall_build_info", Help: "The version rollcall was built from (always 1)."},
		[]string{"version", "goversion"})
	bi.WithLabelValues(version, runtime.Version()).Set(1)
	if err := reg.Register(bi); err != nil {
		return err
	}
	return reg.Register(NewAttendanceCollector(src, 5*time.Second, log))
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	if tok := s.cfg.MetricsToken; tok != "" {
		got := r.Header.Get("Authorization")
		if subtle.ConstantTimeCompare([]byte(got), []byte("Bearer "+tok)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics need a bearer token", http.StatusUnauthorized)
			return
		}
	}
	g := s.cfg.Gatherer
	if g == nil {
		g = prometheus.NewRegistry()
	}
	promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn), Timeout: 10 * time.Second}).ServeHTTP(w, r)
}
