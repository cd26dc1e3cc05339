package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/seameo/rollcall/attendance/export"
	"github.com/seameo/rollcall/attendance/forms"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/collector"
	"github.com/seameo/rollcall/dashboard"
)

// daemon is what `serve` and `demo` run: the collector, the dashboard (with
// /metrics, /healthz and /readyz) and the chat-text retention sweep, joined
// by an errgroup and stopped by cancelling ctx.
type daemon struct {
	listen         string
	untilEnded     bool
	metricsToken   string
	secureCookies  bool
	retainChatText time.Duration

	store     *store.Store
	registry  *prometheus.Registry
	collector *collector.Collector
	// grant checks the channel owner's OAuth grant hourly; nil with an
	// API key.
	grant *collector.GrantMonitor
	// reach fetches YouTube Analytics figures of ended streams (--analytics).
	reach *collector.Reach
	// onListen is told the address once the server listens.
	onListen func(addr string)
	// whileRunning runs beside the collector until ctx ends (the demo's
	// terminal figures).
	whileRunning func(ctx context.Context)
	// now is the dashboard's clock (the demo's plays faster); nil is the
	// wall clock.
	now func() time.Time
	// verify serves GET /verify/{id}, the public certificate check; run
	// builds it on the store when nil.
	verify http.Handler
	// issuerName is the organisation the verification page names as the
	// issuer of certificates (--issuer-name).
	issuerName string
	// trustedProxies (--trusted-proxies) are the reverse proxies whose
	// X-Forwarded-For the rate limits of /verify and /signin believe;
	// checkFlags parses them into proxies.
	trustedProxies string
	proxies        []netip.Prefix
	// listener, when set, is used instead of listening on listen (the demo
	// listens first to know its own public URL).
	listener net.Listener
	// publicURL (--public-url) and fontDir turn on the dashboard's
	// certificate PDF download and template editor with previews.
	publicURL, fontDir string
	// issuerKeyFile and issuerURL publish the Open Badges issuer profile
	// with its public key at GET /issuer (needs --public-url).
	issuerKeyFile, issuerURL string
}

// cookieWarning is the start-up warning of a dashboard served over https
// (by its --public-url) whose session cookies would also travel over plain
// http: without --secure-cookies there is no Secure flag and no HSTS.
func (d *daemon) cookieWarning() string {
	if d.secureCookies || !strings.HasPrefix(strings.ToLower(strings.TrimSpace(d.publicURL)), "https://") {
		return ""
	}
	return "--public-url is https but --secure-cookies is off: session cookies are not marked Secure and no Strict-Transport-Security is sent; set --secure-cookies (ROLLCALL_SECURE_COOKIES=true)"
}

// retentionSweep is how often chat text past --retain-chat-text is blanked.
const retentionSweep = time.Hour

// bindDaemonFlags binds the flags serve and demo share.
func (d *daemon) bindFlags(cmd interface {
	StringVar(*string, string, string, string)
	BoolVar(*bool, string, bool, string)
	DurationVar(*time.Duration, string, time.Duration, string)
}) {
	cmd.StringVar(&d.listen, "listen", ":8080", "address of the dashboard and /metrics; 127.0.0.1:0 picks a free port and logs it")
	cmd.BoolVar(&d.untilEnded, "until-ended", false, "exit 0 once every tracked stream has ended and its chat is drained")
	cmd.StringVar(&d.metricsToken, "metrics-token", "", "require this bearer token on /metrics (secret: prefer ROLLCALL_METRICS_TOKEN_FILE)")
	cmd.BoolVar(&d.secureCookies, "secure-cookies", false, "mark cookies Secure and use the __Host- session cookie: set it when served over TLS (directly or behind a proxy)")
	cmd.DurationVar(&d.retainChatText, "retain-chat-text", 720*time.Hour, "blank chat text and display names older than this (links and checkpoint hits stay)")
	cmd.StringVar(&d.trustedProxies, "trusted-proxies", "", "comma-separated addresses or CIDR ranges of the reverse proxies in front of the dashboard, whose X-Forwarded-For names the client for the /verify and /signin rate limits (e.g. 10.0.0.0/8)")
	cmd.StringVar(&d.issuerName, "issuer-name", "", "the organisation that issues the certificates, named on the public /verify/{id} page")
	cmd.StringVar(&d.publicURL, "public-url", "", "public base URL of the dashboard, which certificate QR codes point to (URL/verify/ID); turns on the dashboard's certificate PDFs")
	cmd.StringVar(&d.fontDir, "font-dir", "", "folder with the Noto fonts for certificates (default: Debian's fonts-noto-core)")
	cmd.StringVar(&d.issuerKeyFile, "issuer-key-file", "", "Ed25519 or RSA key that signs Open Badges credentials (mode 0600); its public half is served at /issuer (needs --public-url and --issuer-name)")
	cmd.StringVar(&d.issuerURL, "issuer-url", "", "the issuing organisation's home page, in the /issuer profile")
}

// checkFlags refuses bad daemon flags before anything starts.
func (d *daemon) checkFlags() error {
	proxies, err := dashboard.ParseTrustedProxies(d.trustedProxies)
	if err != nil {
		return usagef("--trusted-proxies: %v", err)
	}
	d.proxies = proxies
	return nil
}

