package roster

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"

	"golang.org/x/text/unicode/norm"

	"github.com/seameo/rollcall/attendance"
)

// people are registrants from across the region, with names in their own
// scripts; some come decomposed (NFD) as macOS and some phones type them.
var people = [][]string{
	{"Timestamp", "Full Name", "Email Address", "Country", "Institution / Organization", "Role", "Position"},
	{"2026/11/01 9:00:00 AM", "สมศักดิ์ ศรีสุข", "somsak@example.ac.th", "Thailand", "Chulalongkorn University", "Participant", "Lecturer"},
	{"2026/11/01 9:01:00 AM", "សុខ ស្រីពេជ្រ", "sok.sreypich@example.edu.kh", "Cambodia", "Royal University of Phnom Penh", "Speaker", ""},
	{"2026/11/01 9:02:00 AM", "ສົມສັກ ພົມມະວົງ", "somsack@example.la", "Lao PDR", "National University of Laos", "Panelist", ""},
	{"2026/11/01 9:03:00 AM", "အောင်ဆန်းစုကြည်", "aung@example.mm", "Myanmar", "Yangon University of Education", "participant", ""},
	{"2026/11/01 9:04:00 AM", norm.NFD.String("Nguyễn Thị Ngọc Ánh"), "Anh.Nguyen@Example.VN", "Viet Nam", "SEAMEO RETRAC", "Moderator", "Director, \"Research\""},
	{"2026/11/01 9:05:00 AM", "José Rizal\nJr.", "jose@example.ph", "Philippines", "DepEd", "", ""},
}

func csvText(rows [][]string, sep string) string {
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			if i > 0 {
				b.WriteString(sep)
			}
			if strings.ContainsAny(c, ",;\t\"\n") {
				c = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
			}
			b.WriteString(c)
		}
		b.WriteString("\r\n")
	}
	return b.String()
}

func utf16LE(s string) []byte {
	out := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

func utf16BE(s string) []byte {
	out := []byte{0xFE, 0xFF}
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u>>8), byte(u))
	}
	return out
}

