package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/oauth2"

	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/collector"
)

// The store is what owner mode needs.
var _ collector.OwnerStore = (*store.Store)(nil)

// youtubeFlags are the flags that reach YouTube, shared by serve and auth.
type youtubeFlags struct {
	apiKey, apiKeyFile string
	endpoint           string
	oauthClientID      string
	oauthClientSecret  string
	oauthTokenFile     string
	quotaDaily         int64
	// missInterval is how far apart videos.list must miss a video three
	// times before it is marked unavailable (hidden: tests shorten it).
	missInterval  time.Duration
	eventDuration time.Duration
	// quotaProject names the Cloud project whose daily quota the ledger
	// keeps: a key and an OAuth token of one project share one budget.
	quotaProject string
	// chatSource is auto, stream or poll; grpcEndpoint is the streamList
	// server (host:port), empty for YouTube's.
	chatSource   string
	grpcEndpoint string
	// built is the credential source() built, for the streamList source.
	built collector.YouTubeConfig
	// oauthEndpoint is the OAuth server's base URL (hidden: the fake's in
	// tests); empty is Google's.
	oauthEndpoint string
	// oauthScopes are the scopes the grant must hold (--oauth-scopes).
	oauthScopes []string
	// analytics (--analytics) fetches YouTube Analytics reach of ended
	// streams; analyticsEndpoint is its base URL (hidden: the fake's).
	analytics         bool
	analyticsEndpoint string
	// grant is the grant monitor source() built with an OAuth token; nil
	// with an API key. registry, when set, gets its metric.
	grant    *collector.GrantMonitor
	registry prometheus.Registerer
}

// oauthConfig is the OAuth client of the flags, asking for scopes.
func (y *youtubeFlags) oauthConfig(scopes ...string) *oauth2.Config {
	cfg := collector.GoogleOAuthConfig(y.oauthClientID, y.oauthClientSecret, scopes...)
	if y.oauthEndpoint != "" {
		collector.SetOAuthEndpoint(cfg, y.oauthEndpoint)
	}
	return cfg
}

// neededScopes parses --oauth-scopes.
func (y *youtubeFlags) neededScopes() ([]string, error) {
	need, err := collector.ParseScopes(y.oauthScopes)
	if err != nil {
		return nil, usagef("--oauth-scopes: %v", err)
	}
	if len(need) == 0 {
		need = collector.NeededScopes(false, false)
	}
	if y.analytics && !slices.Contains(need, collector.ScopeAnalytics) {
		need = append(need, collector.ScopeAnalytics)
		slices.Sort(need)
	}
	return need, nil
}

// reach builds the YouTube Analytics fetcher when --analytics is on: it
// needs the owner's token source() built.
func (y *youtubeFlags) reach(ctx context.Context, a *app, st collector.ReachStore, project string, metrics *collector.Metrics) (*collector.Reach, error) {
	if !y.analytics {
		return nil, nil
	}
	if y.built.TokenSource == nil {
		return nil, usagef("--analytics needs the channel owner's OAuth token (--oauth-token-file, with the analytics scope): an API key cannot read YouTube Analytics")
	}
	an, err := collector.NewAnalytics(ctx, collector.AnalyticsConfig{TokenSource: y.built.TokenSource, Endpoint: y.analyticsEndpoint, Metrics: metrics})
	if err != nil {
		return nil, err
	}
	return &collector.Reach{Analytics: an, Store: st, Project: project, Log: a.log}, nil
}

// ownerGrantFlags is what the OAuth flags give: the token file's token,
// the scopes it must hold, the client asking for them, and how a refreshed
// token is saved back to the file.
type ownerGrantFlags struct {
	token  *oauth2.Token
	need   []string
	config *oauth2.Config
	save   func(*oauth2.Token)
}

