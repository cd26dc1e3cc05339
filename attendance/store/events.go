package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/seameo/rollcall/attendance"
)

type eventRow struct {
	ID                         int64         `db:"id"`
	Slug                       string        `db:"slug"`
	Title                      string        `db:"title"`
	TimeZone                   string        `db:"time_zone"`
	MinCheckpoints             sql.NullInt64 `db:"min_checkpoints"`
	MinPresenceMinutes         int           `db:"min_presence_minutes"`
	RequireForm                bool          `db:"require_form"`
	FormCheckpointAnswersCount bool          `db:"form_checkpoint_answers_count"`
	MaxRegistrationsPerChannel int           `db:"max_registrations_per_channel"`
	CreatedAt                  int64         `db:"created_at"`
	Discover                   bool          `db:"discover"`
	DiscoverChannel            string        `db:"discover_channel"`
	DiscoverMatch              string        `db:"discover_match"`
	DiscoverFrom               int64         `db:"discover_from"`
	DiscoverTo                 int64         `db:"discover_to"`
	Announce                   bool          `db:"announce"`
	AnnounceTemplate           string        `db:"announce_template"`
}

const eventColumns = `id, slug, title, time_zone, min_checkpoints, min_presence_minutes, require_form,
	form_checkpoint_answers_count, max_registrations_per_channel, created_at, discover, discover_channel,
	discover_match, discover_from, discover_to, announce, announce_template`

func (r eventRow) event() attendance.Event {
	e := attendance.Event{ID: r.ID, Slug: r.Slug, Title: r.Title, TimeZone: r.TimeZone, CreatedAt: fromUS(r.CreatedAt),
		Discovery: attendance.Discovery{On: r.Discover, ChannelID: r.DiscoverChannel, Match: r.DiscoverMatch,
			From: fromUS(r.DiscoverFrom), To: fromUS(r.DiscoverTo)},
		Announce: r.Announce, AnnounceTemplate: r.AnnounceTemplate,
		Policy: attendance.Policy{
			MinPresenceMinutes:         r.MinPresenceMinutes,
			RequireForm:                r.RequireForm,
			FormCheckpointAnswersCount: r.FormCheckpointAnswersCount,
			MaxRegistrationsPerChannel: r.MaxRegistrationsPerChannel,
		}}
	if r.MinCheckpoints.Valid {
		n := int(r.MinCheckpoints.Int64)
		e.Policy.MinCheckpoints = &n
	}
	return e
}

func nullInt(p *int) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: int64(*p), Valid: true}
}

// CreateEvent stores a new event with its streams and returns it with ids.
func (s *Store) CreateEvent(ctx context.Context, e attendance.Event) (attendance.Event, error) {
	if err := attendance.ValidateSlug(e.Slug); err != nil {
		return e, err
	}
	if err := e.Policy.Validate(); err != nil {
		return e, err
	}
	if e.TimeZone == "" {
		e.TimeZone = "UTC"
	}
	if err := e.Discovery.Validate(); err != nil {
		return e, err
	}
	e.CreatedAt = s.now().UTC().Truncate(1000)
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM events WHERE slug = ?`), e.Slug); err != nil {
			return err
		}
		if n > 0 {
			return attendance.Errorf(attendance.EConflict, "event %q already exists", e.Slug)
		}
		p := e.Policy
		err := tx.GetContext(ctx, &e.ID, tx.Rebind(`INSERT INTO events (slug, title, time_zone, min_checkpoints,
			min_presence_minutes, require_form, form_checkpoint_answers_count, max_registrations_per_channel, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			e.Slug, e.Title, e.TimeZone, nullInt(p.MinCheckpoints), p.MinPresenceMinutes, p.RequireForm,
			p.FormCheckpointAnswersCount, p.MaxRegistrationsPerChannel, us(e.CreatedAt))
		if err != nil {
			return err
		}
		if err := setOwnerMode(ctx, tx, e); err != nil {
			return err
		}
		return addStreams(ctx, tx, e.ID, e.VideoIDs)
	})
	if err != nil {
		return e, fmt.Errorf("store: create event %s: %w", e.Slug, err)
	}
	return e, nil
}

