package attendance

// What imports and issuing did, and issued certificates as the public
// verification page shows them.

import "time"

// ImportResult counts what an import did (or would do, on a dry run).
type ImportResult struct {
	Added     int
	Updated   int
	Unchanged int
}

// FormImportResult counts what a form import did (or would do, on a dry run).
type FormImportResult struct {
	Read              int // responses given
	Matched           int // matched to a registration by email
	MatchedByCode     int // matched by attendance code
	NewRegistrations  int // unknown people, registered with source form
	Replaced          int // replaced an earlier submission of the same person
	Older             int // skipped: an equal or later submission is already stored
	CheckpointAnswers int // checkpoint words answered right on the form
}

// IssueResult is what Issue did.
type IssueResult struct {
	// Issued is how many certificates got their id now.
	Issued int
	// AlreadyIssued is how many certificates the decisions give that had
	// their id already: they keep it.
	AlreadyIssued int
}

// Certificate is an issued certificate as the verification page shows it.
type Certificate struct {
	ID             string
	EventID        int64
	EventTitle     string
	RegistrationID int64
	Name           string // the certificate name
	Type           CertificateType
	IssuedAt       time.Time
	RevokedAt      time.Time // zero while valid
	RevokeReason   string
}

// PublicCertificate is a certificate as the public verification page shows
// it: the stored certificate and the day of its event.
type PublicCertificate struct {
	Certificate
	// EventDate is when the event took place, in the event's time zone.
	EventDate time.Time
}

// Revoked reports whether the certificate has been revoked.
func (c Certificate) Revoked() bool { return !c.RevokedAt.IsZero() }
