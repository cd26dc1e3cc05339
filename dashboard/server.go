package dashboard

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seameo/rollcall/attendance"
)

//go:embed templates static
var assets embed.FS

// The dashboard reads and writes through the small interfaces below, one
// per page; it imports no store. cmd hands over the store, which satisfies
// them all (Store), and the dashboard's tests use the real store too.

// EventStore lists, reads and creates events: the events page and every
// event page.
type EventStore interface {
	Events(ctx context.Context) ([]attendance.Event, error)
	Event(ctx context.Context, slug string) (attendance.Event, error)
	CreateEvent(ctx context.Context, e attendance.Event) (attendance.Event, error)
}

// LiveStore reads the live page's figures (the page, its event stream and
// live.json): counters and small aggregates, never a scan of the chat.
type LiveStore interface {
	RegistrationCount(ctx context.Context, eventID int64) (int64, error)
	LinkedCount(ctx context.Context, eventID int64) (int64, error)
	LiveStreams(ctx context.Context, eventID int64) ([]attendance.LiveStream, error)
	ViewerSamples(ctx context.Context, eventID int64, since time.Time, limit int) ([]attendance.ViewerSample, error)
	ChatPerMinute(ctx context.Context, eventID, fromMinute int64) ([]attendance.MinuteCount, error)
	DistinctChatters(ctx context.Context, eventID int64) (int64, error)
	LinkedByCountry(ctx context.Context, eventID int64) ([]attendance.CountryFigures, error)
	RecentCheckIns(ctx context.Context, eventID int64, limit int) ([]attendance.CheckIn, error)
	Checkpoints(ctx context.Context, eventID int64) ([]attendance.Checkpoint, error)
	// Gaps are the spans of chat the API no longer served (import a replay
	// file for them); MembersOnlyNotices the checkpoints during which a
	// chat was members-only.
	Gaps(ctx context.Context, eventID int64) ([]attendance.Gap, error)
	MembersOnlyNotices(ctx context.Context, eventID int64) ([]attendance.MembersOnlyNotice, error)
	// Announcements are the event's checkpoint announcements (owner mode):
	// the failed ones are shown.
	Announcements(ctx context.Context, eventID int64) ([]attendance.Announcement, error)
}

// CheckpointStore opens and closes checkpoints (the live page's admin
// form); both audit in the staff member's name.
type CheckpointStore interface {
	AddCheckpoint(ctx context.Context, eventID int64, word string, opensAt, closesAt time.Time) (attendance.Checkpoint, error)
	CloseCheckpoint(ctx context.Context, eventID int64, number int, at time.Time) error
}

// PeopleStore serves the registrations and person pages: the import, the
// search, one person's decision and timeline, a manual link and an
// override (both audited by the store in the staff member's name).
type PeopleStore interface {
	ImportRegistrations(ctx context.Context, eventID int64, regs []attendance.Registration, dryRun bool) (attendance.ImportResult, error)
	SearchRegistrations(ctx context.Context, eventID int64, query string, limit int) ([]attendance.Registration, error)
	Decision(ctx context.Context, eventID, registrationID int64) (attendance.Decision, error)
	Timeline(ctx context.Context, eventID, registrationID int64) ([]attendance.TimelineEntry, error)
	LinkManually(ctx context.Context, eventID, registrationID int64, channelID, staff, note string) error
	AddOverride(ctx context.Context, eventID, registrationID int64, cert attendance.CertificateType, why, staff string) error
	// PersonOutbox is the person's mail, oldest first (their delivery
	// state); ResendMail queues one more copy of their latest message of
	// a kind, audited in staff's name, for the next mail run to send.
	PersonOutbox(ctx context.Context, registrationID int64) ([]attendance.OutboxEntry, error)
	ResendMail(ctx context.Context, eventID, registrationID int64, kind attendance.MailKind, staff string) error
}

