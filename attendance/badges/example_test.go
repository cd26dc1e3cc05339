package badges_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"iter"
	"time"

	"github.com/seameo/rollcall/attendance/badges"
)

// Example shows what `rollcall export certificates --format ob3` does: build
// the issuer from --public-url, one Achievement per certificate type from
// the event's policy, and stream every issued certificate into a ZIP. With
// --issuer-key-file the key comes from badges.LoadIssuerKey; nil writes
// unsigned credentials only.
func Example() {
	publicURL := "https://rollcall.example.org" // --public-url
	issuer := badges.Issuer{
		ID:   publicURL + "/issuer",
		Name: "Regional Education Secretariat",
		URL:  "https://secretariat.example.org/",
	}
	policy := "Attend the live stream, answer 2 of the 3 checkpoint words, and submit the assessment form."
	achievements := make(map[string]badges.Achievement)
	for _, typ := range []string{badges.TypeParticipation, badges.TypeAppreciation} {
		a, err := badges.DefaultAchievement(issuer, typ, "policy-dialogue-2026", "Policy Dialogue 2026", policy)
		if err != nil {
			fmt.Println(err)
			return
		}
		achievements[typ] = a
	}

	// In the CLI: key, err := badges.LoadIssuerKey(cfg.IssuerKeyFile)
	key, _ := badges.NewIssuerKey(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))

	awards := iter.Seq[badges.Award](func(yield func(badges.Award) bool) {
		yield(badges.Award{
			CertificateID:  "K7QM4X2PJ9RT5WZ3",
			Type:           badges.TypeParticipation,
			RecipientName:  "Nguyễn Thị Hồng",
			RecipientEmail: "hong@example.edu.vn",
			EventTitle:     "Policy Dialogue 2026",
			EventSlug:      "policy-dialogue-2026",
			IssuedOn:       time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC),
			VerifyURL:      publicURL + "/verify/K7QM4X2PJ9RT5WZ3",
		})
	})
	n, err := badges.WriteAll(context.Background(), io.Discard, issuer, key, awards, achievements)
	fmt.Println(n, err, key)
	// Output: 1 <nil> [redacted]
}
