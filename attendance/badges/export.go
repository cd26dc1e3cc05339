package badges

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"
)

// IssuerDocumentName is the ZIP entry WriteAll adds, when it signs, with the
// issuer's key document (IssuerKeyDocument), so that an archive can be
// checked offline.
const IssuerDocumentName = "issuer.json"

// WriteAll writes a ZIP archive of the awards' credentials to w, streaming:
// one entry per certificate, "<type>-<id>.json" with the credential, and when
// key is not nil also "<type>-<id>.jwt" with its signed form (VC-JWT) and, at
// the end, IssuerDocumentName. achievements maps each certificate type to its
// Achievement. Entries are dated by the certificate's issue date, so the
// same awards and key give the same archive bytes. It returns the number of
// credentials written; on error the archive is incomplete and must be
// discarded.
func WriteAll(ctx context.Context, w io.Writer, issuer Issuer, key *IssuerKey, awards iter.Seq[Award], achievements map[string]Achievement) (int, error) {
	if err := checkIssuer(issuer); err != nil {
		return 0, err
	}
	zw := zip.NewWriter(w)
	n := 0
	var latest time.Time
	seen := make(map[string]bool)
	for a := range awards {
		if err := ctx.Err(); err != nil {
			return n, fmt.Errorf("badges: write archive: %w", err)
		}
		e, err := export(issuer, key, a, achievements)
		if err != nil {
			return n, err
		}
		base := a.Type + "-" + fileSafe(a.CertificateID)
		if k := strings.ToUpper(base); seen[k] {
			return n, fmt.Errorf("%w: certificate %s appears twice", ErrInvalidInput, a.CertificateID)
		} else {
			seen[k] = true
		}
		modified := a.IssuedOn.UTC().Truncate(time.Second)
		if modified.After(latest) {
			latest = modified
		}
		if err := writeEntry(zw, base+".json", modified, e.json); err != nil {
			return n, err
		}
		if e.jwt != "" {
			if err := writeEntry(zw, base+".jwt", modified, []byte(e.jwt+"\n")); err != nil {
				return n, err
			}
		}
		n++
	}
	if key != nil {
		doc, err := IssuerKeyDocument(issuer, key.Public())
		if err != nil {
			return n, err
		}
		if err := writeEntry(zw, IssuerDocumentName, latest, doc); err != nil {
			return n, err
		}
	}
	if err := zw.Close(); err != nil {
		return n, fmt.Errorf("badges: write archive: %w", err)
	}
	return n, nil
}

// JSONLine is one line of WriteJSONLines.
type JSONLine struct {
	CertificateID   string              `json:"certificate_id"`
	CertificateType string              `json:"certificate_type"`
	Credential      OpenBadgeCredential `json:"credential"`
	// JWT is the signed credential (VC-JWT); empty when unsigned.
	JWT string `json:"jwt,omitempty"`
}

// WriteJSONLines writes the awards' credentials to w as JSON Lines, one
// JSONLine per certificate, for stdout and pipes. It returns the number of
// lines written.
func WriteJSONLines(ctx context.Context, w io.Writer, issuer Issuer, key *IssuerKey, awards iter.Seq[Award], achievements map[string]Achievement) (int, error) {
	if err := checkIssuer(issuer); err != nil {
		return 0, err
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	n := 0
	for a := range awards {
		if err := ctx.Err(); err != nil {
			return n, fmt.Errorf("badges: write json lines: %w", err)
		}
		e, err := export(issuer, key, a, achievements)
		if err != nil {
			return n, err
		}
		line := JSONLine{CertificateID: a.CertificateID, CertificateType: a.Type, Credential: e.credential, JWT: e.jwt}
		if err := enc.Encode(line); err != nil {
			return n, fmt.Errorf("badges: write json lines: certificate %s: %w", a.CertificateID, err)
		}
		n++
	}
	return n, nil
}

type exported struct {
	credential OpenBadgeCredential
	json       []byte
	jwt        string
}

func export(issuer Issuer, key *IssuerKey, a Award, achievements map[string]Achievement) (exported, error) {
	ach, ok := achievements[a.Type]
	if !ok {
		return exported{}, fmt.Errorf("%w: certificate %s: no achievement for type %q", ErrInvalidInput, a.CertificateID, a.Type)
	}
	c, err := Credential(issuer, a, ach)
	if err != nil {
		return exported{}, err
	}
	b, err := MarshalCredential(c)
	if err != nil {
		return exported{}, fmt.Errorf("badges: certificate %s: %w", a.CertificateID, err)
	}
	e := exported{credential: c, json: b}
	if key != nil {
		if e.jwt, err = Sign(c, key); err != nil {
			return exported{}, err
		}
	}
	return e, nil
}

func writeEntry(zw *zip.Writer, name string, modified time.Time, body []byte) error {
	f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: modified})
	if err != nil {
		return fmt.Errorf("badges: write archive entry %s: %w", name, err)
	}
	if _, err := f.Write(body); err != nil {
		return fmt.Errorf("badges: write archive entry %s: %w", name, err)
	}
	return nil
}

// fileSafe keeps letters, digits, '-' and '_' of a certificate id and
// replaces anything else, so that an id can never name a path outside the
// archive's top level.
func fileSafe(id string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, strings.TrimSpace(id))
}