// PeopleTableStore reads the people table: every registration with its
// evidence and decision, from one snapshot, indexed for filters, counts
// and keyset pages (the certificates page lists decisions through it too).
type PeopleTableStore interface {
	PeopleIndex(ctx context.Context, eventID int64) (*attendance.PeopleIndex, error)
	// PeopleStamp changes whenever what an index is read from changes: an
	// index whose stamp is unchanged need not be read again.
	PeopleStamp(ctx context.Context, eventID int64) (string, error)
}

// FormStore lists the form submissions that match no registration (the
// forms page).
type FormStore interface {
	UnmatchedForms(ctx context.Context, eventID int64) ([]attendance.FormResponse, error)
}

// CertificateStore serves the certificates page: Decisions only reads;
// Issue gives ids to the certificates decided and not issued yet,
// auditing it in the staff member's name.
type CertificateStore interface {
	Decisions(ctx context.Context, eventID int64, fn func(attendance.Decision) error) error
	Issue(ctx context.Context, eventID int64, staff string) (attendance.IssueResult, error)
}

// MailStore serves the mail pages: an event's own templates of each kind
// (set and reset audited by the store in the staff member's name), the
// outbox's counts, and reminders to the people of a filter, queued as one
// batch and audited with the filter.
type MailStore interface {
	MailTemplate(ctx context.Context, eventID int64, kind attendance.MailKind) (attendance.MailTemplate, bool, error)
	SetMailTemplate(ctx context.Context, eventID int64, t attendance.MailTemplate, staff string) error
	ResetMailTemplate(ctx context.Context, eventID int64, kind attendance.MailKind, staff string) (bool, error)
	OutboxCounts(ctx context.Context, eventID int64, kind attendance.MailKind) (map[attendance.MailState]int, error)
	QueueReminders(ctx context.Context, eventID int64, registrationIDs []int64, batch, staff, detail string) (int, error)
}

// SessionStore signs staff in and keeps their sessions.
type SessionStore interface {
	StaffUserByEmail(ctx context.Context, email string) (attendance.StaffUser, error)
	RecordSignInSuccess(ctx context.Context, userID int64) error
	CreateStaffSession(ctx context.Context, ss attendance.StaffSession) error
	StaffSessionUser(ctx context.Context, tokenHash string) (attendance.StaffSession, attendance.StaffUser, error)
	TouchStaffSession(ctx context.Context, tokenHash string, t time.Time) error
	DeleteStaffSession(ctx context.Context, tokenHash string) error
	DeleteExpiredStaffSessions(ctx context.Context, now, idleBefore time.Time) (int64, error)
}

// ReportStore reads what the reach report shows beyond the live figures:
// YouTube Analytics' figures of the event's videos, and people linked over
// time (chat per minute over the whole event is LiveStore's ChatPerMinute
// from minute 0).
type ReportStore interface {
	EventReach(ctx context.Context, eventID int64) ([]attendance.VideoReach, error)
	// LinkedPerMinute counts the people first linked in each minute.
	LinkedPerMinute(ctx context.Context, eventID int64) ([]attendance.MinuteCount, error)
}

// Auditor writes an audit row for what the dashboard itself does (sign-in,
// downloads); actor is the staff member, never empty.
type Auditor interface {
	Audit(ctx context.Context, actor, action string, eventID int64, subject, detail string) error
}

// Store is everything the dashboard asks of the store, plus Ping for
// /readyz: one value, as the daemon wires it.
type Store interface {
	Ping(ctx context.Context) error
	EventStore
	LiveStore
	CheckpointStore
	PeopleStore
	PeopleTableStore
	FormStore
	CertificateStore
	MailStore
	ReportStore
	SessionStore
	Auditor
}

// CollectorHealth is what the collector reports about itself.
type CollectorHealth struct {
	Running     bool
	LastPoll    time.Time
	Errors      int64  // errors since start
	LastError   string // short, with no secret in it
	Backoff     time.Duration
	QuotaPaused bool
	PausedUntil time.Time
}

