package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/seameo/rollcall/attendance"
)

// RearmStream puts a stream's chat back to waiting, so that a running
// collector reads it again at its next round (and a stopped one at its
// start): what staff do once the cause of a stopped chat is fixed, or to
// follow a video again that was marked unavailable. The page token is kept
// (an expired one is answered invalidPageToken and recorded as a gap). It
// is audited with the chat state it replaced. It returns that state.
func (s *Store) RearmStream(ctx context.Context, eventID int64, videoID, staff string) (attendance.ChatState, error) {
	var prev struct {
		State      string `db:"state"`
		ChatState  string `db:"chat_state"`
		ChatDetail string `db:"chat_detail"`
	}
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &prev, tx.Rebind(`SELECT state, chat_state, chat_detail FROM streams WHERE event_id = ? AND video_id = ?`), eventID, videoID)
		if err != nil {
			return notFound(err, "event has no video %s", videoID)
		}
		state := prev.State
		if state == string(attendance.StreamUnavailable) || prev.ChatDetail == finishedByStaff {
			state = string(attendance.StreamUnknown) // sampled again at once
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE streams SET chat_state = ?, chat_detail = ?, state = ? WHERE event_id = ? AND video_id = ?`),
			attendance.ChatWaiting, "re-armed by staff", state, eventID, videoID)
		if err != nil {
			return err
		}
		return audit(ctx, tx, staff, "stream rearm", eventID, "video "+videoID,
			fmt.Sprintf("chat was %s, video %s", prev.ChatState, prev.State), us(s.now()))
	})
	if err != nil {
		return "", fmt.Errorf("store: rearm stream %s: %w", videoID, err)
	}
	return attendance.ChatState(prev.ChatState), nil
}

// finishedByStaff is the chat detail of a stream staff finished by hand.
const finishedByStaff = "finished by staff"

// FinishStream ends the following of a stream by a staff decision, whatever
// YouTube says of its video: a wrong video, a broadcast that will never
// start, a stream staff no longer want read. Its chat stops being read and
// serve --until-ended counts it as done. It is audited, and RearmStream
// follows it again.
func (s *Store) FinishStream(ctx context.Context, eventID int64, videoID, staff, why string) error {
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE streams SET state = ?, chat_state = ?, chat_detail = ? WHERE event_id = ? AND video_id = ?`),
			attendance.StreamEnded, attendance.ChatStopped, finishedByStaff, eventID, videoID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return attendance.Errorf(attendance.ENotFound, "event has no video %s", videoID)
		}
		return audit(ctx, tx, staff, "stream finish", eventID, "video "+videoID, why, us(s.now()))
	})
	if err != nil {
		return fmt.Errorf("store: finish stream %s: %w", videoID, err)
	}
	return nil
}
