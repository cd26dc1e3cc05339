package store

import (
	"context"
	"fmt"
	"sort"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/seameo/rollcall/attendance"
)

// Link methods and conflict kinds: the domain's, named here too for the
// store's callers.
const (
	LinkCode                     = attendance.LinkCode
	LinkChannel                  = attendance.LinkChannel
	LinkManual                   = attendance.LinkManual
	ConflictCodeTaken            = attendance.ConflictCodeTaken
	ConflictTooManyCodes         = attendance.ConflictTooManyCodes
	ConflictTooManyRegistrations = attendance.ConflictTooManyRegistrations
)

type linkRow struct {
	RegistrationID int64  `db:"registration_id"`
	ChannelID      string `db:"channel_id"`
}

type newHit struct {
	cpID, regID int64
	channel     string
	msgID       string
	at          int64
}

// ingestState is what one ingest transaction learns about the event, so
// that each fact is read at most once per page.
type ingestState struct {
	engine      Engine
	eventID     int64
	policy      attendance.Policy // only MaxRegistrationsPerChannel is read
	hasAccounts bool              // some registration gave a channel or handle
	// byChannel holds every link of each channel looked up so far, and
	// the links this page made.
	byChannel map[string][]int64
	cps       []attendance.Checkpoint
	words     []attendance.Word // cps' words, prepared
	cpsLoaded bool
}

// loadChannelLinks reads the links of the channels not yet looked up.
func (st *ingestState) loadChannelLinks(ctx context.Context, tx *sqlx.Tx, chans []string) error {
	var want []string
	for _, c := range chans {
		if _, ok := st.byChannel[c]; !ok {
			want = append(want, c)
			st.byChannel[c] = []int64{}
		}
	}
	for i := 0; i < len(want); i += inChunk {
		chunk := want[i:min(i+inChunk, len(want))]
		in, inArgs := inStrings(st.engine, "channel_id", chunk)
		var rows []linkRow
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(`SELECT registration_id, channel_id FROM links WHERE event_id = ? AND `+in), append([]any{st.eventID}, inArgs...)...); err != nil {
			return fmt.Errorf("links of channels: %w", err)
		}
		for _, r := range rows {
			st.byChannel[r.ChannelID] = append(st.byChannel[r.ChannelID], r.RegistrationID)
		}
	}
	return nil
}

// regLinks reads the links of registrations.
func (st *ingestState) regLinks(ctx context.Context, tx *sqlx.Tx, regs []int64) ([]linkRow, error) {
	var out []linkRow
	for i := 0; i < len(regs); i += inChunk {
		in, args := inInts(st.engine, "registration_id", regs[i:min(i+inChunk, len(regs))])
		var rows []linkRow
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(`SELECT registration_id, channel_id FROM links WHERE `+in), args...); err != nil {
			return nil, fmt.Errorf("links of registrations: %w", err)
		}
		out = append(out, rows...)
	}
	return out, nil
}

func (st *ingestState) checkpoints(ctx context.Context, tx *sqlx.Tx) ([]attendance.Checkpoint, error) {
	if st.cpsLoaded {
		return st.cps, nil
	}
	cps, err := loadCheckpoints(ctx, tx, st.eventID)
	if err != nil {
		return nil, err
	}
	st.cps, st.cpsLoaded = cps, true
	st.words = prepareWords(cps)
	return cps, nil
}

