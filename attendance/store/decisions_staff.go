package store

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/seameo/rollcall/attendance"
)

// Audit records a staff action in actor's name. The actor is required: an
// empty one is refused (EInvalid), never defaulted. detail must not hold
// personal data beyond what subject names (a registration id, not an
// email). Changes the store makes are audited by the store itself, in
// their own transaction; Audit is for what only the caller sees done —
// an export or render handed out (see ATTENDANCE.md, "Audit").
func (s *Store) Audit(ctx context.Context, actor, action string, eventID int64, subject, detail string) error {
	if err := audit(ctx, s.db, actor, action, eventID, subject, detail, us(s.now())); err != nil {
		return fmt.Errorf("store: audit %s: %w", action, err)
	}
	return nil
}

func audit(ctx context.Context, db sqlx.ExtContext, actor, action string, eventID int64, subject, detail string, at int64) error {
	if strings.TrimSpace(actor) == "" {
		return attendance.Errorf(attendance.EInvalid, "%s: say who acts (an audit entry needs a staff name)", action)
	}
	var ev any
	if eventID != 0 {
		ev = eventID
	}
	_, err := db.ExecContext(ctx, db.Rebind(`INSERT INTO audit_log (at, actor, action, event_id, subject, detail) VALUES (?, ?, ?, ?, ?, ?)`),
		at, actor, action, ev, subject, detail)
	return err
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID      int64  `db:"id"`
	At      int64  `db:"at"`
	Actor   string `db:"actor"`
	Action  string `db:"action"`
	Subject string `db:"subject"`
	Detail  string `db:"detail"`
}

// AuditLog returns an event's audit entries, newest first.
func (s *Store) AuditLog(ctx context.Context, eventID int64, limit int) ([]AuditEntry, error) {
	var out []AuditEntry
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT id, at, actor, action, subject, detail FROM audit_log WHERE event_id = ? ORDER BY id DESC LIMIT ?`), eventID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	return out, nil
}

// checkRegistrations refuses, as ENotFound, any of the (distinct) ids that
// is not a registration of the event: a person of another event, or one
// deleted meanwhile. One query per 500 ids.
func checkRegistrations(ctx context.Context, tx *sqlx.Tx, eventID int64, ids ...int64) error {
	for i := 0; i < len(ids); i += 500 {
		chunk := ids[i:min(i+500, len(ids))]
		q, args, err := sqlx.In(`SELECT COUNT(*) FROM registrations WHERE event_id = ? AND id IN (?)`, eventID, chunk)
		if err != nil {
			return err
		}
		var n int
		if err := tx.GetContext(ctx, &n, tx.Rebind(q), args...); err != nil {
			return err
		}
		if n != len(chunk) {
			if len(ids) == 1 {
				return attendance.Errorf(attendance.ENotFound, "no registration %d in this event", ids[0])
			}
			return attendance.Errorf(attendance.ENotFound, "a person chosen is not a registration of this event (deleted?)")
		}
	}
	return nil
}

// AddOverride records a staff decision on one person's certificate, which
// wins over the policy; the latest override counts. It is audited.
func (s *Store) AddOverride(ctx context.Context, eventID, registrationID int64, cert attendance.CertificateType, why, staff string) error {
	why, staff = strings.TrimSpace(why), strings.TrimSpace(staff)
	switch {
	case why == "":
		return attendance.Errorf(attendance.EInvalid, "an override needs a reason (--why)")
	case staff == "":
		return attendance.Errorf(attendance.EInvalid, "an override needs the staff member who decides (--staff)")
	case cert != attendance.CertNone && cert != attendance.CertParticipation && cert != attendance.CertAppreciation:
		return attendance.Errorf(attendance.EInvalid, "certificate %q: expected participation, appreciation or none", cert)
	}
	stored := string(cert)
	if cert == attendance.CertNone {
		stored = "none"
	}
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		if err := checkRegistrations(ctx, tx, eventID, registrationID); err != nil {
			return err
		}
		now := us(s.now())
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO overrides (event_id, registration_id, certificate, reason, staff, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`), eventID, registrationID, stored, why, staff, now); err != nil {
			return err
		}
		return audit(ctx, tx, staff, "override", eventID, fmt.Sprintf("registration %d", registrationID), "certificate "+stored+": "+why, now)
	})
	if err != nil {
		return fmt.Errorf("store: override for registration %d: %w", registrationID, err)
	}
	return nil
}

