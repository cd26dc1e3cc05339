package fakeyoutube

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/api/youtube/v3"
)

// What the fake plays for the channel owner (an OAuth token), and where
// each behaviour comes from. The references are
// developers.google.com/youtube/v3/live/docs/liveBroadcasts/list,
// …/liveChatMessages/insert and …/v3/docs/channels/list.
//
//   - liveBroadcasts.list takes exactly one filter: broadcastStatus, id or
//     mine ("You must specify exactly one filter parameter per request");
//     anything else answers 400 incompatibleParameters. broadcastStatus
//     lists the authenticated user's broadcasts with that status (active,
//     all, completed, upcoming); mine=true lists all of them.
//   - broadcastType defaults to event; all "behaves identically to event";
//     persistent "returns empty results because the Stream Now workflow is
//     deprecated" (the reference). Every scripted video is an event
//     broadcast.
//   - maxResults is 0–50, default 5 (the reference); a value outside
//     answers 400 invalidValue (the reason is not documented). Pages are
//     cut in the order of scheduled start then id; YouTube's order is not
//     documented. A page token is an offset into the answer as it stands
//     when the next page is asked for, so a broadcast that changes status
//     between pages can be skipped or repeated: rollcall lists again every
//     minute during an event and deduplicates by id.
//   - The cost of liveBroadcasts.list is not published; the fake charges 5
//     units a call (the budget in ../shared/YOUTUBE.md), failed calls too.
//   - RestartBroadcast: a broadcast that stops (an encoder gone past the
//     auto-stop delay) and is started again comes back as a new broadcast
//     under a new video id. Reported by operators, not documented; when
//     YouTube does it is up to YouTube.
//   - LeakBroadcast: a list answer that carries another channel's video.
//     Never documented, never seen: rollcall must ignore it all the same.
//   - liveChatMessages.insert (20 units, the quota table) posts as the
//     token's channel: the message appears in the chat at once, authored by
//     the owner with authorDetails.isChatOwner true (the liveChatMessages
//     resource). Text must be 1–200 characters ("messageTextInvalid"), the
//     chat must be live ("liveChatEnded"), and known ("liveChatNotFound").
//   - channels.list mine=true answers the token's channel (1 unit).

// Posted is one message the fake accepted through liveChatMessages.insert.
type Posted struct {
	ChatID    string
	VideoID   string
	MessageID string
	Text      string
	At        time.Time
}

// Posts returns every message posted with liveChatMessages.insert, in order.
func (s *Server) Posts() []Posted {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.posted)
}

// RestartBroadcast plays a broadcast that stops at `at` and comes back
// under the new video id newID: the old video ends then (its chat goes
// offline), and a new one of the same channel and title starts at once,
// with its own chat, until the old one's scripted end (zero: never).
func (s *Server) RestartBroadcast(oldID, newID string, at time.Time) error {
	s.mu.Lock()
	old, ok := s.videos[oldID]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("fakeyoutube: restart broadcast: unknown video %q", oldID)
	}
	nv := Video{ID: newID, Title: old.Title, ChannelID: old.ChannelID, ScheduledStart: at, ScheduledEnd: old.ScheduledEnd,
		ActualStart: at, ActualEnd: old.ActualEnd, Viewers: old.Viewers, Views: old.Views, Likes: old.Likes}
	old.ActualEnd = at
	s.mu.Unlock()
	s.AddVideo(nv)
	return nil
}

// LeakBroadcast makes every liveBroadcasts.list answer carry the video,
// whatever its channel (see the list above: never documented).
func (s *Server) LeakBroadcast(videoID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.leaked == nil {
		s.leaked = map[string]bool{}
	}
	s.leaked[videoID] = true
}

// broadcastStatusOf is the broadcastStatus filter value a video matches now.
func broadcastStatusOf(st videoState) string {
	return map[videoState]string{upcoming: "upcoming", live: "active", ended: "completed"}[st]
}

