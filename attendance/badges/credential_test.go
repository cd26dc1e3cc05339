package badges

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestCredentialGolden(t *testing.T) {
	c, err := Credential(testIssuer(), testAward(), testAchievements(t)[TypeParticipation])
	if err != nil {
		t.Fatal(err)
	}
	got, err := MarshalCredential(c)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "participation.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./attendance/badges/ -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("credential differs from %s (run with -update if the change is intended):\n%s", golden, got)
	}
}

func TestCredentialShape(t *testing.T) {
	a := testAward()
	c, err := Credential(testIssuer(), a, testAchievements(t)[TypeParticipation])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := MarshalCredential(c)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	wantCtx := []any{ContextCredentialsV2, ContextOpenBadgesV3}
	if got := m["@context"].([]any); len(got) != 2 || got[0] != wantCtx[0] || got[1] != wantCtx[1] {
		t.Errorf("@context = %v", got)
	}
	if got := m["type"].([]any); got[0] != "VerifiableCredential" || got[1] != "OpenBadgeCredential" {
		t.Errorf("type = %v", got)
	}
	if ok, _ := regexp.MatchString(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, c.ID); !ok {
		t.Errorf("id %q is not a version 5 UUID URN", c.ID)
	}
	if c.ValidFrom != "2026-11-20T02:30:15Z" {
		t.Errorf("validFrom = %q, want UTC RFC 3339 to the second", c.ValidFrom)
	}
	subj := c.CredentialSubject
	if subj.Type[0] != "AchievementSubject" || subj.Achievement.Type[0] != "Achievement" || subj.Achievement.AchievementType != "Certificate" {
		t.Errorf("subject types = %v / %v / %q", subj.Type, subj.Achievement.Type, subj.Achievement.AchievementType)
	}
	if subj.Achievement.Criteria.Narrative != testPolicy {
		t.Errorf("criteria narrative = %q, want the policy text", subj.Achievement.Criteria.Narrative)
	}
	email := subj.Identifier[0]
	if !email.Hashed || email.IdentityType != "emailAddress" || email.Salt == "" {
		t.Errorf("email identifier = %+v", email)
	}
	// A recipient proves the badge is theirs with their own address,
	// whatever its case or spacing.
	if want := IdentityHash("somsri.j@school.example.th", email.Salt); email.IdentityHash != want {
		t.Errorf("identityHash = %q, want %q", email.IdentityHash, want)
	}
	if !strings.HasPrefix(email.IdentityHash, "sha256$") || len(email.IdentityHash) != len("sha256$")+64 {
		t.Errorf("identityHash %q is not sha256$<hex>", email.IdentityHash)
	}
	if name := subj.Identifier[1]; name.IdentityType != "name" || name.Hashed || name.IdentityHash != a.RecipientName {
		t.Errorf("name identifier = %+v", name)
	}
	if len(c.Evidence) != 1 || c.Evidence[0].ID != a.VerifyURL {
		t.Errorf("evidence = %+v", c.Evidence)
	}
}

func TestNoPlainEmail(t *testing.T) {
	a := testAward()
	var zipBuf, linesBuf bytes.Buffer
	if _, err := WriteAll(t.Context(), &zipBuf, testIssuer(), testKey(t), seqOf(a), testAchievements(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteJSONLines(t.Context(), &linesBuf, testIssuer(), testKey(t), seqOf(a), testAchievements(t)); err != nil {
		t.Fatal(err)
	}
	files := unzip(t, zipBuf.Bytes())
	files["lines.jsonl"] = linesBuf.Bytes()
	for name, body := range files {
		texts := []string{string(body)}
		if strings.HasSuffix(name, ".jwt") {
			texts = append(texts, string(jwtPayload(t, string(body))))
		}
		for _, text := range texts {
			low := strings.ToLower(text)
			for _, needle := range []string{"somsri.j@school.example.th", "somsri.j", "school.example.th"} {
				if strings.Contains(low, needle) {
					t.Errorf("%s holds %q: the recipient's email must only appear hashed", name, needle)
				}
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	var first []byte
	for i := range 3 {
		c, err := Credential(testIssuer(), testAward(), testAchievements(t)[TypeParticipation])
		if err != nil {
			t.Fatal(err)
		}
		b, _ := MarshalCredential(c)
		if i == 0 {
			first = b
		} else if !bytes.Equal(b, first) {
			t.Fatalf("run %d gave different bytes", i)
		}
	}
	// The credential id ignores the case of the certificate id, as ids are
	// typed case-insensitively.
	if CredentialID("k7qm4x2pj9rt5wz3") != CredentialID("K7QM4X2PJ9RT5WZ3") {
		t.Error("credential id depends on the case of the certificate id")
	}
	if CredentialID("K7QM4X2PJ9RT5WZ3") == CredentialID("K7QM4X2PJ9RT5WZ4") {
		t.Error("different certificates share a credential id")
	}
	other := testAward()
	other.CertificateID = "K7QM4X2PJ9RT5WZ4"
	c1, _ := Credential(testIssuer(), testAward(), testAchievements(t)[TypeParticipation])
	c2, _ := Credential(testIssuer(), other, testAchievements(t)[TypeParticipation])
	if c1.CredentialSubject.Identifier[0].Salt == c2.CredentialSubject.Identifier[0].Salt {
		t.Error("two certificates share a salt")
	}
}

func TestCredentialRejects(t *testing.T) {
	ach := testAchievements(t)[TypeParticipation]
	tests := []struct {
		name   string
		issuer func(*Issuer)
		award  func(*Award)
		ach    func(*Achievement)
	}{
		{name: "relative issuer id", issuer: func(i *Issuer) { i.ID = "/issuer" }},
		{name: "issuer id with fragment", issuer: func(i *Issuer) { i.ID += "#me" }},
		{name: "issuer without name", issuer: func(i *Issuer) { i.Name = " " }},
		{name: "no certificate id", award: func(a *Award) { a.CertificateID = "" }},
		{name: "unknown type", award: func(a *Award) { a.Type = "attendance" }},
		{name: "no email", award: func(a *Award) { a.RecipientEmail = " " }},
		{name: "no issue date", award: func(a *Award) { a.IssuedOn = time.Time{} }},
		{name: "verify url not absolute", award: func(a *Award) { a.VerifyURL = "verify/K7QM" }},
		{name: "achievement without id", ach: func(a *Achievement) { a.ID = "" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			i, a, h := testIssuer(), testAward(), ach
			if tc.issuer != nil {
				tc.issuer(&i)
			}
			if tc.award != nil {
				tc.award(&a)
			}
			if tc.ach != nil {
				tc.ach(&h)
			}
			if _, err := Credential(i, a, h); !errors.Is(err, ErrInvalidInput) {
				t.Errorf("Credential() error = %v, want ErrInvalidInput", err)
			}
		})
	}
}

func TestDefaultAchievement(t *testing.T) {
	app, err := DefaultAchievement(testIssuer(), TypeAppreciation, "ev", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if app.Name != "Certificate of Appreciation" || app.Criteria.Narrative == "" || !strings.Contains(app.Description, "ev") {
		t.Errorf("appreciation achievement = %+v", app)
	}
	part, _ := DefaultAchievement(testIssuer(), TypeParticipation, "ev", "", "")
	if part.Name != "Certificate of Participation" || part.ID == app.ID {
		t.Errorf("participation achievement = %+v", part)
	}
	if _, err := DefaultAchievement(testIssuer(), "speaker", "ev", "", ""); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("unknown type: error = %v", err)
	}
}
