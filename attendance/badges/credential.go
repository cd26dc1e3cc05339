package badges

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// The certificate types rollcall issues, as they appear in exports.
const (
	TypeParticipation = "participation"
	TypeAppreciation  = "appreciation"
)

// ErrInvalidInput is wrapped by every error about an Issuer, Achievement or
// Award that cannot make a valid credential.
var ErrInvalidInput = errors.New("badges: invalid input")

// Issuer is the organisation that issues the certificates.
type Issuer struct {
	// ID is the URL of the issuer profile, e.g. --public-url + "/issuer".
	// The signing key is named ID + "#key-1".
	ID string
	// Name is the organisation's name as it should appear on a badge.
	Name string
	// URL is the organisation's home page.
	URL string
	// Email is an optional contact address of the organisation (never a
	// person's).
	Email string
	// Image is an optional URL of the organisation's logo.
	Image string
}

// Achievement is what a certificate type stands for: the Open Badges 3.0
// Achievement that every credential of that type refers to. Build it with
// DefaultAchievement and adjust, or fill it by hand.
type Achievement struct {
	// ID is a URI that names this achievement, the same for every
	// credential of the type and event.
	ID string `json:"id"`
	// Type is always ["Achievement"]; Credential sets it.
	Type []string `json:"type"`
	// AchievementType is "Certificate" unless set otherwise.
	AchievementType string `json:"achievementType,omitempty"`
	// Name is e.g. "Certificate of Participation".
	Name string `json:"name"`
	// Description says what the certificate recognises.
	Description string `json:"description"`
	// Criteria says what a person had to do to earn it.
	Criteria Criteria `json:"criteria"`
	// Image is an optional picture of the badge.
	Image *Image `json:"image,omitempty"`
}

// Criteria is an achievement's criteria, as a narrative.
type Criteria struct {
	// Narrative says, in plain words, what earned the achievement.
	Narrative string `json:"narrative"`
}

// Image is an Open Badges Image: a URL (or data URI) and its type.
type Image struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Caption string `json:"caption,omitempty"`
}

// Award is one certificate to export.
type Award struct {
	// CertificateID is the certificate's unguessable id, as stored.
	CertificateID string
	// Type is TypeParticipation or TypeAppreciation.
	Type string
	// RecipientName is the name as it prints on the certificate (NFC,
	// never re-cased).
	RecipientName string
	// RecipientEmail identifies the recipient. Only its salted hash
	// reaches the credential.
	RecipientEmail string
	// Salt is the salt of the email hash. Empty means one derived from the
	// certificate id, which keeps re-exports identical.
	Salt string
	// EventTitle and EventSlug name the event.
	EventTitle string
	EventSlug  string
	// IssuedOn is when the certificate was issued; it becomes validFrom.
	IssuedOn time.Time
	// VerifyURL is the public verification page, --public-url + "/verify/" + id.
	// Optional; when set it is the credential's evidence.
	VerifyURL string
	// StatusListURL is the event's revocation status list,
	// --public-url + "/status/" + slug + "/revocation" (StatusListURL),
	// and StatusListIndex the certificate's bit in it. Optional; when
	// set the credential carries a credentialStatus.
	StatusListURL   string
	StatusListIndex int64
}

// OpenBadgeCredential is an Open Badges 3.0 credential, its fields in the
// order they are written. It marshals to JSON as is.
type OpenBadgeCredential struct {
	Context           []string           `json:"@context"`
	ID                string             `json:"id"`
	Type              []string           `json:"type"`
	Issuer            Profile            `json:"issuer"`
	ValidFrom         string             `json:"validFrom"`
	Name              string             `json:"name"`
	Description       string             `json:"description,omitempty"`
	CredentialSubject AchievementSubject `json:"credentialSubject"`
	Evidence          []Evidence         `json:"evidence,omitempty"`
	CredentialStatus  *CredentialStatus  `json:"credentialStatus,omitempty"`
}

// Profile is the issuer as it appears in a credential.
type Profile struct {
	ID    string   `json:"id"`
	Type  []string `json:"type"`
	Name  string   `json:"name"`
	URL   string   `json:"url,omitempty"`
	Email string   `json:"email,omitempty"`
	Image *Image   `json:"image,omitempty"`
}

// AchievementSubject is the recipient and what they achieved.
type AchievementSubject struct {
	Type        []string         `json:"type"`
	Identifier  []IdentityObject `json:"identifier"`
	Achievement Achievement      `json:"achievement"`
}

