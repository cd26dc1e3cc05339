package attendance

import (
	"errors"
	"time"
)

// StreamState is where a YouTube broadcast is in its life, as videos.list
// reports it.
type StreamState string

// Stream states. A stream moves upcoming → live → ended and never back.
const (
	StreamUnknown  StreamState = "unknown"
	StreamUpcoming StreamState = "upcoming"
	StreamLive     StreamState = "live"
	StreamEnded    StreamState = "ended"
	// StreamUnavailable: videos.list stopped returning the video (deleted,
	// made private) on three samples at least ten minutes apart. It is
	// re-checked hourly and counts as finished for serve --until-ended.
	StreamUnavailable StreamState = "unavailable"
)

// ChatState is what rollcall knows about reading a stream's live chat.
type ChatState string

// Chat states. The video owns the lifecycle: while it is live, disabled,
// not_found, forbidden and backoff are re-checked (15 s doubling to 2 min);
// only a video that has ended makes drained final. stopped needs a human
// (rollcall stream rearm) or a restart.
const (
	ChatWaiting   ChatState = "waiting"   // no activeLiveChatId yet
	ChatPolling   ChatState = "polling"   // being read with liveChatMessages.list
	ChatStreaming ChatState = "streaming" // being read with liveChatMessages.streamList (gRPC)
	ChatBackoff   ChatState = "backoff"   // reads fail for now (5xx, reset, chat-level end while live): retried with back-off
	ChatDrained   ChatState = "drained"   // the video ended and every message was read: done
	ChatDisabled  ChatState = "disabled"  // liveChatDisabled: re-checked while the video is live
	ChatNotFound  ChatState = "not_found" // liveChatNotFound: re-checked while the video is live
	ChatForbidden ChatState = "forbidden" // forbidden / keyInvalid / invalid_grant: re-checked, needs a human
	ChatGap       ChatState = "gap"       // invalidPageToken: restarted without a token, a gap is recorded
	ChatStopped   ChatState = "stopped"   // a request YouTube will never accept (other 4xx, twice): stopped loudly
)

// ChatFinal says whether a chat in state st needs no more reading once its
// video has ended.
func ChatFinal(st ChatState) bool {
	switch st {
	case ChatDrained, ChatDisabled, ChatNotFound, ChatForbidden, ChatStopped:
		return true
	}
	return false
}

// Stream is one YouTube video of an event that rollcall follows, with the
// chat cursor that the collector resumes from.
type Stream struct {
	ID        int64
	EventID   int64
	EventSlug string
	VideoID   string
	Title     string
	State     StreamState
	ChatState ChatState
	ChatID    string // activeLiveChatId, empty until known
	PageToken string // next page token of the chat, committed with the messages it produced

	ScheduledStart time.Time // zero when unknown
	ScheduledEnd   time.Time
	ActualStart    time.Time
	ActualEnd      time.Time
	OfflineAt      time.Time // when the chat said the stream went offline

	PeakConcurrentViewers int64
}

// StreamSample is one videos.list reading of a stream. Counts that YouTube
// did not report are nil: a missing concurrentViewers means unknown, not zero.
type StreamSample struct {
	At                time.Time
	State             StreamState
	Title             string
	ChatID            string
	ScheduledStart    time.Time
	ScheduledEnd      time.Time
	ActualStart       time.Time
	ActualEnd         time.Time
	ConcurrentViewers *int64
	Views             *int64
	Likes             *int64
}

// Chat message types as YouTube names them (snippet.type). Unknown types are
// stored as they come.
const (
	MsgText            = "textMessageEvent"
	MsgSuperChat       = "superChatEvent"
	MsgSuperSticker    = "superStickerEvent"
	MsgNewSponsor      = "newSponsorEvent"
	MsgMessageDeleted  = "messageDeletedEvent"
	MsgMessageRetract  = "messageRetractedEvent"
	MsgUserBanned      = "userBannedEvent"
	MsgPoll            = "pollEvent"
	MsgChatEnded       = "chatEndedEvent"
	MsgTombstone       = "tombstone"
	MsgMemberMilestone = "memberMilestoneChatEvent"
)

