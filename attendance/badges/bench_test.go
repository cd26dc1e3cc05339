package badges

import (
	"fmt"
	"io"
	"iter"
	"testing"
)

// BenchmarkWriteAll10k signs and zips 10,000 credentials, the size of a
// large event, without holding them, with an Ed25519 key (EdDSA) and a
// 3072-bit RSA key (RS256).
func BenchmarkWriteAll10k(b *testing.B) {
	ed, err := NewIssuerKey(fixedPrivateKey())
	if err != nil {
		b.Fatal(err)
	}
	rs := rsaTestKey(b, 3072)
	ach := map[string]Achievement{
		TypeParticipation: mustAchievement(TypeParticipation),
		TypeAppreciation:  mustAchievement(TypeAppreciation),
	}
	awards := iter.Seq[Award](func(yield func(Award) bool) {
		for i := range 10000 {
			a := testAward()
			a.CertificateID = fmt.Sprintf("K7QM%012d", i)
			a.RecipientEmail = fmt.Sprintf("teacher%d@school.example.th", i)
			if i%20 == 0 {
				a.Type = TypeAppreciation
			}
			if !yield(a) {
				return
			}
		}
	})
	for _, key := range []*IssuerKey{ed, rs} {
		b.Run(key.Alg(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				n, err := WriteAll(b.Context(), io.Discard, testIssuer(), key, awards, ach)
				if err != nil || n != 10000 {
					b.Fatalf("WriteAll = %d, %v", n, err)
				}
			}
		})
	}
}
