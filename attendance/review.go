package attendance

import (
	"fmt"
	"sort"
	"time"
)

// Chat message types of members-only mode (snippet.type).
const (
	MsgMembersOnlyStarted = "sponsorOnlyModeStartedEvent"
	MsgMembersOnlyEnded   = "sponsorOnlyModeEndedEvent"
)

// Review flags: link conflict kinds that send evidence to staff review
// without blocking a certificate. The evidence they name is kept and
// counts; the flag says a human should look at it.
const (
	// ConflictEvidenceDeleted: a link or checkpoint hit rests on a message
	// that a moderator later deleted (messageDeletedEvent). A message its
	// author retracted is not flagged.
	ConflictEvidenceDeleted = "evidence_deleted"
	// ConflictChannelBanned: a link or checkpoint hit rests on messages of
	// a channel banned from the chat (userBannedEvent), before or after it.
	ConflictChannelBanned = "channel_banned"
)

// ReviewOnly reports whether a conflict kind is a review flag, which is
// shown to staff but does not block a certificate (unlike code_taken and
// the other link conflicts).
func ReviewOnly(kind string) bool {
	return kind == ConflictEvidenceDeleted || kind == ConflictChannelBanned
}

// ModeChange is one switch of a stream's chat into or out of members-only
// mode, at its publishedAt.
type ModeChange struct {
	StreamID    int64
	VideoID     string
	At          time.Time
	MembersOnly bool // true for sponsorOnlyModeStartedEvent
}

// MembersOnlyNotice says that a stream's chat was in members-only mode
// during part of a checkpoint's window: non-members could not answer then.
// It is a notice for staff, not a rule change.
type MembersOnlyNotice struct {
	Checkpoint int // the checkpoint's number, never its word
	VideoID    string
	From       time.Time // when members-only mode started
	To         time.Time // when it ended; zero while it is still on
}

// MembersOnlyNotices pairs the members-only spans of each stream with the
// checkpoint windows they overlap: a span that starts inside a window, or
// one still on (no later end) when a window opens. Changes may come in
// any order; they are sorted by stream and time. Notices come by
// checkpoint number, then video, then start.
func MembersOnlyNotices(changes []ModeChange, cps []Checkpoint) []MembersOnlyNotice {
	cs := append([]ModeChange(nil), changes...)
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].StreamID != cs[j].StreamID {
			return cs[i].StreamID < cs[j].StreamID
		}
		return cs[i].At.Before(cs[j].At)
	})
	type span struct {
		video    string
		from, to time.Time
	}
	var spans []span
	var open *span
	var stream int64
	for _, c := range cs {
		if open != nil && c.StreamID != stream {
			spans, open = append(spans, *open), nil
		}
		stream = c.StreamID
		switch {
		case c.MembersOnly && open == nil:
			open = &span{video: c.VideoID, from: c.At}
		case !c.MembersOnly && open != nil:
			open.to = c.At
			spans, open = append(spans, *open), nil
		}
	}
	if open != nil {
		spans = append(spans, *open)
	}
	var out []MembersOnlyNotice
	for _, cp := range cps {
		for _, s := range spans {
			if s.from.After(cp.ClosesAt) || (!s.to.IsZero() && s.to.Before(cp.OpensAt)) {
				continue
			}
			out = append(out, MembersOnlyNotice{Checkpoint: cp.Number, VideoID: s.video, From: s.from, To: s.to})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Checkpoint != b.Checkpoint {
			return a.Checkpoint < b.Checkpoint
		}
		if a.VideoID != b.VideoID {
			return a.VideoID < b.VideoID
		}
		return a.From.Before(b.From)
	})
	return out
}

// ChatNotes are the notes of the attendance export for one decision: what
// rollcall could not see that might change it. A registration without a
// certificate, no staff override and a blocker that chat evidence could
// lift (not linked, too few checkpoints, too little presence) gets
//   - a note for each gap of the event's chat when it is not linked or
//     lacks presence (a code or activity may be in any gap), and, when it
//     lacks checkpoints, for each gap that overlaps a checkpoint window;
//   - when it lacks checkpoints, a note for each members-only notice.
//
// Others get none: nothing chat could hold would change their decision.
func ChatNotes(d Decision, gaps []Gap, cps []Checkpoint, notices []MembersOnlyNotice) []string {
	if d.Certificate != CertNone || d.Evidence.Override != nil || d.Registration.Role == RoleOrganizer {
		return nil
	}
	var anyGap, cpGap bool
	for _, r := range d.Reasons {
		switch r.Kind {
		case ReasonNotLinked, ReasonPresence:
			anyGap = true
		case ReasonCheckpoints:
			cpGap = true
		}
	}
	var notes []string
	for _, g := range gaps {
		if anyGap || (cpGap && gapOverlaps(g, cps)) {
			notes = append(notes, GapNote(g))
		}
	}
	if cpGap {
		for _, n := range notices {
			notes = append(notes, fmt.Sprintf("chat of %s was members-only during checkpoint %d (from %s): non-members could not answer",
				n.VideoID, n.Checkpoint, stampUTC(n.From)))
		}
	}
	return notes
}

// GapNote is how a gap reads in a note: "chat of VIDEO from FROM to TO
// could not be read (REASON); a replay import may recover evidence".
func GapNote(g Gap) string {
	from := "the start"
	if !g.From.IsZero() {
		from = stampUTC(g.From)
	}
	return fmt.Sprintf("chat of %s from %s to %s could not be read (%s); a replay import may recover evidence",
		g.VideoID, from, stampUTC(g.To), g.Reason)
}

func gapOverlaps(g Gap, cps []Checkpoint) bool {
	for _, cp := range cps {
		if !g.To.Before(cp.OpensAt) && (g.From.IsZero() || !g.From.After(cp.ClosesAt)) {
			return true
		}
	}
	return false
}

func stampUTC(t time.Time) string { return t.UTC().Format(time.RFC3339) }