// TickerEvent says whether YouTube's first chat read (without a page token)
// returns messages of this type from further back than its recent history:
// "up to 75 messages, plus ticker and gift events". Such a message does not
// tell where the recent history, and so a gap before it, ends.
func TickerEvent(msgType string) bool {
	switch msgType {
	case MsgSuperChat, MsgSuperSticker, MsgNewSponsor, MsgMemberMilestone,
		"membershipGiftingEvent", "giftMembershipReceivedEvent", "giftEvent":
		return true
	}
	return false
}

// ChatMessage is one live chat item, from the API or a replay file.
type ChatMessage struct {
	ID              string // YouTube message id (replay ids differ from API ids)
	Type            string // snippet.type
	AuthorChannelID string // authorDetails.channelId: the identity
	AuthorName      string // display only: it changes
	// Text is the person's own words, the only evidence codes and
	// checkpoint words are read from: textMessageDetails.messageText, a
	// Super Chat's or member milestone's userComment, a replay file's text
	// runs. Empty for silent types and Super Stickers.
	Text string
	// DisplayText is displayMessage as YouTube shows it (for a Super Chat:
	// the amount, the buyer's display name and the comment). Display only,
	// never evidence.
	DisplayText string
	PublishedAt time.Time
	TargetID    string // deletions: the deleted message id; bans: the banned channel id
	// IsChatOwner marks a message of the channel that owns the chat
	// (authorDetails.isChatOwner): the secretariat's own words, rollcall's
	// announcements among them. Never evidence: the store keeps its words
	// as display only.
	IsChatOwner bool
}

// ChatPage is one read of a live chat: the messages it returned and the
// cursor to read from next. A page is committed whole, with its cursor, or
// not at all.
type ChatPage struct {
	StreamID      int64
	Messages      []ChatMessage
	NextPageToken string
	OfflineAt     time.Time // zero while the stream is online
	// GapReason, when set, records a gap with this page: YouTube no longer
	// serves part of the chat (an expired page token, a replaced chat). The
	// store records, in the same transaction, the span from the last stored
	// message's publishedAt to the first message of this page (or to the
	// read itself when the page is empty). A bounded label: GapTokenInvalid,
	// GapChatReplaced.
	GapReason string
	// Fence is the lease fencing number of the writer (0 when leases are not
	// in use); a store rejects a page whose fence is older than the stream's.
	Fence int64
}

// Gap reasons.
const (
	GapTokenInvalid = "page_token_invalid" // invalidPageToken: the stored token expired (a long outage) or was foreign
	GapChatReplaced = "chat_replaced"      // the video's activeLiveChatId changed: the old chat's tail and the new one's early history may be missing
)

// Gap is a span of a stream's chat that rollcall could not read through
// the API: staff import a replay file for it.
type Gap struct {
	StreamID   int64
	VideoID    string
	From       time.Time // publishedAt of the last message stored before the gap; zero when none was
	To         time.Time // publishedAt of the first message read after it, or the read's time when it returned none
	Reason     string    // GapTokenInvalid, GapChatReplaced
	RecordedAt time.Time
}

// Lease is one replica's right to poll a stream's chat until Expires. Fence
// grows with every new holder; a store refuses chat pages carrying an older
// fence than the stream's, so a paused or partitioned former holder cannot
// write after it lost the lease, whatever the clocks say.
type Lease struct {
	StreamID int64
	Holder   string
	Fence    int64
	Expires  time.Time
}

// Lease errors, returned by stores.
var (
	// ErrLeaseLost means the lease expired or another holder took it.
	ErrLeaseLost = errors.New("lease lost: another replica holds this stream")
	// ErrStaleFence means a chat page came from a writer that no longer
	// holds the stream's lease: nothing of it was written.
	ErrStaleFence = errors.New("stale lease fence: another replica holds this stream")
)
