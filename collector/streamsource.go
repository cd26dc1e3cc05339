package collector

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/collector/internal/ytgrpc"
)

// MethodChatStream (liveChatMessages.streamList, in the method metric
// label) is declared with the other method names in youtube.go.

// Defaults of the stream source.
const (
	// DefaultStreamEndpoint is where YouTube serves streamList (TLS).
	DefaultStreamEndpoint = "youtube.googleapis.com:443"
	// DefaultStreamIdleTimeout bounds the wait for the next response of an
	// open stream. YouTube closes each stream after about 10 s, so a stream
	// silent for this long sits on a half-open connection.
	DefaultStreamIdleTimeout = 2 * time.Minute
)

// streamParts are the liveChatMessage parts asked for: the same as the
// polled read (the id always comes).
var streamParts = []string{"snippet", "authorDetails"}

// StreamConfig configures the streamList source. Give exactly one of
// APIKey and TokenSource.
type StreamConfig struct {
	Endpoint    string             // host:port; empty is youtube.googleapis.com:443
	Insecure    bool               // plaintext (the fake on loopback); default TLS with the system roots
	APIKey      string             // sent as x-goog-api-key metadata (secret)
	TokenSource oauth2.TokenSource // or: the OAuth token as per-RPC credentials (the same source the REST client uses)
	PageSize    int64              // maxResults; default DefaultChatPageSize
	Metrics     *Metrics           // may be nil
	// IdleTimeout ends a stream that has sent nothing for this long (wall
	// time) with ErrTransient; default DefaultStreamIdleTimeout.
	IdleTimeout time.Duration
	// MaxMessageBytes bounds one pushed response; default
	// DefaultMaxBodyBytes, the REST body limit.
	MaxMessageBytes int
}

// StreamSource reads live chat with liveChatMessages.streamList over gRPC.
// One StreamSource holds one client connection, shared by every chat it
// streams; it is safe for concurrent use.
type StreamSource struct {
	conn     *grpc.ClientConn
	client   ytgrpc.V3DataLiveChatMessageServiceClient
	tokens   oauth2.TokenSource
	insecure bool
	pageSize int64
	idle     time.Duration
	secrets  []string
	metrics  *Metrics
}

// NewStreamSource builds the source. It makes no call: the connection is
// opened by the first StreamChat.
func NewStreamSource(ctx context.Context, cfg StreamConfig) (*StreamSource, error) {
	_ = ctx // the connection is lazy; ctx is kept for symmetry with NewYouTube
	if (cfg.APIKey == "") == (cfg.TokenSource == nil) {
		return nil, errors.New("youtube: stream: exactly one of an api key and an oauth token source is needed")
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = DefaultStreamEndpoint
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = DefaultChatPageSize
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultStreamIdleTimeout
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = DefaultMaxBodyBytes
	}
	tc := credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
	if cfg.Insecure {
		tc = insecure.NewCredentials()
	}
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(tc),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(cfg.MaxMessageBytes)),
	}
	if cfg.APIKey != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(apiKeyCredentials{key: cfg.APIKey, secure: !cfg.Insecure}))
	}
	target := cfg.Endpoint
	if !strings.Contains(target, "://") {
		// host:port, dialled as given (a gRPC target with a scheme, such
		// as dns:///host:port, is used as it is).
		target = "passthrough:///" + target
	}
	conn, err := grpc.NewClient(target, opts...)
	if err != nil {
		return nil, fmt.Errorf("youtube: stream: new client for %s: %w", cfg.Endpoint, err)
	}
	return &StreamSource{
		conn:     conn,
		client:   ytgrpc.NewV3DataLiveChatMessageServiceClient(conn),
		tokens:   cfg.TokenSource,
		insecure: cfg.Insecure,
		pageSize: cfg.PageSize,
		idle:     cfg.IdleTimeout,
		secrets:  []string{cfg.APIKey},
		metrics:  cfg.Metrics,
	}, nil
}

// Close closes the connection. Streams still open fail.
func (s *StreamSource) Close() error { return s.conn.Close() }

