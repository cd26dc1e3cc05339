package store

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/seameo/rollcall/attendance"
)

// ErrStaleFence means a chat page came from a writer that no longer holds
// the stream's lease: nothing of it was written.
var ErrStaleFence = attendance.ErrStaleFence

// CommitChatPage stores one chat page and the cursor after it in a single
// transaction: messages deduplicated by YouTube message id, chat authors,
// minutes of activity, deletions, counters, and the next page token. A crash
// at any instant leaves either the whole page with its token or neither, so
// a restart resumes without losing or repeating anything.
func (s *Store) CommitChatPage(ctx context.Context, page attendance.ChatPage) error {
	// The commit is synchronous on PostgreSQL too. With synchronous_commit
	// off, a server crash could lose a page after acknowledging it; the
	// stored cursor rewinds, but the poller, still holding its lease, goes
	// on from the token in its memory, so the page's messages were lost for
	// good (TestReplicasPostgresRestart met it).
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		if page.GapReason != "" {
			// Before the page's own messages are stored: the gap starts at
			// the last message read before it.
			if err := s.recordGap(ctx, tx, page); err != nil {
				return err
			}
		}
		_, err := s.ingestChat(ctx, tx, page.StreamID, page.Messages, "api")
		if err != nil {
			return err
		}
		// A page read means the chat is being read: waiting, gap and
		// backoff become polling. streaming and every other state stay as
		// the collector set them (SetChatState).
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE streams SET page_token = ?, last_commit_at = ?,
			offline_at = CASE WHEN offline_at = 0 THEN ? ELSE offline_at END,
			chat_state = CASE WHEN chat_state IN (?, ?, ?) THEN ? ELSE chat_state END
			WHERE id = ? AND fence <= ?`),
			page.NextPageToken, us(s.now()), us(page.OfflineAt),
			attendance.ChatWaiting, attendance.ChatGap, attendance.ChatBackoff, attendance.ChatPolling,
			page.StreamID, page.Fence)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrStaleFence
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: commit chat page of stream %d: %w", page.StreamID, err)
	}
	return nil
}

// ingestChat stores messages of one stream inside tx and returns the ones
// that were new. source is "api" or "replay".
func (s *Store) ingestChat(ctx context.Context, tx *sqlx.Tx, streamID int64, msgs []attendance.ChatMessage, source string) ([]attendance.ChatMessage, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	now := us(s.now())
	// Within one page YouTube never repeats an id, but a replay file can.
	uniq := make([]attendance.ChatMessage, 0, len(msgs))
	seen := make(map[string]bool, len(msgs))
	for _, m := range msgs {
		if m.ID == "" || seen[m.ID] {
			continue
		}
		seen[m.ID] = true
		m.Text, m.AuthorName, m.DisplayText = withoutNUL(m.Text), withoutNUL(m.AuthorName), withoutNUL(m.DisplayText)
		uniq = append(uniq, m)
	}
	// The channel's own messages and rollcall's announcements are never
	// evidence: their words are kept as display only.
	own, err := postedIDs(ctx, tx, streamID)
	if err != nil {
		return nil, err
	}
	for i := range uniq {
		if m := &uniq[i]; m.IsChatOwner || own[m.ID] {
			if m.DisplayText == "" {
				m.DisplayText = m.Text
			}
			m.Text = ""
		}
	}
	if source == "replay" {
		var err error
		if uniq, err = s.withoutAPICopies(ctx, tx, streamID, uniq); err != nil {
			return nil, err
		}
		if len(uniq) == 0 {
			return nil, nil
		}
	}
	inserted, err := s.insertMessages(ctx, tx, streamID, uniq, now, source)
	if err != nil {
		return nil, err
	}
	fresh := make([]attendance.ChatMessage, 0, len(inserted))
	for _, m := range uniq {
		if inserted[m.ID] {
			fresh = append(fresh, m)
		}
	}
	if len(fresh) == 0 {
		return nil, nil
	}
	if err := markDeleted(ctx, tx, streamID, fresh); err != nil {
		return nil, err
	}
	newAuthors, err := upsertAuthors(ctx, tx, s.engine, streamID, fresh)
	if err != nil {
		return nil, err
	}
	if err := recordActivity(ctx, tx, s.engine, streamID, fresh); err != nil {
		return nil, err
	}
	touched, err := s.linkAndHit(ctx, tx, streamID, fresh)
	if err != nil {
		return nil, err
	}
	moderated, err := recordModeration(ctx, tx, streamID, fresh)
	if err != nil {
		return nil, err
	}
	touched.add(moderated)
	if err := flagStreamForReview(ctx, tx, s.engine, streamID, touched); err != nil {
		return nil, err
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE streams SET chat_messages = chat_messages + ?, chat_authors = chat_authors + ? WHERE id = ?`),
		len(fresh), newAuthors, streamID)
	if err != nil {
		return nil, fmt.Errorf("count messages: %w", err)
	}
	return fresh, nil
}

