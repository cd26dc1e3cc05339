package attendance

import (
	"fmt"
	"time"
)

// CertificateType is the certificate a person earns; CertNone ("") is none.
type CertificateType string

// Certificate types.
const (
	CertAppreciation  CertificateType = "appreciation"
	CertParticipation CertificateType = "participation"
	CertNone          CertificateType = ""
)

// ParseCertificateType reads a certificate type as given on the command
// line: participation, appreciation or none.
func ParseCertificateType(s string) (CertificateType, error) {
	switch s {
	case "participation":
		return CertParticipation, nil
	case "appreciation":
		return CertAppreciation, nil
	case "none", "":
		return CertNone, nil
	}
	return "", Errorf(EInvalid, "certificate %q: expected participation, appreciation or none", s)
}

// Override is a staff decision that replaces the policy's for one person.
type Override struct {
	Certificate CertificateType
	Why         string
	Staff       string
	At          time.Time
}

// Evidence is what rollcall holds about one registration's attendance.
type Evidence struct {
	Linked        bool
	Channels      []string
	LinkMethods   []string
	Conflict      bool // an unresolved link conflict names this registration
	SharedChannel bool // a linked channel is linked to other registrations too
	// Review holds the open review flags (ConflictEvidenceDeleted,
	// ConflictChannelBanned), sorted: evidence kept, for staff to look at.
	Review []string

	CheckpointsHit   int // chat hits, plus form answers when the policy counts them
	CheckpointsTotal int
	PresenceMinutes  int
	FirstSeen        time.Time
	LastSeen         time.Time

	FormSubmitted bool
	Override      *Override
}

// Decision is one registration's certificate with its reasons and evidence.
type Decision struct {
	Registration Registration
	Evidence     Evidence
	// CertificateName is the name to print: the form's answer when the
	// person gave one, else the registered full name.
	CertificateName string
	Certificate     CertificateType
	Reasons         []Reason
	CertificateID   string // "" when none
}

// Reason kinds: why a decision is what it is. The review flags
// ConflictEvidenceDeleted and ConflictChannelBanned are kinds too.
const (
	ReasonNotLinked     = "not_linked"
	ReasonCheckpoints   = "checkpoints" // Detail "1/3": hit of total
	ReasonPresence      = "presence"    // Detail "12/30 min": minutes of needed
	ReasonNoForm        = "no_form"
	ReasonCodeConflict  = "code_conflict"
	ReasonSharedChannel = "shared_channel"
	ReasonRole          = "role"      // Detail the role that earns appreciation: "speaker"
	ReasonOrganizer     = "organizer" // organizers get no certificate
	ReasonOverride      = "override"  // Detail the staff member's why
	ReasonRevoked       = "revoked"   // Detail why the certificate was revoked
)

// Reason is one machine-readable reason of a decision: a kind, which code
// switches on, and a detail (figures, a role, staff's words).
type Reason struct {
	Kind   string
	Detail string
}

// String is the reason as exports and pages show it: the kind alone
// ("not_linked"), the kind and its detail ("checkpoints 1/3",
// "presence 12/30 min", "role speaker"), or for the staff's words
// "override: <why>" and "revoked: <why>".
func (r Reason) String() string {
	switch {
	case r.Kind == ReasonOverride || r.Kind == ReasonRevoked:
		return r.Kind + ": " + r.Detail
	case r.Detail == "":
		return r.Kind
	}
	return r.Kind + " " + r.Detail
}

// MarshalText encodes a reason as its String, so that JSON shows reasons
// as it always did.
func (r Reason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// ReasonStrings returns the reasons as exports show them, in order.
func ReasonStrings(rs []Reason) []string {
	if rs == nil {
		return nil
	}
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return out
}

// Evaluate decides the certificate that the policy gives a person of the
// given role on the given evidence, with machine-readable reasons. A staff
// override wins over everything. Speakers, panelists and moderators earn
// appreciation; organizers none; participants participation when they are
// linked, hit enough checkpoints (or were present long enough when the
// event has none), submitted the form when it is required, and no conflict
// is open. shared_channel and the review flags (evidence_deleted,
// channel_banned) are flags for review and do not block.
func Evaluate(p Policy, role Role, ev Evidence) (CertificateType, []Reason) {
	if ev.Override != nil {
		return ev.Override.Certificate, []Reason{{ReasonOverride, ev.Override.Why}}
	}
	switch role {
	case RoleSpeaker, RolePanelist, RoleModerator:
		return CertAppreciation, []Reason{{ReasonRole, string(role)}}
	case RoleOrganizer:
		return CertNone, []Reason{{Kind: ReasonOrganizer}}
	}
	var reasons []Reason
	blocked := false
	block := func(kind, detail string) { reasons = append(reasons, Reason{kind, detail}); blocked = true }
	if !ev.Linked {
		block(ReasonNotLinked, "")
	}
	if ev.CheckpointsTotal > 0 {
		if need := p.RequiredCheckpoints(ev.CheckpointsTotal); ev.CheckpointsHit < need {
			block(ReasonCheckpoints, fmt.Sprintf("%d/%d", ev.CheckpointsHit, ev.CheckpointsTotal))
		}
	} else if ev.PresenceMinutes < p.MinPresenceMinutes {
		block(ReasonPresence, fmt.Sprintf("%d/%d min", ev.PresenceMinutes, p.MinPresenceMinutes))
	}
	if p.RequireForm && !ev.FormSubmitted {
		block(ReasonNoForm, "")
	}
	if ev.Conflict {
		block(ReasonCodeConflict, "")
	}
	if ev.SharedChannel {
		reasons = append(reasons, Reason{Kind: ReasonSharedChannel})
	}
	for _, flag := range ev.Review {
		reasons = append(reasons, Reason{Kind: flag})
	}
	if blocked {
		return CertNone, reasons
	}
	return CertParticipation, reasons
}
