package dashboard

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/seameo/rollcall/attendance"
)

// Argon2id parameters (OWASP's recommendation: 19 MiB, 2 passes, 1 lane).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns an Argon2id hash of password in the PHC string form
// ($argon2id$v=19$m=…,t=…,p=…$salt$key).
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("dashboard: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches a hash from HashPassword,
// comparing in constant time.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var v int
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<21 || t > 16 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when no account matches an email, so that a
// sign-in takes about as long whether or not the account exists.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$ZGFtbXlkdW1teWR1bW15ZHVtbXlkdW1teWR1bW15ZA"

// StaffStore is what CreateStaffUser needs of the store.
type StaffStore interface {
	PutStaffUser(ctx context.Context, email, role, passwordHash string) (attendance.StaffUser, error)
}

// MinPasswordLength is the shortest staff password accepted.
const MinPasswordLength = 12

// CreateStaffUser adds a staff member (or resets their password and role).
func CreateStaffUser(ctx context.Context, st StaffStore, email, role, password string) (attendance.StaffUser, error) {
	if len([]rune(password)) < MinPasswordLength {
		return attendance.StaffUser{}, attendance.Errorf(attendance.EInvalid, "password too short: at least %d characters", MinPasswordLength)
	}
	if err := attendance.ValidateStaffRole(role); err != nil {
		return attendance.StaffUser{}, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return attendance.StaffUser{}, err
	}
	u, err := st.PutStaffUser(ctx, email, role, hash)
	if err != nil {
		return attendance.StaffUser{}, fmt.Errorf("dashboard: create staff user: %w", err)
	}
	return u, nil
}

// CreateAdmin creates an admin with a fresh random password and returns the
// password, to be shown once (rollcall demo prints it).
func CreateAdmin(ctx context.Context, st StaffStore, email string) (password string, err error) {
	password = randomToken(15) // 20 characters, 120 bits
	if _, err := CreateStaffUser(ctx, st, email, attendance.StaffAdmin, password); err != nil {
		return "", err
	}
	return password, nil
}

// randomToken returns n random bytes, URL-safe base64.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// session is a signed-in staff member on one request.
type session struct {
	tokenHash string
	csrf      string
	userID    int64
	email     string
	role      string
}

func (s *session) admin() bool { return s != nil && s.role == attendance.StaffAdmin }

func (s *Server) cookieName() string {
	if s.cfg.SecureCookies {
		return "__Host-rollcall_session"
	}
	return "rollcall_session"
}

// sessionCacheTTL is how long a session read from the store is trusted
// without asking again. Sign-out and rotation in this process drop it at
// once; another replica's sign-out or a disabled account takes effect
// within this time.
const sessionCacheTTL = 5 * time.Second

// cachedSession is a session as read from the store, with its limits.
type cachedSession struct {
	sess              session
	disabled          bool
	lastSeen, expires time.Time
	readAt            time.Time
}

// sessionCache keeps recently read sessions: every page and every live
// update needs one, and reading it from the database each time would cost
// more than the page.
type sessionCache struct {
	mu sync.Mutex
	m  map[string]cachedSession
}

func (c *sessionCache) get(hash string, now time.Time) (cachedSession, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs, ok := c.m[hash]
	if !ok || now.Sub(cs.readAt) >= sessionCacheTTL || now.Before(cs.readAt) {
		return cachedSession{}, false
	}
	return cs, true
}

func (c *sessionCache) put(hash string, cs cachedSession) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]cachedSession{}
	}
	if len(c.m) > 10000 {
		for k, v := range c.m {
			if cs.readAt.Sub(v.readAt) >= sessionCacheTTL {
				delete(c.m, k)
			}
		}
	}
	c.m[hash] = cs
}

func (c *sessionCache) drop(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, hash)
}

// endSession ends a session in the store and in the cache.
func (s *Server) endSession(ctx context.Context, hash string) error {
	s.sessions.drop(hash)
	return s.st.DeleteStaffSession(ctx, hash)
}

