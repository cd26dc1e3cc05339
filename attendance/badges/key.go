package badges

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/big"
	"os"
	"runtime"
)

// ErrInsecureKeyFile is wrapped by LoadIssuerKey's error when the key file's
// mode allows more than 0600 (read and write by its owner).
var ErrInsecureKeyFile = errors.New("badges: issuer key file permissions are too open")

// Signing algorithms, as the JOSE header names them.
const (
	// AlgEdDSA signs with an Ed25519 key.
	AlgEdDSA = "EdDSA"
	// AlgRS256 signs with an RSA key (PKCS #1 v1.5, SHA-256): the one
	// algorithm every Open Badges 3.0 verifier must support.
	AlgRS256 = "RS256"
)

// MinRSABits is the smallest RSA modulus accepted, for signing and in a
// JWK.
const MinRSABits = 2048

// IssuerKey is the issuer's signing key: Ed25519 (AlgEdDSA) or RSA of at
// least MinRSABits (AlgRS256). It never prints, logs or marshals its
// private half: every fmt verb, slog and encoding/json see "[redacted]".
type IssuerKey struct {
	ed  ed25519.PrivateKey
	rsa *rsa.PrivateKey
}

// NewIssuerKey wraps an Ed25519 private key (64 bytes, as from
// ed25519.GenerateKey or ed25519.NewKeyFromSeed) or an *rsa.PrivateKey of
// at least MinRSABits.
func NewIssuerKey(priv crypto.PrivateKey) (*IssuerKey, error) {
	switch k := priv.(type) {
	case ed25519.PrivateKey:
		if len(k) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("%w: Ed25519 private key of %d bytes, want %d", ErrInvalidInput, len(k), ed25519.PrivateKeySize)
		}
		return &IssuerKey{ed: bytes.Clone(k)}, nil
	case *rsa.PrivateKey:
		if k == nil || k.N == nil {
			return nil, fmt.Errorf("%w: empty RSA key", ErrInvalidInput)
		}
		if bits := k.N.BitLen(); bits < MinRSABits {
			return nil, fmt.Errorf("%w: RSA key of %d bits, want at least %d", ErrInvalidInput, bits, MinRSABits)
		}
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("%w: RSA key does not validate", ErrInvalidInput)
		}
		return &IssuerKey{rsa: k}, nil
	}
	return nil, fmt.Errorf("%w: a %T, want an Ed25519 or RSA private key", ErrInvalidInput, priv)
}

// LoadIssuerKey reads the issuer's private key from path (the
// --issuer-key-file flag). The file holds a PEM block "PRIVATE KEY" (PKCS
// #8 of an Ed25519 or RSA key, as written by `openssl genpkey -algorithm
// ed25519` or `-algorithm rsa -pkeyopt rsa_keygen_bits:3072`), a PEM block
// "RSA PRIVATE KEY" (PKCS #1), or a 32-byte Ed25519 seed in standard or
// URL-safe base64. The file must be readable by
// its owner only (mode 0600 or stricter); otherwise LoadIssuerKey refuses it
// with an error wrapping ErrInsecureKeyFile. Errors never quote the file's
// contents.
func LoadIssuerKey(path string) (*IssuerKey, error) {
	// Stat the open file, not the path, so that the file checked is the
	// file read.
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("badges: issuer key: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("badges: issuer key: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("badges: issuer key %s: not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&^keyFilePerm != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("%w: %s has mode %04o; it must be 0600 or stricter (chmod 600 %s)", ErrInsecureKeyFile, path, perm, path)
	}
	// A key file is a few hundred bytes; refuse to read a large file whole.
	raw, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("badges: issuer key %s: %w", path, err)
	}
	defer clear(raw)
	key, err := parseIssuerKey(raw)
	if err != nil {
		return nil, fmt.Errorf("badges: issuer key %s: %w", path, err)
	}
	return key, nil
}

