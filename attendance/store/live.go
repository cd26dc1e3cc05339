package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/seameo/rollcall/attendance"
)

// The dashboard's figures. Each query reads counters, small aggregate tables
// or an index range: none scans chat_messages or registrations per message.

func nullablePtr(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	v := n.Int64
	return &v
}

// LiveStreams returns the figures of an event's streams from their counters.
func (s *Store) LiveStreams(ctx context.Context, eventID int64) ([]attendance.LiveStream, error) {
	var rows []struct {
		ID           int64         `db:"id"`
		VideoID      string        `db:"video_id"`
		Title        string        `db:"title"`
		State        string        `db:"state"`
		ChatState    string        `db:"chat_state"`
		ChatDetail   string        `db:"chat_detail"`
		CV           sql.NullInt64 `db:"concurrent_viewers"`
		Peak         int64         `db:"peak_concurrent_viewers"`
		Views        sql.NullInt64 `db:"views"`
		Likes        sql.NullInt64 `db:"likes"`
		ChatMessages int64         `db:"chat_messages"`
		ChatAuthors  int64         `db:"chat_authors"`
		ActualStart  int64         `db:"actual_start"`
		ActualEnd    int64         `db:"actual_end"`
		LastSample   int64         `db:"last_sample_at"`
		LastCommit   int64         `db:"last_commit_at"`
	}
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT id, video_id, title, state, chat_state, chat_detail,
		concurrent_viewers, peak_concurrent_viewers, views, likes, chat_messages, chat_authors, actual_start, actual_end,
		last_sample_at, last_commit_at FROM streams WHERE event_id = ? ORDER BY id`), eventID)
	if err != nil {
		return nil, fmt.Errorf("store: live streams of event %d: %w", eventID, err)
	}
	out := make([]attendance.LiveStream, len(rows))
	for i, r := range rows {
		out[i] = attendance.LiveStream{ID: r.ID, VideoID: r.VideoID, Title: r.Title, State: r.State, ChatState: r.ChatState,
			ChatDetail: r.ChatDetail, ConcurrentViewers: nullablePtr(r.CV), PeakConcurrentViewers: r.Peak, Views: nullablePtr(r.Views),
			Likes: nullablePtr(r.Likes), ChatMessages: r.ChatMessages, ChatAuthors: r.ChatAuthors, ActualStart: fromUS(r.ActualStart),
			ActualEnd: fromUS(r.ActualEnd), LastSampleAt: fromUS(r.LastSample), LastCommitAt: fromUS(r.LastCommit)}
	}
	return out, nil
}

// ViewerSamples returns the concurrent-viewer readings of an event's streams
// taken at or after since, oldest first (readings without a count are left
// out). At most limit readings per call, the newest ones.
func (s *Store) ViewerSamples(ctx context.Context, eventID int64, since time.Time, limit int) ([]attendance.ViewerSample, error) {
	var rows []struct {
		StreamID int64 `db:"stream_id"`
		At       int64 `db:"at"`
		Viewers  int64 `db:"concurrent_viewers"`
	}
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT stream_id, at, concurrent_viewers FROM (
		SELECT ss.stream_id, ss.at, ss.concurrent_viewers FROM stream_samples ss JOIN streams s ON s.id = ss.stream_id
		WHERE s.event_id = ? AND ss.at >= ? AND ss.concurrent_viewers IS NOT NULL ORDER BY ss.at DESC LIMIT ?) x ORDER BY at`),
		eventID, us(since), limit)
	if err != nil {
		return nil, fmt.Errorf("store: viewer samples of event %d: %w", eventID, err)
	}
	out := make([]attendance.ViewerSample, len(rows))
	for i, r := range rows {
		out[i] = attendance.ViewerSample{StreamID: r.StreamID, At: fromUS(r.At), Viewers: r.Viewers}
	}
	return out, nil
}

