package badges

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
)

// TestSignRS256 checks the RSA path: RS256 is the one algorithm every
// Open Badges 3.0 verifier must support.
func TestSignRS256(t *testing.T) {
	k := rsaTestKey(t, 2048)
	if k.Alg() != AlgRS256 {
		t.Fatalf("Alg = %s", k.Alg())
	}
	c, _ := signedTestCredential(t)
	tok, err := Sign(c, k)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Sign(c, k)
	if again != tok {
		t.Error("RS256 signing is not deterministic")
	}
	var h jwtHeader
	head, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if err := json.Unmarshal(head, &h); err != nil || h.Alg != AlgRS256 || h.Kid != KeyID(c.Issuer.ID) {
		t.Fatalf("header = %s", head)
	}
	// A verifier gets the key from the published issuer document.
	doc, err := IssuerKeyDocument(testIssuer(), k.Public())
	if err != nil {
		t.Fatal(err)
	}
	var d struct{ VerificationMethod []struct{ PublicKeyJwk JWK } }
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	jwk := d.VerificationMethod[0].PublicKeyJwk
	if jwk.Kty != "RSA" || jwk.Alg != AlgRS256 || jwk.E != "AQAB" || jwk.X != "" || strings.Contains(string(doc), `"d"`) {
		t.Fatalf("JWK = %+v", jwk)
	}
	pub, err := jwk.PublicKey()
	if err != nil || !sameKey(pub, k.Public()) {
		t.Fatalf("JWK gives another key: %v", err)
	}
	got, err := Verify(tok, pub, testNow)
	if err != nil || got.ID != c.ID {
		t.Fatalf("Verify = %v", err)
	}
	parts := strings.Split(tok, ".")
	if _, err := Verify(parts[0]+"."+parts[1]+"."+flipLast(parts[2]), pub, testNow); !errors.Is(err, ErrBadSignature) {
		t.Errorf("flipped signature: %v", err)
	}
	if _, err := Verify(tok, rsaTestKey(t, 2048).Public(), testNow); !errors.Is(err, ErrBadSignature) {
		t.Errorf("another RSA key: %v", err)
	}
}

func TestNewIssuerKeyRefuses(t *testing.T) {
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, priv := range map[string]any{"1024-bit RSA": weak, "ECDSA": ec, "nil RSA": (*rsa.PrivateKey)(nil), "bytes": []byte("k")} {
		if _, err := NewIssuerKey(priv); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%s: error = %v, want ErrInvalidInput", name, err)
		}
	}
	if _, err := PublicJWK("k", &weak.PublicKey); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("JWK of a 1024-bit key: %v", err)
	}
}

func TestLoadIssuerKeyRSA(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	for name, block := range map[string]*pem.Block{
		"pkcs8": {Type: "PRIVATE KEY", Bytes: pkcs8},
		"pkcs1": {Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)},
	} {
		k, err := LoadIssuerKey(writeKeyFile(t, pem.EncodeToMemory(block), 0o600))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if k.Alg() != AlgRS256 || !sameKey(k.Public(), &priv.PublicKey) {
			t.Errorf("%s: loaded another key", name)
		}
	}
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	_, err = LoadIssuerKey(writeKeyFile(t, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(weak)}), 0o600))
	if err == nil || !strings.Contains(err.Error(), "1024 bits") {
		t.Errorf("a 1024-bit key: %v", err)
	}
	_, err = LoadIssuerKey(writeKeyFile(t, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte{1}}), 0o600))
	if err == nil || !strings.Contains(err.Error(), `"RSA PRIVATE KEY"`) {
		t.Errorf("an EC block: %v", err)
	}
}

func TestJWKPublicKeyRefusesBadRSA(t *testing.T) {
	good, err := PublicJWK("k", rsaTestKey(t, 2048).Public())
	if err != nil {
		t.Fatal(err)
	}
	short := base64.RawURLEncoding.EncodeToString(make([]byte, 128))
	for name, j := range map[string]JWK{
		"short modulus":   {Kty: "RSA", N: "AQ" + short, E: "AQAB"},
		"even exponent":   {Kty: "RSA", N: good.N, E: "Ag"},
		"no exponent":     {Kty: "RSA", N: good.N},
		"huge exponent":   {Kty: "RSA", N: good.N, E: "AQEBAQEB"},
		"padded base64":   {Kty: "RSA", N: good.N + "=", E: "AQAB"},
		"leading zero":    {Kty: "RSA", N: "AA" + good.N, E: "AQAB"},
		"unknown kty":     {Kty: "EC", Crv: "P-256"},
		"x25519, not sig": {Kty: "OKP", Crv: "X25519", X: good.N},
	} {
		if _, err := j.PublicKey(); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%s: error = %v, want ErrInvalidInput", name, err)
		}
	}
}
