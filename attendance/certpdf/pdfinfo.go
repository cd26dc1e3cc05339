package certpdf

import (
	"encoding/hex"
	"errors"
	"fmt"
)

// hexInfoStrings rewrites the literal strings of a canvas-written PDF's
// document information dictionary (object 2) as hex strings and fixes the
// cross-reference table that follows it.
//
// canvas writes the UTF-16BE of a non-ASCII title as a literal string and
// escapes only \, ( and ). A code unit with a 0x0D byte (Thai ญ U+0E0D,
// Myanmar ဍ U+100D, č U+010D) then puts a bare carriage return in the
// string, which a conforming reader turns into 0x0A: the name in the
// metadata would change. Hex strings carry every byte as it is.
func hexInfoStrings(pdf []byte) ([]byte, error) {
	out, err := replaceObject(pdf, 2, func(dict []byte) ([]byte, error) {
		return hexStrings(dict)
	})
	if err != nil {
		return nil, fmt.Errorf("pdf info: %w", err)
	}
	return out, nil
}

// hexStrings rewrites every literal string "(…)" of a PDF dictionary as a hex
// string "<…>".
func hexStrings(dict []byte) ([]byte, error) {
	var out, str []byte
	depth := 0
	for i := 0; i < len(dict); i++ {
		c := dict[i]
		if depth == 0 {
			if c == '(' {
				depth, str = 1, str[:0]
				continue
			}
			out = append(out, c)
			continue
		}
		switch c {
		case '\\':
			if i+1 == len(dict) {
				return nil, errors.New("string ends in an escape")
			}
			i++
			switch e := dict[i]; e {
			case 'n':
				str = append(str, '\n')
			case 'r':
				str = append(str, '\r')
			case 't':
				str = append(str, '\t')
			case 'b':
				str = append(str, '\b')
			case 'f':
				str = append(str, '\f')
			default: // \\ \( \) and anything canvas might escape
				str = append(str, e)
			}
			continue
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				out = append(out, '<')
				out = append(out, hex.EncodeToString(str)...)
				out = append(out, '>')
				continue
			}
		}
		str = append(str, c)
	}
	if depth != 0 {
		return nil, errors.New("unterminated string")
	}
	return out, nil
}
