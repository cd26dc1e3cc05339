package dashboard

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

// streamWriter is the response of an event stream read as it comes.
type streamWriter struct {
	mu     sync.Mutex
	header http.Header
	status int
	buf    bytes.Buffer
	wrote  chan struct{} // a token per flush, if there is room
}

func newStreamWriter() *streamWriter {
	return &streamWriter{header: http.Header{}, wrote: make(chan struct{}, 1)}
}

func (w *streamWriter) Header() http.Header { return w.header }
func (w *streamWriter) WriteHeader(code int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.status == 0 {
		w.status = code
	}
}

func (w *streamWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *streamWriter) Flush() {
	select {
	case w.wrote <- struct{}{}:
	default:
	}
}

func (w *streamWriter) String() string { w.mu.Lock(); defer w.mu.Unlock(); return w.buf.String() }

// TestLiveStreamEndsWithItsSession opens a live page's event stream and
// then ends or changes its session the way another replica or the command
// line does — in the store, past this server's session cache. The stream
// must end within 10 s, telling the page when the session is gone; a
// stream also ends at its session's absolute end and at MaxStreamLife.
// Time is synctest's: the figures are exact.
func TestLiveStreamEndsWithItsSession(t *testing.T) {
	const email = "ana@seameo.test"
	for _, tt := range []struct {
		name      string
		cfg       func(*Config)
		act       func(ctx context.Context, st *store.Store) error
		within    time.Duration
		signedOut bool
	}{
		{name: "signed out elsewhere", within: 10 * time.Second, signedOut: true,
			act: func(ctx context.Context, st *store.Store) error {
				_, err := st.EndStaffSessions(ctx, email, "ops")
				return err
			}},
		{name: "disabled", within: 10 * time.Second, signedOut: true,
			act: func(ctx context.Context, st *store.Store) error {
				_, _, err := st.DisableStaffUser(ctx, email, "ops")
				return err
			}},
		{name: "removed", within: 10 * time.Second, signedOut: true,
			act: func(ctx context.Context, st *store.Store) error {
				_, err := st.RemoveStaffUser(ctx, email, "ops")
				return err
			}},
		{name: "password reset", within: 10 * time.Second, signedOut: true,
			act: func(ctx context.Context, st *store.Store) error {
				_, err := CreateStaffUser(ctx, st, email, attendance.StaffAdmin, "a brand new password")
				return err
			}},
		{name: "role changed", within: 10 * time.Second,
			act: func(ctx context.Context, st *store.Store) error {
				_, err := st.DB().ExecContext(ctx, st.DB().Rebind(`UPDATE staff_users SET role = ? WHERE email = ?`), attendance.StaffViewer, email)
				return err
			}},
		{name: "absolute end", within: 30*time.Second + 10*time.Second, signedOut: true,
			cfg: func(c *Config) { c.AbsoluteTimeout = 30 * time.Second }},
		{name: "life cap", within: 10*time.Minute + time.Second,
			cfg: func(c *Config) { c.MaxStreamLife = 10 * time.Minute; c.LiveInterval = time.Minute }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				st := storetest.Open(t, storetest.Engines()[0])
				if _, err := st.CreateEvent(ctx, attendance.Event{Slug: "dialogue", Title: "Policy Dialogue", VideoIDs: []string{"dQw4w9WgXcQ"},
					Policy: attendance.DefaultPolicy()}); err != nil {
					t.Fatal(err)
				}
				if _, err := CreateStaffUser(ctx, st, email, attendance.StaffAdmin, password); err != nil {
					t.Fatal(err)
				}
				cfg := Config{}
				if tt.cfg != nil {
					tt.cfg(&cfg)
				}
				srv, err := New(cfg, st)
				if err != nil {
					t.Fatal(err)
				}
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(http.MethodPost, "/signin", strings.NewReader(url.Values{"email": {email}, "password": {password}}.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				srv.Handler().ServeHTTP(rec, req)
				if rec.Code != http.StatusSeeOther || len(rec.Result().Cookies()) == 0 {
					t.Fatalf("sign in: %d", rec.Code)
				}
				rctx, cancel := context.WithCancel(ctx)
				defer cancel()
				req = httptest.NewRequestWithContext(rctx, http.MethodGet, "/events/dialogue/live", nil)
				req.AddCookie(rec.Result().Cookies()[0])
				w := newStreamWriter()
				ended := make(chan struct{})
				go func() { defer close(ended); srv.Handler().ServeHTTP(w, req) }()
				<-w.wrote
				if !strings.Contains(w.String(), "event: snapshot") {
					t.Fatalf("no first snapshot: %q", w.String())
				}
				started := time.Now()
				if tt.act != nil {
					if err := tt.act(ctx, st); err != nil {
						t.Fatal(err)
					}
				}
				select {
				case <-ended:
				case <-time.After(tt.within):
					t.Fatalf("the stream still runs %s later", tt.within)
				}
				t.Logf("%s: the stream ended %s later", tt.name, time.Since(started))
				if got := strings.HasSuffix(w.String(), "event: signedout\ndata: {}\n\n"); got != tt.signedOut {
					t.Errorf("told the page it is signed out: %v, want %v", got, tt.signedOut)
				}
			})
		})
	}
}
