package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/mail"
	"github.com/seameo/rollcall/attendance/store"
)

// demoMailbox is the demo's own SMTP server (emersion/go-smtp) on
// loopback: it accepts every message and writes it, as received, into a
// folder as 0001.eml, 0002.eml, … — files any mail client opens. The
// demo's certificates go to it through the same SMTP sender and outbox as
// "rollcall mail certificates" uses against a real server.
type demoMailbox struct {
	dir  string
	addr string
	srv  *smtp.Server

	mu sync.Mutex
	n  int
}

// startDemoMailbox starts the mailbox on a loopback port, writing into dir
// (made if missing).
func startDemoMailbox(dir string) (*demoMailbox, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("demo mailbox: %w", err)
	}
	m := &demoMailbox{dir: dir}
	m.srv = smtp.NewServer(m)
	m.srv.Domain = "mailbox.demo.invalid"
	m.srv.ErrorLog = log.New(io.Discard, "", 0)
	m.srv.ReadTimeout, m.srv.WriteTimeout = time.Minute, time.Minute
	m.srv.MaxMessageBytes = 20 << 20
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo mailbox: %w", err)
	}
	m.addr = ln.Addr().String()
	go func() { _ = m.srv.Serve(ln) }()
	return m, nil
}

// url is the sender's --smtp-url for the mailbox: no TLS, on loopback.
func (m *demoMailbox) url() string { return "smtp://" + m.addr + "?tls=none" }

// Close stops the server.
func (m *demoMailbox) Close() error { return m.srv.Close() }

// count is how many messages the mailbox holds.
func (m *demoMailbox) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n
}

// NewSession implements smtp.Backend.
func (m *demoMailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return demoMailSession{m}, nil }

// demoMailSession takes any sender and recipient and keeps the message.
type demoMailSession struct{ box *demoMailbox }

func (demoMailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (demoMailSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (demoMailSession) Reset()                               {}
func (demoMailSession) Logout() error                        { return nil }

func (s demoMailSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := s.box
	m.mu.Lock()
	defer m.mu.Unlock()
	name := filepath.Join(m.dir, fmt.Sprintf("%04d.eml", m.n+1))
	if err := os.WriteFile(name, raw, 0o600); err != nil {
		return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: "cannot store the message: " + err.Error()}
	}
	m.n++
	return nil
}

// demoMailCertificates issues the event's certificates and mails each
// person theirs, PDF attached, to the demo's mailbox — what
// "rollcall mail certificates" does against a real server — and says
// where the messages are.
func (a *app) demoMailCertificates(ctx context.Context, st *store.Store, ev attendance.Event, box *demoMailbox, publicURL string) {
	start := time.Now()
	tr, err := mail.NewSMTP(mail.SMTPConfig{URL: box.url()})
	if err != nil {
		a.log.Error("demo: mail", "err", err)
		return
	}
	defer tr.Close()
	setup := mailSetup{from: mail.Address{Name: "Secretariat (demo)", Email: "certificates@demo.invalid"},
		publicURL: publicURL, transport: tr} // no rate limit: the mailbox is ours
	if err := a.mailEvent(ctx, st, ev, "demo", attendance.MailCertificates, mailFlags{rate: "0"}, setup, start); err != nil {
		a.log.Error("demo: mail the certificates", "err", err)
		return
	}
	fmt.Fprintf(a.stderr, "\nrollcall demo: %d certificates mailed through the demo's SMTP server (%s); the messages are in\n  %s\n  (0001.eml, …: open one with any mail client; each person's delivery shows on their page in the dashboard)\n\n",
		box.count(), box.addr, box.dir)
}
