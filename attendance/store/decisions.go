package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/seameo/rollcall/attendance"
)

// decisionRow is one registration with its evidence aggregated in SQL.
type decisionRow struct {
	registrationRow
	Channels  string         `db:"channels"`
	Methods   string         `db:"methods"`
	Shared    int64          `db:"shared"`
	Conflicts int64          `db:"conflicts"`
	HitsChat  int64          `db:"hits_chat"`
	HitsForm  int64          `db:"hits_form"`
	Minutes   int64          `db:"minutes"`
	FirstSeen int64          `db:"first_seen"`
	LastSeen  int64          `db:"last_seen"`
	FormAt    int64          `db:"form_at"`
	CertName  string         `db:"cert_name"`
	OvCert    sql.NullString `db:"ov_cert"`
	OvWhy     sql.NullString `db:"ov_why"`
	OvStaff   sql.NullString `db:"ov_staff"`
	OvAt      sql.NullInt64  `db:"ov_at"`
	CertIDs   string         `db:"cert_ids"`
}

// agg returns the engine's string aggregate of expr, joined by sep.
func (s *Store) agg(expr, sep string) string {
	if s.engine == Postgres {
		return "string_agg(" + expr + ", '" + sep + "')"
	}
	return "group_concat(" + expr + ", '" + sep + "')"
}

// decisionQuery reads registrations of an event with every piece of
// evidence, in id order. Each aggregate is computed once for the whole
// event and joined, so that 100,000 people take one pass.
func (s *Store) decisionQuery(one bool) string {
	q := `SELECT r.id, r.event_id, r.email, r.full_name, r.country, r.organisation, r.role, r.youtube, r.code, r.source, r.extra,
		r.created_at, r.updated_at,
		COALESCE(lk.channels, '') AS channels, COALESCE(lk.methods, '') AS methods,
		COALESCE(sh.shared, 0) AS shared, COALESCE(cf.n, 0) AS conflicts,
		COALESCE(h.chat, 0) AS hits_chat, COALESCE(h.form, 0) AS hits_form,
		COALESCE(pr.minutes, 0) AS minutes, COALESCE(seen.first_seen, 0) AS first_seen, COALESCE(seen.last_seen, 0) AS last_seen,
		COALESCE(f.submitted_at, 0) AS form_at, COALESCE(f.certificate_name, '') AS cert_name,
		o.certificate AS ov_cert, o.reason AS ov_why, o.staff AS ov_staff, o.created_at AS ov_at,
		COALESCE(c.ids, '') AS cert_ids
	FROM registrations r
	LEFT JOIN (SELECT registration_id, ` + s.agg("channel_id", " ") + ` AS channels, ` + s.agg("method", " ") + ` AS methods
		FROM links WHERE event_id = ? GROUP BY registration_id) lk ON lk.registration_id = r.id
	LEFT JOIN (SELECT l.registration_id, 1 AS shared FROM links l JOIN links l2 ON l2.event_id = l.event_id AND l2.channel_id = l.channel_id
		AND l2.registration_id <> l.registration_id WHERE l.event_id = ? GROUP BY l.registration_id) sh ON sh.registration_id = r.id
	LEFT JOIN (SELECT registration_id, COUNT(*) AS n FROM link_conflicts WHERE event_id = ? AND resolved = ? GROUP BY registration_id) cf
		ON cf.registration_id = r.id
	LEFT JOIN (SELECT h.registration_id, SUM(CASE WHEN h.source = 'chat' THEN 1 ELSE 0 END) AS chat,
		SUM(CASE WHEN h.source = 'form' THEN 1 ELSE 0 END) AS form
		FROM checkpoint_hits h JOIN checkpoints cp ON cp.id = h.checkpoint_id WHERE cp.event_id = ? GROUP BY h.registration_id) h
		ON h.registration_id = r.id
	LEFT JOIN (SELECT registration_id, COUNT(*) AS minutes FROM (SELECT DISTINCT l.registration_id, a.stream_id, a.minute
		FROM links l JOIN streams st ON st.event_id = l.event_id JOIN chat_activity a ON a.stream_id = st.id AND a.channel_id = l.channel_id
		WHERE l.event_id = ?) x GROUP BY registration_id) pr ON pr.registration_id = r.id
	LEFT JOIN (SELECT l.registration_id, MIN(ca.first_at) AS first_seen, MAX(ca.last_at) AS last_seen
		FROM links l JOIN streams st ON st.event_id = l.event_id JOIN chat_authors ca ON ca.stream_id = st.id AND ca.channel_id = l.channel_id
		WHERE l.event_id = ? GROUP BY l.registration_id) seen ON seen.registration_id = r.id
	LEFT JOIN form_responses f ON f.event_id = r.event_id AND f.registration_id = r.id
	LEFT JOIN overrides o ON o.registration_id = r.id AND o.id = (SELECT MAX(o2.id) FROM overrides o2 WHERE o2.registration_id = r.id)
	LEFT JOIN (SELECT registration_id, ` + s.agg("type || ':' || id", " ") + ` AS ids FROM certificates
		WHERE event_id = ? AND revoked_at = 0 GROUP BY registration_id) c ON c.registration_id = r.id
	WHERE r.event_id = ?`
	if one {
		q += ` AND r.id = ?`
	}
	return q + ` ORDER BY r.id`
}

