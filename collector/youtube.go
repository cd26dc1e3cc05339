package collector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/googleapi/transport"
	"google.golang.org/api/option"
	"google.golang.org/api/youtube/v3"

	"github.com/seameo/rollcall/attendance"
)

// YouTube method names, as they appear in the method metric label.
const (
	MethodVideosList     = "videos.list"
	MethodChatList       = "liveChatMessages.list"
	MethodChatStream     = "liveChatMessages.streamList"
	MethodChatInsert     = "liveChatMessages.insert"
	MethodBroadcastsList = "liveBroadcasts.list"
	MethodChannelsList   = "channels.list"
)

// Defaults of the YouTube adapter.
const (
	DefaultMaxBodyBytes   = 16 << 20
	DefaultRequestTimeout = 30 * time.Second
	DefaultChatPageSize   = 2000
	maxVideosPerCall      = 50
)

// YouTubeConfig configures the YouTube adapter. Give exactly one of APIKey
// and TokenSource.
type YouTubeConfig struct {
	APIKey      string             // Data API key (secret)
	TokenSource oauth2.TokenSource // the channel owner's OAuth token; a *RefreshingTokenSource is refreshed and retried once on 401
	// FallbackAPIKey, with TokenSource, is used instead of the token once
	// the grant is dead (invalid_grant): what a key can read goes on being
	// read; members-only chats, broadcasts and posting stop. Secret.
	FallbackAPIKey string
	Endpoint       string            // API base URL; empty is YouTube. The fake: srv.URL + "/"
	Transport      http.RoundTripper // base transport; default a clone of http.DefaultTransport
	Timeout        time.Duration     // per request; default 30 s
	MaxBodyBytes   int64             // response bodies above this fail as transient; default 16 MiB
	ChatPageSize   int64             // maxResults of chat reads, 200–2000; default 2000
	Metrics        *Metrics          // may be nil
}

// YouTube reads YouTube through the real google.golang.org/api client and
// turns its errors into the collector's sentinel errors.
type YouTube struct {
	svc      *youtube.Service
	pageSize int64
	secrets  []string
	metrics  *Metrics
}

// NewYouTube builds the adapter. It makes no call.
func NewYouTube(ctx context.Context, cfg YouTubeConfig) (*YouTube, error) {
	if (cfg.APIKey == "") == (cfg.TokenSource == nil) {
		return nil, errors.New("youtube: exactly one of an api key and an oauth token source is needed")
	}
	base := baseTransport(cfg.Transport)
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultRequestTimeout
	}
	if cfg.ChatPageSize == 0 {
		cfg.ChatPageSize = DefaultChatPageSize
	}
	var rt http.RoundTripper = &countingTransport{
		base:    &limitTransport{base: base, limit: cfg.MaxBodyBytes},
		metrics: cfg.Metrics,
	}
	if cfg.APIKey != "" {
		// option.WithHTTPClient would silently drop option.WithAPIKey.
		rt = &transport.APIKey{Key: cfg.APIKey, Transport: rt}
	} else {
		rt = &bearerTransport{source: cfg.TokenSource, base: rt, fallbackKey: cfg.FallbackAPIKey}
	}
	svc, err := youtube.NewService(ctx, clientOptions(rt, cfg.Timeout, cfg.Endpoint)...)
	if err != nil {
		return nil, fmt.Errorf("youtube: new service: %w", err)
	}
	return &YouTube{svc: svc, pageSize: cfg.ChatPageSize, secrets: []string{cfg.APIKey, cfg.FallbackAPIKey}, metrics: cfg.Metrics}, nil
}

// baseTransport is t, or a clone of http.DefaultTransport when t is nil.
func baseTransport(t http.RoundTripper) http.RoundTripper {
	if t == nil {
		return http.DefaultTransport.(*http.Transport).Clone()
	}
	return t
}

