package attendance

import (
	"reflect"
	"testing"
	"time"
)

var r0 = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)

func rmin(m int) time.Time { return r0.Add(time.Duration(m) * time.Minute) }

func TestMembersOnlyNotices(t *testing.T) {
	cps := []Checkpoint{{Number: 1, OpensAt: rmin(10), ClosesAt: rmin(15)}, {Number: 2, OpensAt: rmin(30), ClosesAt: rmin(35)}}
	on := func(stream int64, m int) ModeChange {
		return ModeChange{StreamID: stream, VideoID: map[int64]string{1: "aaa", 2: "bbb"}[stream], At: rmin(m), MembersOnly: true}
	}
	off := func(stream int64, m int) ModeChange { c := on(stream, m); c.MembersOnly = false; return c }
	tests := []struct {
		name    string
		changes []ModeChange
		want    []MembersOnlyNotice
	}{
		{"none", nil, nil},
		{"on and off before a window", []ModeChange{on(1, 2), off(1, 8)}, nil},
		{"on and off between windows", []ModeChange{on(1, 16), off(1, 29)}, nil},
		{"started inside a window", []ModeChange{on(1, 12), off(1, 20)}, []MembersOnlyNotice{{Checkpoint: 1, VideoID: "aaa", From: rmin(12), To: rmin(20)}}},
		{"still on when a window opens", []ModeChange{on(1, 5), off(1, 11)}, []MembersOnlyNotice{{Checkpoint: 1, VideoID: "aaa", From: rmin(5), To: rmin(11)}}},
		{"ended as the window opened", []ModeChange{on(1, 5), off(1, 10)}, []MembersOnlyNotice{{Checkpoint: 1, VideoID: "aaa", From: rmin(5), To: rmin(10)}}},
		{"started as the window closed", []ModeChange{on(1, 15)}, []MembersOnlyNotice{{Checkpoint: 1, VideoID: "aaa", From: rmin(15)}, {Checkpoint: 2, VideoID: "aaa", From: rmin(15)}}},
		{"never ended spans every later window", []ModeChange{on(1, 20)}, []MembersOnlyNotice{{Checkpoint: 2, VideoID: "aaa", From: rmin(20)}}},
		{"an end without a start, a repeated start", []ModeChange{off(1, 1), on(1, 31), on(1, 32), off(1, 40)},
			[]MembersOnlyNotice{{Checkpoint: 2, VideoID: "aaa", From: rmin(31), To: rmin(40)}}},
		{"streams apart, out of order", []ModeChange{off(2, 14), on(1, 33), on(2, 13)}, []MembersOnlyNotice{
			{Checkpoint: 1, VideoID: "bbb", From: rmin(13), To: rmin(14)},
			{Checkpoint: 2, VideoID: "aaa", From: rmin(33)},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := MembersOnlyNotices(tc.changes, cps); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestChatNotes(t *testing.T) {
	cps := []Checkpoint{{Number: 1, OpensAt: rmin(10), ClosesAt: rmin(15)}}
	inWindow := Gap{VideoID: "aaa", From: rmin(12), To: rmin(14), Reason: GapTokenInvalid}
	outside := Gap{VideoID: "aaa", From: rmin(40), To: rmin(50), Reason: GapChatReplaced}
	fromStart := Gap{VideoID: "bbb", To: rmin(5), Reason: GapChatReplaced}
	notice := MembersOnlyNotice{Checkpoint: 1, VideoID: "aaa", From: rmin(11)}
	gaps := []Gap{inWindow, outside, fromStart}
	participant := Registration{Role: RoleParticipant}
	d := func(cert CertificateType, reasons ...Reason) Decision {
		return Decision{Registration: participant, Certificate: cert, Reasons: reasons}
	}
	kind := func(k string) Reason { return Reason{Kind: k} }
	inNote := "chat of aaa from 2026-11-20T02:12:00Z to 2026-11-20T02:14:00Z could not be read (page_token_invalid); a replay import may recover evidence"
	outNote := "chat of aaa from 2026-11-20T02:40:00Z to 2026-11-20T02:50:00Z could not be read (chat_replaced); a replay import may recover evidence"
	startNote := "chat of bbb from the start to 2026-11-20T02:05:00Z could not be read (chat_replaced); a replay import may recover evidence"
	noticeNote := "chat of aaa was members-only during checkpoint 1 (from 2026-11-20T02:11:00Z): non-members could not answer"
	overridden := d(CertNone, Reason{ReasonOverride, "left early"})
	overridden.Evidence.Override = &Override{Why: "left early"}
	organizer := d(CertNone, kind(ReasonOrganizer))
	organizer.Registration.Role = RoleOrganizer
	tests := []struct {
		name string
		d    Decision
		want []string
	}{
		{"certificate", d(CertParticipation), nil},
		{"form only", d(CertNone, kind(ReasonNoForm)), nil},
		{"conflict only", d(CertNone, kind(ReasonCodeConflict)), nil},
		{"not linked: every gap", d(CertNone, kind(ReasonNotLinked), Reason{ReasonCheckpoints, "0/1"}), []string{inNote, outNote, startNote, noticeNote}},
		{"presence: every gap", d(CertNone, Reason{ReasonPresence, "3/30 min"}), []string{inNote, outNote, startNote}},
		{"checkpoints: gaps in windows and notices", d(CertNone, Reason{ReasonCheckpoints, "0/1"}, kind(ReasonNoForm)), []string{inNote, noticeNote}},
		{"override", overridden, nil},
		{"organizer", organizer, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ChatNotes(tc.d, gaps, cps, []MembersOnlyNotice{notice}); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}
