package badges

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrBadSignature is wrapped by Verify's error when a signed credential is
// malformed, was not signed by the given key, or was changed after signing.
var ErrBadSignature = errors.New("badges: credential signature does not verify")

// jwtHeader is the JOSE header of a signed credential, in a fixed order.
type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid,omitempty"`
	Typ string `json:"typ,omitempty"`
}

// jwtClaims is the payload of a signed credential: the credential itself
// with the registered claims that VC-JWT maps onto it.
type jwtClaims struct {
	OpenBadgeCredential
	// Iss is the issuer id (issuer.id).
	Iss string `json:"iss"`
	// Jti is the credential id (id).
	Jti string `json:"jti"`
	// Nbf is validFrom in seconds since the epoch.
	Nbf int64 `json:"nbf"`
	// Sub is credentialSubject.id; our subjects are identified by
	// identifier objects instead, so it is absent.
	Sub string `json:"sub,omitempty"`
}

// Sign returns the credential as a VC-JWT: a compact JWS, signed with key
// under the header {"alg":key.Alg(),"kid":KeyID(issuer),"typ":"JWT"}.
// Ed25519 and RSA PKCS #1 v1.5 signatures are deterministic, so the same
// credential and key always give the same token.
func Sign(c OpenBadgeCredential, key *IssuerKey) (string, error) {
	if key == nil {
		return "", fmt.Errorf("%w: no issuer key to sign with", ErrInvalidInput)
	}
	if c.ID == "" || c.Issuer.ID == "" {
		return "", fmt.Errorf("%w: credential without id or issuer id", ErrInvalidInput)
	}
	validFrom, err := time.Parse(time.RFC3339, c.ValidFrom)
	if err != nil {
		return "", fmt.Errorf("%w: credential %s: validFrom: %v", ErrInvalidInput, c.ID, err)
	}
	header, err := marshalCompact(jwtHeader{Alg: key.Alg(), Kid: KeyID(c.Issuer.ID), Typ: "JWT"})
	if err != nil {
		return "", fmt.Errorf("badges: sign %s: header: %w", c.ID, err)
	}
	payload, err := marshalCompact(jwtClaims{
		OpenBadgeCredential: c,
		Iss:                 c.Issuer.ID,
		Jti:                 c.ID,
		Nbf:                 validFrom.Unix(),
	})
	if err != nil {
		return "", fmt.Errorf("badges: sign %s: payload: %w", c.ID, err)
	}
	b64 := base64.RawURLEncoding
	signingInput := b64.EncodeToString(header) + "." + b64.EncodeToString(payload)
	sig, err := key.sign([]byte(signingInput))
	if err != nil {
		return "", fmt.Errorf("badges: sign %s: %w", c.ID, err)
	}
	return signingInput + "." + b64.EncodeToString(sig), nil
}

// ErrNotYetValid is wrapped by Verify's error when a correctly signed
// credential is valid only from a time after now.
var ErrNotYetValid = errors.New("badges: credential is not valid yet")

// Verify checks a VC-JWT made by Sign against the issuer's public key and
// returns the credential it carries, following Open Badges 3.0 §8.2: the
// header must name the algorithm of pub's type, EdDSA for an
// ed25519.PublicKey and RS256 for an *rsa.PublicKey, never one the token
// picks (and, if it has a kid, the issuer's key), the
// signature must hold, and the iss, jti and nbf claims must agree with the
// credential's issuer id, id and validFrom. A malformed, tampered or
// foreign token gives an error wrapping ErrBadSignature; a good one whose
// validFrom is after now gives ErrNotYetValid. Certificates do not expire;
// whether one was revoked is for the verification page.
func Verify(token string, pub crypto.PublicKey, now time.Time) (OpenBadgeCredential, error) {
	fail := func(format string, args ...any) (OpenBadgeCredential, error) {
		return OpenBadgeCredential{}, fmt.Errorf("%w: %s", ErrBadSignature, fmt.Sprintf(format, args...))
	}
	h, rawPayload, err := verifyJWS(token, pub)
	if err != nil {
		return OpenBadgeCredential{}, err
	}
	// Only signed bytes are trusted from here on.
	var claims jwtClaims
	if err := json.Unmarshal(rawPayload, &claims); err != nil {
		return fail("payload is not a credential: %v", err)
	}
	c := claims.OpenBadgeCredential
	switch {
	case claims.Iss == "" || claims.Iss != c.Issuer.ID:
		return fail("iss %q does not match issuer %q", claims.Iss, c.Issuer.ID)
	case h.Kid != "" && h.Kid != KeyID(c.Issuer.ID):
		return fail("kid %q is not the issuer's key %q", h.Kid, KeyID(c.Issuer.ID))
	case claims.Jti != c.ID:
		return fail("jti %q does not match credential id %q", claims.Jti, c.ID)
	}
	validFrom, err := time.Parse(time.RFC3339, c.ValidFrom)
	if err != nil || validFrom.Unix() != claims.Nbf {
		return fail("nbf %d does not match validFrom %q", claims.Nbf, c.ValidFrom)
	}
	if validFrom.After(now) {
		return OpenBadgeCredential{}, fmt.Errorf("%w: valid from %s", ErrNotYetValid, c.ValidFrom)
	}
	return c, nil
}

// verifyJWS checks a compact JWS signed by pub's private key, with the
// algorithm of pub's type, and returns its header and payload: only then
// may the payload be trusted.
func verifyJWS(token string, pub crypto.PublicKey) (jwtHeader, []byte, error) {
	fail := func(format string, args ...any) (jwtHeader, []byte, error) {
		return jwtHeader{}, nil, fmt.Errorf("%w: %s", ErrBadSignature, fmt.Sprintf(format, args...))
	}
	var alg string
	var check func(signed, sig []byte) bool
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return fail("public key of %d bytes", len(k))
		}
		alg = AlgEdDSA
		check = func(signed, sig []byte) bool {
			return len(sig) == ed25519.SignatureSize && ed25519.Verify(k, signed, sig)
		}
	case *rsa.PublicKey:
		if k == nil || k.N == nil || k.N.BitLen() < MinRSABits {
			return fail("RSA public key under %d bits", MinRSABits)
		}
		alg = AlgRS256
		check = func(signed, sig []byte) bool {
			digest := sha256.Sum256(signed)
			return rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], sig) == nil
		}
	default:
		return fail("a %T, want an Ed25519 or RSA public key", pub)
	}
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 3 {
		return fail("not a compact JWS (%d parts)", len(parts))
	}
	b64 := base64.RawURLEncoding.Strict()
	rawHeader, err := b64.DecodeString(parts[0])
	if err != nil {
		return fail("header is not base64url")
	}
	rawPayload, err := b64.DecodeString(parts[1])
	if err != nil {
		return fail("payload is not base64url")
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		return fail("signature is not base64url")
	}
	var h jwtHeader
	if err := json.Unmarshal(rawHeader, &h); err != nil {
		return fail("header is not JSON")
	}
	if h.Alg != alg {
		return fail("alg %q, want %s for the issuer's key", h.Alg, alg)
	}
	if h.Typ != "" && h.Typ != "JWT" {
		return fail("typ %q, want JWT", h.Typ)
	}
	if !check([]byte(parts[0]+"."+parts[1]), sig) {
		return fail("wrong key or changed content")
	}
	return h, rawPayload, nil
}
