package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// The quota ledger: units of YouTube's daily quota spent per Pacific day,
// keyed by the Cloud project (a name, never a key), shared by every replica
// on the database.

// AddQuotaUnits records units spent on a Pacific day by a credential (a
// non-secret label) and method, and returns the day's total so far. Replicas
// sharing a database share the ledger.
func (s *Store) AddQuotaUnits(ctx context.Context, credential, day, method string, units int64) (int64, error) {
	var total int64
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO quota_ledger (credential, day, method, units) VALUES (?, ?, ?, ?)
			ON CONFLICT (credential, day, method) DO UPDATE SET units = quota_ledger.units + excluded.units`),
			credential, day, method, units)
		if err != nil {
			return err
		}
		return tx.GetContext(ctx, &total, tx.Rebind(`SELECT COALESCE(SUM(units), 0) FROM quota_ledger WHERE credential = ? AND day = ?`), credential, day)
	})
	if err != nil {
		return 0, fmt.Errorf("store: add quota units: %w", err)
	}
	return total, nil
}

// QuotaUsed returns the units a credential used on a Pacific day.
func (s *Store) QuotaUsed(ctx context.Context, credential, day string) (int64, error) {
	var total int64
	err := s.db.GetContext(ctx, &total, s.db.Rebind(`SELECT COALESCE(SUM(units), 0) FROM quota_ledger WHERE credential = ? AND day = ?`), credential, day)
	if err != nil {
		return 0, fmt.Errorf("store: quota used: %w", err)
	}
	return total, nil
}

// QuotaMethod is the units one API method used on a day.
type QuotaMethod struct {
	Method string `db:"method"`
	Units  int64  `db:"units"`
}

// QuotaByMethod returns the units used on a Pacific day (YYYY-MM-DD) per
// method, across Cloud projects, most first.
func (s *Store) QuotaByMethod(ctx context.Context, day string) ([]QuotaMethod, error) {
	var out []QuotaMethod
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT method, SUM(units) AS units FROM quota_ledger WHERE day = ?
		GROUP BY method ORDER BY units DESC, method`), day)
	if err != nil {
		return nil, fmt.Errorf("store: quota of %s: %w", day, err)
	}
	return out, nil
}
