package store

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/seameo/rollcall/attendance"
)

// Link methods, by evidence strength.
const (
	LinkCode    = "code"
	LinkChannel = "channel"
	LinkManual  = "manual"
)

// Conflict kinds. An open one blocks the registration's certificate of
// participation (code_conflict) until staff resolve it; the review flags
// attendance.ConflictEvidenceDeleted and attendance.ConflictChannelBanned
// share the table and the review path but block nothing.
const (
	ConflictCodeTaken            = "code_taken"             // a code typed by a second channel
	ConflictTooManyCodes         = "too_many_codes"         // a channel typed more codes than the policy allows
	ConflictTooManyRegistrations = "too_many_registrations" // a channel given at registration by more people than allowed
)

type linkRow struct {
	RegistrationID int64  `db:"registration_id"`
	ChannelID      string `db:"channel_id"`
}

type newLink struct {
	regID     int64
	channel   string
	method    string
	messageID string
	at        int64
}

type newConflict struct {
	regID   int64
	channel string
	kind    string
	msgID   string
	at      int64
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
	maxPerChan  int
	byChannel   map[string]map[int64]bool // links of channels looked up so far
	byReg       map[int64]map[string]bool // links of registrations looked up so far
	hasAccounts bool                      // some registration gave a channel or handle
	cps         []attendance.Checkpoint
	words       []attendance.Word // cps' words, prepared
	cpsLoaded   bool
}

func (st *ingestState) addLink(reg int64, ch string) {
	if st.byChannel[ch] == nil {
		st.byChannel[ch] = map[int64]bool{}
	}
	st.byChannel[ch][reg] = true
	if st.byReg[reg] == nil {
		st.byReg[reg] = map[string]bool{}
	}
	st.byReg[reg][ch] = true
}

// loadChannelLinks reads the links of the channels not yet looked up.
func (st *ingestState) loadChannelLinks(ctx context.Context, tx *sqlx.Tx, chans []string) error {
	var want []string
	for _, c := range chans {
		if _, ok := st.byChannel[c]; !ok {
			want = append(want, c)
			st.byChannel[c] = map[int64]bool{}
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
			st.addLink(r.RegistrationID, r.ChannelID)
		}
	}
	return nil
}

