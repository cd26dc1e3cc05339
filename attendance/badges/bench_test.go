package badges

import (
	"fmt"
	"io"
	"iter"
	"testing"
)

// BenchmarkWriteAll10k signs and zips 10,000 credentials, the size of a
// large event, without holding them.
func BenchmarkWriteAll10k(b *testing.B) {
	key, err := NewIssuerKey(fixedPrivateKey())
	if err != nil {
		b.Fatal(err)
	}
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
	b.ReportAllocs()
	for b.Loop() {
		n, err := WriteAll(b.Context(), io.Discard, testIssuer(), key, awards, ach)
		if err != nil || n != 10000 {
			b.Fatalf("WriteAll = %d, %v", n, err)
		}
	}
}