func decisionArgs(eventID int64) []any {
	return []any{eventID, eventID, eventID, false, eventID, eventID, eventID, eventID, eventID}
}

// evaluate turns a row into a decision, without its certificate id.
func (r decisionRow) decision(p attendance.Policy, total int) attendance.Decision {
	ev := attendance.Evidence{
		Linked:           r.Channels != "",
		Conflict:         r.Conflicts > 0,
		SharedChannel:    r.Shared > 0,
		CheckpointsHit:   int(r.HitsChat),
		CheckpointsTotal: total,
		PresenceMinutes:  int(r.Minutes),
		FirstSeen:        fromUS(r.FirstSeen),
		LastSeen:         fromUS(r.LastSeen),
		FormSubmitted:    r.FormAt != 0,
	}
	if r.Channels != "" {
		ev.Channels = strings.Fields(r.Channels)
		ev.LinkMethods = strings.Fields(r.Methods)
		// the aggregate's order is the engine's: sort pairs for stable output
		type pair struct{ ch, m string }
		ps := make([]pair, len(ev.Channels))
		for i := range ps {
			ps[i] = pair{ev.Channels[i], ev.LinkMethods[min(i, len(ev.LinkMethods)-1)]}
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i].ch < ps[j].ch })
		for i, p := range ps {
			ev.Channels[i], ev.LinkMethods[i] = p.ch, p.m
		}
	}
	if p.FormCheckpointAnswersCount {
		ev.CheckpointsHit += int(r.HitsForm)
	}
	if r.OvCert.Valid {
		ev.Override = &attendance.Override{Certificate: storedCert(r.OvCert.String), Why: r.OvWhy.String, Staff: r.OvStaff.String, At: fromUS(r.OvAt.Int64)}
	}
	reg := r.registration()
	d := attendance.Decision{Registration: reg, Evidence: ev, CertificateName: reg.FullName}
	if r.CertName != "" {
		d.CertificateName = r.CertName
	}
	d.Certificate, d.Reasons = attendance.Evaluate(p, reg.Role, ev)
	if d.Certificate != attendance.CertNone {
		for _, tid := range strings.Fields(r.CertIDs) {
			if t, id, ok := strings.Cut(tid, ":"); ok && t == string(d.Certificate) {
				d.CertificateID = id
			}
		}
	}
	return d
}

