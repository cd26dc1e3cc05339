package collector

import (
	"errors"
	"regexp"
	"strings"
	"time"
)

// Sentinel errors of the YouTube adapter. Callers match them with errors.Is;
// nothing outside the adapter needs to know googleapi.
var (
	// ErrQuotaExceeded: the day's quota is used up (quotaExceeded).
	ErrQuotaExceeded = errors.New("youtube quota exceeded")
	// ErrRateLimited: reading too soon (rateLimitExceeded).
	ErrRateLimited = errors.New("youtube rate limit exceeded")
	// ErrChatEnded: the live chat is closed (liveChatEnded).
	ErrChatEnded = errors.New("live chat ended")
	// ErrChatDisabled: the broadcast has no chat (liveChatDisabled).
	ErrChatDisabled = errors.New("live chat disabled")
	// ErrChatNotFound: wrong or expired chat id (liveChatNotFound).
	ErrChatNotFound = errors.New("live chat not found")
	// ErrForbidden: the credential may not read this resource (forbidden).
	ErrForbidden = errors.New("youtube forbidden")
	// ErrKeyInvalid: the API key or OAuth token is not accepted.
	ErrKeyInvalid = errors.New("youtube credential invalid")
	// ErrPageTokenInvalid: the stored chat page token is not accepted.
	ErrPageTokenInvalid = errors.New("youtube page token invalid")
	// ErrBadRequest: a 4xx YouTube will never accept (a bad parameter, an
	// unknown part): tried twice, then the stream stops loudly.
	ErrBadRequest = errors.New("youtube rejected the request")
	// ErrStreamingUnsupported: the server does not offer streamList for
	// this chat (UNIMPLEMENTED): the chat is polled instead.
	ErrStreamingUnsupported = errors.New("youtube streamList unsupported")
	// ErrTransient: 5xx, 429, a reset connection, a truncated or invalid body:
	// try again later with the same page token.
	ErrTransient = errors.New("youtube transient failure")
	// ErrQuotaPaused: the local quota governor refused the call; nothing
	// was sent.
	ErrQuotaPaused = errors.New("quota paused until reset")
	// ErrGrantInvalid: the OAuth refresh token is dead (invalid_grant); a
	// human must run the login again.
	ErrGrantInvalid = errors.New("oauth grant invalid or expired: run rollcall auth login again")
)

// ReasonLabel names an error for the rollcall_youtube_errors_total reason
// label. The set of values is bounded.
func ReasonLabel(err error) string {
	switch {
	case err == nil:
		return "none"
	case errors.Is(err, ErrQuotaExceeded):
		return "quota_exceeded"
	case errors.Is(err, ErrRateLimited):
		return "rate_limited"
	case errors.Is(err, ErrChatEnded):
		return "chat_ended"
	case errors.Is(err, ErrChatDisabled):
		return "chat_disabled"
	case errors.Is(err, ErrChatNotFound):
		return "chat_not_found"
	case errors.Is(err, ErrForbidden):
		return "forbidden"
	case errors.Is(err, ErrKeyInvalid):
		return "key_invalid"
	case errors.Is(err, ErrPageTokenInvalid):
		return "page_token_invalid"
	case errors.Is(err, ErrBadRequest):
		return "bad_request"
	case errors.Is(err, ErrStreamingUnsupported):
		return "streaming_unsupported"
	case errors.Is(err, ErrTransient):
		return "transient"
	case errors.Is(err, ErrQuotaPaused):
		return "quota_paused"
	case errors.Is(err, ErrGrantInvalid):
		return "grant_invalid"
	default:
		return "other"
	}
}

// APIError is a failed YouTube call: the method, the HTTP status (0 when no
// response came), Google's reason and a redacted message. It unwraps to one
// of the sentinel errors.
type APIError struct {
	Method  string
	Status  int
	Reason  string
	Message string
	// RetryAfter is the server's Retry-After hint, 0 when none.
	RetryAfter time.Duration
	sentinel   error
}

// Error implements error. It never holds a secret: the message is redacted.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("youtube: ")
	b.WriteString(e.Method)
	b.WriteString(": ")
	b.WriteString(e.sentinel.Error())
	if e.Reason != "" {
		b.WriteString(" (")
		b.WriteString(e.Reason)
		b.WriteString(")")
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Unwrap returns the sentinel error.
func (e *APIError) Unwrap() error { return e.sentinel }

// secretParams matches query parameters and headers that carry secrets.
var secretParams = regexp.MustCompile(`(?i)(key|access_token|refresh_token|client_secret|code|token)=([^&\s"']+)`)

// bearerValue matches an Authorization header value.
var bearerValue = regexp.MustCompile(`(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+`)

// redact removes secrets from s: each literal secret given, and any
// key=/access_token=/… query parameter value.
func redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "REDACTED")
		}
	}
	s = secretParams.ReplaceAllString(s, "${1}=REDACTED")
	return bearerValue.ReplaceAllString(s, "${1}REDACTED")
}
