package certpdf

import (
	"reflect"
	"slices"
	"testing"
)

func TestSplitRuns(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Run
	}{
		{"empty", "", nil},
		{"latin", "José Rizal", []Run{{ScriptLatin, "José Rizal"}}},
		{"only punctuation", "- 42 -", []Run{{ScriptCommon, "- 42 -"}}},
		{"vietnamese precomposed", "Nguyễn Thị Ngọc Ánh", []Run{{ScriptLatin, "Nguyễn Thị Ngọc Ánh"}}},
		// NFD: the combining circumflex and tilde (script Inherited) stay with their base e
		{"vietnamese decomposed", "Nguye\u0302\u0303n", []Run{{ScriptLatin, "Nguye\u0302\u0303n"}}},
		{"thai stacked marks", "สมศักดิ์ ศรีสุข", []Run{{ScriptThai, "สมศักดิ์ ศรีสุข"}}},
		{"khmer coeng and split vowel", "សុខ ស្រីពេជ្រ", []Run{{ScriptKhmer, "សុខ ស្រីពេជ្រ"}}},
		{"lao", "ສົມສັກ ພົມມະວົງ", []Run{{ScriptLao, "ສົມສັກ ພົມມະວົງ"}}},
		{"burmese kinzi", "မင်္ဂလာ", []Run{{ScriptMyanmar, "မင်္ဂလာ"}}},
		{"leading punctuation joins the first run", "(สมชาย)", []Run{{ScriptThai, "(สมชาย)"}}},
		{"space joins the run before", "Somchai สมชาย", []Run{{ScriptLatin, "Somchai "}, {ScriptThai, "สมชาย"}}},
		{"mixed three scripts", "សុខ (Sok) အောင်", []Run{{ScriptKhmer, "សុខ ("}, {ScriptLatin, "Sok) "}, {ScriptMyanmar, "အောင်"}}},
		{"combining mark after a space stays", "a \u0301b", []Run{{ScriptLatin, "a \u0301b"}}},
		{"zero width joiner stays", "ក\u200dខ", []Run{{ScriptKhmer, "ក\u200dខ"}}},
		{"other script by name", "Ivan Иван", []Run{{ScriptLatin, "Ivan "}, {"Cyrillic", "Иван"}}},
		{"han", "李明", []Run{{"Han", "李明"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SplitRuns(tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SplitRuns(%q) = %q, want %q", tt.in, got, tt.want)
			}
			joined := ""
			for i, r := range got {
				joined += r.Text
				if i > 0 && got[i-1].Script == r.Script {
					t.Errorf("runs %d and %d share script %s", i-1, i, r.Script)
				}
			}
			if joined != tt.in {
				t.Errorf("runs join to %q, want the input %q", joined, tt.in)
			}
		})
	}
}

func TestFontFamily(t *testing.T) {
	type face struct {
		family string
		index  int
	}
	for s, want := range map[Script]face{
		ScriptLatin: {"NotoSans", 0}, ScriptCommon: {"NotoSans", 0}, "Cyrillic": {"NotoSans", 0},
		ScriptThai: {"NotoSansThai", 0}, ScriptKhmer: {"NotoSansKhmer", 0}, ScriptLao: {"NotoSansLao", 0},
		ScriptMyanmar: {"NotoSansMyanmar", 0}, "Old_Italic": {"NotoSansOldItalic", 0}, "Tamil": {"NotoSansTamil", 0},
		"Arabic": {"NotoSansArabic", 0},
		"Han":    {"NotoSansCJK", cjkFaceSC}, "Hiragana": {"NotoSansCJK", cjkFaceSC}, "Katakana": {"NotoSansCJK", cjkFaceSC},
		"Hangul": {"NotoSansCJK", cjkFaceSC},
	} {
		if fam, i := fontFamily(s); fam != want.family || i != want.index {
			t.Errorf("fontFamily(%s) = %s, %d; want %s, %d", s, fam, i, want.family, want.index)
		}
	}
}

func TestFontFilesLookInDebiansCJKFolder(t *testing.T) {
	got := fontFiles("/fonts", DefaultCJKFontDir, fontKey{family: cjkFamily, index: cjkFaceSC, bold: true})
	want := []string{"/fonts/NotoSansCJK-Bold.ttc", DefaultCJKFontDir + "/NotoSansCJK-Bold.ttc",
		"/fonts/NotoSansCJK-Regular.ttc", DefaultCJKFontDir + "/NotoSansCJK-Regular.ttc"}
	if !slices.Equal(got, want) {
		t.Errorf("fontFiles = %q, want %q", got, want)
	}
}
