package attendance

import (
	"testing"
	"time"
)

func TestMatchesWord(t *testing.T) {
	tests := []struct {
		name, text, word string
		want             bool
	}{
		{"exact", "pho", "pho", true},
		{"accent in word", "pho", "Phở", true},
		{"accent in text", "Phở!", "pho", true},
		{"upper case", "PHO", "phở", true},
		{"inside sentence", "I think the answer is pho, right?", "Phở", true},
		{"full width", "ＢＡＭＢＯＯ", "bamboo", true},
		{"part of a word", "phonetic", "pho", false},
		{"glued to digits", "pho2", "pho", false},
		{"two words", "the answer: Green   Tea!", "green tea", true},
		{"two words apart", "green iced tea", "green tea", false},
		{"vietnamese d", "Đà Nẵng", "da nang", true},
		{"thai inside", "คำตอบคือสวัสดีครับ", "สวัสดี", true},
		{"thai missing", "คำตอบคือขอบคุณ", "สวัสดี", false},
		{"khmer", "ចម្លើយ សួស្តី", "សួស្តី", true},
		{"chinese", "答案是竹子", "竹子", true},
		{"empty word", "anything", "", false},
		{"punctuation word", "!!!", "!!", false},
		{"empty text", "", "pho", false},
		{"german ss", "STRASSE", "straße", true},
		{"emoji around", "🎉bamboo🎉", "bamboo", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MatchesWord(tt.text, tt.word); got != tt.want {
				t.Fatalf("MatchesWord(%q, %q) = %v, want %v", tt.text, tt.word, got, tt.want)
			}
		})
	}
}

func TestCheckpointOpen(t *testing.T) {
	at := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	c := Checkpoint{OpensAt: at, ClosesAt: at.Add(10 * time.Minute)}
	tests := []struct {
		name string
		t    time.Time
		want bool
	}{
		{"before", at.Add(-time.Microsecond), false},
		{"at open", at, true},
		{"inside", at.Add(5 * time.Minute), true},
		{"at close", at.Add(10 * time.Minute), true},
		{"after", at.Add(10*time.Minute + time.Microsecond), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Open(tt.t); got != tt.want {
				t.Fatalf("Open = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCertificateID(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id, err := NewCertificateID()
		if err != nil {
			t.Fatal(err)
		}
		if len(id) != CertificateIDLength || NormalizeCertificateID(id) != id || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
		if got := NormalizeCertificateID(" " + FormatCertificateID(id) + " "); got != id {
			t.Fatalf("NormalizeCertificateID(Format(%q)) = %q", id, got)
		}
	}
	for _, bad := range []string{"", "ABC", "ABCDEFGHIJKLMNOPQRS1", "ABCDEFGHIJKLMNOPQRST0"} {
		if NormalizeCertificateID(bad) != "" {
			t.Errorf("NormalizeCertificateID(%q) accepted", bad)
		}
	}
}