// ChatPerMinute counts an event's chat messages per minute of publishedAt,
// from fromMinute (Unix minutes) on. It reads the (stream_id, published_at)
// index range of the window only.
func (s *Store) ChatPerMinute(ctx context.Context, eventID, fromMinute int64) ([]attendance.MinuteCount, error) {
	var out []attendance.MinuteCount
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT m.published_at / 60000000 AS minute, COUNT(*) AS n
		FROM chat_messages m WHERE m.stream_id IN (SELECT id FROM streams WHERE event_id = ?) AND m.published_at >= ?
		GROUP BY m.published_at / 60000000 ORDER BY minute`), eventID, fromMinute*60_000_000)
	if err != nil {
		return nil, fmt.Errorf("store: chat per minute of event %d: %w", eventID, err)
	}
	return out, nil
}

// DistinctChatters counts the distinct chat channels across an event's
// streams (computed from chat).
func (s *Store) DistinctChatters(ctx context.Context, eventID int64) (int64, error) {
	var n int64
	err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT COUNT(DISTINCT channel_id) FROM chat_authors
		WHERE stream_id IN (SELECT id FROM streams WHERE event_id = ?)`), eventID)
	if err != nil {
		return 0, fmt.Errorf("store: distinct chatters of event %d: %w", eventID, err)
	}
	return n, nil
}

// LinkedByCountry returns registered and linked people per country, most
// registrations first. Two index-only aggregates, merged here.
func (s *Store) LinkedByCountry(ctx context.Context, eventID int64) ([]attendance.CountryFigures, error) {
	var reg, linked []struct {
		Country string `db:"country"`
		N       int64  `db:"n"`
	}
	err := s.db.SelectContext(ctx, &reg, s.db.Rebind(`SELECT country, COUNT(*) AS n FROM registrations WHERE event_id = ?
		GROUP BY country`), eventID)
	if err == nil {
		err = s.db.SelectContext(ctx, &linked, s.db.Rebind(`SELECT r.country AS country, COUNT(*) AS n
			FROM (SELECT DISTINCT registration_id FROM links WHERE event_id = ?) l JOIN registrations r ON r.id = l.registration_id
			GROUP BY r.country`), eventID)
	}
	if err != nil {
		return nil, fmt.Errorf("store: linked by country of event %d: %w", eventID, err)
	}
	byCountry := make(map[string]int64, len(linked))
	for _, l := range linked {
		byCountry[l.Country] = l.N
	}
	out := make([]attendance.CountryFigures, len(reg))
	for i, r := range reg {
		out[i] = attendance.CountryFigures{Country: r.Country, Registered: r.N, Linked: byCountry[r.Country]}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Registered != out[j].Registered {
			return out[i].Registered > out[j].Registered
		}
		return out[i].Country < out[j].Country
	})
	return out, nil
}

// LinkedCount returns how many registrations of an event are linked to a
// chat channel.
func (s *Store) LinkedCount(ctx context.Context, eventID int64) (int64, error) {
	var n int64
	err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT COUNT(DISTINCT registration_id) FROM links WHERE event_id = ?`), eventID)
	if err != nil {
		return 0, fmt.Errorf("store: linked count of event %d: %w", eventID, err)
	}
	return n, nil
}

// RecentCheckIns returns the latest links of an event, newest first.
func (s *Store) RecentCheckIns(ctx context.Context, eventID int64, limit int) ([]attendance.CheckIn, error) {
	var rows []struct {
		RegistrationID int64  `db:"registration_id"`
		FullName       string `db:"full_name"`
		Country        string `db:"country"`
		Method         string `db:"method"`
		At             int64  `db:"linked_at"`
	}
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT l.registration_id, r.full_name, r.country, l.method, l.linked_at
		FROM links l JOIN registrations r ON r.id = l.registration_id WHERE l.event_id = ? ORDER BY l.linked_at DESC, l.id DESC LIMIT ?`),
		eventID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: recent check-ins of event %d: %w", eventID, err)
	}
	out := make([]attendance.CheckIn, len(rows))
	for i, r := range rows {
		out[i] = attendance.CheckIn{RegistrationID: r.RegistrationID, FullName: r.FullName, Country: r.Country, Method: r.Method, At: fromUS(r.At)}
	}
	return out, nil
}