// storedCert reads a certificate type as stored in overrides ("none" is none).
func storedCert(s string) attendance.CertificateType {
	if s == "none" {
		return attendance.CertNone
	}
	return attendance.CertificateType(s)
}

// EventByID returns an event by id, with its video ids.
func (s *Store) EventByID(ctx context.Context, eventID int64) (attendance.Event, error) {
	var slug string
	if err := s.db.GetContext(ctx, &slug, s.db.Rebind(`SELECT slug FROM events WHERE id = ?`), eventID); err != nil {
		return attendance.Event{}, fmt.Errorf("store: event %d: %w", eventID, notFound(err, "no event %d", eventID))
	}
	return s.Event(ctx, slug)
}

// Decisions streams every registration's decision in id order, with its
// evidence and reasons. A certificate to issue gets its id here the first
// time, and keeps it: re-running gives the same ids. Decisions are handed
// out in groups after their new ids are committed, so memory stays small
// and no id is shown that is not stored.
func (s *Store) Decisions(ctx context.Context, eventID int64, fn func(attendance.Decision) error) error {
	if err := s.decisions(ctx, eventID, 0, fn); err != nil {
		return fmt.Errorf("store: decisions of event %d: %w", eventID, err)
	}
	return nil
}

// Decision returns one registration's decision.
func (s *Store) Decision(ctx context.Context, eventID, registrationID int64) (attendance.Decision, error) {
	var out attendance.Decision
	found := false
	err := s.decisions(ctx, eventID, registrationID, func(d attendance.Decision) error { out, found = d, true; return nil })
	if err == nil && !found {
		err = attendance.Errorf(attendance.ENotFound, "no registration %d in this event", registrationID)
	}
	if err != nil {
		return out, fmt.Errorf("store: decision of registration %d: %w", registrationID, err)
	}
	return out, nil
}