// linkAndHit turns the new messages of a page into links (by code, by the
// channel given at registration), conflicts and checkpoint hits, and
// returns the evidence they rest on, for review flags.
func (s *Store) linkAndHit(ctx context.Context, tx *sqlx.Tx, streamID int64, fresh []attendance.ChatMessage) (reviewScope, error) {
	st := &ingestState{engine: s.engine, byChannel: map[string][]int64{}}
	err := tx.QueryRowxContext(ctx, tx.Rebind(`SELECT e.id, e.max_registrations_per_channel,
		EXISTS (SELECT 1 FROM registrations r WHERE r.event_id = e.id AND r.youtube <> '') AS has_accounts
		FROM streams s JOIN events e ON e.id = s.event_id WHERE s.id = ?`), streamID).
		Scan(&st.eventID, &st.policy.MaxRegistrationsPerChannel, &st.hasAccounts)
	if err != nil {
		return reviewScope{}, fmt.Errorf("event of stream: %w", err)
	}
	links, conflicts, err := s.findLinks(ctx, tx, st, fresh)
	if err != nil {
		return reviewScope{}, err
	}
	if err := insertLinks(ctx, tx, st.eventID, links, conflicts); err != nil {
		return reviewScope{}, err
	}
	var scope reviewScope
	for _, l := range links {
		scope.messages = append(scope.messages, evidenceRef{l.ChannelID, l.MessageID})
		scope.channels = append(scope.channels, l.ChannelID)
	}
	cps, err := st.checkpoints(ctx, tx)
	if err != nil || len(cps) == 0 {
		return scope, err
	}
	// Hits of channels linked before this page, judged on its messages.
	type cand struct {
		cp  attendance.Checkpoint
		msg *attendance.ChatMessage
	}
	var cands []cand
	var chans []string
	for i := range fresh {
		m := &fresh[i]
		if m.AuthorChannelID == "" || m.Text == "" || !attendance.PresenceType(m.Type) {
			continue
		}
		var text *attendance.Text
		for k, cp := range cps {
			if !cp.Open(m.PublishedAt) {
				continue
			}
			if text == nil {
				text = attendance.NewText(m.Text)
			}
			if text.Contains(st.words[k]) {
				cands = append(cands, cand{cp, m})
				chans = append(chans, m.AuthorChannelID)
			}
		}
	}
	var hits []newHit
	if len(cands) > 0 {
		if err := st.loadChannelLinks(ctx, tx, chans); err != nil {
			return reviewScope{}, err
		}
		for _, c := range cands {
			for _, reg := range st.byChannel[c.msg.AuthorChannelID] {
				hits = append(hits, newHit{c.cp.ID, reg, c.msg.AuthorChannelID, c.msg.ID, us(c.msg.PublishedAt)})
			}
		}
	}
	// Hits of channels linked by this page, judged on all their messages so
	// far: people answer a checkpoint first and type their code later.
	if len(links) > 0 {
		earlier, err := earlierHits(ctx, tx, st.engine, st.eventID, cps, st.words, links)
		if err != nil {
			return reviewScope{}, err
		}
		hits = append(hits, earlier...)
	}
	scope.add(hitScope(hits))
	return scope, insertHits(ctx, tx, hits)
}

// hitScope is the evidence that checkpoint hits rest on.
func hitScope(hits []newHit) reviewScope {
	var scope reviewScope
	for _, h := range hits {
		scope.messages = append(scope.messages, evidenceRef{h.channel, h.msgID})
		scope.channels = append(scope.channels, h.channel)
	}
	return scope
}