// markDeleted marks messages deleted by a moderator or retracted by their
// author as no longer shown in chat. It is display only: the message keeps
// its text and every link, hit and minute resting on it (review flags come
// from chat_moderation, for moderator deletions only).
func markDeleted(ctx context.Context, tx *sqlx.Tx, streamID int64, msgs []attendance.ChatMessage) error {
	var targets []any
	for _, m := range msgs {
		if (m.Type == attendance.MsgMessageDeleted || m.Type == attendance.MsgMessageRetract) && m.TargetID != "" {
			targets = append(targets, m.TargetID)
		}
	}
	if len(targets) == 0 {
		return nil
	}
	args := append([]any{true, streamID}, targets...)
	_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE chat_messages SET deleted = ? WHERE stream_id = ? AND message_id IN (`+inClause(len(targets))+`)`), args...)
	if err != nil {
		return fmt.Errorf("mark deleted messages: %w", err)
	}
	return nil
}

type authorAgg struct {
	name        string
	first, last int64
	n           int64
}

// upsertAuthors keeps one row per chat channel and stream, and returns how
// many channels wrote for the first time.
func upsertAuthors(ctx context.Context, tx *sqlx.Tx, engine Engine, streamID int64, msgs []attendance.ChatMessage) (int, error) {
	agg := map[string]*authorAgg{}
	for _, m := range msgs {
		if m.AuthorChannelID == "" || !attendance.PresenceType(m.Type) {
			continue
		}
		t := us(m.PublishedAt)
		a := agg[m.AuthorChannelID]
		if a == nil {
			agg[m.AuthorChannelID] = &authorAgg{name: m.AuthorName, first: t, last: t, n: 1}
			continue
		}
		a.n++
		if t < a.first {
			a.first = t
		}
		if t >= a.last {
			a.last, a.name = t, m.AuthorName
		}
	}
	if len(agg) == 0 {
		return 0, nil
	}
	ids := make([]string, 0, len(agg))
	for id := range agg {
		ids = append(ids, id)
	}
	sort.Strings(ids) // a stable lock order between concurrent writers
	if engine == Postgres {
		return upsertAuthorsPostgres(ctx, tx, streamID, ids, agg)
	}
	known := map[string]bool{}
	const batch = 500
	for i := 0; i < len(ids); i += batch {
		chunk := ids[i:min(i+batch, len(ids))]
		args := []any{streamID}
		for _, id := range chunk {
			args = append(args, id)
		}
		var found []string
		if err := tx.SelectContext(ctx, &found, tx.Rebind(`SELECT channel_id FROM chat_authors WHERE stream_id = ? AND channel_id IN (`+inClause(len(chunk))+`)`), args...); err != nil {
			return 0, fmt.Errorf("find chat authors: %w", err)
		}
		for _, id := range found {
			known[id] = true
		}
		args = args[:0]
		for _, id := range chunk {
			a := agg[id]
			args = append(args, streamID, id, a.name, a.first, a.last, a.n)
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO chat_authors (stream_id, channel_id, display_name, first_at, last_at, messages)
			VALUES `+placeholders(len(chunk), 6)+` `+authorsUpdate), args...)
		if err != nil {
			return 0, fmt.Errorf("upsert chat authors: %w", err)
		}
	}
	return len(ids) - len(known), nil
}

// authorsUpdate is how a known chat author takes a new page's figures.
const authorsUpdate = `ON CONFLICT (stream_id, channel_id) DO UPDATE SET
	display_name = CASE WHEN excluded.last_at >= chat_authors.last_at THEN excluded.display_name ELSE chat_authors.display_name END,
	first_at = CASE WHEN excluded.first_at < chat_authors.first_at THEN excluded.first_at ELSE chat_authors.first_at END,
	last_at = CASE WHEN excluded.last_at > chat_authors.last_at THEN excluded.last_at ELSE chat_authors.last_at END,
	messages = chat_authors.messages + excluded.messages`

