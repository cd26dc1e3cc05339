package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/seameo/rollcall/attendance/store/storetest"
)

// cli runs rollcall in-process with the given environment.
type cli struct {
	t   *testing.T
	env map[string]string
}

func newCLI(t *testing.T, db string) *cli {
	// USER names who acts in the audit log: audited commands refuse to run unnamed.
	return &cli{t: t, env: map[string]string{"ROLLCALL_DB": db, "USER": "tester"}}
}

func (c *cli) run(args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errb, func(k string) string { return c.env[k] })
	return code, out.String(), errb.String()
}

func (c *cli) ok(args ...string) string {
	c.t.Helper()
	code, out, errs := c.run(args...)
	if code != 0 {
		c.t.Fatalf("rollcall %s: exit %d\n%s", strings.Join(args, " "), code, errs)
	}
	return out
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const regional = "Full Name,Email Address,Country,Role\r\n" +
	"สมศักดิ์ ศรีสุข,somsak@example.ac.th,Thailand,Participant\r\n" +
	"សុខ ស្រីពេជ្រ,sok@example.edu.kh,Cambodia,Speaker\r\n" +
	"ສົມສັກ ພົມມະວົງ,somsack@example.la,Lao PDR,Panelist\r\n" +
	"အောင်ဆန်းစုကြည်,aung@example.mm,Myanmar,Participant\r\n" +
	"Nguyễn Thị Ngọc Ánh,anh@example.vn,Viet Nam,Moderator\r\n"

func toUTF16TSV(s string) []byte {
	s = strings.ReplaceAll(s, ",", "\t")
	out := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

type codeRow struct{ name, email, code string }

func readCodes(t *testing.T, out string) []codeRow {
	t.Helper()
	if !strings.HasPrefix(out, "\uFEFF") {
		t.Fatalf("codes CSV has no BOM: %q", out[:min(20, len(out))])
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "full_name,email,code" {
		t.Fatalf("header %q", recs[0])
	}
	var rows []codeRow
	for _, r := range recs[1:] {
		rows = append(rows, codeRow{r[0], r[1], r[2]})
	}
	return rows
}

func TestRegistrationsImport(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			c := newCLI(t, e.DSN(t))
			c.ok("event", "create", "pd-2026", "--title", "Policy Dialogue", "--video", "https://www.youtube.com/live/dQw4w9WgXcQ?si=x")
			bom := writeFile(t, "reg.csv", append([]byte("\uFEFF"), regional...))
			u16 := writeFile(t, "reg.txt", toUTF16TSV(regional))

			_, _, errs := c.run("registrations", "import", bom, "--event", "pd-2026") // flag after the argument
			if !strings.Contains(errs, "5 added") {
				t.Fatalf("first import: %s", errs)
			}
			first := readCodes(t, c.ok("codes", "--event", "pd-2026"))
			if len(first) != 5 || first[0].name != "สมศักดิ์ ศรีสุข" || first[4].name != "Nguyễn Thị Ngọc Ánh" {
				t.Fatalf("codes %+v", first)
			}
			// The same people as UTF-16 tab-separated, and the same file again: nothing changes.
			for _, f := range []string{u16, bom} {
				_, _, errs = c.run("registrations", "import", "--event", "pd-2026", f)
				if !strings.Contains(errs, "0 added, 0 updated, 5 unchanged") {
					t.Fatalf("re-import of %s: %s", filepath.Base(f), errs)
				}
			}
			if again := readCodes(t, c.ok("codes", "--event", "pd-2026")); !equalRows(first, again) {
				t.Fatalf("codes changed on re-import:\n%v\n%v", first, again)
			}

			// One bad row: exit 2, the row's line named, nothing written.
			bad := writeFile(t, "bad.csv", []byte(regional+"New Person,new@example.org,Brunei,Participant\r\nBroken,not-an-email,Brunei,Participant\r\n"))
			code, _, errs := c.run("registrations", "import", "--event", "pd-2026", bad)
			if code != 2 || !strings.Contains(errs, `bad.csv: row 8, column "Email Address"`) {
				t.Fatalf("bad row: exit %d, %s", code, errs)
			}
			var sum struct {
				Slug          string `json:"slug"`
				Registrations int    `json:"registrations"`
				Streams       []struct {
					VideoID      string `json:"video_id"`
					State        string `json:"state"`
					ChatMessages int    `json:"chat_messages"`
				} `json:"streams"`
			}
			if err := json.Unmarshal([]byte(c.ok("event", "show", "pd-2026", "--json")), &sum); err != nil {
				t.Fatal(err)
			}
			if sum.Registrations != 5 || len(sum.Streams) != 1 || sum.Streams[0].VideoID != "dQw4w9WgXcQ" {
				t.Fatalf("after a failed import: %+v", sum)
			}

			// --dry-run reports and writes nothing.
			more := writeFile(t, "more.csv", []byte(regional+"New Person,new@example.org,Brunei,Participant\r\n"))
			_, _, errs = c.run("registrations", "import", "--event", "pd-2026", "--dry-run", more)
			if !strings.Contains(errs, "1 added") || !strings.Contains(errs, "dry run") {
				t.Fatalf("dry run: %s", errs)
			}
			if n := len(readCodes(t, c.ok("codes", "--event", "pd-2026"))); n != 5 {
				t.Fatalf("dry run wrote: %d people", n)
			}
		})
	}
}