func (s *Store) decisions(ctx context.Context, eventID, regID int64, fn func(attendance.Decision) error) error {
	e, err := s.EventByID(ctx, eventID)
	if err != nil {
		return err
	}
	var total int
	if err := s.db.GetContext(ctx, &total, s.db.Rebind(`SELECT COUNT(*) FROM checkpoints WHERE event_id = ?`), eventID); err != nil {
		return err
	}
	args := decisionArgs(eventID)
	if regID != 0 {
		args = append(args, regID)
	}
	rows, err := s.db.QueryxContext(ctx, s.db.Rebind(s.decisionQuery(regID != 0)), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	const group = 1000
	pending := make([]attendance.Decision, 0, group)
	flush := func() error {
		if err := s.issueCertificates(ctx, eventID, pending); err != nil {
			return err
		}
		for _, d := range pending {
			if err := fn(d); err != nil {
				return err
			}
		}
		pending = pending[:0]
		return nil
	}
	for rows.Next() {
		var r decisionRow
		if err := rows.StructScan(&r); err != nil {
			return err
		}
		pending = append(pending, r.decision(e.Policy, total))
		if len(pending) == group {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return flush()
}

// issueCertificates gives an id to every decision with a certificate and
// none yet, storing it; when another writer got there first, its id wins.
func (s *Store) issueCertificates(ctx context.Context, eventID int64, ds []attendance.Decision) error {
	var need []int
	for i, d := range ds {
		if d.Certificate != attendance.CertNone && d.CertificateID == "" {
			need = append(need, i)
		}
	}
	if len(need) == 0 {
		return nil
	}
	now := us(s.now())
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		for i := 0; i < len(need); i += 400 {
			chunk := need[i:min(i+400, len(need))]
			args := make([]any, 0, len(chunk)*5)
			for _, j := range chunk {
				id, err := attendance.NewCertificateID()
				if err != nil {
					return err
				}
				ds[j].CertificateID = id
				args = append(args, id, eventID, ds[j].Registration.ID, string(ds[j].Certificate), now)
			}
			var got []string
			err := tx.SelectContext(ctx, &got, tx.Rebind(`INSERT INTO certificates (id, event_id, registration_id, type, issued_at)
				VALUES `+placeholders(len(chunk), 5)+` ON CONFLICT (event_id, registration_id, type) DO NOTHING RETURNING id`), args...)
			if err != nil {
				return fmt.Errorf("issue certificates: %w", err)
			}
			if len(got) == len(chunk) {
				continue
			}
			inserted := make(map[string]bool, len(got))
			for _, id := range got {
				inserted[id] = true
			}
			for _, j := range chunk {
				if inserted[ds[j].CertificateID] {
					continue
				}
				err := tx.GetContext(ctx, &ds[j].CertificateID, tx.Rebind(`SELECT id FROM certificates WHERE event_id = ? AND registration_id = ? AND type = ?`),
					eventID, ds[j].Registration.ID, string(ds[j].Certificate))
				if err != nil {
					return fmt.Errorf("existing certificate: %w", err)
				}
			}
		}
		return nil
	})
}

// Certificate is an issued certificate as the verification page shows it.
type Certificate struct {
	ID             string
	EventID        int64
	EventTitle     string
	RegistrationID int64
	Name           string // the certificate name
	Type           attendance.CertificateType
	IssuedAt       time.Time
	RevokedAt      time.Time // zero while valid
	RevokeReason   string
}

// CertificateByID looks a certificate up by its id as printed (dashes and
// case do not matter), for the verification page.
func (s *Store) CertificateByID(ctx context.Context, id string) (Certificate, error) {
	var c struct {
		ID       string `db:"id"`
		EventID  int64  `db:"event_id"`
		Title    string `db:"title"`
		RegID    int64  `db:"registration_id"`
		Name     string `db:"name"`
		Type     string `db:"type"`
		Issued   int64  `db:"issued_at"`
		Revoked  int64  `db:"revoked_at"`
		RevokeBy string `db:"revoke_reason"`
	}
	norm := attendance.NormalizeCertificateID(id)
	err := s.db.GetContext(ctx, &c, s.db.Rebind(`SELECT c.id, c.event_id, e.title, c.registration_id,
		COALESCE(NULLIF(f.certificate_name, ''), r.full_name) AS name, c.type, c.issued_at, c.revoked_at, c.revoke_reason
		FROM certificates c JOIN events e ON e.id = c.event_id JOIN registrations r ON r.id = c.registration_id
		LEFT JOIN form_responses f ON f.registration_id = r.id WHERE c.id = ?`), norm)
	if err != nil || norm == "" {
		if err == nil {
			err = sql.ErrNoRows
		}
		return Certificate{}, fmt.Errorf("store: certificate: %w", notFound(err, "no such certificate"))
	}
	return Certificate{ID: c.ID, EventID: c.EventID, EventTitle: c.Title, RegistrationID: c.RegID, Name: c.Name,
		Type: attendance.CertificateType(c.Type), IssuedAt: fromUS(c.Issued), RevokedAt: fromUS(c.Revoked), RevokeReason: c.RevokeBy}, nil
}

// EventStart returns when an event took place: its first stream's actual
// start, else the scheduled start, else its first chat message, else when
// it was created.
func (s *Store) EventStart(ctx context.Context, eventID int64) (time.Time, error) {
	var at int64
	err := s.db.GetContext(ctx, &at, s.db.Rebind(`SELECT COALESCE(
		(SELECT MIN(actual_start) FROM streams WHERE event_id = ? AND actual_start > 0),
		(SELECT MIN(scheduled_start) FROM streams WHERE event_id = ? AND scheduled_start > 0),
		(SELECT MIN(ca.first_at) FROM chat_authors ca JOIN streams st ON st.id = ca.stream_id WHERE st.event_id = ?),
		(SELECT created_at FROM events WHERE id = ?))`), eventID, eventID, eventID, eventID)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: start of event %d: %w", eventID, err)
	}
	return fromUS(at), nil
}