// ownerGrant reads the OAuth flags and the token file, for serve, auth
// check and preflight alike.
func (y *youtubeFlags) ownerGrant(a *app) (ownerGrantFlags, error) {
	if y.oauthClientID == "" || y.oauthClientSecret == "" {
		return ownerGrantFlags{}, usagef("--oauth-token-file needs --oauth-client-id and --oauth-client-secret")
	}
	need, err := y.neededScopes()
	if err != nil {
		return ownerGrantFlags{}, err
	}
	tok, err := collector.LoadToken(y.oauthTokenFile)
	if err != nil {
		return ownerGrantFlags{}, usagef("%v", err)
	}
	return ownerGrantFlags{token: tok, need: need, config: y.oauthConfig(need...), save: func(t *oauth2.Token) {
		if err := collector.SaveToken(y.oauthTokenFile, t); err != nil {
			a.log.Error("save refreshed oauth token", "err", err)
		}
	}}, nil
}

// apiKeyValue is the API key of --youtube-api-key or its file; empty when
// none is given.
func (y *youtubeFlags) apiKeyValue() (string, error) {
	if y.apiKeyFile != "" {
		k, err := collector.ReadSecretFile(y.apiKeyFile)
		if err != nil {
			return "", usagef("%v", err)
		}
		return k, nil
	}
	return y.apiKey, nil
}

// checkChatSource refuses an unknown --chat-source.
func (y *youtubeFlags) checkChatSource() error {
	switch y.chatSource {
	case "auto", "stream", "poll":
		return nil
	}
	return usagef("--chat-source %q: expected auto, stream or poll", y.chatSource)
}

// streaming resolves --chat-source: whether chat is read with streamList,
// and when not, why (for logs and preflight).
func (y *youtubeFlags) streaming() (bool, string) {
	switch {
	case y.chatSource == "poll":
		return false, "--chat-source poll: chat is read with liveChatMessages.list (5 units a read); streaming not checked"
	case y.chatSource == "auto" && y.endpoint != "" && y.grpcEndpoint == "":
		return false, "--chat-source auto polls here: --youtube-endpoint names a REST-only server and no --youtube-grpc-endpoint is given; streaming not checked"
	}
	return true, ""
}

// chatStreamer builds the streamList source on the credential source()
// built, or returns nil when chat is polled. The fake on loopback is
// reached in plaintext, YouTube over TLS.
func (y *youtubeFlags) chatStreamer(ctx context.Context, a *app, metrics *collector.Metrics) (*collector.StreamSource, error) {
	if on, why := y.streaming(); !on {
		a.log.Info("chat is polled", "why", why)
		return nil, nil
	}
	ep := collector.StreamListEndpoint(y.grpcEndpoint)
	s, err := collector.NewStreamSource(ctx, collector.StreamConfig{Endpoint: ep, Insecure: collector.LoopbackEndpoint(ep),
		APIKey: y.built.APIKey, TokenSource: y.built.TokenSource, Metrics: metrics})
	if err != nil {
		return nil, err
	}
	a.log.Info("chat is streamed with liveChatMessages.streamList (gRPC); polling is the fallback", "endpoint", ep)
	return s, nil
}