// clientOptions are the options the Google API clients share: an HTTP
// client over rt with a per-request timeout, and the endpoint, with its
// trailing slash, when one is given (a proxy or the fake).
func clientOptions(rt http.RoundTripper, timeout time.Duration, endpoint string) []option.ClientOption {
	opts := []option.ClientOption{option.WithHTTPClient(&http.Client{Transport: rt, Timeout: timeout})}
	if endpoint != "" {
		if !strings.HasSuffix(endpoint, "/") {
			endpoint += "/"
		}
		opts = append(opts, option.WithEndpoint(endpoint))
	}
	return opts
}

// VideoSample is one video's reading from videos.list. Sample.At is left
// for the caller to set.
type VideoSample struct {
	VideoID string
	Sample  attendance.StreamSample
}

// Videos reads snippet, liveStreamingDetails and statistics of the given
// videos, 50 per call. Videos YouTube does not return (deleted, private)
// are missing from the result. It returns what it read before an error.
func (y *YouTube) Videos(ctx context.Context, ids []string) ([]VideoSample, error) {
	var out []VideoSample
	for start := 0; start < len(ids); start += maxVideosPerCall {
		batch := ids[start:min(start+maxVideosPerCall, len(ids))]
		resp, err := y.svc.Videos.List([]string{"snippet", "liveStreamingDetails", "statistics"}).
			Id(batch...).MaxResults(maxVideosPerCall).Context(ctx).Do()
		if err != nil {
			return out, y.classify(ctx, MethodVideosList, err)
		}
		for _, v := range resp.Items {
			out = append(out, VideoSample{VideoID: v.Id, Sample: toSample(v)})
		}
	}
	return out, nil
}

func toSample(v *youtube.Video) attendance.StreamSample {
	var s attendance.StreamSample
	content := ""
	if v.Snippet != nil {
		s.Title = v.Snippet.Title
		content = v.Snippet.LiveBroadcastContent
	}
	d := v.LiveStreamingDetails
	if d != nil {
		s.ChatID = d.ActiveLiveChatId
		s.ScheduledStart = parseTime(d.ScheduledStartTime)
		s.ScheduledEnd = parseTime(d.ScheduledEndTime)
		s.ActualStart = parseTime(d.ActualStartTime)
		s.ActualEnd = parseTime(d.ActualEndTime)
	}
	switch {
	case !s.ActualEnd.IsZero():
		s.State = attendance.StreamEnded
	case content == "live":
		s.State = attendance.StreamLive
	case content == "upcoming":
		s.State = attendance.StreamUpcoming
	case content == "none" && d != nil && !s.ActualStart.IsZero():
		s.State = attendance.StreamEnded
	case content == "none" || content == "completed":
		s.State = attendance.StreamEnded
	default:
		s.State = attendance.StreamUnknown
	}
	// The client decodes an absent concurrentViewers as 0, so 0 cannot be
	// told from "unknown": it is reported as unknown.
	if d != nil && s.State == attendance.StreamLive && d.ConcurrentViewers > 0 {
		n := int64(d.ConcurrentViewers)
		s.ConcurrentViewers = &n
	}
	if st := v.Statistics; st != nil {
		views, likes := int64(st.ViewCount), int64(st.LikeCount)
		s.Views, s.Likes = &views, &likes
	}
	return s
}

// parseTime reads YouTube's RFC 3339 times (Z or +00:00; 0, 3 or 6
// fraction digits). A missing or bad value is the zero time.
func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// ChatRead is one liveChatMessages.list answer.
type ChatRead struct {
	Messages      []attendance.ChatMessage
	NextPageToken string
	PollingMillis int64     // pollingIntervalMillis as sent: may be 0, negative or huge; see ClampPollInterval
	OfflineAt     time.Time // zero while online
	PageSize      int64     // the maxResults asked for: a page this long was full
}

