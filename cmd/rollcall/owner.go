package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/collector"
)

// ownerFlags bind the owner-mode flags shared by `event create` and
// `event set`: broadcast discovery and checkpoint announcements.
type ownerFlags struct {
	discover         bool
	match            string
	day              string
	windowFrom       string
	windowTo         string
	announce         bool
	announceTemplate string
	channel          string
}

const discoverHelp = `find the event's streams among the channel owner's own broadcasts (needs serve --oauth-token-file: ` +
	`liveBroadcasts.list, about 5 units a call, every minute while the event is on); without the owner's token, --channel @handle ` +
	`finds them among the channel's public uploads instead`

func (o *ownerFlags) bind(fs *pflag.FlagSet) {
	fs.BoolVar(&o.discover, "discover", false, discoverHelp)
	fs.StringVar(&o.channel, "channel", "", "discover by handle (@name) among the channel's public uploads, with an API key: channels.list once, then playlistItems.list and videos.list, 2 units every 2 minutes while the event is on; less reliable than the owner's token: unlisted and private broadcasts are not found, and a broadcast shows only once YouTube lists it publicly (implies --discover)")
	fs.StringVar(&o.match, "match", "", "with --discover: a regular expression a broadcast's title must match (default: any title)")
	fs.StringVar(&o.day, "day", "", "with --discover: the event's day, YYYY-MM-DD in its time zone; broadcasts scheduled that day are followed (default: today)")
	fs.StringVar(&o.windowFrom, "window-from", "", "with --discover: the window's start (RFC 3339), instead of --day")
	fs.StringVar(&o.windowTo, "window-to", "", "with --discover: the window's end (RFC 3339), instead of --day")
	fs.BoolVar(&o.announce, "announce", false, "post each checkpoint to every live chat of the event when it opens (needs serve --oauth-token-file with the youtube scope; 20 units a post, at most one a minute per chat)")
	fs.StringVar(&o.announceTemplate, "announce-template", "", "the announcement text, at most 200 characters after expansion; {{word}}, {{minutes}}, {{number}} (default \""+attendance.DefaultAnnouncementTemplate+"\")")
}

// changed says whether any owner-mode flag was given.
func (o *ownerFlags) changed(fs *pflag.FlagSet) bool {
	for _, n := range []string{"discover", "channel", "match", "day", "window-from", "window-to", "announce", "announce-template"} {
		if fs.Changed(n) {
			return true
		}
	}
	return false
}

// apply sets the flags the user gave onto e, now being the current time.
func (o *ownerFlags) apply(fs *pflag.FlagSet, e *attendance.Event, now time.Time) error {
	d := &e.Discovery
	if fs.Changed("discover") {
		d.On = o.discover
	}
	if fs.Changed("channel") {
		if !strings.HasPrefix(o.channel, "@") {
			return usagef("--channel %q: a YouTube handle, starting with @", o.channel)
		}
		d.ChannelID = o.channel
		if !fs.Changed("discover") {
			d.On = true
		}
	}
	if fs.Changed("match") {
		d.Match = o.match
	}
	switch {
	case fs.Changed("window-from") || fs.Changed("window-to"):
		if o.day != "" {
			return usagef("give either --day or --window-from and --window-to")
		}
		from, err := time.Parse(time.RFC3339, o.windowFrom)
		if err != nil {
			return usagef("--window-from %q: expected RFC 3339, e.g. 2026-11-20T08:00:00+07:00", o.windowFrom)
		}
		to, err := time.Parse(time.RFC3339, o.windowTo)
		if err != nil {
			return usagef("--window-to %q: expected RFC 3339, e.g. 2026-11-20T18:00:00+07:00", o.windowTo)
		}
		d.From, d.To = from.UTC(), to.UTC()
	case o.day != "":
		day, err := time.ParseInLocation(time.DateOnly, o.day, e.Location())
		if err != nil {
			return usagef("--day %q: expected YYYY-MM-DD", o.day)
		}
		d.From, d.To = attendance.DayWindow(day, e.Location())
	case d.On && d.From.IsZero():
		d.From, d.To = attendance.DayWindow(now, e.Location())
	}
	if fs.Changed("announce") {
		e.Announce = o.announce
	}
	if fs.Changed("announce-template") {
		e.AnnounceTemplate = strings.TrimSpace(o.announceTemplate)
		// A typical word: the real one is checked when the checkpoint opens.
		sample := attendance.Checkpoint{Number: 1, Word: "MANGOSTEEN", OpensAt: now, ClosesAt: now.Add(10 * time.Minute)}
		if _, err := attendance.ExpandAnnouncement(e.AnnounceTemplate, sample); err != nil {
			return usagef("--announce-template: %v", err)
		}
	}
	if err := d.Validate(); err != nil {
		return usagef("%v", err)
	}
	return nil
}

// printOwnerMode says what owner mode does for an event.
func printOwnerMode(w io.Writer, e attendance.Event) {
	loc := e.Location()
	if d := e.Discovery; d.On {
		ch := "the oauth token's channel (bound at the first listing)"
		needs := "needs serve --oauth-token-file"
		switch {
		case collector.IsHandle(d.ChannelID):
			ch, needs = "the public uploads of "+d.ChannelID, "with any credential; unlisted broadcasts are not found"
		case d.ChannelID != "":
			ch = "channel " + d.ChannelID
		}
		match := "any title"
		if d.Match != "" {
			match = "titles matching " + d.Match
		}
		fmt.Fprintf(w, "discovery: on — %s, %s, scheduled %s – %s (%s)\n", ch, match,
			d.From.In(loc).Format(time.RFC3339), d.To.In(loc).Format(time.RFC3339), needs)
	}
	if e.Announce {
		tmpl := e.AnnounceTemplate
		if tmpl == "" {
			tmpl = attendance.DefaultAnnouncementTemplate
		}
		fmt.Fprintf(w, "announcements: on — %q\n", tmpl)
	}
}

// printAnnouncements lists an event's checkpoint announcements; failed
// ones with YouTube's answer.
func printAnnouncements(w io.Writer, anns []attendance.Announcement, loc *time.Location) {
	if len(anns) == 0 {
		return
	}
	fmt.Fprintln(w, "checkpoint announcements:")
	for _, a := range anns {
		line := fmt.Sprintf("  checkpoint %d  %s  %s", a.CheckpointNumber, a.VideoID, a.State)
		if !a.AttemptedAt.IsZero() {
			line += "  " + a.AttemptedAt.In(loc).Format(time.RFC3339)
		}
		if a.Reply != "" {
			line += "  " + terminal(a.Reply)
		}
		fmt.Fprintln(w, line)
	}
}