// loadRegLinks reads the links of the registrations not yet looked up.
func (st *ingestState) loadRegLinks(ctx context.Context, tx *sqlx.Tx, regs []int64) error {
	var want []int64
	for _, r := range regs {
		if _, ok := st.byReg[r]; !ok {
			want = append(want, r)
			st.byReg[r] = map[string]bool{}
		}
	}
	for i := 0; i < len(want); i += inChunk {
		chunk := want[i:min(i+inChunk, len(want))]
		in, args := inInts(st.engine, "registration_id", chunk)
		var rows []linkRow
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(`SELECT registration_id, channel_id FROM links WHERE `+in), args...); err != nil {
			return fmt.Errorf("links of registrations: %w", err)
		}
		for _, r := range rows {
			st.addLink(r.RegistrationID, r.ChannelID)
		}
	}
	return nil
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
	st := &ingestState{engine: s.engine, byChannel: map[string]map[int64]bool{}, byReg: map[int64]map[string]bool{}}
	err := tx.QueryRowxContext(ctx, tx.Rebind(`SELECT e.id, e.max_registrations_per_channel,
		EXISTS (SELECT 1 FROM registrations r WHERE r.event_id = e.id AND r.youtube <> '') AS has_accounts
		FROM streams s JOIN events e ON e.id = s.event_id WHERE s.id = ?`), streamID).
		Scan(&st.eventID, &st.maxPerChan, &st.hasAccounts)
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
		scope.messages = append(scope.messages, evidenceRef{l.channel, l.messageID})
		scope.channels = append(scope.channels, l.channel)
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
		if m.AuthorChannelID == "" || m.Text == "" || !presenceTypes[m.Type] {
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
			for reg := range st.byChannel[c.msg.AuthorChannelID] {
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

// findLinks decides the links and conflicts that the messages make.
func (s *Store) findLinks(ctx context.Context, tx *sqlx.Tx, st *ingestState, fresh []attendance.ChatMessage) ([]newLink, []newConflict, error) {
	type coded struct {
		msg   *attendance.ChatMessage
		codes []string
	}
	var codedMsgs []coded
	var codeArgs []string
	codeSeen := map[string]bool{}
	authorSeen := map[string]bool{}
	var accountArgs []string
	for i := range fresh {
		m := &fresh[i]
		if m.AuthorChannelID == "" || !presenceTypes[m.Type] {
			continue
		}
		if st.hasAccounts && !authorSeen[m.AuthorChannelID] {
			authorSeen[m.AuthorChannelID] = true
			accountArgs = append(accountArgs, m.AuthorChannelID)
			if strings.HasPrefix(m.AuthorName, "@") {
				accountArgs = append(accountArgs, strings.ToLower(m.AuthorName))
			}
		}
		if m.Text == "" {
			continue
		}
		codes := attendance.ExtractCodes(m.Text)
		if len(codes) == 0 {
			continue
		}
		codedMsgs = append(codedMsgs, coded{m, codes})
		for _, c := range codes {
			if !codeSeen[c] {
				codeSeen[c] = true
				codeArgs = append(codeArgs, c)
			}
		}
	}
	type regRef struct {
		ID      int64  `db:"id"`
		Code    string `db:"code"`
		YouTube string `db:"youtube"`
	}
	byCode := map[string]int64{}
	for i := 0; i < len(codeArgs); i += inChunk {
		in, args := inStrings(st.engine, "code", codeArgs[i:min(i+inChunk, len(codeArgs))])
		var rows []regRef
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(`SELECT id, code, youtube FROM registrations WHERE event_id = ? AND `+in),
			append([]any{st.eventID}, args...)...); err != nil {
			return nil, nil, fmt.Errorf("registrations by code: %w", err)
		}
		for _, r := range rows {
			byCode[r.Code] = r.ID
		}
	}
	byAccount := map[string][]int64{}
	for i := 0; i < len(accountArgs); i += inChunk {
		in, args := inStrings(st.engine, "youtube", accountArgs[i:min(i+inChunk, len(accountArgs))])
		var rows []regRef
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(`SELECT id, code, youtube FROM registrations WHERE event_id = ? AND youtube <> '' AND `+in+` ORDER BY id`),
			append([]any{st.eventID}, args...)...); err != nil {
			return nil, nil, fmt.Errorf("registrations by channel: %w", err)
		}
		for _, r := range rows {
			byAccount[r.YouTube] = append(byAccount[r.YouTube], r.ID)
		}
	}
	if len(byCode) == 0 && len(byAccount) == 0 {
		return nil, nil, nil
	}
	var chans []string
	var regs []int64
	for _, c := range codedMsgs {
		chans = append(chans, c.msg.AuthorChannelID)
	}
	for _, id := range byCode {
		regs = append(regs, id)
	}
	for i := range fresh {
		m := &fresh[i]
		ids := byAccount[m.AuthorChannelID]
		if strings.HasPrefix(m.AuthorName, "@") {
			ids = append(ids, byAccount[strings.ToLower(m.AuthorName)]...)
		}
		if len(ids) > 0 {
			chans = append(chans, m.AuthorChannelID)
			regs = append(regs, ids...)
		}
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
	if err := st.loadRegLinks(ctx, tx, regs); err != nil {
		return nil, nil, err
	}
	var links []newLink
	var conflicts []newConflict
	codedAt := map[*attendance.ChatMessage][]string{}
	for _, c := range codedMsgs {
		codedAt[c.msg] = c.codes
	}
	// In page order, so that the first channel to type a code gets it.
	for i := range fresh {
		m := &fresh[i]
		ch, at := m.AuthorChannelID, us(m.PublishedAt)
		for _, code := range codedAt[m] {
			reg, ok := byCode[code]
			if !ok || st.byChannel[ch][reg] {
				continue
			}
			switch {
			case len(st.byReg[reg]) > 0:
				conflicts = append(conflicts, newConflict{reg, ch, ConflictCodeTaken, m.ID, at})
			case len(st.byChannel[ch]) >= st.maxPerChan:
				conflicts = append(conflicts, newConflict{reg, ch, ConflictTooManyCodes, m.ID, at})
			default:
				links = append(links, newLink{reg, ch, LinkCode, m.ID, at})
				st.addLink(reg, ch)
			}
		}
		if ch == "" || !presenceTypes[m.Type] {
			continue
		}
		ids := byAccount[ch]
		if strings.HasPrefix(m.AuthorName, "@") {
			ids = append(ids, byAccount[strings.ToLower(m.AuthorName)]...)
		}
		for _, reg := range ids {
			if st.byChannel[ch][reg] {
				continue
			}
			if len(st.byChannel[ch]) >= st.maxPerChan {
				conflicts = append(conflicts, newConflict{reg, ch, ConflictTooManyRegistrations, m.ID, at})
				continue
			}
			links = append(links, newLink{reg, ch, LinkChannel, m.ID, at})
			st.addLink(reg, ch)
		}
	}
	return links, conflicts, nil
}

func insertLinks(ctx context.Context, tx *sqlx.Tx, eventID int64, links []newLink, conflicts []newConflict) error {
	for i := 0; i < len(links); i += 400 {
		chunk := links[i:min(i+400, len(links))]
		args := make([]any, 0, len(chunk)*6)
		for _, l := range chunk {
			args = append(args, eventID, l.regID, l.channel, l.method, l.messageID, l.at)
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
			args = append(args, eventID, c.regID, c.channel, c.kind, c.msgID, c.at)
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
func earlierHits(ctx context.Context, tx *sqlx.Tx, engine Engine, eventID int64, cps []attendance.Checkpoint, words []attendance.Word, links []newLink) ([]newHit, error) {
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
		if regsOf[l.channel] == nil {
			chans = append(chans, l.channel)
		}
		regsOf[l.channel] = append(regsOf[l.channel], l.regID)
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
