package replay

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
)

const replayLine = `{"replayChatItemAction":{"actions":[{"addChatItemAction":{"item":{"liveChatTextMessageRenderer":{"message":{"runs":[{"text":"my code "},{"text":"k7qm-4x2p "},{"emoji":{"emojiId":"UCx/abc","shortcuts":[":wave:"],"isCustomEmoji":true}},{"emoji":{"emojiId":"🎉"}}]},"authorName":{"simpleText":"@anh"},"authorExternalChannelId":"UC0000000000000000000001","id":"ChwKGkNPX3","timestampUsec":"1763605800123456"}},"clientId":"x"}}],"videoOffsetTimeMsec":"1234"}}`

const liveLine = `{"clickTrackingParams":"x","addChatItemAction":{"item":{"liveChatPaidMessageRenderer":{"id":"paid1","timestampUsec":"1763605860000000","authorName":{"simpleText":"Bo"},"authorExternalChannelId":"UC0000000000000000000002","message":{"runs":[{"text":"thanks!"}]},"purchaseAmountText":{"simpleText":"$5.00"}}}}}`

const membershipLine = `{"replayChatItemAction":{"actions":[{"addChatItemAction":{"item":{"liveChatMembershipItemRenderer":{"id":"mem1","timestampUsec":"1763605870000000","authorExternalChannelId":"UC0000000000000000000003","authorName":{"simpleText":"Chai"},"headerSubtext":{"simpleText":"Welcome"}}}}}]}}`

// A Super Chat whose buyer's name carries a code and a checkpoint word,
// and a Super Sticker of the same buyer: neither name nor amount is text.
const paidNameLine = `{"addChatItemAction":{"item":{"liveChatPaidMessageRenderer":{"id":"paid2","timestampUsec":"1763605861000000","authorName":{"simpleText":"Lotus K7QM-4X2P"},"authorExternalChannelId":"UC0000000000000000000004","message":{"runs":[{"text":"great talk"}]},"purchaseAmountText":{"simpleText":"₫50,000 lotus K7QM-4X2P"}}}}}`

const stickerLine = `{"addChatItemAction":{"item":{"liveChatPaidStickerRenderer":{"id":"stk1","timestampUsec":"1763605862000000","authorName":{"simpleText":"Lotus K7QM-4X2P"},"authorExternalChannelId":"UC0000000000000000000004","purchaseAmountText":{"simpleText":"$2.00"},"message":{"runs":[{"text":"lotus K7QM-4X2P"}]},"sticker":{"accessibility":{"accessibilityData":{"label":"lotus"}}}}}}}`

const retractLine = `{"replayChatItemAction":{"actions":[{"markChatItemAsDeletedAction":{"targetItemId":"ChwKGkNPX3","deletedStateMessage":{"runs":[{"text":"[message retracted]"}]}}}]}}`

const systemLine = `{"replayChatItemAction":{"actions":[{"addChatItemAction":{"item":{"liveChatViewerEngagementMessageRenderer":{"id":"sys","timestampUsec":"1763605800000000","message":{"runs":[{"text":"Welcome to live chat!"}]}}}}}]}}`

const deleteLine = `{"replayChatItemAction":{"actions":[{"markChatItemAsDeletedAction":{"targetItemId":"paid1","deletedStateMessage":{"runs":[{"text":"[message deleted]"}]}}}]}}`

func TestParseLine(t *testing.T) {
	tests := []struct {
		name string
		line string
		want []attendance.ChatMessage
		err  bool
	}{
		{"replay text with emoji", replayLine, []attendance.ChatMessage{{ID: "ChwKGkNPX3", Type: attendance.MsgText, AuthorChannelID: "UC0000000000000000000001",
			AuthorName: "@anh", Text: "my code k7qm-4x2p :wave:🎉", PublishedAt: time.UnixMicro(1763605800123456).UTC()}}, false},
		{"recorded live, paid", liveLine, []attendance.ChatMessage{{ID: "paid1", Type: attendance.MsgSuperChat, AuthorChannelID: "UC0000000000000000000002",
			AuthorName: "Bo", Text: "thanks!", PublishedAt: time.UnixMicro(1763605860000000).UTC()}}, false},
		{"membership", membershipLine, []attendance.ChatMessage{{ID: "mem1", Type: attendance.MsgNewSponsor, AuthorChannelID: "UC0000000000000000000003",
			AuthorName: "Chai", PublishedAt: time.UnixMicro(1763605870000000).UTC()}}, false},
		{"paid, code and word in the buyer's name and amount", paidNameLine, []attendance.ChatMessage{{ID: "paid2", Type: attendance.MsgSuperChat,
			AuthorChannelID: "UC0000000000000000000004", AuthorName: "Lotus K7QM-4X2P", Text: "great talk", PublishedAt: time.UnixMicro(1763605861000000).UTC()}}, false},
		{"paid sticker gives no text", stickerLine, []attendance.ChatMessage{{ID: "stk1", Type: attendance.MsgSuperSticker,
			AuthorChannelID: "UC0000000000000000000004", AuthorName: "Lotus K7QM-4X2P", PublishedAt: time.UnixMicro(1763605862000000).UTC()}}, false},
		{"retraction", retractLine, []attendance.ChatMessage{{ID: "deleted:ChwKGkNPX3", Type: attendance.MsgMessageRetract, TargetID: "ChwKGkNPX3"}}, false},
		{"system notice", systemLine, nil, false},
		{"deletion", deleteLine, []attendance.ChatMessage{{ID: "deleted:paid1", Type: attendance.MsgMessageDeleted, TargetID: "paid1"}}, false},
		{"other action", `{"replayChatItemAction":{"actions":[{"addLiveChatTickerItemAction":{}}]}}`, nil, false},
		{"not json", `{"replayChatItemAction":`, nil, true},
		{"bad time", strings.Replace(liveLine, `"1763605860000000"`, `"soon"`, 1), nil, true},
		{"no id", strings.Replace(liveLine, `"id":"paid1",`, ``, 1), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLine([]byte(tt.line))
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestReader(t *testing.T) {
	long := strings.Replace(replayLine, "my code ", strings.Repeat("x", 3<<20)+" ", 1) // a 3 MB line
	file := replayLine + "\n\n" + "garbage\n" + long + "\r\n" + liveLine               // no final newline
	r := NewReader(strings.NewReader(file))
	var got []attendance.ChatMessage
	var bad []int
	for {
		ms, err := r.Next()
		var le *LineError
		if errors.As(err, &le) {
			bad = append(bad, le.Line)
			continue
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ms...)
	}
	if len(got) != 3 || fmt.Sprint(bad) != "[3]" || r.Line() != 5 || len(got[1].Text) < 3<<20 {
		t.Fatalf("messages %d, bad lines %v, lines %d", len(got), bad, r.Line())
	}
}

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{replayLine, liveLine, membershipLine, systemLine, deleteLine, "{}", "[]", `{"actions":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, err := ParseLine(b)
		if err != nil {
			return
		}
		for _, m := range ms {
			if m.ID == "" || m.Type == "" {
				t.Fatalf("message without id or type: %+v", m)
			}
		}
	})
}
