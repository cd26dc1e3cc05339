package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/api/youtubeanalytics/v2"

	"github.com/seameo/rollcall/attendance"
)

// MethodAnalyticsQuery is YouTube Analytics' reports.query, as the quota
// ledger names it. The Analytics API's quota is its own, not the Data
// API's: calls are recorded under the project's name with "/analytics"
// appended, so they never eat into the chat budget.
const MethodAnalyticsQuery = "youtubeAnalytics.reports.query"

// reachLookBack is how far before a stream's end its Analytics query
// starts (a stream scheduled the evening before, Pacific time).
const reachLookBack = 24 * time.Hour

// Analytics reads YouTube Analytics reports of the channel owner's videos
// (developers.google.com/youtube/analytics/reference/reports/query:
// ids=channel==MINE, filters=video==ID) through the real
// google.golang.org/api/youtubeanalytics/v2 client. It needs the owner's
// OAuth token with the yt-analytics.readonly scope.
type Analytics struct {
	svc     *youtubeanalytics.Service
	metrics *Metrics
}

// AnalyticsConfig configures the Analytics client.
type AnalyticsConfig struct {
	TokenSource oauth2.TokenSource // the channel owner's token; a *RefreshingTokenSource is refreshed and retried once on 401
	Endpoint    string             // API base URL; empty is YouTube Analytics. The fake: srv.URL + "/"
	Transport   http.RoundTripper  // base transport; default a clone of http.DefaultTransport
	Timeout     time.Duration      // per request; default 30 s
	Metrics     *Metrics           // may be nil
}

// NewAnalytics builds the client. It makes no call.
func NewAnalytics(ctx context.Context, cfg AnalyticsConfig) (*Analytics, error) {
	if cfg.TokenSource == nil {
		return nil, errors.New("analytics: the channel owner's oauth token is needed (yt-analytics.readonly)")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultRequestTimeout
	}
	rt := &bearerTransport{source: cfg.TokenSource, base: &limitTransport{base: baseTransport(cfg.Transport), limit: DefaultMaxBodyBytes}}
	svc, err := youtubeanalytics.NewService(ctx, clientOptions(rt, cfg.Timeout, cfg.Endpoint)...)
	if err != nil {
		return nil, fmt.Errorf("analytics: new service: %w", err)
	}
	return &Analytics{svc: svc, metrics: cfg.Metrics}, nil
}

// reachQueries are the reports fetched per video: totals split by live and
// on-demand playback, views by day, and the top 50 countries.
var reachQueries = []struct {
	dimension, apiDimension, metrics, sort string
	max                                    int64
}{
	{attendance.ReachByPlayback, "liveOrOnDemand", "views,estimatedMinutesWatched,averageViewDuration,subscribersGained", "", 0},
	{attendance.ReachByDay, "day", "views,estimatedMinutesWatched", "day", 0},
	{attendance.ReachByCountry, "country", "views,estimatedMinutesWatched", "-views", 50},
}

// VideoReach fetches a video's figures between two Pacific days
// (YYYY-MM-DD, inclusive) and returns them with the number of calls made.
// Days Analytics has no data for yet (it lags 24–72 h) are simply absent.
func (a *Analytics) VideoReach(ctx context.Context, videoID, from, to string) ([]attendance.ReachFigures, int, error) {
	var out []attendance.ReachFigures
	calls := 0
	for _, q := range reachQueries {
		call := a.svc.Reports.Query().Ids("channel==MINE").Filters("video==" + videoID).StartDate(from).EndDate(to).
			Dimensions(q.apiDimension).Metrics(q.metrics).Context(ctx)
		if q.sort != "" {
			call = call.Sort(q.sort)
		}
		if q.max > 0 {
			call = call.MaxResults(q.max)
		}
		calls++
		resp, err := call.Do()
		if err != nil {
			return nil, calls, classify(ctx, MethodAnalyticsQuery, err, nil, a.metrics)
		}
		rows, err := reachRows(q.dimension, resp)
		if err != nil {
			return nil, calls, fmt.Errorf("analytics: %s of %s: %w", q.apiDimension, videoID, err)
		}
		out = append(out, rows...)
	}
	return out, calls, nil
}

