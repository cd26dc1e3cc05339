package collector

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/seameo/rollcall/attendance"
)

// Discovery by handle, the fallback without the owner's token (issue 13):
// an event whose discovery channel is a handle (`event create --discover
// --channel @name`) finds its streams among the channel's public uploads
// with any credential, an API key included: channels.list forHandle (its
// uploads playlist, 1 unit, once per handle), then at each reading
// playlistItems.list of the 50 newest uploads (1 unit) and videos.list of
// those (1 unit). It is less reliable than the
// owner's liveBroadcasts.list: unlisted and private broadcasts are not in
// the uploads playlist, and a broadcast shows there only once YouTube
// lists it publicly.

// handleChannel is a handle's channel and its uploads playlist.
type handleChannel struct{ channel, uploads string }

// MethodPlaylistItems is playlistItems.list (1 unit).
const MethodPlaylistItems = "playlistItems.list"

// publicEvery is how often a channel's uploads are read while an event is
// on: every two minutes (2 units a time), a restart under a new video id
// is followed within two; otherwise as DiscoveryCadence says.
const publicEvery = 2 * time.Minute

// PublicSource finds a channel's public videos; *YouTube is one, with an
// API key or a token.
type PublicSource interface {
	ChannelUploads(ctx context.Context, handle string) (channelID, uploads string, err error)
	PlaylistVideos(ctx context.Context, playlistID string, max int64) ([]string, error)
	Videos(ctx context.Context, ids []string) ([]VideoSample, error)
}

// IsHandle reports whether a discovery channel is a handle (@name) rather
// than a channel id bound by the owner's token.
func IsHandle(channel string) bool { return strings.HasPrefix(channel, "@") }

// ChannelUploads reads a channel's id and uploads playlist by its handle
// (channels.list part=contentDetails forHandle, 1 unit); an unknown handle
// gives empty strings.
func (y *YouTube) ChannelUploads(ctx context.Context, handle string) (string, string, error) {
	resp, err := y.svc.Channels.List([]string{"contentDetails"}).ForHandle(handle).Context(ctx).Do()
	if err != nil {
		return "", "", y.classify(ctx, MethodChannelsList, err)
	}
	for _, c := range resp.Items {
		if c.ContentDetails != nil && c.ContentDetails.RelatedPlaylists != nil && c.ContentDetails.RelatedPlaylists.Uploads != "" {
			return c.Id, c.ContentDetails.RelatedPlaylists.Uploads, nil
		}
	}
	return "", "", nil
}

// PlaylistVideos reads the video ids of a playlist's first page
// (playlistItems.list part=contentDetails, at most max, 1 unit).
func (y *YouTube) PlaylistVideos(ctx context.Context, playlistID string, max int64) ([]string, error) {
	resp, err := y.svc.PlaylistItems.List([]string{"contentDetails"}).PlaylistId(playlistID).MaxResults(max).Context(ctx).Do()
	if err != nil {
		return nil, y.classify(ctx, MethodPlaylistItems, err)
	}
	var ids []string
	for _, it := range resp.Items {
		if it.ContentDetails != nil && it.ContentDetails.VideoId != "" {
			ids = append(ids, it.ContentDetails.VideoId)
		}
	}
	return ids, nil
}

// stepPublic reads the uploads of each handle event that is due and adds
// its upcoming and live broadcasts in the window; it returns when the next
// reading is due.
func (d *Discoverer) stepPublic(ctx context.Context, now time.Time, events []attendance.Event) time.Time {
	next := now.Add(time.Hour)
	for _, e := range events {
		streams, err := d.store.Streams(ctx, e.ID)
		if err != nil {
			d.log.Error("list streams of a discovering event failed", "event", e.Slug, "err", err)
			continue
		}
		active, _, ok := DiscoveryCadence(now, e.Discovery, streams)
		if !ok {
			continue
		}
		every := max(active, publicEvery)
		if due := d.lastPublic[e.ID].Add(every); now.Before(due) {
			next = minTime(next, due)
			continue
		}
		if d.pub == nil {
			d.once("nopublic/"+e.Slug, slog.LevelError, "discovery by handle needs a YouTube client: nothing is discovered for this event", "event", e.Slug)
			continue
		}
		d.lastPublic[e.ID] = now
		if err := d.listPublic(ctx, e); err != nil {
			if ctx.Err() != nil {
				return now
			}
			wait := d.failed(err, now)
			d.lastPublic[e.ID] = now.Add(wait - every)
			next = minTime(next, now.Add(wait))
			continue
		}
		next = minTime(next, now.Add(every))
	}
	return next
}

// listPublic is one reading of a handle event's channel: 2 units, and 1
// more the first time, to find the handle's channel.
func (d *Discoverer) listPublic(ctx context.Context, e attendance.Event) error {
	call := func(method string, fn func(ctx context.Context) error) error {
		if err := d.quota.Allow(ctx, 1, true); err != nil {
			return err
		}
		callCtx, attempts := countAttempts(ctx)
		err := fn(callCtx)
		charge(ctx, d.quota, method, attempts())
		return err
	}
	// A handle's channel and uploads playlist do not change: they are
	// looked up once (1 unit) and kept.
	handle := strings.ToLower(e.Discovery.ChannelID)
	ch, known := d.handles[handle]
	if !known {
		if err := call(MethodChannelsList, func(ctx context.Context) (err error) {
			ch.channel, ch.uploads, err = d.pub.ChannelUploads(ctx, e.Discovery.ChannelID)
			return err
		}); err != nil {
			return fmt.Errorf("discovery: channel %s: %w", e.Discovery.ChannelID, err)
		}
		if ch.channel != "" {
			d.handles[handle] = ch
		}
	}
	channel, uploads := ch.channel, ch.uploads
	if channel == "" {
		d.once("nohandle/"+e.Slug, slog.LevelError, "no YouTube channel has the event's handle: nothing is discovered for it", "event", e.Slug, "handle", e.Discovery.ChannelID)
		return nil
	}
	var ids []string
	if err := call(MethodPlaylistItems, func(ctx context.Context) (err error) {
		ids, err = d.pub.PlaylistVideos(ctx, uploads, 50)
		return err
	}); err != nil {
		return fmt.Errorf("discovery: uploads of %s: %w", e.Discovery.ChannelID, err)
	}
	if len(ids) == 0 {
		return nil
	}
	var videos []VideoSample
	if err := call(MethodVideosList, func(ctx context.Context) (err error) {
		videos, err = d.pub.Videos(ctx, ids)
		return err
	}); err != nil {
		return fmt.Errorf("discovery: videos of %s: %w", e.Discovery.ChannelID, err)
	}
	disc := e.Discovery
	disc.ChannelID = channel
	for _, v := range videos {
		s := v.Sample
		if s.State != attendance.StreamUpcoming && s.State != attendance.StreamLive {
			continue // an ordinary upload or a past stream
		}
		start := s.ScheduledStart
		if start.IsZero() {
			start = s.ActualStart
		}
		if ok, why := disc.Accepts(channel, s.Title, start); !ok {
			d.once("ignored/"+e.Slug+"/"+v.VideoID, slog.LevelInfo, "broadcast ignored", "event", e.Slug, "video", v.VideoID, "why", why)
			continue
		}
		added, err := d.store.AddDiscoveredStream(ctx, e.ID, v.VideoID, s.Title)
		if err != nil {
			d.log.Error("add discovered stream failed", "event", e.Slug, "video", v.VideoID, "err", err)
			continue
		}
		if added {
			d.log.Info("stream discovered by handle", "event", e.Slug, "video", v.VideoID, "scheduled_start", start)
		}
	}
	return nil
}
