package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCert makes a self-signed certificate for 127.0.0.1 and writes it as
// the PEM file --smtp-ca-file reads.
func testCert(t *testing.T, dir string) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mx.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, ca
}

// TestMailSTARTTLSAndImplicitTLS sends over STARTTLS and over implicit TLS,
// signing in with the password from a 0600 file; a server whose
// certificate is not trusted gets nothing; the password reaches no output.
func TestMailSTARTTLSAndImplicitTLS(t *testing.T) {
	for _, tc := range []struct {
		name              string
		implicit, trusted bool
	}{{"starttls", false, true}, {"implicit", true, true}, {"untrusted", false, false}} {
		t.Run(tc.name, func(t *testing.T) {
			c, dir, people := mailEvent(t, 2)
			cert, ca := testCert(t, dir)
			pw := filepath.Join(dir, "smtp-password")
			if err := os.WriteFile(pw, []byte("correct horse battery\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			srv := newSMTPServerTLS(t, &cert, tc.implicit)
			srv.configure(func(s *smtpServer) { s.password = "correct horse battery" })
			scheme := "smtp"
			if tc.implicit {
				scheme = "smtps"
			}
			args := []string{"mail", "codes", "--event", "pd", "--smtp-url", scheme + "://mailer@" + srv.addr,
				"--from", "Certificates <certificates@secretariat.example.org>", "--rate", "0", "--retry-after", "10ms", "--max-attempts", "2",
				"--smtp-password-file", pw}
			if tc.trusted {
				args = append(args, "--smtp-ca-file", ca)
			}
			out, errs, code := c.run(args...)
			if strings.Contains(out+errs, "correct horse") {
				t.Fatalf("the password reached the output: %s", errs)
			}
			if !tc.trusted {
				if code != 1 || srv.count() != 0 || !strings.Contains(errs, "2 failed") {
					t.Fatalf("untrusted server: exit %d, %d messages: %s", code, srv.count(), errs)
				}
				return
			}
			if code != 0 || srv.signIns() == 0 {
				t.Fatalf("exit %d, %d sign-ins: %s", code, srv.signIns(), errs)
			}
			checkDelivery(t, srv.messages(), people, "codes")
		})
	}
}