// currentSession returns the request's valid session, or nil.
func (s *Server) currentSession(r *http.Request) *session {
	c, err := r.Cookie(s.cookieName())
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return nil
	}
	return s.sessionByHash(r.Context(), tokenHash(c.Value), true)
}

// sessionByHash returns the valid session of a token hash, or nil, reading
// the store at most every sessionCacheTTL: a session ended elsewhere (a
// sign-out on another replica, `rollcall user signout|disable|remove`, a
// password reset) is seen within that time. touch records the use for the
// idle timeout; a live page's stream re-checking its session does not, so
// that a screen left open still idles out.
func (s *Server) sessionByHash(ctx context.Context, h string, touch bool) *session {
	now := s.cfg.Now()
	cs, ok := s.sessions.get(h, now)
	if !ok {
		ss, u, err := s.st.StaffSessionUser(ctx, h)
		if err != nil {
			if attendance.ErrorCode(err) != attendance.ENotFound && ctx.Err() == nil {
				s.log.Error("read session", "err", err)
			}
			return nil
		}
		cs = cachedSession{sess: session{tokenHash: h, csrf: ss.CSRFToken, userID: u.ID, email: u.Email, role: u.Role},
			disabled: u.Disabled, lastSeen: ss.LastSeenAt, expires: ss.ExpiresAt, readAt: now}
	}
	if cs.disabled || !now.Before(cs.expires) || now.Sub(cs.lastSeen) > s.cfg.IdleTimeout {
		_ = s.endSession(ctx, h)
		return nil
	}
	// Touch at most once a minute: the idle clock needs no finer grain.
	if touch && now.Sub(cs.lastSeen) > time.Minute {
		if err := s.st.TouchStaffSession(ctx, h, now); err != nil {
			s.log.Warn("touch session", "err", err)
		} else {
			cs.lastSeen = now
		}
	}
	s.sessions.put(h, cs)
	sess := cs.sess
	return &sess
}

type staffHandler func(w http.ResponseWriter, r *http.Request, ss *session)

// staff wraps a handler that needs a signed-in staff member; state-changing
// methods also need the session's CSRF token.
func (s *Server) staff(h staffHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ss := s.currentSession(r)
		if ss == nil {
			if r.Method == http.MethodGet && !strings.HasSuffix(r.URL.Path, "/live") && !strings.HasSuffix(r.URL.Path, ".json") {
				http.Redirect(w, r, "/signin", http.StatusSeeOther)
				return
			}
			http.Error(w, "sign in first", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			// Only now, with a session, may the body take longer than
			// the server's ReadTimeout.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(uploadReadTimeout))
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload)
			if !s.checkCSRF(r, ss) {
				http.Error(w, "invalid or missing CSRF token: reload the page and try again", http.StatusForbidden)
				return
			}
		}
		h(w, r, ss)
	}
}

// admin wraps a handler only admins may use.
func (s *Server) admin(h staffHandler) http.HandlerFunc {
	return s.staff(func(w http.ResponseWriter, r *http.Request, ss *session) {
		if !ss.admin() {
			http.Error(w, "admins only", http.StatusForbidden)
			return
		}
		h(w, r, ss)
	})
}

