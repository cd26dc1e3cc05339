package main

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message the test SMTP server accepted.
type received struct {
	From, To string
	Raw      []byte
}

// smtpServer is a real SMTP server (emersion/go-smtp) listening on
// loopback, recording what it accepts. Replies can be scripted per
// recipient: a number of 4xx to give before accepting, a 5xx to RCPT TO or
// to DATA. hold, when set, makes DATA of the hold-th message keep it (it is
// recorded, as a server that has taken it in) and never answer, as if the
// reply were lost to a crash of the sender.
type smtpServer struct {
	t    testing.TB
	addr string

	mu        sync.Mutex
	msgs      []received
	tempFails map[string]int  // recipient → 4xx replies left to give
	rcptFail  map[string]bool // recipient → 550 to RCPT TO
	dataFail  map[string]bool // recipient → 554 to DATA
	hold      int             // 1-based number of the message to hold; 0 none
	held      chan struct{}   // closed when the held message is recorded
	onData    func(n int)     // called after each recorded message, with the count
	release   chan struct{}   // closed at the end of the test: a held DATA returns
	keepRaw   bool            // keep each message's bytes (default true)
	password  string          // when set, MAIL needs AUTH PLAIN as "mailer" with it
	authed    int             // successful AUTHs
}

// configure changes the server's behaviour under its lock: its sessions
// read these fields from their own goroutines.
func (s *smtpServer) configure(fn func(s *smtpServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s)
}

func newSMTPServer(t testing.TB) *smtpServer {
	t.Helper()
	return newSMTPServerTLS(t, nil, false)
}

// newSMTPServerTLS starts the server offering STARTTLS with cert, or, when
// implicit, speaking TLS from the first byte.
func newSMTPServerTLS(t testing.TB, cert *tls.Certificate, implicit bool) *smtpServer {
	t.Helper()
	s := &smtpServer{t: t, tempFails: map[string]int{}, rcptFail: map[string]bool{}, dataFail: map[string]bool{},
		held: make(chan struct{}), release: make(chan struct{}), keepRaw: true}
	srv := smtp.NewServer(s)
	srv.Domain = "mx.test"
	srv.ErrorLog = log.New(io.Discard, "", 0) // a killed sender's reset connection is expected
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.MaxMessageBytes = 10 << 20
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cert != nil {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12}
		if implicit {
			ln = tls.NewListener(ln, srv.TLSConfig)
		}
	}
	s.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { close(s.release); _ = srv.Close() })
	return s
}

// url is the --smtp-url of the server (no TLS: loopback).
func (s *smtpServer) url() string { return "smtp://" + s.addr + "?tls=none" }

func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

func (s *smtpServer) signIns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authed
}

func (s *smtpServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

// NewSession implements smtp.Backend.
func (s *smtpServer) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &session{srv: s}, nil
}

type session struct {
	srv      *smtpServer
	from, to string
	authed   bool
}

// AuthMechanisms and Auth make the session an smtp.AuthSession: AUTH PLAIN.
func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		ss.srv.mu.Lock()
		defer ss.srv.mu.Unlock()
		if user != "mailer" || ss.srv.password == "" || pass != ss.srv.password {
			return errors.New("invalid credentials")
		}
		ss.authed = true
		ss.srv.authed++
		return nil
	}), nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", "" }
func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.srv.mu.Lock()
	needAuth := ss.srv.password != ""
	ss.srv.mu.Unlock()
	if needAuth && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s := ss.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rcptFail[to] {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox here"}
	}
	if s.tempFails[to] > 0 {
		s.tempFails[to]--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "greylisted, try again later"}
	}
	ss.to = to
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s := ss.srv
	s.mu.Lock()
	if s.dataFail[ss.to] {
		s.mu.Unlock()
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "message content rejected"}
	}
	if !s.keepRaw {
		raw = nil
	}
	s.msgs = append(s.msgs, received{From: ss.from, To: ss.to, Raw: raw})
	n := len(s.msgs)
	hold := s.hold == n
	onData := s.onData
	s.mu.Unlock()
	if onData != nil {
		onData(n)
	}
	if hold {
		close(s.held)
		<-s.release // the reply never comes: the sender is killed meanwhile
		return &smtp.SMTPError{Code: 421, Message: "closing"}
	}
	return nil
}

// byMessageID groups the recorded messages by Message-ID header.
func byMessageID(t *testing.T, msgs []received) map[string][]received {
	t.Helper()
	out := map[string][]received{}
	for _, m := range msgs {
		id := headerOf(m.Raw, "Message-Id")
		if id == "" {
			t.Fatalf("a message without Message-ID to %s", m.To)
		}
		out[id] = append(out[id], m)
	}
	return out
}

// headerOf reads one raw header value (enough for Message-ID).
func headerOf(raw []byte, name string) string {
	head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	for _, l := range strings.Split(string(head), "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
