package collector

import (
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
)

func TestNextDelay(t *testing.T) {
	tests := []struct {
		name     string
		errCount int
		hint     time.Duration
		rnd      float64
		want     time.Duration
	}{
		{"first failure top of jitter", 1, 0, 0.999999, 999999 * time.Microsecond},
		{"second failure doubles", 2, 0, 0.5, time.Second},
		{"sixth failure reaches 32s", 6, 0, 0.5, 16 * time.Second},
		{"capped at 32s", 40, 0, 0.5, 16 * time.Second},
		{"zero count treated as first", 0, 0, 0.5, 500 * time.Millisecond},
		{"jitter zero floors at 100ms", 3, 0, 0, 100 * time.Millisecond},
		{"hint stretches", 1, 10 * time.Second, 0.5, 10 * time.Second},
		{"hint never shortens", 6, time.Second, 0.9, 28800 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NextDelay(tt.errCount, tt.hint, func() float64 { return tt.rnd })
			if got != tt.want {
				t.Errorf("NextDelay(%d, %v, %v) = %v, want %v", tt.errCount, tt.hint, tt.rnd, got, tt.want)
			}
		})
	}
	for n := 1; n < 50; n++ {
		if d := NextDelay(n, 0, func() float64 { return 0.9999999 }); d > backoffMax {
			t.Fatalf("NextDelay(%d) = %v exceeds %v", n, d, backoffMax)
		}
	}
}

func TestClampPollInterval(t *testing.T) {
	tests := []struct {
		name   string
		millis int64
		want   time.Duration
	}{
		{"absent", 0, DefaultPollInterval},
		{"negative", -5000, DefaultPollInterval},
		{"tiny", 3, time.Second},
		{"normal", 5325, 5325 * time.Millisecond},
		{"huge", 1 << 60, MaxPollInterval},
		{"max int64", 1<<63 - 1, MaxPollInterval},
		{"exactly max", 60000, MaxPollInterval},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClampPollInterval(tt.millis); got != tt.want {
				t.Errorf("ClampPollInterval(%d) = %v, want %v", tt.millis, got, tt.want)
			}
		})
	}
}

func TestQuotaDayAndReset(t *testing.T) {
	loc, err := LoadPacific()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		at        string
		wantDay   string
		wantReset string
	}{
		{"summer: PDT is UTC-7", "2026-07-01T06:59:00Z", "2026-06-30", "2026-07-01T07:00:00Z"},
		{"summer just after reset", "2026-07-01T07:00:00Z", "2026-07-01", "2026-07-02T07:00:00Z"},
		{"winter: PST is UTC-8", "2026-11-28T15:00:00Z", "2026-11-28", "2026-11-29T08:00:00Z"},
		{"day before DST starts is 23h", "2026-03-08T07:30:00Z", "2026-03-07", "2026-03-08T08:00:00Z"},
		{"DST start day", "2026-03-08T09:00:00Z", "2026-03-08", "2026-03-09T07:00:00Z"},
		{"DST end day is 25h", "2026-11-01T08:00:00Z", "2026-11-01", "2026-11-02T08:00:00Z"},
		{"bangkok morning is previous pacific day", "2026-11-28T02:00:00+07:00", "2026-11-27", "2026-11-28T08:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, err := time.Parse(time.RFC3339, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			if got := QuotaDay(at, loc); got != tt.wantDay {
				t.Errorf("QuotaDay = %s, want %s", got, tt.wantDay)
			}
			if got := NextQuotaReset(at, loc).Format(time.RFC3339); got != tt.wantReset {
				t.Errorf("NextQuotaReset = %s, want %s", got, tt.wantReset)
			}
		})
	}
}

