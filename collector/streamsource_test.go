package collector

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"golang.org/x/oauth2"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/collector/internal/ytgrpc"
)

const streamTestKey = "AIzaSySTREAMKEY-do-not-leak-98765"

// scriptedServer is a real grpc-go server on loopback whose StreamList
// runs a test's script: the tests below check what the client makes of
// answers that are awkward to provoke through fakeyoutube (hand-made
// bytes, every error status).
type scriptedServer struct {
	ytgrpc.UnimplementedV3DataLiveChatMessageServiceServer
	script func(*ytgrpc.LiveChatMessageListRequest, grpc.ServerStreamingServer[ytgrpc.LiveChatMessageListResponse]) error
	calls  atomic.Int32
}

// StreamList implements the service by running the script.
func (s *scriptedServer) StreamList(req *ytgrpc.LiveChatMessageListRequest, stream grpc.ServerStreamingServer[ytgrpc.LiveChatMessageListResponse]) error {
	s.calls.Add(1)
	return s.script(req, stream)
}

func startScripted(t *testing.T, script func(*ytgrpc.LiveChatMessageListRequest, grpc.ServerStreamingServer[ytgrpc.LiveChatMessageListResponse]) error) (*scriptedServer, string) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ss := &scriptedServer{script: script}
	srv := grpc.NewServer()
	ytgrpc.RegisterV3DataLiveChatMessageServiceServer(srv, ss)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return ss, lis.Addr().String()
}