// upsertAuthorsPostgres is upsertAuthors in one statement over arrays; a row
// PostgreSQL inserted (rather than updated) has xmax = 0.
func upsertAuthorsPostgres(ctx context.Context, tx *sqlx.Tx, streamID int64, ids []string, agg map[string]*authorAgg) (int, error) {
	names := make([]string, len(ids))
	first, last, n := make([]int64, len(ids)), make([]int64, len(ids)), make([]int64, len(ids))
	for i, id := range ids {
		a := agg[id]
		names[i], first[i], last[i], n[i] = a.name, a.first, a.last, a.n
	}
	var inserted []bool
	err := tx.SelectContext(ctx, &inserted, `INSERT INTO chat_authors (stream_id, channel_id, display_name, first_at, last_at, messages)
		SELECT $1, u.ch, u.name, u.first, u.last, u.n
		FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[]) AS u(ch, name, first, last, n)
		`+authorsUpdate+` RETURNING (xmax = 0)`,
		streamID, pq.Array(ids), pq.Array(names), pq.Array(first), pq.Array(last), pq.Array(n))
	if err != nil {
		return 0, fmt.Errorf("upsert chat authors: %w", err)
	}
	fresh := 0
	for _, ins := range inserted {
		if ins {
			fresh++
		}
	}
	return fresh, nil
}

// recordActivity keeps the distinct minutes in which each channel wrote.
func recordActivity(ctx context.Context, tx *sqlx.Tx, engine Engine, streamID int64, msgs []attendance.ChatMessage) error {
	type key struct {
		ch     string
		minute int64
	}
	set := map[key]bool{}
	var keys []key
	for _, m := range msgs {
		if m.AuthorChannelID == "" || !attendance.PresenceType(m.Type) {
			continue
		}
		k := key{m.AuthorChannelID, m.PublishedAt.Unix() / 60}
		if !set[k] {
			set[k] = true
			keys = append(keys, k)
		}
	}
	if engine == Postgres && len(keys) > 0 {
		chans, minutes := make([]string, len(keys)), make([]int64, len(keys))
		for i, k := range keys {
			chans[i], minutes[i] = k.ch, k.minute
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO chat_activity (stream_id, channel_id, minute)
			SELECT $1, u.ch, u.minute FROM unnest($2::text[], $3::bigint[]) AS u(ch, minute)
			ON CONFLICT (stream_id, channel_id, minute) DO NOTHING`, streamID, pq.Array(chans), pq.Array(minutes))
		if err != nil {
			return fmt.Errorf("record activity: %w", err)
		}
		return nil
	}
	const batch = 800
	for i := 0; i < len(keys); i += batch {
		chunk := keys[i:min(i+batch, len(keys))]
		args := make([]any, 0, len(chunk)*3)
		for _, k := range chunk {
			args = append(args, streamID, k.ch, k.minute)
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO chat_activity (stream_id, channel_id, minute) VALUES `+
			placeholders(len(chunk), 3)+` ON CONFLICT (stream_id, channel_id, minute) DO NOTHING`), args...)
		if err != nil {
			return fmt.Errorf("record activity: %w", err)
		}
	}
	return nil
}

// withoutAPICopies drops replayed messages that the Data API already gave:
// their ids differ, so a message is the same when its author matches, its
// time is within a second (the API gives 0, 3 or 6 fractional digits) and
// its letters and digits match (or the stored text was blanked).
func (s *Store) withoutAPICopies(ctx context.Context, tx *sqlx.Tx, streamID int64, msgs []attendance.ChatMessage) ([]attendance.ChatMessage, error) {
	var authors []string
	seenAuthor := map[string]bool{}
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, m := range msgs {
		if m.AuthorChannelID == "" {
			continue
		}
		if !seenAuthor[m.AuthorChannelID] {
			seenAuthor[m.AuthorChannelID] = true
			authors = append(authors, m.AuthorChannelID)
		}
		t := us(m.PublishedAt)
		lo, hi = min(lo, t), max(hi, t)
	}
	if len(authors) == 0 {
		return msgs, nil
	}
	type stored struct {
		Author string `db:"author_channel_id"`
		At     int64  `db:"published_at"`
		Text   string `db:"text"`
	}
	byAuthor := map[string][]stored{}
	for i := 0; i < len(authors); i += inChunk {
		in, args := inStrings(s.engine, "author_channel_id", authors[i:min(i+inChunk, len(authors))])
		var rows []stored
		err := tx.SelectContext(ctx, &rows, tx.Rebind(`SELECT author_channel_id, published_at, text FROM chat_messages
			WHERE stream_id = ? AND source = 'api' AND published_at BETWEEN ? AND ? AND `+in),
			append([]any{streamID, lo - 1_000_000, hi + 1_000_000}, args...)...)
		if err != nil {
			return nil, fmt.Errorf("find messages the api gave: %w", err)
		}
		for _, r := range rows {
			byAuthor[r.Author] = append(byAuthor[r.Author], r)
		}
	}
	if len(byAuthor) == 0 {
		return msgs, nil
	}
	out := msgs[:0:0]
	for _, m := range msgs {
		dup := false
		t, key := us(m.PublishedAt), textKey(m.Text)
		for _, r := range byAuthor[m.AuthorChannelID] {
			if d := t - r.At; d > -1_000_000 && d < 1_000_000 && (r.Text == "" || textKey(r.Text) == key) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, m)
		}
	}
	return out, nil
}

