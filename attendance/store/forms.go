package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/jmoiron/sqlx"

	"github.com/seameo/rollcall/attendance"
)

type formAnswers struct {
	CheckpointWords []string          `json:"checkpoint_words,omitempty"`
	Answers         map[string]string `json:"answers,omitempty"`
}

// ImportFormResponses stores the assessment form's responses in one
// transaction. Each is matched to a registration by email, then by code; an
// unknown person becomes a registration with source form (and a code). A
// person's latest submission (by its timestamp) replaces earlier ones. The
// name given for the certificate is kept with the response and printed
// instead of the registered name, which stays. Checkpoint words answered
// right are recorded as hits with source form; the policy says whether
// they count.
func (s *Store) ImportFormResponses(ctx context.Context, eventID int64, rs []attendance.FormResponse, dryRun bool) (attendance.FormImportResult, error) {
	res := attendance.FormImportResult{Read: len(rs)}
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		var err error
		res, err = s.importForms(ctx, tx, eventID, rs, dryRun)
		return err
	})
	if err != nil {
		return attendance.FormImportResult{}, fmt.Errorf("store: import form responses: %w", err)
	}
	return res, nil
}

func (s *Store) importForms(ctx context.Context, tx *sqlx.Tx, eventID int64, rs []attendance.FormResponse, dryRun bool) (attendance.FormImportResult, error) {
	res := attendance.FormImportResult{Read: len(rs)}
	type ref struct {
		ID    int64  `db:"id"`
		Email string `db:"email"`
		Code  string `db:"code"`
	}
	var regs []ref
	if err := tx.SelectContext(ctx, &regs, tx.Rebind(`SELECT id, email, code FROM registrations WHERE event_id = ?`), eventID); err != nil {
		return res, err
	}
	byEmail := make(map[string]int64, len(regs))
	byCode := make(map[string]int64, len(regs))
	for _, r := range regs {
		byEmail[r.Email] = r.ID
		byCode[r.Code] = r.ID
	}
	type stored struct {
		RegID int64 `db:"registration_id"`
		At    int64 `db:"submitted_at"`
	}
	var old []stored
	if err := tx.SelectContext(ctx, &old, tx.Rebind(`SELECT registration_id, submitted_at FROM form_responses WHERE event_id = ? AND registration_id IS NOT NULL`), eventID); err != nil {
		return res, err
	}
	latest := make(map[int64]int64, len(old))
	for _, o := range old {
		latest[o.RegID] = o.At
	}
	cps, err := loadCheckpoints(ctx, tx, eventID)
	if err != nil {
		return res, err
	}
	sorted := make([]attendance.FormResponse, len(rs))
	copy(sorted, rs)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].SubmittedAt.Before(sorted[j].SubmittedAt) })
	now := s.now().UTC()
	var fakeID int64 = -1
	for _, r := range sorted {
		r.Email = attendance.NormalizeEmail(r.Email)
		regID, ok := byEmail[r.Email]
		switch {
		case ok:
			res.Matched++
		case r.Code != "" && byCode[r.Code] != 0:
			regID = byCode[r.Code]
			res.MatchedByCode++
		default:
			res.NewRegistrations++
			if dryRun {
				regID, fakeID = fakeID, fakeID-1
			} else {
				reg := attendance.Registration{Email: r.Email, FullName: r.CertificateName, Role: attendance.RoleParticipant, Source: attendance.SourceForm}
				if reg.FullName == "" {
					reg.FullName = r.Email
				}
				id, err := insertRegistration(ctx, tx, eventID, reg, byCode, us(now))
				if err != nil {
					return res, err
				}
				regID = id
			}
			byEmail[r.Email] = regID
		}
		at := us(r.SubmittedAt)
		if prev, ok := latest[regID]; ok {
			if prev >= at {
				res.Older++
				continue
			}
			res.Replaced++
		}
		latest[regID] = at
		var hits []int64
		for _, cp := range cps {
			for _, w := range r.CheckpointWords {
				if attendance.MatchesWord(w, cp.Word) {
					hits = append(hits, cp.ID)
					break
				}
			}
		}
		res.CheckpointAnswers += len(hits)
		if dryRun {
			continue
		}
		if err := writeForm(ctx, tx, eventID, regID, r, hits, us(now)); err != nil {
			return res, err
		}
	}
	return res, nil
}

