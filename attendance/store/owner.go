package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/seameo/rollcall/attendance"
)

// Owner mode (issue 13): broadcast discovery and checkpoint announcements.

// collectorActor names the collector in the audit log.
const collectorActor = "rollcall"

// setOwnerMode writes an event's discovery and announcement settings.
func setOwnerMode(ctx context.Context, tx *sqlx.Tx, e attendance.Event) error {
	d := e.Discovery
	_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE events SET discover = ?, discover_channel = ?, discover_match = ?,
		discover_from = ?, discover_to = ?, announce = ?, announce_template = ? WHERE id = ?`),
		d.On, d.ChannelID, d.Match, us(d.From), us(d.To), e.Announce, e.AnnounceTemplate, e.ID)
	return err
}

// SetOwnerMode changes an event's discovery and announcement settings,
// audited. A discovery window or pattern that changes keeps the bound
// channel.
func (s *Store) SetOwnerMode(ctx context.Context, e attendance.Event, staff string) error {
	if err := e.Discovery.Validate(); err != nil {
		return err
	}
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		if err := setOwnerMode(ctx, tx, e); err != nil {
			return err
		}
		detail := fmt.Sprintf("discover %t, announce %t", e.Discovery.On, e.Announce)
		return audit(ctx, tx, staff, "event owner mode", e.ID, "event "+e.Slug, detail, us(s.now()))
	})
	if err != nil {
		return fmt.Errorf("store: set owner mode of event %s: %w", e.Slug, err)
	}
	return nil
}

// DiscoveringEvents lists the active events that find their streams among
// the owner's broadcasts.
func (s *Store) DiscoveringEvents(ctx context.Context) ([]attendance.Event, error) {
	var rows []eventRow
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+eventColumns+` FROM events WHERE active = ? AND discover = ? ORDER BY id`), true, true)
	if err != nil {
		return nil, fmt.Errorf("store: discovering events: %w", err)
	}
	out := make([]attendance.Event, len(rows))
	for i, r := range rows {
		out[i] = r.event()
	}
	return out, nil
}

// BindDiscoveryChannel binds an event to the token's channel, unless it is
// bound already; it returns the channel the event is bound to.
func (s *Store) BindDiscoveryChannel(ctx context.Context, eventID int64, channelID string) (string, error) {
	var bound string
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE events SET discover_channel = ? WHERE id = ? AND discover_channel = ''`), channelID, eventID); err != nil {
			return err
		}
		return tx.GetContext(ctx, &bound, tx.Rebind(`SELECT discover_channel FROM events WHERE id = ?`), eventID)
	})
	if err != nil {
		return "", fmt.Errorf("store: bind event %d to its channel: %w", eventID, err)
	}
	return bound, nil
}

