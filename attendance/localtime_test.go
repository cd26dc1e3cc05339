package attendance

import (
	"testing"
	"time"
)

func TestLocalTime(t *testing.T) {
	at := time.Date(2026, 11, 28, 7, 5, 0, 0, time.UTC)
	tests := []struct{ zone, want string }{
		{"Asia/Bangkok", "2026-11-28 14:05 ICT"},
		{"Asia/Jakarta", "2026-11-28 14:05 WIB"},
		{"Asia/Manila", "2026-11-28 15:05 PST"},
		{"Asia/Singapore", "2026-11-28 15:05 SGT"},
		{"Asia/Yangon", "2026-11-28 13:35 MMT"},
		{"Asia/Kathmandu", "2026-11-28 12:50 UTC+0545"},
		{"", "2026-11-28 07:05 UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			loc := Event{TimeZone: tt.zone}.Location()
			if got := LocalTime(at, loc, "2006-01-02 15:04 MST"); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