// textKey is a message's letters and digits, lower case: the API's
// displayMessage and a replay's runs differ in spacing and emoji.
func textKey(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

// withoutNUL drops NUL characters, which PostgreSQL text cannot hold: one
// such message must not make a whole chat page fail again and again.
func withoutNUL(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "")
}

// insertMessages inserts new messages and returns the ids that were not
// stored before. On PostgreSQL a whole page is one statement over arrays
// (unnest), which parses once instead of once per 500 rows.
func (s *Store) insertMessages(ctx context.Context, tx *sqlx.Tx, streamID int64, msgs []attendance.ChatMessage, now int64, source string) (map[string]bool, error) {
	inserted := make(map[string]bool, len(msgs))
	if s.engine == Postgres {
		n := len(msgs)
		ids, types, authors, names, texts, targets := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		displays := make([]string, n)
		published := make([]int64, n)
		for i, m := range msgs {
			ids[i], types[i], authors[i], names[i], texts[i], targets[i] = m.ID, m.Type, m.AuthorChannelID, m.AuthorName, m.Text, m.TargetID
			displays[i] = m.DisplayText
			published[i] = us(m.PublishedAt)
		}
		var got []string
		err := tx.SelectContext(ctx, &got, `INSERT INTO chat_messages (stream_id, message_id, type, author_channel_id,
			author_name, text, display_text, published_at, received_at, target_id, deleted, source)
			SELECT $1, u.id, u.type, u.author, u.name, u.text, u.display, u.published, $2, u.target, FALSE, $3
			FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::text[], $11::text[])
				AS u(id, type, author, name, text, published, target, display)
			ON CONFLICT (stream_id, message_id) DO NOTHING RETURNING message_id`,
			streamID, now, source, pq.Array(ids), pq.Array(types), pq.Array(authors), pq.Array(names), pq.Array(texts),
			pq.Array(published), pq.Array(targets), pq.Array(displays))
		if err != nil {
			return nil, fmt.Errorf("insert messages: %w", err)
		}
		for _, id := range got {
			inserted[id] = true
		}
		return inserted, nil
	}
	const cols = 12
	const batch = 500
	for i := 0; i < len(msgs); i += batch {
		chunk := msgs[i:min(i+batch, len(msgs))]
		args := make([]any, 0, len(chunk)*cols)
		for _, m := range chunk {
			args = append(args, streamID, m.ID, m.Type, m.AuthorChannelID, m.AuthorName, m.Text, m.DisplayText, us(m.PublishedAt), now, m.TargetID, false, source)
		}
		var ids []string
		err := tx.SelectContext(ctx, &ids, tx.Rebind(`INSERT INTO chat_messages (stream_id, message_id, type, author_channel_id,
			author_name, text, display_text, published_at, received_at, target_id, deleted, source) VALUES `+placeholders(len(chunk), cols)+`
			ON CONFLICT (stream_id, message_id) DO NOTHING RETURNING message_id`), args...)
		if err != nil {
			return nil, fmt.Errorf("insert messages: %w", err)
		}
		for _, id := range ids {
			inserted[id] = true
		}
	}
	return inserted, nil
}

// IngestMessages stores messages of a stream that did not come with a chat
// cursor (a replay file), through the same path as live pages: dedupe by id
// within the stream, links, checkpoint hits, presence. It returns how many
// were new.
func (s *Store) IngestMessages(ctx context.Context, streamID int64, msgs []attendance.ChatMessage, source string) (int, error) {
	var n int
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		fresh, err := s.ingestChat(ctx, tx, streamID, msgs, source)
		n = len(fresh)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: ingest %s messages of stream %d: %w", source, streamID, err)
	}
	return n, nil
}
