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
//
// The fake YouTube used by tests, benchmarks and rollcall demo lives in
// collector/fakeyoutube.
package collector