// AddDiscoveredStream adds a broadcast the collector found to an event;
// added is false when the event has it already (a stream staff dropped
// included: it is never added again). The addition is audited.
func (s *Store) AddDiscoveredStream(ctx context.Context, eventID int64, videoID, title string) (added bool, err error) {
	err = s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO streams (event_id, video_id, title, discovered) VALUES (?, ?, ?, ?)
			ON CONFLICT (event_id, video_id) DO NOTHING`), eventID, videoID, title, true)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		added = true
		return audit(ctx, tx, collectorActor, "stream discover", eventID, "video "+videoID, "found among the channel's broadcasts", us(s.now()))
	})
	if err != nil {
		return false, fmt.Errorf("store: add discovered stream %s: %w", videoID, err)
	}
	return added, nil
}

// DropStream stops following a stream, discovered or not, by a staff
// decision: as FinishStream, audited as a drop; discovery never adds it
// again.
func (s *Store) DropStream(ctx context.Context, eventID int64, videoID, staff, why string) error {
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE streams SET state = ?, chat_state = ?, chat_detail = ? WHERE event_id = ? AND video_id = ?`),
			attendance.StreamEnded, attendance.ChatStopped, "dropped by staff", eventID, videoID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return attendance.Errorf(attendance.ENotFound, "event has no video %s", videoID)
		}
		// Announcements still queued for it will not be posted.
		_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE announcements SET state = ?, reply = ?, done_at = ?
			WHERE state = ? AND stream_id IN (SELECT id FROM streams WHERE event_id = ? AND video_id = ?)`),
			attendance.AnnounceFailed, "stream dropped by staff", us(s.now()), attendance.AnnouncePending, eventID, videoID)
		if err != nil {
			return err
		}
		return audit(ctx, tx, staff, "stream drop", eventID, "video "+videoID, why, us(s.now()))
	})
	if err != nil {
		return fmt.Errorf("store: drop stream %s: %w", videoID, err)
	}
	return nil
}

// QueueAnnouncements turns every open checkpoint of an event with
// announcements on into one pending announcement per live chat of the
// event, once (a checkpoint × stream is queued at most once, whatever
// crashes). A text that does not fit is queued as failed, with the reason.
// It returns how many were queued.
func (s *Store) QueueAnnouncements(ctx context.Context, now time.Time) (int, error) {
	type cand struct {
		Template string `db:"announce_template"`
		checkpointRow
		StreamID int64  `db:"stream_id"`
		ChatID   string `db:"chat_id"`
	}
	var cands []cand
	t := us(now)
	err := s.db.SelectContext(ctx, &cands, s.db.Rebind(`SELECT e.announce_template, c.id, c.event_id, c.number, c.word,
		c.opens_at, c.closes_at, 0 AS hits, s.id AS stream_id, s.chat_id
		FROM events e JOIN checkpoints c ON c.event_id = e.id JOIN streams s ON s.event_id = e.id
		WHERE e.active = ? AND e.announce = ? AND c.opens_at <= ? AND c.closes_at > ?
		AND s.state = ? AND s.chat_id <> ''
		AND NOT EXISTS (SELECT 1 FROM announcements a WHERE a.checkpoint_id = c.id AND a.stream_id = s.id)
		ORDER BY c.opens_at, c.id, s.id`), true, true, t, t, attendance.StreamLive)
	if err != nil {
		return 0, fmt.Errorf("store: open checkpoints to announce: %w", err)
	}
	n := 0
	for _, c := range cands {
		state, reply, done := attendance.AnnouncePending, "", int64(0)
		text, err := attendance.ExpandAnnouncement(c.Template, c.checkpoint())
		if err != nil {
			state, reply, done = attendance.AnnounceFailed, err.Error(), t
		}
		res, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO announcements (event_id, checkpoint_id, stream_id, chat_id,
			text, state, reply, created_at, done_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (checkpoint_id, stream_id) DO NOTHING`),
			c.EventID, c.ID, c.StreamID, c.ChatID, text, state, reply, t, done)
		if err != nil {
			return n, fmt.Errorf("store: queue announcement of checkpoint %d: %w", c.Number, err)
		}
		if k, err := res.RowsAffected(); err == nil && k > 0 {
			n++
		}
	}
	return n, nil
}

type announcementRow struct {
	ID           int64  `db:"id"`
	EventID      int64  `db:"event_id"`
	CheckpointID int64  `db:"checkpoint_id"`
	Number       int    `db:"number"`
	StreamID     int64  `db:"stream_id"`
	VideoID      string `db:"video_id"`
	ChatID       string `db:"chat_id"`
	Text         string `db:"text"`
	State        string `db:"state"`
	Reply        string `db:"reply"`
	Attempts     int    `db:"attempts"`
	MessageID    string `db:"message_id"`
	AttemptedAt  int64  `db:"attempted_at"`
	ClosesAt     int64  `db:"closes_at"`
}

// announcementColumns name the stream's current chat: a broadcast whose
// activeLiveChatId changed after the announcement was queued gets it in
// its new chat.
const announcementColumns = `a.id, a.event_id, a.checkpoint_id, c.number, a.stream_id, s.video_id,
	CASE WHEN s.chat_id <> '' THEN s.chat_id ELSE a.chat_id END AS chat_id, a.text, a.state,
	a.reply, a.attempts, a.message_id, a.attempted_at, c.closes_at`

const announcementJoins = ` FROM announcements a JOIN checkpoints c ON c.id = a.checkpoint_id JOIN streams s ON s.id = a.stream_id`

func (r announcementRow) announcement() attendance.Announcement {
	return attendance.Announcement{ID: r.ID, EventID: r.EventID, CheckpointID: r.CheckpointID, CheckpointNumber: r.Number,
		StreamID: r.StreamID, VideoID: r.VideoID, ChatID: r.ChatID, Text: r.Text, State: r.State, Reply: r.Reply,
		Attempts: r.Attempts, MessageID: r.MessageID, AttemptedAt: fromUS(r.AttemptedAt)}
}

