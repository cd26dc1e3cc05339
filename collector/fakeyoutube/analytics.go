package fakeyoutube

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MethodAnalyticsQuery is YouTube Analytics' reports.query.
const MethodAnalyticsQuery = "youtubeAnalytics.reports.query"

// AnalyticsDay is one Pacific day of a video's YouTube Analytics figures.
type AnalyticsDay struct {
	Date                             string // YYYY-MM-DD, Pacific time
	LiveViews, OnDemandViews         int64
	LiveMinutes, OnDemandMinutes     int64 // estimatedMinutesWatched
	LiveSubscribers, OnDemandSubscrs int64 // subscribersGained
	// Countries are views by ISO 3166-1 alpha-2 code; minutes are split
	// in the same shares.
	Countries map[string]int64
}

// Analytics is a fake of the YouTube Analytics API's reports.query
// (GET /v2/reports) for the channel owner's videos, the way rollcall asks
// it: ids=channel==MINE, filters=video==ID, one dimension of
// liveOrOnDemand, day or country, and the metrics views,
// estimatedMinutesWatched, averageViewDuration and subscribersGained.
//
// What it plays, and where it comes from
// (developers.google.com/youtube/analytics/reference/reports/query and
// its "Channel reports" and "Data model" pages):
//
//   - The result table: kind youtubeAnalytics#resultTable, columnHeaders
//     (name, columnType DIMENSION or METRIC, dataType) with the dimension
//     first and then the metrics in the order asked, and rows; no rows
//     element when there is no data.
//   - Data lags: days newer than Lag (default 2 days; YouTube says figures
//     can take 24–72 hours) have no rows yet, and totals count only the
//     days that have data.
//   - ids must be channel==MINE, startDate and endDate are required
//     (YYYY-MM-DD), an unknown metric or dimension answers 400 badRequest;
//     without the owner's Bearer token it answers 401, with a token that
//     lacks the scope 403 forbidden (the scope cannot be seen here: the
//     fake OAuth server and this handler share no state, so every token it
//     accepts is taken to hold yt-analytics.readonly).
//   - averageViewDuration is in seconds, estimatedMinutesWatched in
//     minutes (the metrics reference).
type Analytics struct {
	mu     sync.Mutex
	token  string
	lag    time.Duration
	now    func() time.Time
	videos map[string][]AnalyticsDay
	calls  int
}

// NewAnalytics returns the fake, accepting accessToken (empty: any token)
// and playing figures lag days late on the clock now.
func NewAnalytics(accessToken string, lag time.Duration, now func() time.Time) *Analytics {
	if now == nil {
		now = time.Now
	}
	return &Analytics{token: accessToken, lag: lag, now: now, videos: map[string][]AnalyticsDay{}}
}

// SetVideo sets a video's daily figures.
func (a *Analytics) SetVideo(videoID string, days []AnalyticsDay) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.videos[videoID] = days
}

// Calls is how many reports.query calls it answered.
func (a *Analytics) Calls() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls
}

