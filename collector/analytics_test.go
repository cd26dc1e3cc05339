package collector

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store/storetest"
	"github.com/seameo/rollcall/collector/fakeyoutube"
)

// fixedClock is a clock the test sets; After is never used by Once.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fixedClock) After(time.Duration) <-chan time.Time {
	return make(chan time.Time)
}
func (c *fixedClock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// TestReachFetchedAfterTheEndAndDailyForAWeek: an event's stream ends on
// 1 December at 10:00 in Bangkok (30 November, 19:00 Pacific). rollcall
// asks YouTube Analytics an hour later (nothing yet: Analytics lags), not
// again the same day, then daily; on day three the live and on-demand
// figures, days and countries are there; after a week it stops asking.
// Every call is in the quota ledger, under the Analytics project.
func TestReachFetchedAfterTheEndAndDailyForAWeek(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, storetest.Engines()[0])
	ev, err := st.CreateEvent(ctx, attendance.Event{Slug: "dialogue", Title: "Policy Dialogue", VideoIDs: []string{"vidANALYTIC"}, Policy: attendance.DefaultPolicy()})
	if err != nil {
		t.Fatal(err)
	}
	streams, _ := st.Streams(ctx, ev.ID)
	end := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	if err := st.RecordStreamSample(ctx, streams[0].ID, attendance.StreamSample{At: end, State: attendance.StreamEnded,
		ActualStart: end.Add(-2 * time.Hour), ActualEnd: end}); err != nil {
		t.Fatal(err)
	}
	clock := &fixedClock{t: end.Add(time.Hour)}
	fake := fakeyoutube.NewAnalytics(fakeAccess, 48*time.Hour, clock.Now)
	fake.SetVideo("vidANALYTIC", []fakeyoutube.AnalyticsDay{
		{Date: "2026-11-30", LiveViews: 1800, LiveMinutes: 54000, LiveSubscribers: 12, Countries: map[string]int64{"TH": 900, "VN": 600, "PH": 300}},
		{Date: "2026-12-01", OnDemandViews: 700, OnDemandMinutes: 7000, OnDemandSubscrs: 3, Countries: map[string]int64{"TH": 200, "ID": 500}},
		{Date: "2026-12-02", OnDemandViews: 300, OnDemandMinutes: 2500, Countries: map[string]int64{"MY": 300}},
	})
	a, err := NewAnalytics(ctx, AnalyticsConfig{TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: fakeAccess}),
		Endpoint: "http://analytics.fake/", Transport: handlerTransport{fake}})
	if err != nil {
		t.Fatal(err)
	}
	r := &Reach{Analytics: a, Store: st, Clock: clock, Project: "demo"}

	if n := r.Once(ctx); n != 1 {
		t.Fatalf("an hour after the end: %d stored, want 1 (an empty fetch)", n)
	}
	reach, _ := st.EventReach(ctx, ev.ID)
	if len(reach) != 0 {
		t.Fatalf("figures before Analytics has any: %+v", reach)
	}
	clock.set(end.Add(20 * time.Hour))
	if n := r.Once(ctx); n != 0 {
		t.Fatalf("asked again the same day: %d", n)
	}
	clock.set(end.Add(3*24*time.Hour + time.Hour)) // 4 Dec, Pacific 3 Dec: data up to 1 Dec
	if n := r.Once(ctx); n != 1 {
		t.Fatalf("day three: %d stored", n)
	}
	reach, err = st.EventReach(ctx, ev.ID)
	if err != nil || len(reach) != 1 {
		t.Fatalf("reach %+v %v", reach, err)
	}
	v := reach[0]
	got := map[string]attendance.ReachFigures{}
	for _, f := range v.Rows {
		got[f.Dimension+" "+f.Key] = f
	}
	if live := got["playback LIVE"]; live.Views != 1800 || live.MinutesWatched != 54000 || live.AverageViewDuration != 1800 || live.SubscribersGained != 12 {
		t.Errorf("live %+v", live)
	}
	if od := got["playback ON_DEMAND"]; od.Views != 700 || od.AverageViewDuration != 600 {
		t.Errorf("on demand %+v", od)
	}
	if _, late := got["day 2026-12-02"]; late || got["day 2026-11-30"].Views != 1800 || got["day 2026-12-01"].Views != 700 {
		t.Errorf("days %+v", v.Split(attendance.ReachByDay))
	}
	if cs := v.Split(attendance.ReachByCountry); len(cs) != 4 || cs[0].Key != "TH" || cs[0].Views != 1100 {
		t.Errorf("countries %+v", cs)
	}
	if !v.FetchedAt.Equal(clock.Now()) {
		t.Errorf("fetched at %s", v.FetchedAt)
	}
	clock.set(end.Add(9 * 24 * time.Hour))
	if n := r.Once(ctx); n != 0 {
		t.Errorf("still asking after a week: %d", n)
	}
	if calls := fake.Calls(); calls != 6 {
		t.Errorf("%d calls, want 6 (two fetches of three reports)", calls)
	}
	var units int64
	for _, day := range []string{"2026-11-30", "2026-12-03"} {
		u, _ := st.QuotaUsed(ctx, "demo/analytics", day)
		units += u
	}
	if used, _ := st.QuotaUsed(ctx, "demo", "2026-12-03"); units != 6 || used != 0 {
		t.Errorf("ledger: analytics %d units, data API %d; want 6 and 0", units, used)
	}
}

// TestReachFailureIsRetried: a refused token stores nothing and counts as
// no fetch, so the next round asks again.
func TestReachFailureIsRetried(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, storetest.Engines()[0])
	ev, _ := st.CreateEvent(ctx, attendance.Event{Slug: "dialogue", Title: "Policy Dialogue", VideoIDs: []string{"vidANALYTIC"}, Policy: attendance.DefaultPolicy()})
	streams, _ := st.Streams(ctx, ev.ID)
	end := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	_ = st.RecordStreamSample(ctx, streams[0].ID, attendance.StreamSample{At: end, State: attendance.StreamEnded, ActualEnd: end})
	clock := &fixedClock{t: end.Add(3 * 24 * time.Hour)}
	fake := fakeyoutube.NewAnalytics("the-right-token", 0, clock.Now)
	a, _ := NewAnalytics(ctx, AnalyticsConfig{TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "a-wrong-token"}),
		Endpoint: "http://analytics.fake/", Transport: handlerTransport{fake}})
	var logs strings.Builder
	r := &Reach{Analytics: a, Store: st, Clock: clock, Project: "demo", Log: slog.New(slog.NewTextHandler(&logs, nil))}
	if n := r.Once(ctx); n != 0 || !strings.Contains(logs.String(), "fetch failed") {
		t.Fatalf("refused: %d stored\n%s", n, logs.String())
	}
	if due, _ := st.ReachDue(ctx, clock.Now()); len(due) != 1 {
		t.Fatalf("not due again after a failure: %+v", due)
	}
}
