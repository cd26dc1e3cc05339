package certpdf

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
)

// TestCheckNameAgreesWithRender: CheckName accepts what Render prints and
// refuses, with the same error types, what Render refuses.
func TestCheckNameAgreesWithRender(t *testing.T) {
	r := testRenderer(t)
	tpl, _ := DefaultTemplate(TypeParticipation)
	for _, tt := range []struct {
		label, name string
		want        any // nil: printable
	}{
		{"thai", "สมศักดิ์ ศรีสุข", nil},
		{"khmer", "សុខ ស្រីពេជ្រ", nil},
		{"burmese", "အောင်ဆန်းစုကြည်", nil},
		{"vietnamese nfd", "Nguye\u0302\u0303n Thi\u0323 Ngo\u0323c A\u0301nh", nil},
		{"emoji", "Ana 😀 Cruz", nil}, // Symbola draws it
		{"emoji newer than Symbola", "Ana 🥲 Cruz", new(*MissingGlyphError)},
		{"chinese", "Lim Wei Ling 林慧玲", nil},
	} {
		t.Run(tt.label, func(t *testing.T) {
			err := r.CheckName(tt.name)
			rerr := r.Render(context.Background(), new(bytes.Buffer), tpl, sampleCertificate(tt.name))
			if tt.want == nil {
				if err != nil || rerr != nil {
					t.Fatalf("CheckName = %v, Render = %v; want both nil", err, rerr)
				}
				return
			}
			if !errors.As(err, tt.want) || !errors.As(rerr, tt.want) {
				t.Fatalf("CheckName = %v, Render = %v; want %T", err, rerr, tt.want)
			}
		})
	}
	if err := latinOnlyRenderer(t, r).CheckName("李明"); !errors.As(err, new(*MissingFontError)) {
		t.Errorf("CheckName(han) without a CJK font = %v, want a MissingFontError", err)
	}
	if err := r.CheckName("  "); err == nil {
		t.Fatal("an empty name passed")
	}
}

// TestDiagnoseAgreesWithCheckName: the import's fast check says what
// CheckName says, and names the missing characters.
func TestDiagnoseAgreesWithCheckName(t *testing.T) {
	r := testRenderer(t)
	for _, tt := range []struct {
		name    string
		missing []rune
	}{
		{"José Rizal", nil},
		{"Lim Wei Ling 林慧玲", nil},
		{"សុខ ដារ៉ា", nil},
		{"نور ڤوتري بنت عثمان", nil},
		{"Ana 😀 Cruz", nil},
		{"Ana 🥲 Cruz", []rune{'🥲'}},
		{"Lim 𗀀 🥲", []rune{'𗀀', '🥲'}},
	} {
		missing, err := r.Diagnose(tt.name)
		if cerr := r.CheckName(tt.name); (err == nil) != (cerr == nil) || !slices.Equal(missing, tt.missing) {
			t.Errorf("Diagnose(%q) = %q, %v; CheckName = %v; want missing %q", tt.name, missing, err, cerr, tt.missing)
		}
	}
	if _, err := r.Diagnose(" "); err == nil {
		t.Error("an empty name passed")
	}
}
