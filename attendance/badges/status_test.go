package badges

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestStatusListEncoding(t *testing.T) {
	tests := []struct {
		name     string
		set      []int64
		wantBits int
	}{
		{"empty list keeps the minimum size", nil, StatusListMinBits},
		{"first and last bit of the minimum", []int64{0, StatusListMinBits - 1}, StatusListMinBits},
		{"an index past the minimum grows the list", []int64{3, StatusListMinBits + 9}, StatusListMinBits + 16},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := EncodeStatusList(tc.set)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(enc, "u") || strings.ContainsAny(enc, "+/=") {
				t.Fatalf("encodedList %.20q… is not multibase base64url", enc)
			}
			bits, err := DecodeStatusList(enc)
			if err != nil {
				t.Fatal(err)
			}
			if len(bits)*8 != tc.wantBits {
				t.Fatalf("%d bits, want %d", len(bits)*8, tc.wantBits)
			}
			set := map[int64]bool{}
			for _, i := range tc.set {
				set[i] = true
			}
			ones := 0
			for i := int64(0); i < int64(len(bits))*8; i++ {
				on, err := StatusBit(bits, i)
				if err != nil {
					t.Fatal(err)
				}
				if on != set[i] {
					t.Fatalf("bit %d = %v, want %v", i, on, set[i])
				}
				if on {
					ones++
				}
			}
			if ones != len(set) {
				t.Fatalf("%d bits set, want %d", ones, len(set))
			}
		})
	}
	// bit 0 is the most significant bit of the first byte (spec §3.2)
	enc, _ := EncodeStatusList([]int64{0})
	bits, _ := DecodeStatusList(enc)
	if bits[0] != 0x80 {
		t.Fatalf("first byte %#x, want 0x80", bits[0])
	}
	if _, err := DecodeStatusList("u" + strings.Repeat("A", 10)); !errors.Is(err, ErrStatusList) {
		t.Fatalf("garbage decoded: %v", err)
	}
	if _, err := StatusBit(bits, int64(len(bits))*8); !errors.Is(err, ErrStatusList) {
		t.Fatalf("index outside the list: %v", err)
	}
}

func TestStatusListSignedRoundTrip(t *testing.T) {
	key, err := NewIssuerKey(fixedPrivateKey())
	if err != nil {
		t.Fatal(err)
	}
	listURL := StatusListURL("https://rollcall.example.org/", "policy-dialogue-2026")
	if listURL != "https://rollcall.example.org/status/policy-dialogue-2026/revocation" {
		t.Fatalf("list url %s", listURL)
	}
	a := testAward()
	a.StatusListURL, a.StatusListIndex = listURL, 41
	c, err := Credential(testIssuer(), a, testAchievements(t)[TypeParticipation])
	if err != nil {
		t.Fatal(err)
	}
	if c.CredentialStatus == nil || c.CredentialStatus.StatusListIndex != "41" || c.CredentialStatus.Type != TypeStatusEntry {
		t.Fatalf("credentialStatus %+v", c.CredentialStatus)
	}
	for _, tc := range []struct {
		name    string
		revoked []int64
		want    bool
	}{
		{"not revoked", []int64{40, 42}, false},
		{"revoked", []int64{40, 41, 42}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list, err := NewStatusList(testIssuer(), listURL, tc.revoked, testNow, 5*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			jwt, err := SignStatusList(list, key)
			if err != nil {
				t.Fatal(err)
			}
			got, err := VerifyStatusList(jwt, key.Public(), listURL)
			if err != nil {
				t.Fatal(err)
			}
			revoked, err := Revoked(*c.CredentialStatus, got)
			if err != nil {
				t.Fatal(err)
			}
			if revoked != tc.want {
				t.Fatalf("revoked = %v, want %v", revoked, tc.want)
			}
			if _, err := VerifyStatusList(jwt, key.Public(), listURL+"x"); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("a list from another URL verified: %v", err)
			}
			parts := strings.Split(jwt, ".")
			tampered := parts[0] + "." + parts[1][:len(parts[1])-2] + "AA." + parts[2]
			if _, err := VerifyStatusList(tampered, key.Public(), listURL); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("a tampered list verified: %v", err)
			}
		})
	}
}
