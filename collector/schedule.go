package collector

import (
	"fmt"
	"time"
	_ "time/tzdata" // the quota day is a Pacific day: the zone must be there on any host

	"github.com/seameo/rollcall/attendance"
)

// Backoff bounds for transient failures.
const (
	backoffBase = time.Second
	backoffMax  = 32 * time.Second
	backoffMin  = 100 * time.Millisecond
)

// NextDelay is how long to wait after the errCount-th transient failure in a
// row: an exponential ceiling of 1 s doubling to 32 s, with full jitter
// (uniform in [0, ceiling)) drawn from rnd, which returns values in [0, 1).
// A server hint (Retry-After) stretches the wait; it never shortens it.
// The result is at least 100 ms so a failing call never spins.
func NextDelay(errCount int, hint time.Duration, rnd func() float64) time.Duration {
	if errCount < 1 {
		errCount = 1
	}
	ceiling := backoffMax
	if errCount <= 6 {
		ceiling = backoffBase << (errCount - 1)
	}
	d := time.Duration(rnd() * float64(ceiling))
	if d < backoffMin {
		d = backoffMin
	}
	if hint > d {
		d = hint
	}
	return d
}

// Poll interval bounds applied to the server's pollingIntervalMillis.
const (
	MinPollInterval     = time.Second
	MaxPollInterval     = 60 * time.Second
	DefaultPollInterval = 5 * time.Second
)

// ClampPollInterval turns the server's pollingIntervalMillis into a sane
// wait: absent, zero or negative gives the 5 s default; anything else is
// held within [1 s, 60 s].
func ClampPollInterval(millis int64) time.Duration {
	if millis <= 0 {
		return DefaultPollInterval
	}
	if millis > int64(MaxPollInterval/time.Millisecond) {
		return MaxPollInterval
	}
	return max(time.Duration(millis)*time.Millisecond, MinPollInterval)
}

// LoadPacific loads America/Los_Angeles, the zone of YouTube's quota day,
// from the embedded time zone database if the host has none.
func LoadPacific() (*time.Location, error) {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		return nil, fmt.Errorf("collector: load pacific time zone: %w", err)
	}
	return loc, nil
}

// QuotaDay is the quota day (YYYY-MM-DD in loc, the Pacific zone) that t
// falls on.
func QuotaDay(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(time.DateOnly)
}

// NextQuotaReset is the next Pacific midnight after t, when the daily quota
// starts again. Daylight saving makes some days 23 or 25 hours long.
func NextQuotaReset(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc).UTC()
}

// ChatReadCost is what one liveChatMessages.list call costs.
const ChatReadCost = 5

// Plan is what the quota planner knows when it spaces the next chat read.
type Plan struct {
	Now            time.Time
	ExpectedEnd    time.Time     // when the event is expected to end
	NextReset      time.Time     // next Pacific midnight
	Remaining      int64         // chat units left today (budget minus stats reserve minus used)
	Chats          int           // live chats sharing the budget (at least 1)
	ServerInterval time.Duration // the server's clamped pollingIntervalMillis
	FullPage       bool          // the last read came back full: more is waiting
	Draining       bool          // the stream is offline: read what is left at once
}

// minTail is how long an event that runs past its expected end is assumed
// to go on: the planner then keeps spacing reads over this tail.
const minTail = 30 * time.Minute

// PlanChatWait spaces chat reads so the remaining budget lasts until the
// event's expected end (or the quota reset, whichever comes first), never
// faster than the server asks. A full page or a draining chat is read again
// as soon as the server allows, if at least one more read fits in the
// budget. paused is true when no read fits before the reset: the wait is
// then until the reset.
func PlanChatWait(p Plan) (wait time.Duration, paused bool) {
	chats := int64(max(p.Chats, 1))
	reads := p.Remaining / ChatReadCost / chats
	if reads < 1 {
		return max(p.NextReset.Sub(p.Now), 0), true
	}
	server := max(p.ServerInterval, MinPollInterval)
	if (p.FullPage || p.Draining) && reads > 1 {
		return server, false
	}
	end := p.ExpectedEnd
	if end.Before(p.Now.Add(minTail)) {
		end = p.Now.Add(minTail)
	}
	if !p.NextReset.IsZero() && p.NextReset.Before(end) {
		end = p.NextReset
	}
	horizon := end.Sub(p.Now)
	return max(horizon/time.Duration(reads), server), false
}

// ExpectedEnd is when a stream is expected to end: its actual end if known,
// its scheduled end, or eventDuration after its actual (else scheduled)
// start, else after now.
func ExpectedEnd(s attendance.Stream, eventDuration time.Duration, now time.Time) time.Time {
	switch {
	case !s.ActualEnd.IsZero():
		return s.ActualEnd
	case !s.ScheduledEnd.IsZero():
		return s.ScheduledEnd
	case !s.ActualStart.IsZero():
		return s.ActualStart.Add(eventDuration)
	case !s.ScheduledStart.IsZero():
		return s.ScheduledStart.Add(eventDuration)
	default:
		return now.Add(eventDuration)
	}
}

// SampleInterval is how long the stream watcher waits before reading a
// stream's statistics again: often near the scheduled start (to catch the
// chat id early, since the first chat read returns only recent history),
// steadily while live, rarely when the start is far away, and less and
// less often once a stream is late: every 2 minutes from 30 minutes past
// its scheduled start, every 10 from 2 hours past.
func SampleInterval(s attendance.Stream, now time.Time) time.Duration {
	switch s.State {
	case attendance.StreamLive:
		return 30 * time.Second
	case attendance.StreamEnded:
		return 0
	case attendance.StreamUpcoming:
		if s.ScheduledStart.IsZero() {
			return 2 * time.Minute
		}
		until := s.ScheduledStart.Sub(now)
		switch {
		case until < -2*time.Hour: // a stream that may never start
			return 10 * time.Minute
		case until < -30*time.Minute:
			return 2 * time.Minute
		case until <= 10*time.Minute: // includes a start a little late
			return 15 * time.Second
		case until <= time.Hour:
			return time.Minute
		case until <= 6*time.Hour:
			return 5 * time.Minute
		default:
			return 15 * time.Minute
		}
	default:
		return 30 * time.Second
	}
}