// findLinks loads what linking the page needs to know and applies the
// rule (attendance.DecideLinks); the new links join st.byChannel.
func (s *Store) findLinks(ctx context.Context, tx *sqlx.Tx, st *ingestState, fresh []attendance.ChatMessage) ([]attendance.Link, []attendance.LinkConflict, error) {
	codes, distinct := attendance.PageCodes(fresh)
	var accountArgs []string
	if st.hasAccounts {
		authorSeen := map[string]bool{}
		for i := range fresh {
			channel, handle := attendance.AuthorAccounts(&fresh[i])
			if channel == "" || authorSeen[channel] {
				continue
			}
			authorSeen[channel] = true
			accountArgs = append(accountArgs, channel)
			if handle != "" {
				accountArgs = append(accountArgs, handle)
			}
		}
	}
	type regRef struct {
		ID      int64  `db:"id"`
		Code    string `db:"code"`
		YouTube string `db:"youtube"`
	}
	lk := attendance.LinkState{Messages: fresh, Codes: codes, Owners: map[string]int64{}, Accounts: map[string][]int64{}}
	for i := 0; i < len(distinct); i += inChunk {
		in, args := inStrings(st.engine, "code", distinct[i:min(i+inChunk, len(distinct))])
		var rows []regRef
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(`SELECT id, code, youtube FROM registrations WHERE event_id = ? AND `+in),
			append([]any{st.eventID}, args...)...); err != nil {
			return nil, nil, fmt.Errorf("registrations by code: %w", err)
		}
		for _, r := range rows {
			lk.Owners[r.Code] = r.ID
		}
	}
	for i := 0; i < len(accountArgs); i += inChunk {
		in, args := inStrings(st.engine, "youtube", accountArgs[i:min(i+inChunk, len(accountArgs))])
		var rows []regRef
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(`SELECT id, code, youtube FROM registrations WHERE event_id = ? AND youtube <> '' AND `+in+` ORDER BY id`),
			append([]any{st.eventID}, args...)...); err != nil {
			return nil, nil, fmt.Errorf("registrations by channel: %w", err)
		}
		for _, r := range rows {
			lk.Accounts[r.YouTube] = append(lk.Accounts[r.YouTube], r.ID)
		}
	}
	if len(lk.Owners) == 0 && len(lk.Accounts) == 0 {
		return nil, nil, nil
	}
	// The channels and registrations involved: authors of messages that
	// carry a code or show a registered account, and the codes' owners
	// (whose links make a code taken).
	var chans []string
	for i := range fresh {
		channel, handle := attendance.AuthorAccounts(&fresh[i])
		if len(codes[i]) > 0 || len(lk.Accounts[channel]) > 0 || len(lk.Accounts[handle]) > 0 {
			chans = append(chans, fresh[i].AuthorChannelID)
		}
	}
	regs := make([]int64, 0, len(lk.Owners))
	for _, id := range lk.Owners {
		regs = append(regs, id)
	}
	if st.engine == Postgres {
		// Two streams of one event may be ingested at once: take turns from
		// reading the links to writing new ones, so that one code cannot go
		// to two channels. (SQLite write transactions are serial already.)
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, linkLockSpace, int32(st.eventID)); err != nil {
			return nil, nil, fmt.Errorf("lock links of event: %w", err)
		}
	}
	if err := st.loadChannelLinks(ctx, tx, chans); err != nil {
		return nil, nil, err
	}
	rows, err := st.regLinks(ctx, tx, regs)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	for _, ch := range chans {
		if seen[ch] {
			continue
		}
		seen[ch] = true
		for _, reg := range st.byChannel[ch] {
			lk.Links = append(lk.Links, attendance.Link{RegistrationID: reg, ChannelID: ch})
		}
	}
	for _, r := range rows {
		lk.Links = append(lk.Links, attendance.Link{RegistrationID: r.RegistrationID, ChannelID: r.ChannelID})
	}
	links, conflicts := attendance.DecideLinks(st.policy, lk)
	for _, l := range links {
		st.byChannel[l.ChannelID] = append(st.byChannel[l.ChannelID], l.RegistrationID)
	}
	return links, conflicts, nil
}

// insertLinks saves the links and conflicts that linking decided.
func insertLinks(ctx context.Context, tx *sqlx.Tx, eventID int64, links []attendance.Link, conflicts []attendance.LinkConflict) error {
	for i := 0; i < len(links); i += 400 {
		chunk := links[i:min(i+400, len(links))]
		args := make([]any, 0, len(chunk)*6)
		for _, l := range chunk {
			args = append(args, eventID, l.RegistrationID, l.ChannelID, l.Method, l.MessageID, us(l.At))
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO links (event_id, registration_id, channel_id, method, message_id, linked_at)
			VALUES `+placeholders(len(chunk), 6)+` ON CONFLICT (registration_id, channel_id) DO NOTHING`), args...); err != nil {
			return fmt.Errorf("insert links: %w", err)
		}
	}
	for i := 0; i < len(conflicts); i += 400 {
		chunk := conflicts[i:min(i+400, len(conflicts))]
		args := make([]any, 0, len(chunk)*6)
		for _, c := range chunk {
			args = append(args, eventID, c.RegistrationID, c.ChannelID, c.Kind, c.MessageID, us(c.At))
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO link_conflicts (event_id, registration_id, channel_id, kind, message_id, at)
			VALUES `+placeholders(len(chunk), 6)+` ON CONFLICT (registration_id, channel_id, kind) DO NOTHING`), args...); err != nil {
			return fmt.Errorf("insert link conflicts: %w", err)
		}
	}
	return nil
}