func writeForm(ctx context.Context, tx *sqlx.Tx, eventID, regID int64, r attendance.FormResponse, hits []int64, now int64) error {
	answers, _ := json.Marshal(formAnswers{CheckpointWords: r.CheckpointWords, Answers: r.Answers}) // strings only
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM form_responses WHERE event_id = ? AND (registration_id = ? OR email = ?)`), eventID, regID, r.Email); err != nil {
		return fmt.Errorf("replace form response: %w", err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO form_responses (event_id, registration_id, email, submitted_at, certificate_name, code, answers, imported_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), eventID, regID, r.Email, us(r.SubmittedAt), r.CertificateName, r.Code, string(answers), now); err != nil {
		return fmt.Errorf("insert form response: %w", err)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM checkpoint_hits WHERE registration_id = ? AND source = ?`), regID, attendance.HitForm); err != nil {
		return fmt.Errorf("replace form checkpoint answers: %w", err)
	}
	for _, cp := range hits {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO checkpoint_hits (checkpoint_id, registration_id, at, source) VALUES (?, ?, ?, ?)
			ON CONFLICT (checkpoint_id, registration_id) DO NOTHING`), cp, regID, us(r.SubmittedAt), attendance.HitForm); err != nil {
			return fmt.Errorf("insert form checkpoint answer: %w", err)
		}
	}
	return nil
}

// insertRegistration adds one registration with a fresh code unique in
// codes (which it updates).
func insertRegistration(ctx context.Context, tx *sqlx.Tx, eventID int64, reg attendance.Registration, codes map[string]int64, now int64) (int64, error) {
	code := ""
	for code == "" || codes[code] != 0 {
		c, err := attendance.NewCode()
		if err != nil {
			return 0, err
		}
		code = attendance.NormalizeCode(c)
	}
	var id int64
	err := tx.GetContext(ctx, &id, tx.Rebind(`INSERT INTO registrations (event_id, email, full_name, role, code, source, extra, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), eventID, reg.Email, reg.FullName, string(reg.Role), code, reg.Source, extraJSON(reg.Extra), now, now)
	if err != nil {
		return 0, fmt.Errorf("register a new person from the form: %w", err)
	}
	codes[code] = id
	return id, nil
}

type formRow struct {
	ID       int64  `db:"id"`
	EventID  int64  `db:"event_id"`
	RegID    int64  `db:"registration_id"`
	Email    string `db:"email"`
	At       int64  `db:"submitted_at"`
	CertName string `db:"certificate_name"`
	Code     string `db:"code"`
	Answers  string `db:"answers"`
}

func (r formRow) response() attendance.FormResponse {
	var a formAnswers
	_ = json.Unmarshal([]byte(r.Answers), &a) // written by us
	return attendance.FormResponse{ID: r.ID, EventID: r.EventID, RegistrationID: r.RegID, Email: r.Email, SubmittedAt: fromUS(r.At),
		CertificateName: r.CertName, Code: r.Code, CheckpointWords: a.CheckpointWords, Answers: a.Answers}
}

// UnmatchedForms returns the responses that matched no registration and
// created one (source form), for staff to review.
func (s *Store) UnmatchedForms(ctx context.Context, eventID int64) ([]attendance.FormResponse, error) {
	var rows []formRow
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT f.id, f.event_id, f.registration_id, f.email, f.submitted_at, f.certificate_name, f.code, f.answers
		FROM form_responses f JOIN registrations r ON r.id = f.registration_id WHERE f.event_id = ? AND r.source = ? ORDER BY f.id`), eventID, attendance.SourceForm)
	if err != nil {
		return nil, fmt.Errorf("store: unmatched forms: %w", err)
	}
	out := make([]attendance.FormResponse, len(rows))
	for i, r := range rows {
		out[i] = r.response()
	}
	return out, nil
}
