package attendance

import (
	"math"
	"regexp"
	"time"
)

// Event is one webinar or policy dialogue: a slug, a title, a time zone, its
// YouTube streams and the policy that decides certificates.
type Event struct {
	ID        int64
	Slug      string
	Title     string
	TimeZone  string // IANA name; dates on certificates are in this zone
	Policy    Policy
	CreatedAt time.Time
	VideoIDs  []string
	// Discovery finds the event's streams among the channel owner's
	// broadcasts (off unless asked for).
	Discovery Discovery
	// Announce posts each checkpoint to every live chat of the event when
	// it opens (off unless asked for), with AnnounceTemplate (empty: the
	// default).
	Announce         bool
	AnnounceTemplate string
}

// Location is the event's time zone, UTC when TimeZone names none this
// host knows.
func (e Event) Location() *time.Location {
	loc, err := time.LoadLocation(e.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidateSlug reports whether s can name an event in URLs and commands.
func ValidateSlug(s string) error {
	if !slugPattern.MatchString(s) {
		return Errorf(EInvalid, "event slug %q: expected 1-63 lower-case letters, digits and dashes, starting with a letter or digit", s)
	}
	return nil
}

// Policy is an event's rule for certificates of participation.
type Policy struct {
	// MinCheckpoints is how many checkpoints a participant must hit; nil means
	// the default, ceil(2/3 of the event's checkpoints).
	MinCheckpoints *int
	// MinPresenceMinutes is the distinct minutes of chat activity needed when
	// the event has no checkpoints.
	MinPresenceMinutes int
	// RequireForm says whether the assessment form must be submitted.
	RequireForm bool
	// FormCheckpointAnswersCount says whether checkpoint words given on the
	// form count as hits.
	FormCheckpointAnswersCount bool
	// MaxRegistrationsPerChannel is how many people one chat channel may be
	// linked to (group viewing in a school); more codes are conflicts.
	MaxRegistrationsPerChannel int
}

// DefaultPolicy is the secretariat's rule: 2 of 3 checkpoints, the form, one
// person per channel.
func DefaultPolicy() Policy {
	return Policy{MinPresenceMinutes: 30, RequireForm: true, MaxRegistrationsPerChannel: 1}
}

// RequiredCheckpoints is how many of total checkpoints a participant must hit.
func (p Policy) RequiredCheckpoints(total int) int {
	if p.MinCheckpoints != nil {
		return min(*p.MinCheckpoints, total)
	}
	return int(math.Ceil(float64(total) * 2 / 3))
}

// Validate checks a policy's fields.
func (p Policy) Validate() error {
	switch {
	case p.MinCheckpoints != nil && *p.MinCheckpoints < 0:
		return Errorf(EInvalid, "min-checkpoints must be 0 or more, got %d", *p.MinCheckpoints)
	case p.MinPresenceMinutes < 0:
		return Errorf(EInvalid, "min-presence-minutes must be 0 or more, got %d", p.MinPresenceMinutes)
	case p.MaxRegistrationsPerChannel < 1:
		return Errorf(EInvalid, "max-registrations-per-channel must be 1 or more, got %d", p.MaxRegistrationsPerChannel)
	}
	return nil
}