func newTestStreamSource(t *testing.T, cfg StreamConfig) (*StreamSource, *Metrics) {
	t.Helper()
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Insecure, cfg.Metrics = true, m
	if cfg.APIKey == "" && cfg.TokenSource == nil {
		cfg.APIKey = streamTestKey
	}
	src, err := NewStreamSource(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	return src, m
}

func collect(t *testing.T, src *StreamSource, ctx context.Context, chatID, token string) ([]ChatRead, error) {
	t.Helper()
	var pages []ChatRead
	err := src.StreamChat(ctx, chatID, token, func(r ChatRead) error {
		pages = append(pages, r)
		return nil
	})
	return pages, err
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// A page of every shape: each item converts with the polled read's
// semantics, Text from the person's own words only.
func TestStreamChatConvertsEveryShape(t *testing.T) {
	typ := func(v ytgrpc.LiveChatMessageSnippet_TypeWrapper_Type) *ytgrpc.LiveChatMessageSnippet_TypeWrapper_Type {
		return v.Enum()
	}
	author := func(id, name string) *ytgrpc.LiveChatMessageAuthorDetails {
		return &ytgrpc.LiveChatMessageAuthorDetails{ChannelId: proto.String(id), DisplayName: proto.String(name)}
	}
	resp := &ytgrpc.LiveChatMessageListResponse{
		NextPageToken: proto.String("tok-2"),
		OfflineAt:     proto.String("2026-11-28T03:00:00.5+00:00"),
		Items: []*ytgrpc.LiveChatMessage{
			{Id: proto.String("m-text"), AuthorDetails: author("UCalice", "@alice"), Snippet: &ytgrpc.LiveChatMessageSnippet{
				Type: typ(ytgrpc.LiveChatMessageSnippet_TypeWrapper_TEXT_MESSAGE_EVENT), PublishedAt: proto.String("2026-11-28T02:00:01.123456Z"),
				DisplayMessage:   proto.String("K7QM-4X2P"),
				DisplayedContent: &ytgrpc.LiveChatMessageSnippet_TextMessageDetails{TextMessageDetails: &ytgrpc.LiveChatTextMessageDetails{MessageText: proto.String("K7QM-4X2P")}},
			}},
			{Id: proto.String("m-super"), AuthorDetails: author("UCbuyer", "Buyer MANGO"), Snippet: &ytgrpc.LiveChatMessageSnippet{
				Type: typ(ytgrpc.LiveChatMessageSnippet_TypeWrapper_SUPER_CHAT_EVENT), PublishedAt: proto.String("2026-11-28T02:00:02Z"),
				DisplayMessage: proto.String(`$5.00 from Buyer MANGO: "thanks for the dialogue"`),
				DisplayedContent: &ytgrpc.LiveChatMessageSnippet_SuperChatDetails{SuperChatDetails: &ytgrpc.LiveChatSuperChatDetails{
					AmountMicros: proto.Uint64(5000000), Currency: proto.String("USD"), AmountDisplayString: proto.String("$5.00"),
					UserComment: proto.String("thanks for the dialogue"), Tier: proto.Uint32(2)}},
			}},
			{Id: proto.String("m-sticker"), AuthorDetails: author("UCsticker", "MANGO fan"), Snippet: &ytgrpc.LiveChatMessageSnippet{
				Type: typ(ytgrpc.LiveChatMessageSnippet_TypeWrapper_SUPER_STICKER_EVENT), PublishedAt: proto.String("2026-11-28T02:00:03Z"),
				DisplayMessage: proto.String("Super Sticker from MANGO fan"),
				DisplayedContent: &ytgrpc.LiveChatMessageSnippet_SuperStickerDetails{SuperStickerDetails: &ytgrpc.LiveChatSuperStickerDetails{
					Tier: proto.Uint32(1), SuperStickerMetadata: &ytgrpc.SuperStickerMetadata{AltText: proto.String("MANGO")}}},
			}},
			{Id: proto.String("m-milestone"), AuthorDetails: author("UCmember", "Member"), Snippet: &ytgrpc.LiveChatMessageSnippet{
				Type: typ(ytgrpc.LiveChatMessageSnippet_TypeWrapper_MEMBER_MILESTONE_CHAT_EVENT), PublishedAt: proto.String("2026-11-28T02:00:04Z"),
				DisplayMessage: proto.String("Member has been a member for 12 months: my own words"),
				DisplayedContent: &ytgrpc.LiveChatMessageSnippet_MemberMilestoneChatDetails{MemberMilestoneChatDetails: &ytgrpc.LiveChatMemberMilestoneChatDetails{
					MemberMonth: proto.Uint32(12), UserComment: proto.String("my own words")}},
			}},
			{Id: proto.String("m-deleted"), AuthorDetails: author("UCmod", "Moderator"), Snippet: &ytgrpc.LiveChatMessageSnippet{
				Type: typ(ytgrpc.LiveChatMessageSnippet_TypeWrapper_MESSAGE_DELETED_EVENT), PublishedAt: proto.String("2026-11-28T02:00:05Z"),
				DisplayedContent: &ytgrpc.LiveChatMessageSnippet_MessageDeletedDetails{MessageDeletedDetails: &ytgrpc.LiveChatMessageDeletedDetails{DeletedMessageId: proto.String("m-text")}},
			}},
			{Id: proto.String("m-retracted"), AuthorDetails: author("UCalice", "@alice"), Snippet: &ytgrpc.LiveChatMessageSnippet{
				Type: typ(ytgrpc.LiveChatMessageSnippet_TypeWrapper_MESSAGE_RETRACTED_EVENT), PublishedAt: proto.String("2026-11-28T02:00:06Z"),
				DisplayedContent: &ytgrpc.LiveChatMessageSnippet_MessageRetractedDetails{MessageRetractedDetails: &ytgrpc.LiveChatMessageRetractedDetails{RetractedMessageId: proto.String("m-old")}},
			}},
			{Id: proto.String("m-ban"), AuthorDetails: author("UCmod", "Moderator"), Snippet: &ytgrpc.LiveChatMessageSnippet{
				Type: typ(ytgrpc.LiveChatMessageSnippet_TypeWrapper_USER_BANNED_EVENT), PublishedAt: proto.String("2026-11-28T02:00:07Z"),
				DisplayMessage: proto.String("spammer was banned"),
				DisplayedContent: &ytgrpc.LiveChatMessageSnippet_UserBannedDetails{UserBannedDetails: &ytgrpc.LiveChatUserBannedMessageDetails{
					BannedUserDetails: &ytgrpc.ChannelProfileDetails{ChannelId: proto.String("UCspammer")},
					BanType:           ytgrpc.LiveChatUserBannedMessageDetails_BanTypeWrapper_TEMPORARY.Enum(), BanDurationSeconds: proto.Uint64(300)}},
			}},
			{Id: proto.String("m-gift"), Snippet: &ytgrpc.LiveChatMessageSnippet{ // no author details: the snippet's author
				Type: typ(ytgrpc.LiveChatMessageSnippet_TypeWrapper_GIFT_EVENT), PublishedAt: proto.String("2026-11-28T02:00:08Z"),
				AuthorChannelId: proto.String("UCgifter"),
				DisplayedContent: &ytgrpc.LiveChatMessageSnippet_GiftDetails{GiftDetails: &ytgrpc.LiveChatGiftDetails{
					GiftName: proto.String("rose"), GiftDuration: durationpb.New(time.Minute)}},
			}},
			{Id: proto.String("m-future"), AuthorDetails: author("UCnew", "New"), Snippet: &ytgrpc.LiveChatMessageSnippet{
				// A type number this proto does not know: a new event type.
				Type: typ(ytgrpc.LiveChatMessageSnippet_TypeWrapper_Type(42)), PublishedAt: proto.String("2026-11-28T02:00:09Z"),
				DisplayMessage: proto.String("something new"),
			}},
		},
	}
	ss, addr := startScripted(t, func(req *ytgrpc.LiveChatMessageListRequest, stream grpc.ServerStreamingServer[ytgrpc.LiveChatMessageListResponse]) error {
		if req.GetLiveChatId() != "chat-1" || req.GetPageToken() != "tok-1" || req.GetMaxResults() != 2000 {
			return status.Errorf(codes.InvalidArgument, "unexpected request %v", req)
		}
		return stream.Send(resp)
	})
	src, m := newTestStreamSource(t, StreamConfig{Endpoint: addr})
	pages, err := collect(t, src, testCtx(t), "chat-1", "tok-1")
	if err != nil {
		t.Fatalf("StreamChat: %v", err)
	}
	if len(pages) != 1 || ss.calls.Load() != 1 {
		t.Fatalf("got %d pages over %d calls, want 1 over 1", len(pages), ss.calls.Load())
	}
	p := pages[0]
	if p.NextPageToken != "tok-2" || p.PageSize != 2000 || p.PollingMillis != 0 ||
		!p.OfflineAt.Equal(time.Date(2026, 11, 28, 3, 0, 0, 5e8, time.UTC)) {
		t.Errorf("page = token %q size %d polling %d offline %v", p.NextPageToken, p.PageSize, p.PollingMillis, p.OfflineAt)
	}
	want := []attendance.ChatMessage{
		{ID: "m-text", Type: attendance.MsgText, AuthorChannelID: "UCalice", AuthorName: "@alice", Text: "K7QM-4X2P", DisplayText: "K7QM-4X2P",
			PublishedAt: time.Date(2026, 11, 28, 2, 0, 1, 123456000, time.UTC)},
		// The buyer's name (and a checkpoint word in it) never reaches Text.
		{ID: "m-super", Type: attendance.MsgSuperChat, AuthorChannelID: "UCbuyer", AuthorName: "Buyer MANGO", Text: "thanks for the dialogue",
			DisplayText: `$5.00 from Buyer MANGO: "thanks for the dialogue"`, PublishedAt: time.Date(2026, 11, 28, 2, 0, 2, 0, time.UTC)},
		{ID: "m-sticker", Type: attendance.MsgSuperSticker, AuthorChannelID: "UCsticker", AuthorName: "MANGO fan",
			DisplayText: "Super Sticker from MANGO fan", PublishedAt: time.Date(2026, 11, 28, 2, 0, 3, 0, time.UTC)},
		{ID: "m-milestone", Type: attendance.MsgMemberMilestone, AuthorChannelID: "UCmember", AuthorName: "Member", Text: "my own words",
			DisplayText: "Member has been a member for 12 months: my own words", PublishedAt: time.Date(2026, 11, 28, 2, 0, 4, 0, time.UTC)},
		{ID: "m-deleted", Type: attendance.MsgMessageDeleted, AuthorChannelID: "UCmod", AuthorName: "Moderator", TargetID: "m-text",
			PublishedAt: time.Date(2026, 11, 28, 2, 0, 5, 0, time.UTC)},
		{ID: "m-retracted", Type: attendance.MsgMessageRetract, AuthorChannelID: "UCalice", AuthorName: "@alice", TargetID: "m-old",
			PublishedAt: time.Date(2026, 11, 28, 2, 0, 6, 0, time.UTC)},
		{ID: "m-ban", Type: attendance.MsgUserBanned, AuthorChannelID: "UCmod", AuthorName: "Moderator", TargetID: "UCspammer",
			DisplayText: "spammer was banned", PublishedAt: time.Date(2026, 11, 28, 2, 0, 7, 0, time.UTC)},
		{ID: "m-gift", Type: "giftEvent", AuthorChannelID: "UCgifter", PublishedAt: time.Date(2026, 11, 28, 2, 0, 8, 0, time.UTC)},
		{ID: "m-future", Type: "unknownType42", AuthorChannelID: "UCnew", AuthorName: "New", DisplayText: "something new",
			PublishedAt: time.Date(2026, 11, 28, 2, 0, 9, 0, time.UTC)},
	}
	if len(p.Messages) != len(want) {
		t.Fatalf("got %d messages, want %d", len(p.Messages), len(want))
	}
	for i := range want {
		if p.Messages[i] != want[i] {
			t.Errorf("message %d:\n got %+v\nwant %+v", i, p.Messages[i], want[i])
		}
	}
	if n := testutil.ToFloat64(m.requests.WithLabelValues(MethodChatStream, "OK")); n != 1 {
		t.Errorf("requests{code=OK} = %v, want 1", n)
	}
}

// Every value of the Type enum has its REST string, and no two share one.
func TestMessageTypesCoverTheEnum(t *testing.T) {
	vals := ytgrpc.LiveChatMessageSnippet_TypeWrapper_INVALID_TYPE.Descriptor().Values()
	seen := map[string]bool{}
	for i := range vals.Len() {
		v := ytgrpc.LiveChatMessageSnippet_TypeWrapper_Type(vals.Get(i).Number())
		s, ok := messageTypes[v]
		if !ok {
			t.Errorf("enum value %s has no type string", vals.Get(i).Name())
		}
		if seen[s] {
			t.Errorf("type string %q used twice", s)
		}
		seen[s] = true
	}
	if len(messageTypes) != vals.Len() {
		t.Errorf("messageTypes has %d entries, the enum %d values", len(messageTypes), vals.Len())
	}
}

func errorInfo(t *testing.T, code codes.Code, msg, reason string, details ...protoadapt.MessageV1) error {
	t.Helper()
	st := status.New(code, msg)
	var ds []protoadapt.MessageV1
	if reason != "" {
		ds = append(ds, &errdetails.ErrorInfo{Reason: reason, Domain: "youtube.googleapis.com"})
	}
	for _, d := range details {
		ds = append(ds, d)
	}
	if len(ds) == 0 {
		return st.Err()
	}
	withDetails, err := st.WithDetails(ds...)
	if err != nil {
		t.Fatal(err)
	}
	return withDetails.Err()
}

// Each gRPC status maps onto the sentinel YOUTUBE.md's table gives the
// same REST reason: the ErrorInfo reason first, then the code.
func TestStreamChatMapsStatuses(t *testing.T) {
	tests := []struct {
		name    string
		code    codes.Code
		reason  string
		details []protoadapt.MessageV1
		msg     string
		want    error
		label   string
	}{
		{name: "liveChatEnded reason", code: codes.PermissionDenied, reason: "liveChatEnded", want: ErrChatEnded, label: "chat_ended"},
		{name: "quotaExceeded reason", code: codes.PermissionDenied, reason: "quotaExceeded", want: ErrQuotaExceeded, label: "quota_exceeded"},
		{name: "rateLimitExceeded reason", code: codes.ResourceExhausted, reason: "rateLimitExceeded", want: ErrRateLimited, label: "rate_limited"},
		{name: "RATE_LIMIT_EXCEEDED reason", code: codes.ResourceExhausted, reason: "RATE_LIMIT_EXCEEDED", want: ErrRateLimited, label: "rate_limited"},
		{name: "invalidPageToken reason", code: codes.InvalidArgument, reason: "invalidPageToken", want: ErrPageTokenInvalid, label: "page_token_invalid"},
		{name: "pageTokenInvalid reason", code: codes.InvalidArgument, reason: "pageTokenInvalid", want: ErrPageTokenInvalid, label: "page_token_invalid"},
		{name: "liveChatDisabled reason", code: codes.PermissionDenied, reason: "liveChatDisabled", want: ErrChatDisabled, label: "chat_disabled"},
		{name: "liveChatNotFound reason", code: codes.NotFound, reason: "liveChatNotFound", want: ErrChatNotFound, label: "chat_not_found"},
		{name: "forbidden reason", code: codes.PermissionDenied, reason: "forbidden", want: ErrForbidden, label: "forbidden"},
		{name: "API_KEY_INVALID reason", code: codes.InvalidArgument, reason: "API_KEY_INVALID", want: ErrKeyInvalid, label: "key_invalid"},
		{name: "PERMISSION_DENIED", code: codes.PermissionDenied, want: ErrForbidden, label: "forbidden"},
		{name: "NOT_FOUND", code: codes.NotFound, want: ErrChatNotFound, label: "chat_not_found"},
		{name: "FAILED_PRECONDITION", code: codes.FailedPrecondition, want: ErrChatEnded, label: "chat_ended"},
		{name: "RESOURCE_EXHAUSTED", code: codes.ResourceExhausted, want: ErrQuotaExceeded, label: "quota_exceeded"},
		{name: "UNAUTHENTICATED", code: codes.Unauthenticated, want: ErrKeyInvalid, label: "key_invalid"},
		{name: "INVALID_ARGUMENT page token field", code: codes.InvalidArgument,
			details: []protoadapt.MessageV1{&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "page_token"}}}},
			want:    ErrPageTokenInvalid, label: "page_token_invalid"},
		{name: "INVALID_ARGUMENT page token message", code: codes.InvalidArgument, msg: "The request specifies an invalid page token.",
			want: ErrPageTokenInvalid, label: "page_token_invalid"},
		{name: "INVALID_ARGUMENT other", code: codes.InvalidArgument, msg: "maxResults must be between 200 and 2000", want: ErrBadRequest, label: "bad_request"},
		{name: "UNAVAILABLE", code: codes.Unavailable, want: ErrTransient, label: "transient"},
		{name: "DEADLINE_EXCEEDED", code: codes.DeadlineExceeded, want: ErrTransient, label: "transient"},
		{name: "INTERNAL", code: codes.Internal, want: ErrTransient, label: "transient"},
		{name: "ABORTED", code: codes.Aborted, want: ErrTransient, label: "transient"},
		{name: "UNKNOWN", code: codes.Unknown, want: ErrTransient, label: "transient"},
		{name: "UNIMPLEMENTED", code: codes.Unimplemented, want: ErrStreamingUnsupported, label: "streaming_unsupported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := tt.msg
			if msg == "" {
				msg = "refused for key=" + streamTestKey
			}
			serr := errorInfo(t, tt.code, msg, tt.reason, tt.details...)
			_, addr := startScripted(t, func(*ytgrpc.LiveChatMessageListRequest, grpc.ServerStreamingServer[ytgrpc.LiveChatMessageListResponse]) error {
				return serr
			})
			src, m := newTestStreamSource(t, StreamConfig{Endpoint: addr})
			pages, err := collect(t, src, testCtx(t), "chat-1", "")
			if len(pages) != 0 {
				t.Errorf("got %d pages", len(pages))
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var aerr *APIError
			if !errors.As(err, &aerr) || aerr.Method != MethodChatStream {
				t.Fatalf("err = %#v, want an *APIError of %s", err, MethodChatStream)
			}
			if tt.reason != "" && aerr.Reason != tt.reason {
				t.Errorf("reason = %q, want %q", aerr.Reason, tt.reason)
			}
			if strings.Contains(err.Error(), streamTestKey) {
				t.Errorf("error leaks the key: %v", err)
			}
			if got := ReasonLabel(err); got != tt.label {
				t.Errorf("ReasonLabel = %q, want %q", got, tt.label)
			}
			if n := testutil.ToFloat64(m.errors.WithLabelValues(MethodChatStream, tt.label)); n != 1 {
				t.Errorf("errors{reason=%s} = %v, want 1", tt.label, n)
			}
			if n := testutil.ToFloat64(m.requests.WithLabelValues(MethodChatStream, tt.code.String())); n != 1 {
				t.Errorf("requests{code=%s} = %v, want 1", tt.code, n)
			}
		})
	}
}