func addStreams(ctx context.Context, tx *sqlx.Tx, eventID int64, videoIDs []string) error {
	for _, v := range videoIDs {
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO streams (event_id, video_id) VALUES (?, ?)
			ON CONFLICT (event_id, video_id) DO NOTHING`), eventID, v)
		if err != nil {
			return err
		}
	}
	return nil
}

// AddVideos adds streams to an existing event; known ones are left alone.
func (s *Store) AddVideos(ctx context.Context, eventID int64, videoIDs []string) error {
	err := s.tx(ctx, func(tx *sqlx.Tx) error { return addStreams(ctx, tx, eventID, videoIDs) })
	if err != nil {
		return fmt.Errorf("store: add videos to event %d: %w", eventID, err)
	}
	return nil
}

// SetPolicy changes an event's policy.
func (s *Store) SetPolicy(ctx context.Context, eventID int64, p attendance.Policy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE events SET min_checkpoints = ?, min_presence_minutes = ?,
		require_form = ?, form_checkpoint_answers_count = ?, max_registrations_per_channel = ? WHERE id = ?`),
		nullInt(p.MinCheckpoints), p.MinPresenceMinutes, p.RequireForm, p.FormCheckpointAnswersCount,
		p.MaxRegistrationsPerChannel, eventID)
	if err != nil {
		return fmt.Errorf("store: set policy of event %d: %w", eventID, err)
	}
	return nil
}

// Event returns the event with the given slug, with its video ids.
func (s *Store) Event(ctx context.Context, slug string) (attendance.Event, error) {
	var r eventRow
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+eventColumns+` FROM events WHERE slug = ?`), slug)
	if err != nil {
		return attendance.Event{}, fmt.Errorf("store: event %s: %w", slug, notFound(err, "no event %q (see rollcall event list)", slug))
	}
	e := r.event()
	if err := s.db.SelectContext(ctx, &e.VideoIDs, s.db.Rebind(`SELECT video_id FROM streams WHERE event_id = ? ORDER BY id`), e.ID); err != nil {
		return e, fmt.Errorf("store: videos of event %s: %w", slug, err)
	}
	return e, nil
}

// Events lists all events, newest first.
func (s *Store) Events(ctx context.Context) ([]attendance.Event, error) {
	var rows []eventRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+eventColumns+` FROM events ORDER BY created_at DESC, id DESC`); err != nil {
		return nil, fmt.Errorf("store: list events: %w", err)
	}
	type sv struct {
		EventID int64  `db:"event_id"`
		VideoID string `db:"video_id"`
	}
	var vids []sv
	if err := s.db.SelectContext(ctx, &vids, `SELECT event_id, video_id FROM streams ORDER BY id`); err != nil {
		return nil, fmt.Errorf("store: list events: %w", err)
	}
	byEvent := map[int64][]string{}
	for _, v := range vids {
		byEvent[v.EventID] = append(byEvent[v.EventID], v.VideoID)
	}
	out := make([]attendance.Event, len(rows))
	for i, r := range rows {
		out[i] = r.event()
		out[i].VideoIDs = byEvent[r.ID]
	}
	return out, nil
}

// StreamSummary is a stream's figures for `event show`.
type StreamSummary struct {
	VideoID               string `json:"video_id" db:"video_id"`
	State                 string `json:"state" db:"state"`
	ChatState             string `json:"chat_state" db:"chat_state"`
	ChatMessages          int64  `json:"chat_messages" db:"chat_messages"`
	ChatAuthors           int64  `json:"chat_authors" db:"chat_authors"`
	PeakConcurrentViewers int64  `json:"peak_concurrent_viewers" db:"peak_concurrent_viewers"`
}