// QuotaStatus is the collector's view of today's YouTube API quota.
type QuotaStatus struct {
	Project             string // the Cloud project whose daily quota this is
	Used, Limit         int64
	ProjectedExhaustion time.Time // zero when the quota lasts the day
}

// Config configures a Server. Zero values are sensible defaults; only the
// store passed to New is required.
type Config struct {
	Logger *slog.Logger
	// Gatherer is served at /metrics (a registry built in cmd, never the
	// default one); nil serves an empty exposition.
	Gatherer prometheus.Gatherer
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// SecureCookies marks cookies Secure and names the session cookie
	// "__Host-rollcall_session"; set it when served over TLS (directly or
	// behind a TLS proxy). Over plain http the cookie is "rollcall_session".
	SecureCookies bool
	// Ready reports whether the collectors run (for /readyz); nil means ready.
	Ready func() error
	// Health returns the collector's health for the live page; optional.
	Health func(ctx context.Context) CollectorHealth
	// QuotaStatus returns the collector's live quota figures; optional (the
	// dashboard then reads the quota ledger, with DailyQuota as the limit).
	QuotaStatus func(ctx context.Context) QuotaStatus
	// DailyQuota is the daily quota in units (default 10000).
	DailyQuota int64
	// ExportAttendance and ExportCertificates write the CSV exports
	// (export.Attendance and export.Certificates bound to the store).
	ExportAttendance   func(ctx context.Context, eventID int64, w io.Writer) error
	ExportCertificates func(ctx context.Context, eventID int64, w io.Writer, format string) error
	// ImportForms reads an assessment form export and imports it, returning
	// a one-line summary; optional.
	ImportForms func(ctx context.Context, eventID int64, r io.Reader, name string) (string, error)
	// Verify serves GET /verify/{id} to anyone (the certificate check page);
	// nil answers 404.
	Verify http.Handler
	// Certificates renders certificates, previews templates and edits them
	// for the admin pages; nil answers 404 for the PDF download, the
	// previews and the template editor, and hides them.
	Certificates Certificates
	// IssuerDocument is served to anyone at GET /issuer: the Open Badges
	// issuer profile with its public key (badges.IssuerKeyDocument), which
	// the "kid" of signed credentials points to; nil answers 404.
	IssuerDocument []byte
	// StatusList returns an event's revocation status list (a W3C
	// Bitstring Status List credential, signed as the badges are) and its
	// content type, served to anyone at GET /status/{event}/revocation,
	// the URL every badge's credentialStatus names; nil answers 404, and
	// so does an error of code ENotFound.
	StatusList func(ctx context.Context, eventSlug string) (body []byte, contentType string, err error)
	// Now is the clock (default time.Now).
	Now func() time.Time
	// LiveInterval is the time between server-sent updates (default 2 s).
	LiveInterval time.Duration
	// SnapshotTTL is how long a computed live snapshot is shared (default 1 s).
	SnapshotTTL time.Duration
	// IdleTimeout and AbsoluteTimeout bound sessions (default 12 h, 7 days).
	IdleTimeout, AbsoluteTimeout time.Duration
	// SignInPerMinute is how many sign-ins one client address may try a
	// minute, in bursts of as many (default 20); TrustedProxies are the
	// reverse proxies whose X-Forwarded-For names the client (as for
	// /verify). Repeated failures of one address on one account back off
	// on top of that; no account is ever locked for everyone.
	SignInPerMinute int
	TrustedProxies  []netip.Prefix
	// MaxConcurrentSignIns bounds the password checks that run at once,
	// each Argon2id over 19 MiB (default GOMAXPROCS, at most 4: a large
	// machine needs no more to sign staff in, and 4 checks stay under
	// 100 MiB); a sign-in that finds them all taken for half a second is
	// answered 429.
	MaxConcurrentSignIns int
	// Registerer takes the dashboard's own metrics (the sign-in throttle's
	// counter); nil registers nothing.
	Registerer prometheus.Registerer
	// MaxStreamLife ends a live page's event stream after this long
	// (default 1 h); the browser's EventSource reconnects at once, through
	// the session check.
	MaxStreamLife time.Duration
	// PeopleTTL is how long the people table's index of an event (every
	// decision, read at once) is shared by staff before it is read again
	// in the background (default 5 s); a change made in the dashboard
	// drops it at once. Negative: read it for every request.
	PeopleTTL time.Duration
	// MaxUpload is the largest upload accepted (default 32 MiB).
	MaxUpload int64
}