// rawResponse serves hand-made wire bytes as the response: the bytes go
// out as unknown fields of an empty message, so the server adds nothing.
func rawResponse(b []byte) *ytgrpc.LiveChatMessageListResponse {
	r := &ytgrpc.LiveChatMessageListResponse{}
	r.ProtoReflect().SetUnknown(b)
	return r
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendMessage(b []byte, num protowire.Number, m []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// A server whose numbers differ from the proto's gives a decode error
// naming the missing field and the unknown numbers seen, never a page of
// silently empty messages; new fields next to known ones do not fail.
func TestStreamChatProtoMismatch(t *testing.T) {
	// An item encoded with the invented 1..n numbers of a public copy:
	// author_details.channel_id 1, display_name 3; snippet
	// author_channel_id 3, display_message 6.
	author := appendString(appendString(nil, 1, "UCalice"), 3, "@alice")
	snippet := appendVarint(nil, 1, 1)
	snippet = appendString(snippet, 3, "UCalice")
	snippet = appendString(snippet, 4, "2026-11-28T02:00:01Z")
	snippet = appendString(snippet, 6, "K7QM-4X2P")
	item := appendString(nil, 101, "m-1")
	item = appendMessage(item, 2, snippet)
	item = appendMessage(item, 3, author)

	good := appendString(nil, 100602, "tok-2")
	tests := []struct {
		name    string
		body    []byte
		wantErr []string // substrings; nil means success
	}{
		{name: "author details under other numbers", body: appendMessage(good, 1007, item),
			wantErr: []string{"items[0].author_details", "channel_id (field 10101)", "[1 3]"}},
		{name: "next page token under another number", body: appendMessage(appendString(nil, 5, "tok-2"), 7, item),
			wantErr: []string{"response has no next_page_token (field 100602)", "[5 7]"}},
		{name: "item id and snippet under other numbers",
			body:    appendMessage(good, 1007, appendMessage(appendString(nil, 1, "m-1"), 5, snippet)),
			wantErr: []string{"items[0] has no id (field 101), snippet (field 2)", "[1 5]"}},
		{name: "snippet published_at under another number",
			body:    appendMessage(good, 1007, appendMessage(appendString(nil, 101, "m-1"), 2, appendString(nil, 3000, "2026-11-28T02:00:01Z"))),
			wantErr: []string{"items[0].snippet has no published_at (field 4)", "[3000]"}},
		{name: "new fields next to known ones",
			body: appendString(appendMessage(appendString(good, 4242, "new"), 1007,
				appendString(appendMessage(appendString(nil, 101, "m-1"), 2, appendString(appendString(nil, 4, "2026-11-28T02:00:01Z"), 999, "x")), 777, "y")), 100603, "z")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, addr := startScripted(t, func(_ *ytgrpc.LiveChatMessageListRequest, stream grpc.ServerStreamingServer[ytgrpc.LiveChatMessageListResponse]) error {
				return stream.Send(rawResponse(tt.body))
			})
			src, m := newTestStreamSource(t, StreamConfig{Endpoint: addr})
			pages, err := collect(t, src, testCtx(t), "chat-1", "")
			if tt.wantErr == nil {
				if err != nil || len(pages) != 1 || pages[0].NextPageToken != "tok-2" || len(pages[0].Messages) != 1 || pages[0].Messages[0].ID != "m-1" {
					t.Fatalf("pages %+v, err %v; want one page with m-1", pages, err)
				}
				return
			}
			if len(pages) != 0 {
				t.Errorf("a mismatched response reached onPage: %+v", pages)
			}
			if !errors.Is(err, ErrStreamingUnsupported) {
				t.Fatalf("err = %v, want ErrStreamingUnsupported", err)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("err %q does not say %q", err, s)
				}
			}
			if n := testutil.ToFloat64(m.errors.WithLabelValues(MethodChatStream, "streaming_unsupported")); n != 1 {
				t.Errorf("errors{streaming_unsupported} = %v, want 1", n)
			}
		})
	}
}