// ReadChat reads one page of a live chat from pageToken (empty: the recent
// history). It never follows nextPageToken by itself.
func (y *YouTube) ReadChat(ctx context.Context, chatID, pageToken string) (ChatRead, error) {
	call := y.svc.LiveChatMessages.List(chatID, []string{"snippet", "authorDetails"}).
		MaxResults(y.pageSize).Context(ctx)
	if pageToken != "" {
		call = call.PageToken(pageToken)
	}
	resp, err := call.Do()
	if err != nil {
		return ChatRead{}, y.classify(ctx, MethodChatList, err)
	}
	read := ChatRead{
		NextPageToken: resp.NextPageToken,
		PollingMillis: resp.PollingIntervalMillis,
		OfflineAt:     parseTime(resp.OfflineAt),
		PageSize:      y.pageSize,
		Messages:      make([]attendance.ChatMessage, 0, len(resp.Items)),
	}
	for _, it := range resp.Items {
		if it == nil {
			continue
		}
		read.Messages = append(read.Messages, toMessage(it))
	}
	return read, nil
}

func toMessage(it *youtube.LiveChatMessage) attendance.ChatMessage {
	m := attendance.ChatMessage{ID: it.Id}
	if a := it.AuthorDetails; a != nil {
		m.AuthorChannelID, m.AuthorName, m.IsChatOwner = a.ChannelId, a.DisplayName, a.IsChatOwner
	}
	sn := it.Snippet
	if sn == nil {
		return m
	}
	m.Type = sn.Type
	if m.AuthorChannelID == "" {
		m.AuthorChannelID = sn.AuthorChannelId
	}
	m.PublishedAt = parseTime(sn.PublishedAt)
	m.DisplayText = sn.DisplayMessage
	// Evidence comes only from the person's own words: a Super Chat's
	// displayMessage holds the amount and the buyer's display name.
	switch {
	case sn.TextMessageDetails != nil:
		m.Text = sn.TextMessageDetails.MessageText
	case sn.SuperChatDetails != nil:
		m.Text = sn.SuperChatDetails.UserComment
	case sn.MemberMilestoneChatDetails != nil:
		m.Text = sn.MemberMilestoneChatDetails.UserComment
	case sn.Type == attendance.MsgText:
		m.Text = sn.DisplayMessage // a text message without its details: its display is its text
	}
	switch {
	case sn.MessageDeletedDetails != nil:
		m.TargetID = sn.MessageDeletedDetails.DeletedMessageId
	case sn.MessageRetractedDetails != nil:
		m.TargetID = sn.MessageRetractedDetails.RetractedMessageId
	case sn.UserBannedDetails != nil && sn.UserBannedDetails.BannedUserDetails != nil:
		m.TargetID = sn.UserBannedDetails.BannedUserDetails.ChannelId
	}
	return m
}

// PostMessage posts text to a live chat as the OAuth user (20 units).
func (y *YouTube) PostMessage(ctx context.Context, chatID, text string) error {
	_, err := y.InsertChatMessage(ctx, chatID, text)
	return err
}

// InsertChatMessage posts text to a live chat as the OAuth user (20
// units) and returns the posted message's id.
func (y *YouTube) InsertChatMessage(ctx context.Context, chatID, text string) (string, error) {
	msg := &youtube.LiveChatMessage{Snippet: &youtube.LiveChatMessageSnippet{
		LiveChatId: chatID, Type: attendance.MsgText,
		TextMessageDetails: &youtube.LiveChatTextMessageDetails{MessageText: text},
	}}
	got, err := y.svc.LiveChatMessages.Insert([]string{"snippet"}, msg).Context(ctx).Do()
	if err != nil {
		return "", y.classify(ctx, MethodChatInsert, err)
	}
	return got.Id, nil
}

// Broadcast is one of the OAuth user's live broadcasts.
type Broadcast struct {
	VideoID        string
	ChannelID      string
	Title          string
	ChatID         string
	LifeCycle      string // ready, testing, live, complete, …
	ScheduledStart time.Time
	ActualStart    time.Time
	ActualEnd      time.Time
}

// Broadcast listing statuses: liveBroadcasts.list takes exactly one filter
// (broadcastStatus, id or mine), and broadcastStatus lists the
// authenticated user's own broadcasts.
const (
	BroadcastsActive   = "active"
	BroadcastsUpcoming = "upcoming"
)

