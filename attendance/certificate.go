package attendance

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"
)

// CertificateIDLength is the number of base32 symbols of a certificate id:
// 20 symbols of 5 bits, 100 random bits, so ids cannot be guessed or
// enumerated by whoever holds one.
const CertificateIDLength = 20

// NewCertificateID returns a fresh unguessable certificate id from
// crypto/rand: 20 upper-case base32 symbols (A-Z, 2-7) without padding.
func NewCertificateID() (string, error) {
	var b [13]byte // 104 bits; 100 are kept
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("attendance: generate certificate id: %w", err)
	}
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])[:CertificateIDLength], nil
}

// FormatCertificateID groups an id for print: "ABCD-EFGH-IJKL-MNOP-QRST".
func FormatCertificateID(id string) string {
	var b strings.Builder
	for i := 0; i < len(id); i += 4 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(id[i:min(i+4, len(id))])
	}
	return b.String()
}

// NormalizeCertificateID returns the stored form of an id as people type or
// print it (dashes, spaces, lower case), or "" when it cannot be one.
func NormalizeCertificateID(s string) string {
	s = strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(s)))
	if len(s) != CertificateIDLength {
		return ""
	}
	for _, r := range s {
		if !('A' <= r && r <= 'Z' || '2' <= r && r <= '7') {
			return ""
		}
	}
	return s
}

// VerifyPath is the route of the public verification page of a
// certificate (DESIGN.md: GET /verify/{id}); its QR code encodes the
// public URL + VerifyPath + its id.
const VerifyPath = "/verify/"

// VerifyURL returns the verification URL of a certificate id under the
// public base URL, as the PDF's QR code and the Open Badges evidence carry it.
func VerifyURL(publicURL, id string) string {
	return strings.TrimRight(publicURL, "/") + VerifyPath + id
}
