package badges

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func writeKeyFile(t *testing.T, body []byte, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "issuer.key")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadIssuerKey(t *testing.T) {
	want := testKey(t)
	seed := want.ed.Seed()
	der, err := x509.MarshalPKCS8PrivateKey(want.ed)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	tests := []struct {
		name string
		body []byte
		mode os.FileMode
	}{
		{"pkcs8 pem", pemBytes, 0o600},
		{"pkcs8 pem read-only", pemBytes, 0o400},
		{"base64 seed", []byte(base64.StdEncoding.EncodeToString(seed) + "\n"), 0o600},
		{"base64url seed", []byte(base64.RawURLEncoding.EncodeToString(seed)), 0o600},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := LoadIssuerKey(writeKeyFile(t, tc.body, tc.mode))
			if err != nil {
				t.Fatal(err)
			}
			if !sameKey(k.Public(), want.Public()) {
				t.Error("loaded a different key")
			}
		})
	}
}

func TestLoadIssuerKeyRefusesOpenPermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	seed := base64.StdEncoding.EncodeToString(testKey(t).ed.Seed())
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644, 0o660, 0o666, 0o700} {
		t.Run(fmt.Sprintf("%04o", mode), func(t *testing.T) {
			path := writeKeyFile(t, []byte(seed), mode)
			_, err := LoadIssuerKey(path)
			if !errors.Is(err, ErrInsecureKeyFile) {
				t.Fatalf("error = %v, want ErrInsecureKeyFile", err)
			}
			if !strings.Contains(err.Error(), "chmod 600") || !strings.Contains(err.Error(), fmt.Sprintf("%04o", mode)) {
				t.Errorf("error %q does not say the mode and the fix", err)
			}
			if strings.Contains(err.Error(), seed) {
				t.Error("error quotes the key")
			}
		})
	}
}

func TestLoadIssuerKeyRejectsBadContent(t *testing.T) {
	rsaLike := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte("secret-bytes-secret-bytes")})
	short := base64.StdEncoding.EncodeToString([]byte("sixteen-byte-key"))
	tests := []struct {
		name string
		body []byte
	}{
		{"empty", nil},
		{"wrong pem type", rsaLike},
		{"garbage pem", []byte("-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n")},
		{"short seed", []byte(short)},
		{"not base64", []byte("correct horse battery staple")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadIssuerKey(writeKeyFile(t, tc.body, 0o600))
			if err == nil {
				t.Fatal("no error")
			}
			for _, secret := range []string{"secret-bytes", short, "correct horse"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q quotes the file", err)
				}
			}
		})
	}
	if _, err := LoadIssuerKey(filepath.Join(t.TempDir(), "missing.key")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: error = %v", err)
	}
}

func TestIssuerKeyNeverPrints(t *testing.T) {
	k := testKey(t)
	secrets := []string{
		fmt.Sprintf("%x", []byte(k.ed)),
		fmt.Sprintf("%v", []byte(k.ed)),
		base64.StdEncoding.EncodeToString(k.ed.Seed()),
	}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("key", "key", k, "deref", *k)
	js, _ := json.Marshal(struct{ Key *IssuerKey }{k})
	outs := []string{
		fmt.Sprintf("%v %+v %#v %s %x %X %d %q", k, k, k, k, k, k, k, k),
		fmt.Sprintf("%v %+v %#v %s %x %d", *k, *k, *k, *k, *k, *k),
		logged.String(),
		string(js),
	}
	for _, out := range outs {
		for _, s := range secrets {
			if strings.Contains(out, s) || strings.Contains(out, s[:16]) {
				t.Errorf("key material printed: %s", out)
			}
		}
		if !strings.Contains(out, redacted) {
			t.Errorf("output %q does not say [redacted]", out)
		}
	}
}

func TestIssuerKeyDocument(t *testing.T) {
	k := testKey(t)
	b, err := IssuerKeyDocument(testIssuer(), k.Public())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		ID                 string
		VerificationMethod []struct {
			ID           string
			Type         string
			Controller   string
			PublicKeyJwk JWK
		}
		AssertionMethod []string
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	kid := KeyID(testIssuer().ID)
	if doc.ID != testIssuer().ID || len(doc.VerificationMethod) != 1 || doc.AssertionMethod[0] != kid {
		t.Fatalf("document = %s", b)
	}
	vm := doc.VerificationMethod[0]
	if vm.ID != kid || vm.Type != "JsonWebKey" || vm.Controller != testIssuer().ID {
		t.Errorf("verification method = %+v", vm)
	}
	pub, err := vm.PublicKeyJwk.PublicKey()
	if err != nil || !sameKey(pub, k.Public()) {
		t.Errorf("JWK gives %x, %v; want the issuer key", pub, err)
	}
	if strings.Contains(string(b), `"d"`) {
		t.Error("document holds a private JWK member")
	}
	set, err := JWKS(testIssuer(), k.Public())
	if err != nil || !strings.Contains(string(set), `"kid": "`+kid+`"`) {
		t.Errorf("JWKS = %s, %v", set, err)
	}
	if _, err := IssuerKeyDocument(testIssuer(), ed25519.PublicKey{1, 2, 3}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("short key: error = %v", err)
	}
}
