package main

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance/badges"
)

// verifierCheck resolves a signed badge the way a recipient's verifier
// does, trusting nothing but the token and the web: it fetches the issuer
// profile its kid names and takes the public key from it, verifies the
// badge, fetches its credentialStatus.statusListCredential over HTTP,
// verifies that list's signature with the same key, decodes the bitstring
// and reads the badge's bit. It returns whether the badge is revoked.
func verifierCheck(t *testing.T, client *http.Client, token string) (revoked bool, err error) {
	t.Helper()
	get := func(u string) ([]byte, error) {
		resp, err := client.Get(u)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
		}
		return b, err
	}
	// the unverified payload only says where to look; trust comes from the key
	var peek struct {
		Iss string `json:"iss"`
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false, fmt.Errorf("not a JWS")
	}
	raw, err := base64URL(parts[1])
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(raw, &peek); err != nil {
		return false, err
	}
	doc, err := get(peek.Iss)
	if err != nil {
		return false, err
	}
	var profile struct {
		VerificationMethod []struct {
			ID  string     `json:"id"`
			JWK badges.JWK `json:"publicKeyJwk"`
		} `json:"verificationMethod"`
	}
	if err := json.Unmarshal(doc, &profile); err != nil || len(profile.VerificationMethod) == 0 {
		return false, fmt.Errorf("issuer profile: %v", err)
	}
	var pub crypto.PublicKey
	if pub, err = profile.VerificationMethod[0].JWK.PublicKey(); err != nil {
		return false, err
	}
	cred, err := badges.Verify(token, pub, time.Now())
	if err != nil {
		return false, err
	}
	if cred.CredentialStatus == nil {
		return false, fmt.Errorf("credential %s has no credentialStatus", cred.ID)
	}
	listURL := cred.CredentialStatus.StatusListCredential
	body, err := get(listURL)
	if err != nil {
		return false, err
	}
	list, err := badges.VerifyStatusList(strings.TrimSpace(string(body)), pub, listURL)
	if err != nil {
		return false, err
	}
	return badges.Revoked(*cred.CredentialStatus, list)
}

func base64URL(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(s)
}

// TestStatusListRevokedAfterExport exports signed badges, then revokes
// one certificate: a verifier that resolves the status list from the
// running dashboard sees that badge revoked and the other still good.
func TestStatusListRevokedAfterExport(t *testing.T) {
	c, dir, ids := certEvent(t)
	_, keyFile := writeIssuerKey(t, dir)

	// the dashboard, listening before its public URL is known
	srv, h := serveCertificatePages(t, c.db, &daemon{issuerName: "Regional Education Secretariat", issuerKeyFile: keyFile})
	if h.statusList == nil {
		t.Fatal("no status list served")
	}

	out := c.ok("export", "certificates", "--event", "pd", "--format", "ob3", "--public-url", srv,
		"--issuer-name", "Regional Education Secretariat", "--issuer-key-file", keyFile)
	tokens := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var jl badges.JSONLine
		if err := json.Unmarshal([]byte(l), &jl); err != nil {
			t.Fatal(err)
		}
		tokens[jl.CertificateID] = jl.JWT
	}
	if len(tokens) != len(ids) {
		t.Fatalf("%d badges, want %d", len(tokens), len(ids))
	}
	client := &http.Client{Timeout: 30 * time.Second}
	for id, tok := range tokens {
		if revoked, err := verifierCheck(t, client, tok); err != nil || revoked {
			t.Fatalf("before revocation, %s: revoked %v, %v", id, revoked, err)
		}
	}

	c.ok("certificates", "revoke", "--event", "pd", "--id", ids[0], "--why", "name misspelt, reissued")
	for id, tok := range tokens {
		revoked, err := verifierCheck(t, client, tok)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if want := id == ids[0]; revoked != want {
			t.Errorf("after revoking %s, %s revoked = %v, want %v", ids[0], id, revoked, want)
		}
	}

	// an unknown event has no list; the list is public and holds no person
	resp, err := client.Get(srv + "/status/nope/revocation")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown event: %s", resp.Status)
	}
	resp, err = client.Get(badges.StatusListURL(srv, "pd"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/vc+jwt" || strings.Contains(string(b), "@example.org") {
		t.Errorf("status list content type %q", ct)
	}
}
