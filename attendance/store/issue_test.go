package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

// tableRows counts the rows of every table of the schema.
func tableRows(t *testing.T, s *store.Store) map[string]int64 {
	t.Helper()
	db := s.DB()
	var tables []string
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if s.Engine() == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	if err := db.Select(&tables, q); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, tb := range tables {
		var n int64
		if err := db.Get(&n, `SELECT COUNT(*) FROM "`+tb+`"`); err != nil {
			t.Fatal(err)
		}
		out[tb] = n
	}
	return out
}

func sameRows(t *testing.T, what string, before, after map[string]int64) {
	t.Helper()
	for tb, n := range after {
		if before[tb] != n {
			t.Errorf("%s wrote: %s %d → %d", what, tb, before[tb], n)
		}
	}
}

// TestDecisionsOnlyRead: Decisions, Decision and VerifyCertificate write
// no row; decisions that give certificates show no id until Issue.
func TestDecisionsOnlyRead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, attendance.DefaultPolicy(), person("Kim Park", "speaker", ""), person("Anh Nguyen", "participant", ""))
		before := tableRows(t, s)
		for who, d := range f.decisions() {
			if who == "kim" && d.Certificate != attendance.CertAppreciation {
				t.Fatalf("kim: %+v", d)
			}
			if d.CertificateID != "" {
				t.Errorf("%s: id %q shown before any Issue", who, d.CertificateID)
			}
		}
		if d, err := s.Decision(ctx, f.ev.ID, f.people["kim"].ID); err != nil || d.CertificateID != "" || d.Certificate != attendance.CertAppreciation {
			t.Fatalf("Decision %+v %v", d, err)
		}
		id, _ := attendance.NewCertificateID()
		if _, err := s.VerifyCertificate(ctx, id); attendance.ErrorCode(err) != attendance.ENotFound {
			t.Fatalf("verify of an id never issued: %v", err)
		}
		sameRows(t, "looking", before, tableRows(t, s))
	})
}

// TestIssue: Issue needs a name, issues each certificate decided once,
// audits that in the same transaction, and a second run changes nothing.
func TestIssue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, attendance.DefaultPolicy(), person("Kim Park", "speaker", ""), person("Lan Tran", "panelist", ""),
			person("Anh Nguyen", "participant", ""))
		before := tableRows(t, s)
		if _, err := s.Issue(ctx, f.ev.ID, "  "); attendance.ErrorCode(err) != attendance.EInvalid {
			t.Fatalf("unnamed issue: %v", err)
		}
		sameRows(t, "an unnamed issue", before, tableRows(t, s))

		res, err := s.Issue(ctx, f.ev.ID, "mai")
		if err != nil || res != (attendance.IssueResult{Issued: 2}) {
			t.Fatalf("issue: %+v %v", res, err)
		}
		ds := f.decisions()
		if ds["kim"].CertificateID == "" || ds["lan"].CertificateID == "" || ds["anh"].CertificateID != "" {
			t.Fatalf("ids after issue: kim %q lan %q anh %q", ds["kim"].CertificateID, ds["lan"].CertificateID, ds["anh"].CertificateID)
		}
		if c, err := s.VerifyCertificate(ctx, ds["kim"].CertificateID); err != nil || c.Name != "Kim Park" {
			t.Fatalf("verify an issued id: %+v %v", c, err)
		}
		log, _ := s.AuditLog(ctx, f.ev.ID, 10)
		if len(log) != 1 || log[0].Action != "certificates issue" || log[0].Actor != "mai" || log[0].Detail != "2 issued, 0 already issued" {
			t.Fatalf("audit %+v", log)
		}
		after := tableRows(t, s)
		if res, err := s.Issue(ctx, f.ev.ID, "mai"); err != nil || res != (attendance.IssueResult{AlreadyIssued: 2}) {
			t.Fatalf("issue again: %+v %v", res, err)
		}
		sameRows(t, "issuing again", after, tableRows(t, s))
		again := f.decisions()
		for _, who := range []string{"kim", "lan"} {
			if again[who].CertificateID != ds[who].CertificateID {
				t.Errorf("%s: id changed %q → %q", who, ds[who].CertificateID, again[who].CertificateID)
			}
		}

		// A revoked certificate is not issued again.
		if _, err := s.RevokeCertificate(ctx, f.ev.ID, ds["kim"].CertificateID, "issued in error", "mai"); err != nil {
			t.Fatal(err)
		}
		if res, err := s.Issue(ctx, f.ev.ID, "mai"); err != nil || res != (attendance.IssueResult{AlreadyIssued: 1}) {
			t.Fatalf("issue after a revocation: %+v %v", res, err)
		}
	})
}

// TestAuditNeedsActor: an audit entry without a name is refused.
func TestAuditNeedsActor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, attendance.DefaultPolicy(), person("Kim Park", "speaker", ""))
		for _, actor := range []string{"", " \t"} {
			if err := s.Audit(ctx, actor, "export attendance", f.ev.ID, "", "1 rows"); attendance.ErrorCode(err) != attendance.EInvalid {
				t.Errorf("audit by %q: %v", actor, err)
			}
		}
		if log, _ := s.AuditLog(ctx, f.ev.ID, 10); len(log) != 0 {
			t.Fatalf("audit log %+v", log)
		}
		if err := s.AddOverride(ctx, f.ev.ID, f.people["kim"].ID, attendance.CertNone, "did not speak", ""); err == nil {
			t.Error("an override without a name was kept")
		}
	})
}

// TestDecisionsLetWritersOn: while decisions are being read (inside their
// read transaction), a writer commits without waiting for the reader — on
// SQLite the read transaction is deferred, not IMMEDIATE, so ingest goes
// on while a page or an export reads.
func TestDecisionsLetWritersOn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, attendance.DefaultPolicy(), person("Kim Park", "speaker", ""), person("Anh Nguyen", "participant", ""))
		seen := 0
		err := s.Decisions(ctx, f.ev.ID, func(d attendance.Decision) error {
			seen++
			if seen > 1 {
				return nil
			}
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if err := s.AddOverride(wctx, f.ev.ID, f.people["anh"].ID, attendance.CertParticipation, "helped at the venue", "mai"); err != nil {
				return fmt.Errorf("a write while decisions are read: %w", err)
			}
			return nil
		})
		if err != nil || seen != 2 {
			t.Fatalf("decisions: %d seen, %v", seen, err)
		}
		if d := f.decisions()["anh"]; d.Certificate != attendance.CertParticipation {
			t.Fatalf("the override is lost: %+v", d)
		}
	})
}
