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
)

// ChatState is what rollcall knows about reading a stream's live chat.
type ChatState string

// Chat states.
const (
	ChatWaiting   ChatState = "waiting"   // no activeLiveChatId yet
	ChatPolling   ChatState = "polling"   // being read
	ChatDrained   ChatState = "drained"   // offline and every message read: done
	ChatDisabled  ChatState = "disabled"  // liveChatDisabled: stats only
	ChatNotFound  ChatState = "not_found" // liveChatNotFound: stats only
	ChatForbidden ChatState = "forbidden" // forbidden / keyInvalid: needs a human
	ChatGap       ChatState = "gap"       // pageTokenInvalid: restarted without a token, a gap is possible
)

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

// ChatMessage is one live chat item, from the API or a replay file.
type ChatMessage struct {
	ID              string // YouTube message id (replay ids differ from API ids)
	Type            string // snippet.type
	AuthorChannelID string // authorDetails.channelId: the identity
	AuthorName      string // display only: it changes
	Text            string // displayMessage or the text runs; empty for silent types
	PublishedAt     time.Time
	TargetID        string // deletions: the deleted message id; bans: the banned channel id
}

// ChatPage is one read of a live chat: the messages it returned and the
// cursor to read from next. A page is committed whole, with its cursor, or
// not at all.
type ChatPage struct {
	StreamID      int64
	Messages      []ChatMessage
	NextPageToken string
	OfflineAt     time.Time // zero while the stream is online
	// Fence is the lease fencing number of the writer (0 when leases are not
	// in use); a store rejects a page whose fence is older than the stream's.
	Fence int64
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