// The same guard, decoding bytes directly: the proto's own numbers decode.
func TestStreamDecodeKnownNumbers(t *testing.T) {
	b := appendString(nil, 100602, "tok")
	b = appendString(b, 2, "2026-11-28T03:00:00Z")
	b = appendMessage(b, 1007, appendMessage(appendString(nil, 101, "m-1"), 2,
		appendMessage(appendString(appendVarint(nil, 1, 15), 4, "2026-11-28T02:00:01Z"), 27, appendString(nil, 4, "comment"))))
	var resp ytgrpc.LiveChatMessageListResponse
	if err := proto.Unmarshal(b, &resp); err != nil {
		t.Fatal(err)
	}
	src := &StreamSource{pageSize: 500}
	read, keep, err := src.toChatRead(&resp)
	if err != nil || !keep {
		t.Fatalf("toChatRead: keep %v, err %v", keep, err)
	}
	m := read.Messages[0]
	if m.Type != attendance.MsgSuperChat || m.Text != "comment" || read.OfflineAt.IsZero() || read.PageSize != 500 {
		t.Errorf("read %+v", read)
	}
}

// The API key travels as x-goog-api-key metadata, a token as
// authorization, both over the plaintext loopback connection.
func TestStreamChatCredentials(t *testing.T) {
	var mu sync.Mutex
	var seen []metadata.MD
	script := func(_ *ytgrpc.LiveChatMessageListRequest, stream grpc.ServerStreamingServer[ytgrpc.LiveChatMessageListResponse]) error {
		md, _ := metadata.FromIncomingContext(stream.Context())
		mu.Lock()
		seen = append(seen, md)
		mu.Unlock()
		return stream.Send(&ytgrpc.LiveChatMessageListResponse{NextPageToken: proto.String("t")})
	}
	_, addr := startScripted(t, script)

	src, _ := newTestStreamSource(t, StreamConfig{Endpoint: addr, APIKey: streamTestKey})
	if _, err := collect(t, src, testCtx(t), "chat-1", ""); err != nil {
		t.Fatal(err)
	}
	tok, _ := newTestStreamSource(t, StreamConfig{Endpoint: addr, TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "ya29.test-token"})})
	if _, err := collect(t, tok, testCtx(t), "chat-1", ""); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := seen[0].Get("x-goog-api-key"); len(got) != 1 || got[0] != streamTestKey || len(seen[0].Get("authorization")) != 0 {
		t.Errorf("key call metadata: %v", seen[0])
	}
	if got := seen[1].Get("authorization"); len(got) != 1 || got[0] != "Bearer ya29.test-token" || len(seen[1].Get("x-goog-api-key")) != 0 {
		t.Errorf("token call metadata: %v", seen[1])
	}
}

