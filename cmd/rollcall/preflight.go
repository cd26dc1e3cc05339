package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/certpdf"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/collector"
)

// The names of preflight's checks. Scripts read them from --json: they are
// a contract, documented in the command's help and the README.
const (
	checkDatabase       = "database"
	checkCredential     = "credential"
	checkVideoOwner     = "video_owner"
	checkQuota          = "quota"
	checkVideosExist    = "videos_exist"
	checkVideosNotEnded = "videos_not_ended"
	checkChatEnabled    = "chat_enabled"
	checkChatReadable   = "chat_readable"
	checkStreaming      = "streaming"
	checkRegistrations  = "registrations"
	checkCodesExported  = "codes_exported"
	checkNamesPrintable = "names_printable"
	checkClock          = "clock"
)

// preflightOrder is the order of the checklist.
var preflightOrder = []string{
	checkDatabase, checkCredential, checkVideoOwner, checkQuota,
	checkVideosExist, checkVideosNotEnded, checkChatEnabled, checkChatReadable,
	checkStreaming, checkRegistrations, checkCodesExported, checkNamesPrintable, checkClock,
}

// maxClockSkew is how far the local clock may be from YouTube's.
const maxClockSkew = 2 * time.Second

// streamProbeTimeout bounds the gRPC connection attempt.
const streamProbeTimeout = 5 * time.Second

// preflightCheck is one line of the checklist. Detail and Fix hold counts,
// video ids and commands, never a person's name or email, nor a secret.
type preflightCheck struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Fix    string `json:"fix"`
}

// preflightReport is the checklist as --json prints it.
type preflightReport struct {
	Event        string           `json:"event"`
	QuotaProject string           `json:"quota_project"`
	UnitsSpent   int64            `json:"units_spent"`
	OK           bool             `json:"ok"`
	Checks       []preflightCheck `json:"checks"`
}

// preflight is one run of `rollcall preflight`.
type preflight struct {
	event   string
	json    bool
	fontDir string
	yf      youtubeFlags

	checks map[string]preflightCheck
}

func (p *preflight) pass(name, detail string, args ...any) {
	p.checks[name] = preflightCheck{Name: name, OK: true, Detail: fmt.Sprintf(detail, args...)}
}

func (p *preflight) fail(name, fix, detail string, args ...any) {
	p.checks[name] = preflightCheck{Name: name, Detail: fmt.Sprintf(detail, args...), Fix: fix}
}

// skip fails every check not decided yet: it could not be made.
func (p *preflight) skip(why, fix string, names ...string) {
	for _, n := range names {
		if _, done := p.checks[n]; !done {
			p.fail(n, fix, "not checked: %s", why)
		}
	}
}

