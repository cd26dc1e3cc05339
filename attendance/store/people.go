package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/seameo/rollcall/attendance"
)

// PeopleIndex reads every registration of the event as the people table
// shows it, from one snapshot (one read transaction): each row's decision
// — certificate and reasons — comes from the same rules and the same
// evidence as Decisions, and the time of the person's first link. It only
// reads. The index filters, counts, orders and pages in memory: the
// certificate filter needs the decision, which is Evaluate's and not SQL's,
// and the people table asks many pages and counts of one snapshot.
func (s *Store) PeopleIndex(ctx context.Context, eventID int64) (*attendance.PeopleIndex, error) {
	var rows []attendance.PersonRow
	builtAt := s.now()
	err := s.readTx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM registrations WHERE event_id = ?`), eventID); err != nil {
			return err
		}
		var linked []struct {
			Reg int64 `db:"registration_id"`
			At  int64 `db:"linked_at"`
		}
		if err := tx.SelectContext(ctx, &linked, tx.Rebind(`SELECT registration_id, MIN(linked_at) AS linked_at FROM links
			WHERE event_id = ? GROUP BY registration_id`), eventID); err != nil {
			return err
		}
		linkedAt := make(map[int64]int64, len(linked))
		for _, l := range linked {
			linkedAt[l.Reg] = l.At
		}
		rows = make([]attendance.PersonRow, 0, n)
		return s.decisions(ctx, tx, eventID, 0, func(d attendance.Decision) error {
			rows = append(rows, attendance.NewPersonRow(d, fromUS(linkedAt[d.Registration.ID])))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: people of event %d: %w", eventID, err)
	}
	return attendance.NewPeopleIndex(rows, builtAt), nil
}

// People returns one page of the event's people table.
func (s *Store) People(ctx context.Context, eventID int64, q attendance.PeopleQuery) (attendance.PeoplePage, error) {
	x, err := s.PeopleIndex(ctx, eventID)
	if err != nil {
		return attendance.PeoplePage{}, err
	}
	return x.Query(q), nil
}

// CountPeople counts the event's people that f selects.
func (s *Store) CountPeople(ctx context.Context, eventID int64, f attendance.PeopleFilter) (int, error) {
	x, err := s.PeopleIndex(ctx, eventID)
	if err != nil {
		return 0, err
	}
	return x.Count(f), nil
}

// LinkedPerMinute counts, per minute, the people of the event whose first
// link was made in it (the report's "linked people over time"); one index
// range of links.
func (s *Store) LinkedPerMinute(ctx context.Context, eventID int64) ([]attendance.MinuteCount, error) {
	var out []attendance.MinuteCount
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT first / 60000000 AS minute, COUNT(*) AS n
		FROM (SELECT MIN(linked_at) AS first FROM links WHERE event_id = ? GROUP BY registration_id) x
		GROUP BY first / 60000000 ORDER BY minute`), eventID)
	if err != nil {
		return nil, fmt.Errorf("store: linked per minute of event %d: %w", eventID, err)
	}
	return out, nil
}

// PeopleStamp is a cheap summary of everything a people index is read
// from — registrations, links, conflicts, checkpoints and their hits,
// chat activity, forms, overrides, certificates and the event's policy:
// while it stays the same, an index read before is still right. A few
// counts and maxima over indexes, for the dashboard to skip re-reading an
// event that did not change.
func (s *Store) PeopleStamp(ctx context.Context, eventID int64) (string, error) {
	var st struct {
		Policy      string `db:"policy"`
		Regs        string `db:"regs"`
		Links       string `db:"links"`
		Conflicts   string `db:"conflicts"`
		Checkpoints string `db:"checkpoints"`
		Hits        int64  `db:"hits"`
		Activity    int64  `db:"activity"`
		Forms       string `db:"forms"`
		Overrides   string `db:"overrides"`
		Certs       string `db:"certs"`
	}
	err := s.db.GetContext(ctx, &st, s.db.Rebind(`SELECT
		(SELECT COALESCE(min_checkpoints, -1) || '/' || min_presence_minutes || '/' || require_form || '/' || form_checkpoint_answers_count
			|| '/' || max_registrations_per_channel FROM events WHERE id = ?) AS policy,
		(SELECT COUNT(*) || '/' || COALESCE(MAX(updated_at), 0) FROM registrations WHERE event_id = ?) AS regs,
		(SELECT COUNT(*) || '/' || COALESCE(MAX(linked_at), 0) FROM links WHERE event_id = ?) AS links,
		(SELECT COUNT(*) || '/' || COUNT(CASE WHEN resolved THEN 1 END) || '/' || COALESCE(MAX(id), 0) FROM link_conflicts WHERE event_id = ?) AS conflicts,
		(SELECT COUNT(*) || '/' || COALESCE(MAX(closes_at), 0) FROM checkpoints WHERE event_id = ?) AS checkpoints,
		(SELECT COUNT(*) FROM checkpoint_hits h JOIN checkpoints c ON c.id = h.checkpoint_id WHERE c.event_id = ?) AS hits,
		(SELECT COUNT(*) FROM chat_activity a JOIN streams st ON st.id = a.stream_id WHERE st.event_id = ?) AS activity,
		(SELECT COUNT(*) || '/' || COALESCE(MAX(imported_at), 0) FROM form_responses WHERE event_id = ?) AS forms,
		(SELECT COUNT(*) || '/' || COALESCE(MAX(id), 0) FROM overrides WHERE event_id = ?) AS overrides,
		(SELECT COUNT(*) || '/' || COALESCE(MAX(revoked_at), 0) FROM certificates WHERE event_id = ?) AS certs`),
		eventID, eventID, eventID, eventID, eventID, eventID, eventID, eventID, eventID, eventID)
	if err != nil {
		return "", fmt.Errorf("store: people stamp of event %d: %w", eventID, err)
	}
	return fmt.Sprintf("%+v", st), nil
}