func (y *youtubeFlags) bind(f *pflag.FlagSet) {
	f.StringVar(&y.apiKey, "youtube-api-key", "", "YouTube Data API key (secret: prefer ROLLCALL_YOUTUBE_API_KEY_FILE or --youtube-api-key-file)")
	f.StringVar(&y.apiKeyFile, "youtube-api-key-file", "", "file holding the API key, readable by its owner only")
	f.StringVar(&y.endpoint, "youtube-endpoint", "", "YouTube API base URL (a proxy or the fake); empty is YouTube")
	f.StringVar(&y.oauthClientID, "oauth-client-id", "", "OAuth client id of the Desktop app (for the channel owner's token)")
	f.StringVar(&y.oauthClientSecret, "oauth-client-secret", "", "OAuth client secret (secret: prefer ROLLCALL_OAUTH_CLIENT_SECRET_FILE)")
	f.StringVar(&y.oauthTokenFile, "oauth-token-file", "", "the channel owner's token from 'rollcall auth login' (mode 0600); used instead of the API key when set")
	f.Int64Var(&y.quotaDaily, "quota-daily", 10000, "YouTube API units per Pacific day for this Cloud project")
	f.StringVar(&y.quotaProject, "quota-project", "default", "name of the Google Cloud project whose daily quota this credential spends; an API key and an OAuth token of one project share one budget (a name, never a key)")
	f.StringVar(&y.chatSource, "chat-source", "auto", "how chat is read: stream (liveChatMessages.streamList over gRPC), poll (liveChatMessages.list), or auto (stream against YouTube; poll when --youtube-endpoint names a REST-only server and no --youtube-grpc-endpoint is given; falls back to polling, loudly, when YouTube refuses streaming for a chat)")
	f.StringVar(&y.grpcEndpoint, "youtube-grpc-endpoint", "", "host:port of the streamList gRPC server (the fake, a proxy); empty is youtube.googleapis.com:443")
	f.DurationVar(&y.missInterval, "video-miss-interval", 10*time.Minute, "how far apart videos.list must miss a video three times before it is marked unavailable")
	_ = f.MarkHidden("video-miss-interval")
	f.StringVar(&y.oauthEndpoint, "oauth-endpoint", "", "OAuth server base URL (the fake's in tests); empty is Google's")
	_ = f.MarkHidden("oauth-endpoint")
	f.StringSliceVar(&y.oauthScopes, "oauth-scopes", []string{"readonly"}, "scopes the channel owner's grant must hold, checked at start-up and hourly (rollcall_oauth_grant_valid): readonly; youtube to post checkpoint announcements; analytics for YouTube Analytics reach")
	f.BoolVar(&y.analytics, "analytics", false, "fetch YouTube Analytics reach (views live and on demand, minutes watched, by day and country) of each ended stream, then daily for a week; needs the owner's token with the analytics scope")
	f.StringVar(&y.analyticsEndpoint, "youtube-analytics-endpoint", "", "YouTube Analytics API base URL (a proxy or the fake); empty is YouTube's")
	_ = f.MarkHidden("youtube-analytics-endpoint")
	f.DurationVar(&y.eventDuration, "event-duration", 4*time.Hour, "how long a stream is expected to run when YouTube gives no scheduled end, for the quota planner (Go duration)")
}

// checkMethod is the API method source's credential check calls: the
// channel owner's own channel with a token, a public video with a key.
func (y *youtubeFlags) checkMethod() string {
	if y.oauthTokenFile != "" {
		return collector.MethodChannelsList
	}
	return collector.MethodVideosList
}

// quotaLabel is the quota ledger's key: the Cloud project's name. YouTube
// counts quota per project, so an API key and an OAuth token of one
// project share one budget; the name is a label, never a secret.
func (y *youtubeFlags) quotaLabel() (string, error) {
	p := y.quotaProject
	if p == "" {
		p = "default"
	}
	if len(p) > 64 || strings.IndexFunc(p, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}) >= 0 {
		return "", usagef("--quota-project %q: a name of at most 64 letters, digits, '-', '_' or '.' (the Cloud project's id, never a key)", p)
	}
	return p, nil
}

// source builds the YouTube source from the flags, checks the credential
// with one cheap call, and returns the quota ledger's key (the project).
func (y *youtubeFlags) source(ctx context.Context, a *app, metrics *collector.Metrics, probeVideo string) (*collector.YouTube, string, error) {
	cfg := collector.YouTubeConfig{Endpoint: y.endpoint, Metrics: metrics}
	oauth := y.oauthTokenFile != ""
	switch {
	case oauth:
		o, err := y.ownerGrant(a)
		if err != nil {
			return nil, "", err
		}
		key, err := y.apiKeyValue()
		if err != nil {
			return nil, "", err
		}
		src := collector.NewRefreshingTokenSource(ctx, o.config, o.token, o.save)
		y.grant, err = collector.NewGrantMonitor(y.registry, collector.GrantMonitor{Source: src, Need: o.need, FallbackKey: key != "", Log: a.log,
			Reload: func() (*oauth2.Token, error) { return collector.LoadToken(y.oauthTokenFile) }})
		if err != nil {
			return nil, "", err
		}
		// The start-up check: a dead grant stops the daemon before the
		// event, unless an API key can take over reading.
		if err := y.grant.Check(ctx); err != nil {
			if key == "" || !errors.Is(err, collector.ErrGrantInvalid) {
				return nil, "", fmt.Errorf("the channel owner's OAuth grant does not do; run 'rollcall auth login' again: %w", err)
			}
			a.log.Error("reading with the API key until the grant works again: members-only chats, broadcasts and posting stop", "err", err)
		}
		cfg.TokenSource = src
		cfg.FallbackAPIKey = key
	default:
		key, err := y.apiKeyValue()
		if err != nil {
			return nil, "", err
		}
		if key == "" {
			return nil, "", usagef("no YouTube credential: set --youtube-api-key (or ROLLCALL_YOUTUBE_API_KEY_FILE) or --oauth-token-file; 'rollcall demo' needs none")
		}
		cfg.APIKey = key
	}
	label, err := y.quotaLabel()
	if err != nil {
		return nil, "", err
	}
	yt, err := collector.NewYouTube(ctx, cfg)
	if err != nil {
		return nil, "", err
	}
	y.built = cfg
	if err := yt.CheckAccess(ctx, oauth, probeVideo); err != nil {
		// A dead credential stops the daemon before the event; YouTube being
		// briefly unreachable does not (the collector retries).
		if errors.Is(err, collector.ErrTransient) || errors.Is(err, collector.ErrRateLimited) {
			a.log.Warn("youtube credential check could not reach YouTube; going on", "err", err)
			return yt, label, nil
		}
		return nil, "", fmt.Errorf("youtube credential check: %w", err)
	}
	return yt, label, nil
}

