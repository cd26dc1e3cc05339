package dashboard

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/seameo/rollcall/attendance"
)

// fakeAttendance is a hand-written fake of the attendance contract: each
// method calls its function field when set, and otherwise keeps a small
// in-memory state (checkpoints, audit log).
type fakeAttendance struct {
	mu          sync.Mutex
	checkpoints map[int64][]attendance.Checkpoint
	audits      []string
	issuedBy    []string // who called Issue

	SearchFn    func(ctx context.Context, eventID int64, q string, limit int) ([]attendance.Registration, error)
	DecisionsFn func(ctx context.Context, eventID int64, fn func(attendance.Decision) error) error
	DecisionFn  func(ctx context.Context, eventID, regID int64) (attendance.Decision, error)
	TimelineFn  func(ctx context.Context, eventID, regID int64) ([]attendance.TimelineEntry, error)
	UnmatchedFn func(ctx context.Context, eventID int64) ([]attendance.FormResponse, error)
	LinkFn      func(ctx context.Context, eventID, regID int64, channel, staff, note string) error
	OverrideFn  func(ctx context.Context, eventID, regID int64, cert attendance.CertificateType, why, staff string) error
}

func newFakeAttendance() *fakeAttendance {
	return &fakeAttendance{checkpoints: map[int64][]attendance.Checkpoint{}}
}

func (f *fakeAttendance) AddCheckpoint(_ context.Context, eventID int64, word string, opensAt, closesAt time.Time) (attendance.Checkpoint, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cp := attendance.Checkpoint{ID: int64(len(f.checkpoints[eventID]) + 1), EventID: eventID, Number: len(f.checkpoints[eventID]) + 1,
		Word: word, OpensAt: opensAt, ClosesAt: closesAt}
	f.checkpoints[eventID] = append(f.checkpoints[eventID], cp)
	return cp, nil
}

func (f *fakeAttendance) Checkpoints(_ context.Context, eventID int64) ([]attendance.Checkpoint, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]attendance.Checkpoint(nil), f.checkpoints[eventID]...), nil
}

func (f *fakeAttendance) CloseCheckpoint(_ context.Context, eventID int64, number int, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, c := range f.checkpoints[eventID] {
		if c.Number == number {
			f.checkpoints[eventID][i].ClosesAt = at
			return nil
		}
	}
	return attendance.Errorf(attendance.ENotFound, "no checkpoint %d", number)
}

func (f *fakeAttendance) setHits(eventID int64, number int, hits int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checkpoints[eventID][number-1].Hits = hits
}

func (f *fakeAttendance) UnmatchedForms(ctx context.Context, eventID int64) ([]attendance.FormResponse, error) {
	if f.UnmatchedFn != nil {
		return f.UnmatchedFn(ctx, eventID)
	}
	return nil, nil
}

func (f *fakeAttendance) LinkManually(ctx context.Context, eventID, regID int64, channel, staff, note string) error {
	if f.LinkFn != nil {
		return f.LinkFn(ctx, eventID, regID, channel, staff, note)
	}
	return nil
}

func (f *fakeAttendance) AddOverride(ctx context.Context, eventID, regID int64, cert attendance.CertificateType, why, staff string) error {
	if f.OverrideFn != nil {
		return f.OverrideFn(ctx, eventID, regID, cert, why, staff)
	}
	return nil
}

func (f *fakeAttendance) Decisions(ctx context.Context, eventID int64, fn func(attendance.Decision) error) error {
	if f.DecisionsFn != nil {
		return f.DecisionsFn(ctx, eventID, fn)
	}
	return nil
}

func (f *fakeAttendance) Decision(ctx context.Context, eventID, regID int64) (attendance.Decision, error) {
	if f.DecisionFn != nil {
		return f.DecisionFn(ctx, eventID, regID)
	}
	return attendance.Decision{}, attendance.Errorf(attendance.ENotFound, "no such registration")
}

func (f *fakeAttendance) Timeline(ctx context.Context, eventID, regID int64) ([]attendance.TimelineEntry, error) {
	if f.TimelineFn != nil {
		return f.TimelineFn(ctx, eventID, regID)
	}
	return nil, nil
}

func (f *fakeAttendance) SearchRegistrations(ctx context.Context, eventID int64, q string, limit int) ([]attendance.Registration, error) {
	if f.SearchFn != nil {
		return f.SearchFn(ctx, eventID, q, limit)
	}
	return nil, nil
}

func (f *fakeAttendance) Audit(_ context.Context, actor, action string, eventID int64, subject, detail string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.audits = append(f.audits, actor+" "+action+" "+subject)
	return nil
}

func (f *fakeAttendance) auditLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := append([]string(nil), f.audits...)
	sort.Strings(out)
	return out
}

// Issue issues nothing (the fake's decisions have no certificates to
// issue) and, like the store then, audits nothing; it counts its callers.
func (f *fakeAttendance) Issue(_ context.Context, eventID int64, staff string) (attendance.IssueResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.issuedBy = append(f.issuedBy, staff)
	return attendance.IssueResult{}, nil
}
