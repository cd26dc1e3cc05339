package dashboard

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/seameo/rollcall/attendance"
)

// VerifyPath is the route of the public verification page; a certificate's
// QR code encodes the public URL + VerifyPath + its id.
const VerifyPath = attendance.VerifyPath

// VerifyURL returns the verification URL of a certificate id under the
// public base URL (attendance.VerifyURL), as the route serves it.
func VerifyURL(publicURL, id string) string { return attendance.VerifyURL(publicURL, id) }

// CertificateLookup is what the verification page asks of the store.
// cmd hands over the store.
type CertificateLookup interface {
	// VerifyCertificate answers ENotFound alike for unknown, malformed and
	// withheld ids.
	VerifyCertificate(ctx context.Context, id string) (attendance.PublicCertificate, error)
}

// VerifyConfig configures the verification page.
type VerifyConfig struct {
	Certificates CertificateLookup
	// IssuerName is the organisation that issues the certificates.
	IssuerName string
	Logger     *slog.Logger
	// Now is the clock of the rate limit (default time.Now).
	Now func() time.Time
	// PerMinute is how many lookups one client address may make a minute,
	// in bursts of as many (default 30).
	PerMinute int
	// TrustedProxies are the reverse proxies in front of the daemon. A
	// request from one of them is counted against the client address it
	// names in X-Forwarded-For; from anywhere else that header is ignored,
	// so a visitor cannot pick a fresh address per lookup.
	TrustedProxies []netip.Prefix
	// PDF, when set, writes the PDF of a valid certificate by its id, for
	// the personal download link a certificate e-mail may carry
	// (GET /verify/{id}/pdf); an unknown, withheld or revoked id answers
	// ENotFound. Nil answers 404 there.
	PDF func(ctx context.Context, id string, w io.Writer) error
}

// verifier serves GET /verify/{id}: the one page that shows a person's name
// to an anonymous visitor, for whoever holds the unguessable id.
type verifier struct {
	cfg   VerifyConfig
	page  *template.Template
	limit *rateLimiter
}