func (a *app) serveCommand() *cobra.Command {
	var (
		d  daemon
		yf youtubeFlags
	)
	cmd := &cobra.Command{
		Use:   "serve [--listen :8080] [--until-ended] [--event-duration 4h]",
		Short: "Run the daemon: follow every active event's streams and serve the dashboard and metrics",
		Long: `serve follows the streams of every active event: it samples their state and
reach with videos.list, reads their live chat with liveChatMessages.list within
the daily quota, and commits every chat page with its cursor in one
transaction, so that a crash loses and repeats nothing. It serves /metrics,
/healthz and /readyz on --listen.

Start it before the stream starts: YouTube returns only recent chat history on
the first read, and no chat at all after the stream has ended.

Chat is read with liveChatMessages.streamList over gRPC by default (each
connection 5 units, messages pushed as they arrive), with polling
(liveChatMessages.list) as the fallback; see --chat-source.

SIGTERM or Ctrl-C drains and exits within 5 s. With --until-ended it exits 0
once every tracked stream has ended and its chat is drained.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if err := d.checkFlags(); err != nil {
				return err
			}
			st, closeStore, err := a.openDaemonStore(ctx)
			if err != nil {
				return err
			}
			defer closeStore()
			d.store = st
			d.registry = newRegistry()
			metrics, err := collector.NewMetrics(d.registry)
			if err != nil {
				return err
			}
			probe := "dQw4w9WgXcQ" // any public video proves a key works (1 unit)
			if tracked, err := st.TrackedStreams(ctx); err == nil && len(tracked) > 0 {
				probe = tracked[0].VideoID
			}
			if err := yf.checkChatSource(); err != nil {
				return err
			}
			yf.registry = d.registry
			yt, label, err := yf.source(ctx, a, metrics, probe)
			if err != nil {
				return err
			}
			streamer, err := yf.chatStreamer(ctx, a, metrics)
			if err != nil {
				return err
			}
			var chats collector.ChatStreamer
			if streamer != nil {
				defer streamer.Close()
				chats = streamer
			}
			var owner collector.OwnerSource // discovery and announcements need the owner's token
			if yf.oauthTokenFile != "" {
				owner = yt
			}
			d.collector, err = collector.New(collector.Config{QuotaProject: label, QuotaDaily: yf.quotaDaily, MissSpacing: yf.missInterval, Streamer: chats,
				EventDuration: yf.eventDuration, Owner: owner}, yt, st, metrics, a.log)
			if err != nil {
				return err
			}
			// The credential check spent a unit of the same daily budget,
			// even when it failed to reach YouTube's answer.
			if err := d.collector.Quota().Spend(context.WithoutCancel(ctx), yf.checkMethod(), 1); err != nil {
				a.log.Warn("quota ledger write failed", "err", err)
			}
			d.grant = yf.grant
			if d.reach, err = yf.reach(ctx, a, st, label, metrics); err != nil {
				return err
			}
			return d.run(ctx, a)
		},
	}
	f := cmd.Flags()
	d.bindFlags(f)
	yf.bind(f)
	return cmd
}
