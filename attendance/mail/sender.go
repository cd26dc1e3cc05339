package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/seameo/rollcall/attendance"
)

// Address is a mailbox: a display name (any Unicode; headers encode it)
// and an address.
type Address struct {
	Name, Email string
}

// Attachment is a file attached to a message.
type Attachment struct {
	Name, ContentType string
	Data              []byte
}

// Message is one person's message, ready to send.
type Message struct {
	// MessageID is the Message-ID without its angle brackets.
	MessageID   string
	From, To    Address
	Subject     string
	Text, HTML  string
	Attachments []Attachment
}

// Transport hands messages to an SMTP server. Send returns the server's
// reply to the end of DATA; its error is an *SMTPError when the server
// refused the message, any other error when the connection failed
// (treated as temporary).
type Transport interface {
	Send(ctx context.Context, m Message) (reply string, err error)
}

// SMTPError is a refusal by the SMTP server.
type SMTPError struct {
	// Code is the reply code: 4xx temporary, 5xx permanent.
	Code int
	// Recipient is true when the server refused the recipient (RCPT TO).
	Recipient bool
	// Reply is the server's reply text.
	Reply string
}

func (e *SMTPError) Error() string { return fmt.Sprintf("smtp %d: %s", e.Code, e.Reply) }

// Temporary reports a 4xx reply.
func (e *SMTPError) Temporary() bool { return e.Code >= 400 && e.Code < 500 }

// Outbox is what a run reads and writes. *store.Store satisfies it.
type Outbox interface {
	OutboxDue(ctx context.Context, eventID int64, kind attendance.MailKind, now time.Time, limit int) ([]attendance.OutboxEntry, error)
	OutboxNextAttempt(ctx context.Context, eventID int64, kind attendance.MailKind) (time.Time, bool, error)
	// MarkMailSending commits state sending with the Message-ID, or
	// answers attendance.ErrMailGone.
	MarkMailSending(ctx context.Context, id int64, messageID string) error
	MarkMail(ctx context.Context, id int64, state attendance.MailState, reply string, next time.Time) error
}

// Config says how a run sends.
type Config struct {
	EventID int64
	Kind    attendance.MailKind
	From    Address
	// Compose builds the message of an entry: subject, bodies and
	// attachments (the run sets MessageID, From and To). An error fails
	// that message (it is not retried) and the run goes on.
	Compose func(ctx context.Context, e attendance.OutboxEntry) (Message, error)
	// Rate limits the messages handed to the server (zero: no limit).
	Rate Rate
	// MaxAttempts is how many attempts a message gets (default 5).
	MaxAttempts int
	// RetryAfter is the first back-off after a temporary failure
	// (default 1 minute); it doubles per attempt, at most RetryMax
	// (default 1 hour).
	RetryAfter, RetryMax time.Duration
	// MessageIDDomain is the right-hand side of Message-IDs (default the
	// From address's domain).
	MessageIDDomain string
	// Now and Sleep are the clock (default the wall clock).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Workers is how many messages are composed ahead at once (default
	// GOMAXPROCS): rendering PDFs is the slow part.
	Workers int
	// Progress, when set, is told of each finished message.
	Progress func(r Result)
	Logger   *slog.Logger
}

// Result counts what a run did.
type Result struct {
	Sent, Failed, Bounced int
	// Retried counts temporary failures queued again.
	Retried int
	// Resumed counts messages found sending at the start (interrupted by
	// a crash) and sent again with their Message-ID.
	Resumed int
	// Gone counts messages whose person was deleted meanwhile.
	Gone int
}

func (r Result) String() string {
	return fmt.Sprintf("%d sent, %d failed, %d bounced, %d temporary failures retried, %d interrupted re-sent with their Message-ID",
		r.Sent, r.Failed, r.Bounced, r.Retried, r.Resumed)
}