// ServeHTTP implements http.Handler.
func (a *Analytics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || r.URL.Path != "/v2/reports" {
		writeAnalyticsError(w, http.StatusNotFound, "notFound", "Not Found")
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" || a.token != "" && tok != a.token {
		writeAnalyticsError(w, http.StatusUnauthorized, "authError", "Request had invalid authentication credentials.")
		return
	}
	q := r.URL.Query()
	from, err1 := time.Parse(time.DateOnly, q.Get("startDate"))
	to, err2 := time.Parse(time.DateOnly, q.Get("endDate"))
	video, okVideo := strings.CutPrefix(q.Get("filters"), "video==")
	metrics := strings.Split(q.Get("metrics"), ",")
	dim := q.Get("dimensions")
	switch {
	case q.Get("ids") != "channel==MINE":
		writeAnalyticsError(w, http.StatusBadRequest, "badRequest", "Invalid query. Query did not conform to the expectations.")
		return
	case err1 != nil || err2 != nil || to.Before(from):
		writeAnalyticsError(w, http.StatusBadRequest, "badRequest", "Required: startDate and endDate (YYYY-MM-DD).")
		return
	case !okVideo || !slices.Contains([]string{"liveOrOnDemand", "day", "country"}, dim):
		writeAnalyticsError(w, http.StatusBadRequest, "badRequest", "The query is not supported.")
		return
	}
	for _, m := range metrics {
		if !slices.Contains([]string{"views", "estimatedMinutesWatched", "averageViewDuration", "subscribersGained"}, m) {
			writeAnalyticsError(w, http.StatusBadRequest, "badRequest", "Unknown identifier ("+m+") given in field parameters.metrics.")
			return
		}
	}
	a.mu.Lock()
	a.calls++
	days := a.videos[video]
	loc, _ := time.LoadLocation("America/Los_Angeles")
	newest := a.now().In(loc).Add(-a.lag).Format(time.DateOnly)
	a.mu.Unlock()

	type acc struct{ views, minutes, subs int64 }
	sums := map[string]*acc{}
	add := func(key string, v, m, s int64) {
		if sums[key] == nil {
			sums[key] = &acc{}
		}
		sums[key].views += v
		sums[key].minutes += m
		sums[key].subs += s
	}
	for _, d := range days {
		if d.Date < from.Format(time.DateOnly) || d.Date > to.Format(time.DateOnly) || d.Date > newest {
			continue
		}
		switch dim {
		case "liveOrOnDemand":
			add("LIVE", d.LiveViews, d.LiveMinutes, d.LiveSubscribers)
			add("ON_DEMAND", d.OnDemandViews, d.OnDemandMinutes, d.OnDemandSubscrs)
		case "day":
			add(d.Date, d.LiveViews+d.OnDemandViews, d.LiveMinutes+d.OnDemandMinutes, d.LiveSubscribers+d.OnDemandSubscrs)
		case "country":
			total := d.LiveViews + d.OnDemandViews
			for c, v := range d.Countries {
				m := int64(0)
				if total > 0 {
					m = (d.LiveMinutes + d.OnDemandMinutes) * v / total
				}
				add(c, v, m, 0)
			}
		}
	}
	keys := make([]string, 0, len(sums))
	for k, s := range sums {
		if s.views > 0 || s.minutes > 0 || dim == "day" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if q.Get("sort") == "-views" {
		sort.SliceStable(keys, func(i, j int) bool { return sums[keys[i]].views > sums[keys[j]].views })
	}
	if n, err := strconv.Atoi(q.Get("maxResults")); err == nil && n > 0 && len(keys) > n {
		keys = keys[:n]
	}
	headers := []map[string]string{{"name": dim, "columnType": "DIMENSION", "dataType": "STRING"}}
	for _, m := range metrics {
		headers = append(headers, map[string]string{"name": m, "columnType": "METRIC", "dataType": "INTEGER"})
	}
	body := map[string]any{"kind": "youtubeAnalytics#resultTable", "columnHeaders": headers}
	var rows [][]any
	for _, k := range keys {
		s := sums[k]
		row := []any{k}
		for _, m := range metrics {
			switch m {
			case "views":
				row = append(row, s.views)
			case "estimatedMinutesWatched":
				row = append(row, s.minutes)
			case "averageViewDuration":
				avg := int64(0)
				if s.views > 0 {
					avg = s.minutes * 60 / s.views
				}
				row = append(row, avg)
			case "subscribersGained":
				row = append(row, s.subs)
			}
		}
		rows = append(rows, row)
	}
	if len(rows) > 0 {
		body["rows"] = rows
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(body)
}

func writeAnalyticsError(w http.ResponseWriter, status int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": status, "message": msg,
		"errors": []map[string]string{{"message": msg, "domain": "global", "reason": reason}}}})
}
