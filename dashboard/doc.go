// Package dashboard is rollcall's HTTP server: the staff web UI, the JSON API,
// CSV downloads, staff sign-in and sessions, /metrics, /healthz and /readyz.
// It holds no business rules and imports no store: it declares the small
// interfaces it reads and writes through, one per page (Store is all of
// them), and cmd hands it the store.
//
// # Pages
//
// Server-rendered with html/template; CSS, the one script and the icon are
// embedded and served from /static/, so the dashboard works offline. The
// live event page gets its figures as server-sent events
// (GET /events/{slug}/live, one "snapshot" event every LiveInterval, a
// comment line as heartbeat) and draws its charts as inline SVG.
//
// # Live figures at scale
//
// A snapshot of an event's figures is computed at most once per SnapshotTTL
// and shared by every viewer: a stale one is served at once while a single
// background computation replaces it, and it is encoded to JSON once (for
// admins and for viewers). The queries read counters kept at ingest
// (streams.chat_messages, chat_authors), stream_samples, and index ranges
// (chat per minute reads only the newest minutes of the
// (stream_id, published_at) index; older minutes are kept between
// computations). The breakdown by country is recomputed every 10 s, or at
// once after a change made by staff.
//
// # Who sees what
//
// Anonymous visitors reach the sign-in page, /static/, /healthz, /readyz,
// /metrics (a bearer token when Config.MetricsToken is set) and
// GET /verify/{id} (Config.Verify) — nothing that shows a person. Viewers
// see aggregates: the live page without names or checkpoint words, the
// reach report and certificate counts. Admins also see people (recent
// check-ins, search, the people table with its filters and CSV, one
// person's evidence, the certificates page's decisions person by person),
// import registrations and forms, open and close checkpoints, link by
// hand, override decisions (one person, or many at once on the
// certificates page, each audited), issue certificates, download
// exports, edit and preview the mail templates (the mail pages) and queue
// reminders for a filter of the people table; every export, issue, override, manual
// link, import and checkpoint change is written to the audit log once, in
// the signed-in staff member's name: the dashboard audits what it hands out
// (downloads, checkpoint changes, imports), the store what it changes
// (issuing, overrides, links), never both.
//
// Looking never writes: every GET only reads (the session's last-seen time
// aside). Certificate ids are issued by a POST — the "Issue certificates"
// button, or the PDF download, which issues what is missing first — never
// by opening a page or a CSV download, which show the ids already issued.
//
// # People table
//
// GET /events/{slug}/people filters, counts, sorts and pages an index of
// every registration's decision (store.PeopleIndex: one snapshot, the
// same rules as Decisions), kept per event for Config.PeopleTTL and read
// again in the background, or at once after a change made here. Pages
// follow a keyset cursor (the last row's sort key and id), never an
// offset.
//
// # Mail
//
// The mail pages show and edit an event's templates of each kind
// (attendance/mailtext; the store keeps them) and preview a message as a
// chosen person would get it. The HTML body is previewed in a sandboxed
// frame from its own route, whose Content-Security-Policy lets the
// message's inline styles apply and nothing run or load; only the
// dashboard may frame it. Reminders are queued from a filter of the
// people table after a confirmation that names the count; the
// confirmation's batch id makes a double submit queue nothing more. The
// dashboard sends nothing: "rollcall mail KIND" holds the SMTP credentials.
//
// # Time
//
// Every time a page shows is in the event's time zone with its
// abbreviation (attendance.LocalTime), the UTC time in a title; the
// charts drawn in the browser read the zone from the body's data-tz.
//
// # Sessions and requests
//
// Passwords are Argon2id hashes. A session is a random 256-bit token in a
// cookie; the store keeps only its SHA-256. The cookie is HttpOnly,
// SameSite=Lax, Path=/; with Config.SecureCookies (TLS, directly or at a
// proxy) it is Secure and named "__Host-rollcall_session", else — over plain
// http, where browsers refuse a __Host- cookie — "rollcall_session". Sessions
// rotate at sign-in and end after IdleTimeout without use, after
// AbsoluteTimeout in any case, and at sign-out on the server; a session
// ended elsewhere (another replica, `rollcall user signout|disable|remove`,
// a password reset) is seen within sessionCacheTTL, and a live page's event
// stream re-checks its session and role at every update and ends when
// either changed (or after MaxStreamLife; the browser reconnects).
//
// Sign-in cannot be flooded: each client address has a token bucket
// (SignInPerMinute, X-Forwarded-For believed from TrustedProxies only), at
// most MaxConcurrentSignIns Argon2id checks run at once (a sign-in finding
// none free is answered 429 with Retry-After), and repeated wrong passwords
// back off per (address, account) — 3 free, then 1 s doubling to 15 min —
// so that no one can lock a staff member out from elsewhere. Refusals are
// counted in rollcall_signin_throttled_total{reason}; a back-off is logged
// with the staff id, never the email or address. Every wrong password
// reads the same, known account or not. A request body must arrive within
// 30 s (signed-in uploads get 10 min). State changes are POSTs that need the
// session's CSRF token, and http.CrossOriginProtection refuses cross-site
// requests besides. The CSV downloads, being GETs, refuse a request whose
// Sec-Fetch-Site is neither same-origin nor none (another site's link; an
// absent header passes, for old browsers). Every response carries a strict Content-Security-Policy
// (no inline script or style), X-Content-Type-Options, Referrer-Policy and
// X-Frame-Options, and with SecureCookies Strict-Transport-Security. A
// page's notice after a POST comes in a one-time cookie, never from the
// URL; /static/ lists no folder.
//
// # Wording
//
// Figures rollcall computes itself are labelled "computed from chat"; counts
// YouTube reports (concurrent viewers, views, likes) are labelled as
// YouTube's. Nothing is called watch time or unique viewers.
package dashboard
