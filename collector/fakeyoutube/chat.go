package fakeyoutube

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"google.golang.org/api/youtube/v3"
)

// chatRead is one read of a chat, the same for liveChatMessages.list and
// streamList: the messages visible from the page token, the token after
// them, offlineAt and the polling interval.
type chatRead struct {
	chatID        string
	msgs          []Message
	next          string
	offlineAt     time.Time // zero while online
	pollingMillis int64
	// served records msgs as delivered; call it only once the client has
	// received the whole answer.
	served func()
}

// Errors of a chat read, in YouTube's words (the liveChatMessages.list
// reference's error table).
var (
	errChatNotFound = apiError{status: http.StatusNotFound, domain: "youtube.liveChat", reason: "liveChatNotFound",
		message: "The live chat that you are trying to retrieve cannot be found."}
	errChatDisabled = apiError{status: http.StatusForbidden, domain: "youtube.liveChat", reason: "liveChatDisabled",
		message: "The live chat is not enabled for the specified broadcast."}
	errChatEnded = apiError{status: http.StatusForbidden, domain: "youtube.liveChat", reason: "liveChatEnded",
		message: "The specified live chat is no longer live."}
	errForbidden = apiError{status: http.StatusForbidden, domain: "youtube.liveChat", reason: "forbidden",
		message: "The request is not properly authorized to retrieve the specified live chat."}
	errRateLimited = apiError{status: http.StatusForbidden, domain: "youtube.quota", reason: "rateLimitExceeded",
		message: "The request was sent too soon after the previous one. This error occurs when API requests are sent more frequently than the pollingIntervalMillis allows."}
	errPageToken = apiError{status: http.StatusBadRequest, domain: "youtube.parameter", reason: "invalidPageToken",
		message: "The request specifies an invalid page token.", location: "pageToken"}
)

// tickerTypes are the events a first read returns beyond the recent
// history: the reference says "up to 75 messages, plus ticker and gift
// events".
var tickerTypes = map[string]bool{
	"superChatEvent": true, "superStickerEvent": true, "newSponsorEvent": true, "membershipGiftingEvent": true,
	"giftMembershipReceivedEvent": true, "giftEvent": true, "memberMilestoneChatEvent": true,
}

// readChat reads a chat from pageToken (empty: the recent history) for a
// caller with credential c. enforcePolling refuses a read sooner than the
// previous answer's pollingIntervalMillis (liveChatMessages.list only).
func (s *Server) readChat(chatID, pageToken string, maxResults int, c credential, enforcePolling bool) (chatRead, *apiError) {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.chats[chatID]
	if !ok {
		return chatRead{}, &errChatNotFound
	}
	v := s.videos[ch.videoID]
	switch {
	case !v.DeletedAt.IsZero() && !now.Before(v.DeletedAt):
		// What YouTube answers for the chat of a deleted video is not
		// documented; liveChatNotFound is the nearest documented reason,
		// and the daemon must be safe for any chat-level error.
		return chatRead{}, &errChatNotFound
	case v.ChatDisabled:
		return chatRead{}, &errChatDisabled
	case v.MembersOnly && !c.oauth():
		// The streamList and list references: "Private, members-only, or
		// paid live chats ... require OAuth 2.0 authorization".
		return chatRead{}, &errForbidden
	case !ch.endedAt.IsZero() && !now.Before(ch.endedAt):
		return chatRead{}, &errChatEnded
	}
	if _, ok := inSpans(v.Forbidden, now); ok {
		return chatRead{}, &errForbidden
	}
	st := v.state(now)
	if st == ended && !now.Before(v.ActualEnd.Add(s.opts.ChatEndedGrace)) {
		return chatRead{}, &errChatEnded
	}
	if enforcePolling && !ch.lastAt.IsZero() && now.Before(ch.lastAt.Add(ch.wait)) {
		return chatRead{}, &errRateLimited
	}
	visible := sort.Search(len(ch.msgs), func(i int) bool { return ch.msgs[i].PublishedAt.After(now) })
	var picked []Message
	var endPos int
	if pageToken != "" {
		pos, issued, ok := decodeToken(pageToken, chatID)
		if !ok || (s.opts.PageTokenTTL > 0 && now.Sub(issued) > s.opts.PageTokenTTL) {
			return chatRead{}, &errPageToken
		}
		start := min(pos, visible)
		endPos = min(start+maxResults, visible)
		picked = ch.msgs[start:endPos]
	} else {
		start := max(visible-s.opts.History, 0)
		endPos = min(start+maxResults, visible)
		for _, m := range ch.msgs[:start] {
			if tickerTypes[m.Type] && now.Sub(m.PublishedAt) <= s.opts.TickerWindow {
				picked = append(picked, m)
			}
		}
		picked = append(picked, ch.msgs[start:endPos]...)
	}
	r := chatRead{
		chatID:        chatID,
		msgs:          append([]Message(nil), picked...),
		next:          encodeToken(chatID, endPos, now),
		pollingMillis: s.opts.PollingMillis,
	}
	switch sp, drop := inSpans(v.EncoderDrops, now); {
	case st == ended:
		r.offlineAt = v.ActualEnd
	case drop && st == live:
		r.offlineAt = sp.From
	}
	ids := make([]string, len(r.msgs))
	for i, m := range r.msgs {
		ids[i] = m.ID
	}
	r.served = func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		ch.served = append(ch.served, ids...)
	}
	return r, nil
}