// EventSummary is the machine-readable `event show --json`.
type EventSummary struct {
	Slug          string          `json:"slug"`
	Title         string          `json:"title"`
	TimeZone      string          `json:"time_zone"`
	Streams       []StreamSummary `json:"streams"`
	Registrations int64           `json:"registrations"`
	Linked        int64           `json:"linked"`
	Checkpoints   int64           `json:"checkpoints"`
	Forms         int64           `json:"forms"`
	// Gaps are the spans of chat the API no longer served: staff import a
	// replay file for them.
	Gaps []GapSummary `json:"gaps"`
	// MembersOnly are the checkpoints during which a chat was members-only.
	MembersOnly []MembersOnlySummary `json:"members_only"`
}

// GapSummary is a gap of chat as `event show --json` gives it; From is
// null when nothing was stored before the gap.
type GapSummary struct {
	VideoID string     `json:"video_id"`
	From    *time.Time `json:"from"`
	To      time.Time  `json:"to"`
	Reason  string     `json:"reason"`
}

// MembersOnlySummary is a members-only notice as `event show --json` gives
// it; To is null while members-only mode is still on.
type MembersOnlySummary struct {
	Checkpoint int        `json:"checkpoint"`
	VideoID    string     `json:"video_id"`
	From       time.Time  `json:"from"`
	To         *time.Time `json:"to"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Summary returns an event's figures.
func (s *Store) Summary(ctx context.Context, slug string) (EventSummary, error) {
	e, err := s.Event(ctx, slug)
	if err != nil {
		return EventSummary{}, err
	}
	sum := EventSummary{Slug: e.Slug, Title: e.Title, TimeZone: e.TimeZone, Streams: []StreamSummary{}}
	err = s.db.SelectContext(ctx, &sum.Streams, s.db.Rebind(`SELECT video_id, state, chat_state, chat_messages, chat_authors,
		peak_concurrent_viewers FROM streams WHERE event_id = ? ORDER BY id`), e.ID)
	if err == nil {
		err = s.db.GetContext(ctx, &sum.Registrations, s.db.Rebind(`SELECT COUNT(*) FROM registrations WHERE event_id = ?`), e.ID)
	}
	if err == nil {
		err = s.db.GetContext(ctx, &sum.Linked, s.db.Rebind(`SELECT COUNT(DISTINCT registration_id) FROM links WHERE event_id = ?`), e.ID)
	}
	if err == nil {
		err = s.db.GetContext(ctx, &sum.Checkpoints, s.db.Rebind(`SELECT COUNT(*) FROM checkpoints WHERE event_id = ?`), e.ID)
	}
	if err == nil {
		err = s.db.GetContext(ctx, &sum.Forms, s.db.Rebind(`SELECT COUNT(*) FROM form_responses WHERE event_id = ?`), e.ID)
	}
	var gaps []attendance.Gap
	if err == nil {
		gaps, err = s.Gaps(ctx, e.ID)
	}
	var notices []attendance.MembersOnlyNotice
	if err == nil {
		notices, err = s.MembersOnlyNotices(ctx, e.ID)
	}
	if err != nil {
		return sum, fmt.Errorf("store: summary of event %s: %w", slug, err)
	}
	sum.Gaps = make([]GapSummary, len(gaps))
	for i, g := range gaps {
		sum.Gaps[i] = GapSummary{VideoID: g.VideoID, From: timePtr(g.From), To: g.To, Reason: g.Reason}
	}
	sum.MembersOnly = make([]MembersOnlySummary, len(notices))
	for i, n := range notices {
		sum.MembersOnly[i] = MembersOnlySummary{Checkpoint: n.Checkpoint, VideoID: n.VideoID, From: n.From, To: timePtr(n.To)}
	}
	return sum, nil
}

// inClause returns "?,?,?" for n values.
func inClause(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

// EventByID returns an event by id, with its video ids.
func (s *Store) EventByID(ctx context.Context, eventID int64) (attendance.Event, error) {
	return eventByID(ctx, s.db, eventID)
}