// ClaimAnnouncement takes the oldest announcement that may be posted now
// and marks it posting, with one more attempt: a pending one, or one a
// crash left posting, whose chat had no post attempt within spacing (at
// most one post a minute per chat, crashes included). One whose checkpoint
// has closed, or that a crash left posting after its last attempt, is
// failed instead, never posted late or a third time. ok is false when
// nothing may be posted now.
func (s *Store) ClaimAnnouncement(ctx context.Context, now time.Time, spacing time.Duration) (a attendance.Announcement, ok bool, err error) {
	t := us(now)
	// Most rounds have nothing to post: a read, not a write transaction.
	var waiting int
	if err := s.db.GetContext(ctx, &waiting, s.db.Rebind(`SELECT COUNT(*) FROM announcements WHERE state IN (?, ?)`),
		attendance.AnnouncePending, attendance.AnnouncePosting); err != nil {
		return attendance.Announcement{}, false, fmt.Errorf("store: claim announcement: %w", err)
	}
	if waiting == 0 {
		return attendance.Announcement{}, false, nil
	}
	err = s.tx(ctx, func(tx *sqlx.Tx) error {
		for {
			var r announcementRow
			err := tx.GetContext(ctx, &r, tx.Rebind(`SELECT `+announcementColumns+announcementJoins+`
				WHERE (a.state = ? OR (a.state = ? AND a.attempted_at <= ?))
				AND NOT EXISTS (SELECT 1 FROM announcements b WHERE b.chat_id = a.chat_id AND b.attempted_at > ?)
				ORDER BY a.id LIMIT 1`), attendance.AnnouncePending, attendance.AnnouncePosting, t-spacing.Microseconds(), t-spacing.Microseconds())
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err != nil {
				return err
			}
			fail := ""
			switch {
			case r.ClosesAt <= t:
				fail = "the checkpoint closed before it could be posted"
			case r.State == attendance.AnnouncePosting && r.Attempts >= attendance.MaxAnnounceAttempts:
				fail = "interrupted while posting, twice: not sent again (look in the chat)"
			}
			if fail != "" {
				if err := finishAnnouncement(ctx, tx, r.announcement(), attendance.AnnounceFailed, fail, "", t); err != nil {
					return err
				}
				continue
			}
			res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE announcements SET state = ?, attempts = attempts + 1, attempted_at = ?
				WHERE id = ? AND state = ? AND attempts = ?`), attendance.AnnouncePosting, t, r.ID, r.State, r.Attempts)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return err // another replica took it
			}
			r.State, r.Attempts, r.AttemptedAt = attendance.AnnouncePosting, r.Attempts+1, t
			a, ok = r.announcement(), true
			return nil
		}
	})
	if err != nil {
		return attendance.Announcement{}, false, fmt.Errorf("store: claim announcement: %w", err)
	}
	return a, ok, nil
}

// FinishAnnouncement records what became of a claimed announcement:
// posted (with the message id), failed (with YouTube's answer, never sent
// again), or pending (a transient failure: sent once more, a minute after
// the failed attempt at the soonest). Posted and failed are audited.
func (s *Store) FinishAnnouncement(ctx context.Context, a attendance.Announcement, state, reply, messageID string) error {
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		return finishAnnouncement(ctx, tx, a, state, reply, messageID, us(s.now()))
	})
	if err != nil {
		return fmt.Errorf("store: finish announcement %s: %w", a, err)
	}
	return nil
}

func finishAnnouncement(ctx context.Context, tx *sqlx.Tx, a attendance.Announcement, state, reply, messageID string, at int64) error {
	done := at
	if state == attendance.AnnouncePending {
		done = 0
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE announcements SET state = ?, reply = ?, message_id = ?, done_at = ? WHERE id = ?`),
		state, reply, messageID, done, a.ID); err != nil {
		return err
	}
	if state == attendance.AnnouncePending {
		return nil
	}
	// the text holds the word: the audit names the checkpoint by number
	detail := "posted"
	if state == attendance.AnnounceFailed {
		detail = "failed: " + reply
	}
	return audit(ctx, tx, collectorActor, "checkpoint announce", a.EventID,
		fmt.Sprintf("checkpoint %d", a.CheckpointNumber), fmt.Sprintf("video %s: %s", a.VideoID, detail), at)
}

// Announcements lists an event's checkpoint announcements, by checkpoint.
func (s *Store) Announcements(ctx context.Context, eventID int64) ([]attendance.Announcement, error) {
	var rows []announcementRow
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+announcementColumns+announcementJoins+`
		WHERE a.event_id = ? ORDER BY c.number, a.id`), eventID)
	if err != nil {
		return nil, fmt.Errorf("store: announcements of event %d: %w", eventID, err)
	}
	out := make([]attendance.Announcement, len(rows))
	for i, r := range rows {
		out[i] = r.announcement()
	}
	return out, nil
}

// postedIDs are the ids of rollcall's own posts in a stream's chat: never
// evidence, even when YouTube does not mark them isChatOwner (a token of a
// moderator's channel, not the owner's). A handful per stream.
func postedIDs(ctx context.Context, tx *sqlx.Tx, streamID int64) (map[string]bool, error) {
	var got []string
	err := tx.SelectContext(ctx, &got, tx.Rebind(`SELECT message_id FROM announcements WHERE stream_id = ? AND message_id <> ''`), streamID)
	if err != nil {
		return nil, fmt.Errorf("rollcall's own posts: %w", err)
	}
	out := make(map[string]bool, len(got))
	for _, id := range got {
		out[id] = true
	}
	return out, nil
}
