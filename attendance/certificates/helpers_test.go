package certificates

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/certpdf"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

// testRenderer returns a renderer on the Noto fonts, skipping the test
// when they are missing (as certpdf's own tests do; ROLLCALL_REQUIRE_FONTS
// fails it instead).
func testRenderer(t *testing.T) *certpdf.Renderer {
	t.Helper()
	dir := os.Getenv("ROLLCALL_FONT_DIR")
	r, err := certpdf.NewRenderer(dir)
	if err != nil {
		if os.Getenv("ROLLCALL_REQUIRE_FONTS") != "" {
			t.Fatal(err)
		}
		t.Skipf("%v (set ROLLCALL_REQUIRE_FONTS to fail instead)", err)
	}
	return r
}

// certEvent is an event in a real SQLite store with a speaker and a
// participant with a Thai name (given a certificate by an override) and
// a participant who earns none; nothing is issued yet.
type certEvent struct {
	st    *store.Store
	event attendance.Event
	regs  map[string]int64 // by email
}

func newCertEvent(t *testing.T) certEvent {
	t.Helper()
	ctx := t.Context()
	st := storetest.Open(t, storetest.Engines()[0])
	e, err := st.CreateEvent(ctx, attendance.Event{Slug: "pd", Title: "Policy Dialogue", TimeZone: "Asia/Bangkok",
		Policy: attendance.DefaultPolicy(), VideoIDs: []string{"dQw4w9WgXcQ"}})
	if err != nil {
		t.Fatal(err)
	}
	regs := []attendance.Registration{
		{FullName: "Nguyễn Văn Minh", Email: "minh@example.org", Role: attendance.RoleSpeaker},
		{FullName: "พิมพ์ชนก สุขใจ", Email: "pim@example.org", Role: attendance.RoleParticipant},
		{FullName: "Bo Lee", Email: "bo@example.org", Role: attendance.RoleParticipant},
	}
	if _, err := st.ImportRegistrations(ctx, e.ID, regs, false); err != nil {
		t.Fatal(err)
	}
	ce := certEvent{st: st, event: e, regs: map[string]int64{}}
	if err := st.EachRegistration(ctx, e.ID, func(r attendance.Registration) error { ce.regs[r.Email] = r.ID; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := st.AddOverride(ctx, e.ID, ce.regs["pim@example.org"], attendance.CertParticipation, "watched at the venue", "mai"); err != nil {
		t.Fatal(err)
	}
	return ce
}

// issuedIDs are the ids of the event's issued certificates, as printed,
// sorted.
func (ce certEvent) issuedIDs(t *testing.T) []string {
	t.Helper()
	var ids []string
	err := ce.st.Decisions(t.Context(), ce.event.ID, func(d attendance.Decision) error {
		if d.CertificateID != "" && d.Certificate != attendance.CertNone {
			ids = append(ids, attendance.FormatCertificateID(d.CertificateID))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	return ids
}

// idOf is the issued certificate id of a registration, as stored.
func (ce certEvent) idOf(t *testing.T, email string) string {
	t.Helper()
	var id string
	err := ce.st.Decisions(t.Context(), ce.event.ID, func(d attendance.Decision) error {
		if d.Registration.Email == email {
			id = d.CertificateID
		}
		return nil
	})
	if err != nil || id == "" {
		t.Fatalf("no certificate id for %s: %v", email, err)
	}
	return id
}

// fakeStore is a Store in memory for the rules that need no SQL: the
// event's own templates and a fixed list of decisions.
type fakeStore struct {
	event     attendance.Event
	day       time.Time
	decisions []attendance.Decision
	templates map[string]string
	saved     []string // "type by staff"
}

var errNoEvent = errors.New("fake store: no such event")

func (f *fakeStore) EventByID(_ context.Context, id int64) (attendance.Event, error) {
	if id != f.event.ID {
		return attendance.Event{}, errNoEvent
	}
	return f.event, nil
}

func (f *fakeStore) StatusIndexes(context.Context, int64) (map[string]int64, error) {
	return map[string]int64{}, nil
}

func (f *fakeStore) RevokedStatusIndexes(context.Context, int64) ([]int64, error) { return nil, nil }

func (f *fakeStore) EventDay(context.Context, attendance.Event) (time.Time, error) { return f.day, nil }

func (f *fakeStore) Decisions(_ context.Context, _ int64, fn func(attendance.Decision) error) error {
	for _, d := range f.decisions {
		if err := fn(d); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeStore) Issue(context.Context, int64, string) (attendance.IssueResult, error) {
	return attendance.IssueResult{}, errors.New("fake store: does not issue")
}

func (f *fakeStore) CertificateTemplates(context.Context, int64) (map[string]string, error) {
	return f.templates, nil
}

func (f *fakeStore) SetCertificateTemplate(_ context.Context, _ int64, certType, template, staff string) error {
	if f.templates == nil {
		f.templates = map[string]string{}
	}
	f.templates[certType] = template
	f.saved = append(f.saved, certType+" by "+staff)
	return nil
}

func (f *fakeStore) ResetCertificateTemplate(_ context.Context, _ int64, certType, _ string) (bool, error) {
	_, had := f.templates[certType]
	delete(f.templates, certType)
	return had, nil
}

// writeTemplateDir writes template files into a new folder.
func writeTemplateDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.TrimSpace(body)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