// maxDefaultSignIns caps the default of MaxConcurrentSignIns.
const maxDefaultSignIns = 4

func (c *Config) defaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.DailyQuota == 0 {
		c.DailyQuota = 10000
	}
	if c.LiveInterval == 0 {
		c.LiveInterval = 2 * time.Second
	}
	if c.SnapshotTTL == 0 {
		c.SnapshotTTL = time.Second
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 12 * time.Hour
	}
	if c.AbsoluteTimeout == 0 {
		c.AbsoluteTimeout = 7 * 24 * time.Hour
	}
	if c.SignInPerMinute <= 0 {
		c.SignInPerMinute = 20
	}
	if c.MaxConcurrentSignIns <= 0 {
		c.MaxConcurrentSignIns = min(runtime.GOMAXPROCS(0), maxDefaultSignIns)
	}
	if c.MaxStreamLife <= 0 {
		c.MaxStreamLife = time.Hour
	}
	if c.PeopleTTL == 0 {
		c.PeopleTTL = 5 * time.Second
	}
	if c.MaxUpload == 0 {
		c.MaxUpload = 32 << 20
	}
}

// Server is the dashboard. Create it with New; it is safe for concurrent use.
type Server struct {
	cfg   Config
	st    Store
	log   *slog.Logger
	pages map[string]*template.Template
	mux   *http.ServeMux
	h     http.Handler

	liveMu sync.Mutex
	live   map[int64]*liveEntry
	events map[string]cachedEvent
	people map[int64]*peopleEntry

	sessions sessionCache
	signIns  *signInGuard

	done     chan struct{} // closed when Serve begins shutting down: SSE streams end
	doneOnce sync.Once
}

// New returns a dashboard over st.
func New(cfg Config, st Store) (*Server, error) {
	cfg.defaults()
	s := &Server{cfg: cfg, st: st, log: cfg.Logger, live: map[int64]*liveEntry{}, events: map[string]cachedEvent{}, people: map[int64]*peopleEntry{}, done: make(chan struct{})}
	guard, err := newSignInGuard(&s.cfg)
	if err != nil {
		return nil, err
	}
	s.signIns = guard
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s.pages = pages
	s.routes()
	return s, nil
}

// Handler returns the dashboard's HTTP handler.
func (s *Server) Handler() http.Handler { return s.h }

// Serve serves the dashboard on ln until ctx is done, then shuts down
// gracefully: live streams end, requests in flight get up to 3 s (the
// daemon stops within 5 s of SIGTERM).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.h,
		ReadHeaderTimeout: 10 * time.Second,
		// A whole request, body included, within readTimeout: a body
		// trickled a byte at a time cannot hold a connection. Signed-in
		// uploads get longer (staff), the live stream has no limit (it
		// reads nothing); no WriteTimeout, since a download of an event's
		// certificates may take minutes.
		ReadTimeout: readTimeout,
		IdleTimeout: 2 * time.Minute,
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("dashboard listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("dashboard: serve: %w", err)
	case <-ctx.Done():
	}
	s.doneOnce.Do(func() { close(s.done) })
	sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("dashboard: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("dashboard: serve: %w", err)
	}
	return nil
}

// readTimeout bounds reading a request, body included; uploadReadTimeout
// a signed-in staff member's upload (up to MaxUpload over a slow link).
const (
	readTimeout       = 30 * time.Second
	uploadReadTimeout = 10 * time.Minute
)

// Run is Serve under the name the other components use.
func (s *Server) Run(ctx context.Context, ln net.Listener) error { return s.Serve(ctx, ln) }

