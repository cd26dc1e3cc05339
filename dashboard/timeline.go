package dashboard

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/seameo/rollcall/attendance"
)

// The report's timeline charts are drawn on the server as SVG: they print
// without a script, the same in every browser, and each carries its words
// (a summary and a table) for screen readers and for the printed page.

// Chart sizes in SVG units.
const (
	chartW, chartH = 1000.0, 180.0
	chartLeft      = 48.0 // room for the value axis
	chartBottom    = 22.0 // room for the time axis
	maxBars        = 300  // minutes are grouped into at most this many bars
)

// timeChart is one chart of the report's timeline.
type timeChart struct {
	ID, Title, Summary string
	W, H               float64
	Bars               []chartRect
	Line               string // SVG path of a line chart
	Windows            []chartRect
	Ticks              []chartTick
	MaxLabel           string
	BaseY              float64
	Empty              bool
}

type chartRect struct {
	X, Y, W, H float64
	Label      string
}

type chartTick struct {
	X, Y  float64
	Label string
}

// timeSpan is the minutes the timeline covers: from the first minute of
// chat, links or checkpoints to the last.
type timeSpan struct{ from, to int64 } // minutes since the epoch, to inclusive

func (sp timeSpan) x(minute int64) float64 {
	n := max(sp.to-sp.from+1, 1)
	return chartLeft + (chartW-chartLeft-4)*float64(minute-sp.from)/float64(n)
}

func spanOf(series [][]attendance.MinuteCount, cps []attendance.Checkpoint) (timeSpan, bool) {
	sp := timeSpan{from: 1 << 62, to: -1 << 62}
	for _, s := range series {
		for _, m := range s {
			sp.from, sp.to = min(sp.from, m.Minute), max(sp.to, m.Minute)
		}
	}
	for _, c := range cps {
		sp.from = min(sp.from, c.OpensAt.Unix()/60)
		sp.to = max(sp.to, (c.ClosesAt.Unix()-1)/60)
	}
	return sp, sp.from <= sp.to
}

// ticks are six labels of the time axis in the event's zone.
func (sp timeSpan) ticks(loc *time.Location) []chartTick {
	var out []chartTick
	for i := 0; i <= 5; i++ {
		m := sp.from + (sp.to-sp.from)*int64(i)/5
		out = append(out, chartTick{X: sp.x(m), Y: chartH - 6, Label: attendance.LocalTime(time.Unix(m*60, 0), loc, "15:04 MST")})
	}
	return out
}

// windows marks the checkpoints' windows.
func (sp timeSpan) windows(cps []attendance.Checkpoint) []chartRect {
	var out []chartRect
	for _, c := range cps {
		x0, x1 := sp.x(c.OpensAt.Unix()/60), sp.x((c.ClosesAt.Unix()+59)/60)
		out = append(out, chartRect{X: x0, Y: 4, W: max(x1-x0, 2), H: chartH - chartBottom - 4, Label: "checkpoint " + strconv.Itoa(c.Number)})
	}
	return out
}

