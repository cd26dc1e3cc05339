package attendance

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestEvaluate(t *testing.T) {
	one := 1
	def := DefaultPolicy()
	noForm := def
	noForm.RequireForm = false
	minOne := def
	minOne.MinCheckpoints = &one
	good := Evidence{Linked: true, CheckpointsHit: 2, CheckpointsTotal: 3, FormSubmitted: true}
	with := func(f func(*Evidence)) Evidence { e := good; f(&e); return e }
	tests := []struct {
		name    string
		p       Policy
		role    Role
		ev      Evidence
		want    CertificateType
		reasons []string
	}{
		{"participant meets policy", def, RoleParticipant, good, CertParticipation, nil},
		{"all checkpoints", def, RoleParticipant, with(func(e *Evidence) { e.CheckpointsHit = 3 }), CertParticipation, nil},
		{"not linked", def, RoleParticipant, with(func(e *Evidence) { e.Linked = false }), CertNone, []string{"not_linked"}},
		{"too few checkpoints", def, RoleParticipant, with(func(e *Evidence) { e.CheckpointsHit = 1 }), CertNone, []string{"checkpoints 1/3"}},
		{"min checkpoints set", minOne, RoleParticipant, with(func(e *Evidence) { e.CheckpointsHit = 1 }), CertParticipation, nil},
		{"no form", def, RoleParticipant, with(func(e *Evidence) { e.FormSubmitted = false }), CertNone, []string{"no_form"}},
		{"form not required", noForm, RoleParticipant, with(func(e *Evidence) { e.FormSubmitted = false }), CertParticipation, nil},
		{"conflict", def, RoleParticipant, with(func(e *Evidence) { e.Conflict = true }), CertNone, []string{"code_conflict"}},
		{"shared channel flags only", def, RoleParticipant, with(func(e *Evidence) { e.SharedChannel = true }), CertParticipation, []string{"shared_channel"}},
		{"review flags block nothing", def, RoleParticipant, with(func(e *Evidence) {
			e.SharedChannel, e.Review = true, []string{ConflictChannelBanned, ConflictEvidenceDeleted}
		}), CertParticipation, []string{"shared_channel", "channel_banned", "evidence_deleted"}},
		{"review flags follow blockers", def, RoleParticipant, with(func(e *Evidence) { e.FormSubmitted, e.Review = false, []string{ConflictEvidenceDeleted} }),
			CertNone, []string{"no_form", "evidence_deleted"}},
		{"no checkpoints, present", def, RoleParticipant, with(func(e *Evidence) { e.CheckpointsTotal, e.CheckpointsHit, e.PresenceMinutes = 0, 0, 30 }), CertParticipation, nil},
		{"no checkpoints, too short", def, RoleParticipant, with(func(e *Evidence) { e.CheckpointsTotal, e.CheckpointsHit, e.PresenceMinutes = 0, 0, 12 }), CertNone, []string{"presence 12/30 min"}},
		{"everything missing", def, RoleParticipant, Evidence{CheckpointsTotal: 3, Conflict: true}, CertNone, []string{"not_linked", "checkpoints 0/3", "no_form", "code_conflict"}},
		{"speaker without evidence", def, RoleSpeaker, Evidence{}, CertAppreciation, []string{"role speaker"}},
		{"panelist", def, RolePanelist, Evidence{}, CertAppreciation, []string{"role panelist"}},
		{"moderator", def, RoleModerator, Evidence{}, CertAppreciation, []string{"role moderator"}},
		{"organizer", def, RoleOrganizer, good, CertNone, []string{"organizer"}},
		{"override grants", def, RoleParticipant, Evidence{Override: &Override{Certificate: CertParticipation, Why: "watched at the venue"}}, CertParticipation, []string{"override: watched at the venue"}},
		{"override denies speaker", def, RoleSpeaker, Evidence{Override: &Override{Certificate: CertNone, Why: "withdrew"}}, CertNone, []string{"override: withdrew"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reasons := Evaluate(tt.p, tt.role, tt.ev)
			if got != tt.want || !reflect.DeepEqual(ReasonStrings(reasons), tt.reasons) {
				t.Fatalf("Evaluate = %q %q, want %q %q", got, reasons, tt.want, tt.reasons)
			}
		})
	}
}

func TestParseCertificateType(t *testing.T) {
	for in, want := range map[string]CertificateType{"participation": CertParticipation, "appreciation": CertAppreciation, "none": CertNone} {
		if got, err := ParseCertificateType(in); err != nil || got != want {
			t.Errorf("ParseCertificateType(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseCertificateType("gold"); ErrorCode(err) != EInvalid {
		t.Errorf("gold: %v", err)
	}
}

func TestReasonString(t *testing.T) {
	for _, c := range []struct {
		r    Reason
		want string
	}{
		{Reason{Kind: ReasonNotLinked}, "not_linked"},
		{Reason{ReasonCheckpoints, "1/3"}, "checkpoints 1/3"},
		{Reason{ReasonPresence, "12/30 min"}, "presence 12/30 min"},
		{Reason{Kind: ReasonNoForm}, "no_form"},
		{Reason{Kind: ReasonCodeConflict}, "code_conflict"},
		{Reason{Kind: ReasonSharedChannel}, "shared_channel"},
		{Reason{Kind: ConflictEvidenceDeleted}, "evidence_deleted"},
		{Reason{Kind: ConflictChannelBanned}, "channel_banned"},
		{Reason{ReasonRole, "panelist"}, "role panelist"},
		{Reason{Kind: ReasonOrganizer}, "organizer"},
		{Reason{ReasonOverride, "watched at the venue: room 2"}, "override: watched at the venue: room 2"},
		{Reason{Kind: ReasonOverride}, "override: "},
		{Reason{ReasonRevoked, "issued by mistake"}, "revoked: issued by mistake"},
	} {
		if got := c.r.String(); got != c.want {
			t.Errorf("%#v.String() = %q, want %q", c.r, got, c.want)
		}
	}
	b, err := json.Marshal(Decision{Reasons: []Reason{{Kind: ReasonNotLinked}, {ReasonCheckpoints, "0/3"}}})
	if err != nil || !strings.Contains(string(b), `"Reasons":["not_linked","checkpoints 0/3"]`) {
		t.Errorf("JSON %s, %v", b, err)
	}
}