// countingTokens hands out a new token after Invalidate.
type countingTokens struct {
	mu          sync.Mutex
	gen         int
	invalidated int
}

func (c *countingTokens) Token() (*oauth2.Token, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &oauth2.Token{AccessToken: "tok-" + string(rune('a'+c.gen))}, nil
}

func (c *countingTokens) Invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.invalidated++
}

// A stream refused as UNAUTHENTICATED is opened once more with a fresh
// token, as the REST client retries a 401; a second refusal is final.
func TestStreamChatRefreshesTokenOnce(t *testing.T) {
	ss, addr := startScripted(t, func(_ *ytgrpc.LiveChatMessageListRequest, stream grpc.ServerStreamingServer[ytgrpc.LiveChatMessageListResponse]) error {
		md, _ := metadata.FromIncomingContext(stream.Context())
		if got := md.Get("authorization"); len(got) == 1 && got[0] == "Bearer tok-b" {
			return stream.Send(&ytgrpc.LiveChatMessageListResponse{NextPageToken: proto.String("t")})
		}
		return status.Error(codes.Unauthenticated, "Request had invalid authentication credentials.")
	})
	ts := &countingTokens{}
	src, _ := newTestStreamSource(t, StreamConfig{Endpoint: addr, TokenSource: ts})
	pages, err := collect(t, src, testCtx(t), "chat-1", "")
	if err != nil || len(pages) != 1 || ss.calls.Load() != 2 || ts.invalidated != 1 {
		t.Fatalf("pages %d, err %v, calls %d, invalidated %d; want 1, nil, 2, 1", len(pages), err, ss.calls.Load(), ts.invalidated)
	}
	ts.gen = 5 // every token refused from now on
	_, err = collect(t, src, testCtx(t), "chat-1", "")
	if !errors.Is(err, ErrKeyInvalid) || ss.calls.Load() != 4 {
		t.Fatalf("err %v after %d calls; want ErrKeyInvalid after 4", err, ss.calls.Load())
	}
}