// maxBroadcastPages bounds one listing: 10 pages of 50 broadcasts is more
// than any channel schedules at once, and a server that hands out page
// tokens for ever cannot make the listing spin.
const maxBroadcastPages = 10

// BroadcastPage is one liveBroadcasts.list answer.
type BroadcastPage struct {
	Broadcasts    []Broadcast
	NextPageToken string
}

// MyBroadcasts reads one page (50 at most) of the OAuth user's broadcasts
// with a broadcastStatus filter (active, upcoming, completed, all),
// broadcastType all. The cost is not published: rollcall counts 5 units.
func (y *YouTube) MyBroadcasts(ctx context.Context, status, pageToken string) (BroadcastPage, error) {
	call := y.svc.LiveBroadcasts.List([]string{"snippet", "status"}).BroadcastStatus(status).BroadcastType("all").
		MaxResults(50).Context(ctx)
	if pageToken != "" {
		call = call.PageToken(pageToken)
	}
	resp, err := call.Do()
	if err != nil {
		return BroadcastPage{}, y.classify(ctx, MethodBroadcastsList, err)
	}
	page := BroadcastPage{NextPageToken: resp.NextPageToken, Broadcasts: make([]Broadcast, 0, len(resp.Items))}
	for _, b := range resp.Items {
		if b == nil {
			continue
		}
		br := Broadcast{VideoID: b.Id}
		if sn := b.Snippet; sn != nil {
			br.Title, br.ChatID, br.ChannelID = sn.Title, sn.LiveChatId, sn.ChannelId
			br.ScheduledStart = parseTime(sn.ScheduledStartTime)
			br.ActualStart, br.ActualEnd = parseTime(sn.ActualStartTime), parseTime(sn.ActualEndTime)
		}
		if b.Status != nil {
			br.LifeCycle = b.Status.LifeCycleStatus
		}
		page.Broadcasts = append(page.Broadcasts, br)
	}
	return page, nil
}

// CheckAccess makes one cheap call (1 unit) that proves the credential
// works: channels.list mine=true with OAuth, videos.list of probeVideo with
// a key. A dead OAuth grant returns ErrGrantInvalid.
func (y *YouTube) CheckAccess(ctx context.Context, oauth bool, probeVideo string) error {
	if oauth {
		_, err := y.svc.Channels.List([]string{"id"}).Mine(true).Context(ctx).Do()
		if err != nil {
			return y.classify(ctx, MethodChannelsList, err)
		}
		return nil
	}
	_, err := y.svc.Videos.List([]string{"id"}).Id(probeVideo).Context(ctx).Do()
	if err != nil {
		return y.classify(ctx, MethodVideosList, err)
	}
	return nil
}

// classify turns a client error into an *APIError that unwraps to a
// sentinel, redacting secrets. A cancelled context stays what it is.
func (y *YouTube) classify(ctx context.Context, method string, err error) error {
	return classify(ctx, method, err, y.secrets, y.metrics)
}

// classify turns a Google API error into an *APIError wrapping a sentinel,
// with secrets redacted from its message, and counts it.
func classify(ctx context.Context, method string, err error, secrets []string, metrics *Metrics) error {
	if ctx.Err() != nil {
		return fmt.Errorf("youtube: %s: %w", method, ctx.Err())
	}
	e := &APIError{Method: method, sentinel: ErrTransient}
	var gerr *googleapi.Error
	var rerr *oauth2.RetrieveError
	switch {
	case errors.Is(err, ErrGrantInvalid):
		e.sentinel = ErrGrantInvalid
		e.Reason = "invalid_grant"
		e.Message = redact(err.Error(), secrets...)
	case errors.As(err, &rerr):
		if rerr.Response != nil {
			e.Status = rerr.Response.StatusCode
		}
		e.Reason = rerr.ErrorCode
		e.Message = redact(rerr.ErrorDescription, secrets...)
		switch {
		case rerr.ErrorCode == "invalid_grant":
			e.sentinel = ErrGrantInvalid
		case e.Status >= 400 && e.Status < 500:
			e.sentinel = ErrKeyInvalid
		}
	case errors.As(err, &gerr):
		e.Status = gerr.Code
		e.Message = redact(gerr.Message, secrets...)
		for _, it := range gerr.Errors {
			if it.Reason != "" {
				e.Reason = it.Reason
				break
			}
		}
		e.sentinel = sentinelFor(gerr.Code, e.Reason)
		if secs, err := strconv.Atoi(gerr.Header.Get("Retry-After")); err == nil && secs > 0 {
			e.RetryAfter = time.Duration(secs) * time.Second
		}
	default:
		e.Message = redact(err.Error(), secrets...)
	}
	metrics.countError(method, e.sentinel)
	return e
}