// earlierHits judges every stored message of newly linked channels in the
// event's streams against the checkpoints.
func earlierHits(ctx context.Context, tx *sqlx.Tx, engine Engine, eventID int64, cps []attendance.Checkpoint, words []attendance.Word, links []attendance.Link) ([]newHit, error) {
	lo, hi := cps[0].OpensAt, cps[0].ClosesAt
	for _, cp := range cps[1:] {
		if cp.OpensAt.Before(lo) {
			lo = cp.OpensAt
		}
		if cp.ClosesAt.After(hi) {
			hi = cp.ClosesAt
		}
	}
	regsOf := map[string][]int64{}
	var chans []string
	for _, l := range links {
		if regsOf[l.ChannelID] == nil {
			chans = append(chans, l.ChannelID)
		}
		regsOf[l.ChannelID] = append(regsOf[l.ChannelID], l.RegistrationID)
	}
	var hits []newHit
	for i := 0; i < len(chans); i += inChunk {
		in, inArgs := inStrings(engine, "m.author_channel_id", chans[i:min(i+inChunk, len(chans))])
		args := append([]any{eventID}, inArgs...)
		args = append(args, us(lo), us(hi))
		rows, err := tx.QueryxContext(ctx, tx.Rebind(`SELECT m.message_id, m.author_channel_id, m.text, m.published_at FROM chat_messages m
			WHERE m.stream_id IN (SELECT id FROM streams WHERE event_id = ?) AND `+in+`
			AND m.published_at BETWEEN ? AND ? AND m.text <> ''`), args...)
		if err != nil {
			return nil, fmt.Errorf("earlier messages of linked channels: %w", err)
		}
		for rows.Next() {
			var id, ch, text string
			var at int64
			if err := rows.Scan(&id, &ch, &text, &at); err != nil {
				rows.Close()
				return nil, fmt.Errorf("earlier messages of linked channels: %w", err)
			}
			t := fromUS(at)
			folded := attendance.NewText(text)
			for k, cp := range cps {
				if cp.Open(t) && folded.Contains(words[k]) {
					for _, reg := range regsOf[ch] {
						hits = append(hits, newHit{cp.ID, reg, ch, id, at})
					}
				}
			}
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("earlier messages of linked channels: %w", err)
		}
	}
	return hits, nil
}

// linkLockSpace is the first key of the PostgreSQL advisory lock that
// serialises linking within an event ("rl").
const linkLockSpace = 0x726c

// inChunk bounds the values of one IN list on SQLite.
const inChunk = 500

// inStrings returns "col IN (?,…)" with its arguments, or on PostgreSQL
// "col = ANY(?)" with one array argument: an IN list of a new length costs
// PostgreSQL a new plan, for every page.
func inStrings(engine Engine, col string, vals []string) (string, []any) {
	if engine == Postgres {
		return col + " = ANY(?)", []any{pq.Array(vals)}
	}
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	return col + " IN (" + inClause(len(vals)) + ")", args
}

// inInts is inStrings for integers.
func inInts(engine Engine, col string, vals []int64) (string, []any) {
	if engine == Postgres {
		return col + " = ANY(?)", []any{pq.Array(vals)}
	}
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	return col + " IN (" + inClause(len(vals)) + ")", args
}

func prepareWords(cps []attendance.Checkpoint) []attendance.Word {
	ws := make([]attendance.Word, len(cps))
	for i, cp := range cps {
		ws[i] = attendance.NewWord(cp.Word)
	}
	return ws
}

// insertHits records chat hits; the earliest message of a person for a
// checkpoint is kept, and a chat hit replaces a form answer.
func insertHits(ctx context.Context, tx *sqlx.Tx, hits []newHit) error {
	if len(hits) == 0 {
		return nil
	}
	type key struct{ cp, reg int64 }
	best := map[key]newHit{}
	for _, h := range hits {
		k := key{h.cpID, h.regID}
		if b, ok := best[k]; !ok || h.at < b.at {
			best[k] = h
		}
	}
	keys := make([]key, 0, len(best))
	for k := range best {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].cp != keys[j].cp {
			return keys[i].cp < keys[j].cp
		}
		return keys[i].reg < keys[j].reg
	})
	for i := 0; i < len(keys); i += 400 {
		chunk := keys[i:min(i+400, len(keys))]
		args := make([]any, 0, len(chunk)*6)
		for _, k := range chunk {
			h := best[k]
			args = append(args, h.cpID, h.regID, h.channel, h.msgID, h.at, attendance.HitChat)
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO checkpoint_hits (checkpoint_id, registration_id, channel_id, message_id, at, source)
			VALUES `+placeholders(len(chunk), 6)+` ON CONFLICT (checkpoint_id, registration_id) DO UPDATE SET
			channel_id = excluded.channel_id, message_id = excluded.message_id, at = excluded.at, source = excluded.source
			WHERE checkpoint_hits.source <> excluded.source OR excluded.at < checkpoint_hits.at`), args...)
		if err != nil {
			return fmt.Errorf("insert checkpoint hits: %w", err)
		}
	}
	return nil
}
