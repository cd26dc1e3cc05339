// Package collector is everything in rollcall that talks to YouTube: stream
// discovery and state, statistics sampling (videos.list), chat polling
// (liveChatMessages.list), the quota governor, retries and backoff, and the
// yt-dlp live_chat.json replay reader. It knows nothing of registrations or
// certificates: it hands batches of messages and samples to a sink.
package collector
