package badges

import (
	"errors"
	"testing"
)

// FuzzVerify checks that no token, however malformed, makes Verify panic or
// accept it without a valid signature.
func FuzzVerify(f *testing.F) {
	k, err := NewIssuerKey(fixedPrivateKey())
	if err != nil {
		f.Fatal(err)
	}
	c, err := Credential(testIssuer(), testAward(), mustAchievement(TypeParticipation))
	if err != nil {
		f.Fatal(err)
	}
	tok, err := Sign(c, k)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok)
	f.Add("a.b.c")
	f.Add("..")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	pub := k.Public()
	f.Fuzz(func(t *testing.T, token string) {
		got, err := Verify(token, pub, testNow)
		if err != nil {
			if !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrNotYetValid) {
				t.Fatalf("error %v does not wrap ErrBadSignature", err)
			}
			return
		}
		if got.ID == "" || got.Issuer.ID == "" {
			t.Fatalf("accepted a token without ids: %q", token)
		}
	})
}