// LinkManually links a chat channel to a registration on a staff decision,
// resolves the conflicts between them, judges the channel's messages
// against the checkpoints, and audits it.
func (s *Store) LinkManually(ctx context.Context, eventID, registrationID int64, channelID, staff, note string) error {
	channelID, staff = strings.TrimSpace(channelID), strings.TrimSpace(staff)
	if channelID == "" || staff == "" {
		return attendance.Errorf(attendance.EInvalid, "a manual link needs a channel id and the staff member")
	}
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		if err := checkRegistrations(ctx, tx, eventID, registrationID); err != nil {
			return err
		}
		now := us(s.now())
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO links (event_id, registration_id, channel_id, method, linked_at, linked_by, note)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (registration_id, channel_id) DO UPDATE SET method = excluded.method,
			linked_by = excluded.linked_by, note = excluded.note`), eventID, registrationID, channelID, LinkManual, now, staff, note)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE link_conflicts SET resolved = ?, resolution = ? WHERE registration_id = ? AND channel_id = ?`),
			true, "linked by "+staff, registrationID, channelID); err != nil {
			return err
		}
		cps, err := loadCheckpoints(ctx, tx, eventID)
		if err != nil {
			return err
		}
		if len(cps) > 0 {
			hits, err := earlierHits(ctx, tx, s.engine, eventID, cps, prepareWords(cps), []attendance.Link{{RegistrationID: registrationID, ChannelID: channelID}})
			if err != nil {
				return err
			}
			if err := insertHits(ctx, tx, hits); err != nil {
				return err
			}
		}
		return audit(ctx, tx, staff, "link", eventID, fmt.Sprintf("registration %d", registrationID), "manual link to a chat channel", now)
	})
	if err != nil {
		return fmt.Errorf("store: link registration %d by hand: %w", registrationID, err)
	}
	return nil
}

// ResolveConflicts marks a registration's open link conflicts resolved
// without linking (e.g. the owner gave the code to a colleague by mistake).
// It is audited.
func (s *Store) ResolveConflicts(ctx context.Context, eventID, registrationID int64, staff, resolution string) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE link_conflicts SET resolved = ?, resolution = ? WHERE event_id = ? AND registration_id = ? AND resolved = ?`),
			true, resolution, eventID, registrationID, false)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		return audit(ctx, tx, staff, "resolve conflicts", eventID, fmt.Sprintf("registration %d", registrationID), resolution, us(s.now()))
	})
	if err != nil {
		return 0, fmt.Errorf("store: resolve conflicts of registration %d: %w", registrationID, err)
	}
	return n, nil
}

// SearchRegistrations finds registrations whose email, name or attendance
// code contains query (case-insensitive), at most limit, in id order.
func (s *Store) SearchRegistrations(ctx context.Context, eventID int64, query string, limit int) ([]attendance.Registration, error) {
	q := strings.ToLower(strings.TrimSpace(query))
	if limit <= 0 {
		limit = 50
	}
	pat := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(q) + "%"
	code := attendance.NormalizeCode(query)
	var rows []registrationRow
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+registrationColumns+` FROM registrations
		WHERE event_id = ? AND (email LIKE ? ESCAPE '\' OR LOWER(full_name) LIKE ? ESCAPE '\' OR code = ?) ORDER BY id LIMIT ?`),
		eventID, pat, pat, code, limit)
	if err != nil {
		return nil, fmt.Errorf("store: search registrations: %w", err)
	}
	out := make([]attendance.Registration, len(rows))
	for i, r := range rows {
		out[i] = r.registration()
	}
	return out, nil
}