func TestReadEncodingsGiveTheSamePeople(t *testing.T) {
	inputs := map[string][]byte{
		"utf8.csv":          []byte(csvText(people, ",")),
		"utf8-bom.csv":      append([]byte("\uFEFF"), csvText(people, ",")...),
		"semicolon.csv":     []byte(csvText(people, ";")),
		"utf16le-excel.txt": utf16LE(csvText(people, "\t")),
		"utf16be.txt":       utf16BE(csvText(people, "\t")),
		"utf8-tab-lf.tsv":   []byte(strings.ReplaceAll(csvText(people, "\t"), "\r\n", "\n")),
	}
	var want []attendance.Registration
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			r, err := Read(bytes.NewReader(data), name, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Rows != 6 || len(r.Registrations) != 6 {
				t.Fatalf("read %d rows, %d registrations; want 6", r.Rows, len(r.Registrations))
			}
			for i, reg := range r.Registrations {
				if !norm.NFC.IsNormalString(reg.FullName) {
					t.Errorf("name %q is not NFC", reg.FullName)
				}
				if wantName := attendance.NormalizeName(people[i+1][1]); reg.FullName != wantName {
					t.Errorf("name %q, want %q", reg.FullName, wantName)
				}
			}
			if want == nil {
				want = r.Registrations
				return
			}
			for i := range want {
				a, b := want[i], r.Registrations[i]
				if a.FullName != b.FullName || a.Email != b.Email || a.Role != b.Role || a.Org != b.Org || a.Extra["Position"] != b.Extra["Position"] {
					t.Errorf("row %d differs from another encoding: %+v vs %+v", i, a, b)
				}
			}
		})
	}
	vn := want[4]
	if vn.FullName != "Nguyễn Thị Ngọc Ánh" || vn.Email != "anh.nguyen@example.vn" || vn.Role != attendance.RoleModerator ||
		vn.Extra["Position"] != `Director, "Research"` || vn.Extra["Timestamp"] == "" {
		t.Fatalf("Vietnamese row: %+v", vn)
	}
	if want[5].FullName != "José Rizal Jr." || want[5].Role != attendance.RoleParticipant {
		t.Fatalf("quoted newline row: %+v", want[5])
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		mapping  map[string]attendance.Field
		wantRow  int
		wantLine int
		wantCol  string
		wantText string
	}{
		{"bad email", "Name,Email\nA,a@b.th\nB,not-an-email\n", nil, 3, 3, "Email", "not an email"},
		{"empty name", "Name,Email\n,a@b.th\n", nil, 2, 2, "Name", "name is empty"},
		{"unknown role", "Name,Email,Role\nA,a@b.th,VIP\n", nil, 2, 2, "Role", "unknown role"},
		{"a bidi override in a name", "Name,Email\nA,a@b.th\nBudi \u202eosotnaS,b@b.th\n", nil, 3, 3, "Name", "bidirectional override"},
		{"an ANSI escape in a name", "Name,Email\n\x1b[31mRed,a@b.th\n", nil, 2, 2, "Name", "control character"},
		{"a private-use character in a name", "Name,Email\nA,a@b.th\nSiti \ue000 Aminah,s@b.th\n", nil, 3, 3, "Name", "private-use character (U+E000)"},
		{"a control in an organisation", "Name,Email,Organisation\nA,a@b.th,Acme\x07\n", nil, 2, 2, "Organisation", "control character"},
		{"a name of 201 characters", "Name,Email\n" + strings.Repeat("a", 201) + ",a@b.th\n", nil, 2, 2, "Name", "more than 200"},
		{"first and last names with a control", "First Name,Last Name,Email\nBudi,San\x1btoso,a@b.th\n", nil, 2, 2, "First Name", "control character"},
		{"line after quoted newline", "Name,Email\n\"A\nB\",a@b.th\nC,bad\n", nil, 3, 4, "Email", "not an email"},
		{"broken quote", "Name,Email\n\"A,a@b.th\n", nil, 2, 2, "", "quote"},
		{"no email column", "Name,Phone\nA,1\n", nil, 1, 0, "", "no email column"},
		{"no name column", "Email\na@b.th\n", nil, 1, 0, "", "no name column"},
		{"two email columns", "Name,Email,E-mail address\nA,a@b.th,a@b.th\n", nil, 1, 0, "E-mail address", "--map"},
		{"map unknown column", "Name,Email\nA,a@b.th\n", map[string]attendance.Field{"Nope": attendance.FieldEmail}, 1, 0, "", "does not have"},
		{"extra cells", "Name,Email\nA,a@b.th,surprise\n", nil, 2, 2, "C", "delimiter"},
		{"bad youtube", "Name,Email,YouTube channel\nA,a@b.th,https://www.youtube.com/watch?v=dQw4w9WgXcQ\n", nil, 2, 2, "YouTube channel", "not of a channel"},
		{"legacy code page", "Name,Email\nSomch\xe1i,a@b.th\n", nil, 0, 2, "", "not UTF-8"},
		{"utf16 without BOM", "N\x00a\x00m\x00e\x00", nil, 0, 0, "", "UTF-16 without"},
		{"empty file", "", nil, 0, 0, "", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tt.data), "people.csv", tt.mapping)
			var ie *attendance.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v (%T), want an *InputError", err, err)
			}
			if ie.File != "people.csv" || ie.Row != tt.wantRow || ie.Line != tt.wantLine || ie.Column != tt.wantCol || !strings.Contains(ie.Error(), tt.wantText) {
				t.Fatalf("got %q (row %d line %d column %q); want row %d line %d column %q containing %q",
					ie.Error(), ie.Row, ie.Line, ie.Column, tt.wantRow, tt.wantLine, tt.wantCol, tt.wantText)
			}
		})
	}
}

func TestReadMappingAndDuplicates(t *testing.T) {
	data := "Nama Lengkap,Surel,Negara,Name on certificate\n" +
		"Siti,siti@example.my,Malaysia,Siti Nurhaliza binti Tarudin\n" +
		"Siti N,SITI@example.my ,,Siti Nurhaliza\n"
	r, err := Read(strings.NewReader(data), "f.csv", map[string]attendance.Field{
		"Nama Lengkap": attendance.FieldIgnore, "Name on certificate": attendance.FieldFullName,
		"surel": attendance.FieldEmail, "Negara": attendance.FieldCountry,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Registrations) != 1 || r.Duplicates != 1 {
		t.Fatalf("want one person from two rows, got %+v", r)
	}
	got := r.Registrations[0]
	if got.FullName != "Siti Nurhaliza" || got.Country != "Malaysia" || got.Email != "siti@example.my" {
		t.Fatalf("merged row: %+v (a later row wins, blank cells keep earlier values)", got)
	}
}

func TestReadFirstAndLastName(t *testing.T) {
	r, err := Read(strings.NewReader("First Name,Last Name,Email\nAnh,Nguyễn,a@b.vn\n"), "f.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Registrations[0].FullName != "Anh Nguyễn" {
		t.Fatalf("name %q", r.Registrations[0].FullName)
	}
}
