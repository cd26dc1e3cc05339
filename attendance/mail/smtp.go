package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTPConfig says how to reach the SMTP server.
type SMTPConfig struct {
	// URL is smtp://[user@]host[:port] (STARTTLS, required; port 587 by
	// default) or smtps://[user@]host[:port] (implicit TLS; port 465).
	// smtp://…?tls=none sends in clear, and only to a loopback host (a
	// local relay, a test).
	URL string
	// Password is the user's password (from a secret file); never logged.
	Password string
	// TLSConfig, when set, verifies the server (e.g. a private CA);
	// default the system roots and the URL's host name.
	TLSConfig *tls.Config
	// Timeout bounds each network step (default 30 s).
	Timeout time.Duration
	// HELO is the name the client gives (default go-mail's: the host name).
	HELO string
}

// SMTPTarget is a parsed --smtp-url, without any password.
type SMTPTarget struct {
	Host     string
	Port     int
	User     string
	Implicit bool // smtps://
	Clear    bool // ?tls=none
}

// String is the URL without a password (safe to log).
func (t SMTPTarget) String() string {
	scheme := "smtp"
	if t.Implicit {
		scheme = "smtps"
	}
	u := url.URL{Scheme: scheme, Host: net.JoinHostPort(t.Host, strconv.Itoa(t.Port))}
	if t.User != "" {
		u.User = url.User(t.User)
	}
	if t.Clear {
		u.RawQuery = "tls=none"
	}
	return u.String()
}

// ParseSMTPURL reads an --smtp-url. A password in the URL is refused: it
// belongs in a secret file.
func ParseSMTPURL(s string) (SMTPTarget, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return SMTPTarget{}, fmt.Errorf("smtp url: not a URL")
	}
	var t SMTPTarget
	switch u.Scheme {
	case "smtp":
		t.Port = 587
	case "smtps":
		t.Implicit, t.Port = true, 465
	default:
		return SMTPTarget{}, fmt.Errorf("smtp url: scheme %q, want smtp:// (STARTTLS) or smtps:// (implicit TLS)", u.Scheme)
	}
	t.Host = u.Hostname()
	if t.Host == "" {
		return SMTPTarget{}, fmt.Errorf("smtp url: no host")
	}
	if p := u.Port(); p != "" {
		if t.Port, err = strconv.Atoi(p); err != nil || t.Port <= 0 || t.Port > 65535 {
			return SMTPTarget{}, fmt.Errorf("smtp url: bad port %q", p)
		}
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			return SMTPTarget{}, fmt.Errorf("smtp url: holds a password; give it in a file (--smtp-password-file) instead")
		}
		t.User = u.User.Username()
	}
	switch q := u.Query().Get("tls"); q {
	case "":
	case "none":
		if t.Implicit {
			return SMTPTarget{}, fmt.Errorf("smtp url: smtps:// is TLS; tls=none contradicts it")
		}
		if ip := net.ParseIP(t.Host); t.Host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return SMTPTarget{}, fmt.Errorf("smtp url: tls=none is allowed only for a loopback host, not %s", t.Host)
		}
		t.Clear = true
	default:
		return SMTPTarget{}, fmt.Errorf("smtp url: tls=%q, want none or nothing", q)
	}
	return t, nil
}

// SMTP is a Transport over one SMTP connection, opened on first use and
// again after it breaks. It is not safe for concurrent use.
type SMTP struct {
	client    *gomail.Client
	connected bool
}

// NewSMTP returns the transport of cfg; it connects on the first Send.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	t, err := ParseSMTPURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	tlsConf := cfg.TLSConfig
	if tlsConf == nil {
		tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tlsConf = tlsConf.Clone()
	if tlsConf.ServerName == "" {
		tlsConf.ServerName = t.Host
	}
	// No RSET after a message: it would be one more round trip between the
	// server's acceptance and the commit of "sent", the one window where a
	// crash leaves a delivered message open (see the package comment). A
	// new MAIL FROM after a completed transaction needs none (RFC 5321
	// §4.1.1.2); a NOOP before each message still finds a dead connection.
	opts := []gomail.Option{gomail.WithPort(t.Port), gomail.WithTimeout(timeout), gomail.WithTLSConfig(tlsConf), gomail.WithoutRset()}
	switch {
	case t.Implicit:
		opts = append(opts, gomail.WithSSL())
	case t.Clear:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if cfg.HELO != "" {
		opts = append(opts, gomail.WithHELO(cfg.HELO))
	}
	if t.User != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(t.User), gomail.WithPassword(cfg.Password))
	}
	c, err := gomail.NewClient(t.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mail: smtp client: %w", err)
	}
	return &SMTP{client: c}, nil
}

// BuildMessage writes a Message as go-mail's Msg: UTF-8 headers (display
// names and subject encoded per RFC 2047), a plain text part with an HTML
// alternative, and the attachments.
func BuildMessage(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.FromFormat(m.From.Name, m.From.Email); err != nil {
		return nil, fmt.Errorf("mail: from address: %w", err)
	}
	if err := msg.AddToFormat(m.To.Name, m.To.Email); err != nil {
		return nil, fmt.Errorf("mail: recipient address: %w", err)
	}
	msg.SetMessageIDWithValue(m.MessageID)
	msg.SetDate()
	msg.Subject(m.Subject)
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	for _, a := range m.Attachments {
		ct := gomail.ContentType(a.ContentType)
		if a.ContentType == "" {
			ct = gomail.TypeAppOctetStream
		}
		msg.AttachReadSeeker(a.Name, bytes.NewReader(a.Data), gomail.WithFileContentType(ct))
	}
	return msg, nil
}

// Send hands one message to the server and returns its reply.
func (s *SMTP) Send(ctx context.Context, m Message) (string, error) {
	msg, err := BuildMessage(m)
	if err != nil {
		// a message that cannot be written will never be: permanent
		return "", &SMTPError{Code: 550, Recipient: true, Reply: err.Error()}
	}
	for try := 0; ; try++ {
		if !s.connected {
			if err := s.client.DialWithContext(ctx); err != nil {
				return "", fmt.Errorf("mail: connect to smtp server: %w", err)
			}
			s.connected = true
		}
		err := s.client.Send(msg)
		if err == nil {
			return msg.ServerResponse(), nil
		}
		var se *gomail.SendError
		if errors.As(err, &se) && se.ErrorCode() >= 400 {
			return "", &SMTPError{Code: se.ErrorCode(), Recipient: se.Reason == gomail.ErrSMTPRcptTo, Reply: replyText(se)}
		}
		// the connection broke: open a new one next time
		_ = s.client.Close()
		s.connected = false
		if errors.As(err, &se) && se.Reason == gomail.ErrConnCheck && try == 0 {
			continue // nothing was sent on the dead connection: try a fresh one now
		}
		return "", fmt.Errorf("mail: smtp: %w", err)
	}
}

// replyText is the server's reply in a SendError, without go-mail's words
// around it (the stage before, the recipients and Message-ID after).
func replyText(se *gomail.SendError) string {
	s := strings.TrimPrefix(se.Error(), se.Reason.String()+": ")
	if i := strings.Index(s, ", affected "); i >= 0 {
		s = s[:i]
	}
	return s
}

// Close ends the connection (QUIT).
func (s *SMTP) Close() error {
	if !s.connected {
		return nil
	}
	s.connected = false
	return s.client.Close()
}
