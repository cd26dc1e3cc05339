package badges

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Revocation status lists, after W3C Bitstring Status List v1.0: each
// credential names, in credentialStatus, a bit of its event's list; the
// issuer publishes the list as a signed credential, and a set bit means
// revoked.
const (
	// StatusListMinBits is the smallest list the specification allows
	// (§2.1 "MUST be at least 131,072 bits", 16 KB), so that a list does
	// not tell who was revoked by its size.
	StatusListMinBits = 131072
	// StatusPurposeRevocation is the only purpose rollcall publishes.
	StatusPurposeRevocation = "revocation"
	// TypeStatusEntry and TypeStatusListCredential are the types of a
	// credentialStatus and of the list credential.
	TypeStatusEntry          = "BitstringStatusListEntry"
	TypeStatusListCredential = "BitstringStatusListCredential"
)

// ErrStatusList is wrapped by the errors of a status list that cannot be
// read: a bad encoding, a short list, an index outside it.
var ErrStatusList = errors.New("badges: bad status list")

// CredentialStatus is a credential's entry in a status list
// (BitstringStatusListEntry).
type CredentialStatus struct {
	ID                   string `json:"id"`
	Type                 string `json:"type"`
	StatusPurpose        string `json:"statusPurpose"`
	StatusListIndex      string `json:"statusListIndex"`
	StatusListCredential string `json:"statusListCredential"`
}

// StatusEntry returns the credentialStatus of the index-th bit of the
// list published at listURL.
func StatusEntry(listURL string, index int64) CredentialStatus {
	i := strconv.FormatInt(index, 10)
	return CredentialStatus{ID: listURL + "#" + i, Type: TypeStatusEntry, StatusPurpose: StatusPurposeRevocation,
		StatusListIndex: i, StatusListCredential: listURL}
}

// StatusListCredential is the signed list itself
// (BitstringStatusListCredential).
type StatusListCredential struct {
	Context           []string          `json:"@context"`
	ID                string            `json:"id"`
	Type              []string          `json:"type"`
	Issuer            string            `json:"issuer"`
	ValidFrom         string            `json:"validFrom"`
	CredentialSubject StatusListSubject `json:"credentialSubject"`
}

// StatusListSubject carries the encoded list.
type StatusListSubject struct {
	ID            string `json:"id"`
	Type          string `json:"type"`
	StatusPurpose string `json:"statusPurpose"`
	// EncodedList is the multibase base64url (prefix "u", no padding) of
	// the GZIP-compressed bitstring; bit 0 is the most significant bit of
	// the first byte.
	EncodedList string `json:"encodedList"`
	// TTL is how long, in milliseconds, a verifier may cache the list.
	TTL int64 `json:"ttl,omitempty"`
}

