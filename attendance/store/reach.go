package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/seameo/rollcall/attendance"
)

// YouTube Analytics reach (issue 13): the latest figures per stream and
// when they were fetched.

// reachWindow is how long after a video's end its Analytics figures are
// fetched again, daily: Analytics lags 24–72 h and settles within a week.
const reachWindow = 7 * 24 * time.Hour

// ReachDue returns the streams whose Analytics figures are due at now:
// the video ended no more than a week (and a day) ago, and the figures
// were never fetched, or last fetched a day or more ago.
func (s *Store) ReachDue(ctx context.Context, now time.Time) ([]attendance.ReachDue, error) {
	var rows []struct {
		StreamID int64  `db:"id"`
		Slug     string `db:"slug"`
		VideoID  string `db:"video_id"`
		End      int64  `db:"actual_end"`
		Fetched  int64  `db:"fetched_at"`
		Fetches  int    `db:"fetches"`
	}
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT st.id, e.slug, st.video_id, st.actual_end,
			COALESCE(f.fetched_at, 0) AS fetched_at, COALESCE(f.fetches, 0) AS fetches
		FROM streams st JOIN events e ON e.id = st.event_id LEFT JOIN reach_fetches f ON f.stream_id = st.id
		WHERE st.actual_end > 0 AND st.actual_end >= ? AND st.actual_end <= ?
		ORDER BY st.actual_end, st.id`), us(now.Add(-reachWindow-24*time.Hour)), us(now))
	if err != nil {
		return nil, fmt.Errorf("store: streams due for analytics: %w", err)
	}
	var out []attendance.ReachDue
	for _, r := range rows {
		if r.Fetched != 0 && now.Sub(fromUS(r.Fetched)) < 24*time.Hour {
			continue
		}
		out = append(out, attendance.ReachDue{StreamID: r.StreamID, EventSlug: r.Slug, VideoID: r.VideoID, EndedAt: fromUS(r.End), Fetches: r.Fetches})
	}
	return out, nil
}

// SaveReach replaces a stream's Analytics figures with a fetch's, in one
// transaction, and records when it was made.
func (s *Store) SaveReach(ctx context.Context, v attendance.VideoReach) error {
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM reach_analytics WHERE stream_id = ?`), v.StreamID); err != nil {
			return err
		}
		for _, r := range v.Rows {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO reach_analytics (stream_id, dimension, bucket, views, minutes_watched,
				average_view_duration, subscribers_gained) VALUES (?, ?, ?, ?, ?, ?, ?)`),
				v.StreamID, r.Dimension, r.Key, r.Views, r.MinutesWatched, r.AverageViewDuration, r.SubscribersGained); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO reach_fetches (stream_id, fetched_at, fetches) VALUES (?, ?, 1)
			ON CONFLICT (stream_id) DO UPDATE SET fetched_at = excluded.fetched_at, fetches = reach_fetches.fetches + 1`),
			v.StreamID, us(v.FetchedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: save analytics of stream %d: %w", v.StreamID, err)
	}
	return nil
}

// EventReach returns the Analytics figures of an event's streams that have
// any, by stream; rows by dimension, then most views first (days in date
// order).
func (s *Store) EventReach(ctx context.Context, eventID int64) ([]attendance.VideoReach, error) {
	var rows []struct {
		StreamID int64  `db:"stream_id"`
		VideoID  string `db:"video_id"`
		Fetched  int64  `db:"fetched_at"`
		Dim      string `db:"dimension"`
		Key      string `db:"bucket"`
		Views    int64  `db:"views"`
		Minutes  int64  `db:"minutes_watched"`
		Avg      int64  `db:"average_view_duration"`
		Subs     int64  `db:"subscribers_gained"`
	}
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT r.stream_id, st.video_id, f.fetched_at, r.dimension, r.bucket, r.views,
			r.minutes_watched, r.average_view_duration, r.subscribers_gained
		FROM reach_analytics r JOIN streams st ON st.id = r.stream_id JOIN reach_fetches f ON f.stream_id = r.stream_id
		WHERE st.event_id = ?
		ORDER BY st.id, r.dimension, CASE WHEN r.dimension = 'day' THEN 0 ELSE -r.views END, r.bucket`), eventID)
	if err != nil {
		return nil, fmt.Errorf("store: analytics of event %d: %w", eventID, err)
	}
	var out []attendance.VideoReach
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].StreamID != r.StreamID {
			out = append(out, attendance.VideoReach{StreamID: r.StreamID, VideoID: r.VideoID, FetchedAt: fromUS(r.Fetched)})
		}
		v := &out[len(out)-1]
		v.Rows = append(v.Rows, attendance.ReachFigures{Dimension: r.Dim, Key: r.Key, Views: r.Views, MinutesWatched: r.Minutes,
			AverageViewDuration: r.Avg, SubscribersGained: r.Subs})
	}
	return out, nil
}
