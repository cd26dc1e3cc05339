package certpdf

import (
	"sort"
	"unicode"
)

// Script names a Unicode script as far as font selection cares: the scripts
// of Southeast Asia that need their own font, Latin (which covers Vietnamese,
// Malay, Tagalog, Indonesian…), and any other script by its Unicode name
// (for example "Han" or "Tamil").
type Script string

// The scripts certpdf knows a font for out of the box.
const (
	ScriptLatin   Script = "Latin"
	ScriptThai    Script = "Thai"
	ScriptKhmer   Script = "Khmer"
	ScriptLao     Script = "Lao"
	ScriptMyanmar Script = "Myanmar"
	// ScriptCommon is the script of a run made only of spaces, digits and
	// punctuation; it is drawn with the Latin font.
	ScriptCommon Script = "Common"
	// ScriptSymbols is a run of symbols the Latin font lacks (emoji, most
	// pictographs), drawn in outline with Symbola (Debian's fonts-symbola):
	// no colour emoji font can be embedded in a PDF by the renderer.
	ScriptSymbols Script = "Symbols"
)

// Run is a stretch of text in one script.
type Run struct {
	Script Script
	Text   string
}

// otherScriptNames is unicode.Scripts' keys in a fixed order, so that the
// lookup is deterministic. It is computed, never modified.
func otherScriptNames() []string {
	names := make([]string, 0, len(unicode.Scripts))
	for name := range unicode.Scripts {
		switch name {
		case "Latin", "Thai", "Khmer", "Lao", "Myanmar", "Common", "Inherited":
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// scriptClass tells how a rune takes part in run splitting.
type scriptClass int

const (
	classBase      scriptClass = iota // a letter of a definite script
	classNeutral                      // space, digit, punctuation: joins the surrounding run
	classCombining                    // combining mark, joiner: stays with its base
)

// runeClass tells how r joins a run, without looking up its script.
func runeClass(r rune) scriptClass {
	switch {
	case unicode.Is(unicode.Inherited, r), unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc),
		r == '\u200c', r == '\u200d', unicode.Is(unicode.Variation_Selector, r):
		return classCombining
	case unicode.Is(unicode.Common, r):
		return classNeutral
	}
	return classBase
}

// runeScript returns the script of r and how it joins a run. others is
// called only for a rune outside the known scripts.
func runeScript(r rune, others func() []string) (Script, scriptClass) {
	// the scripts rollcall mostly sees come first
	switch {
	case unicode.Is(unicode.Latin, r):
		return ScriptLatin, classBase
	case unicode.Is(unicode.Thai, r):
		return ScriptThai, classBase
	case unicode.Is(unicode.Khmer, r):
		return ScriptKhmer, classBase
	case unicode.Is(unicode.Lao, r):
		return ScriptLao, classBase
	case unicode.Is(unicode.Myanmar, r):
		return ScriptMyanmar, classBase
	}
	switch class := runeClass(r); class {
	case classCombining:
		return "", class
	case classNeutral:
		return ScriptCommon, class
	}
	for _, name := range others() {
		if unicode.Is(unicode.Scripts[name], r) {
			return Script(name), classBase
		}
	}
	return ScriptCommon, classNeutral
}

// SplitRuns splits s into runs by script. Combining marks (Vietnamese tone
// marks in decomposed form, variation selectors, ZWJ/ZWNJ) stay with their
// base letter; spaces, digits and punctuation join the run before them, or
// the run after them at the start of s. A string made only of neutral runes
// is one run of ScriptCommon. Adjacent runs never share a script.
func SplitRuns(s string) []Run {
	var names []string
	others := func() []string {
		if names == nil {
			names = otherScriptNames()
		}
		return names
	}
	var runs []Run
	var cur Script // script of the run being built; "" while only neutrals are seen
	start := 0
	for i, r := range s {
		sc, class := runeScript(r, others)
		if class != classBase {
			continue // neutral or combining: joins whatever run is current
		}
		if cur == "" {
			cur = sc // leading neutrals join the first script run
			continue
		}
		if sc != cur {
			runs = append(runs, Run{Script: cur, Text: s[start:i]})
			cur, start = sc, i
		}
	}
	if start < len(s) {
		if cur == "" {
			cur = ScriptCommon
		}
		runs = append(runs, Run{Script: cur, Text: s[start:]})
	}
	return runs
}