// reachRows reads a result table by its column headers (the dimension
// first, then the metrics, in the order asked; the reference says so, but
// the headers are read rather than trusted).
func reachRows(dimension string, resp *youtubeanalytics.QueryResponse) ([]attendance.ReachFigures, error) {
	col := map[string]int{}
	for i, h := range resp.ColumnHeaders {
		if h != nil {
			col[h.Name] = i
		}
	}
	num := func(row []any, name string) (int64, error) {
		i, ok := col[name]
		if !ok {
			return 0, nil // not asked for in this report
		}
		if i >= len(row) {
			return 0, fmt.Errorf("row %v has no column %s", row, name)
		}
		switch v := row[i].(type) {
		case float64:
			return int64(v + 0.5), nil
		case nil:
			return 0, nil
		default:
			return 0, fmt.Errorf("column %s is %T, not a number", name, row[i])
		}
	}
	var out []attendance.ReachFigures
	for _, row := range resp.Rows {
		if len(row) == 0 {
			continue
		}
		key, ok := row[0].(string)
		if !ok || key == "" {
			return nil, fmt.Errorf("row %v: the first column is not a dimension value", row)
		}
		f := attendance.ReachFigures{Dimension: dimension, Key: key}
		var err error
		for _, m := range []struct {
			name string
			dst  *int64
		}{{"views", &f.Views}, {"estimatedMinutesWatched", &f.MinutesWatched}, {"averageViewDuration", &f.AverageViewDuration},
			{"subscribersGained", &f.SubscribersGained}} {
			if *m.dst, err = num(row, m.name); err != nil {
				return nil, err
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// ReachStore is what the reach fetcher needs of the store.
type ReachStore interface {
	ReachDue(ctx context.Context, now time.Time) ([]attendance.ReachDue, error)
	SaveReach(ctx context.Context, v attendance.VideoReach) error
	AddQuotaUnits(ctx context.Context, credential, day, method string, units int64) (int64, error)
}

// Reach fetches YouTube Analytics figures of ended streams: once the video
// has ended, then daily for a week (Analytics lags 24–72 h), each video's
// figures from the day before its end to today, replacing the last fetch.
// A failed fetch is logged and tried again at the next round; it never
// stops chat capture.
type Reach struct {
	Analytics *Analytics
	Store     ReachStore
	Clock     Clock         // default the wall clock
	Every     time.Duration // how often due streams are looked for; default 1 h
	Project   string        // the quota ledger's project name
	Log       *slog.Logger
}

// Run fetches due figures now and then every Every until ctx ends.
func (r *Reach) Run(ctx context.Context) error {
	if r.Clock == nil {
		r.Clock = SystemClock{}
	}
	if r.Every <= 0 {
		r.Every = time.Hour
	}
	for {
		r.Once(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-r.Clock.After(r.Every):
		}
	}
}

// Once fetches the figures of every stream due now and returns how many
// it stored.
func (r *Reach) Once(ctx context.Context) int {
	if r.Clock == nil {
		r.Clock = SystemClock{}
	}
	if r.Log == nil {
		r.Log = slog.New(slog.DiscardHandler)
	}
	loc, err := LoadPacific()
	if err != nil {
		r.Log.Error("analytics: no Pacific time zone", "err", err)
		return 0
	}
	now := r.Clock.Now()
	due, err := r.Store.ReachDue(ctx, now)
	if err != nil {
		r.Log.Error("analytics: due streams", "err", err)
		return 0
	}
	stored := 0
	for _, d := range due {
		if ctx.Err() != nil {
			return stored
		}
		from, to := QuotaDay(d.EndedAt.Add(-reachLookBack), loc), QuotaDay(now, loc)
		rows, calls, err := r.Analytics.VideoReach(ctx, d.VideoID, from, to)
		if calls > 0 {
			if _, qerr := r.Store.AddQuotaUnits(context.WithoutCancel(ctx), r.Project+"/analytics", QuotaDay(now, loc), MethodAnalyticsQuery, int64(calls)); qerr != nil {
				r.Log.Warn("analytics: quota ledger", "err", qerr)
			}
		}
		if err != nil {
			r.Log.Warn("analytics: fetch failed; tried again next round", "event", d.EventSlug, "video", d.VideoID, "err", err)
			continue
		}
		if err := r.Store.SaveReach(ctx, attendance.VideoReach{StreamID: d.StreamID, VideoID: d.VideoID, FetchedAt: now, Rows: rows}); err != nil {
			r.Log.Error("analytics: store", "event", d.EventSlug, "video", d.VideoID, "err", err)
			continue
		}
		stored++
		r.Log.Info("analytics figures stored", "event", d.EventSlug, "video", d.VideoID, "rows", len(rows), "fetch", d.Fetches+1)
	}
	return stored
}