func (a *app) preflightCommand() *cobra.Command {
	var p preflight
	cmd := &cobra.Command{
		Use:   "preflight --event SLUG [--json]",
		Short: "Check, the day before and an hour before, that an event is ready to be followed",
		Long: `preflight checks what an event needs before it starts and prints a checklist:
one line per check with ✓ or ✗, and a one-line fix under every ✗. It exits 0
when every check passes, 1 on any ✗, 2 on bad usage. Run it the day before
and an hour before the event, with the same YouTube flags as 'serve'.

The checks (stable names, as --json prints them):
  database          the database answers and its schema is the newest this
                    rollcall knows. preflight never migrates (unlike every
                    other command): run from a newer binary it would upgrade
                    the schema under a daemon that runs the older one; it
                    says 'run rollcall migrate' instead
  credential        YouTube accepts the API key, or the OAuth grant refreshes
                    and the token is accepted
  video_owner       with OAuth, the token's channel owns every video
                    (channels.list mine=true against snippet.channelId)
  quota             the quota project's ledger has enough units left on the
                    event's Pacific day for --event-duration: videos.list at
                    the daemon's cadence from an hour before the start, and
                    chat at the slowest useful cadence (a poll a minute per
                    chat, or a streamList connection every 10 minutes)
  videos_exist      YouTube returns every video of the event
  videos_not_ended  every video is upcoming or live
  chat_enabled      every upcoming or live video has an activeLiveChatId
  chat_readable     with an API key, a chat read is not refused (403
                    forbidden: members-only chat)
  streaming         a gRPC connection to the streamList endpoint opens (TLS;
                    plaintext when it is a loopback address); with
                    --chat-source poll (or auto against a REST-only
                    --youtube-endpoint) the polling fallback is named instead
  registrations     the event has registrations
  codes_exported    'rollcall codes' exported the codes (its audit log entry)
                    after the last registration was added
  names_printable   every registrant's name can be printed on a certificate
                    with the installed fonts (counts only, never a name)
  clock             this machine's clock is within 2 s of YouTube's Date
                    header

Quota: every YouTube call is charged to the ledger of --quota-project, the
only thing preflight writes to the database. With an API key it spends 1 unit
per 50 videos (videos.list) and 5 units per video with a chat (one
liveChatMessages.list of message ids, to find members-only chats); with an
OAuth token 1 unit (channels.list) plus 1 per 50 videos, and no chat read.
The streaming check opens a connection but makes no call (0 units); the clock
is read from the Date header of those answers (0 units). A one-video event
costs 6 units with a key, 2 with OAuth; an event without a video 1 unit with
a key (a videos.list of a public video, as serve's start-up check).

Output never shows a registrant's name or email, nor a key or token.`,
		Example: `  rollcall preflight --event pd-2026 --event-duration 3h
  rollcall preflight --event pd-2026 --json | jq '.checks[] | select(.ok | not)'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := p.checkFlags(); err != nil {
				return err
			}
			rep, err := p.run(cmd.Context(), a)
			if err != nil {
				return err
			}
			if err := p.print(a, rep); err != nil {
				return err
			}
			if !rep.OK {
				failed := 0
				for _, c := range rep.Checks {
					if !c.OK {
						failed++
					}
				}
				return fmt.Errorf("%d of %d checks failed", failed, len(rep.Checks))
			}
			return nil
		},
	}
	eventFlag(cmd, &p.event)
	f := cmd.Flags()
	f.BoolVar(&p.json, "json", false, `print {"event", "quota_project", "units_spent", "ok", "checks": [{"name", "ok", "detail", "fix"}]} instead of the checklist`)
	f.StringVar(&p.fontDir, "font-dir", "", "folder with the Noto fonts certificates are printed with (default "+certpdf.DefaultFontDir+")")
	p.yf.bind(f)
	f.Lookup("event-duration").Usage = "the event's planned length, for the quota estimate (Go duration)"
	return cmd
}

func (p *preflight) checkFlags() error {
	if err := p.yf.checkChatSource(); err != nil {
		return err
	}
	if p.yf.eventDuration <= 0 {
		return usagef("--event-duration must be positive, got %s", p.yf.eventDuration)
	}
	if p.yf.quotaDaily <= 0 {
		return usagef("--quota-daily must be positive, got %d", p.yf.quotaDaily)
	}
	// the ledger's key, exactly as serve keys it
	project, err := p.yf.quotaLabel()
	if err != nil {
		return err
	}
	p.yf.quotaProject = project
	return nil
}

func (p *preflight) print(a *app, rep preflightReport) error {
	if p.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(a.stdout, "preflight of event %s (quota project %q)\n", rep.Event, rep.QuotaProject)
	failed := 0
	for _, c := range rep.Checks {
		mark := "✓"
		if !c.OK {
			mark = "✗"
			failed++
		}
		fmt.Fprintf(a.stdout, "%s %-17s %s\n", mark, c.Name, c.Detail)
		if !c.OK {
			fmt.Fprintf(a.stdout, "  %-17s fix: %s\n", "", c.Fix)
		}
	}
	fmt.Fprintf(a.stdout, "%d of %d checks passed; preflight spent %d units of quota project %q\n",
		len(rep.Checks)-failed, len(rep.Checks), rep.UnitsSpent, rep.QuotaProject)
	return nil
}

// run makes every check. It returns an error only for bad usage (an
// unknown event, a credential not given); everything else is a ✗.
func (p *preflight) run(ctx context.Context, a *app) (preflightReport, error) {
	p.checks = map[string]preflightCheck{}
	rep := preflightReport{Event: p.event, QuotaProject: p.yf.quotaProject}
	finish := func() preflightReport {
		rep.OK = true
		for _, name := range preflightOrder {
			c, ok := p.checks[name]
			if !ok {
				c = preflightCheck{Name: name, Detail: "not checked", Fix: "report this: preflight skipped a check"}
			}
			rep.OK = rep.OK && c.OK
			rep.Checks = append(rep.Checks, c)
		}
		return rep
	}
	all := preflightOrder[1:]

	st, ok := p.checkDatabase(ctx, a)
	if st == nil {
		p.skip("the database is not ready", "fix the database first", all...)
		return finish(), nil
	}
	defer st.Close()
	if !ok {
		p.skip("the database schema is not migrated", "run 'rollcall migrate' first", all...)
		return finish(), nil
	}
	e, err := st.Event(ctx, p.event)
	if err != nil {
		return rep, err
	}
	ledger := &spendCounter{Store: st}
	quota, err := collector.NewQuota(ledger, p.yf.quotaProject, p.yf.quotaDaily, 0, collector.SystemClock{}, nil)
	if err != nil {
		return rep, err
	}
	pacific, err := collector.LoadPacific()
	if err != nil {
		return rep, err
	}

	videos, clock, err := p.checkYouTube(ctx, a, e, quota)
	if err != nil {
		return rep, err
	}
	p.checkStreaming(ctx)
	p.checkPeople(ctx, st, e)
	p.checkClock(clock)
	if ledger.err != nil {
		p.fail(checkQuota, "check the database: the daemon could not record its spending either",
			"the quota ledger did not record units preflight spent: %v", ledger.err)
	}
	p.checkQuota(ctx, st, e, videos, pacific)
	rep.UnitsSpent = ledger.spent
	return finish(), nil
}

// spendCounter counts the units this run records in the ledger: a daemon
// spending from the same ledger meanwhile is not preflight's cost.
type spendCounter struct {
	*store.Store
	spent int64
	err   error // the first failed ledger write
}

// AddQuotaUnits records units in the ledger and counts them.
func (c *spendCounter) AddQuotaUnits(ctx context.Context, project, day, method string, units int64) (int64, error) {
	c.spent += units
	total, err := c.Store.AddQuotaUnits(ctx, project, day, method, units)
	if err != nil && c.err == nil {
		c.err = err
	}
	return total, err
}

// checkDatabase opens the store without migrating it. It returns nil when
// the database cannot be used at all, and ok false when the schema is
// behind this binary.
func (p *preflight) checkDatabase(ctx context.Context, a *app) (*store.Store, bool) {
	const fixConnect = "check --db (ROLLCALL_DB) and that the database server is up and reachable from here"
	if path, missing := store.SQLiteFileMissing(a.db); missing {
		p.fail(checkDatabase, "point --db (ROLLCALL_DB) at the event's database, or create it with 'rollcall migrate'",
			"no SQLite database at %s", path)
		return nil, false
	}
	st, err := a.openStore(ctx, store.WithoutMigration())
	if err != nil {
		p.fail(checkDatabase, fixConnect, "cannot open the database: %v", err)
		return nil, false
	}
	if err := st.Ping(ctx); err != nil {
		st.Close()
		p.fail(checkDatabase, fixConnect, "the database does not answer: %v", err)
		return nil, false
	}
	v, err := st.SchemaVersion(ctx)
	switch {
	case err != nil:
		st.Close()
		p.fail(checkDatabase, fixConnect, "cannot read the schema version: %v", err)
		return nil, false
	case v.Current < v.Newest:
		p.fail(checkDatabase, "run 'rollcall migrate' with this rollcall binary, then start the daemon from it too",
			"%s schema is at version %d, this rollcall needs %d (preflight does not migrate)", st.Engine(), v.Current, v.Newest)
		return st, false
	case v.Current > v.Newest:
		p.fail(checkDatabase, "run preflight with the rollcall version that migrated the database (the one the daemon runs)",
			"%s schema is at version %d, newer than this rollcall knows (%d)", st.Engine(), v.Current, v.Newest)
		return st, true
	}
	p.pass(checkDatabase, "%s answers; schema version %d is the newest this rollcall knows", st.Engine(), v.Current)
	return st, true
}

// probeVideo is a public video whose videos.list proves that a key works
// when the event has no video to ask about (1 unit), as serve does.
const probeVideo = "dQw4w9WgXcQ"

// youtubeChecks are the checks that need YouTube's answers.
var youtubeChecks = []string{checkCredential, checkVideoOwner, checkVideosExist, checkVideosNotEnded, checkChatEnabled, checkChatReadable}

// checkYouTube builds the YouTube client as serve does and makes the
// credential, ownership, video and chat checks. It returns the videos
// YouTube returned (nil when it could not ask) and the clock reading of
// its answers.
func (p *preflight) checkYouTube(ctx context.Context, a *app, e attendance.Event, quota *collector.Quota) ([]collector.VideoCheck, *collector.DateRecorder, error) {
	dates := &collector.DateRecorder{Base: http.DefaultTransport.(*http.Transport).Clone()}
	cfg := collector.YouTubeConfig{Endpoint: p.yf.endpoint, Transport: dates}
	oauth := p.yf.oauthTokenFile != ""
	if oauth {
		o, err := p.yf.ownerGrant(a)
		if err != nil {
			return nil, nil, err
		}
		fresh, err := collector.CheckGrant(ctx, o.config, o.token)
		if err != nil {
			p.fail(checkCredential, "run 'rollcall auth login' again, signed in as the channel owner",
				"the channel owner's OAuth grant does not refresh: %v", err)
			p.skip("the credential does not work", "fix the credential first", youtubeChecks...)
			return nil, dates, nil
		}
		if granted, known := collector.GrantedScopes(fresh); known {
			if missing := collector.MissingScopes(granted, o.need); len(missing) > 0 {
				p.fail(checkCredential, "run 'rollcall auth login --scopes "+strings.Join(collector.ScopeNames(o.need), ",")+"' again, signed in as the channel owner",
					"the channel owner's OAuth grant lacks %s", strings.Join(collector.ScopeNames(missing), ", "))
			}
		}
		o.save(fresh)
		cfg.TokenSource = collector.NewRefreshingTokenSource(ctx, o.config, fresh, o.save)
	} else {
		key, err := p.yf.apiKeyValue()
		if err != nil {
			return nil, nil, err
		}
		if key == "" {
			return nil, nil, usagef("no YouTube credential: set --youtube-api-key (or ROLLCALL_YOUTUBE_API_KEY_FILE) or --oauth-token-file")
		}
		cfg.APIKey = key
	}
	yt, err := collector.NewYouTube(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}

	mine := ""
	if oauth {
		if mine, err = yt.MyChannel(ctx, quota); err != nil {
			p.noteQuotaExceeded(err)
			p.fail(checkCredential, credentialFix(err, p.yf.quotaProject), "YouTube refuses the OAuth token: %v", err)
			p.skip("the credential does not work", "fix the credential first", youtubeChecks...)
			return nil, dates, nil
		}
	}
	ids := e.VideoIDs
	if len(ids) == 0 && !oauth {
		ids = []string{probeVideo} // a key is proved only by a call
	}
	videos, err := yt.CheckVideos(ctx, quota, ids)
	if len(e.VideoIDs) == 0 {
		videos = []collector.VideoCheck{}
	}
	if err != nil {
		what := "videos.list failed"
		switch {
		case errors.Is(err, collector.ErrKeyInvalid) && !oauth:
			what = "YouTube refuses the API key"
		case errors.Is(err, collector.ErrKeyInvalid):
			what = "YouTube refuses the OAuth token"
		}
		p.noteQuotaExceeded(err)
		p.fail(checkCredential, credentialFix(err, p.yf.quotaProject), "%s: %v", what, err)
		p.skip("the credential does not work", "fix the credential first", youtubeChecks...)
		return nil, dates, nil
	}
	if oauth {
		p.pass(checkCredential, "the OAuth grant refreshes and YouTube accepts the token of channel %s", mine)
	} else {
		p.pass(checkCredential, "YouTube accepts the API key")
	}

	found := map[string]collector.VideoCheck{}
	for _, v := range videos {
		found[v.VideoID] = v
	}
	var missing, ended, noChat, notOwned []string
	var open []collector.VideoCheck // exist, not ended, with a chat
	for _, id := range e.VideoIDs {
		v, ok := found[id]
		switch {
		case !ok:
			missing = append(missing, id)
			continue
		case oauth && v.ChannelID != mine:
			notOwned = append(notOwned, fmt.Sprintf("%s (channel %s)", id, v.ChannelID))
		}
		switch {
		case v.State != attendance.StreamUpcoming && v.State != attendance.StreamLive:
			ended = append(ended, id)
		case v.ChatID == "":
			noChat = append(noChat, id)
		default:
			open = append(open, v)
		}
	}
	n := len(e.VideoIDs)
	switch {
	case len(e.VideoIDs) == 0:
		p.fail(checkVideosExist, "add the event's video: 'rollcall event set "+e.Slug+" --video URL_OR_ID'", "the event has no video")
	case len(missing) > 0:
		p.fail(checkVideosExist, "correct the video id ('rollcall event set "+e.Slug+" --video …'), or make the video public or unlisted",
			"YouTube does not return %d of %d videos (deleted, private or mistyped): %s", len(missing), n, strings.Join(missing, ", "))
	default:
		p.pass(checkVideosExist, "YouTube returns all %d videos", n)
	}
	switch {
	case !oauth:
		p.pass(checkVideoOwner, "not checked with an API key (it has no channel); owner-only reading needs 'rollcall auth login'")
	case mine == "":
		p.fail(checkVideoOwner, "run 'rollcall auth login' signed in as the channel that streams the event (or a manager of its Brand Account)",
			"the token's Google account has no YouTube channel")
	case len(notOwned) > 0:
		p.fail(checkVideoOwner, "run 'rollcall auth login' signed in as the channel that streams the event (or a manager of its Brand Account)",
			"the token's channel %s does not own %s", mine, strings.Join(notOwned, ", "))
	default:
		p.pass(checkVideoOwner, "the token's channel %s owns every video YouTube returns", mine)
	}
	if len(ended) > 0 {
		p.fail(checkVideosNotEnded, "schedule a new live stream and add its video to the event: chat of an ended stream cannot be read",
			"%d video(s) ended or are not live streams: %s", len(ended), strings.Join(ended, ", "))
	} else {
		p.pass(checkVideosNotEnded, "%s", describeStates(videos))
	}
	if len(noChat) > 0 {
		p.fail(checkChatEnabled, "turn live chat on for the broadcast in YouTube Studio (Edit stream → Customization → Live chat)",
			"%d video(s) have no active live chat (activeLiveChatId): %s", len(noChat), strings.Join(noChat, ", "))
	} else {
		p.pass(checkChatEnabled, "%d upcoming or live video(s) have an active live chat", len(open))
	}
	p.checkChatReadable(ctx, yt, quota, oauth, open)
	return videos, dates, nil
}

// checkChatReadable reads one page of message ids of each open chat with
// an API key: YouTube refuses it (403 forbidden) on members-only chats.
func (p *preflight) checkChatReadable(ctx context.Context, yt *collector.YouTube, quota *collector.Quota, oauth bool, open []collector.VideoCheck) {
	if oauth {
		p.pass(checkChatReadable, "not probed: the channel owner's token reads members-only chats (0 units)")
		return
	}
	var refused []string
	fix := "use the channel owner's OAuth token ('rollcall auth login', --oauth-token-file), or turn members-only chat off"
	for _, v := range open {
		err := yt.ProbeChat(ctx, quota, v.ChatID)
		switch {
		case err == nil:
		case errors.Is(err, collector.ErrForbidden):
			refused = append(refused, v.VideoID+" (403 forbidden: members-only chat)")
		case errors.Is(err, collector.ErrChatDisabled):
			refused = append(refused, v.VideoID+" (live chat disabled)")
			fix = "turn live chat on for the broadcast in YouTube Studio; " + fix
		default:
			refused = append(refused, fmt.Sprintf("%s (%s)", v.VideoID, collector.ReasonLabel(err)))
		}
	}
	if len(refused) > 0 {
		p.fail(checkChatReadable, fix, "an API key may not read %d chat(s): %s", len(refused), strings.Join(refused, ", "))
		return
	}
	p.pass(checkChatReadable, "the API key reads all %d chat(s) (one read of message ids each, 5 units)", len(open))
}

// describeStates says how many videos are upcoming and live.
func describeStates(videos []collector.VideoCheck) string {
	var up, live int
	for _, v := range videos {
		switch v.State {
		case attendance.StreamUpcoming:
			up++
		case attendance.StreamLive:
			live++
		}
	}
	return fmt.Sprintf("%d upcoming, %d live", up, live)
}

// noteQuotaExceeded fails the quota check when YouTube itself says the
// day's quota is used up, whatever the ledger holds (another user of the
// Cloud project, a quota lowered in the Cloud console).
func (p *preflight) noteQuotaExceeded(err error) {
	if errors.Is(err, collector.ErrQuotaExceeded) {
		p.fail(checkQuota, credentialFix(err, p.yf.quotaProject)+"; find who else spends it in the Cloud console's quota page",
			"YouTube answered quotaExceeded: the daily quota of Cloud project %s is used up, whatever rollcall's ledger says", p.yf.quotaProject)
	}
}

// credentialFix is the fix for a refused YouTube call.
func credentialFix(err error, project string) string {
	switch {
	case errors.Is(err, collector.ErrKeyInvalid):
		return "check --youtube-api-key (ROLLCALL_YOUTUBE_API_KEY_FILE): a key of Cloud project " + project + " with the YouTube Data API v3 enabled; with OAuth run 'rollcall auth login' again"
	case errors.Is(err, collector.ErrGrantInvalid):
		return "run 'rollcall auth login' again, signed in as the channel owner"
	case errors.Is(err, collector.ErrForbidden):
		return "enable the YouTube Data API v3 in Cloud project " + project + " and check the key's API and address restrictions"
	case errors.Is(err, collector.ErrQuotaExceeded):
		return "wait for the quota reset at Pacific midnight, or ask Google for more quota for Cloud project " + project
	case errors.Is(err, collector.ErrTransient), errors.Is(err, collector.ErrRateLimited):
		return "check this machine's network access to YouTube (or --youtube-endpoint), then run preflight again"
	}
	return "check the YouTube flags (--youtube-api-key, --oauth-token-file, --youtube-endpoint) and run preflight again"
}

// checkStreaming opens a gRPC connection to the streamList endpoint
// without making a call (0 units).
func (p *preflight) checkStreaming(ctx context.Context) {
	on, why := p.yf.streaming()
	if !on {
		p.pass(checkStreaming, "%s", why)
		return
	}
	ep := collector.StreamListEndpoint(p.yf.grpcEndpoint)
	plaintext := collector.LoopbackEndpoint(ep)
	how := "TLS"
	if plaintext {
		how = "plaintext on loopback"
	}
	pctx, cancel := context.WithTimeout(ctx, streamProbeTimeout)
	defer cancel()
	if err := collector.ProbeStreamEndpoint(pctx, ep, plaintext); err != nil {
		detail := fmt.Sprintf("no gRPC connection to %s (%s): %v", ep, how, err)
		if p.yf.chatSource == "auto" {
			detail += "; serve would fall back to polling, which costs far more units"
		}
		p.fail(checkStreaming, "let HTTP/2 over TLS to "+ep+" through the firewall or proxy, or run serve with --chat-source poll",
			"%s", detail)
		return
	}
	p.pass(checkStreaming, "gRPC connection to %s opens (%s; no call made, 0 units)", ep, how)
}

// checkPeople checks registrations, the codes export and the names.
func (p *preflight) checkPeople(ctx context.Context, st *store.Store, e attendance.Event) {
	codes, err := st.CodesExportStatus(ctx, e.ID)
	if err != nil {
		p.fail(checkRegistrations, "check the database", "cannot count registrations: %v", err)
		p.skip("registrations could not be counted", "check the database", checkCodesExported, checkNamesPrintable)
		return
	}
	importFix := "import them: 'rollcall registrations import --event " + e.Slug + " FILE'"
	codesFix := "run 'rollcall codes --event " + e.Slug + "' and send everyone their code (mail merge)"
	switch {
	case codes.Registrations == 0:
		p.fail(checkRegistrations, importFix, "the event has no registrations")
		p.fail(checkCodesExported, importFix+", then "+strings.TrimPrefix(codesFix, "run "), "no registrations, so no codes were exported")
		p.pass(checkNamesPrintable, "no names to check")
		return
	case codes.At.IsZero():
		p.pass(checkRegistrations, "%d registrations", codes.Registrations)
		p.fail(checkCodesExported, codesFix, "the attendance codes were never exported ('rollcall codes' leaves an entry in the audit log)")
	case codes.Since > 0:
		p.pass(checkRegistrations, "%d registrations", codes.Registrations)
		p.fail(checkCodesExported, "run 'rollcall codes --event "+e.Slug+"' again and send their codes to the people added since",
			"%d of %d registrations were added after the last codes export (%s)", codes.Since, codes.Registrations, codes.At.Format(time.RFC3339))
	default:
		p.pass(checkRegistrations, "%d registrations", codes.Registrations)
		p.pass(checkCodesExported, "codes exported %s, after the last registration was added", codes.At.Format(time.RFC3339))
	}
	p.checkNames(ctx, st, e)
}

// checkNames shapes every registrant's name as a certificate prints it.
// Only counts, scripts and registration ids are reported, never a name.
func (p *preflight) checkNames(ctx context.Context, st *store.Store, e attendance.Event) {
	const fixFonts = "install the Debian package " + certpdf.FontPackage + " (" + certpdf.CJKFontPackage + " for Chinese, Japanese, Korean), or point --font-dir at the Noto fonts"
	r, err := certpdf.NewRenderer(p.fontDir)
	if err != nil {
		var mf *certpdf.MissingFontError
		if errors.As(err, &mf) {
			p.fail(checkNamesPrintable, fixFonts, "no Latin font (NotoSans) in %s: no certificate can be printed", mf.Dir)
		} else {
			p.fail(checkNamesPrintable, fixFonts, "the fonts cannot be read: %v", err)
		}
		return
	}
	checked := map[string]error{}
	var total, bad, glyphs int
	var missing []rune // characters no font has, across names
	seenRune := map[rune]bool{}
	scripts := map[string]int{}
	var ids []string
	err = st.EachRegistration(ctx, e.ID, func(reg attendance.Registration) error {
		total++
		cerr, seen := checked[reg.FullName]
		if !seen {
			cerr = r.CheckName(reg.FullName)
			checked[reg.FullName] = cerr
			if cerr != nil {
				for _, c := range r.Unprintable(reg.FullName) {
					if !seenRune[c] {
						seenRune[c] = true
						missing = append(missing, c)
					}
				}
			}
		}
		if cerr == nil {
			return nil
		}
		bad++
		if len(ids) < 10 {
			ids = append(ids, fmt.Sprint(reg.ID))
		}
		var mf *certpdf.MissingFontError
		if errors.As(cerr, &mf) {
			scripts[string(mf.Script)]++
		} else {
			glyphs++
		}
		return nil
	})
	if err != nil {
		p.fail(checkNamesPrintable, "check the database", "cannot read the registrations: %v", err)
		return
	}
	if bad == 0 {
		p.pass(checkNamesPrintable, "all %d names can be printed with the fonts in %s", total, r.FontDir())
		return
	}
	var why []string
	if len(scripts) > 0 {
		names := make([]string, 0, len(scripts))
		for s, n := range scripts {
			names = append(names, fmt.Sprintf("%s (%d)", s, n))
		}
		sort.Strings(names)
		why = append(why, "no font for script "+strings.Join(names, ", "))
	}
	if glyphs > 0 {
		why = append(why, fmt.Sprintf("%d with a character no installed font has", glyphs))
	}
	if len(missing) > 0 {
		if len(missing) > 10 {
			missing = missing[:10]
		}
		why = append(why, "missing characters "+certpdf.FormatRunes(missing))
	}
	more := ""
	if bad > len(ids) {
		more = ", …"
	}
	p.fail(checkNamesPrintable, "correct those names in the registration file and import it again, or "+fixFonts,
		"%d of %d registrations have a name that cannot be printed with the fonts in %s: %s (registration ids %s%s)",
		bad, total, r.FontDir(), strings.Join(why, "; "), strings.Join(ids, ", "), more)
}

// checkClock compares the local clock with the Date header of YouTube's
// last answer.
func (p *preflight) checkClock(dates *collector.DateRecorder) {
	if dates == nil {
		p.fail(checkClock, "fix the credential first", "not checked: no YouTube answer")
		return
	}
	c, ok := dates.Last()
	if !ok {
		fix := "check the network access to YouTube, then run preflight again"
		if cred, done := p.checks[checkCredential]; done && !cred.OK {
			fix = "fix the credential first"
		}
		p.fail(checkClock, fix, "not checked: no YouTube answer carried a Date header")
		return
	}
	skew, unc := c.Skew(), c.Uncertainty()
	way := "ahead of"
	if skew < 0 {
		way = "behind"
	}
	abs := skew.Abs().Round(100 * time.Millisecond)
	if skew.Abs() > maxClockSkew {
		p.fail(checkClock, "synchronise this machine's clock (timedatectl set-ntp true, or chrony/ntpd); checkpoint windows and the quota day are judged by it",
			"this machine's clock is %s %s YouTube's Date header (±%s), more than %s", abs, way, unc.Round(100*time.Millisecond), maxClockSkew)
		return
	}
	p.pass(checkClock, "this machine's clock is %s %s YouTube's Date header (±%s)", abs, way, unc.Round(100*time.Millisecond))
}

// checkQuota estimates what the event needs and compares it with what the
// quota project's ledger has left on the event's Pacific day.
func (p *preflight) checkQuota(ctx context.Context, st *store.Store, e attendance.Event, videos []collector.VideoCheck, pacific *time.Location) {
	if _, decided := p.checks[checkQuota]; decided {
		return
	}
	now := time.Now()
	var start time.Time
	chats := 0
	for _, v := range videos {
		if v.State != attendance.StreamUpcoming && v.State != attendance.StreamLive {
			continue
		}
		chats++
		if s := v.ScheduledStart; v.State == attendance.StreamUpcoming && !s.IsZero() && (start.IsZero() || s.Before(start)) {
			start = s
		}
		if v.State == attendance.StreamLive {
			start = now
		}
	}
	if videos == nil { // YouTube could not be asked: assume every video streams
		chats = len(e.VideoIDs)
	}
	if start.IsZero() || start.Before(now) {
		start = now
	}
	streaming, _ := p.yf.streaming()
	est := collector.EstimateEventUnits(now, start, p.yf.eventDuration, len(e.VideoIDs), chats, streaming)
	today, day := collector.QuotaDay(now, pacific), collector.QuotaDay(start, pacific)
	var left int64
	if day == today {
		used, err := st.QuotaUsed(ctx, p.yf.quotaProject, today)
		if err != nil {
			p.fail(checkQuota, "check the database", "cannot read the quota ledger: %v", err)
			return
		}
		left = p.yf.quotaDaily - used
	} else {
		left = p.yf.quotaDaily // a fresh Pacific day
	}
	chat := fmt.Sprintf("%d chat(s) polled once a minute: %d reads × %d", chats, est.ChatCalls, collector.ChatReadCost)
	if streaming {
		chat = fmt.Sprintf("%d chat(s) streamed, a connection every %s allowed: %d × %d",
			chats, collector.StreamConnectionAllowance, est.ChatCalls, collector.ChatReadCost)
	}
	detail := fmt.Sprintf("the event (%s from %s) needs about %d units — videos.list %d calls (1 unit each) at the daemon's cadence from an hour before the start; %s; %d of %d units left on Pacific day %s",
		p.yf.eventDuration, start.UTC().Format("2006-01-02 15:04 UTC"), est.Total, est.StatsCalls, chat, left, p.yf.quotaDaily, day)
	if day != today {
		detail += " (a fresh day)"
	}
	if left < est.Total {
		fix := "free units of Cloud project " + p.yf.quotaProject + " that day (stop other users of it), or ask Google for more quota and set --quota-daily"
		if !streaming {
			fix += ", or read chat with --chat-source stream"
		}
		p.fail(checkQuota, fix, "%s", detail)
		return
	}
	p.pass(checkQuota, "%s", detail)
}
