package badges

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"slices"
	"testing"
)

func unzip(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string][]byte)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = body
	}
	return out
}

func twoAwards() []Award {
	p := testAward()
	a := testAward()
	a.CertificateID = "W3ZT5RJ9P2X4MQ7K"
	a.Type = TypeAppreciation
	a.RecipientName = "Nguyễn Thị Hồng"
	a.RecipientEmail = "hong@example.edu.vn"
	a.VerifyURL = "https://rollcall.example.org/verify/W3ZT5RJ9P2X4MQ7K"
	return []Award{p, a}
}

func TestWriteAllUnsigned(t *testing.T) {
	var buf bytes.Buffer
	n, err := WriteAll(t.Context(), &buf, testIssuer(), nil, seqOf(twoAwards()...), testAchievements(t))
	if err != nil || n != 2 {
		t.Fatalf("WriteAll = %d, %v", n, err)
	}
	files := unzip(t, buf.Bytes())
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range files {
			if !yield(k) {
				return
			}
		}
	})
	want := []string{"appreciation-W3ZT5RJ9P2X4MQ7K.json", "participation-K7QM4X2PJ9RT5WZ3.json"}
	if !slices.Equal(names, want) {
		t.Errorf("entries = %v, want %v", names, want)
	}
	golden := must(t, func() ([]byte, error) {
		c, err := Credential(testIssuer(), testAward(), testAchievements(t)[TypeParticipation])
		if err != nil {
			return nil, err
		}
		return MarshalCredential(c)
	})
	if !bytes.Equal(files["participation-K7QM4X2PJ9RT5WZ3.json"], golden) {
		t.Error("archive entry differs from MarshalCredential")
	}
	var c OpenBadgeCredential
	if err := json.Unmarshal(files["appreciation-W3ZT5RJ9P2X4MQ7K.json"], &c); err != nil {
		t.Fatal(err)
	}
	if c.CredentialSubject.Achievement.Name != "Certificate of Appreciation" {
		t.Errorf("appreciation credential has achievement %q", c.CredentialSubject.Achievement.Name)
	}
}

func TestWriteAllSignedAndDeterministic(t *testing.T) {
	write := func() []byte {
		var buf bytes.Buffer
		if _, err := WriteAll(t.Context(), &buf, testIssuer(), testKey(t), seqOf(twoAwards()...), testAchievements(t)); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	first := write()
	if !bytes.Equal(first, write()) {
		t.Error("two exports of the same awards differ")
	}
	files := unzip(t, first)
	if len(files) != 5 {
		t.Errorf("%d entries, want 2 json + 2 jwt + %s", len(files), IssuerDocumentName)
	}
	for _, a := range twoAwards() {
		base := a.Type + "-" + a.CertificateID
		c, err := Verify(string(files[base+".jwt"]), testKey(t).Public(), testNow)
		if err != nil {
			t.Fatalf("%s.jwt: %v", base, err)
		}
		var plain OpenBadgeCredential
		if err := json.Unmarshal(files[base+".json"], &plain); err != nil {
			t.Fatal(err)
		}
		if plain.ID != c.ID || plain.CredentialSubject.Identifier[0] != c.CredentialSubject.Identifier[0] {
			t.Errorf("%s: .json and .jwt disagree", base)
		}
	}
	// The archive carries the key to check it with.
	var doc struct{ VerificationMethod []struct{ PublicKeyJwk JWK } }
	if err := json.Unmarshal(files[IssuerDocumentName], &doc); err != nil {
		t.Fatal(err)
	}
	pub, err := doc.VerificationMethod[0].PublicKeyJwk.PublicKey()
	if err != nil || !sameKey(pub, testKey(t).Public()) {
		t.Errorf("%s holds the wrong key", IssuerDocumentName)
	}
}

func TestWriteAllErrors(t *testing.T) {
	dup := testAward()
	dup.CertificateID = "k7qm4x2pj9rt5wz3"
	tests := []struct {
		name         string
		awards       []Award
		achievements map[string]Achievement
	}{
		{"duplicate certificate", []Award{testAward(), dup}, testAchievements(t)},
		{"missing achievement", []Award{testAward()}, map[string]Achievement{TypeAppreciation: testAchievements(t)[TypeAppreciation]}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := WriteAll(t.Context(), io.Discard, testIssuer(), nil, seqOf(tc.awards...), tc.achievements); !errors.Is(err, ErrInvalidInput) {
				t.Errorf("error = %v, want ErrInvalidInput", err)
			}
		})
	}
}

func TestWriteAllStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	yielded := 0
	awards := iter.Seq[Award](func(yield func(Award) bool) {
		for i := 0; ; i++ {
			a := testAward()
			a.CertificateID = "ID" + string(rune('A'+i%26)) + string(rune('A'+i/26%26)) + string(rune('A'+i/676%26))
			yielded++
			if yielded == 3 {
				cancel()
			}
			if !yield(a) {
				return
			}
		}
	})
	n, err := WriteAll(ctx, io.Discard, testIssuer(), nil, awards, testAchievements(t))
	if !errors.Is(err, context.Canceled) || n != 2 {
		t.Errorf("WriteAll after cancel = %d, %v; want 2, context.Canceled", n, err)
	}
}

func TestWriteJSONLines(t *testing.T) {
	var buf bytes.Buffer
	n, err := WriteJSONLines(t.Context(), &buf, testIssuer(), testKey(t), seqOf(twoAwards()...), testAchievements(t))
	if err != nil || n != 2 {
		t.Fatalf("WriteJSONLines = %d, %v", n, err)
	}
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 1<<20)
	lines := 0
	for sc.Scan() {
		var l JSONLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %d: %v", lines+1, err)
		}
		c, err := Verify(l.JWT, testKey(t).Public(), testNow)
		if err != nil {
			t.Fatalf("line %d: %v", lines+1, err)
		}
		if c.ID != l.Credential.ID || l.CertificateID != twoAwards()[lines].CertificateID {
			t.Errorf("line %d: ids disagree", lines+1)
		}
		lines++
	}
	if lines != 2 {
		t.Errorf("%d lines, want 2", lines)
	}
}

func must[T any](t *testing.T, f func() (T, error)) T {
	t.Helper()
	v, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return v
}
