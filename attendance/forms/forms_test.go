package forms

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
)

const googleForms = "\uFEFFTimestamp,Email Address,Full name as it should appear on your certificate,Your attendance code,Checkpoint word 1,Checkpoint word 2,How useful was the dialogue?\r\n" +
	"2026/11/20 10:15:32 AM GMT+7,Anh@Example.org ,Nguyễn Thị  Anh,k7qm 4x2p,Phở,bamboo,Very useful\r\n" +
	"2026/11/20 11:00:00 AM GMT+7,bo@example.org,Bo Lee,,,,\r\n" +
	"2026/11/20 9:00:00 AM GMT+7,anh@example.org,Old Name,,,,\r\n" +
	"\"2026/11/20 12:00:00 PM GMT+7\",chai@example.org,\"Chai\nSrisuk\",,,,\"multi\nline\"\r\n"

func TestRead(t *testing.T) {
	res, err := Read(strings.NewReader(googleForms), "form.csv", nil, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 4 || res.Replaced != 1 || len(res.Responses) != 3 {
		t.Fatalf("rows %d replaced %d responses %d", res.Rows, res.Replaced, len(res.Responses))
	}
	a := res.Responses[0]
	want := time.Date(2026, 11, 20, 3, 15, 32, 0, time.UTC)
	if a.Email != "anh@example.org" || a.CertificateName != "Nguyễn Thị Anh" || a.Code != "K7QM4X2P" || !a.SubmittedAt.Equal(want) ||
		len(a.CheckpointWords) != 2 || a.CheckpointWords[0] != "Phở" || a.Answers["How useful was the dialogue?"] != "Very useful" || a.Row != 2 {
		t.Fatalf("anh: %+v", a)
	}
	if c := res.Responses[2]; c.CertificateName != "Chai Srisuk" {
		t.Fatalf("chai: %+v", c)
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name, csv, want string
		mapping         map[string]Field
	}{
		{"no email", "Timestamp,Name\n2026-11-20 10:00:00,A\n", "no email column", nil},
		{"no timestamp", "Email Address,Name\na@example.org,A\n", "no timestamp column", nil},
		{"bad email", "Timestamp,Email Address\n2026-11-20 10:00:00,not-an-email\n", `form.csv: row 2, column "Email Address"`, nil},
		{"bad timestamp", "Timestamp,Email Address\nyesterday,a@example.org\n", `row 2, column "Timestamp": "yesterday" is not a timestamp`, nil},
		{"bad code", "Timestamp,Email Address,Attendance code\n2026-11-20 10:00:00,a@example.org,hello\n", `column "Attendance code"`, nil},
		{"unknown map", "Timestamp,Email Address\n2026-11-20 10:00:00,a@example.org\n", `--map names column "nope"`, map[string]Field{"nope": FieldIgnore}},
		{"a bidi override in the name to print", "Timestamp,Email Address,Name as it should appear on your certificate\n2026-11-20 10:00:00,a@example.org,Budi \u202eosotnaS\n",
			`row 2, column "Name as it should appear on your certificate": a bidirectional override`, nil},
		{"an ANSI escape in the name to print", "Timestamp,Email Address,Full name\n2026-11-20 10:00:00,a@example.org,\x1b]0;owned\x07Budi\n",
			`row 2, column "Full name": a control character`, nil},
		{"a private-use character in the name to print", "Timestamp,Email Address,Full name\n2026-11-20 10:00:00,a@example.org,Budi\n2026-11-20 10:01:00,b@example.org,Siti \U000F0001\n",
			`row 3, column "Full name": a private-use character (U+F0001)`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tt.csv), "form.csv", tt.mapping, time.UTC)
			var ie *attendance.InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want an input error containing %q", err, tt.want)
			}
		})
	}
}

func TestMap(t *testing.T) {
	csv := "Submitted,E-mail,Name to print,Secret\n2026-11-20 10:00:00,a@example.org,Ana,pho\n"
	res, err := Read(strings.NewReader(csv), "f.csv", map[string]Field{"Submitted": FieldTimestamp, "Name to print": FieldCertificateName, "Secret": FieldCheckpoint}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Responses[0]; r.CertificateName != "Ana" || r.CheckpointWords[0] != "pho" {
		t.Fatalf("%+v", r)
	}
}

func TestParseTimestamp(t *testing.T) {
	bkk := time.FixedZone("ICT", 7*3600)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2026/11/20 10:15:32 AM GMT+7", time.Date(2026, 11, 20, 3, 15, 32, 0, time.UTC)},
		{"2026/11/20 10:15:32 PM GMT+07:00", time.Date(2026, 11, 20, 15, 15, 32, 0, time.UTC)},
		{"2026/11/20 10:15:32 AM GMT-3", time.Date(2026, 11, 20, 13, 15, 32, 0, time.UTC)},
		{"11/20/2026 10:15:32", time.Date(2026, 11, 20, 3, 15, 32, 0, time.UTC)},
		{"2026-11-20T10:15:32+07:00", time.Date(2026, 11, 20, 3, 15, 32, 0, time.UTC)},
		{"2026-11-20 10:15:32", time.Date(2026, 11, 20, 3, 15, 32, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTimestamp(tt.in, bkk)
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("ParseTimestamp(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestCertificateQuestionWins(t *testing.T) {
	csv := "Timestamp,Full Name,Email Address,Name as it should appear on your certificate\n2026-11-20 10:00:00,Ana,a@example.org,Dr. Ana Reyes\n"
	res, err := Read(strings.NewReader(csv), "f.csv", nil, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Responses[0]; r.CertificateName != "Dr. Ana Reyes" || r.Answers["Full Name"] != "Ana" {
		t.Fatalf("%+v", r)
	}
}