// StreamChat opens ONE streamList call on chatID from pageToken (empty:
// recent history) and hands each pushed response to onPage, in order, as a
// ChatRead. It returns nil when the server closes the stream normally,
// ctx.Err() wrapped when ctx ends, onPage's error as is, or an *APIError
// that unwraps to the same sentinels as the polled read. A response that
// does not match the proto (see checkFields) ends the stream with an
// *APIError unwrapping to ErrStreamingUnsupported and naming the field.
//
// With OAuth, a stream refused as UNAUTHENTICATED before its first
// response is opened once more with a fresh token, as the REST client
// retries a 401.
func (s *StreamSource) StreamChat(ctx context.Context, chatID, pageToken string, onPage func(ChatRead) error) error {
	pages, err := s.streamOnce(ctx, chatID, pageToken, onPage)
	if pages > 0 || !errors.Is(err, ErrKeyInvalid) || s.tokens == nil {
		return err
	}
	inv, ok := s.tokens.(interface{ Invalidate() })
	if !ok {
		return err
	}
	inv.Invalidate()
	_, err = s.streamOnce(ctx, chatID, pageToken, onPage)
	return err
}

// streamOnce makes one streamList call and reports how many pages it
// handed to onPage.
func (s *StreamSource) streamOnce(ctx context.Context, chatID, pageToken string, onPage func(ChatRead) error) (pages int, err error) {
	var callOpts []grpc.CallOption
	if s.tokens != nil {
		tok, err := s.tokens.Token()
		if err != nil {
			return 0, s.tokenError(ctx, err)
		}
		callOpts = append(callOpts, grpc.PerRPCCredentials(bearerCredentials{token: tok.AccessToken, secure: !s.insecure}))
	}
	req := &ytgrpc.LiveChatMessageListRequest{
		LiveChatId: proto.String(chatID),
		Part:       streamParts,
		MaxResults: proto.Uint32(uint32(s.pageSize)),
	}
	if pageToken != "" {
		req.PageToken = proto.String(pageToken)
	}

	callCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var idleMu sync.Mutex
	idleFired := false
	idle := time.AfterFunc(s.idle, func() {
		idleMu.Lock()
		idleFired = true
		idleMu.Unlock()
		cancel()
	})
	defer idle.Stop()

	stream, err := s.client.StreamList(callCtx, req, callOpts...)
	for err == nil {
		var resp *ytgrpc.LiveChatMessageListResponse
		resp, err = stream.Recv()
		if err != nil {
			break
		}
		idle.Reset(s.idle)
		read, keep, derr := s.toChatRead(resp)
		if derr != nil {
			cancel() // the call ends cancelled by us, as after onPage fails
			s.metrics.countRequest(MethodChatStream, codes.Canceled.String())
			return pages, s.fail(derr)
		}
		if !keep {
			continue
		}
		if perr := onPage(read); perr != nil {
			cancel()
			s.metrics.countRequest(MethodChatStream, codes.Canceled.String())
			return pages, perr
		}
		pages++
	}
	if errors.Is(err, io.EOF) {
		s.metrics.countRequest(MethodChatStream, codes.OK.String())
		return pages, nil
	}
	st := status.Convert(err)
	s.metrics.countRequest(MethodChatStream, st.Code().String())
	if ctx.Err() != nil {
		return pages, fmt.Errorf("youtube: %s: %w", MethodChatStream, ctx.Err())
	}
	idleMu.Lock()
	fired := idleFired
	idleMu.Unlock()
	if fired {
		return pages, s.fail(&APIError{Method: MethodChatStream, Reason: "idleTimeout", sentinel: ErrTransient,
			Message: fmt.Sprintf("no response for %s", s.idle)})
	}
	return pages, s.fail(s.classifyStatus(st))
}

// fail counts a failed call by its classified reason.
func (s *StreamSource) fail(e *APIError) error {
	s.metrics.countError(MethodChatStream, e.sentinel)
	return e
}

