package main

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

// unissuedEvent sets up an event whose decisions give two certificates (a
// speaker, and a participant by override) and issues none.
func unissuedEvent(t *testing.T, db string) attCLI {
	t.Helper()
	c := attCLI{t: t, db: db}
	regs := filepath.Join(t.TempDir(), "regs.csv")
	if err := os.WriteFile(regs, []byte("Full Name,Email,Role\nNguyễn Văn Minh,minh@example.org,speaker\nพิมพ์ชนก สุขใจ,pim@example.org,participant\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.ok("event", "create", "pd", "--title", "Policy Dialogue", "--video", "dQw4w9WgXcQ", "--time-zone", "Asia/Bangkok")
	c.ok("registrations", "import", "--event", "pd", regs)
	c.ok("override", "--event", "pd", "--email", "pim@example.org", "--certificate", "participation", "--why", "watched at the venue")
	return c
}

// issuedIDs reads the stored certificate ids, and the audit entries of
// issuing, of event pd.
func issuedIDs(t *testing.T, db string) (ids []string, issues []store.AuditEntry) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.DB().Select(&ids, `SELECT id FROM certificates ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	e, err := st.Event(ctx, "pd")
	if err != nil {
		t.Fatal(err)
	}
	log, err := st.AuditLog(ctx, e.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range log {
		if a.Action == "certificates issue" {
			issues = append(issues, a)
		}
	}
	return ids, issues
}

// TestCertificatesIssue: exporting attendance issues nothing; 'certificates
// issue' issues the ids once, audited in the staff member's name, says so,
// and a second run issues nothing and writes nothing; unnamed, it refuses.
func TestCertificatesIssue(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			db := e.DSN(t)
			c := unissuedEvent(t, db)
			att := c.ok("export", "attendance", "--event", "pd")
			if ids, _ := issuedIDs(t, db); len(ids) != 0 {
				t.Fatalf("export attendance issued %v", ids)
			}
			rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(att, "\uFEFF"))).ReadAll()
			if err != nil || len(rows) != 3 || rows[1][18] != "" || rows[1][17] != "appreciation" {
				t.Fatalf("attendance before issuing: %v %v", rows, err)
			}

			var out, errb strings.Builder
			code := run([]string{"certificates", "issue", "--event", "pd"}, strings.NewReader(""), &out, &errb,
				func(k string) string { return map[string]string{"ROLLCALL_DB": db}[k] })
			if code != 2 || !strings.Contains(errb.String(), "--staff") {
				t.Fatalf("unnamed issue: exit %d %s", code, errb.String())
			}

			_, errs, code := c.run("certificates", "issue", "--event", "pd", "--staff", "mai")
			if code != 0 || !strings.Contains(errs, "certificates issue: issued 2, already issued 0") {
				t.Fatalf("issue: %d %s", code, errs)
			}
			ids, issues := issuedIDs(t, db)
			if len(ids) != 2 || len(issues) != 1 || issues[0].Actor != "mai" || issues[0].Detail != "2 issued, 0 already issued" {
				t.Fatalf("after issue: %v %+v", ids, issues)
			}
			_, errs, code = c.run("certificates", "issue", "--event", "pd")
			if code != 0 || !strings.Contains(errs, "issued 0, already issued 2") {
				t.Fatalf("issue again: %d %s", code, errs)
			}
			again, issues := issuedIDs(t, db)
			if strings.Join(again, ",") != strings.Join(ids, ",") || len(issues) != 1 {
				t.Fatalf("issuing again changed something: %v %+v", again, issues)
			}
			if att := c.ok("export", "attendance", "--event", "pd"); !strings.Contains(att, ids[0]) || !strings.Contains(att, ids[1]) {
				t.Fatalf("attendance export after issuing lacks the ids:\n%s", att)
			}
		})
	}
}

// TestRenderIssuesFirst: rendering an event none of whose certificates has
// an id issues them, once, says so, and prints exactly those ids; the
// certificates export says so too.
func TestRenderIssuesFirst(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "rc.db")
	c := unissuedEvent(t, db)
	out := filepath.Join(dir, "certs.zip")
	_, errs, code := c.run("certificates", "render", "--event", "pd", "--public-url", "https://certs.example.org", "-o", out)
	if code != 0 || !strings.Contains(errs, "issued 2, already issued 0") || !strings.Contains(errs, "2 PDFs written") {
		t.Fatalf("render: %d %s", code, errs)
	}
	ids, issues := issuedIDs(t, db)
	b, _ := os.ReadFile(out)
	if got := zipPDFs(t, b); strings.Join(got, ",") != strings.Join(ids, ",") || len(ids) != 2 {
		t.Fatalf("zip ids %v, issued %v", got, ids)
	}
	if len(issues) != 1 || issues[0].Actor != "tester" {
		t.Fatalf("issue audit %+v", issues)
	}
	_, errs, _ = c.run("certificates", "render", "--event", "pd", "--public-url", "https://certs.example.org", "-o", out)
	if !strings.Contains(errs, "issued 0, already issued 2") {
		t.Errorf("render again: %s", errs)
	}
	csvOut, errs, code := c.run("export", "certificates", "--event", "pd")
	if code != 0 || !strings.Contains(errs, "issued 0, already issued 2") {
		t.Fatalf("export certificates: %d %s", code, errs)
	}
	var exported []string
	rows, _ := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvOut, "\uFEFF"))).ReadAll()
	for _, r := range rows[1:] {
		exported = append(exported, r[3])
	}
	sort.Strings(exported)
	if again, issues := issuedIDs(t, db); strings.Join(exported, ",") != strings.Join(ids, ",") || len(again) != 2 || len(issues) != 1 {
		t.Errorf("export ids %v, issued %v, %d issue entries", exported, again, len(issues))
	}
}
