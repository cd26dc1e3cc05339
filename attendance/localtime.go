package attendance

import (
	"strings"
	"time"
)

// zoneNames are the abbreviations staff of the region use where the time
// zone database gives only an offset ("+07").
var zoneNames = map[string]string{
	"Asia/Bangkok": "ICT", "Asia/Ho_Chi_Minh": "ICT", "Asia/Saigon": "ICT", "Asia/Phnom_Penh": "ICT", "Asia/Vientiane": "ICT",
	"Asia/Kuala_Lumpur": "MYT", "Asia/Kuching": "MYT", "Asia/Singapore": "SGT", "Asia/Brunei": "BNT", "Asia/Yangon": "MMT",
	"Asia/Rangoon": "MMT", "Asia/Dili": "TLT",
}

// ZoneAbbrev is the abbreviation of loc's zone at t: the time zone
// database's ("WIB", "PST", "UTC"), the region's usual one where the
// database has only an offset ("ICT" for Asia/Bangkok), else "UTC+07".
func ZoneAbbrev(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	name, _ := t.In(loc).Zone()
	if name == "" || name[0] == '+' || name[0] == '-' {
		if n, ok := zoneNames[loc.String()]; ok {
			return n
		}
		return "UTC" + name
	}
	return name
}

// LocalTime formats t in loc by layout, whose "MST" becomes ZoneAbbrev:
// every time shown to staff reads in the event's zone ("14:05 ICT");
// stored times stay UTC.
func LocalTime(t time.Time, loc *time.Location, layout string) string {
	if loc == nil {
		loc = time.UTC
	}
	parts := strings.Split(layout, "MST")
	lt := t.In(loc)
	for i, p := range parts {
		if p != "" {
			parts[i] = lt.Format(p)
		}
	}
	return strings.Join(parts, ZoneAbbrev(t, loc))
}