// IdentityObject identifies the recipient: by a salted hash of their email
// (hashed true) or by their name in clear (identityType "name").
type IdentityObject struct {
	Type         string `json:"type"`
	IdentityHash string `json:"identityHash"`
	IdentityType string `json:"identityType"`
	Hashed       bool   `json:"hashed"`
	Salt         string `json:"salt,omitempty"`
}

// Evidence points at the public verification page of the certificate.
type Evidence struct {
	ID        string   `json:"id"`
	Type      []string `json:"type"`
	Name      string   `json:"name,omitempty"`
	Narrative string   `json:"narrative,omitempty"`
}

// DefaultAchievement returns the Achievement of a certificate type for one
// event. policy is the event's eligibility policy in plain words (as staff
// would explain it); it becomes the criteria narrative, with a general
// sentence when it is empty. The id is a name-based UUID of the issuer, the
// event and the type, so it is stable across exports.
func DefaultAchievement(issuer Issuer, certType, eventSlug, eventTitle, policy string) (Achievement, error) {
	if issuer.ID == "" || eventSlug == "" {
		return Achievement{}, fmt.Errorf("%w: achievement needs an issuer id and an event slug", ErrInvalidInput)
	}
	event := strings.TrimSpace(eventTitle)
	if event == "" {
		event = eventSlug
	}
	a := Achievement{
		ID:              uuidURN(issuer.ID + "/achievements/" + eventSlug + "/" + certType),
		Type:            []string{"Achievement"},
		AchievementType: "Certificate",
	}
	narrative := strings.TrimSpace(policy)
	switch certType {
	case TypeParticipation:
		a.Name = "Certificate of Participation"
		a.Description = "Awarded to participants who attended " + event + " and completed the certificate validation and assessment form."
		if narrative == "" {
			narrative = "Attend the live event, as shown by the attendance evidence recorded during the stream, and complete the certificate validation and assessment form."
		}
	case TypeAppreciation:
		a.Name = "Certificate of Appreciation"
		a.Description = "Awarded in appreciation to the speakers, panelists and moderators of " + event + "."
		if narrative == "" {
			narrative = "Serve as a speaker, panelist or moderator of the event."
		}
	default:
		return Achievement{}, fmt.Errorf("%w: unknown certificate type %q", ErrInvalidInput, certType)
	}
	a.Criteria.Narrative = narrative
	return a, nil
}

// Credential builds the OpenBadgeCredential of one award. It is pure: the
// same arguments always give the same credential.
func Credential(issuer Issuer, a Award, ach Achievement) (OpenBadgeCredential, error) {
	if err := checkIssuer(issuer); err != nil {
		return OpenBadgeCredential{}, err
	}
	id := strings.TrimSpace(a.CertificateID)
	switch {
	case id == "":
		return OpenBadgeCredential{}, fmt.Errorf("%w: award without a certificate id", ErrInvalidInput)
	case a.Type != TypeParticipation && a.Type != TypeAppreciation:
		return OpenBadgeCredential{}, fmt.Errorf("%w: certificate %s: unknown type %q", ErrInvalidInput, id, a.Type)
	case strings.TrimSpace(a.RecipientEmail) == "":
		return OpenBadgeCredential{}, fmt.Errorf("%w: certificate %s: no recipient email to identify the recipient by", ErrInvalidInput, id)
	case a.IssuedOn.IsZero():
		return OpenBadgeCredential{}, fmt.Errorf("%w: certificate %s: no issue date", ErrInvalidInput, id)
	case ach.ID == "" || ach.Name == "":
		return OpenBadgeCredential{}, fmt.Errorf("%w: certificate %s: achievement without id or name", ErrInvalidInput, id)
	}
	if a.VerifyURL != "" {
		if err := checkURL(a.VerifyURL); err != nil {
			return OpenBadgeCredential{}, fmt.Errorf("%w: certificate %s: verify url: %v", ErrInvalidInput, id, err)
		}
	}

	ach.Type = []string{"Achievement"}
	if ach.AchievementType == "" {
		ach.AchievementType = "Certificate"
	}

	salt := a.Salt
	if salt == "" {
		salt = derivedSalt(id)
	}
	identifiers := []IdentityObject{{
		Type:         "IdentityObject",
		IdentityHash: IdentityHash(a.RecipientEmail, salt),
		IdentityType: "emailAddress",
		Hashed:       true,
		Salt:         salt,
	}}
	if name := strings.TrimSpace(a.RecipientName); name != "" {
		// The name is public on the verification page already; in the
		// badge it lets a displayer show whose certificate this is.
		identifiers = append(identifiers, IdentityObject{
			Type:         "IdentityObject",
			IdentityHash: name,
			IdentityType: "name",
			Hashed:       false,
		})
	}

	name := ach.Name
	if t := strings.TrimSpace(a.EventTitle); t != "" {
		name += ": " + t
	}
	c := OpenBadgeCredential{
		Context:     []string{ContextCredentialsV2, ContextOpenBadgesV3},
		ID:          CredentialID(id),
		Type:        []string{"VerifiableCredential", "OpenBadgeCredential"},
		Issuer:      profile(issuer),
		ValidFrom:   a.IssuedOn.UTC().Truncate(time.Second).Format(time.RFC3339),
		Name:        name,
		Description: ach.Description,
		CredentialSubject: AchievementSubject{
			Type:        []string{"AchievementSubject"},
			Identifier:  identifiers,
			Achievement: ach,
		},
	}
	if a.VerifyURL != "" {
		c.Evidence = []Evidence{{
			ID:        a.VerifyURL,
			Type:      []string{"Evidence"},
			Name:      "Certificate verification page",
			Narrative: "The issuer's public record of certificate " + id + ": it shows whether the certificate is valid or has been revoked.",
		}}
	}
	if a.StatusListURL != "" {
		if err := checkURL(a.StatusListURL); err != nil {
			return OpenBadgeCredential{}, fmt.Errorf("%w: certificate %s: status list url: %v", ErrInvalidInput, id, err)
		}
		if a.StatusListIndex < 0 {
			return OpenBadgeCredential{}, fmt.Errorf("%w: certificate %s: negative status list index", ErrInvalidInput, id)
		}
		st := StatusEntry(a.StatusListURL, a.StatusListIndex)
		c.CredentialStatus = &st
	}
	return c, nil
}

