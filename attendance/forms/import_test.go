package forms

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
)

// fakeSink records what Import hands it and answers with res or err.
type fakeSink struct {
	eventID int64
	rs      []attendance.FormResponse
	dryRun  bool
	res     attendance.FormImportResult
	err     error
}

func (f *fakeSink) ImportFormResponses(_ context.Context, eventID int64, rs []attendance.FormResponse, dryRun bool) (attendance.FormImportResult, error) {
	f.eventID, f.rs, f.dryRun = eventID, rs, dryRun
	return f.res, f.err
}

func TestImport(t *testing.T) {
	bangkok, err := time.LoadLocation("Asia/Bangkok")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	e := attendance.Event{ID: 4, TimeZone: "Asia/Bangkok"}
	if e.Location().String() != bangkok.String() {
		t.Fatalf("event zone %s", e.Location())
	}
	// the timestamp has no zone: it is read in the event's
	const form = "Timestamp,Email Address,Name on certificate\n2026-11-20 10:00:00,anh@example.org,Anh\n2026-11-20 11:00:00,anh@example.org,Anh N.\n"
	sink := &fakeSink{res: attendance.FormImportResult{Read: 1, Matched: 1, MatchedByCode: 2, NewRegistrations: 3, Replaced: 4, Older: 5, CheckpointAnswers: 6}}
	im, err := Import(t.Context(), sink, e, strings.NewReader(form), "form.csv", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if sink.eventID != 4 || !sink.dryRun || len(sink.rs) != 1 || sink.rs[0].CertificateName != "Anh N." ||
		!sink.rs[0].SubmittedAt.Equal(time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC)) {
		t.Fatalf("sink got event %d dry %v %+v", sink.eventID, sink.dryRun, sink.rs)
	}
	if im.Rows != 2 || im.Replaced != 1 || im.Stored != sink.res {
		t.Fatalf("imported %+v", im)
	}
	const want = "2 rows read, 1 matched by email, 2 by code, 3 new registrations, 5 replaced earlier submissions, 5 skipped as older, 6 checkpoint answers"
	if got := im.String(); got != want {
		t.Errorf("summary\n got %s\nwant %s", got, want)
	}

	// a bad file writes nothing; the sink's error comes back as it is
	sink = &fakeSink{}
	if _, err := Import(t.Context(), sink, e, strings.NewReader("Timestamp,Email Address\nyesterday,anh@example.org\n"), "form.csv", nil, false); attendance.ErrorCode(err) != attendance.EInvalid || sink.rs != nil {
		t.Errorf("bad file: %v, sink got %v", err, sink.rs)
	}
	stored := errors.New("store: import form responses: disk full")
	sink = &fakeSink{err: stored}
	if _, err := Import(t.Context(), sink, e, strings.NewReader(form), "form.csv", nil, false); !errors.Is(err, stored) {
		t.Errorf("sink error: %v", err)
	}
}