func TestPlanChatWait(t *testing.T) {
	now := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)
	reset := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		plan       Plan
		wantWait   time.Duration
		wantPaused bool
	}{
		{"budget spread to expected end", Plan{Now: now, ExpectedEnd: now.Add(4 * time.Hour), NextReset: reset, Remaining: 9000, Chats: 1, ServerInterval: 5 * time.Second},
			8 * time.Second, false},
		{"never faster than server", Plan{Now: now, ExpectedEnd: now.Add(time.Hour), NextReset: reset, Remaining: 9000, Chats: 1, ServerInterval: 5 * time.Second},
			5 * time.Second, false},
		{"two chats share", Plan{Now: now, ExpectedEnd: now.Add(4 * time.Hour), NextReset: reset, Remaining: 9000, Chats: 2, ServerInterval: time.Second},
			16 * time.Second, false},
		{"full page read at server pace", Plan{Now: now, ExpectedEnd: now.Add(4 * time.Hour), NextReset: reset, Remaining: 9000, Chats: 1, ServerInterval: 2 * time.Second, FullPage: true},
			2 * time.Second, false},
		{"full page but one read left is planned", Plan{Now: now, ExpectedEnd: now.Add(4 * time.Hour), NextReset: reset, Remaining: 5, Chats: 1, ServerInterval: 2 * time.Second, FullPage: true},
			4 * time.Hour, false},
		{"draining reads at server pace", Plan{Now: now, ExpectedEnd: now, NextReset: reset, Remaining: 100, Chats: 1, ServerInterval: 3 * time.Second, Draining: true},
			3 * time.Second, false},
		{"over expected end spreads over a tail", Plan{Now: now, ExpectedEnd: now.Add(-time.Hour), NextReset: reset, Remaining: 50, Chats: 1, ServerInterval: time.Second},
			3 * time.Minute, false},
		{"reset before end bounds the horizon", Plan{Now: now, ExpectedEnd: now.Add(10 * time.Hour), NextReset: reset, Remaining: 3600, Chats: 1, ServerInterval: time.Second},
			30 * time.Second, false},
		{"nothing left pauses until reset", Plan{Now: now, ExpectedEnd: now.Add(time.Hour), NextReset: reset, Remaining: 4, Chats: 1, ServerInterval: time.Second},
			6 * time.Hour, true},
		{"negative remaining pauses", Plan{Now: now, ExpectedEnd: now.Add(time.Hour), NextReset: reset, Remaining: -20, Chats: 1},
			6 * time.Hour, true},
		{"zero chats treated as one", Plan{Now: now, ExpectedEnd: now.Add(4 * time.Hour), NextReset: reset, Remaining: 9000, Chats: 0, ServerInterval: 5 * time.Second},
			8 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wait, paused := PlanChatWait(tt.plan)
			if wait != tt.wantWait || paused != tt.wantPaused {
				t.Errorf("PlanChatWait = %v, %v; want %v, %v", wait, paused, tt.wantWait, tt.wantPaused)
			}
		})
	}
}

func TestExpectedEnd(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)
	d := 4 * time.Hour
	tests := []struct {
		name string
		s    attendance.Stream
		want time.Time
	}{
		{"actual end wins", attendance.Stream{ActualEnd: t0, ScheduledEnd: t0.Add(time.Hour)}, t0},
		{"scheduled end", attendance.Stream{ScheduledEnd: t0.Add(time.Hour), ActualStart: t0}, t0.Add(time.Hour)},
		{"actual start plus duration", attendance.Stream{ActualStart: t0, ScheduledStart: t0.Add(-time.Hour)}, t0.Add(d)},
		{"scheduled start plus duration", attendance.Stream{ScheduledStart: t0}, t0.Add(d)},
		{"nothing known: now plus duration", attendance.Stream{}, t0.Add(time.Minute + d)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExpectedEnd(tt.s, d, t0.Add(time.Minute)); !got.Equal(tt.want) {
				t.Errorf("ExpectedEnd = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSampleInterval(t *testing.T) {
	now := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		s    attendance.Stream
		want time.Duration
	}{
		{"live", attendance.Stream{State: attendance.StreamLive}, 30 * time.Second},
		{"ended is not sampled", attendance.Stream{State: attendance.StreamEnded}, 0},
		{"upcoming in 5 min", attendance.Stream{State: attendance.StreamUpcoming, ScheduledStart: now.Add(5 * time.Minute)}, 15 * time.Second},
		{"upcoming and late", attendance.Stream{State: attendance.StreamUpcoming, ScheduledStart: now.Add(-5 * time.Minute)}, 15 * time.Second},
		{"upcoming 30 min late", attendance.Stream{State: attendance.StreamUpcoming, ScheduledStart: now.Add(-30 * time.Minute)}, 15 * time.Second},
		{"upcoming 31 min late", attendance.Stream{State: attendance.StreamUpcoming, ScheduledStart: now.Add(-31 * time.Minute)}, 2 * time.Minute},
		{"upcoming 2h late", attendance.Stream{State: attendance.StreamUpcoming, ScheduledStart: now.Add(-2 * time.Hour)}, 2 * time.Minute},
		{"upcoming 3h late: may never start", attendance.Stream{State: attendance.StreamUpcoming, ScheduledStart: now.Add(-3 * time.Hour)}, 10 * time.Minute},
		{"upcoming in 30 min", attendance.Stream{State: attendance.StreamUpcoming, ScheduledStart: now.Add(30 * time.Minute)}, time.Minute},
		{"upcoming in 3h", attendance.Stream{State: attendance.StreamUpcoming, ScheduledStart: now.Add(3 * time.Hour)}, 5 * time.Minute},
		{"upcoming tomorrow", attendance.Stream{State: attendance.StreamUpcoming, ScheduledStart: now.Add(24 * time.Hour)}, 15 * time.Minute},
		{"upcoming no schedule", attendance.Stream{State: attendance.StreamUpcoming}, 2 * time.Minute},
		{"unknown", attendance.Stream{State: attendance.StreamUnknown}, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SampleInterval(tt.s, now); got != tt.want {
				t.Errorf("SampleInterval = %v, want %v", got, tt.want)
			}
		})
	}
}
