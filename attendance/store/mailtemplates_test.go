package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

// TestMailTemplatesAndReminders runs on both engines: an event's own mail
// templates are kept per kind, replaced, reset and audited; reminders are
// queued once per batch (a double submit adds nothing), audited with what
// staff chose, and a person of another event refuses the whole request.
func TestMailTemplatesAndReminders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, attendance.DefaultPolicy(), person("Ana Santos", "participant", ""), person("Bùi Văn An", "participant", ""))
		if _, ok, err := s.MailTemplate(ctx, f.ev.ID, attendance.MailCodes); ok || err != nil {
			t.Fatalf("a new event has its own template: %v %v", ok, err)
		}
		tpl := attendance.MailTemplate{Kind: attendance.MailCodes, Subject: "Kode {{.Code}}", Text: "Halo {{.Name}}", HTML: ""}
		if err := s.SetMailTemplate(ctx, f.ev.ID, tpl, ""); attendance.ErrorCode(err) != attendance.EInvalid {
			t.Errorf("a template set by nobody: %v", err)
		}
		for _, subject := range []string{"Kode {{.Code}}", "Kode kehadiran {{.Code}}"} {
			tpl.Subject = subject
			if err := s.SetMailTemplate(ctx, f.ev.ID, tpl, "admin@example.org"); err != nil {
				t.Fatal(err)
			}
		}
		got, ok, err := s.MailTemplate(ctx, f.ev.ID, attendance.MailCodes)
		if err != nil || !ok || got.Subject != "Kode kehadiran {{.Code}}" || got.Text != "Halo {{.Name}}" || got.UpdatedBy != "admin@example.org" || got.UpdatedAt.IsZero() {
			t.Fatalf("kept %+v %v %v", got, ok, err)
		}
		if _, ok, _ := s.MailTemplate(ctx, f.ev.ID, attendance.MailCertificates); ok {
			t.Error("another kind has the template")
		}
		if had, err := s.ResetMailTemplate(ctx, f.ev.ID, attendance.MailCodes, "admin@example.org"); !had || err != nil {
			t.Fatalf("reset: %v %v", had, err)
		}
		if had, err := s.ResetMailTemplate(ctx, f.ev.ID, attendance.MailCodes, "admin@example.org"); had || err != nil {
			t.Fatalf("reset again: %v %v", had, err)
		}
		if _, ok, _ := s.MailTemplate(ctx, f.ev.ID, attendance.MailCodes); ok {
			t.Error("the template outlived its reset")
		}

		ids := []int64{f.people["ana"].ID, f.people["bùi"].ID}
		for i, want := range []int{2, 0} {
			n, err := s.QueueReminders(ctx, f.ev.ID, ids, "b1", "admin@example.org", "not linked")
			if err != nil || n != want {
				t.Fatalf("queue %d: %d %v, want %d", i, n, err, want)
			}
		}
		if n, err := s.QueueReminders(ctx, f.ev.ID, ids[:1], "b2", "admin@example.org", "not linked"); err != nil || n != 1 {
			t.Fatalf("a second batch: %d %v", n, err)
		}
		other, err := s.CreateEvent(ctx, attendance.Event{Slug: "other", Title: "Other", Policy: attendance.DefaultPolicy()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.QueueReminders(ctx, other.ID, ids, "b3", "admin@example.org", "x"); attendance.ErrorCode(err) != attendance.ENotFound {
			t.Errorf("people of another event: %v", err)
		}
		counts, err := s.OutboxCounts(ctx, f.ev.ID, attendance.MailReminders)
		if err != nil || counts[attendance.MailQueued] != 3 {
			t.Fatalf("reminders queued %v %v", counts, err)
		}
		var audits []string
		if err := s.DB().SelectContext(ctx, &audits, s.DB().Rebind(`SELECT action || ' ' || subject || ': ' || detail FROM audit_log WHERE event_id = ? ORDER BY id`), f.ev.ID); err != nil {
			t.Fatal(err)
		}
		want := []string{"mail template set codes", "mail template set codes", "mail template reset codes",
			"mail reminders queued b1: 2 queued of 2; not linked", "mail reminders queued b1: 0 queued of 2; not linked", "mail reminders queued b2: 1 queued of 1"}
		if len(audits) < len(want) {
			t.Fatalf("audit log %q", audits)
		}
		for i, w := range want {
			if !strings.HasPrefix(audits[len(audits)-len(want)+i], w) {
				t.Errorf("audit %d = %q, want %q…", i, audits[len(audits)-len(want)+i], w)
			}
		}
	})
}
