// Package collector is everything in rollcall that talks to YouTube: stream
// discovery and state, statistics sampling (videos.list), chat polling
// (liveChatMessages.list), the quota governor, retries and backoff, and the
// OAuth login of the channel owner. It knows nothing of registrations or
// certificates: it hands batches of messages and samples to a Store.
//
// The parts, from the outside in:
//
//   - YouTube (NewYouTube) reads through the real google.golang.org/api
//     client and turns googleapi errors into this package's sentinel errors
//     (ErrQuotaExceeded, ErrRateLimited, ErrChatEnded, …), with secrets
//     redacted and response bodies bounded.
//   - Watcher samples tracked streams with videos.list, 50 ids a call.
//   - Poller reads one live chat page by page and commits each page with
//     its cursor in one Store call; its Step is the whole decision.
//   - Quota keeps the per-Pacific-day ledger in the Store and pauses all
//     calls after quotaExceeded; PlanChatWait spaces chat reads so the day's
//     budget lasts until the event's expected end.
//   - Collector (New, Run) runs the watcher and one poller per readable chat,
//     reports Health and closes Done once every tracked stream has ended and
//     its chat is drained.
//   - Owner mode (owner.go), when the Store is an OwnerStore and Config.Owner
//     holds the channel owner's OAuth side of YouTube: the Discoverer and
//     the Announcer run in the collector's rounds.
//
// Owner mode decisions (issue 13):
//
//   - Discovery lists with liveBroadcasts.list, one broadcastStatus filter a
//     call (upcoming, active: the reference takes exactly one of
//     broadcastStatus, id and mine; broadcastStatus lists the token's own
//     broadcasts), broadcastType all, maxResults 50, following
//     nextPageToken up to 10 pages, deduplicating by id. Its cost is not
//     published: 5 units a call are charged to the ledger (BroadcastsListCost),
//     channels.list mine=true 1 unit once per process.
//   - Cadence (DiscoveryCadence): active every minute while the event is on
//     (a stream live, due within 15 min or late, or ended within 30 min: a
//     restart under a new video id is followed within a minute), upcoming
//     every 10 min then; both every 10 min in the window otherwise, hourly
//     before it, never after it. Listing every minute all day would spend
//     7,200 units: more than most days can give next to chat.
//   - What a listing returns is trusted only for the event's bound channel,
//     its window and its title pattern; the rest is ignored with one log
//     line naming the video.
//   - Announcements: the store queues one row per open checkpoint and live
//     chat (unique), ClaimAnnouncement records the attempt before the call
//     and allows one attempt a minute per chat, crashes included; a
//     transient failure (5xx, 429, a dropped connection) or a crash mid-post
//     is sent once more a minute later, a 4xx never; a closed checkpoint is
//     never announced late. liveChatMessages.insert costs 20 units.
//   - A transient failure may have posted anyway (YouTube does not say): the
//     retry can then post the text twice, a minute apart. Losing an
//     announcement was judged worse.
//
// The fake YouTube used by tests, benchmarks and rollcall demo lives in
// collector/fakeyoutube.
package collector
