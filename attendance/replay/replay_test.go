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
