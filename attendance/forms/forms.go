// Package forms reads the responses of the certificate validation and
// assessment form as form tools export them (Google Forms' CSV: a
// Timestamp, the Email Address, the name as it should appear on the
// certificate, optionally the attendance code and checkpoint words),
// recognising columns by meaning. Import keeps what it reads in a Sink:
// the store, which cmd hands over.
package forms

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/sheet"
)

// Field is what a form column holds.
type Field string

// Form fields.
const (
	FieldTimestamp       Field = "timestamp"
	FieldEmail           Field = "email"
	FieldCertificateName Field = "certificate_name"
	FieldCode            Field = "code"
	FieldCheckpoint      Field = "checkpoint" // several columns may hold checkpoint words
	FieldIgnore          Field = "ignore"
)

// ParseField reads a field name given with --map.
func ParseField(s string) (Field, error) {
	switch f := Field(strings.ToLower(strings.TrimSpace(s))); f {
	case FieldTimestamp, FieldEmail, FieldCertificateName, FieldCode, FieldCheckpoint, FieldIgnore:
		return f, nil
	case "name", "full_name":
		return FieldCertificateName, nil
	}
	return "", attendance.Errorf(attendance.EInvalid, "unknown form field %q: expected timestamp, email, certificate_name, code, checkpoint or ignore", s)
}

// fieldForHeader guesses what a form question is from its text.
func fieldForHeader(h string) Field {
	k := key(h)
	switch {
	case k == "timestamp" || k == "submittedat" || k == "submissiontime" || k == "completiontime":
		return FieldTimestamp
	case strings.Contains(k, "checkpoint") || strings.Contains(k, "keyword") || strings.Contains(k, "secretword") ||
		strings.Contains(k, "passphrase") || strings.Contains(k, "codeword"):
		return FieldCheckpoint
	case strings.Contains(k, "email"):
		return FieldEmail
	case strings.Contains(k, "attendancecode") || k == "code" || k == "yourcode":
		return FieldCode
	case strings.Contains(k, "name") && strings.Contains(k, "certificate"), k == "fullname", k == "name", k == "yourname", k == "completename":
		return FieldCertificateName
	}
	return ""
}