// chatList serves liveChatMessages.list.
func (s *Server) chatList(w http.ResponseWriter, r *http.Request, f *Fault) {
	q := r.URL.Query()
	want := parts(r)
	if !want["snippet"] && !want["id"] && !want["authorDetails"] {
		writeError(w, http.StatusBadRequest, "youtube.part", "unknownPart", "part parameter is required")
		return
	}
	maxResults := 500
	if m := q.Get("maxResults"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 200 || n > 2000 {
			writeError(w, http.StatusBadRequest, "youtube.parameter", "invalidValue", "Invalid value for maxResults: must be between 200 and 2000.")
			return
		}
		maxResults = n
	}
	read, e := s.readChat(q.Get("liveChatId"), q.Get("pageToken"), maxResults, restCredential(r), s.opts.EnforcePolling)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	resp := &youtube.LiveChatMessageListResponse{
		Kind:                  "youtube#liveChatMessageListResponse",
		Etag:                  "fake-etag",
		NextPageToken:         read.next,
		PollingIntervalMillis: read.pollingMillis,
		PageInfo:              &youtube.PageInfo{TotalResults: int64(len(read.msgs)), ResultsPerPage: int64(len(read.msgs))},
	}
	if f != nil && f.PollingIntervalMillis != nil {
		resp.PollingIntervalMillis = *f.PollingIntervalMillis
		resp.ForceSendFields = []string{"PollingIntervalMillis"}
	}
	if !read.offlineAt.IsZero() {
		resp.OfflineAt = read.offlineAt.UTC().Format(time.RFC3339Nano)
	}
	s.mu.Lock()
	if ch := s.chats[read.chatID]; ch != nil {
		ch.lastAt, ch.wait = s.clock.Now(), time.Duration(max(resp.PollingIntervalMillis, 0))*time.Millisecond
	}
	s.mu.Unlock()
	resp.Items = make([]*youtube.LiveChatMessage, 0, len(read.msgs))
	for _, m := range read.msgs {
		resp.Items = append(resp.Items, toResource(read.chatID, m, want))
	}
	if writeJSON(w, resp, f) {
		read.served()
	}
}

// Page tokens carry the chat, the position after the page and when they
// were issued (for PageTokenTTL). YouTube's are opaque; so are these.
func encodeToken(chatID string, pos int, issued time.Time) string {
	return base64.RawURLEncoding.EncodeToString([]byte(chatID + "|" + strconv.Itoa(pos) + "|" + strconv.FormatInt(issued.UnixNano(), 10)))
}

func decodeToken(tok, chatID string) (pos int, issued time.Time, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, time.Time{}, false
	}
	parts := strings.Split(string(b), "|")
	if len(parts) != 3 || parts[0] != chatID {
		return 0, time.Time{}, false
	}
	n, err1 := strconv.Atoi(parts[1])
	ns, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || n < 0 {
		return 0, time.Time{}, false
	}
	return n, time.Unix(0, ns), true
}

