package store

import (
	"context"
	"database/sql"

	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/seameo/rollcall/attendance"
)

type streamRow struct {
	ID                    int64         `db:"id"`
	EventID               int64         `db:"event_id"`
	EventSlug             string        `db:"slug"`
	VideoID               string        `db:"video_id"`
	Title                 string        `db:"title"`
	State                 string        `db:"state"`
	ChatState             string        `db:"chat_state"`
	ChatID                string        `db:"chat_id"`
	PageToken             string        `db:"page_token"`
	ScheduledStart        int64         `db:"scheduled_start"`
	ScheduledEnd          int64         `db:"scheduled_end"`
	ActualStart           int64         `db:"actual_start"`
	ActualEnd             int64         `db:"actual_end"`
	OfflineAt             int64         `db:"offline_at"`
	PeakConcurrentViewers int64         `db:"peak_concurrent_viewers"`
	ConcurrentViewers     sql.NullInt64 `db:"concurrent_viewers"`
}

const streamColumns = `s.id, s.event_id, e.slug, s.video_id, s.title, s.state, s.chat_state, s.chat_id, s.page_token,
	s.scheduled_start, s.scheduled_end, s.actual_start, s.actual_end, s.offline_at, s.peak_concurrent_viewers, s.concurrent_viewers`

func (r streamRow) stream() attendance.Stream {
	return attendance.Stream{ID: r.ID, EventID: r.EventID, EventSlug: r.EventSlug, VideoID: r.VideoID, Title: r.Title,
		State: attendance.StreamState(r.State), ChatState: attendance.ChatState(r.ChatState), ChatID: r.ChatID,
		PageToken: r.PageToken, ScheduledStart: fromUS(r.ScheduledStart), ScheduledEnd: fromUS(r.ScheduledEnd),
		ActualStart: fromUS(r.ActualStart), ActualEnd: fromUS(r.ActualEnd), OfflineAt: fromUS(r.OfflineAt),
		PeakConcurrentViewers: r.PeakConcurrentViewers}
}

// finalChatStates are the chat states for which attendance.ChatFinal holds.
var finalChatStates = []any{attendance.ChatDrained, attendance.ChatDisabled, attendance.ChatNotFound,
	attendance.ChatForbidden, attendance.ChatStopped}

// TrackedStreams lists the streams of active events that still need the
// collector: every stream whose video has not ended, whatever its chat
// state (unavailable ones included: the collector re-checks them), and
// every ended one whose chat is not final (attendance.ChatFinal).
func (s *Store) TrackedStreams(ctx context.Context) ([]attendance.Stream, error) {
	var rows []streamRow
	args := append([]any{true, attendance.StreamEnded}, finalChatStates...)
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+streamColumns+` FROM streams s JOIN events e ON e.id = s.event_id
		WHERE e.active = ? AND NOT (s.state = ? AND s.chat_state IN (`+inClause(len(finalChatStates))+`))
		ORDER BY s.id`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: tracked streams: %w", err)
	}
	out := make([]attendance.Stream, len(rows))
	for i, r := range rows {
		out[i] = r.stream()
	}
	return out, nil
}

// Streams lists an event's streams.
func (s *Store) Streams(ctx context.Context, eventID int64) ([]attendance.Stream, error) {
	var rows []streamRow
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+streamColumns+` FROM streams s JOIN events e ON e.id = s.event_id
		WHERE s.event_id = ? ORDER BY s.id`), eventID)
	if err != nil {
		return nil, fmt.Errorf("store: streams of event %d: %w", eventID, err)
	}
	out := make([]attendance.Stream, len(rows))
	for i, r := range rows {
		out[i] = r.stream()
	}
	return out, nil
}

func nullInt64(p *int64) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: *p, Valid: true}
}

// RecordStreamSample stores one videos.list reading and brings the stream row
// up to date. A stream never goes back from ended; times and counts YouTube
// stopped reporting are kept; a missing concurrentViewers is unknown, not 0.
func (s *Store) RecordStreamSample(ctx context.Context, streamID int64, smp attendance.StreamSample) error {
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		var cur struct {
			streamRow
			Views sql.NullInt64 `db:"views"`
			Likes sql.NullInt64 `db:"likes"`
		}
		err := tx.GetContext(ctx, &cur, tx.Rebind(`SELECT `+streamColumns+`, s.views, s.likes
			FROM streams s JOIN events e ON e.id = s.event_id WHERE s.id = ?`), streamID)
		if err != nil {
			return notFound(err, "no stream %d", streamID)
		}
		r := cur.streamRow
		if r.State != string(attendance.StreamEnded) && smp.State != "" {
			r.State = string(smp.State)
		}
		r.Title = keep(r.Title, smp.Title)
		r.ChatID = keep(r.ChatID, smp.ChatID)
		keepTime(&r.ScheduledStart, smp.ScheduledStart)
		keepTime(&r.ScheduledEnd, smp.ScheduledEnd)
		keepTime(&r.ActualStart, smp.ActualStart)
		keepTime(&r.ActualEnd, smp.ActualEnd)
		cv := nullInt64(smp.ConcurrentViewers)
		if cv.Valid && cv.Int64 > r.PeakConcurrentViewers {
			r.PeakConcurrentViewers = cv.Int64
		}
		views, likes := cur.Views, cur.Likes
		if smp.Views != nil {
			views = nullInt64(smp.Views)
		}
		if smp.Likes != nil {
			likes = nullInt64(smp.Likes)
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO stream_samples (stream_id, at, state, concurrent_viewers, views, likes)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (stream_id, at) DO NOTHING`),
			streamID, us(smp.At), smp.State, cv, nullInt64(smp.Views), nullInt64(smp.Likes))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE streams SET state = ?, title = ?, chat_id = ?, scheduled_start = ?,
			scheduled_end = ?, actual_start = ?, actual_end = ?, concurrent_viewers = ?, views = ?, likes = ?,
			peak_concurrent_viewers = ?, last_sample_at = ? WHERE id = ?`),
			r.State, r.Title, r.ChatID, r.ScheduledStart, r.ScheduledEnd, r.ActualStart, r.ActualEnd,
			cv, views, likes, r.PeakConcurrentViewers, us(smp.At), streamID)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: record sample of stream %d: %w", streamID, err)
	}
	return nil
}

func keep(old, nw string) string {
	if nw != "" {
		return nw
	}
	return old
}

func keepTime(old *int64, nw time.Time) {
	if !nw.IsZero() {
		*old = us(nw)
	}
}

// SetChatState records what is known about reading a stream's chat. Like a
// chat page it carries the writer's lease fence (0 without leases): a state
// from a former lease holder is refused with attendance.ErrStaleFence, since
// "gap" clears the cursor.
func (s *Store) SetChatState(ctx context.Context, streamID, fence int64, state attendance.ChatState, detail string) error {
	q := `UPDATE streams SET chat_state = ?, chat_detail = ? WHERE id = ? AND fence <= ?`
	if state == attendance.ChatGap {
		// pageTokenInvalid: the next read starts without a token.
		q = `UPDATE streams SET chat_state = ?, chat_detail = ?, page_token = '' WHERE id = ? AND fence <= ?`
	}
	res, err := s.db.ExecContext(ctx, s.db.Rebind(q), state, detail, streamID, fence)
	if err != nil {
		s.forgetReadOnlyConns(err)
		return fmt.Errorf("store: set chat state of stream %d: %w", streamID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("store: set chat state of stream %d: %w", streamID, attendance.ErrStaleFence)
	}
	return nil
}