// tokenError classifies a failure to get the OAuth token, as the REST
// client does: a dead grant is ErrGrantInvalid, another 4xx from the
// token endpoint ErrKeyInvalid, the rest transient.
func (s *StreamSource) tokenError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("youtube: %s: %w", MethodChatStream, ctx.Err())
	}
	e := &APIError{Method: MethodChatStream, sentinel: ErrTransient, Message: redact(err.Error(), s.secrets...)}
	var rerr *oauth2.RetrieveError
	switch {
	case errors.Is(err, ErrGrantInvalid):
		e.sentinel, e.Reason = ErrGrantInvalid, "invalid_grant"
	case errors.As(err, &rerr):
		e.Reason = rerr.ErrorCode
		e.Message = redact(rerr.ErrorDescription, s.secrets...)
		if rerr.Response != nil {
			e.Status = rerr.Response.StatusCode
		}
		switch {
		case rerr.ErrorCode == "invalid_grant":
			e.sentinel = ErrGrantInvalid
		case e.Status >= 400 && e.Status < 500:
			e.sentinel = ErrKeyInvalid
		}
	}
	return s.fail(e)
}

// classifyStatus turns a gRPC status into an *APIError: Google's
// google.rpc.ErrorInfo reason first, then the status code, the way
// sentinelFor reads a REST error's reason first and its HTTP status second.
func (s *StreamSource) classifyStatus(st *status.Status) *APIError {
	e := &APIError{
		Method:  MethodChatStream,
		Status:  httpStatusOf(st.Code()),
		Message: redact(st.Message(), s.secrets...),
	}
	pageTokenField := false
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			if e.Reason == "" {
				e.Reason = d.GetReason()
			}
			for k, v := range d.GetMetadata() {
				if namesPageToken(k) || namesPageToken(v) {
					pageTokenField = true
				}
			}
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				if namesPageToken(v.GetField()) {
					pageTokenField = true
				}
			}
		case *errdetails.RetryInfo:
			if rd := d.GetRetryDelay(); rd != nil && rd.AsDuration() > 0 {
				e.RetryAfter = rd.AsDuration()
			}
		}
	}
	e.sentinel = streamSentinel(st.Code(), e.Reason, pageTokenField || namesPageToken(st.Message()))
	if st.Code() == codes.ResourceExhausted && e.Reason == "" &&
		strings.Contains(st.Message(), "received message larger than max") {
		// The client's own size limit, not YouTube's quota: like a REST
		// body over MaxBodyBytes, it is transient.
		e.sentinel = ErrTransient
	}
	if e.Reason == "" {
		e.Reason = st.Code().String()
	}
	return e
}

// namesPageToken says whether s names the page token parameter.
func namesPageToken(s string) bool {
	s = strings.ToLower(s)
	return strings.Contains(s, "page_token") || strings.Contains(s, "pagetoken") || strings.Contains(s, "page token")
}

// streamSentinel maps an ErrorInfo reason (first) and a gRPC code (second)
// onto the sentinels, as YOUTUBE.md's table maps REST reasons.
func streamSentinel(code codes.Code, reason string, pageToken bool) error {
	switch reason {
	case "quotaExceeded", "dailyLimitExceeded":
		return ErrQuotaExceeded
	case "rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED":
		return ErrRateLimited
	case "liveChatEnded":
		return ErrChatEnded
	case "liveChatDisabled":
		return ErrChatDisabled
	case "liveChatNotFound":
		return ErrChatNotFound
	case "forbidden", "insufficientPermissions", "accessNotConfigured", "ipRefererBlocked",
		"SERVICE_DISABLED", "API_KEY_SERVICE_BLOCKED", "API_KEY_IP_ADDRESS_BLOCKED", "API_KEY_HTTP_REFERRER_BLOCKED":
		return ErrForbidden
	case "keyInvalid", "keyExpired", "authError", "required", "unauthorized",
		"API_KEY_INVALID", "API_KEY_EXPIRED", "ACCESS_TOKEN_EXPIRED", "ACCESS_TOKEN_TYPE_UNSUPPORTED", "CREDENTIALS_MISSING":
		return ErrKeyInvalid
	case "invalidPageToken", "pageTokenInvalid":
		return ErrPageTokenInvalid
	}
	switch code {
	case codes.PermissionDenied:
		return ErrForbidden
	case codes.NotFound:
		return ErrChatNotFound
	case codes.FailedPrecondition:
		// The streamList reference's error list could not be read from the
		// stored copies of the page (only its opening is stored), so what
		// YouTube means by FAILED_PRECONDITION without a reason is not
		// documented here. google.rpc.Code defines it as "the system is
		// not in a state required for the operation", which for a chat is
		// its end (or a chat not yet readable). It is filed as a
		// chat-level end: while the video is live the collector then
		// samples videos.list at once and re-checks the chat with back-off,
		// which is safe for every outcome; filing it as a bad request would
		// stop the stream.
		return ErrChatEnded
	case codes.ResourceExhausted:
		return ErrQuotaExceeded
	case codes.Unauthenticated:
		return ErrKeyInvalid
	case codes.InvalidArgument:
		if pageToken {
			return ErrPageTokenInvalid
		}
		return ErrBadRequest
	case codes.OutOfRange, codes.AlreadyExists:
		return ErrBadRequest
	case codes.Unimplemented:
		return ErrStreamingUnsupported
	default: // Unavailable, DeadlineExceeded, Internal, Aborted, Unknown, DataLoss, Canceled
		return ErrTransient
	}
}