func key(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Result is what Read found: one response per email (the latest by
// timestamp), in order of first appearance.
type Result struct {
	Responses []attendance.FormResponse
	Rows      int // data rows read
	Replaced  int // rows superseded by a later submission of the same email
	Columns   map[Field][]string
}

// Read reads a form export. name is the file name for errors; mapping
// overrides the meaning of columns by header; loc is the zone of
// timestamps that carry none (Google Forms writes the form owner's zone).
// Any invalid row fails the whole read with an error naming its row and
// column.
func Read(r io.Reader, name string, mapping map[string]Field, loc *time.Location) (*Result, error) {
	if loc == nil {
		loc = time.UTC
	}
	sr, err := sheet.NewReader(r, name)
	if err != nil {
		return nil, err
	}
	cols := map[Field][]int{}
	over := map[string]Field{}
	for h, f := range mapping {
		over[strings.ToLower(strings.TrimSpace(h))] = f
	}
	used := map[string]bool{}
	var extra []int
	for i, h := range sr.Header {
		f, ok := over[strings.ToLower(h)]
		if ok {
			used[strings.ToLower(h)] = true
		} else {
			f = fieldForHeader(h)
		}
		switch f {
		case FieldIgnore:
		case "":
			if h != "" {
				extra = append(extra, i)
			}
		default:
			if f == FieldCertificateName && len(cols[f]) > 0 && !ok {
				// "Full Name" and "Name as it should appear on your
				// certificate": the certificate question wins.
				prev := cols[f][0]
				switch {
				case strings.Contains(key(h), "certificate") && !strings.Contains(key(sr.Header[prev]), "certificate"):
					extra = append(extra, prev)
					cols[f] = []int{i}
					continue
				case strings.Contains(key(sr.Header[prev]), "certificate") && !strings.Contains(key(h), "certificate"):
					extra = append(extra, i)
					continue
				}
			}
			if f != FieldCheckpoint && len(cols[f]) > 0 {
				if !ok {
					return nil, &attendance.InputError{File: name, Row: 1, Column: h,
						Msg: fmt.Sprintf("both %q and %q look like the %s column: say which with --map %q=%s or --map %q=ignore", sr.Header[cols[f][0]], h, f, h, f, h)}
				}
				cols[f] = nil
			}
			cols[f] = append(cols[f], i)
		}
	}
	for h := range over {
		if !used[h] {
			return nil, &attendance.InputError{File: name, Row: 1, Msg: fmt.Sprintf("--map names column %q, which the header does not have (it has: %s)", h, strings.Join(sr.Header, ", "))}
		}
	}
	if len(cols[FieldEmail]) == 0 {
		return nil, &attendance.InputError{File: name, Row: 1, Msg: fmt.Sprintf("no email column: expected \"Email Address\" (turn on \"Collect email addresses\" in the form) or --map COLUMN=email (the header has: %s)", strings.Join(sr.Header, ", "))}
	}
	if len(cols[FieldTimestamp]) == 0 {
		return nil, &attendance.InputError{File: name, Row: 1, Msg: fmt.Sprintf("no timestamp column: expected \"Timestamp\" or --map COLUMN=timestamp (the header has: %s)", strings.Join(sr.Header, ", "))}
	}
	res := &Result{Columns: map[Field][]string{}}
	for f, is := range cols {
		for _, i := range is {
			res.Columns[f] = append(res.Columns[f], sr.Header[i])
		}
	}
	byEmail := map[string]int{}
	for {
		row, err := sr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		res.Rows++
		fail := func(f Field, format string, args ...any) error {
			return &attendance.InputError{File: name, Row: row.Num, Line: row.Line, Column: sr.Header[cols[f][0]], Msg: fmt.Sprintf(format, args...)}
		}
		get := func(f Field) string {
			if is := cols[f]; len(is) > 0 {
				return strings.TrimSpace(row.Cells[is[0]])
			}
			return ""
		}
		fr := attendance.FormResponse{Row: row.Num, Answers: map[string]string{}}
		fr.Email = attendance.NormalizeEmail(get(FieldEmail))
		if err := attendance.ValidateEmail(fr.Email); err != nil {
			return nil, fail(FieldEmail, "%v", err)
		}
		ts := get(FieldTimestamp)
		if fr.SubmittedAt, err = ParseTimestamp(ts, loc); err != nil {
			return nil, fail(FieldTimestamp, "%v", err)
		}
		fr.CertificateName = attendance.NormalizeName(get(FieldCertificateName))
		if err := attendance.ValidateText(fr.CertificateName); err != nil {
			return nil, fail(FieldCertificateName, "%v", err)
		}
		if c := get(FieldCode); c != "" {
			fr.Code = attendance.NormalizeCode(c)
			if fr.Code == "" {
				if codes := attendance.ExtractCodes(c); len(codes) == 1 {
					fr.Code = codes[0]
				} else {
					return nil, fail(FieldCode, "%q is not an attendance code (expected 8 symbols like K7QM-4X2P)", c)
				}
			}
		}
		for _, i := range cols[FieldCheckpoint] {
			if v := strings.TrimSpace(row.Cells[i]); v != "" {
				fr.CheckpointWords = append(fr.CheckpointWords, v)
			}
		}
		for _, i := range extra {
			if v := strings.TrimSpace(row.Cells[i]); v != "" {
				fr.Answers[sr.Header[i]] = v
			}
		}
		if j, ok := byEmail[fr.Email]; ok {
			res.Replaced++
			if !fr.SubmittedAt.Before(res.Responses[j].SubmittedAt) {
				res.Responses[j] = fr
			}
			continue
		}
		byEmail[fr.Email] = len(res.Responses)
		res.Responses = append(res.Responses, fr)
	}
	return res, nil
}

var gmtSuffix = regexp.MustCompile(`\s*(?:GMT|UTC)([+-]\d{1,2})(?::?(\d{2}))?$`)

var layouts = []string{
	time.RFC3339Nano,
	"2006/01/02 3:04:05 PM",
	"2006/01/02 15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"1/2/2006 15:04:05",
	"1/2/2006 3:04:05 PM",
	"2006-01-02 15:04",
	"1/2/2006 15:04",
}

// ParseTimestamp reads a form timestamp as Google Forms, Sheets and Excel
// write it ("2026/11/20 10:15:32 AM GMT+7", "11/20/2026 10:15:32",
// RFC 3339). A timestamp without a zone is in loc. Day-first dates are
// not guessed: with an ambiguous order use RFC 3339.
func ParseTimestamp(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("the timestamp is empty")
	}
	zone := loc
	if m := gmtSuffix.FindStringSubmatch(s); m != nil {
		h, _ := strconv.Atoi(m[1])
		mins, _ := strconv.Atoi(m[2])
		off := h*3600 + sign(h, m[1])*mins*60
		zone = time.FixedZone("GMT"+m[1], off)
		s = s[:len(s)-len(m[0])]
	}
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, s, zone); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a timestamp (expected e.g. 2026/11/20 10:15:32 AM GMT+7, 11/20/2026 10:15:32 or 2026-11-20T10:15:32+07:00)", s)
}

func sign(h int, s string) int {
	if h < 0 || strings.HasPrefix(s, "-") {
		return -1
	}
	return 1
}