// NewVerifyHandler returns the handler of GET /verify/{id} (Config.Verify).
// It shows VALID or REVOKED with the certificate name, type, event, date
// and issuer — never an email — and the same 404 page for ids that are
// unknown, malformed or withheld. Each client address may look up
// PerMinute ids a minute; beyond that it answers 429 with Retry-After, so
// that ids cannot be enumerated.
func NewVerifyHandler(cfg VerifyConfig) (http.Handler, error) {
	if cfg.Certificates == nil {
		return nil, fmt.Errorf("dashboard: verify handler needs a certificate lookup")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PerMinute <= 0 {
		cfg.PerMinute = 30
	}
	t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/verify.html")
	if err != nil {
		return nil, fmt.Errorf("dashboard: template verify: %w", err)
	}
	return &verifier{cfg: cfg, page: t, limit: newRateLimiter(cfg.PerMinute, time.Minute, cfg.Now)}, nil
}

type verifyData struct {
	Found, Revoked              bool
	ID, Name, Type, Event, Date string
	Issuer, RevokedOn           string
}

// dateLayout is how the page writes dates, as the certificate prints them.
const dateLayout = "2 January 2006"

func (v *verifier) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// the id in the URL names a person: keep it out of caches, search
	// engines and Referer headers
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	if ok, wait := v.limit.allow(clientAddr(r, v.cfg.TrustedProxies)); !ok {
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		http.Error(w, "too many certificate lookups from your address; try again in a minute", http.StatusTooManyRequests)
		return
	}
	if strings.HasSuffix(r.URL.Path, "/pdf") {
		v.servePDF(w, r)
		return
	}
	c, err := v.cfg.Certificates.VerifyCertificate(r.Context(), r.PathValue("id"))
	switch {
	case attendance.ErrorCode(err) == attendance.ENotFound:
		v.write(w, r, http.StatusNotFound, verifyData{})
		return
	case err != nil:
		if r.Context().Err() == nil {
			v.cfg.Logger.Error("verify certificate failed", "err", err)
		}
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	d := verifyData{Found: true, Revoked: c.Revoked(), ID: attendance.FormatCertificateID(c.ID), Name: c.Name,
		Type: certificateTitle(c.Type), Event: c.EventTitle, Date: c.EventDate.Format(dateLayout), Issuer: v.cfg.IssuerName}
	if d.Revoked {
		d.RevokedOn = c.RevokedAt.In(c.EventDate.Location()).Format(dateLayout)
	}
	v.write(w, r, http.StatusOK, d)
}

// servePDF answers GET /verify/{id}/pdf: the certificate's PDF, rendered
// whole before the first byte goes out, to whoever holds the id (the same
// rule and rate limit as its page).
func (v *verifier) servePDF(w http.ResponseWriter, r *http.Request) {
	if v.cfg.PDF == nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	var buf bytes.Buffer
	err := v.cfg.PDF(r.Context(), r.PathValue("id"), &buf)
	switch {
	case attendance.ErrorCode(err) == attendance.ENotFound:
		http.Error(w, "no such certificate", http.StatusNotFound)
		return
	case err != nil:
		if r.Context().Err() == nil {
			v.cfg.Logger.Error("certificate pdf failed", "err", err)
		}
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	id := attendance.FormatCertificateID(attendance.NormalizeCertificateID(r.PathValue("id")))
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="certificate-`+id+`.pdf"`)
	_, _ = buf.WriteTo(w)
}

func (v *verifier) write(w http.ResponseWriter, r *http.Request, status int, d verifyData) {
	var buf bytes.Buffer
	if err := v.page.Execute(&buf, pageData{Data: d, Nav: "verify"}); err != nil {
		v.cfg.Logger.Error("render verify page", "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// certificateTitle names a certificate type as it prints.
func certificateTitle(t attendance.CertificateType) string {
	switch t {
	case attendance.CertAppreciation:
		return "Certificate of Appreciation"
	case attendance.CertParticipation:
		return "Certificate of Participation"
	}
	return string(t)
}

// clientAddr is the rate-limit key of a request: the address it came from
// or, when that is a trusted proxy, the nearest address in X-Forwarded-For
// that is not one (read from the right: the left part is whatever the
// client sent). An IPv6 client is keyed by its /64, which one subscriber
// usually holds whole.
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	remote, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	addr := remote.Addr().Unmap()
	if isTrusted(addr, trusted) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop, ok := parseHop(hops[i])
			if !ok {
				break // past a mangled hop nothing can be trusted
			}
			addr = hop
			if !isTrusted(hop, trusted) {
				break
			}
		}
	}
	if addr = addr.WithZone(""); addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

// parseHop reads one X-Forwarded-For entry: an address, perhaps with a
// port or in brackets.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil {
		return a.Unmap(), true
	}
	return netip.Addr{}, false
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseTrustedProxies reads a comma-separated list of proxy addresses and
// CIDR ranges, such as "10.0.0.0/8, 127.0.0.1".
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR range (such as 10.0.0.0/8)", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// rateLimiter is a token bucket per key: n tokens, refilled evenly over per.
type rateLimiter struct {
	mu      sync.Mutex
	n       float64
	per     time.Duration
	now     func() time.Time
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// maxBuckets bounds the limiter's memory; beyond it, buckets that have
// refilled are forgotten (a full bucket is the same as none).
const maxBuckets = 10000

func newRateLimiter(n int, per time.Duration, now func() time.Time) *rateLimiter {
	return &rateLimiter{n: float64(n), per: per, now: now, buckets: map[string]*bucket{}}
}

// allow takes a token for key, or reports how long until one is there.
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	rate := l.n / l.per.Seconds() // tokens a second
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.prune(now, rate)
		}
		b = &bucket{tokens: l.n, at: now}
		l.buckets[key] = b
	}
	if el := now.Sub(b.at).Seconds(); el > 0 {
		b.tokens = math.Min(l.n, b.tokens+el*rate)
	}
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

func (l *rateLimiter) prune(now time.Time, rate float64) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*rate >= l.n {
			delete(l.buckets, k)
		}
	}
}