// httpStatusOf is the HTTP status google.rpc.Code pairs with a gRPC code.
func httpStatusOf(c codes.Code) int {
	switch c {
	case codes.OK:
		return 200
	case codes.InvalidArgument, codes.FailedPrecondition, codes.OutOfRange:
		return 400
	case codes.Unauthenticated:
		return 401
	case codes.PermissionDenied:
		return 403
	case codes.NotFound:
		return 404
	case codes.Aborted, codes.AlreadyExists:
		return 409
	case codes.ResourceExhausted:
		return 429
	case codes.Canceled:
		return 499
	case codes.Unimplemented:
		return 501
	case codes.Unavailable:
		return 503
	case codes.DeadlineExceeded:
		return 504
	default: // Unknown, Internal, DataLoss
		return 500
	}
}

// toChatRead converts one pushed response. keep is false for a response
// that carries nothing at all (no token, no items, no unknown fields): a
// keep-alive, not a page to commit. A response that does not match the
// proto is an *APIError naming the field.
func (s *StreamSource) toChatRead(resp *ytgrpc.LiveChatMessageListResponse) (read ChatRead, keep bool, err *APIError) {
	if e := checkFields(resp, "response", nil, "next_page_token"); e != nil {
		return ChatRead{}, false, e
	}
	if resp.NextPageToken == nil {
		if len(resp.GetItems()) > 0 {
			return ChatRead{}, false, decodeError("response carries %d items but no next_page_token (field 100602): it cannot be committed", len(resp.GetItems()))
		}
		return ChatRead{}, false, nil
	}
	read = ChatRead{
		NextPageToken: resp.GetNextPageToken(),
		OfflineAt:     parseTime(resp.GetOfflineAt()),
		PageSize:      s.pageSize,
		Messages:      make([]attendance.ChatMessage, 0, len(resp.GetItems())),
		// PollingMillis stays 0: the guide's proto has no
		// polling_interval_millis (see stream_list.proto, disagreement 6).
	}
	for i, it := range resp.GetItems() {
		m, e := streamMessage(i, it)
		if e != nil {
			return ChatRead{}, false, e
		}
		read.Messages = append(read.Messages, m)
	}
	return read, true, nil
}

