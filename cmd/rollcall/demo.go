package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/oauth2"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/collector"
	"github.com/seameo/rollcall/collector/fakeyoutube"
	"github.com/seameo/rollcall/dashboard"
)

// demoVideoID is the fake stream's video id (11 characters, like YouTube's).
const demoVideoID = "demoVideo01"

// demoOwnerChannel is the fake channel owner's channel: the demo runs in
// owner mode.
const demoOwnerChannel = "UCrollcallDemoChannel0001"

// demoAdmin is the staff account demo creates, with a random password.
const demoAdmin = "admin@demo.invalid"

func (a *app) demoCommand() *cobra.Command {
	var (
		d          daemon
		speed      float64
		people     int
		chatSource string
		owner      bool
		mailDemo   bool
	)
	cmd := &cobra.Command{
		Use:   "demo [--listen :8080] [--speed N]",
		Short: "Run the daemon against a fake YouTube with a sample event: no credentials, no network",
		Long: `demo plays a two-hour policy dialogue in about three minutes (--speed 40):
a fake YouTube server on loopback, driven through the real YouTube client,
serves the stream's state, viewers and a generated live chat — registrants
typing their attendance codes in every form people do, checkpoint answers,
greetings in Thai, Khmer, Lao, Burmese and Vietnamese, lurkers and floods.
The daemon records it all in a SQLite file in a temporary folder (or --db),
serves /metrics, /healthz and /readyz on --listen, and prints live figures.

It runs in owner mode, with the fake channel owner's OAuth token: the event
finds its stream among the channel's broadcasts (liveBroadcasts.list)
instead of a pasted video id, and each checkpoint is announced in the chat
(liveChatMessages.insert) when it opens. --owner=false reads with an API key
and the video id given, as an event without the owner's token does.

When the event is over it keeps serving until Ctrl-C, or exits with
--until-ended. After the stream it imports a generated assessment form;
with --mail it then mails each person their certificate to an SMTP server
of its own on loopback, which keeps the messages as .eml files.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if err := d.checkFlags(); err != nil {
				return err
			}
			if speed <= 0 {
				return usagef("--speed must be above 0")
			}
			if !cmd.Flags().Changed("db") {
				dir, err := os.MkdirTemp("", "rollcall-demo-")
				if err != nil {
					return err
				}
				a.db = filepath.Join(dir, "rollcall.db")
			}
			fmt.Fprintf(a.stderr, "rollcall demo: database %s\n", a.db)
			clock := fakeyoutube.NewSpeedClock(time.Now().UTC(), speed)
			st, closeStore, err := a.openDaemonStore(ctx, store.WithClock(clock.Now))
			if err != nil {
				return err
			}
			defer closeStore()

			script, ev, forms, err := seedDemo(ctx, st, clock.Now(), people, owner)
			if err != nil {
				return err
			}
			// The channel owner's broadcasts and posts are this channel's.
			script.ChannelID = demoOwnerChannel
			fake := fakeyoutube.New(clock, fakeyoutube.Options{OwnerChannelID: demoOwnerChannel})
			scripted, err := fake.AddEvent(script)
			if err != nil {
				return err
			}
			fakeURL, stopFake, err := serveLoopback(fake)
			if err != nil {
				return err
			}
			defer stopFake()
			gln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			go func() { _ = fake.ServeGRPC(gln) }()
			defer fake.StopGRPC()
			fmt.Fprintf(a.stderr, "rollcall demo: event %q, %d registrations, %d chat messages scripted, fake YouTube at %s, %gx speed\n",
				ev.Slug, people, scripted, fakeURL, speed)

			d.store = st
			d.now = clock.Now // checkpoints opened on the dashboard run on the event's time
			d.registry = newRegistry()
			metrics, err := collector.NewMetrics(d.registry)
			if err != nil {
				return err
			}
			// The channel owner's OAuth grant, from a fake OAuth server: the
			// demo reads as the owner, with the API key as the fallback, and
			// checks the grant as serve does (rollcall_oauth_grant_valid).
			tokens, closeOAuth, err := demoOwnerGrant(ctx)
			if err != nil {
				return err
			}
			defer closeOAuth()
			if d.grant, err = collector.NewGrantMonitor(d.registry, collector.GrantMonitor{Source: tokens, Need: collector.NeededScopes(owner, true),
				FallbackKey: true, Log: a.log}); err != nil {
				return err
			}
			if err := d.grant.Check(ctx); err != nil {
				return err
			}
			yt, err := collector.NewYouTube(ctx, collector.YouTubeConfig{TokenSource: tokens, FallbackAPIKey: "demo",
				Endpoint: fakeURL + "/", Metrics: metrics})
			if err != nil {
				return err
			}
			var ownerSide collector.OwnerSource // discovery and announcements
			if owner {
				ownerSide = yt
			}
			// YouTube Analytics, from a fake that publishes at once (YouTube
			// lags 24–72 h): the reach report gets its Analytics section a
			// minute after the stream ends.
			closeAnalytics, err := d.demoReach(ctx, a, st, tokens, clock, script, metrics)
			if err != nil {
				return err
			}
			defer closeAnalytics()
			var streamer collector.ChatStreamer
			switch chatSource {
			case "stream":
				s, err := collector.NewStreamSource(ctx, collector.StreamConfig{Endpoint: gln.Addr().String(), Insecure: true, APIKey: "demo", Metrics: metrics})
				if err != nil {
					return err
				}
				defer s.Close()
				streamer = s
			case "poll":
			default:
				return usagef("--chat-source %q: expected stream or poll", chatSource)
			}
			// The chat lease runs on the demo's fast clock: 15 s of the
			// event would be a fraction of a wall second, which a busy
			// machine misses, and the one replica would lose its own lease
			// ("lost to another replica"). Fifteen wall seconds it is.
			d.collector, err = collector.New(collector.Config{QuotaProject: "demo", QuotaDaily: 10000, EventDuration: script.Length, Clock: clock,
				Streamer: streamer, Owner: ownerSide, LeaseTTL: time.Duration(float64(15*time.Second) * speed)}, yt, st, metrics, a.log)
			if err != nil {
				return err
			}
			password, err := dashboard.CreateAdmin(ctx, st, demoAdmin)
			if err != nil {
				return err
			}
			d.onListen = func(addr string) {
				host := loopbackHost(addr)
				fmt.Fprintf(a.stderr, "\nrollcall demo: dashboard at http://%s/events/%s\n  sign in as %s with password %s (shown once)\n  metrics at http://%s/metrics\n\n",
					host, ev.Slug, demoAdmin, password, host)
			}
			// The demo's own address is its public URL, so certificate QR
			// codes, the PDFs and /verify work on it.
			if d.publicURL == "" {
				ln, err := net.Listen("tcp", d.listen)
				if err != nil {
					return usagef("--listen %s: %v", d.listen, err)
				}
				d.listener = ln
				d.publicURL = "http://" + loopbackHost(ln.Addr().String())
			}
			if d.issuerName == "" {
				d.issuerName = "SEAMEO Secretariat (demo)"
			}
			var box *demoMailbox
			if mailDemo {
				if box, err = startDemoMailbox(filepath.Join(filepath.Dir(a.db), "mail")); err != nil {
					return err
				}
				defer box.Close()
			}
			publicURL := d.publicURL
			d.whileRunning = func(ctx context.Context) {
				go func() {
					if a.demoFormsAfterTheStream(ctx, st, ev, forms, formsDue(script), clock) && box != nil {
						a.demoMailCertificates(ctx, st, ev, box, publicURL)
					}
				}()
				a.demoFigures(ctx, st, ev.Slug, clock, d.collector)
			}
			return d.run(ctx, a)
		},
	}
	f := cmd.Flags()
	d.bindFlags(f)
	f.Float64Var(&speed, "speed", 40, "how many times faster than real time the event plays (40: two hours in three minutes)")
	f.IntVar(&people, "registrations", 400, "how many people register for the sample event")
	f.BoolVar(&owner, "owner", true, "owner mode: the fake channel owner's OAuth token, the stream discovered and checkpoints announced in the chat; false: an API key and the video id given")
	f.BoolVar(&mailDemo, "mail", false, "once the form is in, issue the certificates and mail each person theirs (PDF attached) to an SMTP server the demo runs on loopback, which keeps the messages as .eml files in a folder beside the database")
	f.StringVar(&chatSource, "chat-source", "stream", "how the demo reads chat from the fake: stream (streamList over gRPC, as against YouTube) or poll (liveChatMessages.list)")
	return cmd
}

// demoFigures prints the event's live figures every few seconds, and once
// more when the event is over.
func (a *app) demoFigures(ctx context.Context, st *store.Store, slug string, clock collector.Clock, c *collector.Collector) {
	tick := time.NewTicker(3 * time.Second)
	defer tick.Stop()
	print := func() {
		qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		sum, err := st.Summary(qctx, slug)
		if err != nil || len(sum.Streams) == 0 {
			return
		}
		s := sum.Streams[0]
		q := c.Health().Quota
		fmt.Fprintf(a.stderr, "%s  %-8s viewers peak %6d · chat %6d messages by %5d people · linked %d/%d · quota %d/%d\n",
			clock.Now().Format("15:04"), s.State, s.PeakConcurrentViewers, s.ChatMessages, s.ChatAuthors, sum.Linked, sum.Registrations, q.Used, q.Daily)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.Done():
			print()
			fmt.Fprintln(a.stderr, "rollcall demo: the event is over and its chat is drained; Ctrl-C to stop")
			<-ctx.Done()
			return
		case <-tick.C:
			print()
		}
	}
}

// demoNames are registrants' names in the region's scripts.
var demoNames = []string{
	"สมศักดิ์ ศรีสุข", "ณัฐวุฒิ ทองดี", "សុខ ស្រីពេជ្រ", "ចាន់ ស្រ៊ីម៉ៅ", "ສົມສັກ ພົມມະວົງ", "ນາງ ແກ້ວ",
	"အောင်ဆန်းစုကြည်", "မင်္ဂလာ ထွန်း", "Nguyễn Thị Ngọc Ánh", "Trần Văn Hưng", "Siti Nurhaliza binti Tarudin",
	"Maria Clara dela Cruz", "Budi Santoso", "Nur Aisyah", "Ahmad Faizal", "Lim Wei Ling",
}

var demoCountries = []string{"Thailand", "Cambodia", "Lao PDR", "Myanmar", "Viet Nam", "Malaysia", "Philippines", "Indonesia", "Brunei Darussalam", "Singapore", "Timor-Leste"}

// seedDemo creates the sample event and its registrations, and returns the
// fake YouTube's script in which most registrants type their codes.
// demoForms are the assessment form answers the demo imports after its
// stream: most people who came send the form, a few who did not too, and
// two walk-ins nobody registered.
type demoForms []attendance.FormResponse

func seedDemo(ctx context.Context, st *store.Store, now time.Time, people int, owner bool) (fakeyoutube.EventScript, attendance.Event, demoForms, error) {
	rng := rand.New(rand.NewPCG(2026, 11))
	e := attendance.Event{
		Slug: "demo-" + now.Format("20060102-150405"), Title: "SEAMEO Policy Dialogue: Futures of Higher Education and Open Learning",
		TimeZone: "Asia/Bangkok", Policy: attendance.DefaultPolicy(), VideoIDs: []string{demoVideoID},
	}
	if owner {
		// The stream is found among the owner's broadcasts, scheduled
		// today in Bangkok, and the checkpoints are announced in its chat.
		e.VideoIDs = nil
		from, to := attendance.DayWindow(now.Add(2*time.Minute), e.Location())
		e.Discovery = attendance.Discovery{On: true, Match: "^SEAMEO Policy Dialogue", From: from, To: to}
		e.Announce = true
	}
	ev, err := st.CreateEvent(ctx, e)
	if err != nil {
		return fakeyoutube.EventScript{}, ev, nil, err
	}
	regs := make([]attendance.Registration, people)
	for i := range regs {
		role := attendance.RoleParticipant
		switch {
		case i < 3:
			role = attendance.RoleSpeaker
		case i < 6:
			role = attendance.RolePanelist
		case i == 6:
			role = attendance.RoleModerator
		}
		regs[i] = attendance.Registration{
			FullName: attendance.NormalizeName(fmt.Sprintf("%s %d", demoNames[i%len(demoNames)], i+1)),
			Email:    fmt.Sprintf("teacher%04d@school%02d.example.org", i+1, i%37),
			Country:  demoCountries[rng.IntN(len(demoCountries))], Org: fmt.Sprintf("School %d", i%37+1), Role: role,
		}
	}
	if _, err := st.ImportRegistrations(ctx, ev.ID, regs, false); err != nil {
		return fakeyoutube.EventScript{}, ev, nil, err
	}
	start := now.Add(2 * time.Minute)
	script := fakeyoutube.EventScript{
		VideoID: demoVideoID, Title: ev.Title, Start: start, Length: 2 * time.Hour, PeakViewers: 4800, Seed: 2026,
		Checkpoints: []fakeyoutube.CheckpointWindow{
			{Word: "mango", OpensAt: start.Add(30 * time.Minute), ClosesAt: start.Add(40 * time.Minute)},
			{Word: "Phở", OpensAt: start.Add(60 * time.Minute), ClosesAt: start.Add(70 * time.Minute)},
			{Word: "sabai", OpensAt: start.Add(95 * time.Minute), ClosesAt: start.Add(105 * time.Minute)},
		},
	}
	for _, c := range script.Checkpoints {
		if _, err := st.AddCheckpoint(ctx, ev.ID, c.Word, c.OpensAt, c.ClosesAt); err != nil {
			return script, ev, nil, err
		}
	}
	i := 0
	var forms demoForms
	formAt := script.Start.Add(script.Length + 20*time.Minute)
	err = st.EachRegistration(ctx, ev.ID, func(r attendance.Registration) error {
		i++
		came := rng.Float64() < 0.8 // four in five registrants come and type their code
		if came {
			script.Attendees = append(script.Attendees, fakeyoutube.Attendee{
				ChannelID: fmt.Sprintf("UCdemo%018d", i), Name: r.FullName, Code: attendance.FormatCode(r.Code)})
		}
		if came && rng.Float64() < 0.85 || !came && rng.Float64() < 0.1 {
			forms = append(forms, attendance.FormResponse{Email: r.Email, CertificateName: r.FullName,
				SubmittedAt: formAt.Add(time.Duration(rng.IntN(3600)) * time.Second)})
		}
		return nil
	})
	forms = append(forms, attendance.FormResponse{Email: "walk-in.one@example.org", CertificateName: "Walk-in One", SubmittedAt: formAt},
		attendance.FormResponse{Email: "walk-in.two@example.org", CertificateName: "Walk-in Two", SubmittedAt: formAt})
	if err != nil {
		return script, ev, nil, err
	}
	if len(script.Attendees) == 0 {
		return script, ev, nil, errors.New("demo: no attendees")
	}
	return script, ev, forms, nil
}

// demoOwnerGrant serves a fake Google OAuth server on loopback and returns a
// token source over a grant it made (reading and Analytics), as 'rollcall auth
// login' leaves in a token file.
func demoOwnerGrant(ctx context.Context) (*collector.RefreshingTokenSource, func(), error) {
	o := fakeyoutube.NewOAuth(fakeyoutube.OAuthOptions{ClientID: "demo-client", ClientSecret: "demo-secret", AccessToken: "demo-owner-token"})
	url, stop, err := serveLoopback(o)
	if err != nil {
		return nil, nil, err
	}
	cfg := collector.GoogleOAuthConfig("demo-client", "demo-secret", collector.ScopeReadOnly)
	collector.SetOAuthEndpoint(cfg, url)
	// youtube: the demo announces checkpoints in the chat (owner mode).
	tok := &oauth2.Token{RefreshToken: o.IssueRefreshToken(collector.ScopeYouTube, collector.ScopeAnalytics)}
	return collector.NewRefreshingTokenSource(ctx, cfg, tok, nil), stop, nil
}

// demoReach serves a fake YouTube Analytics API with figures in keeping with
// the script (viewers from across the region, live and a first replay) and
// sets the daemon's reach fetcher on it, checking every fake minute.
func (d *daemon) demoReach(ctx context.Context, a *app, st *store.Store, tokens oauth2.TokenSource, clock collector.Clock,
	script fakeyoutube.EventScript, metrics *collector.Metrics) (func(), error) {
	pacific, err := collector.LoadPacific()
	if err != nil {
		return nil, err
	}
	fake := fakeyoutube.NewAnalytics("demo-owner-token", 0, clock.Now)
	live := int64(script.PeakViewers) * 13 / 10
	fake.SetVideo(script.VideoID, []fakeyoutube.AnalyticsDay{{
		Date: script.Start.In(pacific).Format(time.DateOnly), LiveViews: live, LiveMinutes: live * 41, LiveSubscribers: live / 90,
		OnDemandViews: live / 6, OnDemandMinutes: live / 6 * 17, OnDemandSubscrs: live / 400,
		Countries: map[string]int64{"TH": live * 22 / 100, "VN": live * 19 / 100, "PH": live * 17 / 100, "ID": live * 15 / 100,
			"MY": live * 9 / 100, "KH": live * 6 / 100, "LA": live * 4 / 100, "MM": live * 4 / 100, "SG": live * 2 / 100,
			"BN": live / 100, "TL": live / 100},
	}})
	url, stop, err := serveLoopback(fake)
	if err != nil {
		return nil, err
	}
	an, err := collector.NewAnalytics(ctx, collector.AnalyticsConfig{TokenSource: tokens, Endpoint: url + "/", Metrics: metrics})
	if err != nil {
		stop()
		return nil, err
	}
	d.reach = &collector.Reach{Analytics: an, Store: st, Clock: clock, Every: time.Minute, Project: "demo", Log: a.log}
	return stop, nil
}

// serveLoopback serves h on a free loopback port (the demo's fakes) and
// returns its base URL and how to stop it.
func serveLoopback(h http.Handler) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// loopbackHost is addr with an unspecified host (":8080", "0.0.0.0:8080")
// made 127.0.0.1, for an address to print or link to.
func loopbackHost(addr string) string {
	if h, p, err := net.SplitHostPort(addr); err == nil && (h == "" || h == "::" || h == "0.0.0.0") {
		return net.JoinHostPort("127.0.0.1", p)
	}
	return addr
}

// formsDue is when the demo's assessment form closes: twenty minutes after
// the stream, as staff export it.
func formsDue(script fakeyoutube.EventScript) time.Time {
	return script.Start.Add(script.Length + 20*time.Minute)
}

// demoFormsAfterTheStream imports the assessment form answers once the form
// has closed, as staff do after the event: the certificates page then
// shows participation certificates.
// It reports whether it imported them.
func (a *app) demoFormsAfterTheStream(ctx context.Context, st *store.Store, ev attendance.Event, forms demoForms, due time.Time, clock collector.Clock) bool {
	for clock.Now().Before(due) {
		select {
		case <-ctx.Done():
			return false
		case <-clock.After(time.Minute):
		}
	}
	res, err := st.ImportFormResponses(ctx, ev.ID, forms, false)
	if err != nil {
		a.log.Error("demo: import the assessment form", "err", err)
		return false
	}
	if err := st.Audit(ctx, "demo", "forms.import", ev.ID, "demo-form.csv", fmt.Sprintf("%d responses", len(forms))); err != nil {
		a.log.Warn("demo: audit the form import", "err", err)
	}
	a.log.Info("demo: assessment form imported", "responses", len(forms), "matched", res.Matched, "new", res.NewRegistrations)
	return true
}
