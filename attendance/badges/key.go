package badges

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
)

// ErrInsecureKeyFile is wrapped by LoadIssuerKey's error when the key file's
// mode allows more than 0600 (read and write by its owner).
var ErrInsecureKeyFile = errors.New("badges: issuer key file permissions are too open")

// IssuerKey is the issuer's Ed25519 signing key. It never prints, logs or
// marshals its private half: every fmt verb, slog and encoding/json see
// "[redacted]".
type IssuerKey struct {
	priv ed25519.PrivateKey
}

// NewIssuerKey wraps an Ed25519 private key (64 bytes, as from
// ed25519.GenerateKey or ed25519.NewKeyFromSeed).
func NewIssuerKey(priv ed25519.PrivateKey) (*IssuerKey, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: Ed25519 private key of %d bytes, want %d", ErrInvalidInput, len(priv), ed25519.PrivateKeySize)
	}
	return &IssuerKey{priv: bytes.Clone(priv)}, nil
}

// LoadIssuerKey reads the issuer's Ed25519 private key from path (the
// --issuer-key-file flag). The file holds either a PEM block "PRIVATE KEY"
// (PKCS #8, as written by `openssl genpkey -algorithm ed25519`) or the
// 32-byte seed in standard or URL-safe base64. The file must be readable by
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
		if block.Type != "PRIVATE KEY" {
			return nil, fmt.Errorf("PEM block %q, want \"PRIVATE KEY\" (PKCS #8)", block.Type)
		}
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("not a PKCS #8 private key")
		}
		priv, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("a %T, want an Ed25519 key", k)
		}
		return &IssuerKey{priv: priv}, nil
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
		return &IssuerKey{priv: ed25519.NewKeyFromSeed(seed)}, nil
	}
	return nil, errors.New("neither a PEM \"PRIVATE KEY\" block nor a base64 Ed25519 seed")
}

// Public returns the public half of the key.
func (k *IssuerKey) Public() ed25519.PublicKey {
	return bytes.Clone(k.priv.Public().(ed25519.PublicKey))
}

func (k *IssuerKey) sign(msg []byte) []byte {
	return ed25519.Sign(k.priv, msg)
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

// JWK is an Ed25519 public key as a JSON Web Key (RFC 8037).
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid,omitempty"`
	Alg string `json:"alg,omitempty"`
	Use string `json:"use,omitempty"`
}

// PublicJWK returns pub as a JSON Web Key with the given key id.
func PublicJWK(kid string, pub ed25519.PublicKey) JWK {
	return JWK{
		Kty: "OKP",
		Crv: "Ed25519",
		X:   base64.RawURLEncoding.EncodeToString(pub),
		Kid: kid,
		Alg: "EdDSA",
		Use: "sig",
	}
}

// PublicKey returns the Ed25519 key a JWK holds.
func (j JWK) PublicKey() (ed25519.PublicKey, error) {
	if j.Kty != "OKP" || j.Crv != "Ed25519" {
		return nil, fmt.Errorf("%w: JWK kty %q crv %q, want OKP Ed25519", ErrInvalidInput, j.Kty, j.Crv)
	}
	b, err := base64.RawURLEncoding.DecodeString(j.X)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: JWK x is not a %d-byte base64url key", ErrInvalidInput, ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// issuerDocument is the issuer profile with its public key, as published.
type issuerDocument struct {
	Context            []string             `json:"@context"`
	ID                 string               `json:"id"`
	Type               []string             `json:"type"`
	Name               string               `json:"name"`
	URL                string               `json:"url,omitempty"`
	Email              string               `json:"email,omitempty"`
	Image              *Image               `json:"image,omitempty"`
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
func IssuerKeyDocument(issuer Issuer, pub ed25519.PublicKey) ([]byte, error) {
	if err := checkIssuer(issuer); err != nil {
		return nil, err
	}
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: Ed25519 public key of %d bytes", ErrInvalidInput, len(pub))
	}
	p := profile(issuer)
	kid := KeyID(issuer.ID)
	jwk := PublicJWK(kid, pub)
	doc := issuerDocument{
		Context: []string{ContextCredentialsV2, ContextOpenBadgesV3},
		ID:      p.ID, Type: p.Type, Name: p.Name, URL: p.URL, Email: p.Email, Image: p.Image,
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
func JWKS(issuer Issuer, pub ed25519.PublicKey) ([]byte, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: Ed25519 public key of %d bytes", ErrInvalidInput, len(pub))
	}
	return marshalIndent(struct {
		Keys []JWK `json:"keys"`
	}{[]JWK{PublicJWK(KeyID(issuer.ID), pub)}})
}

// keyFilePerm is the mode LoadIssuerKey accepts at most.
const keyFilePerm fs.FileMode = 0o600
