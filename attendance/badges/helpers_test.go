package badges

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"iter"
	"testing"
	"time"
)

// testNow is the verifier's clock: after testAward was issued.
var testNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

const testPolicy = "Type your personal attendance code in the live chat, answer at least 2 of the 3 checkpoint words announced during the stream, and submit the Certificate Validation and Assessment Form."

func testIssuer() Issuer {
	return Issuer{
		ID:    "https://rollcall.example.org/issuer",
		Name:  "Regional Education Secretariat",
		URL:   "https://secretariat.example.org/",
		Email: "certificates@secretariat.example.org",
	}
}

func testAward() Award {
	return Award{
		CertificateID:  "K7QM4X2PJ9RT5WZ3",
		Type:           TypeParticipation,
		RecipientName:  "สมศรี ใจดี",
		RecipientEmail: "  Somsri.J@School.Example.TH ",
		EventTitle:     "Policy Dialogue on Foundational Learning & Teachers",
		EventSlug:      "policy-dialogue-2026",
		IssuedOn:       time.Date(2026, 11, 20, 9, 30, 15, 123456789, time.FixedZone("ICT", 7*3600)),
		VerifyURL:      "https://rollcall.example.org/verify/K7QM4X2PJ9RT5WZ3",
	}
}

func testAchievements(t *testing.T) map[string]Achievement {
	t.Helper()
	out := make(map[string]Achievement)
	for _, typ := range []string{TypeParticipation, TypeAppreciation} {
		a, err := DefaultAchievement(testIssuer(), typ, "policy-dialogue-2026", "Policy Dialogue on Foundational Learning & Teachers", testPolicy)
		if err != nil {
			t.Fatalf("DefaultAchievement(%s): %v", typ, err)
		}
		out[typ] = a
	}
	return out
}

// fixedPrivateKey is a fixed key so that signed output can be compared
// across runs.
func fixedPrivateKey() ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(i * 7)
	}
	return ed25519.NewKeyFromSeed(seed)
}

func testKey(t *testing.T) *IssuerKey {
	t.Helper()
	k, err := NewIssuerKey(fixedPrivateKey())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustAchievement(certType string) Achievement {
	a, err := DefaultAchievement(testIssuer(), certType, "policy-dialogue-2026", "Policy Dialogue on Foundational Learning & Teachers", testPolicy)
	if err != nil {
		panic(err)
	}
	return a
}

func seqOf(awards ...Award) iter.Seq[Award] {
	return func(yield func(Award) bool) {
		for _, a := range awards {
			if !yield(a) {
				return
			}
		}
	}
}

// rsaTestKey returns a new RSA issuer key of the given size.
func rsaTestKey(tb testing.TB, bits int) *IssuerKey {
	tb.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		tb.Fatal(err)
	}
	k, err := NewIssuerKey(priv)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// sameKey says whether two public keys are the same key.
func sameKey(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}