func (c *Config) defaults() {
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.RetryAfter <= 0 {
		c.RetryAfter = time.Minute
	}
	if c.RetryMax <= 0 {
		c.RetryMax = time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = sleep
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MessageIDDomain == "" {
		_, c.MessageIDDomain, _ = strings.Cut(c.From.Email, "@")
		if c.MessageIDDomain == "" {
			c.MessageIDDomain = "rollcall.invalid"
		}
	}
}

func (c *Config) workers() int {
	if c.Workers > 0 {
		return c.Workers
	}
	return runtime.GOMAXPROCS(0)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Backoff is the wait after the attempts-th attempt failed for a
// temporary reason: base doubled per earlier attempt, at most limit.
func Backoff(attempts int, base, limit time.Duration) time.Duration {
	d := base
	for i := 1; i < attempts && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// NewMessageID returns a fresh Message-ID (without angle brackets) for an
// outbox row: its id and copy and 64 random bits, no personal data.
func NewMessageID(e attendance.OutboxEntry, domain string) (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("mail: message id: %w", err)
	}
	return "rollcall." + strconv.FormatInt(e.ID, 10) + "." + strconv.Itoa(e.Copy) + "." + hex.EncodeToString(b[:]) + "@" + domain, nil
}

// Run sends every open message of the event and kind, as the package
// comment says, until none is open or ctx ends.
func Run(ctx context.Context, ob Outbox, tr Transport, cfg Config) (Result, error) {
	cfg.defaults()
	var res Result
	pace := newPacer(cfg.Rate, cfg.Now, cfg.Sleep)
	first := true
	for {
		due, err := ob.OutboxDue(ctx, cfg.EventID, cfg.Kind, cfg.Now(), 200)
		if err != nil {
			return res, err
		}
		if first {
			for _, e := range due {
				if e.State == attendance.MailSending {
					res.Resumed++
				}
			}
			if res.Resumed > 0 {
				cfg.Logger.Warn("re-sending messages interrupted by a crash, with their Message-ID", "messages", res.Resumed)
			}
			first = false
		}
		if len(due) == 0 {
			next, open, err := ob.OutboxNextAttempt(ctx, cfg.EventID, cfg.Kind)
			if err != nil {
				return res, err
			}
			if !open {
				return res, nil
			}
			if err := cfg.Sleep(ctx, next.Sub(cfg.Now())); err != nil {
				return res, err
			}
			continue
		}
		if err := sendBatch(ctx, ob, tr, &cfg, pace, due, &res); err != nil {
			return res, err
		}
	}
}

// composed is a message composed ahead of its turn.
type composed struct {
	m   Message
	err error
}

// sendBatch sends due messages in order, one at a time, while the next
// few are composed (their PDFs rendered) on every core ahead of their
// turn. Composing is pure; only the sending, in order, touches the outbox
// and the server.
func sendBatch(ctx context.Context, ob Outbox, tr Transport, cfg *Config, pace *pacer, due []attendance.OutboxEntry, res *Result) error {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// up to twice as many messages composed ahead as compose at once: the
	// renderer keeps one font set per core, and more renders at once would
	// parse fonts afresh
	ahead := make(chan struct{}, cfg.workers()*2)
	busy := make(chan struct{}, cfg.workers())
	results := make([]chan composed, len(due))
	for i := range results {
		results[i] = make(chan composed, 1)
	}
	go func() {
		for i, e := range due {
			select {
			case ahead <- struct{}{}:
			case <-cctx.Done():
				return
			}
			go func() {
				select {
				case busy <- struct{}{}:
				case <-cctx.Done():
					results[i] <- composed{err: cctx.Err()}
					return
				}
				m, err := cfg.Compose(cctx, e)
				<-busy
				results[i] <- composed{m, err}
			}()
		}
	}()
	for i, e := range due {
		var c composed
		select {
		case c = <-results[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-ahead
		if err := pace.wait(ctx); err != nil {
			return err
		}
		if err := sendOne(ctx, ob, tr, cfg, e, c, res); err != nil {
			return err
		}
		if cfg.Progress != nil {
			cfg.Progress(*res)
		}
	}
	return nil
}

// sendOne makes one attempt of one message; it returns an error only
// when the outbox cannot be written (the run stops).
func sendOne(ctx context.Context, ob Outbox, tr Transport, cfg *Config, e attendance.OutboxEntry, c composed, res *Result) error {
	log := cfg.Logger.With("outbox_id", e.ID)
	m, err := c.m, c.err
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		log.Error("message cannot be composed", "err", err)
		res.Failed++
		return ob.MarkMail(ctx, e.ID, attendance.MailFailed, "not sent: "+err.Error(), time.Time{})
	}
	m.MessageID = e.MessageID
	if m.MessageID == "" {
		if m.MessageID, err = NewMessageID(e, cfg.MessageIDDomain); err != nil {
			return err
		}
	}
	m.From, m.To = cfg.From, Address{Name: e.FullName, Email: e.Email}
	// Step 1: sending, with the Message-ID, committed before the SMTP
	// transaction begins.
	if err := ob.MarkMailSending(ctx, e.ID, m.MessageID); errors.Is(err, attendance.ErrMailGone) {
		res.Gone++
		return nil
	} else if err != nil {
		return err
	}
	// Step 2.
	reply, sendErr := tr.Send(ctx, m)
	// Step 3, at once. A cancelled run still records what the server said:
	// the commit runs without the run's context.
	wctx := context.WithoutCancel(ctx)
	var smtpErr *SMTPError
	switch {
	case sendErr == nil:
		res.Sent++
		return ob.MarkMail(wctx, e.ID, attendance.MailSent, reply, time.Time{})
	case errors.As(sendErr, &smtpErr) && !smtpErr.Temporary():
		state := attendance.MailFailed
		if smtpErr.Recipient {
			state = attendance.MailBounced
			res.Bounced++
		} else {
			res.Failed++
		}
		log.Warn("smtp server refused the message", "code", smtpErr.Code, "state", string(state))
		return ob.MarkMail(wctx, e.ID, state, smtpErr.Error(), time.Time{})
	default:
		if ctx.Err() != nil {
			// stopped mid-transaction: the row stays sending, the next run
			// re-sends it with the same Message-ID
			return ctx.Err()
		}
		attempts := e.Attempts + 1
		// a server's reply may quote the recipient's address: logs get its
		// code only, the outbox (and the person page) the reply
		why := []any{"attempts", attempts}
		if smtpErr != nil {
			why = append(why, "code", smtpErr.Code)
		} else {
			why = append(why, "err", sendErr)
		}
		if attempts >= cfg.MaxAttempts {
			res.Failed++
			log.Warn("temporary failures past the retry limit", why...)
			return ob.MarkMail(wctx, e.ID, attendance.MailFailed, fmt.Sprintf("after %d attempts: %v", attempts, sendErr), time.Time{})
		}
		res.Retried++
		wait := Backoff(attempts, cfg.RetryAfter, cfg.RetryMax)
		log.Info("temporary failure, retrying later", append(why, "retry_in", wait.String())...)
		return ob.MarkMail(wctx, e.ID, attendance.MailQueued, sendErr.Error(), cfg.Now().Add(wait))
	}
}