// Timeline returns one person's evidence in time order: links, conflicts
// (review flags included), chat messages of linked channels, checkpoint
// hits (by number, never the word), the form, overrides, and moderation of
// linked channels (a message deleted by a moderator, a ban).
func (s *Store) Timeline(ctx context.Context, eventID, registrationID int64) ([]attendance.TimelineEntry, error) {
	var out []attendance.TimelineEntry
	type row struct {
		At      int64  `db:"at"`
		Channel string `db:"channel"`
		VideoID string `db:"video_id"`
		Text    string `db:"text"`
	}
	queries := []struct {
		kind string
		q    string
	}{
		{"link", `SELECT linked_at AS at, channel_id AS channel, '' AS video_id, method AS text FROM links WHERE event_id = ? AND registration_id = ?`},
		{"conflict", `SELECT at, channel_id AS channel, '' AS video_id, kind AS text FROM link_conflicts WHERE event_id = ? AND registration_id = ?`},
		{"message", `SELECT m.published_at AS at, m.author_channel_id AS channel, st.video_id, m.text FROM chat_messages m
			JOIN streams st ON st.id = m.stream_id JOIN links l ON l.event_id = st.event_id AND l.channel_id = m.author_channel_id
			WHERE st.event_id = ? AND l.registration_id = ?`},
		{"checkpoint", `SELECT h.at, h.channel_id AS channel, '' AS video_id, 'checkpoint ' || CAST(c.number AS TEXT) || ' (' || h.source || ')' AS text
			FROM checkpoint_hits h JOIN checkpoints c ON c.id = h.checkpoint_id WHERE c.event_id = ? AND h.registration_id = ?`},
		{"form", `SELECT submitted_at AS at, '' AS channel, '' AS video_id, 'form submitted' AS text FROM form_responses WHERE event_id = ? AND registration_id = ?`},
		{"override", `SELECT created_at AS at, '' AS channel, '' AS video_id, certificate || ': ' || reason || ' (' || staff || ')' AS text FROM overrides WHERE event_id = ? AND registration_id = ?`},
		// What review flags rest on: a linked channel's message deleted by
		// a moderator (by its id: the text is in the message entry), a
		// linked channel banned.
		{"moderation", `SELECT d.at, m.author_channel_id AS channel, st.video_id, 'message ' || m.message_id || ' deleted by a moderator' AS text
			FROM chat_moderation d JOIN streams st ON st.id = d.stream_id
			JOIN chat_messages m ON m.stream_id = d.stream_id AND m.message_id = d.target_id
			JOIN links l ON l.event_id = st.event_id AND l.channel_id = m.author_channel_id
			WHERE st.event_id = ? AND l.registration_id = ? AND d.type = 'messageDeletedEvent'
			UNION ALL
			SELECT b.at, b.target_id AS channel, st.video_id, 'channel banned from the chat' AS text
			FROM chat_moderation b JOIN streams st ON st.id = b.stream_id
			JOIN links l ON l.event_id = st.event_id AND l.channel_id = b.target_id
			WHERE st.event_id = ? AND l.registration_id = ? AND b.type = 'userBannedEvent'`},
	}
	for _, q := range queries {
		var rows []row
		args := []any{eventID, registrationID}
		if q.kind == "moderation" {
			args = append(args, eventID, registrationID)
		}
		if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q.q), args...); err != nil {
			return nil, fmt.Errorf("store: timeline of registration %d: %s: %w", registrationID, q.kind, err)
		}
		for _, r := range rows {
			out = append(out, attendance.TimelineEntry{At: fromUS(r.At), Kind: q.kind, VideoID: r.VideoID, Channel: r.Channel, Text: r.Text})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

// Conflict is a link conflict for staff to review.
type Conflict struct {
	ID             int64  `db:"id"`
	RegistrationID int64  `db:"registration_id"`
	Email          string `db:"email"`
	ChannelID      string `db:"channel_id"`
	Kind           string `db:"kind"` // code_taken, too_many_codes, too_many_registrations; review flags evidence_deleted, channel_banned (attendance.ReviewOnly)
	MessageID      string `db:"message_id"`
	AtUS           int64  `db:"at"`
	Resolved       bool   `db:"resolved"`
	Resolution     string `db:"resolution"`
}

// Conflicts lists an event's link conflicts, open ones only unless all.
func (s *Store) Conflicts(ctx context.Context, eventID int64, all bool) ([]Conflict, error) {
	q := `SELECT c.id, c.registration_id, r.email, c.channel_id, c.kind, c.message_id, c.at, c.resolved, c.resolution
		FROM link_conflicts c JOIN registrations r ON r.id = c.registration_id WHERE c.event_id = ?`
	args := []any{eventID}
	if !all {
		q += ` AND c.resolved = ?`
		args = append(args, false)
	}
	var out []Conflict
	if err := s.db.SelectContext(ctx, &out, s.db.Rebind(q+` ORDER BY c.id`), args...); err != nil {
		return nil, fmt.Errorf("store: conflicts of event %d: %w", eventID, err)
	}
	return out, nil
}