func (s *Server) broadcastsList(w http.ResponseWriter, r *http.Request, f *Fault) {
	if !bearer(r) {
		writeError(w, http.StatusUnauthorized, "global", "required", "Login Required.")
		return
	}
	q := r.URL.Query()
	filters := 0
	for _, k := range []string{"mine", "broadcastStatus", "id"} {
		if q.Get(k) != "" {
			filters++
		}
	}
	if filters != 1 {
		writeError(w, http.StatusBadRequest, "youtube.parameter", "incompatibleParameters",
			"You must specify exactly one filter parameter per request (broadcastStatus, id, or mine).")
		return
	}
	status := q.Get("broadcastStatus")
	switch status {
	case "", "all", "active", "upcoming", "completed":
	default:
		writeError(w, http.StatusBadRequest, "youtube.parameter", "invalidValue", "Invalid value for broadcastStatus.")
		return
	}
	btype := q.Get("broadcastType")
	switch btype {
	case "", "all", "event", "persistent":
	default:
		writeError(w, http.StatusBadRequest, "youtube.parameter", "invalidValue", "Invalid value for broadcastType.")
		return
	}
	size := 5
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 50 {
			writeError(w, http.StatusBadRequest, "youtube.parameter", "invalidValue", "Invalid value for maxResults: 0 to 50.")
			return
		}
		size = n
	}
	offset := 0
	if tok := q.Get("pageToken"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		n, cerr := strconv.Atoi(strings.TrimPrefix(string(raw), "lb:"))
		if err != nil || cerr != nil || !strings.HasPrefix(string(raw), "lb:") || n < 0 {
			writeAPIError(w, &apiError{status: http.StatusBadRequest, domain: "youtube.parameter", reason: "invalidPageToken",
				message: "The request specifies an invalid page token.", location: "pageToken"})
			return
		}
		offset = n
	}
	ids := map[string]bool{}
	for _, p := range q["id"] {
		for _, id := range strings.Split(p, ",") {
			ids[strings.TrimSpace(id)] = true
		}
	}
	want := parts(r)
	now := s.clock.Now()
	resp := &youtube.LiveBroadcastListResponse{Kind: "youtube#liveBroadcastListResponse", Etag: "fake-etag"}
	var all []*youtube.LiveBroadcast
	var starts []time.Time
	s.mu.Lock()
	for _, v := range s.videos {
		st := v.state(now)
		switch {
		case btype == "persistent":
			continue
		case len(ids) > 0 && !ids[v.ID]:
			continue
		case status != "" && status != "all" && broadcastStatusOf(st) != status:
			continue
		case len(ids) == 0 && v.ChannelID != s.opts.OwnerChannelID && !s.leaked[v.ID]:
			continue // mine=true and broadcastStatus list the token's own broadcasts
		}
		life := map[videoState]string{upcoming: "ready", live: "live", ended: "complete"}[st]
		b := &youtube.LiveBroadcast{Kind: "youtube#liveBroadcast", Etag: "fake-etag-" + v.ID, Id: v.ID}
		if want["snippet"] {
			b.Snippet = &youtube.LiveBroadcastSnippet{
				Title: v.Title, ChannelId: v.ChannelID, ScheduledStartTime: rfc3339(v.ScheduledStart),
				ScheduledEndTime: rfc3339(v.ScheduledEnd),
			}
			if st != ended && !v.ChatDisabled {
				b.Snippet.LiveChatId = s.chatAtLocked(v.ID, now).id
			}
			if st != upcoming {
				b.Snippet.ActualStartTime = rfc3339(v.ActualStart)
			}
			if st == ended {
				b.Snippet.ActualEndTime = rfc3339(v.ActualEnd)
			}
		}
		if want["status"] {
			b.Status = &youtube.LiveBroadcastStatus{LifeCycleStatus: life, PrivacyStatus: "public"}
		}
		all = append(all, b)
		starts = append(starts, v.ScheduledStart)
	}
	s.mu.Unlock()
	order := make([]int, len(all))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		if c := starts[i].Compare(starts[j]); c != 0 {
			return c
		}
		return strings.Compare(all[i].Id, all[j].Id)
	})
	for k := offset; k < len(order) && k < offset+size; k++ {
		resp.Items = append(resp.Items, all[order[k]])
	}
	if offset+size < len(order) && size > 0 {
		resp.NextPageToken = base64.RawURLEncoding.EncodeToString([]byte("lb:" + strconv.Itoa(offset+size)))
	}
	if offset > 0 {
		resp.PrevPageToken = base64.RawURLEncoding.EncodeToString([]byte("lb:" + strconv.Itoa(max(offset-size, 0))))
	}
	resp.PageInfo = &youtube.PageInfo{TotalResults: int64(len(all)), ResultsPerPage: int64(size)}
	writeJSON(w, resp, f)
}
