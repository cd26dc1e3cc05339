package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
)

// TestPeopleList: the CLI's filters select what the store counts; the
// table shows times in the event's zone; --format csv is the people CSV
// (BOM, formulas neutralised) and is audited once; bad filters exit 2.
func TestPeopleList(t *testing.T) {
	dir := t.TempDir()
	c := attCLI{t: t, db: filepath.Join(dir, "rc.db")}
	c.ok("event", "create", "pd", "--title", "Policy Dialogue", "--video", "dQw4w9WgXcQ", "--time-zone", "Asia/Bangkok")
	regs := writeFile(t, "regs.csv", []byte("Full Name,Email,Country,Role\nAnh Nguyen,anh@example.org,Viet Nam,participant\nKim Park,kim@example.org,Thailand,speaker\n"+
		"\"=SUM(A1)\",sum@example.org,Thailand,participant\n"))
	c.ok("registrations", "import", "--event", "pd", regs)
	c.ok("link", "--event", "pd", "--email", "anh@example.org", "--channel", "UC0000000000000000000001", "--note", "asked at the desk")

	ctx := context.Background()
	st, err := store.Open(ctx, c.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ev, err := st.Event(ctx, "pd")
	if err != nil {
		t.Fatal(err)
	}
	count := func(f attendance.PeopleFilter) int {
		n, err := st.CountPeople(ctx, ev.ID, f)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	out := c.ok("people", "list", "--event", "pd", "--linked", "yes")
	if !strings.Contains(out, "Anh Nguyen") || strings.Contains(out, "Kim Park") || !strings.Contains(out, " ICT") {
		t.Fatalf("linked, as a table:\n%s", out)
	}
	before, _ := st.AuditLog(ctx, ev.ID, 100)
	csvOut := c.ok("people", "list", "--event", "pd", "--not-linked", "--country", "thailand", "--format", "csv", "--sort", "name", "--desc")
	lines := strings.Split(strings.TrimSpace(csvOut), "\r\n")
	if !strings.HasPrefix(lines[0], "\ufeff"+strings.Join(attendance.PeopleColumns, ",")) || len(lines)-1 != count(attendance.PeopleFilter{Linked: attendance.No, Country: "Thailand"}) ||
		len(lines) != 3 || !strings.HasPrefix(lines[2], "'=SUM(A1)") || !strings.HasPrefix(lines[1], "Kim Park") {
		t.Fatalf("not linked in Thailand, as CSV:\n%s", csvOut)
	}
	after, _ := st.AuditLog(ctx, ev.ID, 100)
	if len(after) != len(before)+1 || after[0].Action != "export people" || after[0].Actor != "tester" {
		t.Fatalf("audit: %+v", after[:len(after)-len(before)])
	}
	out = c.ok("people", "list", "--event", "pd", "--certificate", "appreciation", "--format", "csv")
	if n := strings.Count(out, "\r\n") - 1; n != count(attendance.PeopleFilter{Certificate: "appreciation"}) || n != 1 {
		t.Fatalf("appreciation: %d rows\n%s", n, out)
	}
	out = c.ok("people", "list", "--event", "pd", "--form", "no", "--role", "participant", "--q", "ANH")
	if !strings.Contains(out, "anh@example.org") || strings.Contains(out, "sum@") {
		t.Fatalf("form no, participant, anh:\n%s", out)
	}
	for _, bad := range [][]string{{"--form", "maybe"}, {"--checkpoints-hit", "lots"}, {"--certificate", "gold"}, {"--format", "xml"}, {"--not-linked", "--linked", "yes"}} {
		if _, _, code := c.run(append([]string{"people", "list", "--event", "pd"}, bad...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
}
