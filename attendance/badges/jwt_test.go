package badges

import (
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func jwtPayload(t *testing.T, token string) []byte {
	t.Helper()
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func signedTestCredential(t *testing.T) (OpenBadgeCredential, string) {
	t.Helper()
	c, err := Credential(testIssuer(), testAward(), testAchievements(t)[TypeParticipation])
	if err != nil {
		t.Fatal(err)
	}
	tok, err := Sign(c, testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	return c, tok
}

func TestSignVerifyRoundTrip(t *testing.T) {
	c, tok := signedTestCredential(t)
	got, err := Verify(tok, testKey(t).Public(), testNow)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Errorf("Verify returned\n%+v\nwant\n%+v", got, c)
	}
	// Ed25519 is deterministic: re-signing gives the same token.
	if _, again := signedTestCredential(t); again != tok {
		t.Error("signing twice gave different tokens")
	}

	parts := strings.Split(tok, ".")
	var header map[string]any
	h, _ := base64.RawURLEncoding.DecodeString(parts[0])
	if err := json.Unmarshal(h, &header); err != nil {
		t.Fatal(err)
	}
	if header["alg"] != "EdDSA" || header["typ"] != "JWT" || header["kid"] != "https://rollcall.example.org/issuer#key-1" {
		t.Errorf("header = %s", h)
	}
	var claims map[string]any
	if err := json.Unmarshal(jwtPayload(t, tok), &claims); err != nil {
		t.Fatal(err)
	}
	if claims["iss"] != c.Issuer.ID || claims["jti"] != c.ID || claims["nbf"] != float64(1795141815) {
		t.Errorf("claims iss=%v jti=%v nbf=%v", claims["iss"], claims["jti"], claims["nbf"])
	}
	if claims["credentialSubject"] == nil || claims["@context"] == nil {
		t.Error("payload is not the credential")
	}
}

func TestVerifyRejects(t *testing.T) {
	c, tok := signedTestCredential(t)
	pub := testKey(t).Public()
	parts := strings.Split(tok, ".")
	b64 := base64.RawURLEncoding

	reSigned := func(mutate func(map[string]any)) string {
		var claims map[string]any
		_ = json.Unmarshal(jwtPayload(t, tok), &claims)
		mutate(claims)
		p, _ := json.Marshal(claims)
		in := parts[0] + "." + b64.EncodeToString(p)
		sig, err := testKey(t).sign([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		return in + "." + b64.EncodeToString(sig)
	}
	tamperedPayload := func() string {
		p := strings.Replace(string(jwtPayload(t, tok)), "สมศรี ใจดี", "Mallory", 1)
		return parts[0] + "." + b64.EncodeToString([]byte(p)) + "." + parts[2]
	}()
	_, otherPriv, _ := ed25519.GenerateKey(nil)
	other, _ := NewIssuerKey(otherPriv)
	noneHeader := b64.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	rs256Header := b64.EncodeToString([]byte(`{"alg":"RS256","kid":"` + KeyID(c.Issuer.ID) + `","typ":"JWT"}`))
	rsaKey := rsaTestKey(t, 2048)
	rsaTok, err := Sign(c, rsaKey)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		token string
		pub   crypto.PublicKey
	}{
		{"tampered payload", tamperedPayload, pub},
		{"wrong key", tok, other.Public()},
		{"signed by another key", func() string { s, _ := Sign(c, other); return s }(), pub},
		{"flipped signature bit", parts[0] + "." + parts[1] + "." + flipLast(parts[2]), pub},
		{"alg none", noneHeader + "." + parts[1] + ".", pub},
		{"two parts", parts[0] + "." + parts[1], pub},
		{"garbage", "not.a.jwt", pub},
		{"iss differs from issuer", reSigned(func(m map[string]any) { m["iss"] = "https://evil.example/issuer" }), pub},
		{"jti differs from id", reSigned(func(m map[string]any) { m["jti"] = "urn:uuid:other" }), pub},
		{"nbf differs from validFrom", reSigned(func(m map[string]any) { m["nbf"] = 1 }), pub},
		{"short public key", tok, ed25519.PublicKey{1}},
		{"EdDSA token against an RSA key", tok, rsaKey.Public()},
		{"RS256 token against the Ed25519 key", rsaTok, pub},
		{"RS256 header on an Ed25519 signature", rs256Header + "." + parts[1] + "." + parts[2], pub},
		{"not a key", tok, "secret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Verify(tc.token, tc.pub, testNow); !errors.Is(err, ErrBadSignature) {
				t.Errorf("Verify error = %v, want ErrBadSignature", err)
			}
		})
	}
}

func TestVerifyNotYetValid(t *testing.T) {
	c, tok := signedTestCredential(t)
	before := testAward().IssuedOn.Add(-time.Second)
	if _, err := Verify(tok, testKey(t).Public(), before); !errors.Is(err, ErrNotYetValid) {
		t.Errorf("Verify before validFrom (%s): error = %v, want ErrNotYetValid", c.ValidFrom, err)
	}
	if _, err := Verify(tok, testKey(t).Public(), testAward().IssuedOn); err != nil {
		t.Errorf("Verify at validFrom: %v", err)
	}
}

func flipLast(s string) string {
	b, _ := base64.RawURLEncoding.DecodeString(s)
	b[len(b)-1] ^= 1
	return base64.RawURLEncoding.EncodeToString(b)
}
