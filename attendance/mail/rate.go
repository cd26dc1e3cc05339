package mail

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is how many messages may go out per period; the zero Rate has no
// limit.
type Rate struct {
	N   int
	Per time.Duration
}

// ParseRate reads a rate as N/s, N/m or N/h ("20/m"); "" and "0" mean no
// limit.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return Rate{}, nil
	}
	n, unit, ok := strings.Cut(s, "/")
	count, err := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err != nil || count < 0 {
		return Rate{}, fmt.Errorf("rate %q: want N/s, N/m or N/h, e.g. 20/m", s)
	}
	var per time.Duration
	switch strings.TrimSpace(unit) {
	case "s":
		per = time.Second
	case "m":
		per = time.Minute
	case "h":
		per = time.Hour
	default:
		return Rate{}, fmt.Errorf("rate %q: the unit is s, m or h", s)
	}
	if count == 0 {
		return Rate{}, nil
	}
	return Rate{N: count, Per: per}, nil
}

// interval is the spacing of messages at this rate.
func (r Rate) interval() time.Duration {
	if r.N <= 0 {
		return 0
	}
	return r.Per / time.Duration(r.N)
}

// pacer spaces messages evenly at a rate.
type pacer struct {
	every time.Duration
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
	next  time.Time
}

func newPacer(r Rate, now func() time.Time, sleep func(context.Context, time.Duration) error) *pacer {
	return &pacer{every: r.interval(), now: now, sleep: sleep}
}

// wait returns when the next message may go.
func (p *pacer) wait(ctx context.Context) error {
	if p.every == 0 {
		return ctx.Err()
	}
	now := p.now()
	if p.next.After(now) {
		if err := p.sleep(ctx, p.next.Sub(now)); err != nil {
			return err
		}
		now = p.next
	}
	p.next = now.Add(p.every)
	return nil
}