// StatusListURL returns the URL of an event's revocation status list under
// the public base URL, as the dashboard serves it (GET
// /status/{event}/revocation).
func StatusListURL(publicURL, eventSlug string) string {
	return strings.TrimRight(publicURL, "/") + "/status/" + url.PathEscape(eventSlug) + "/" + StatusPurposeRevocation
}

// IdentityHash returns the Open Badges identity hash of an email address:
// "sha256$" and the hex SHA-256 of the address (trimmed, lower case) followed
// by the salt. A recipient proves the badge is theirs by giving the address
// that hashes to it.
func IdentityHash(email, salt string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email)) + salt))
	return "sha256$" + hex.EncodeToString(sum[:])
}

// CredentialID returns the credential id of a certificate: a name-based
// (version 5) UUID URN of the certificate id, compared case-insensitively
// like the id itself.
func CredentialID(certificateID string) string {
	return uuidURN("urn:rollcall:certificate:" + strings.ToUpper(strings.TrimSpace(certificateID)))
}

// derivedSalt is a per-certificate salt. It need not be secret (the salt is
// published next to the hash); it must differ between credentials so that
// one precomputed table cannot reverse them all, and it must be stable so
// that re-exports are identical.
func derivedSalt(certificateID string) string {
	sum := sha256.Sum256([]byte("rollcall ob3 identity salt\x00" + strings.ToUpper(certificateID)))
	return hex.EncodeToString(sum[:16])
}

// namespaceURL is the RFC 9562 name space for URLs (and URNs, here).
const namespaceURL = "\x6b\xa7\xb8\x11\x9d\xad\x11\xd1\x80\xb4\x00\xc0\x4f\xd4\x30\xc8"

// uuidURN returns the version 5 UUID of name in the URL name space, as a URN.
func uuidURN(name string) string {
	h := sha1.New()
	h.Write([]byte(namespaceURL))
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	x := hex.EncodeToString(u[:])
	return "urn:uuid:" + x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

func profile(issuer Issuer) Profile {
	p := Profile{
		ID:    issuer.ID,
		Type:  []string{"Profile"},
		Name:  issuer.Name,
		URL:   issuer.URL,
		Email: issuer.Email,
	}
	if issuer.Image != "" {
		p.Image = &Image{ID: issuer.Image, Type: "Image"}
	}
	return p
}

func checkIssuer(issuer Issuer) error {
	if err := checkURL(issuer.ID); err != nil {
		return fmt.Errorf("%w: issuer id: %v", ErrInvalidInput, err)
	}
	if strings.Contains(issuer.ID, "#") {
		return fmt.Errorf("%w: issuer id %q has a fragment; the key id adds one", ErrInvalidInput, issuer.ID)
	}
	if strings.TrimSpace(issuer.Name) == "" {
		return fmt.Errorf("%w: issuer without a name", ErrInvalidInput)
	}
	if issuer.URL != "" {
		if err := checkURL(issuer.URL); err != nil {
			return fmt.Errorf("%w: issuer url: %v", ErrInvalidInput, err)
		}
	}
	return nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	return nil
}