// streamMessage converts one item with the REST semantics: Text is the
// person's own words only, DisplayText is displayMessage.
func streamMessage(i int, it *ytgrpc.LiveChatMessage) (attendance.ChatMessage, *APIError) {
	where := fmt.Sprintf("items[%d]", i)
	if e := checkFields(it, where, nil, "id", "snippet"); e != nil {
		return attendance.ChatMessage{}, e
	}
	if it.Id == nil {
		return attendance.ChatMessage{}, decodeError("%s has no id (field 101): it cannot be stored exactly once", where)
	}
	m := attendance.ChatMessage{ID: it.GetId()}
	if a := it.GetAuthorDetails(); a != nil {
		if e := checkFields(a, where+".author_details", nil, "channel_id"); e != nil {
			return m, e
		}
		m.AuthorChannelID, m.AuthorName, m.IsChatOwner = a.GetChannelId(), a.GetDisplayName(), a.GetIsChatOwner()
	}
	sn := it.GetSnippet()
	if sn == nil {
		return m, nil
	}
	// Field 1 is skipped: a type number this proto does not know lands
	// there as an unknown field and is kept, not an error.
	if e := checkFields(sn, where+".snippet", []protowire.Number{1}, "published_at"); e != nil {
		return m, e
	}
	m.Type = messageType(sn)
	if m.AuthorChannelID == "" {
		m.AuthorChannelID = sn.GetAuthorChannelId()
	}
	m.PublishedAt = parseTime(sn.GetPublishedAt())
	m.DisplayText = sn.GetDisplayMessage()
	switch {
	case sn.GetTextMessageDetails() != nil:
		m.Text = sn.GetTextMessageDetails().GetMessageText()
	case sn.GetSuperChatDetails() != nil:
		m.Text = sn.GetSuperChatDetails().GetUserComment()
	case sn.GetMemberMilestoneChatDetails() != nil:
		m.Text = sn.GetMemberMilestoneChatDetails().GetUserComment()
	case sn.GetMessageDeletedDetails() != nil:
		m.TargetID = sn.GetMessageDeletedDetails().GetDeletedMessageId()
	case sn.GetMessageRetractedDetails() != nil:
		m.TargetID = sn.GetMessageRetractedDetails().GetRetractedMessageId()
	case sn.GetUserBannedDetails() != nil:
		m.TargetID = sn.GetUserBannedDetails().GetBannedUserDetails().GetChannelId()
	}
	return m, nil
}

// messageTypes maps every value of the proto's Type enum to the type
// string the REST API sends (snippet.type) and rollcall stores.
var messageTypes = map[ytgrpc.LiveChatMessageSnippet_TypeWrapper_Type]string{
	ytgrpc.LiveChatMessageSnippet_TypeWrapper_INVALID_TYPE:                    "invalidType",
	ytgrpc.LiveChatMessageSnippet_TypeWrapper_TEXT_MESSAGE_EVENT:              attendance.MsgText,
	ytgrpc.LiveChatMessageSnippet_TypeWrapper_TOMBSTONE:                       attendance.MsgTombstone,
	ytgrpc.LiveChatMessageSnippet_TypeWrapper_FAN_FUNDING_EVENT:               "fanFundingEvent",
	ytgrpc.LiveChatMessageSnippet_TypeWrapper_CHAT_ENDED_EVENT:                attendance.MsgChatEnded,
	ytgrpc.LiveChatMessageSnippet_TypeWrapper_SPONSOR_ONLY_MODE_STARTED_EVENT: "sponsorOnlyModeStartedEvent",
	ytgrpc.LiveChatMessageSnippet_TypeWrapper_SPONSOR_ONLY_MODE_ENDED_EVENT:   "sponsorOnlyModeEndedEvent",
	ytgrpc.LiveChatMessageSnippet_TypeWrapper_NEW_SPONSOR_EVENT:               attendance.MsgNewSponsor,
	ytgrpc.LiveChatMessageSnippet_TypeWrapper_MEMBER_MILESTONE_CHAT_EVENT:     attendance.MsgMemberMilestone,
	ytgrpc.LiveChatMessageSnippet_TypeWrapper_MEMBERSHIP_GIFTING_EVENT:        "membershipGiftingEvent",
	ytgrpc.LiveChatMessageSnippet_TypeWrapper_GIFT_MEMBERSHIP_RECEIVED_EVENT:  "giftMembershipReceivedEvent",
	ytgrpc.LiveChatMessageSnippet_TypeWrapper_MESSAGE_DELETED_EVENT:           attendance.MsgMessageDeleted,
	ytgrpc.LiveChatMessageSnippet_TypeWrapper_MESSAGE_RETRACTED_EVENT:         attendance.MsgMessageRetract,
	ytgrpc.LiveChatMessageSnippet_TypeWrapper_USER_BANNED_EVENT:               attendance.MsgUserBanned,
	ytgrpc.LiveChatMessageSnippet_TypeWrapper_SUPER_CHAT_EVENT:                attendance.MsgSuperChat,
	ytgrpc.LiveChatMessageSnippet_TypeWrapper_SUPER_STICKER_EVENT:             attendance.MsgSuperSticker,
	ytgrpc.LiveChatMessageSnippet_TypeWrapper_POLL_EVENT:                      attendance.MsgPoll,
	ytgrpc.LiveChatMessageSnippet_TypeWrapper_GIFT_EVENT:                      "giftEvent",
}