func (s *Server) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(assets, "static")
	m.Handle("GET /static/", http.StripPrefix("/static/", staticHandler(static)))
	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /readyz", s.readyz)
	m.HandleFunc("GET /metrics", s.metrics)
	m.HandleFunc("GET /verify/{id}", s.verify)
	m.HandleFunc("GET /verify/{id}/pdf", s.verify)
	m.HandleFunc("GET /issuer", s.issuer)
	m.HandleFunc("GET /status/{event}/revocation", s.statusList)
	m.HandleFunc("GET /signin", s.signInPage)
	m.HandleFunc("POST /signin", s.signIn)
	m.HandleFunc("POST /signout", s.staff(s.signOut))

	m.HandleFunc("GET /{$}", s.staff(func(w http.ResponseWriter, r *http.Request, _ *session) {
		http.Redirect(w, r, "/events", http.StatusSeeOther)
	}))
	m.HandleFunc("GET /events", s.staff(s.eventsPage))
	m.HandleFunc("POST /events", s.admin(s.createEvent))
	m.HandleFunc("GET /events/{slug}", s.staff(s.livePage))
	m.HandleFunc("GET /events/{slug}/live", s.staff(s.liveStream))
	m.HandleFunc("GET /events/{slug}/live.json", s.staff(s.liveJSON))
	m.HandleFunc("POST /events/{slug}/checkpoints", s.admin(s.openCheckpoint))
	m.HandleFunc("POST /events/{slug}/checkpoints/{number}/close", s.admin(s.closeCheckpoint))
	m.HandleFunc("GET /events/{slug}/registrations", s.admin(s.registrationsPage))
	m.HandleFunc("POST /events/{slug}/registrations", s.admin(s.importRegistrations))
	m.HandleFunc("GET /events/{slug}/people", s.admin(s.peoplePage))
	m.HandleFunc("GET /events/{slug}/exports/people.csv", s.admin(sameSite(s.exportPeople)))
	m.HandleFunc("GET /events/{slug}/registrations/{id}", s.admin(s.personPage))
	m.HandleFunc("POST /events/{slug}/registrations/{id}/link", s.admin(s.linkPerson))
	m.HandleFunc("POST /events/{slug}/registrations/{id}/override", s.admin(s.overridePerson))
	m.HandleFunc("POST /events/{slug}/registrations/{id}/resend", s.admin(s.resendMail))
	m.HandleFunc("GET /events/{slug}/people/remind", s.admin(s.remindPage))
	m.HandleFunc("POST /events/{slug}/people/remind", s.admin(s.queueReminders))
	m.HandleFunc("GET /events/{slug}/mail", s.admin(s.mailPage))
	m.HandleFunc("GET /events/{slug}/mail/{kind}", s.admin(s.mailKindPage))
	m.HandleFunc("POST /events/{slug}/mail/{kind}", s.admin(s.saveMailTemplate))
	m.HandleFunc("POST /events/{slug}/mail/{kind}/reset", s.admin(s.resetMailTemplate))
	m.HandleFunc("GET /events/{slug}/mail/{kind}/preview.html", s.admin(s.mailPreviewHTML))
	m.HandleFunc("GET /events/{slug}/forms", s.admin(s.formsPage))
	m.HandleFunc("POST /events/{slug}/forms", s.admin(s.importForms))
	m.HandleFunc("GET /events/{slug}/certificates", s.staff(s.certificatesPage))
	m.HandleFunc("POST /events/{slug}/certificates/issue", s.admin(s.issueCertificates))
	m.HandleFunc("POST /events/{slug}/certificates/override", s.admin(s.bulkOverride))
	m.HandleFunc("GET /events/{slug}/exports/attendance.csv", s.admin(sameSite(s.exportAttendance)))
	m.HandleFunc("GET /events/{slug}/exports/certificates.csv", s.admin(sameSite(s.exportCertificates)))
	// The PDFs need every id, so the download issues the missing ones
	// first: a POST, never a GET, since looking never writes.
	m.HandleFunc("POST /events/{slug}/exports/certificates.zip", s.admin(s.exportCertificatePDFs))
	m.HandleFunc("GET /events/{slug}/certificates/preview/{file}", s.admin(s.previewCertificate))
	m.HandleFunc("GET /events/{slug}/certificates/templates/{type}", s.admin(s.templatePage))
	m.HandleFunc("POST /events/{slug}/certificates/templates/{type}", s.admin(s.saveTemplate))
	m.HandleFunc("GET /events/{slug}/report", s.staff(s.reportPage))
	m.HandleFunc("/", s.notFound)
	s.mux = m

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "cross-origin request refused", http.StatusForbidden)
	}))
	s.h = securityHeaders(s.cfg.SecureCookies, cop.Handler(m))
}