// EncodeStatusList returns the encodedList of a list of at least
// StatusListMinBits bits (more, in whole bytes, when an index needs it)
// with the given bits set.
func EncodeStatusList(set []int64) (string, error) {
	size := int64(StatusListMinBits)
	for _, i := range set {
		if i < 0 {
			return "", fmt.Errorf("%w: negative index %d", ErrStatusList, i)
		}
		size = max(size, (i/8+1)*8)
	}
	bits := make([]byte, size/8)
	for _, i := range set {
		bits[i/8] |= 0x80 >> (i % 8)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(bits); err != nil {
		return "", fmt.Errorf("badges: compress status list: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("badges: compress status list: %w", err)
	}
	return "u" + base64.RawURLEncoding.EncodeToString(buf.Bytes()), nil
}

// DecodeStatusList returns the bitstring of an encodedList, as a verifier
// reads it: multibase base64url, then GZIP; a list under
// StatusListMinBits is refused.
func DecodeStatusList(encoded string) ([]byte, error) {
	rest, ok := strings.CutPrefix(encoded, "u")
	if !ok {
		return nil, fmt.Errorf("%w: encodedList is not multibase base64url", ErrStatusList)
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("%w: encodedList: %v", ErrStatusList, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: encodedList is not GZIP: %v", ErrStatusList, err)
	}
	// a list of a million credentials is 128 KB; more is not a list of ours
	bits, err := io.ReadAll(io.LimitReader(zr, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("%w: encodedList: %v", ErrStatusList, err)
	}
	if len(bits)*8 < StatusListMinBits {
		return nil, fmt.Errorf("%w: %d bits, under the %d the specification requires", ErrStatusList, len(bits)*8, StatusListMinBits)
	}
	return bits, nil
}

// StatusBit reports whether the index-th bit of a decoded list is set.
func StatusBit(bits []byte, index int64) (bool, error) {
	if index < 0 || index >= int64(len(bits))*8 {
		return false, fmt.Errorf("%w: index %d outside a list of %d bits", ErrStatusList, index, len(bits)*8)
	}
	return bits[index/8]&(0x80>>(index%8)) != 0, nil
}

// NewStatusList returns the revocation list credential published at
// listURL by issuer, with the revoked indexes set, valid from now
// (truncated to the second). ttl tells verifiers how long they may cache
// it.
func NewStatusList(issuer Issuer, listURL string, revoked []int64, now time.Time, ttl time.Duration) (StatusListCredential, error) {
	if err := checkIssuer(issuer); err != nil {
		return StatusListCredential{}, err
	}
	if err := checkURL(listURL); err != nil {
		return StatusListCredential{}, fmt.Errorf("%w: status list url: %v", ErrInvalidInput, err)
	}
	enc, err := EncodeStatusList(revoked)
	if err != nil {
		return StatusListCredential{}, err
	}
	return StatusListCredential{
		Context:   []string{ContextCredentialsV2},
		ID:        listURL,
		Type:      []string{"VerifiableCredential", TypeStatusListCredential},
		Issuer:    issuer.ID,
		ValidFrom: now.UTC().Truncate(time.Second).Format(time.RFC3339),
		CredentialSubject: StatusListSubject{ID: listURL + "#list", Type: "BitstringStatusList",
			StatusPurpose: StatusPurposeRevocation, EncodedList: enc, TTL: ttl.Milliseconds()},
	}, nil
}

// statusClaims is the payload of a signed status list: the credential
// with the iss, jti and nbf claims, as Sign writes a badge.
type statusClaims struct {
	StatusListCredential
	Iss string `json:"iss"`
	Jti string `json:"jti"`
	Nbf int64  `json:"nbf"`
}

// SignStatusList returns the list as a VC-JWT signed like the badges
// (Sign): the same key, header and registered claims.
func SignStatusList(c StatusListCredential, key *IssuerKey) (string, error) {
	if key == nil {
		return "", fmt.Errorf("%w: no issuer key to sign with", ErrInvalidInput)
	}
	validFrom, err := time.Parse(time.RFC3339, c.ValidFrom)
	if err != nil {
		return "", fmt.Errorf("%w: status list %s: validFrom: %v", ErrInvalidInput, c.ID, err)
	}
	header, err := marshalCompact(jwtHeader{Alg: key.Alg(), Kid: KeyID(c.Issuer), Typ: "JWT"})
	if err != nil {
		return "", fmt.Errorf("badges: sign status list: %w", err)
	}
	payload, err := marshalCompact(statusClaims{StatusListCredential: c, Iss: c.Issuer, Jti: c.ID, Nbf: validFrom.Unix()})
	if err != nil {
		return "", fmt.Errorf("badges: sign status list: %w", err)
	}
	b64 := base64.RawURLEncoding
	signingInput := b64.EncodeToString(header) + "." + b64.EncodeToString(payload)
	sig, err := key.sign([]byte(signingInput))
	if err != nil {
		return "", fmt.Errorf("badges: sign status list %s: %w", c.ID, err)
	}
	return signingInput + "." + b64.EncodeToString(sig), nil
}

// VerifyStatusList checks a signed status list against the issuer's
// public key as Verify checks a badge, and that it is a revocation list
// whose id is listURL (the URL it was fetched from, as the credential's
// statusListCredential names it).
func VerifyStatusList(token string, pub crypto.PublicKey, listURL string) (StatusListCredential, error) {
	fail := func(format string, args ...any) (StatusListCredential, error) {
		return StatusListCredential{}, fmt.Errorf("%w: %s", ErrBadSignature, fmt.Sprintf(format, args...))
	}
	h, raw, err := verifyJWS(token, pub)
	if err != nil {
		return StatusListCredential{}, err
	}
	var claims statusClaims
	if err := json.Unmarshal(raw, &claims); err != nil {
		return fail("payload is not a status list: %v", err)
	}
	c := claims.StatusListCredential
	switch {
	case claims.Iss == "" || claims.Iss != c.Issuer:
		return fail("iss %q does not match issuer %q", claims.Iss, c.Issuer)
	case h.Kid != "" && h.Kid != KeyID(c.Issuer):
		return fail("kid %q is not the issuer's key", h.Kid)
	case c.ID != listURL || claims.Jti != c.ID:
		return fail("status list %q is not the one at %q", c.ID, listURL)
	case !slices.Contains(c.Type, TypeStatusListCredential):
		return fail("type %v is not a %s", c.Type, TypeStatusListCredential)
	case c.CredentialSubject.StatusPurpose != StatusPurposeRevocation:
		return fail("status purpose %q, want %s", c.CredentialSubject.StatusPurpose, StatusPurposeRevocation)
	}
	return c, nil
}

// Revoked reports whether a credential's status, looked up in its
// verified status list, says revoked: the purpose must match and the
// entry's bit be set.
func Revoked(entry CredentialStatus, list StatusListCredential) (bool, error) {
	if entry.Type != TypeStatusEntry || entry.StatusPurpose != StatusPurposeRevocation {
		return false, fmt.Errorf("%w: entry of type %q and purpose %q", ErrStatusList, entry.Type, entry.StatusPurpose)
	}
	if entry.StatusListCredential != list.ID {
		return false, fmt.Errorf("%w: entry names list %q, not %q", ErrStatusList, entry.StatusListCredential, list.ID)
	}
	index, err := strconv.ParseInt(entry.StatusListIndex, 10, 64)
	if err != nil {
		return false, fmt.Errorf("%w: index %q", ErrStatusList, entry.StatusListIndex)
	}
	bits, err := DecodeStatusList(list.CredentialSubject.EncodedList)
	if err != nil {
		return false, err
	}
	return StatusBit(bits, index)
}