// parseIssuerKey reads the contents of a key file. Its errors say what was
// wrong, never what was there.
func parseIssuerKey(raw []byte) (*IssuerKey, error) {
	trimmed := bytes.TrimSpace(raw)
	if bytes.HasPrefix(trimmed, []byte("-----BEGIN")) {
		block, rest := pem.Decode(trimmed)
		if block == nil {
			return nil, errors.New("not a valid PEM block")
		}
		defer clear(block.Bytes)
		if len(bytes.TrimSpace(rest)) != 0 {
			return nil, errors.New("more than one PEM block")
		}
		var k any
		var err error
		switch block.Type {
		case "PRIVATE KEY":
			if k, err = x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
				return nil, errors.New("not a PKCS #8 private key")
			}
		case "RSA PRIVATE KEY":
			if k, err = x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
				return nil, errors.New("not a PKCS #1 RSA private key")
			}
		default:
			return nil, fmt.Errorf("PEM block %q, want \"PRIVATE KEY\" (PKCS #8) or \"RSA PRIVATE KEY\"", block.Type)
		}
		return NewIssuerKey(k)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		seed, err := enc.DecodeString(string(trimmed))
		if err != nil {
			continue
		}
		defer clear(seed)
		if len(seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("base64 of %d bytes, want a %d-byte Ed25519 seed", len(seed), ed25519.SeedSize)
		}
		return &IssuerKey{ed: ed25519.NewKeyFromSeed(seed)}, nil
	}
	return nil, errors.New("neither a PEM \"PRIVATE KEY\" block nor a base64 Ed25519 seed")
}

// Public returns the public half of the key: an ed25519.PublicKey or an
// *rsa.PublicKey.
func (k *IssuerKey) Public() crypto.PublicKey {
	if k.rsa != nil {
		return &rsa.PublicKey{N: new(big.Int).Set(k.rsa.N), E: k.rsa.E}
	}
	return ed25519.PublicKey(bytes.Clone(k.ed.Public().(ed25519.PublicKey)))
}

// Alg is the JOSE algorithm the key signs with: AlgEdDSA or AlgRS256.
func (k *IssuerKey) Alg() string {
	if k.rsa != nil {
		return AlgRS256
	}
	return AlgEdDSA
}

// sign signs msg. Both algorithms are deterministic: the same message and
// key give the same signature.
func (k *IssuerKey) sign(msg []byte) ([]byte, error) {
	if k.rsa != nil {
		digest := sha256.Sum256(msg)
		return rsa.SignPKCS1v15(nil, k.rsa, crypto.SHA256, digest[:])
	}
	return ed25519.Sign(k.ed, msg), nil
}

const redacted = "[redacted]"

// String returns "[redacted]": the key is never printed.
func (k IssuerKey) String() string { return redacted }

// GoString returns "[redacted]": the key is never printed, even with %#v.
func (k IssuerKey) GoString() string { return redacted }

// Format writes "[redacted]" for every verb, so no fmt verb (%x, %d …)
// reaches the key bytes through reflection.
func (k IssuerKey) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue keeps the key out of slog records.
func (k IssuerKey) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON keeps the key out of JSON (a config dump, say).
func (k IssuerKey) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// KeyID returns the id of the issuer's signing key: the issuer id and the
// fragment "#key-1". It is the "kid" of every signed credential and the id
// of the key in IssuerKeyDocument.
func KeyID(issuerID string) string {
	return issuerID + "#key-1"
}

// JWK is a public key as a JSON Web Key: Ed25519 (kty OKP, RFC 8037) or
// RSA (kty RSA, RFC 7518 §6.3).
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	Kid string `json:"kid,omitempty"`
	Alg string `json:"alg,omitempty"`
	Use string `json:"use,omitempty"`
}

// PublicJWK returns pub (an ed25519.PublicKey or an *rsa.PublicKey of at
// least MinRSABits) as a JSON Web Key with the given key id.
func PublicJWK(kid string, pub crypto.PublicKey) (JWK, error) {
	b64 := base64.RawURLEncoding
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return JWK{}, fmt.Errorf("%w: Ed25519 public key of %d bytes", ErrInvalidInput, len(k))
		}
		return JWK{Kty: "OKP", Crv: "Ed25519", X: b64.EncodeToString(k), Kid: kid, Alg: AlgEdDSA, Use: "sig"}, nil
	case *rsa.PublicKey:
		if k == nil || k.N == nil || k.N.BitLen() < MinRSABits || k.E < 3 {
			return JWK{}, fmt.Errorf("%w: RSA public key under %d bits or without an exponent", ErrInvalidInput, MinRSABits)
		}
		e := big.NewInt(int64(k.E)).Bytes()
		return JWK{Kty: "RSA", N: b64.EncodeToString(k.N.Bytes()), E: b64.EncodeToString(e), Kid: kid, Alg: AlgRS256, Use: "sig"}, nil
	}
	return JWK{}, fmt.Errorf("%w: a %T, want an Ed25519 or RSA public key", ErrInvalidInput, pub)
}

