package attendance

import (
	"errors"
	"fmt"
)

// Error codes. Every error a caller should act on carries one; the CLI maps
// them to exit codes and the dashboard to HTTP statuses, each in one place.
const (
	EInvalid  = "invalid"   // bad input or usage: exit 2, HTTP 400
	ENotFound = "not_found" // no such thing: exit 2, HTTP 404
	EConflict = "conflict"  // would break a uniqueness rule: exit 2, HTTP 409
	EInternal = "internal"  // everything else: exit 1, HTTP 500
)

// Error is an error with a code and a message safe to show to the user.
type Error struct {
	Code    string
	Message string
}

// Error implements error.
func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error or *InputError in err's
// chain, or EInternal.
func ErrorCode(err error) string {
	var e *Error
	var ie *InputError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ie):
		return EInvalid
	case errors.As(err, &e):
		return e.Code
	default:
		return EInternal
	}
}

// InputError is a problem with one place in an input file. Row is the row
// number as a spreadsheet shows it (the header is row 1); Line is the line of
// the file where that row starts, which differs when cells hold newlines.
type InputError struct {
	File   string
	Row    int
	Line   int
	Column string // header of the column, or its letter when there is no header
	Msg    string
}

// Error implements error: "people.csv: row 7 (line 9), column "Email": ...".
func (e *InputError) Error() string {
	s := e.File
	if e.Row > 0 {
		s += fmt.Sprintf(": row %d", e.Row)
		if e.Line > 0 && e.Line != e.Row {
			s += fmt.Sprintf(" (line %d)", e.Line)
		}
	} else if e.Line > 0 {
		s += fmt.Sprintf(": line %d", e.Line)
	}
	if e.Column != "" {
		s += fmt.Sprintf(", column %q", e.Column)
	}
	return s + ": " + e.Msg
}
