package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/seameo/rollcall/attendance"
)

// recordGap records, inside a page's transaction and before its messages
// are stored, the span of chat that YouTube no longer served: from the
// last message of the stream stored so far (0 when none) to the first
// message of the page, or to now when the page has none. A read without a
// token returns recent history, which may reach back before the last
// stored message: the gap then ends at the page's first message after it
// (to now when there is none), never before it starts. A retried page
// commits in a new transaction, and an identical gap is kept once.
func (s *Store) recordGap(ctx context.Context, tx *sqlx.Tx, page attendance.ChatPage) error {
	var from int64
	if err := tx.GetContext(ctx, &from, tx.Rebind(`SELECT COALESCE(MAX(published_at), 0) FROM chat_messages WHERE stream_id = ?`), page.StreamID); err != nil {
		return fmt.Errorf("last message before the gap: %w", err)
	}
	now := us(s.now())
	to := int64(0)
	for _, m := range page.Messages {
		if attendance.TickerEvent(m.Type) {
			continue // brought from further back: the gap may run past it
		}
		if t := us(m.PublishedAt); t > from && (to == 0 || t < to) {
			to = t
		}
	}
	if to == 0 {
		to = now
	}
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO chat_gaps (stream_id, from_at, to_at, reason, recorded_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (stream_id, from_at, to_at, reason) DO NOTHING`), page.StreamID, from, to, page.GapReason, now)
	if err != nil {
		return fmt.Errorf("record gap: %w", err)
	}
	return nil
}

// Gaps lists the gaps recorded in an event's chat, by stream, then time.
func (s *Store) Gaps(ctx context.Context, eventID int64) ([]attendance.Gap, error) {
	var rows []struct {
		StreamID int64  `db:"stream_id"`
		VideoID  string `db:"video_id"`
		From     int64  `db:"from_at"`
		To       int64  `db:"to_at"`
		Reason   string `db:"reason"`
		Recorded int64  `db:"recorded_at"`
	}
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT g.stream_id, st.video_id, g.from_at, g.to_at, g.reason, g.recorded_at
		FROM chat_gaps g JOIN streams st ON st.id = g.stream_id WHERE st.event_id = ? ORDER BY st.id, g.from_at, g.to_at, g.id`), eventID)
	if err != nil {
		return nil, fmt.Errorf("store: gaps of event %d: %w", eventID, err)
	}
	out := make([]attendance.Gap, len(rows))
	for i, r := range rows {
		out[i] = attendance.Gap{StreamID: r.StreamID, VideoID: r.VideoID, From: fromUS(r.From), To: fromUS(r.To), Reason: r.Reason, RecordedAt: fromUS(r.Recorded)}
	}
	return out, nil
}

// moderationTypes are the chat events kept in chat_moderation.
var moderationTypes = map[string]bool{
	attendance.MsgMessageDeleted: true, attendance.MsgUserBanned: true,
	attendance.MsgMembersOnlyStarted: true, attendance.MsgMembersOnlyEnded: true,
}

// evidenceRef is a message that a link or checkpoint hit rests on.
type evidenceRef struct{ channel, messageID string }

// reviewScope is what one ingest may have to flag for staff review: the
// messages whose deletion by a moderator would flag the evidence resting
// on them, and the channels whose ban would.
type reviewScope struct {
	messages []evidenceRef
	channels []string
}

func (r *reviewScope) add(o reviewScope) {
	r.messages = append(r.messages, o.messages...)
	r.channels = append(r.channels, o.channels...)
}