// chatChart draws chat messages per minute over the whole event, minutes
// grouped into bars of a few minutes when the event is long.
func chatChart(sp timeSpan, chat []attendance.MinuteCount, cps []attendance.Checkpoint, loc *time.Location) timeChart {
	ch := timeChart{ID: "chat-timeline", Title: "Chat messages per minute, whole event (computed from chat)", W: chartW, H: chartH, BaseY: chartH - chartBottom}
	if len(chat) == 0 {
		ch.Empty, ch.Summary = true, "No chat messages."
		return ch
	}
	width := (sp.to - sp.from + maxBars) / maxBars // minutes a bar
	buckets := map[int64]int64{}
	var total, peak, peakAt int64
	for _, m := range chat {
		buckets[(m.Minute-sp.from)/width] += m.N
		total += m.N
		if m.N > peak {
			peak, peakAt = m.N, m.Minute
		}
	}
	var maxB int64 = 1
	for _, n := range buckets {
		maxB = max(maxB, n)
	}
	h := chartH - chartBottom - 8
	for b := int64(0); b <= (sp.to-sp.from)/width; b++ {
		n, ok := buckets[b]
		if !ok {
			continue
		}
		x0, x1 := sp.x(sp.from+b*width), sp.x(sp.from+(b+1)*width)
		bh := h * float64(n) / float64(maxB)
		ch.Bars = append(ch.Bars, chartRect{X: x0, Y: chartH - chartBottom - bh, W: max(x1-x0-0.5, 0.8), H: bh,
			Label: fmt.Sprintf("%s: %d", attendance.LocalTime(time.Unix((sp.from+b*width)*60, 0), loc, "15:04 MST"), n)})
	}
	ch.Windows = sp.windows(cps)
	ch.Ticks = sp.ticks(loc)
	ch.MaxLabel = group(maxB)
	per := "a minute"
	if width > 1 {
		per = fmt.Sprintf("per %d minutes", width)
	}
	ch.Summary = fmt.Sprintf("%s chat messages from %s to %s, bars %s; the busiest minute had %s messages, at %s; checkpoint windows shaded: %d.",
		group(total), attendance.LocalTime(time.Unix(sp.from*60, 0), loc, "15:04 MST"), attendance.LocalTime(time.Unix((sp.to+1)*60, 0), loc, "15:04 MST"),
		per, group(peak), attendance.LocalTime(time.Unix(peakAt*60, 0), loc, "15:04 MST"), len(cps))
	return ch
}

// linkedChart draws the people linked so far, minute by minute.
func linkedChart(sp timeSpan, linked []attendance.MinuteCount, registered int64, cps []attendance.Checkpoint, loc *time.Location) timeChart {
	ch := timeChart{ID: "linked-timeline", Title: "Registered people linked over time (computed from chat)", W: chartW, H: chartH, BaseY: chartH - chartBottom}
	if len(linked) == 0 {
		ch.Empty, ch.Summary = true, "Nobody linked yet."
		return ch
	}
	var total int64
	for _, m := range linked {
		total += m.N
	}
	top := max(total, 1)
	h := chartH - chartBottom - 8
	y := func(n int64) float64 { return chartH - chartBottom - h*float64(n)/float64(top) }
	var b strings.Builder
	var sum int64
	fmt.Fprintf(&b, "M%.1f,%.1f", sp.x(sp.from), y(0))
	half := int64(-1)
	for _, m := range linked {
		fmt.Fprintf(&b, "L%.1f,%.1f", sp.x(m.Minute), y(sum))
		sum += m.N
		fmt.Fprintf(&b, "L%.1f,%.1f", sp.x(m.Minute), y(sum))
		if half < 0 && sum*2 >= total {
			half = m.Minute
		}
	}
	fmt.Fprintf(&b, "L%.1f,%.1f", sp.x(sp.to+1), y(sum))
	ch.Line = b.String()
	ch.Windows = sp.windows(cps)
	ch.Ticks = sp.ticks(loc)
	ch.MaxLabel = group(top)
	ch.Summary = fmt.Sprintf("%s of %s registered people linked by %s; half of them by %s.", group(total), group(registered),
		attendance.LocalTime(time.Unix((sp.to+1)*60, 0), loc, "15:04 MST"), attendance.LocalTime(time.Unix(half*60, 0), loc, "15:04 MST"))
	return ch
}

// checkpointRow is one checkpoint of the report's table: its window in the
// event's zone and the chat during it.
type checkpointRow struct {
	Number            int
	OpensAt, ClosesAt time.Time
	Hits, Chat        int64
}

func checkpointRows(cps []attendance.Checkpoint, chat []attendance.MinuteCount) []checkpointRow {
	var out []checkpointRow
	for _, c := range cps {
		r := checkpointRow{Number: c.Number, OpensAt: c.OpensAt, ClosesAt: c.ClosesAt, Hits: c.Hits}
		from, to := c.OpensAt.Unix()/60, (c.ClosesAt.Unix()-1)/60
		for _, m := range chat {
			if m.Minute >= from && m.Minute <= to {
				r.Chat += m.N
			}
		}
		out = append(out, r)
	}
	return out
}