// messageType is the stored type string of a snippet. A type number the
// proto does not know (a closed proto2 enum keeps it among the unknown
// fields) becomes the stable string "unknownType<N>"; an absent type is "".
func messageType(sn *ytgrpc.LiveChatMessageSnippet) string {
	if sn.Type != nil {
		if s, ok := messageTypes[sn.GetType()]; ok {
			return s
		}
		return fmt.Sprintf("unknownType%d", int32(sn.GetType()))
	}
	b := sn.ProtoReflect().GetUnknown()
	typ := ""
	for len(b) > 0 {
		num, wt, n := protowire.ConsumeTag(b)
		if n < 0 {
			break
		}
		b = b[n:]
		if num == 1 && wt == protowire.VarintType {
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				break
			}
			typ = fmt.Sprintf("unknownType%d", int32(v))
			b = b[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, wt, b)
		if m < 0 {
			break
		}
		b = b[m:]
	}
	return typ
}

// checkFields is the guard against a proto that does not match the
// server: a message that carries unknown fields (numbers this proto does
// not know, other than those in ignore) while a field rollcall relies on
// is absent was most likely sent under other numbers. New fields Google
// adds next to the known ones do not fail.
func checkFields(m proto.Message, where string, ignore []protowire.Number, relied ...protoreflect.Name) *APIError {
	r := m.ProtoReflect()
	var missing []string
	for _, name := range relied {
		fd := r.Descriptor().Fields().ByName(name)
		if fd != nil && !r.Has(fd) {
			missing = append(missing, fmt.Sprintf("%s (field %d)", name, fd.Number()))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	unknown := unknownNumbers(r.GetUnknown(), ignore)
	if len(unknown) == 0 {
		return nil
	}
	return decodeError("%s has no %s but carries unknown fields %v: the proto does not match the server",
		where, strings.Join(missing, ", "), unknown)
}

// unknownNumbers lists the distinct field numbers in raw unknown-field
// bytes, in order of appearance, leaving out ignore.
func unknownNumbers(b []byte, ignore []protowire.Number) []protowire.Number {
	var out []protowire.Number
	for len(b) > 0 {
		num, wt, n := protowire.ConsumeTag(b)
		if n < 0 {
			break
		}
		b = b[n:]
		m := protowire.ConsumeFieldValue(num, wt, b)
		if m < 0 {
			break
		}
		b = b[m:]
		if !slices.Contains(ignore, num) && !slices.Contains(out, num) {
			out = append(out, num)
		}
	}
	return out
}

// decodeError is a pushed response this build cannot read: reading by
// polling is the way out, so it unwraps to ErrStreamingUnsupported.
func decodeError(format string, args ...any) *APIError {
	return &APIError{Method: MethodChatStream, Reason: "protoMismatch", sentinel: ErrStreamingUnsupported,
		Message: "decode: " + fmt.Sprintf(format, args...)}
}

// apiKeyCredentials sends the API key as x-goog-api-key metadata.
type apiKeyCredentials struct {
	key    string
	secure bool
}

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (c apiKeyCredentials) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"x-goog-api-key": c.key}, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials: TLS
// except on the plaintext loopback connection to the fake.
func (c apiKeyCredentials) RequireTransportSecurity() bool { return c.secure }

// bearerCredentials sends an OAuth access token as authorization metadata.
type bearerCredentials struct {
	token  string
	secure bool
}

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (c bearerCredentials) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + c.token}, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials: TLS
// except on the plaintext loopback connection to the fake.
func (c bearerCredentials) RequireTransportSecurity() bool { return c.secure }