// PublicKey returns the key a JWK holds: an ed25519.PublicKey or an
// *rsa.PublicKey.
func (j JWK) PublicKey() (crypto.PublicKey, error) {
	b64 := base64.RawURLEncoding.Strict()
	switch {
	case j.Kty == "OKP" && j.Crv == "Ed25519":
		b, err := b64.DecodeString(j.X)
		if err != nil || len(b) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: JWK x is not a %d-byte base64url key", ErrInvalidInput, ed25519.PublicKeySize)
		}
		return ed25519.PublicKey(b), nil
	case j.Kty == "RSA":
		n, err := b64.DecodeString(j.N)
		if err != nil || len(n) == 0 || n[0] == 0 {
			return nil, fmt.Errorf("%w: JWK n is not a base64url modulus", ErrInvalidInput)
		}
		e, err := b64.DecodeString(j.E)
		if err != nil || len(e) == 0 || len(e) > 4 || e[0] == 0 {
			return nil, fmt.Errorf("%w: JWK e is not a base64url exponent", ErrInvalidInput)
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < MinRSABits || pub.E < 3 || pub.E%2 == 0 {
			return nil, fmt.Errorf("%w: JWK RSA key of %d bits with exponent %d, want at least %d bits and an odd exponent", ErrInvalidInput, pub.N.BitLen(), pub.E, MinRSABits)
		}
		return pub, nil
	}
	return nil, fmt.Errorf("%w: JWK kty %q crv %q, want OKP Ed25519 or RSA", ErrInvalidInput, j.Kty, j.Crv)
}

// issuerDocument is the issuer profile with its public key, as published.
type issuerDocument struct {
	Context []string `json:"@context"`
	Profile
	VerificationMethod []verificationMethod `json:"verificationMethod"`
	AssertionMethod    []string             `json:"assertionMethod"`
}

type verificationMethod struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	Controller   string `json:"controller"`
	PublicKeyJWK JWK    `json:"publicKeyJwk"`
}

// IssuerKeyDocument returns the document to publish at the issuer id (the
// --public-url + "/issuer" page, as application/json): the issuer Profile
// with its public key as a JsonWebKey verification method whose id is
// KeyID(issuer.ID), so that a verifier that dereferences a credential's
// "kid" finds the key under that fragment.
func IssuerKeyDocument(issuer Issuer, pub crypto.PublicKey) ([]byte, error) {
	if err := checkIssuer(issuer); err != nil {
		return nil, err
	}
	kid := KeyID(issuer.ID)
	jwk, err := PublicJWK(kid, pub)
	if err != nil {
		return nil, err
	}
	doc := issuerDocument{
		Context: []string{ContextCredentialsV2, ContextOpenBadgesV3},
		Profile: profile(issuer),
		VerificationMethod: []verificationMethod{{
			ID:           kid,
			Type:         "JsonWebKey",
			Controller:   issuer.ID,
			PublicKeyJWK: jwk,
		}},
		AssertionMethod: []string{kid},
	}
	return marshalIndent(doc)
}

// JWKS returns the issuer's public key as a JSON Web Key Set
// ({"keys":[…]}), for verifiers that look keys up by "kid" in a key set.
func JWKS(issuer Issuer, pub crypto.PublicKey) ([]byte, error) {
	jwk, err := PublicJWK(KeyID(issuer.ID), pub)
	if err != nil {
		return nil, err
	}
	return marshalIndent(struct {
		Keys []JWK `json:"keys"`
	}{[]JWK{jwk}})
}

// keyFilePerm is the mode LoadIssuerKey accepts at most.
const keyFilePerm fs.FileMode = 0o600
