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
	Reasons         []string
	CertificateID   string // "" when none
}

// Reasons that Evaluate gives. Those with figures are formatted:
// "checkpoints 1/3", "presence 12/30 min", "override: <why>", "role speaker".
const (
	ReasonNotLinked     = "not_linked"
	ReasonNoForm        = "no_form"
	ReasonCodeConflict  = "code_conflict"
	ReasonSharedChannel = "shared_channel"
	ReasonOrganizer     = "organizer"
)

// Evaluate decides the certificate that the policy gives a person of the
// given role on the given evidence, with machine-readable reasons. A staff
// override wins over everything. Speakers, panelists and moderators earn
// appreciation; organizers none; participants participation when they are
// linked, hit enough checkpoints (or were present long enough when the
// event has none), submitted the form when it is required, and no conflict
// is open. shared_channel and the review flags (evidence_deleted,
// channel_banned) are flags for review and do not block.
func Evaluate(p Policy, role Role, ev Evidence) (CertificateType, []string) {
	if ev.Override != nil {
		return ev.Override.Certificate, []string{"override: " + ev.Override.Why}
	}
	switch role {
	case RoleSpeaker, RolePanelist, RoleModerator:
		return CertAppreciation, []string{"role " + string(role)}
	case RoleOrganizer:
		return CertNone, []string{ReasonOrganizer}
	}
	var reasons []string
	blocked := false
	block := func(r string) { reasons = append(reasons, r); blocked = true }
	if !ev.Linked {
		block(ReasonNotLinked)
	}
	if ev.CheckpointsTotal > 0 {
		if need := p.RequiredCheckpoints(ev.CheckpointsTotal); ev.CheckpointsHit < need {
			block(fmt.Sprintf("checkpoints %d/%d", ev.CheckpointsHit, ev.CheckpointsTotal))
		}
	} else if ev.PresenceMinutes < p.MinPresenceMinutes {
		block(fmt.Sprintf("presence %d/%d min", ev.PresenceMinutes, p.MinPresenceMinutes))
	}
	if p.RequireForm && !ev.FormSubmitted {
		block(ReasonNoForm)
	}
	if ev.Conflict {
		block(ReasonCodeConflict)
	}
	if ev.SharedChannel {
		reasons = append(reasons, ReasonSharedChannel)
	}
	reasons = append(reasons, ev.Review...)
	if blocked {
		return CertNone, reasons
	}
	return CertParticipation, reasons
}
