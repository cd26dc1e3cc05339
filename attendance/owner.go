package attendance

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Discovery binds an event to the channel owner's own broadcasts: rollcall
// lists them (liveBroadcasts.list with the owner's OAuth token) and follows
// every one scheduled in the window whose title matches.
type Discovery struct {
	On bool
	// ChannelID is the channel the event is bound to: the token's channel,
	// recorded at the first listing. A later token of another channel finds
	// nothing for this event.
	ChannelID string
	Match     string    // a regular expression the title must match; empty: any title
	From, To  time.Time // broadcasts scheduled to start in [From, To)
}

// Validate checks the title pattern and the window.
func (d Discovery) Validate() error {
	if d.Match != "" {
		if _, err := regexp.Compile(d.Match); err != nil {
			return Errorf(EInvalid, "title pattern %q: %v", d.Match, err)
		}
	}
	if h, ok := strings.CutPrefix(d.ChannelID, "@"); ok && !validHandle(h) {
		return Errorf(EInvalid, "handle %q: 3 to 30 letters, digits, '.', '_' or '-' after the @", d.ChannelID)
	}
	if d.On && (d.From.IsZero() || !d.To.After(d.From)) {
		return Errorf(EInvalid, "the discovery window must end after it starts")
	}
	return nil
}

// Accepts says whether a broadcast belongs to the event, and when not, why
// (for a log line that names no person).
func (d Discovery) Accepts(channelID, title string, scheduledStart time.Time) (bool, string) {
	switch {
	case d.ChannelID == "" || channelID != d.ChannelID:
		return false, "another channel's broadcast"
	case scheduledStart.IsZero():
		return false, "no scheduled start"
	case scheduledStart.Before(d.From) || !scheduledStart.Before(d.To):
		return false, "scheduled outside the event's window"
	}
	if d.Match != "" {
		re, err := regexp.Compile(d.Match)
		if err != nil || !re.MatchString(title) {
			return false, "title does not match the event's pattern"
		}
	}
	return true, ""
}

// DayWindow is a calendar day in loc: the default discovery window.
func DayWindow(day time.Time, loc *time.Location) (from, to time.Time) {
	y, m, dd := day.In(loc).Date()
	from = time.Date(y, m, dd, 0, 0, 0, 0, loc)
	return from.UTC(), from.AddDate(0, 0, 1).UTC()
}

// MaxAnnouncementLength is the most characters YouTube takes in one chat
// message (liveChatMessages.insert: 200).
const MaxAnnouncementLength = 200

// DefaultAnnouncementTemplate is the checkpoint announcement text unless
// the event sets its own.
const DefaultAnnouncementTemplate = "Checkpoint: type the word {{word}} in the chat now (open {{minutes}} minutes)"

var placeholder = regexp.MustCompile(`\{\{\s*([a-z]*)\s*\}\}`)

// ExpandAnnouncement fills a template with a checkpoint: {{word}}, {{minutes}}
// (the window's length in whole minutes, at least 1) and {{number}}. The text must hold 1 to
// 200 characters after expansion.
func ExpandAnnouncement(tmpl string, cp Checkpoint) (string, error) {
	if strings.TrimSpace(tmpl) == "" {
		tmpl = DefaultAnnouncementTemplate
	}
	var bad string
	out := placeholder.ReplaceAllStringFunc(tmpl, func(m string) string {
		switch placeholder.FindStringSubmatch(m)[1] {
		case "word":
			return cp.Word
		case "minutes":
			return strconv.Itoa(max(int(math.Round(cp.ClosesAt.Sub(cp.OpensAt).Minutes())), 1))
		case "number":
			return strconv.Itoa(cp.Number)
		}
		bad = m
		return m
	})
	switch n := len([]rune(out)); {
	case bad != "":
		return "", Errorf(EInvalid, "announcement template: unknown placeholder %s (use {{word}}, {{minutes}}, {{number}})", bad)
	case strings.TrimSpace(out) == "":
		return "", Errorf(EInvalid, "announcement text is empty")
	case n > MaxAnnouncementLength:
		return "", Errorf(EInvalid, "announcement text is %d characters after expansion: YouTube takes %d", n, MaxAnnouncementLength)
	}
	return out, nil
}

// Announcement states: pending (waiting for its chat's minute), posting
// (claimed by a collector; one left so by a crash is retried once a minute
// later), posted, failed (shown to staff, never retried).
const (
	AnnouncePending = "pending"
	AnnouncePosting = "posting"
	AnnouncePosted  = "posted"
	AnnounceFailed  = "failed"
)

// MaxAnnounceAttempts is how many times one announcement is sent at most:
// once, and once more after a transient failure or a crash mid-post.
const MaxAnnounceAttempts = 2

// Announcement is one checkpoint announcement to one live chat.
type Announcement struct {
	ID               int64
	EventID          int64
	CheckpointID     int64
	CheckpointNumber int
	StreamID         int64
	VideoID          string
	ChatID           string
	Text             string
	State            string
	Reply            string // YouTube's answer to a failed post, or why it was not posted
	Attempts         int
	MessageID        string // the posted message's id
	AttemptedAt      time.Time
}

// String names an announcement for logs and errors without its text (the
// text holds the checkpoint word).
func (a Announcement) String() string {
	return fmt.Sprintf("checkpoint %d to video %s", a.CheckpointNumber, a.VideoID)
}

// validHandle checks a YouTube handle without its @: 3 to 30 letters,
// digits, underscores, hyphens and periods (YouTube's handle rules).
func validHandle(h string) bool {
	if n := utf8.RuneCountInString(h); n < 3 || n > 30 {
		return false
	}
	for _, r := range h {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' && r != '.' {
			return false
		}
	}
	return true
}