func (d *daemon) run(ctx context.Context, a *app) error {
	st, c := d.store, d.collector
	if err := dashboard.RegisterMetrics(d.registry, st, version(), a.log.With("component", "metrics")); err != nil {
		return err
	}
	if warning := d.cookieWarning(); warning != "" {
		a.log.Warn(warning, "component", "dashboard")
	}
	certs, err := d.certificateHooks(st, a)
	if err != nil {
		return err
	}
	srv, err := dashboard.New(dashboard.Config{
		Logger:         a.log.With("component", "dashboard"),
		Gatherer:       d.registry,
		MetricsToken:   d.metricsToken,
		SecureCookies:  d.secureCookies,
		TrustedProxies: d.proxies,
		Registerer:     d.registry,
		Ready: func() error {
			if since := c.Health().WritesFailingSince; !since.IsZero() {
				return fmt.Errorf("the database refuses writes since %s", since.UTC().Format(time.RFC3339))
			}
			if !c.Ready() {
				return errors.New("collector not running")
			}
			return nil
		},
		Health:      func(context.Context) dashboard.CollectorHealth { return collectorHealth(c.Health()) },
		QuotaStatus: func(context.Context) dashboard.QuotaStatus { return quotaStatus(c.Health().Quota) },
		DailyQuota:  c.Health().Quota.Daily,
		ExportAttendance: func(ctx context.Context, eventID int64, w io.Writer) error {
			return export.Attendance(ctx, st, eventID, w)
		},
		ExportCertificates: func(ctx context.Context, eventID int64, w io.Writer, format string) error {
			return export.Certificates(ctx, st, eventID, w, format)
		},
		ImportForms: func(ctx context.Context, eventID int64, r io.Reader, name string) (string, error) {
			e, err := st.EventByID(ctx, eventID)
			if err != nil {
				return "", err
			}
			im, err := forms.Import(ctx, st, e, r, name, nil, false)
			if err != nil {
				return "", err
			}
			return im.String(), nil
		},
		Now:            d.now,
		Verify:         certs.verify,
		Certificates:   certs.certificates,
		IssuerDocument: certs.issuerDocument,
		StatusList:     certs.statusList,
	}, st)
	if err != nil {
		return err
	}
	ln := d.listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", d.listen); err != nil {
			return usagef("--listen %s: %v", d.listen, err)
		}
	}
	addr := ln.Addr().String()
	a.log.Info("listening", "component", "http", "addr", addr)
	if d.onListen != nil {
		d.onListen(addr)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := c.Run(gctx); err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("collector: %w", err)
		}
		return nil
	})
	g.Go(func() error { return srv.Serve(gctx, ln) })
	g.Go(func() error { d.sweepChatText(gctx, a); return nil })
	if d.grant != nil {
		g.Go(func() error { return d.grant.Run(gctx) })
	}
	if d.reach != nil {
		g.Go(func() error { return d.reach.Run(gctx) })
	}
	if d.whileRunning != nil {
		g.Go(func() error { d.whileRunning(gctx); return nil })
	}
	if d.untilEnded {
		g.Go(func() error {
			select {
			case <-c.Done():
				a.log.Info("every tracked stream has ended and its chat is drained")
				cancel()
			case <-gctx.Done():
			}
			return nil
		})
	}
	err = g.Wait()
	if err == nil {
		a.log.Info("stopped")
	}
	return err
}

// sweepChatText blanks chat text past the retention period now and then
// every retentionSweep, until ctx ends.
func (d *daemon) sweepChatText(ctx context.Context, a *app) {
	if d.retainChatText <= 0 {
		return
	}
	t := time.NewTicker(retentionSweep)
	defer t.Stop()
	for {
		n, err := d.store.PurgeChatText(ctx, time.Now().Add(-d.retainChatText))
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			a.log.Error("retention sweep failed", "component", "retention", "err", err)
		case n > 0:
			a.log.Info("chat text past retention blanked", "component", "retention", "messages", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// collectorHealth summarises the collector for the live page.
func collectorHealth(h collector.Health) dashboard.CollectorHealth {
	out := dashboard.CollectorHealth{Running: h.Running, Errors: int64(h.ListErrors), PausedUntil: h.Quota.PausedUntil,
		QuotaPaused: !h.Quota.PausedUntil.IsZero()}
	for _, p := range h.Pollers {
		if p.LastPoll.After(out.LastPoll) {
			out.LastPoll = p.LastPoll
		}
		out.Errors += int64(p.ConsecutiveErrors)
		if p.LastError != "" {
			out.LastError = p.LastError
		}
		if p.BackingOff && !p.NextPoll.IsZero() {
			out.Backoff = max(out.Backoff, time.Until(p.NextPoll))
		}
	}
	return out
}

func quotaStatus(q collector.QuotaStatus) dashboard.QuotaStatus {
	return dashboard.QuotaStatus{Project: q.Project, Used: q.Used, Limit: q.Daily, ProjectedExhaustion: q.ExhaustionAt}
}
