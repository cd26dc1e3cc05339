package attendance

import (
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// Checkpoint is a word announced during a stream, with the window in which
// typing it in chat counts. The word is the answer: it never goes to logs,
// metrics or anonymous pages; the number names a checkpoint there.
type Checkpoint struct {
	ID       int64
	EventID  int64
	Number   int
	Word     string
	OpensAt  time.Time
	ClosesAt time.Time
	Hits     int64
}

// Open reports whether t lies in the checkpoint's window, ends included.
func (c Checkpoint) Open(t time.Time) bool {
	return !t.Before(c.OpensAt) && !t.After(c.ClosesAt)
}

// Checkpoint hit sources.
const (
	HitChat = "chat"
	HitForm = "form"
)

// MatchesWord reports whether a chat message (or a form answer) contains a
// checkpoint word, ignoring case, accents and full-width forms: "pho" answers
// "Phở", "ＢＡＭＢＯＯ" answers "bamboo". Words in Latin and other spaced
// scripts match whole words, also inside a sentence ("I think it is pho!");
// a word written in a script without spaces between words (Thai, Lao,
// Khmer, Burmese, Chinese, Japanese) matches anywhere in the text.
func MatchesWord(text, word string) bool {
	return NewText(text).Contains(NewWord(word))
}

// foldText returns s in the form words are compared in: half-width, lower
// case, without the accents of Latin, Greek and Cyrillic letters (đ is d),
// NFC. Marks of other scripts (Thai vowels, Khmer signs) are letters there
// and are kept.
func foldText(s string) string {
	s = norm.NFD.String(width.Fold.String(s))
	var b strings.Builder
	b.Grow(len(s))
	var base rune
	for _, r := range s {
		if unicode.Is(unicode.Mn, r) {
			if unicode.In(base, unicode.Latin, unicode.Greek, unicode.Cyrillic) {
				continue
			}
		} else {
			base = r
		}
		switch r {
		case 'đ', 'Đ':
			r = 'd'
		case 'ł', 'Ł':
			r = 'l'
		case 'ø', 'Ø':
			r = 'o'
		case 'ß':
			b.WriteString("ss")
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return norm.NFC.String(b.String())
}

// unspaced reports whether s holds letters of a script written without
// spaces between words.
func unspaced(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar, unicode.Han,
			unicode.Hiragana, unicode.Katakana, unicode.Tibetan) {
			return true
		}
	}
	return false
}

// squeeze drops white space and punctuation, for substring matching.
func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsPunct(r) {
			return -1
		}
		return r
	}, s)
}

// tokens splits s into runs of letters, marks and digits.
func tokens(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.M, r)
	})
}

// Word is a checkpoint word prepared for matching many messages.
type Word struct {
	unspaced bool
	squeezed string
	tokens   []string
}

// NewWord prepares a checkpoint word; Text.Contains(w) then gives what
// MatchesWord gives, folding each message once however many words there are.
func NewWord(word string) Word {
	w := foldText(word)
	return Word{unspaced: unspaced(w), squeezed: squeeze(w), tokens: tokens(w)}
}

// Text is a message folded for matching checkpoint words.
type Text struct {
	folded   string
	squeezed *string
	tokens   []string
	split    bool
}

// NewText folds a message for matching.
func NewText(text string) *Text { return &Text{folded: foldText(text)} }

// Contains reports whether the message contains the word.
func (t *Text) Contains(w Word) bool {
	if w.unspaced {
		if w.squeezed == "" {
			return false
		}
		if t.squeezed == nil {
			s := squeeze(t.folded)
			t.squeezed = &s
		}
		return strings.Contains(*t.squeezed, w.squeezed)
	}
	if len(w.tokens) == 0 {
		return false
	}
	if !t.split {
		t.tokens, t.split = tokens(t.folded), true
	}
	for i := 0; i+len(w.tokens) <= len(t.tokens); i++ {
		ok := true
		for j := range w.tokens {
			if t.tokens[i+j] != w.tokens[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