func equalRows(a, b []codeRow) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestExitCodesAndEnv(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	c := newCLI(t, db)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no such event", []string{"event", "show", "nope"}, 2, `no event "nope"`},
		{"missing argument", []string{"event", "create"}, 2, "accepts 1 arg"},
		{"unknown flag", []string{"event", "list", "--bogus"}, 2, "unknown flag"},
		{"bad video", []string{"event", "create", "x", "--title", "X", "--video", "https://vimeo.com/1"}, 2, "not a YouTube URL"},
		{"bad slug", []string{"event", "create", "Bad Slug", "--title", "X"}, 2, "event slug"},
		{"missing title", []string{"event", "create", "x"}, 2, "--title"},
		{"missing file", []string{"registrations", "import", "--event", "x", "/nonexistent.csv"}, 2, ""},
		{"bad map", []string{"registrations", "import", "--event", "x", "--map", "nonsense", "f.csv"}, 2, "COLUMN=FIELD"},
		{"bad trusted proxy", []string{"serve", "--trusted-proxies", "10.0.0.0/8,proxy.internal"}, 2, `--trusted-proxies: "proxy.internal" is neither an IP address nor a CIDR range`},
		{"bad trusted proxy in the demo", []string{"demo", "--trusted-proxies", "10.0.0.0/33"}, 2, "--trusted-proxies"},
		{"version", []string{"version"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := c.run(tt.args...)
			if code != tt.code || !strings.Contains(out+errs, tt.want) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tt.code, out, errs)
			}
		})
	}
	// ROLLCALL_DB chose the database: the file exists now.
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("ROLLCALL_DB not used: %v", err)
	}
	// A flag beats its environment variable.
	other := filepath.Join(t.TempDir(), "other.db")
	c.ok("event", "create", "flagdb", "--title", "T", "--db", other)
	if code, _, _ := c.run("event", "show", "flagdb"); code != 2 {
		t.Fatal("the event went to ROLLCALL_DB instead of --db")
	}
	// Env fallback for a command flag, and a bad env value is bad usage.
	c.env["ROLLCALL_TITLE"] = "From Env"
	c.ok("event", "create", "envtitle")
	if out := c.ok("event", "show", "envtitle", "--json"); !strings.Contains(out, "From Env") {
		t.Fatalf("ROLLCALL_TITLE ignored: %s", out)
	}
	c.env["ROLLCALL_MAX_REGISTRATIONS_PER_CHANNEL"] = "many"
	if code, _, errs := c.run("event", "create", "envbad", "--title", "T"); code != 2 || !strings.Contains(errs, "ROLLCALL_MAX_REGISTRATIONS_PER_CHANNEL") {
		t.Fatalf("bad env value: %d %s", code, errs)
	}
}

func TestHelpIsUseful(t *testing.T) {
	c := newCLI(t, filepath.Join(t.TempDir(), "x.db"))
	out := c.ok("registrations", "import", "--help")
	for _, want := range []string{"UTF-16", "--map", "--dry-run", "Example"} {
		if !strings.Contains(out, want) && !strings.Contains(out, strings.ToLower(want)) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
}