// sentinelFor maps Google's reason (first) and the HTTP status (second) to
// a sentinel error.
func sentinelFor(status int, reason string) error {
	switch reason {
	case "quotaExceeded", "dailyLimitExceeded":
		return ErrQuotaExceeded
	case "rateLimitExceeded", "userRateLimitExceeded":
		return ErrRateLimited
	case "liveChatEnded":
		return ErrChatEnded
	case "liveChatDisabled":
		return ErrChatDisabled
	case "liveChatNotFound":
		return ErrChatNotFound
	case "forbidden", "insufficientPermissions", "accessNotConfigured", "ipRefererBlocked":
		return ErrForbidden
	case "keyInvalid", "keyExpired", "authError", "required", "unauthorized":
		return ErrKeyInvalid
	case "invalidPageToken", "pageTokenInvalid": // the reference says invalidPageToken; older docs pageTokenInvalid
		return ErrPageTokenInvalid
	}
	switch {
	case status == http.StatusUnauthorized:
		return ErrKeyInvalid
	case status == http.StatusForbidden:
		return ErrForbidden
	case status == http.StatusTooManyRequests, status == http.StatusRequestTimeout:
		return ErrTransient
	case status >= 400 && status < 500:
		// A request YouTube will never accept: retrying it forever spends
		// 5 units a try for nothing. The caller tries twice, then stops.
		return ErrBadRequest
	default: // 5xx, no status (a reset connection, a bad body): try again later
		return ErrTransient
	}
}

// countingTransport counts requests by method and status code.
type countingTransport struct {
	base    http.RoundTripper
	metrics *Metrics
}

// RoundTrip implements http.RoundTripper.
func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	code := "error"
	if err == nil {
		code = strconv.Itoa(resp.StatusCode)
	}
	t.metrics.countRequest(methodOf(req), code)
	return resp, err
}

// methodOf names the API method of a request from its path.
func methodOf(req *http.Request) string {
	p := req.URL.Path
	switch {
	case strings.HasSuffix(p, "/videos"):
		return MethodVideosList
	case strings.HasSuffix(p, "/liveChat/messages") && req.Method == http.MethodPost:
		return MethodChatInsert
	case strings.HasSuffix(p, "/liveChat/messages"):
		return MethodChatList
	case strings.HasSuffix(p, "/liveBroadcasts"):
		return MethodBroadcastsList
	case strings.HasSuffix(p, "/channels"):
		return MethodChannelsList
	default:
		return "other"
	}
}

// errBodyTooLarge fails a response body that passes the limit.
var errBodyTooLarge = errors.New("response body too large")

// limitTransport bounds every response body so a huge or endless answer
// cannot exhaust memory.
type limitTransport struct {
	base  http.RoundTripper
	limit int64
}

// RoundTrip implements http.RoundTripper.
func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.limit {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %d bytes announced", errBodyTooLarge, resp.ContentLength)
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.limit}
	return resp, nil
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

// Read implements io.Reader, failing once the limit is passed.
func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		if n, err := b.rc.Read(one[:]); n == 0 && err == io.EOF {
			return 0, io.EOF
		}
		return 0, errBodyTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

// Close closes the underlying body.
func (b *limitedBody) Close() error { return b.rc.Close() }
