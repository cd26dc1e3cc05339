package attendance

// This file is a stand-in for the types the attendance branch defines
// (/work/notes/contract.md), so that the dashboard branch compiles on its
// own. DELETE IT AT MERGE: the attendance branch's definitions replace it.
// FormResponse and TimelineEntry are not spelled out in the contract; the
// dashboard reads only the fields used below.

import "time"

// CertificateType is the certificate a person earned ("" for none).
type CertificateType string

// Certificate types.
const (
	CertAppreciation  CertificateType = "appreciation"
	CertParticipation CertificateType = "participation"
	CertNone          CertificateType = ""
)

// Checkpoint is a word announced during the stream, with its window.
type Checkpoint struct {
	ID, EventID       int64
	Number            int
	Word              string
	OpensAt, ClosesAt time.Time
	Hits              int64
}

// Evidence is what rollcall knows of one person's attendance.
type Evidence struct {
	Linked                           bool
	Channels                         []string
	LinkMethods                      []string
	Conflict                         bool
	SharedChannel                    bool
	CheckpointsHit, CheckpointsTotal int
	PresenceMinutes                  int
	FirstSeen, LastSeen              time.Time
	FormSubmitted                    bool
	Override                         *Override
}

// Override is a staff decision on a certificate.
type Override struct {
	Certificate CertificateType
	Why, Staff  string
	At          time.Time
}

// Decision is one registration's certificate decision with its reasons.
type Decision struct {
	Registration  Registration
	Evidence      Evidence
	Certificate   CertificateType
	Reasons       []string
	CertificateID string
}

// FormResponse is one submission of the assessment form.
type FormResponse struct {
	Email           string
	CertificateName string
	SubmittedAt     time.Time
}

// TimelineEntry is one piece of a person's evidence.
type TimelineEntry struct {
	At     time.Time
	Kind   string
	Stream string
	Text   string
}