// DisplayMessage is the displayMessage YouTube shows for m. For a Super
// Chat it is the amount, the buyer's display name and the comment, as in
// the reference's example `€2.00 from Brian Lough: "test"`; the wording
// for Super Stickers and milestones is not documented, so the fake follows
// the same pattern (the sticker's alt text standing for the comment). What
// matters to rollcall: the buyer's name is in it, so it is never evidence.
func DisplayMessage(m Message) string {
	amount := m.Amount
	if amount == "" {
		amount = "$5.00"
	}
	switch m.Type {
	case "superChatEvent":
		if m.Text == "" {
			return fmt.Sprintf("%s from %s", amount, m.AuthorName)
		}
		return fmt.Sprintf("%s from %s: %q", amount, m.AuthorName, m.Text)
	case "superStickerEvent":
		return fmt.Sprintf("%s from %s: %q", amount, m.AuthorName, "Super Sticker")
	case "memberMilestoneChatEvent":
		if m.Text == "" {
			return fmt.Sprintf("%s has been a member for %d months", m.AuthorName, memberMonth(m))
		}
		return fmt.Sprintf("%s has been a member for %d months: %q", m.AuthorName, memberMonth(m), m.Text)
	}
	return m.Text
}

func memberMonth(m Message) int64 {
	if m.MemberMonth > 0 {
		return m.MemberMonth
	}
	return 6
}

// toResource is m as a liveChatMessage resource, in the shape the
// liveChatMessages reference gives for each type.
func toResource(chatID string, m Message, want map[string]bool) *youtube.LiveChatMessage {
	item := &youtube.LiveChatMessage{Kind: "youtube#liveChatMessage", Etag: "fake-etag-" + m.ID, Id: m.ID}
	if want["snippet"] {
		sn := &youtube.LiveChatMessageSnippet{
			Type: m.Type, LiveChatId: chatID, AuthorChannelId: m.AuthorChannelID,
			PublishedAt: m.PublishedAt.UTC().Format("2006-01-02T15:04:05.000000-07:00"),
		}
		amount := m.Amount
		if amount == "" {
			amount = "$5.00"
		}
		switch m.Type {
		case "textMessageEvent":
			sn.HasDisplayContent, sn.DisplayMessage = true, m.Text
			sn.TextMessageDetails = &youtube.LiveChatTextMessageDetails{MessageText: m.Text}
		case "superChatEvent":
			sn.HasDisplayContent, sn.DisplayMessage = true, DisplayMessage(m)
			sn.SuperChatDetails = &youtube.LiveChatSuperChatDetails{AmountMicros: 5000000, Currency: "USD",
				AmountDisplayString: amount, UserComment: m.Text, Tier: 2}
		case "superStickerEvent":
			sn.HasDisplayContent, sn.DisplayMessage = true, DisplayMessage(m)
			sn.SuperStickerDetails = &youtube.LiveChatSuperStickerDetails{AmountMicros: 1000000, Currency: "USD",
				AmountDisplayString: amount, Tier: 1,
				SuperStickerMetadata: &youtube.SuperStickerMetadata{StickerId: "fake_sticker", AltText: "Super Sticker", AltTextLanguage: "en"}}
		case "memberMilestoneChatEvent":
			sn.HasDisplayContent, sn.DisplayMessage = true, DisplayMessage(m)
			sn.MemberMilestoneChatDetails = &youtube.LiveChatMemberMilestoneChatDetails{
				MemberLevelName: "Member", MemberMonth: memberMonth(m), UserComment: m.Text}
		case "messageDeletedEvent":
			sn.MessageDeletedDetails = &youtube.LiveChatMessageDeletedDetails{DeletedMessageId: m.TargetID}
		case "messageRetractedEvent":
			sn.MessageRetractedDetails = &youtube.LiveChatMessageRetractedDetails{RetractedMessageId: m.TargetID}
		case "userBannedEvent":
			sn.HasDisplayContent, sn.DisplayMessage = true, m.Text
			sn.UserBannedDetails = &youtube.LiveChatUserBannedMessageDetails{
				BanType: "temporary", BanDurationSeconds: 300,
				BannedUserDetails: &youtube.ChannelProfileDetails{ChannelId: m.TargetID, DisplayName: "banned"},
			}
		default:
			if m.Text != "" {
				sn.HasDisplayContent, sn.DisplayMessage = true, m.Text
			}
		}
		item.Snippet = sn
	}
	if want["authorDetails"] {
		item.AuthorDetails = &youtube.LiveChatMessageAuthorDetails{
			ChannelId: m.AuthorChannelID, DisplayName: m.AuthorName,
			ChannelUrl:      "http://www.youtube.com/channel/" + m.AuthorChannelID,
			ProfileImageUrl: "https://yt3.ggpht.example/" + m.AuthorChannelID,
			IsChatOwner:     m.ChatOwner,
		}
	}
	return item
}
