package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/seameo/rollcall/attendance"
)

type checkpointRow struct {
	ID       int64  `db:"id"`
	EventID  int64  `db:"event_id"`
	Number   int    `db:"number"`
	Word     string `db:"word"`
	OpensAt  int64  `db:"opens_at"`
	ClosesAt int64  `db:"closes_at"`
	Hits     int64  `db:"hits"`
}

func (r checkpointRow) checkpoint() attendance.Checkpoint {
	return attendance.Checkpoint{ID: r.ID, EventID: r.EventID, Number: r.Number, Word: r.Word,
		OpensAt: fromUS(r.OpensAt), ClosesAt: fromUS(r.ClosesAt), Hits: r.Hits}
}

// queryer is what both *sqlx.DB and *sqlx.Tx offer.
type queryer interface {
	sqlx.QueryerContext
	Rebind(string) string
}

func loadCheckpoints(ctx context.Context, q queryer, eventID int64) ([]attendance.Checkpoint, error) {
	var rows []checkpointRow
	err := sqlx.SelectContext(ctx, q, &rows, q.Rebind(`SELECT id, event_id, number, word, opens_at, closes_at, 0 AS hits
		FROM checkpoints WHERE event_id = ? ORDER BY number`), eventID)
	if err != nil {
		return nil, fmt.Errorf("checkpoints of event %d: %w", eventID, err)
	}
	out := make([]attendance.Checkpoint, len(rows))
	for i, r := range rows {
		out[i] = r.checkpoint()
	}
	return out, nil
}

// AddCheckpoint adds the event's next checkpoint. Messages already stored
// (a checkpoint entered after the fact, a replay imported earlier) are
// judged at once.
func (s *Store) AddCheckpoint(ctx context.Context, eventID int64, word string, opensAt, closesAt time.Time) (attendance.Checkpoint, error) {
	word = strings.TrimSpace(word)
	switch {
	case word == "":
		return attendance.Checkpoint{}, attendance.Errorf(attendance.EInvalid, "the checkpoint word is empty")
	case len([]rune(word)) > 64:
		return attendance.Checkpoint{}, attendance.Errorf(attendance.EInvalid, "the checkpoint word is longer than 64 characters: use a word or short code")
	case opensAt.IsZero() || closesAt.IsZero() || !closesAt.After(opensAt):
		return attendance.Checkpoint{}, attendance.Errorf(attendance.EInvalid, "the checkpoint window must close after it opens")
	}
	cp := attendance.Checkpoint{EventID: eventID, Word: word, OpensAt: opensAt.UTC().Truncate(time.Microsecond), ClosesAt: closesAt.UTC().Truncate(time.Microsecond)}
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &cp.Number, tx.Rebind(`SELECT COALESCE(MAX(number), 0) + 1 FROM checkpoints WHERE event_id = ?`), eventID); err != nil {
			return err
		}
		err := tx.GetContext(ctx, &cp.ID, tx.Rebind(`INSERT INTO checkpoints (event_id, number, word, opens_at, closes_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), eventID, cp.Number, cp.Word, us(cp.OpensAt), us(cp.ClosesAt), us(s.now()))
		if err != nil {
			return err
		}
		if err := rescanCheckpoint(ctx, tx, s.engine, cp); err != nil {
			return err
		}
		return tx.GetContext(ctx, &cp.Hits, tx.Rebind(`SELECT COUNT(*) FROM checkpoint_hits WHERE checkpoint_id = ?`), cp.ID)
	})
	if err != nil {
		return attendance.Checkpoint{}, fmt.Errorf("store: add checkpoint to event %d: %w", eventID, err)
	}
	return cp, nil
}

// rescanCheckpoint judges the stored messages of linked channels in the
// checkpoint's window, and flags hits that rest on moderated messages.
func rescanCheckpoint(ctx context.Context, tx *sqlx.Tx, engine Engine, cp attendance.Checkpoint) error {
	rows, err := tx.QueryxContext(ctx, tx.Rebind(`SELECT m.message_id, m.author_channel_id, m.text, m.published_at, l.registration_id
		FROM chat_messages m JOIN streams s ON s.id = m.stream_id
		JOIN links l ON l.event_id = s.event_id AND l.channel_id = m.author_channel_id
		WHERE s.event_id = ? AND m.published_at BETWEEN ? AND ? AND m.text <> ''`), cp.EventID, us(cp.OpensAt), us(cp.ClosesAt))
	if err != nil {
		return fmt.Errorf("messages in checkpoint window: %w", err)
	}
	var hits []newHit
	word := attendance.NewWord(cp.Word)
	for rows.Next() {
		var h newHit
		var text string
		if err := rows.Scan(&h.msgID, &h.channel, &text, &h.at, &h.regID); err != nil {
			rows.Close()
			return err
		}
		if attendance.NewText(text).Contains(word) {
			h.cpID = cp.ID
			hits = append(hits, h)
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("messages in checkpoint window: %w", err)
	}
	if err := insertHits(ctx, tx, hits); err != nil {
		return err
	}
	return flagForReview(ctx, tx, engine, cp.EventID, hitScope(hits))
}

// Checkpoints lists an event's checkpoints by number, with their hits
// (chat hits and form answers).
func (s *Store) Checkpoints(ctx context.Context, eventID int64) ([]attendance.Checkpoint, error) {
	var rows []checkpointRow
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT c.id, c.event_id, c.number, c.word, c.opens_at, c.closes_at,
		(SELECT COUNT(*) FROM checkpoint_hits h WHERE h.checkpoint_id = c.id) AS hits
		FROM checkpoints c WHERE c.event_id = ? ORDER BY c.number`), eventID)
	if err != nil {
		return nil, fmt.Errorf("store: checkpoints of event %d: %w", eventID, err)
	}
	out := make([]attendance.Checkpoint, len(rows))
	for i, r := range rows {
		out[i] = r.checkpoint()
	}
	return out, nil
}

// CloseCheckpoint ends a checkpoint's window at the given time; hits after
// it are removed (there are none when at is now).
func (s *Store) CloseCheckpoint(ctx context.Context, eventID int64, number int, at time.Time) error {
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		var cp checkpointRow
		err := tx.GetContext(ctx, &cp, tx.Rebind(`SELECT id, event_id, number, word, opens_at, closes_at, 0 AS hits
			FROM checkpoints WHERE event_id = ? AND number = ?`), eventID, number)
		if err != nil {
			return notFound(err, "no checkpoint %d in this event (see rollcall checkpoint list)", number)
		}
		end := us(at)
		if end < cp.OpensAt {
			end = cp.OpensAt
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE checkpoints SET closes_at = ? WHERE id = ?`), end, cp.ID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`DELETE FROM checkpoint_hits WHERE checkpoint_id = ? AND source = ? AND at > ?`), cp.ID, attendance.HitChat, end)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: close checkpoint %d: %w", number, err)
	}
	return nil
}
