package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/seameo/rollcall/attendance"
)

type registrationRow struct {
	ID        int64  `db:"id"`
	EventID   int64  `db:"event_id"`
	Email     string `db:"email"`
	FullName  string `db:"full_name"`
	Country   string `db:"country"`
	Org       string `db:"organisation"`
	Role      string `db:"role"`
	YouTube   string `db:"youtube"`
	Code      string `db:"code"`
	Source    string `db:"source"`
	Extra     string `db:"extra"`
	CreatedAt int64  `db:"created_at"`
	UpdatedAt int64  `db:"updated_at"`
}

const registrationColumns = `id, event_id, email, full_name, country, organisation, role, youtube, code, source, extra, created_at, updated_at`

func (r registrationRow) registration() attendance.Registration {
	reg := attendance.Registration{ID: r.ID, EventID: r.EventID, Email: r.Email, FullName: r.FullName, Country: r.Country,
		Org: r.Org, Role: attendance.Role(r.Role), YouTube: r.YouTube, Code: r.Code, Source: r.Source,
		CreatedAt: fromUS(r.CreatedAt), UpdatedAt: fromUS(r.UpdatedAt), Extra: map[string]string{}}
	if r.Extra != "{}" && r.Extra != "" {
		_ = json.Unmarshal([]byte(r.Extra), &reg.Extra) // written by us; a bad value reads as no extras
	}
	return reg
}

func extraJSON(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m) // map[string]string always marshals; keys come out sorted
	return string(b)
}

// ImportRegistrations adds or updates an event's registrations, keyed by
// email, in one transaction: a re-import of the same list changes nothing,
// and a failure changes nothing. New people get a fresh attendance code;
// existing people keep theirs. With dryRun nothing is written.
func (s *Store) ImportRegistrations(ctx context.Context, eventID int64, regs []attendance.Registration, dryRun bool) (attendance.ImportResult, error) {
	var res attendance.ImportResult
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		var err error
		res, err = upsertRegistrations(ctx, tx, eventID, regs, dryRun, s.now().UTC())
		return err
	})
	if err != nil {
		return attendance.ImportResult{}, fmt.Errorf("store: import registrations: %w", err)
	}
	return res, nil
}

func upsertRegistrations(ctx context.Context, tx *sqlx.Tx, eventID int64, regs []attendance.Registration, dryRun bool, now time.Time) (attendance.ImportResult, error) {
	var res attendance.ImportResult
	var existing []registrationRow
	if err := tx.SelectContext(ctx, &existing, tx.Rebind(`SELECT `+registrationColumns+` FROM registrations WHERE event_id = ?`), eventID); err != nil {
		return res, err
	}
	byEmail := make(map[string]registrationRow, len(existing))
	codes := make(map[string]string, len(existing)+len(regs)) // code → email
	for _, r := range existing {
		byEmail[r.Email] = r
		codes[r.Code] = r.Email
	}
	var write []registrationRow
	for _, reg := range regs {
		row := registrationRow{EventID: eventID, Email: attendance.NormalizeEmail(reg.Email), FullName: reg.FullName,
			Country: reg.Country, Org: reg.Org, Role: string(reg.Role), YouTube: reg.YouTube, Source: reg.Source,
			Extra: extraJSON(reg.Extra), UpdatedAt: us(now)}
		if row.Source == "" {
			row.Source = attendance.SourceImport
		}
		if old, ok := byEmail[row.Email]; ok {
			row.Code, row.Source, row.CreatedAt = old.Code, old.Source, old.CreatedAt
			if sameRegistration(old, row) {
				res.Unchanged++
				continue
			}
			res.Updated++
		} else {
			code := reg.Code
			if code != "" {
				if other, taken := codes[code]; taken && other != row.Email {
					return res, attendance.Errorf(attendance.EConflict, "attendance code %s of %s is already held by another registration", attendance.FormatCode(code), row.Email)
				}
			}
			for code == "" || codes[code] != "" {
				c, err := attendance.NewCode()
				if err != nil {
					return res, err
				}
				code = attendance.NormalizeCode(c)
			}
			row.Code, row.CreatedAt = code, us(now)
			res.Added++
		}
		codes[row.Code] = row.Email
		byEmail[row.Email] = row
		write = append(write, row)
	}
	if dryRun {
		return res, nil
	}
	const cols = 12
	const batch = 400
	for i := 0; i < len(write); i += batch {
		chunk := write[i:min(i+batch, len(write))]
		args := make([]any, 0, len(chunk)*cols)
		for _, r := range chunk {
			args = append(args, r.EventID, r.Email, r.FullName, r.Country, r.Org, r.Role, r.YouTube, r.Code, r.Source, r.Extra, r.CreatedAt, r.UpdatedAt)
		}
		q := `INSERT INTO registrations (event_id, email, full_name, country, organisation, role, youtube, code, source, extra, created_at, updated_at)
			VALUES ` + placeholders(len(chunk), cols) + `
			ON CONFLICT (event_id, email) DO UPDATE SET full_name = excluded.full_name, country = excluded.country,
			organisation = excluded.organisation, role = excluded.role, youtube = excluded.youtube, extra = excluded.extra,
			updated_at = excluded.updated_at`
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
			return res, err
		}
	}
	return res, nil
}

func sameRegistration(a, b registrationRow) bool {
	return a.FullName == b.FullName && a.Country == b.Country && a.Org == b.Org && a.Role == b.Role &&
		a.YouTube == b.YouTube && a.Extra == b.Extra
}

// Registration returns one registration of an event by email.
func (s *Store) Registration(ctx context.Context, eventID int64, email string) (attendance.Registration, error) {
	var r registrationRow
	email = attendance.NormalizeEmail(email)
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+registrationColumns+` FROM registrations WHERE event_id = ? AND email = ?`), eventID, email)
	if err != nil {
		return attendance.Registration{}, fmt.Errorf("store: registration: %w", notFound(err, "no registration with that email in this event"))
	}
	return r.registration(), nil
}

// EachRegistration calls fn for every registration of an event in id order,
// streaming rows so that a large event needs little memory.
func (s *Store) EachRegistration(ctx context.Context, eventID int64, fn func(attendance.Registration) error) error {
	rows, err := s.db.QueryxContext(ctx, s.db.Rebind(`SELECT `+registrationColumns+` FROM registrations WHERE event_id = ? ORDER BY id`), eventID)
	if err != nil {
		return fmt.Errorf("store: registrations of event %d: %w", eventID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var r registrationRow
		if err := rows.StructScan(&r); err != nil {
			return fmt.Errorf("store: registrations of event %d: %w", eventID, err)
		}
		if err := fn(r.registration()); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: registrations of event %d: %w", eventID, err)
	}
	return nil
}

// RegistrationCount returns how many people registered for an event.
func (s *Store) RegistrationCount(ctx context.Context, eventID int64) (int64, error) {
	var n int64
	err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT COUNT(*) FROM registrations WHERE event_id = ?`), eventID)
	if err != nil {
		return 0, fmt.Errorf("store: count registrations: %w", err)
	}
	return n, nil
}
