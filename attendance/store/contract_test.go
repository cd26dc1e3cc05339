package store_test

import (
	"context"
	"io"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/export"
	"github.com/seameo/rollcall/attendance/store"
)

// dashboardContract is the API promised to the dashboard
// (notes/contract.md); this fails to compile if a signature drifts.
type dashboardContract interface {
	AddCheckpoint(ctx context.Context, eventID int64, word string, opensAt, closesAt time.Time) (attendance.Checkpoint, error)
	Checkpoints(ctx context.Context, eventID int64) ([]attendance.Checkpoint, error)
	CloseCheckpoint(ctx context.Context, eventID int64, number int, at time.Time) error
	ImportFormResponses(ctx context.Context, eventID int64, rs []attendance.FormResponse, dryRun bool) (attendance.FormImportResult, error)
	UnmatchedForms(ctx context.Context, eventID int64) ([]attendance.FormResponse, error)
	LinkManually(ctx context.Context, eventID, registrationID int64, channelID, staff, note string) error
	AddOverride(ctx context.Context, eventID, registrationID int64, cert attendance.CertificateType, why, staff string) error
	Decisions(ctx context.Context, eventID int64, fn func(attendance.Decision) error) error
	Decision(ctx context.Context, eventID, registrationID int64) (attendance.Decision, error)
	Timeline(ctx context.Context, eventID, registrationID int64) ([]attendance.TimelineEntry, error)
	SearchRegistrations(ctx context.Context, eventID int64, query string, limit int) ([]attendance.Registration, error)
	Audit(ctx context.Context, actor, action string, eventID int64, subject, detail string) error
	PurgeChatText(ctx context.Context, before time.Time) (int64, error)
}

var (
	_ dashboardContract = (*store.Store)(nil)
	_                   = func(ctx context.Context, st *store.Store, w io.Writer) {
		_ = export.Attendance(ctx, st, 1, w)
		_ = export.Certificates(ctx, st, 1, w, "autocrat")
	}
	_ func(attendance.Policy, attendance.Role, attendance.Evidence) (attendance.CertificateType, []attendance.Reason) = attendance.Evaluate
	_                                                                                                                 = attendance.Checkpoint{ID: 1, EventID: 1, Number: 1, Word: "", Hits: 0}
	_                                                                                                                 = attendance.Decision{CertificateID: ""}
)
