package collector

import (
	"context"
	"time"

	"github.com/seameo/rollcall/attendance"
)

// The interfaces the collector consumes, declared where they are used, and
// the clock it runs on.

// Store is what the collector needs from the store.
type Store interface {
	// TrackedStreams lists streams of active events that are not finished (state != ended or chat not drained).
	TrackedStreams(ctx context.Context) ([]attendance.Stream, error)
	// RecordStreamSample stores one videos.list reading and updates the stream row (state, chat id, times, peak viewers).
	RecordStreamSample(ctx context.Context, streamID int64, s attendance.StreamSample) error
	// CommitChatPage stores the page's messages (deduplicated by id) and the next page token in ONE transaction.
	CommitChatPage(ctx context.Context, page attendance.ChatPage) error
	// SetChatState records the chat state (polling, drained, disabled, not_found, forbidden, gap) with a short detail.
	// fence is the writer's lease fence; a stale one gets attendance.ErrStaleFence.
	SetChatState(ctx context.Context, streamID, fence int64, state attendance.ChatState, detail string) error
	// AddQuotaUnits records units spent on a Pacific day (YYYY-MM-DD) by a credential (a non-secret label) and returns the day's total used so far.
	AddQuotaUnits(ctx context.Context, credential, day, method string, units int64) (int64, error)
	// QuotaUsed returns the units used on a day by a credential.
	QuotaUsed(ctx context.Context, credential, day string) (int64, error)
	// AcquireLease takes a stream's chat lease for holder when it is free or
	// expired, with a new fence; ok is false while another holder's lease is valid.
	AcquireLease(ctx context.Context, streamID int64, holder string, ttl time.Duration) (attendance.Lease, bool, error)
	// RenewLease extends a held lease, or returns attendance.ErrLeaseLost.
	RenewLease(ctx context.Context, l attendance.Lease, ttl time.Duration) (attendance.Lease, error)
	// ReleaseLease gives a held lease up so that a standby can take over at once.
	ReleaseLease(ctx context.Context, l attendance.Lease) error
}

// ChatSource reads one page of a live chat. The YouTube adapter's
// liveChatMessages.list is one; a streamList (gRPC) source can be another.
type ChatSource interface {
	ReadChat(ctx context.Context, chatID, pageToken string) (ChatRead, error)
}

// ChatStreamer reads a live chat with streamList: one call, each pushed
// response handed to onPage in order, until the server closes the stream
// (nil), ctx ends, onPage fails (its error), or the call fails (an
// *APIError). *StreamSource is one.
type ChatStreamer interface {
	StreamChat(ctx context.Context, chatID, pageToken string, onPage func(ChatRead) error) error
}

// VideoSource reads the state and statistics of videos (at most 50 ids).
type VideoSource interface {
	Videos(ctx context.Context, ids []string) ([]VideoSample, error)
}

// Clock tells the time and waits. Tests move a manual clock; the demo runs
// a fast one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now.
func (SystemClock) Now() time.Time { return time.Now() }

// After returns time.After.
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