// A dead grant fails before any call, as ErrGrantInvalid.
func TestStreamChatDeadGrant(t *testing.T) {
	ss, addr := startScripted(t, func(*ytgrpc.LiveChatMessageListRequest, grpc.ServerStreamingServer[ytgrpc.LiveChatMessageListResponse]) error {
		return nil
	})
	src, _ := newTestStreamSource(t, StreamConfig{Endpoint: addr, TokenSource: oauth2.ReuseTokenSource(nil, deadGrant{})})
	_, err := collect(t, src, testCtx(t), "chat-1", "")
	if !errors.Is(err, ErrGrantInvalid) || ss.calls.Load() != 0 {
		t.Fatalf("err %v after %d calls; want ErrGrantInvalid after 0", err, ss.calls.Load())
	}
}

type deadGrant struct{}

func (deadGrant) Token() (*oauth2.Token, error) {
	return nil, &oauth2.RetrieveError{ErrorCode: "invalid_grant", ErrorDescription: "Token has been expired or revoked."}
}

// onPage's error comes back as is and ends the call; a cancelled ctx
// returns promptly with the context's error, while the server still holds
// the stream open.
func TestStreamChatStops(t *testing.T) {
	_, addr := startScripted(t, func(_ *ytgrpc.LiveChatMessageListRequest, stream grpc.ServerStreamingServer[ytgrpc.LiveChatMessageListResponse]) error {
		if err := stream.Send(&ytgrpc.LiveChatMessageListResponse{NextPageToken: proto.String("t1")}); err != nil {
			return err
		}
		<-stream.Context().Done() // hold the stream open until the client goes
		return nil
	})
	src, m := newTestStreamSource(t, StreamConfig{Endpoint: addr})

	stop := errors.New("store failed")
	err := src.StreamChat(testCtx(t), "chat-1", "", func(ChatRead) error { return stop })
	if err != stop {
		t.Fatalf("err = %v, want onPage's error as is", err)
	}

	ctx, cancel := context.WithCancel(testCtx(t))
	done := make(chan error, 1)
	go func() {
		done <- src.StreamChat(ctx, "chat-1", "", func(ChatRead) error { cancel(); return nil })
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("StreamChat did not return after ctx was cancelled")
	}
	if n := testutil.ToFloat64(m.errors.WithLabelValues(MethodChatStream, "other")); n != 0 {
		t.Errorf("a cancellation was counted as an error: %v", n)
	}
}