// sameSite refuses a download that another site started: a link or an
// <img> elsewhere that points at a CSV export would otherwise have the
// browser fetch it with the staff member's cookie (SameSite=Lax lets a
// top-level GET through) and write an audit entry in their name. Browsers
// say where a request comes from in Sec-Fetch-Site; "same-origin" (the
// dashboard's own link) and "none" (typed in the address bar, a bookmark)
// pass. A request without the header (an old browser, curl) passes too:
// the session cookie still has to be there.
func sameSite(h staffHandler) staffHandler {
	return func(w http.ResponseWriter, r *http.Request, ss *session) {
		switch r.Header.Get("Sec-Fetch-Site") {
		case "", "same-origin", "none":
			h(w, r, ss)
		default:
			http.Error(w, "cross-site download refused: use the dashboard's own link", http.StatusForbidden)
		}
	}
}

// contentSecurityPolicy allows only the dashboard's own scripts, styles,
// images and connections, and no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// hsts keeps browsers on https for a year once they have seen it.
const hsts = "max-age=31536000"

// securityHeaders sets the headers every response carries; served over TLS
// (secure cookies), Strict-Transport-Security too.
func securityHeaders(tls bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if tls {
			h.Set("Strict-Transport-Security", hsts)
		}
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		next.ServeHTTP(w, r)
	})
}

// staticHandler serves the embedded files, and 404 for a folder: nothing
// lists what is there.
func staticHandler(fsys fs.FS) http.Handler {
	fh := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		if name == "" || strings.HasSuffix(name, "/") {
			http.NotFound(w, r)
			return
		}
		if fi, err := fs.Stat(fsys, name); err != nil || fi.IsDir() {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		fh.ServeHTTP(w, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok\n")
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	ctx, cancel := context.WithTimeout(r.Context(), storePingTimeout)
	defer cancel()
	if err := s.st.Ping(ctx); err != nil {
		s.log.Warn("readiness: database unreachable", "err", err)
		http.Error(w, "database unreachable", http.StatusServiceUnavailable)
		return
	}
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	io.WriteString(w, "ready\n")
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Verify == nil {
		s.notFound(w, r)
		return
	}
	s.cfg.Verify.ServeHTTP(w, r)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not found", http.StatusNotFound)
}

// httpStatus maps an error's code to an HTTP status, in this one place.
func httpStatus(err error) int {
	switch attendance.ErrorCode(err) {
	case attendance.EInvalid:
		return http.StatusBadRequest
	case attendance.ENotFound:
		return http.StatusNotFound
	case attendance.EConflict:
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// fail answers a request that went wrong: users see the safe message of a
// domain error, or a generic one (the details go to the log).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := httpStatus(err)
	msg := http.StatusText(code)
	var ae *attendance.Error
	var ie *attendance.InputError
	switch {
	case errors.As(err, &ie):
		msg = ie.Error()
	case errors.As(err, &ae) && code != http.StatusInternalServerError:
		msg = ae.Message
	}
	if code == http.StatusInternalServerError {
		if r.Context().Err() == nil {
			s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
	}
	http.Error(w, msg, code)
}
