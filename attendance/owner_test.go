package attendance

import (
	"strings"
	"testing"
	"time"
)

func TestExpandAnnouncement(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	cp := Checkpoint{Number: 2, Word: "MANGO", OpensAt: t0, ClosesAt: t0.Add(10*time.Minute + time.Second)}
	tests := []struct {
		name, tmpl, want, err string
	}{
		{"default", "", "Checkpoint: type the word MANGO in the chat now (open 10 minutes)", ""},
		{"own text", "Mot {{ word }} — point {{number}}, {{minutes}} min", "Mot MANGO — point 2, 10 min", ""},
		{"unknown placeholder", "type {{answer}}", "", "unknown placeholder"},
		{"too long", strings.Repeat("x", 195) + " {{word}}", "", "201 characters"},
		{"200 characters exactly", strings.Repeat("é", 195) + "{{word}}", strings.Repeat("é", 195) + "MANGO", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ExpandAnnouncement(tt.tmpl, cp)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestDiscoveryAccepts(t *testing.T) {
	bkk, _ := time.LoadLocation("Asia/Bangkok")
	from, to := DayWindow(time.Date(2026, 11, 20, 12, 0, 0, 0, bkk), bkk)
	if want := time.Date(2026, 11, 19, 17, 0, 0, 0, time.UTC); !from.Equal(want) || !to.Equal(want.Add(24*time.Hour)) {
		t.Fatalf("day window = %v – %v", from, to)
	}
	d := Discovery{On: true, ChannelID: "UCowner", Match: "(?i)policy dialogue", From: from, To: to}
	in := time.Date(2026, 11, 20, 9, 0, 0, 0, bkk)
	tests := []struct {
		name, channel, title string
		start                time.Time
		ok                   bool
		why                  string
	}{
		{"matches", "UCowner", "Policy Dialogue — opening", in, true, ""},
		{"another channel", "UCother", "Policy Dialogue", in, false, "another channel"},
		{"no channel", "", "Policy Dialogue", in, false, "another channel"},
		{"before the window", "UCowner", "Policy Dialogue", from.Add(-time.Second), false, "outside"},
		{"at the window's end", "UCowner", "Policy Dialogue", to, false, "outside"},
		{"title", "UCowner", "Rehearsal", in, false, "title"},
		{"no schedule", "UCowner", "Policy Dialogue", time.Time{}, false, "no scheduled start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, why := d.Accepts(tt.channel, tt.title, tt.start)
			if ok != tt.ok || !strings.Contains(why, tt.why) {
				t.Errorf("Accepts = %t %q, want %t %q", ok, why, tt.ok, tt.why)
			}
		})
	}
	unbound := d
	unbound.ChannelID = ""
	if ok, _ := unbound.Accepts("UCowner", "Policy Dialogue", in); ok {
		t.Error("an unbound event accepts broadcasts")
	}
	if err := (Discovery{Match: "("}).Validate(); err == nil {
		t.Error("a bad pattern is accepted")
	}
	if err := (Discovery{On: true}).Validate(); err == nil {
		t.Error("discovery without a window is accepted")
	}
}
