package attendance

import (
	"reflect"
	"strings"
	"testing"
)

func TestNewCode(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		c, err := NewCode()
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != CodeLength+1 || c[CodeLength/2] != '-' {
			t.Fatalf("code %q: want two groups of %d", c, CodeLength/2)
		}
		if strings.ContainsAny(c, "01OILU") {
			t.Fatalf("code %q uses a confusable symbol", c)
		}
		n := NormalizeCode(c)
		if n == "" || FormatCode(n) != c {
			t.Fatalf("code %q does not round-trip: %q", c, n)
		}
		if seen[n] {
			t.Fatalf("repeated code %q after %d draws", c, i)
		}
		seen[n] = true
	}
}

func TestNormalizeCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"K7QM-4X2P", "K7QM4X2P"},
		{"k7qm4x2p", "K7QM4X2P"},
		{" k7qm 4x2p ", "K7QM4X2P"},
		{"K7QM–4X2P", "K7QM4X2P"}, // en dash
		{"Ｋ７ＱＭ－４Ｘ２Ｐ", "K7QM4X2P"}, // full width
		{"K7QM_4X2P", "K7QM4X2P"}, // underscore typed for a dash
		{"K7QM-4X2", ""},          // too short
		{"K7QM-4X2PP", ""},        // too long
		{"K7QM-4X2O", ""},         // O is not in the alphabet
		{"K7QM-4X21", ""},         // nor 1
		{"กขคง-4X2P", ""},         // Thai letters
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeCode(tt.in); got != tt.want {
			t.Errorf("NormalizeCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestExtractCodes(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"alone", "K7QM-4X2P", []string{"K7QM4X2P"}},
		{"in a sentence", "good morning from Hanoi, my code is k7qm-4x2p thank you", []string{"K7QM4X2P"}},
		{"no dash", "code K7QM4X2P", []string{"K7QM4X2P"}},
		{"space for dash", "K7QM 4X2P!", []string{"K7QM4X2P"}},
		{"full width", "รหัส Ｋ７ＱＭ－４Ｘ２Ｐ ค่ะ", []string{"K7QM4X2P"}},
		{"after Thai text", "สวัสดีK7QM-4X2P", []string{"K7QM4X2P"}},
		{"two codes, one repeated", "K7QM-4X2P and ABCD-EFGH and k7qm4x2p", []string{"K7QM4X2P", "ABCDEFGH"}},
		{"glued to a letter", "XK7QM4X2P", nil},
		{"after a four-letter word", "WHAT K7QM-4X2P", []string{"WHATK7QM", "K7QM4X2P"}},
		{"glued after", "K7QM4X2PX", nil},
		{"too short", "K7QM-4X2", nil},
		{"emoji around", "👋K7QM-4X2P👋", []string{"K7QM4X2P"}},
		{"nothing", "hello everyone", nil},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExtractCodes(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ExtractCodes(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzExtractCodes checks that whatever is found in a message is a
// well-formed code that NormalizeCode accepts, and that a code placed in any
// text between separators is found.
func FuzzExtractCodes(f *testing.F) {
	for _, s := range []string{"K7QM-4X2P", "my code k7qm4x2p", "Ｋ７ＱＭ－４Ｘ２Ｐ", "สวัสดีค่ะ", "", "----", "A-B-C-D-E-F-G-H"} {
		f.Add(s, "K7QM4X2P")
	}
	f.Fuzz(func(t *testing.T, text, code string) {
		for _, c := range ExtractCodes(text) {
			if NormalizeCode(c) != c {
				t.Fatalf("ExtractCodes(%q) gave %q, which is not a canonical code", text, c)
			}
		}
		c := NormalizeCode(code)
		if c == "" {
			return
		}
		msg := text + " " + strings.ToLower(FormatCode(c)) + " " + text
		found := false
		for _, got := range ExtractCodes(msg) {
			found = found || got == c
		}
		if !found {
			t.Fatalf("ExtractCodes(%q) missed %q", msg, c)
		}
	})
}