// A stream that sends nothing for IdleTimeout ends as transient.
func TestStreamChatIdleTimeout(t *testing.T) {
	_, addr := startScripted(t, func(_ *ytgrpc.LiveChatMessageListRequest, stream grpc.ServerStreamingServer[ytgrpc.LiveChatMessageListResponse]) error {
		<-stream.Context().Done()
		return nil
	})
	src, _ := newTestStreamSource(t, StreamConfig{Endpoint: addr, IdleTimeout: 50 * time.Millisecond})
	_, err := collect(t, src, testCtx(t), "chat-1", "")
	if !errors.Is(err, ErrTransient) || !strings.Contains(err.Error(), "no response for 50ms") {
		t.Fatalf("err = %v, want a transient idle timeout", err)
	}
}

// A server that ends the call normally is a normal close: nil.
func TestStreamChatNormalClose(t *testing.T) {
	_, addr := startScripted(t, func(_ *ytgrpc.LiveChatMessageListRequest, stream grpc.ServerStreamingServer[ytgrpc.LiveChatMessageListResponse]) error {
		for _, tok := range []string{"t1", "t2"} {
			if err := stream.Send(&ytgrpc.LiveChatMessageListResponse{NextPageToken: proto.String(tok)}); err != nil {
				return err
			}
		}
		return stream.Send(&ytgrpc.LiveChatMessageListResponse{}) // a keep-alive: not a page
	})
	src, _ := newTestStreamSource(t, StreamConfig{Endpoint: addr})
	pages, err := collect(t, src, testCtx(t), "chat-1", "")
	if err != nil || len(pages) != 2 || pages[1].NextPageToken != "t2" {
		t.Fatalf("pages %+v, err %v", pages, err)
	}
}

func TestNewStreamSourceNeedsOneCredential(t *testing.T) {
	for _, cfg := range []StreamConfig{{}, {APIKey: "k", TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"})}} {
		if _, err := NewStreamSource(context.Background(), cfg); err == nil {
			t.Errorf("NewStreamSource(%+v) accepted", cfg)
		}
	}
}

// Without Insecure the source speaks TLS: against a plaintext server the
// handshake fails, as a transient error, and no credential is sent in the
// clear.
func TestStreamChatDefaultsToTLS(t *testing.T) {
	ss, addr := startScripted(t, func(*ytgrpc.LiveChatMessageListRequest, grpc.ServerStreamingServer[ytgrpc.LiveChatMessageListResponse]) error {
		return nil
	})
	src, err := NewStreamSource(context.Background(), StreamConfig{Endpoint: addr, APIKey: streamTestKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	_, err = collect(t, src, testCtx(t), "chat-1", "")
	if !errors.Is(err, ErrTransient) || ss.calls.Load() != 0 {
		t.Fatalf("err = %v after %d calls; want a transient TLS failure before any call", err, ss.calls.Load())
	}
	if strings.Contains(err.Error(), streamTestKey) {
		t.Errorf("error leaks the key: %v", err)
	}
}