// recordModeration keeps the page's moderator deletions, bans and
// members-only switches, and returns what they may flag: the deleted
// messages (with their authors, when stored) and the banned channels.
func recordModeration(ctx context.Context, tx *sqlx.Tx, streamID int64, fresh []attendance.ChatMessage) (reviewScope, error) {
	var scope reviewScope
	var args []any
	var targets []string
	n := 0
	for _, m := range fresh {
		if !moderationTypes[m.Type] {
			continue
		}
		args = append(args, streamID, m.ID, m.Type, m.TargetID, us(m.PublishedAt))
		n++
		switch {
		case m.TargetID == "":
		case m.Type == attendance.MsgMessageDeleted:
			targets = append(targets, m.TargetID)
		case m.Type == attendance.MsgUserBanned:
			scope.channels = append(scope.channels, m.TargetID)
		}
	}
	for i := 0; i < n; i += 400 {
		k := min(n-i, 400)
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO chat_moderation (stream_id, message_id, type, target_id, at) VALUES `+
			placeholders(k, 5)+` ON CONFLICT (stream_id, message_id) DO NOTHING`), args[i*5:(i+k)*5]...)
		if err != nil {
			return scope, fmt.Errorf("record moderation: %w", err)
		}
	}
	for i := 0; i < len(targets); i += inChunk {
		chunk := targets[i:min(i+inChunk, len(targets))]
		args := []any{streamID}
		for _, t := range chunk {
			args = append(args, t)
		}
		var refs []struct {
			Channel string `db:"author_channel_id"`
			ID      string `db:"message_id"`
		}
		err := tx.SelectContext(ctx, &refs, tx.Rebind(`SELECT author_channel_id, message_id FROM chat_messages
			WHERE stream_id = ? AND message_id IN (`+inClause(len(chunk))+`) AND author_channel_id <> ''`), args...)
		if err != nil {
			return scope, fmt.Errorf("authors of deleted messages: %w", err)
		}
		for _, r := range refs {
			scope.messages = append(scope.messages, evidenceRef{r.Channel, r.ID})
		}
	}
	return scope, nil
}

// flagForReview records the review flags the scope calls for: every link
// (but a manual one: staff linked it knowing) and chat checkpoint hit that
// rests on a message a moderator deleted is flagged evidence_deleted, and
// every one resting on a banned channel's messages channel_banned —
// whichever came first, the evidence or the deletion or ban. One flag per
// registration, channel and kind; a resolved flag stays resolved.
func flagForReview(ctx context.Context, tx *sqlx.Tx, engine Engine, eventID int64, scope reviewScope) error {
	if len(scope.messages) == 0 && len(scope.channels) == 0 {
		return nil
	}
	const eventStreams = `(SELECT id FROM streams WHERE event_id = ?)`
	for i := 0; i < len(scope.messages); i += inChunk {
		chunk := scope.messages[i:min(i+inChunk, len(scope.messages))]
		chans, ids := uniqueRefs(chunk)
		inCh, chArgs := inStrings(engine, "channel_id", chans)
		inID, idArgs := inStrings(engine, "message_id", ids)
		inHitID, _ := inStrings(engine, "h.message_id", ids)
		args := []any{attendance.ConflictEvidenceDeleted, eventID, LinkManual}
		args = append(append(args, chArgs...), idArgs...)
		args = append(args, eventID, attendance.HitChat, eventID)
		args = append(append(args, chArgs...), idArgs...)
		args = append(args, attendance.MsgMessageDeleted, eventID)
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO link_conflicts (event_id, registration_id, channel_id, kind, message_id, at)
			SELECT x.event_id, x.registration_id, x.channel_id, ?, x.message_id, d.at FROM (
				SELECT event_id, registration_id, channel_id, message_id FROM links
				WHERE event_id = ? AND method <> ? AND `+inCh+` AND `+inID+`
				UNION ALL
				SELECT c.event_id, h.registration_id, h.channel_id, h.message_id FROM checkpoint_hits h JOIN checkpoints c ON c.id = h.checkpoint_id
				WHERE c.event_id = ? AND h.source = ? AND h.registration_id IN (SELECT registration_id FROM links WHERE event_id = ? AND `+inCh+`)
				AND `+inHitID+`
			) x JOIN chat_moderation d ON d.target_id = x.message_id AND d.type = ? AND d.stream_id IN `+eventStreams+`
			WHERE x.message_id <> '' ON CONFLICT (registration_id, channel_id, kind) DO NOTHING`), args...)
		if err != nil {
			return fmt.Errorf("flag evidence deleted by a moderator: %w", err)
		}
	}
	chans := uniqueStrings(scope.channels)
	for i := 0; i < len(chans); i += inChunk {
		chunk := chans[i:min(i+inChunk, len(chans))]
		inCh, chArgs := inStrings(engine, "channel_id", chunk)
		inHitCh, _ := inStrings(engine, "h.channel_id", chunk)
		args := []any{attendance.ConflictChannelBanned, eventID, LinkManual}
		args = append(args, chArgs...)
		args = append(args, eventID, attendance.HitChat, eventID)
		args = append(append(args, chArgs...), chArgs...)
		args = append(args, attendance.MsgUserBanned, eventID)
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO link_conflicts (event_id, registration_id, channel_id, kind, message_id, at)
			SELECT x.event_id, x.registration_id, x.channel_id, ?, x.message_id, MIN(b.at) FROM (
				SELECT event_id, registration_id, channel_id, message_id FROM links
				WHERE event_id = ? AND method <> ? AND `+inCh+`
				UNION ALL
				SELECT c.event_id, h.registration_id, h.channel_id, h.message_id FROM checkpoint_hits h JOIN checkpoints c ON c.id = h.checkpoint_id
				WHERE c.event_id = ? AND h.source = ? AND h.registration_id IN (SELECT registration_id FROM links WHERE event_id = ? AND `+inCh+`)
				AND `+inHitCh+`
			) x JOIN chat_moderation b ON b.target_id = x.channel_id AND b.type = ? AND b.stream_id IN `+eventStreams+`
			WHERE x.channel_id <> '' GROUP BY x.event_id, x.registration_id, x.channel_id, x.message_id
			ON CONFLICT (registration_id, channel_id, kind) DO NOTHING`), args...)
		if err != nil {
			return fmt.Errorf("flag evidence of banned channels: %w", err)
		}
	}
	return nil
}

// flagStreamForReview is flagForReview for the event of a stream.
func flagStreamForReview(ctx context.Context, tx *sqlx.Tx, engine Engine, streamID int64, scope reviewScope) error {
	if len(scope.messages) == 0 && len(scope.channels) == 0 {
		return nil
	}
	var eventID int64
	if err := tx.GetContext(ctx, &eventID, tx.Rebind(`SELECT event_id FROM streams WHERE id = ?`), streamID); err != nil {
		return fmt.Errorf("event of stream: %w", err)
	}
	return flagForReview(ctx, tx, engine, eventID, scope)
}

func uniqueRefs(refs []evidenceRef) (chans, ids []string) {
	seenCh, seenID := map[string]bool{}, map[string]bool{}
	for _, r := range refs {
		if !seenCh[r.channel] {
			seenCh[r.channel] = true
			chans = append(chans, r.channel)
		}
		if !seenID[r.messageID] {
			seenID[r.messageID] = true
			ids = append(ids, r.messageID)
		}
	}
	return chans, ids
}

func uniqueStrings(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// MembersOnlyNotices returns, for each of an event's checkpoints, the
// spans of members-only chat that overlap its window (see
// attendance.MembersOnlyNotices): staff are told non-members could not
// answer then.
func (s *Store) MembersOnlyNotices(ctx context.Context, eventID int64) ([]attendance.MembersOnlyNotice, error) {
	var rows []struct {
		StreamID int64  `db:"stream_id"`
		VideoID  string `db:"video_id"`
		Type     string `db:"type"`
		At       int64  `db:"at"`
	}
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT m.stream_id, st.video_id, m.type, m.at FROM chat_moderation m
		JOIN streams st ON st.id = m.stream_id WHERE st.event_id = ? AND m.type IN (?, ?) ORDER BY m.stream_id, m.at, m.message_id`),
		eventID, attendance.MsgMembersOnlyStarted, attendance.MsgMembersOnlyEnded)
	if err != nil {
		return nil, fmt.Errorf("store: members-only mode of event %d: %w", eventID, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	cps, err := loadCheckpoints(ctx, s.db, eventID)
	if err != nil {
		return nil, fmt.Errorf("store: members-only mode of event %d: %w", eventID, err)
	}
	changes := make([]attendance.ModeChange, len(rows))
	for i, r := range rows {
		changes[i] = attendance.ModeChange{StreamID: r.StreamID, VideoID: r.VideoID, At: fromUS(r.At), MembersOnly: r.Type == attendance.MsgMembersOnlyStarted}
	}
	return attendance.MembersOnlyNotices(changes, cps), nil
}