func (s *Server) checkCSRF(r *http.Request, ss *session) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			if err := r.ParseMultipartForm(s.cfg.MaxUpload); err != nil {
				return false
			}
		}
		got = r.PostFormValue("csrf")
	}
	return got != "" && ss.csrf != "" && subtle.ConstantTimeCompare([]byte(got), []byte(ss.csrf)) == 1
}

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) {
	if s.currentSession(r) != nil {
		http.Redirect(w, r, "/events", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "signin", nil, map[string]any{})
}

// errSignIn is the one message every failed sign-in gets, so that it does
// not tell which accounts exist or are disabled.
const errSignIn = "Email or password is wrong."

// signIn checks a staff member's password. Before any hashing, the client
// address's token bucket and the (address, account) back-off may refuse it
// (429 with Retry-After); the password check itself waits for one of
// MaxConcurrentSignIns slots. A wrong password slows down only the address
// that gave it, never the account for others.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	addr := clientAddr(r, s.cfg.TrustedProxies)
	if ok, wait := s.signIns.perAddr.allow(addr); !ok {
		s.log.Debug("sign-in throttled", "reason", throttleAddress)
		s.tooMany(w, r, throttleAddress, wait, "")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		// A body too large, malformed or cut off by the read timeout.
		http.Error(w, "bad sign-in form", http.StatusBadRequest)
		return
	}
	email := attendance.NormalizeEmail(r.PostFormValue("email"))
	password := r.PostFormValue("password")
	ctx := r.Context()
	key := backoffKey{addr: addr, email: email}
	if wait := s.signIns.backoff.wait(key, s.cfg.Now()); wait > 0 {
		s.log.Debug("sign-in throttled", "reason", throttleBackoff)
		s.tooMany(w, r, throttleBackoff, wait, email)
		return
	}
	u, err := s.st.StaffUserByEmail(ctx, email)
	if err != nil && attendance.ErrorCode(err) != attendance.ENotFound {
		s.fail(w, r, err)
		return
	}
	known := err == nil
	if !s.signIns.acquireHashing(ctx) {
		s.log.Debug("sign-in throttled", "reason", throttleBusy)
		s.tooMany(w, r, throttleBusy, time.Second, email)
		return
	}
	var ok bool
	if known {
		ok = CheckPassword(u.PasswordHash, password)
	} else {
		CheckPassword(dummyHash, password) // as long as a real check
	}
	s.signIns.releaseHashing()
	if !ok || u.Disabled {
		n, wait := s.signIns.backoff.fail(key, s.cfg.Now())
		if wait > 0 {
			// No email, no address: the staff id when the account exists.
			args := []any{"failures", n, "backoff_seconds", wait.Seconds()}
			if known {
				args = append(args, "staff_id", u.ID)
			}
			s.log.Warn("sign-in back-off", args...)
		}
		s.signInFailed(w, r, email)
		return
	}
	s.signIns.backoff.succeed(key)
	now := s.cfg.Now()
	if err := s.st.RecordSignInSuccess(ctx, u.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	// Rotation: a fresh token at every sign-in; an old cookie's session ends.
	if old := s.currentSession(r); old != nil {
		_ = s.endSession(ctx, old.tokenHash)
	}
	token := randomToken(32)
	ss := attendance.StaffSession{TokenHash: tokenHash(token), UserID: u.ID, CSRFToken: randomToken(32), CreatedAt: now,
		LastSeenAt: now, ExpiresAt: now.Add(s.cfg.AbsoluteTimeout)}
	if err := s.st.CreateStaffSession(ctx, ss); err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.st.DeleteExpiredStaffSessions(ctx, now, now.Add(-s.cfg.IdleTimeout)); err != nil {
		s.log.Warn("delete expired sessions", "err", err)
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: token, Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: http.SameSiteLaxMode, Expires: ss.ExpiresAt})
	s.log.Info("staff signed in", "staff_id", u.ID, "role", u.Role)
	http.Redirect(w, r, "/events", http.StatusSeeOther)
}

func (s *Server) signInFailed(w http.ResponseWriter, r *http.Request, email string) {
	s.log.Info("sign-in refused")
	s.render(w, r, http.StatusUnauthorized, "signin", nil, map[string]any{"Error": errSignIn, "Email": email})
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request, ss *session) {
	if err := s.endSession(r.Context(), ss.tokenHash); err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// audit records an admin's act; a failure to record fails the act's answer.
func (s *Server) audit(ctx context.Context, ss *session, action string, eventID int64, subject, detail string) error {
	if err := s.st.Audit(ctx, ss.email, action, eventID, subject, detail); err != nil {
		return fmt.Errorf("dashboard: audit %s: %w", action, err)
	}
	return nil
}

var errNoAttendance = errors.New("dashboard: not available in this build")
