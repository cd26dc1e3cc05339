package store

import (
	"context"
	"fmt"
)

// StatusIndexes returns the revocation status list index of each
// certificate of an event, by certificate id, revoked ones included.
// Issue gives every certificate its index, once; it never changes.
func (s *Store) StatusIndexes(ctx context.Context, eventID int64) (map[string]int64, error) {
	var rows []struct {
		ID    string `db:"id"`
		Index int64  `db:"status_index"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT id, status_index FROM certificates
		WHERE event_id = ? AND status_index IS NOT NULL`), eventID); err != nil {
		return nil, fmt.Errorf("store: status indexes of event %d: %w", eventID, err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Index
	}
	return out, nil
}

// RevokedStatusIndexes returns the status list indexes of an event's
// revoked certificates, in order: the bits its revocation list sets.
func (s *Store) RevokedStatusIndexes(ctx context.Context, eventID int64) ([]int64, error) {
	var out []int64
	if err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT status_index FROM certificates
		WHERE event_id = ? AND revoked_at <> 0 AND status_index IS NOT NULL ORDER BY status_index`), eventID); err != nil {
		return nil, fmt.Errorf("store: revoked status indexes of event %d: %w", eventID, err)
	}
	return out, nil
}
