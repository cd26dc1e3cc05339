package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

func TestReachStored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ev, err := st.CreateEvent(ctx, attendance.Event{Slug: "dialogue", Title: "Policy Dialogue", VideoIDs: []string{"vidAAAAAAAA", "vidBBBBBBBB"},
			Policy: attendance.DefaultPolicy()})
		if err != nil {
			t.Fatal(err)
		}
		streams, _ := st.Streams(ctx, ev.ID)
		end := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
		// The first video ended; the second is still live: only the first
		// is due.
		if err := st.RecordStreamSample(ctx, streams[0].ID, attendance.StreamSample{At: end, State: attendance.StreamEnded, ActualEnd: end}); err != nil {
			t.Fatal(err)
		}
		if err := st.RecordStreamSample(ctx, streams[1].ID, attendance.StreamSample{At: end, State: attendance.StreamLive, ActualStart: end}); err != nil {
			t.Fatal(err)
		}
		due, err := st.ReachDue(ctx, end.Add(time.Hour))
		if err != nil || len(due) != 1 || due[0].VideoID != "vidAAAAAAAA" || due[0].EventSlug != "dialogue" || !due[0].EndedAt.Equal(end) || due[0].Fetches != 0 {
			t.Fatalf("due %+v %v", due, err)
		}
		rows := []attendance.ReachFigures{
			{Dimension: attendance.ReachByPlayback, Key: "ON_DEMAND", Views: 700, MinutesWatched: 7000, AverageViewDuration: 600},
			{Dimension: attendance.ReachByPlayback, Key: "LIVE", Views: 1800, MinutesWatched: 54000, AverageViewDuration: 1800, SubscribersGained: 12},
			{Dimension: attendance.ReachByDay, Key: "2026-12-01", Views: 700},
			{Dimension: attendance.ReachByDay, Key: "2026-11-30", Views: 1800},
			{Dimension: attendance.ReachByCountry, Key: "VN", Views: 600},
			{Dimension: attendance.ReachByCountry, Key: "TH", Views: 1100},
		}
		fetched := end.Add(3 * 24 * time.Hour)
		for range 2 { // a second fetch replaces the first
			if err := st.SaveReach(ctx, attendance.VideoReach{StreamID: streams[0].ID, VideoID: "vidAAAAAAAA", FetchedAt: fetched, Rows: rows}); err != nil {
				t.Fatal(err)
			}
		}
		reach, err := st.EventReach(ctx, ev.ID)
		if err != nil || len(reach) != 1 || len(reach[0].Rows) != len(rows) || !reach[0].FetchedAt.Equal(fetched) {
			t.Fatalf("reach %+v %v", reach, err)
		}
		v := reach[0]
		if p := v.Split(attendance.ReachByPlayback); p[0].Key != "LIVE" || p[0].SubscribersGained != 12 {
			t.Errorf("playback, most views first: %+v", p)
		}
		if d := v.Split(attendance.ReachByDay); d[0].Key != "2026-11-30" || d[1].Key != "2026-12-01" {
			t.Errorf("days in date order: %+v", d)
		}
		if c := v.Split(attendance.ReachByCountry); c[0].Key != "TH" {
			t.Errorf("countries, most views first: %+v", c)
		}
		// Fetched: not due for a day; then due again, twice fetched; not
		// after the week.
		if due, _ := st.ReachDue(ctx, fetched.Add(23*time.Hour)); len(due) != 0 {
			t.Errorf("due again within the day: %+v", due)
		}
		if due, _ := st.ReachDue(ctx, fetched.Add(24*time.Hour)); len(due) != 1 || due[0].Fetches != 2 {
			t.Errorf("due the next day: %+v", due)
		}
		if due, _ := st.ReachDue(ctx, end.Add(9*24*time.Hour)); len(due) != 0 {
			t.Errorf("due after the week: %+v", due)
		}
	})
}
