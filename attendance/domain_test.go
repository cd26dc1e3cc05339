package attendance

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseVideoRef(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"dQw4w9WgXcQ", "dQw4w9WgXcQ", false},
		{"https://www.youtube.com/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ", false},
		{"https://www.youtube.com/watch?feature=share&v=dQw4w9WgXcQ&t=42s", "dQw4w9WgXcQ", false},
		{"youtube.com/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ", false},
		{"https://youtu.be/dQw4w9WgXcQ?si=abc", "dQw4w9WgXcQ", false},
		{"https://www.youtube.com/live/dQw4w9WgXcQ?feature=shared", "dQw4w9WgXcQ", false},
		{"https://youtube.com/shorts/dQw4w9WgXcQ", "dQw4w9WgXcQ", false},
		{"https://m.youtube.com/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ", false},
		{"https://music.youtube.com/watch?v=dQw4w9WgXcQ&list=RD", "dQw4w9WgXcQ", false},
		{"https://www.youtube.com/embed/dQw4w9WgXcQ", "dQw4w9WgXcQ", false},
		{"  dQw4w9WgXcQ  ", "dQw4w9WgXcQ", false},
		{"https://www.youtube.com/@seameo", "", true},
		{"https://www.youtube.com/watch?v=short", "", true},
		{"https://vimeo.com/12345678901", "", true},
		{"https://www.youtube.com.evil.example/watch?v=dQw4w9WgXcQ", "", true},
		{"dQw4w9WgXc", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		got, err := ParseVideoRef(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseVideoRef(%q) = %q, %v; want %q (error %t)", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && ErrorCode(err) != EInvalid {
			t.Errorf("ParseVideoRef(%q): error code %q, want invalid", tt.in, ErrorCode(err))
		}
	}
}

func TestEmail(t *testing.T) {
	if got := NormalizeEmail("  Anh.Nguyen@Example.VN "); got != "anh.nguyen@example.vn" {
		t.Fatalf("NormalizeEmail = %q", got)
	}
	for _, ok := range []string{"a@b.th", "first.last+tag@school.edu.kh"} {
		if err := ValidateEmail(ok); err != nil {
			t.Errorf("ValidateEmail(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a", "a@b", "a b@c.d", "Name <a@b.th>", "a@@b.th", "@b.th"} {
		if err := ValidateEmail(bad); err == nil {
			t.Errorf("ValidateEmail(%q) accepted", bad)
		}
	}
}

func TestParseRole(t *testing.T) {
	tests := map[string]Role{"": RoleParticipant, "Participant": RoleParticipant, "Panellist": RolePanelist,
		"Resource Speaker": RoleSpeaker, "MODERATOR": RoleModerator, "Organiser": RoleOrganizer}
	for in, want := range tests {
		if got, err := ParseRole(in); err != nil || got != want {
			t.Errorf("ParseRole(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseRole("VIP"); err == nil {
		t.Error("ParseRole(VIP) accepted")
	}
}

func TestParseYouTubeAccount(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"@SomchaiTeacher", "@somchaiteacher"},
		{"SomchaiTeacher", "@somchaiteacher"},
		{"https://www.youtube.com/@SomchaiTeacher/videos", "@somchaiteacher"},
		{"UCabcdefghijklmnopqrstuv", "UCabcdefghijklmnopqrstuv"},
		{"https://youtube.com/channel/UCabcdefghijklmnopqrstuv?si=1", "UCabcdefghijklmnopqrstuv"},
	}
	for _, tt := range tests {
		if got, err := ParseYouTubeAccount(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseYouTubeAccount(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"https://www.youtube.com/watch?v=dQw4w9WgXcQ", "a b", "@x"} {
		if _, err := ParseYouTubeAccount(bad); err == nil {
			t.Errorf("ParseYouTubeAccount(%q) accepted", bad)
		}
	}
}

func TestNormalizeName(t *testing.T) {
	decomposed := "Nguye\u0302\u0303n  Thi\u0323 " // NFD, doubled space
	if got := NormalizeName(decomposed); got != "Nguyễn Thị" {
		t.Fatalf("NormalizeName(%q) = %q", decomposed, got)
	}
	if got := NormalizeName("mcDonald VAN der Berg"); got != "mcDonald VAN der Berg" {
		t.Fatalf("a name was re-cased: %q", got)
	}
}

func TestPolicy(t *testing.T) {
	p := DefaultPolicy()
	for total, want := range map[int]int{0: 0, 1: 1, 2: 2, 3: 2, 4: 3, 5: 4, 6: 4} {
		if got := p.RequiredCheckpoints(total); got != want {
			t.Errorf("RequiredCheckpoints(%d) = %d, want %d", total, got, want)
		}
	}
	one := 1
	p.MinCheckpoints = &one
	if p.RequiredCheckpoints(3) != 1 {
		t.Error("explicit min-checkpoints ignored")
	}
	five := 5
	p.MinCheckpoints = &five
	if p.RequiredCheckpoints(3) != 3 {
		t.Error("min-checkpoints above the total must cap at the total")
	}
	bad := DefaultPolicy()
	bad.MaxRegistrationsPerChannel = 0
	if err := bad.Validate(); ErrorCode(err) != EInvalid {
		t.Errorf("Validate = %v", err)
	}
}

func TestErrorCode(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{errors.New("x"), EInternal},
		{Errorf(ENotFound, "no"), ENotFound},
		{fmt.Errorf("wrapped: %w", Errorf(EConflict, "dup")), EConflict},
		{fmt.Errorf("wrapped: %w", &InputError{File: "a.csv", Row: 2}), EInvalid},
	}
	for _, tt := range tests {
		if got := ErrorCode(tt.err); got != tt.want {
			t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
	e := &InputError{File: "people.csv", Row: 7, Line: 9, Column: "Email", Msg: "bad"}
	if got := e.Error(); got != `people.csv: row 7 (line 9), column "Email": bad` {
		t.Errorf("InputError = %q", got)
	}
}

func TestValidateText(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"Thai", "สมศักดิ์ ศรีสุข", true},
		{"Khmer with a zero-width joiner", "សុខ\u200dដារ៉ា", true},
		{"Jawi with a right-to-left mark", "\u200fمحمد بن عبدالله", true},
		{"Chinese beside the English name", "Lim Wei Ling 林慧玲", true},
		{"exactly 200 characters", strings.Repeat("ก", 200), true},
		{"201 characters", strings.Repeat("a", 201), false},
		{"an ANSI escape", "Budi \x1b[31mSantoso", false},
		{"a NUL", "Budi\x00", false},
		{"a C1 control", "Budi\u0085x", false},
		{"a right-to-left override", "Budi \u202eosotnaS", false},
		{"a first-strong isolate", "Budi \u2068Santoso\u2069", false},
		{"an emoji (printable or not is the fonts' say)", "Ana 😀 Cruz", true},
		{"a private-use character", "Siti \ue000 Aminah", false},
		{"a supplementary private-use character", "Siti \U000F0001", false},
		{"a noncharacter", "Siti \ufffe", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateText(tt.in)
			if (err == nil) != tt.ok {
				t.Errorf("ValidateText(%q) = %v, want ok %v", tt.in, err, tt.ok)
			}
		})
	}
}
