package attendance

import (
	"reflect"
	"testing"
)

func TestExtractCodesInChat(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"display form", "K7QM-4X2P", []string{"K7QM4X2P"}},
		{"lower case", "k7qm-4x2p", []string{"K7QM4X2P"}},
		{"no dash", "K7QM4X2P", []string{"K7QM4X2P"}},
		{"space", "k7qm 4x2p", []string{"K7QM4X2P"}},
		{"en dash", "K7QM–4X2P", []string{"K7QM4X2P"}},
		{"full width", "ｋ７ｑｍ－４ｘ２ｐ", []string{"K7QM4X2P"}},
		{"in a sentence", "Good morning! my code is K7QM-4X2P, thanks", []string{"K7QM4X2P"}},
		{"after a word that reads as a half", "Penh K7QM-4X2P", []string{"PENHK7QM", "K7QM4X2P"}},
		{"glued before", "XK7QM4X2P", nil},
		{"glued after", "K7QM4X2PA", nil},
		{"two codes", "K7QM-4X2P and 23456789", []string{"K7QM4X2P", "23456789"}},
		{"repeated", "K7QM4X2P K7QM4X2P", []string{"K7QM4X2P"}},
		{"excluded letters", "K7QM-4X1P", nil},
		{"short", "K7QM-4X2", nil},
		{"plain words", "hello everyone from Manila", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExtractCodes(tt.text); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ExtractCodes(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestNormalizeCodeForms(t *testing.T) {
	for in, want := range map[string]string{"k7qm 4x2p": "K7QM4X2P", "Ｋ７ＱＭ－４Ｘ２Ｐ": "K7QM4X2P", "K7QM–4X2P": "K7QM4X2P", "K7QM-4X2": "", "K7QM-4X2O": ""} {
		if got := NormalizeCode(in); got != want {
			t.Errorf("NormalizeCode(%q) = %q, want %q", in, got, want)
		}
	}
	c, err := NewCode()
	if err != nil || NormalizeCode(c) == "" || FormatCode(NormalizeCode(c)) != c {
		t.Fatalf("NewCode %q %v", c, err)
	}
}
