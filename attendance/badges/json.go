package badges

import (
	"bytes"
	"encoding/json"
)

// marshalCompact encodes v without HTML escaping and without the trailing
// newline; the same value always gives the same bytes.
func marshalCompact(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// marshalIndent encodes v indented by two spaces, ending in a newline, for
// files people read.
func marshalIndent(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// MarshalCredential returns the credential as indented JSON ending in a
// newline: the bytes of the .json files WriteAll writes.
func MarshalCredential(c OpenBadgeCredential) ([]byte, error) {
	return marshalIndent(c)
}
