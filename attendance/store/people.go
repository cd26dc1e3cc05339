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
