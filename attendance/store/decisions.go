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

// decisionRow is one registration with its evidence.
type decisionRow struct {
	registrationRow
	channels  []string
	methods   []string
	Shared    int64
	Conflicts int64
	review    []string // open review flags, sorted
	HitsChat  int64
	HitsForm  int64
	Minutes   int64
	FirstSeen int64
	LastSeen  int64
	FormAt    int64
	CertName  string
	ov        *attendance.Override
	certIDs   map[string]string // type → id
	revoked   map[string]string // type → why, for revoked certificates
}

// evaluate turns a row into a decision, without its certificate id.
func (r decisionRow) decision(p attendance.Policy, total int) attendance.Decision {
	ev := attendance.Evidence{
		Linked:           len(r.channels) > 0,
		Channels:         r.channels,
		LinkMethods:      r.methods,
		Conflict:         r.Conflicts > 0,
		SharedChannel:    r.Shared > 0,
		Review:           r.review,
		CheckpointsHit:   int(r.HitsChat),
		CheckpointsTotal: total,
		PresenceMinutes:  int(r.Minutes),
		FirstSeen:        fromUS(r.FirstSeen),
		LastSeen:         fromUS(r.LastSeen),
		FormSubmitted:    r.FormAt != 0,
		Override:         r.ov,
	}
	if p.FormCheckpointAnswersCount {
		ev.CheckpointsHit += int(r.HitsForm)
	}
	reg := r.registration()
	d := attendance.Decision{Registration: reg, Evidence: ev, CertificateName: reg.FullName}
	if r.CertName != "" {
		d.CertificateName = r.CertName
	}
	d.Certificate, d.Reasons = attendance.Evaluate(p, reg.Role, ev)
	if why, ok := r.revoked[string(d.Certificate)]; ok && d.Certificate != attendance.CertNone {
		// A revoked certificate stays revoked: no export, render or badge
		// hands it out again, and no new id replaces it.
		d.Certificate = attendance.CertNone
		d.Reasons = append(d.Reasons, attendance.Reason{Kind: attendance.ReasonRevoked, Detail: why})
	}
	if d.Certificate != attendance.CertNone {
		d.CertificateID = r.certIDs[string(d.Certificate)]
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

// reader is what a read needs: the store's handle or a transaction.
type reader interface {
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
	Rebind(query string) string
}

// eventByID reads an event and its video ids through q.
func eventByID(ctx context.Context, q reader, eventID int64) (attendance.Event, error) {
	var r eventRow
	if err := q.GetContext(ctx, &r, q.Rebind(`SELECT `+eventColumns+` FROM events WHERE id = ?`), eventID); err != nil {
		return attendance.Event{}, fmt.Errorf("store: event %d: %w", eventID, notFound(err, "no event %d", eventID))
	}
	e := r.event()
	if err := q.SelectContext(ctx, &e.VideoIDs, q.Rebind(`SELECT video_id FROM streams WHERE event_id = ? ORDER BY id`), eventID); err != nil {
		return e, fmt.Errorf("store: videos of event %d: %w", eventID, err)
	}
	return e, nil
}

// readIdleTimeout is how long a read transaction may sit idle on
// PostgreSQL, between reads while the caller hands decisions on (an export
// written to a slow pipe). The session-wide idleTransactionTimeout is
// there for writers' row locks, which a read-only transaction does not
// hold; a reader that stalls longer than this still ends, so that a dead
// client does not hold a snapshot (and a migration's table lock) forever.
const readIdleTimeout = "5min"

// readTx runs fn in a read-only transaction: every query of fn sees one
// snapshot of the database, whatever ingest commits meanwhile. On SQLite
// it is a deferred transaction (the store's other transactions begin
// IMMEDIATE, taking the write lock; a reader must not, and in WAL mode
// writers go on while it reads), on PostgreSQL REPEATABLE READ READ ONLY.
func (s *Store) readTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.engine == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.db.BeginTxx(ctx, opts)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	if s.engine == Postgres {
		if _, err := tx.ExecContext(ctx, `SET LOCAL idle_in_transaction_session_timeout = '`+readIdleTimeout+`'`); err != nil {
			return err
		}
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// Decisions streams every registration's decision in id order, with its
// evidence and reasons. It only reads: every decision comes from one
// consistent snapshot (one read transaction), and a certificate shows its
// id only once Issue has issued it (CertificateID is empty before). Looking
// at decisions never writes. Decisions are handed out in runs of
// decisionChunk, so memory stays small; fn runs inside the read
// transaction and should not block for long (see readTx).
func (s *Store) Decisions(ctx context.Context, eventID int64, fn func(attendance.Decision) error) error {
	err := s.readTx(ctx, func(tx *sqlx.Tx) error { return s.decisions(ctx, tx, eventID, 0, fn) })
	if err != nil {
		return fmt.Errorf("store: decisions of event %d: %w", eventID, err)
	}
	return nil
}

// Decision returns one registration's decision, read-only as Decisions.
func (s *Store) Decision(ctx context.Context, eventID, registrationID int64) (attendance.Decision, error) {
	var out attendance.Decision
	err := s.readTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		out, err = s.decisionIn(ctx, tx, eventID, registrationID)
		return err
	})
	if err != nil {
		return out, fmt.Errorf("store: decision of registration %d: %w", registrationID, err)
	}
	return out, nil
}

// decisionIn judges one registration through q.
func (s *Store) decisionIn(ctx context.Context, q reader, eventID, registrationID int64) (attendance.Decision, error) {
	var out attendance.Decision
	found := false
	err := s.decisions(ctx, q, eventID, registrationID, func(d attendance.Decision) error { out, found = d, true; return nil })
	if err == nil && !found {
		err = attendance.Errorf(attendance.ENotFound, "no registration %d in this event", registrationID)
	}
	return out, err
}

// decisionChunk is how many registrations are judged per round of
// queries: memory stays flat however large the event.
const decisionChunk = 5000

// decisions judges the event's registrations (or the one regID names)
// through q, which is a transaction whenever the caller wants one snapshot.
func (s *Store) decisions(ctx context.Context, q reader, eventID, regID int64, fn func(attendance.Decision) error) error {
	e, err := eventByID(ctx, q, eventID)
	if err != nil {
		return err
	}
	var total int
	if err := q.GetContext(ctx, &total, q.Rebind(`SELECT COUNT(*) FROM checkpoints WHERE event_id = ?`), eventID); err != nil {
		return err
	}
	// Reading the next run overlaps with judging and handing out this one.
	// The reader is done before decisions returns: q may be a transaction
	// that the caller ends next.
	ctx, cancel := context.WithCancel(ctx)
	type run struct {
		rows []decisionRow
		err  error
	}
	runs := make(chan run, 1)
	defer func() {
		cancel()
		for range runs {
		}
	}()
	go func() {
		defer close(runs)
		var after int64
		for {
			var regs []registrationRow
			qs := `SELECT ` + registrationColumns + ` FROM registrations WHERE event_id = ? AND id > ?`
			args := []any{eventID, after}
			if regID != 0 {
				qs += ` AND id = ?`
				args = append(args, regID)
			}
			qs += ` ORDER BY id LIMIT ?`
			args = append(args, decisionChunk)
			var r run
			if r.err = q.SelectContext(ctx, &regs, q.Rebind(qs), args...); r.err == nil && len(regs) > 0 {
				r.rows, r.err = evidence(ctx, q, eventID, regs)
			}
			if r.err == nil && len(regs) == 0 {
				return
			}
			select {
			case runs <- r:
			case <-ctx.Done():
				return
			}
			if r.err != nil || len(regs) < decisionChunk {
				return
			}
			after = regs[len(regs)-1].ID
		}
	}()
	for r := range runs {
		if r.err != nil {
			return r.err
		}
		for _, row := range r.rows {
			if err := fn(row.decision(e.Policy, total)); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

// evidence reads the evidence of a run of registrations (in id order),
// one query per kind over their id range.
func evidence(ctx context.Context, q reader, eventID int64, regs []registrationRow) ([]decisionRow, error) {
	lo, hi := regs[0].ID, regs[len(regs)-1].ID
	out := make([]decisionRow, len(regs))
	idx := make(map[int64]*decisionRow, len(regs))
	for i, r := range regs {
		out[i].registrationRow = r
		idx[r.ID] = &out[i]
	}
	var err error
	sel := func(dest any, query string, args ...any) {
		if err == nil {
			err = q.SelectContext(ctx, dest, q.Rebind(query), args...)
		}
	}
	var links []struct {
		Reg     int64  `db:"registration_id"`
		Channel string `db:"channel_id"`
		Method  string `db:"method"`
	}
	sel(&links, `SELECT registration_id, channel_id, method FROM links WHERE event_id = ? AND registration_id BETWEEN ? AND ?
		ORDER BY registration_id, channel_id`, eventID, lo, hi)
	var shared []int64
	sel(&shared, `SELECT DISTINCT l.registration_id FROM links l JOIN links l2 ON l2.event_id = l.event_id AND l2.channel_id = l.channel_id
		AND l2.registration_id <> l.registration_id WHERE l.event_id = ? AND l.registration_id BETWEEN ? AND ?`, eventID, lo, hi)
	type count struct {
		Reg int64  `db:"registration_id"`
		Key string `db:"k"`
		N   int64  `db:"n"`
	}
	var conflicts, hits, minutes []count
	sel(&conflicts, `SELECT registration_id, '' AS k, COUNT(*) AS n FROM link_conflicts WHERE event_id = ? AND resolved = ?
		AND registration_id BETWEEN ? AND ? AND kind NOT IN (?, ?) GROUP BY registration_id`, eventID, false, lo, hi,
		attendance.ConflictEvidenceDeleted, attendance.ConflictChannelBanned)
	// Review flags: shown with the reasons, blocking nothing.
	var review []count
	sel(&review, `SELECT DISTINCT registration_id, kind AS k, 0 AS n FROM link_conflicts WHERE event_id = ? AND resolved = ?
		AND registration_id BETWEEN ? AND ? AND kind IN (?, ?) ORDER BY registration_id, kind`, eventID, false, lo, hi,
		attendance.ConflictEvidenceDeleted, attendance.ConflictChannelBanned)
	sel(&hits, `SELECT h.registration_id, h.source AS k, COUNT(*) AS n FROM checkpoint_hits h JOIN checkpoints c ON c.id = h.checkpoint_id
		WHERE c.event_id = ? AND h.registration_id BETWEEN ? AND ? GROUP BY h.registration_id, h.source`, eventID, lo, hi)
	// Minutes per linked channel by index lookups (a join over the whole
	// activity table per run costs PostgreSQL a sequential scan); people
	// with several channels are counted exactly, without double minutes.
	sel(&minutes, `SELECT l.registration_id, l.channel_id AS k, (SELECT COUNT(*) FROM chat_activity a
		WHERE a.stream_id = st.id AND a.channel_id = l.channel_id) AS n
		FROM links l JOIN streams st ON st.event_id = l.event_id WHERE l.event_id = ? AND l.registration_id BETWEEN ? AND ?`, eventID, lo, hi)
	var seen []struct {
		Reg   int64 `db:"registration_id"`
		First int64 `db:"first_seen"`
		Last  int64 `db:"last_seen"`
	}
	sel(&seen, `SELECT l.registration_id, MIN(ca.first_at) AS first_seen, MAX(ca.last_at) AS last_seen
		FROM links l JOIN streams st ON st.event_id = l.event_id JOIN chat_authors ca ON ca.stream_id = st.id AND ca.channel_id = l.channel_id
		WHERE l.event_id = ? AND l.registration_id BETWEEN ? AND ? GROUP BY l.registration_id`, eventID, lo, hi)
	var forms []struct {
		Reg  int64  `db:"registration_id"`
		At   int64  `db:"submitted_at"`
		Name string `db:"certificate_name"`
	}
	sel(&forms, `SELECT registration_id, submitted_at, certificate_name FROM form_responses WHERE event_id = ?
		AND registration_id BETWEEN ? AND ?`, eventID, lo, hi)
	var ovs []struct {
		Reg   int64  `db:"registration_id"`
		Cert  string `db:"certificate"`
		Why   string `db:"reason"`
		Staff string `db:"staff"`
		At    int64  `db:"created_at"`
	}
	sel(&ovs, `SELECT registration_id, certificate, reason, staff, created_at FROM overrides WHERE event_id = ?
		AND registration_id BETWEEN ? AND ? ORDER BY id`, eventID, lo, hi)
	var certs []struct {
		Reg     int64  `db:"registration_id"`
		Type    string `db:"type"`
		ID      string `db:"id"`
		Revoked int64  `db:"revoked_at"`
		Why     string `db:"revoke_reason"`
	}
	sel(&certs, `SELECT registration_id, type, id, revoked_at, revoke_reason FROM certificates WHERE event_id = ?
		AND registration_id BETWEEN ? AND ?`, eventID, lo, hi)
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		if r := idx[l.Reg]; r != nil {
			r.channels = append(r.channels, l.Channel)
			r.methods = append(r.methods, l.Method)
		}
	}
	for _, id := range shared {
		if r := idx[id]; r != nil {
			r.Shared = 1
		}
	}
	for _, c := range conflicts {
		if r := idx[c.Reg]; r != nil {
			r.Conflicts = c.N
		}
	}
	for _, c := range review {
		if r := idx[c.Reg]; r != nil {
			r.review = append(r.review, c.Key)
		}
	}
	for _, c := range hits {
		if r := idx[c.Reg]; r != nil {
			if c.Key == attendance.HitForm {
				r.HitsForm = c.N
			} else {
				r.HitsChat += c.N
			}
		}
	}
	for _, c := range minutes {
		if r := idx[c.Reg]; r != nil {
			r.Minutes += c.N
		}
	}
	var several []any
	for _, r := range out {
		if len(r.channels) > 1 {
			several = append(several, r.ID)
		}
	}
	if len(several) > 0 {
		var exact []count
		err := q.SelectContext(ctx, &exact, q.Rebind(`SELECT registration_id, '' AS k, COUNT(*) AS n FROM (SELECT DISTINCT l.registration_id, a.stream_id, a.minute
			FROM links l JOIN streams st ON st.event_id = l.event_id JOIN chat_activity a ON a.stream_id = st.id AND a.channel_id = l.channel_id
			WHERE l.event_id = ? AND l.registration_id IN (`+inClause(len(several))+`)) x GROUP BY registration_id`), append([]any{eventID}, several...)...)
		if err != nil {
			return nil, err
		}
		for _, c := range exact {
			if r := idx[c.Reg]; r != nil {
				r.Minutes = c.N
			}
		}
	}
	for _, x := range seen {
		if r := idx[x.Reg]; r != nil {
			r.FirstSeen, r.LastSeen = x.First, x.Last
		}
	}
	for _, f := range forms {
		if r := idx[f.Reg]; r != nil {
			r.FormAt, r.CertName = f.At, f.Name
		}
	}
	for _, o := range ovs {
		if r := idx[o.Reg]; r != nil {
			r.ov = &attendance.Override{Certificate: storedCert(o.Cert), Why: o.Why, Staff: o.Staff, At: fromUS(o.At)}
		}
	}
	for _, c := range certs {
		if r := idx[c.Reg]; r != nil {
			if c.Revoked != 0 {
				if r.revoked == nil {
					r.revoked = map[string]string{}
				}
				r.revoked[c.Type] = c.Why
				continue
			}
			if r.certIDs == nil {
				r.certIDs = map[string]string{}
			}
			r.certIDs[c.Type] = c.ID
		}
	}
	return out, nil
}

// Issue gives an id to every certificate the event's current decisions give
// and that has none yet, and stores it: from then on the id is shown by
// Decisions, exported, printed and answered by the verification page. It is
// the one place ids are issued. Ids are kept for good: issuing again issues
// only what is new (a form imported since, an override) and changes nothing
// else, so Issue is idempotent; a revoked certificate is never issued again.
// It is judged and written in one transaction, audited there ("certificates
// issue", in staff's name) when it issued anything. staff is required.
func (s *Store) Issue(ctx context.Context, eventID int64, staff string) (attendance.IssueResult, error) {
	var res attendance.IssueResult
	staff = strings.TrimSpace(staff)
	if staff == "" {
		return res, attendance.Errorf(attendance.EInvalid, "say who issues the certificates")
	}
	type need struct {
		regID int64
		typ   attendance.CertificateType
	}
	now := us(s.now())
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		var todo []need
		err := s.decisions(ctx, tx, eventID, 0, func(d attendance.Decision) error {
			switch {
			case d.Certificate == attendance.CertNone:
			case d.CertificateID != "":
				res.AlreadyIssued++
			default:
				todo = append(todo, need{d.Registration.ID, d.Certificate})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for i := 0; i < len(todo); i += 400 {
			chunk := todo[i:min(i+400, len(todo))]
			// Each certificate takes the next index of the event's status
			// list; the UPDATE locks the event's row on PostgreSQL, so
			// concurrent issuers never take the same index. Indexes a lost
			// race leaves unused are gaps, never reused.
			var next int64
			if err := tx.GetContext(ctx, &next, tx.Rebind(`UPDATE events SET status_next = status_next + ? WHERE id = ? RETURNING status_next`),
				len(chunk), eventID); err != nil {
				return err
			}
			index := next - int64(len(chunk))
			args := make([]any, 0, len(chunk)*6)
			for k, n := range chunk {
				id, err := attendance.NewCertificateID()
				if err != nil {
					return err
				}
				args = append(args, id, eventID, n.regID, string(n.typ), now, index+int64(k))
			}
			// Another writer may have issued some since the decisions were
			// read (on PostgreSQL): its ids win, and count as already issued.
			var got []string
			err := tx.SelectContext(ctx, &got, tx.Rebind(`INSERT INTO certificates (id, event_id, registration_id, type, issued_at, status_index)
				VALUES `+placeholders(len(chunk), 6)+` ON CONFLICT (event_id, registration_id, type) DO NOTHING RETURNING id`), args...)
			if err != nil {
				return err
			}
			res.Issued += len(got)
			res.AlreadyIssued += len(chunk) - len(got)
		}
		if res.Issued == 0 {
			return nil
		}
		return audit(ctx, tx, staff, "certificates issue", eventID, "",
			fmt.Sprintf("%d issued, %d already issued", res.Issued, res.AlreadyIssued), now)
	})
	if err != nil {
		return attendance.IssueResult{}, fmt.Errorf("store: issue certificates of event %d: %w", eventID, err)
	}
	return res, nil
}

// CertificateByID looks a certificate up by its id as printed (dashes and
// case do not matter), for the verification page.
func (s *Store) CertificateByID(ctx context.Context, id string) (attendance.Certificate, error) {
	return certificateByID(ctx, s.db, id)
}

func certificateByID(ctx context.Context, q reader, id string) (attendance.Certificate, error) {
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
	err := q.GetContext(ctx, &c, q.Rebind(`SELECT c.id, c.event_id, e.title, c.registration_id,
		COALESCE(NULLIF(f.certificate_name, ''), r.full_name) AS name, c.type, c.issued_at, c.revoked_at, c.revoke_reason
		FROM certificates c JOIN events e ON e.id = c.event_id JOIN registrations r ON r.id = c.registration_id
		LEFT JOIN form_responses f ON f.registration_id = r.id WHERE c.id = ?`), norm)
	if err != nil || norm == "" {
		if err == nil {
			err = sql.ErrNoRows
		}
		return attendance.Certificate{}, fmt.Errorf("store: certificate: %w", notFound(err, "no such certificate"))
	}
	return attendance.Certificate{ID: c.ID, EventID: c.EventID, EventTitle: c.Title, RegistrationID: c.RegID, Name: c.Name,
		Type: attendance.CertificateType(c.Type), IssuedAt: fromUS(c.Issued), RevokedAt: fromUS(c.Revoked), RevokeReason: c.RevokeBy}, nil
}

// EventDay returns when an event took place, in its time zone (the date
// its certificates print): its first stream's actual start, else the
// scheduled start, else its first chat message, else when it was created.
func (s *Store) EventDay(ctx context.Context, e attendance.Event) (time.Time, error) {
	return eventDay(ctx, s.db, e)
}

func eventDay(ctx context.Context, q reader, e attendance.Event) (time.Time, error) {
	eventID := e.ID
	var at int64
	err := q.GetContext(ctx, &at, q.Rebind(`SELECT COALESCE(
		(SELECT MIN(actual_start) FROM streams WHERE event_id = ? AND actual_start > 0),
		(SELECT MIN(scheduled_start) FROM streams WHERE event_id = ? AND scheduled_start > 0),
		(SELECT MIN(ca.first_at) FROM chat_authors ca JOIN streams st ON st.id = ca.stream_id WHERE st.event_id = ?),
		(SELECT created_at FROM events WHERE id = ?))`), eventID, eventID, eventID, eventID)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: start of event %d: %w", eventID, err)
	}
	return fromUS(at).In(e.Location()), nil
}
