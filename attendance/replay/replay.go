// Package replay reads the chat of a YouTube stream as yt-dlp saves it
// (NAME.live_chat.json): one JSON object per line, in the shape of a
// replayed chat (replayChatItemAction) or of one recorded while live (the
// actions at the top level). Lines can be megabytes long; a line that
// cannot be read is reported with its number and skipped. Import feeds
// what it reads, in batches, to a Sink: the store's ingest path, which
// cmd hands over.
package replay

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/seameo/rollcall/attendance"
)

// LineError is a line of the file that could not be read; reading goes on.
type LineError struct {
	Line int
	Err  error
}

// Error implements error.
func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap returns the cause.
func (e *LineError) Unwrap() error { return e.Err }

// Reader reads a live_chat.json file line by line.
type Reader struct {
	r    *bufio.Reader
	line int
	buf  []byte
}

// NewReader returns a Reader on r.
func NewReader(r io.Reader) *Reader { return &Reader{r: bufio.NewReaderSize(r, 256<<10)} }

// Line returns the number of the line last read.
func (r *Reader) Line() int { return r.line }

// Next returns the chat messages of the next line (none for lines without
// chat items). A bad line gives a *LineError, after which Next may be
// called again; the end of the file gives io.EOF; other errors are fatal.
func (r *Reader) Next() ([]attendance.ChatMessage, error) {
	for {
		r.buf = r.buf[:0]
		for {
			chunk, err := r.r.ReadSlice('\n')
			r.buf = append(r.buf, chunk...)
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if errors.Is(err, io.EOF) {
				if len(r.buf) == 0 {
					return nil, io.EOF
				}
				break
			}
			if err != nil {
				return nil, fmt.Errorf("replay: read line %d: %w", r.line+1, err)
			}
			break
		}
		r.line++
		line := bytes.TrimSpace(r.buf)
		if len(line) == 0 {
			continue
		}
		msgs, err := ParseLine(line)
		if err != nil {
			return nil, &LineError{Line: r.line, Err: err}
		}
		return msgs, nil
	}
}

type text struct {
	SimpleText string `json:"simpleText"`
	Runs       []run  `json:"runs"`
}

type run struct {
	Text  *string `json:"text"`
	Emoji *struct {
		EmojiID       string   `json:"emojiId"`
		Shortcuts     []string `json:"shortcuts"`
		IsCustomEmoji bool     `json:"isCustomEmoji"`
	} `json:"emoji"`
}

func (t text) String() string {
	if len(t.Runs) == 0 {
		return t.SimpleText
	}
	var b strings.Builder
	for _, r := range t.Runs {
		switch {
		case r.Text != nil:
			b.WriteString(*r.Text)
		// Standard emoji are their own id (as the Data API shows them);
		// channel emoji are written as their shortcut.
		case r.Emoji != nil && r.Emoji.IsCustomEmoji && len(r.Emoji.Shortcuts) > 0:
			b.WriteString(r.Emoji.Shortcuts[0])
		case r.Emoji != nil && r.Emoji.EmojiID != "":
			b.WriteString(r.Emoji.EmojiID)
		case r.Emoji != nil && len(r.Emoji.Shortcuts) > 0:
			b.WriteString(r.Emoji.Shortcuts[0])
		}
	}
	return b.String()
}

type renderer struct {
	ID                      string `json:"id"`
	TimestampUsec           string `json:"timestampUsec"`
	AuthorExternalChannelID string `json:"authorExternalChannelId"`
	AuthorName              text   `json:"authorName"`
	Message                 text   `json:"message"`
	HeaderSubtext           text   `json:"headerSubtext"`
}

type action struct {
	AddChatItemAction *struct {
		Item item `json:"item"`
	} `json:"addChatItemAction"`
	MarkChatItemAsDeletedAction *struct {
		TargetItemID        string `json:"targetItemId"`
		DeletedStateMessage text   `json:"deletedStateMessage"`
	} `json:"markChatItemAsDeletedAction"`
}

type line struct {
	ReplayChatItemAction *struct {
		Actions []action `json:"actions"`
	} `json:"replayChatItemAction"`
	action
	Actions []action `json:"actions"`
}

// item holds the renderers of chat items with an author; items of other
// kinds (system notices, placeholders, tickers) are skipped.
type item struct {
	Text       *renderer `json:"liveChatTextMessageRenderer"`
	Paid       *renderer `json:"liveChatPaidMessageRenderer"`
	Sticker    *renderer `json:"liveChatPaidStickerRenderer"`
	Membership *renderer `json:"liveChatMembershipItemRenderer"`
}

// ParseLine reads the chat messages of one line of a live_chat.json file.
func ParseLine(b []byte) ([]attendance.ChatMessage, error) {
	var l line
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("not a JSON object of yt-dlp's live chat: %w", err)
	}
	actions := l.Actions
	if l.ReplayChatItemAction != nil {
		actions = append(actions, l.ReplayChatItemAction.Actions...)
	}
	if l.AddChatItemAction != nil || l.MarkChatItemAsDeletedAction != nil {
		actions = append(actions, l.action)
	}
	var out []attendance.ChatMessage
	for _, a := range actions {
		if d := a.MarkChatItemAsDeletedAction; d != nil && d.TargetItemID != "" {
			// The file says who removed a message only in the notice it
			// shows in its place ("[message retracted]" in English); a
			// retraction flags nothing, anything else counts as a
			// moderator's deletion and goes to staff review.
			typ := attendance.MsgMessageDeleted
			if strings.Contains(strings.ToLower(d.DeletedStateMessage.String()), "retracted") {
				typ = attendance.MsgMessageRetract
			}
			out = append(out, attendance.ChatMessage{ID: "deleted:" + d.TargetItemID, Type: typ, TargetID: d.TargetItemID})
			continue
		}
		if a.AddChatItemAction == nil {
			continue
		}
		it := a.AddChatItemAction.Item
		for _, k := range []struct {
			name string
			typ  string
			r    *renderer
		}{
			{"liveChatTextMessageRenderer", attendance.MsgText, it.Text},
			{"liveChatPaidMessageRenderer", attendance.MsgSuperChat, it.Paid},
			{"liveChatPaidStickerRenderer", attendance.MsgSuperSticker, it.Sticker},
			{"liveChatMembershipItemRenderer", attendance.MsgNewSponsor, it.Membership},
		} {
			r := k.r
			if r == nil {
				continue
			}
			if r.ID == "" {
				return nil, fmt.Errorf("%s without an id", k.name)
			}
			usec, err := strconv.ParseInt(r.TimestampUsec, 10, 64)
			if err != nil || usec <= 0 {
				return nil, fmt.Errorf("%s %s: timestampUsec %q is not microseconds since the epoch", k.name, r.ID, r.TimestampUsec)
			}
			// Evidence is the person's own words only: a paid message's
			// runs are the buyer's comment (purchaseAmountText and the
			// author name are never read as text); a paid sticker has none.
			m := attendance.ChatMessage{ID: r.ID, Type: k.typ, AuthorChannelID: r.AuthorExternalChannelID,
				AuthorName: r.AuthorName.String(), Text: r.Message.String(), PublishedAt: time.UnixMicro(usec).UTC()}
			if k.typ == attendance.MsgSuperSticker {
				m.Text = ""
			}
			if k.typ == attendance.MsgNewSponsor && m.Text != "" {
				m.Type = attendance.MsgMemberMilestone
			}
			out = append(out, m)
		}
	}
	return out, nil
}
