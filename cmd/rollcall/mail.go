package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	netmail "net/mail"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/certificates"
	"github.com/seameo/rollcall/attendance/mail"
	"github.com/seameo/rollcall/attendance/mailtext"
	"github.com/seameo/rollcall/attendance/store"
)

// mailFlags are the flags of mail codes and mail certificates.
type mailFlags struct {
	event, staff                string
	smtpURL, passwordFile       string
	smtpCAFile                  string
	from                        string
	rate                        string
	maxAttempts                 int
	retryAfter                  time.Duration
	templates                   string
	dryRun, link                bool
	publicURL, fontDir, certDir string
	people                      peopleFilterFlags // reminders: whom to queue them for
}

func (a *app) mailCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mail",
		Short: "Send each person their own message: codes before the event, certificates after",
		Long: `mail sends each person of an event their own message through SMTP, exactly
once: "mail codes" their attendance code before the event, "mail certificates"
their certificate after it (the PDF attached, or with --link a personal link),
"mail reminders" the reminders staff queued in the dashboard's people table
(with the people list's filters, e.g. --not-linked, it first queues one for
each person the filter selects, as one batch, audited).
The words are the event's own templates ("mail template", or the dashboard's
mail page), else the built-in ones.

Every message goes through the outbox in the database (state queued, sending,
sent, failed or bounced, with the SMTP server's reply). A run queues what is
missing and sends what is open; run it again after a crash or a kill and it
finishes the job without sending anyone a second message (a message caught
mid-send is re-sent with the same Message-ID; see the README). A person
deleted with "rollcall person delete" gets nothing.`,
	}
	cmd.AddCommand(a.mailKindCommand(attendance.MailCodes), a.mailKindCommand(attendance.MailReminders),
		a.mailKindCommand(attendance.MailCertificates), a.mailTemplateCommand())
	return cmd
}

func (a *app) mailKindCommand(kind attendance.MailKind) *cobra.Command {
	var f mailFlags
	short := "Mail each registrant their attendance code"
	switch kind {
	case attendance.MailCertificates:
		short = "Mail each person their certificate (PDF attached, or --link)"
	case attendance.MailReminders:
		short = "Send the reminders queued in the dashboard, or queue and send them for a filter (--not-linked …)"
	}
	cmd := &cobra.Command{
		Use:   string(kind) + " --event SLUG --smtp-url smtp[s]://user@host:port --from 'Name <address>'",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.mailRun(cmd.Context(), kind, f)
		},
	}
	eventFlag(cmd, &f.event)
	fl := cmd.Flags()
	fl.StringVar(&f.smtpURL, "smtp-url", "", "SMTP server: smtp://[user@]host[:587] (STARTTLS required) or smtps://[user@]host[:465] (implicit TLS); smtp://…?tls=none only to a loopback relay")
	fl.StringVar(&f.passwordFile, "smtp-password-file", "", "file holding the SMTP user's password (mode 0600 or stricter)")
	fl.StringVar(&f.smtpCAFile, "smtp-ca-file", "", "PEM certificates to trust for the SMTP server (a private CA); default the system's")
	fl.StringVar(&f.from, "from", "", "sender, e.g. 'Certificates Team <certificates@example.org>' (required)")
	fl.StringVar(&f.rate, "rate", "20/m", "at most this many messages per second, minute or hour (N/s, N/m, N/h; 0 for no limit)")
	fl.IntVar(&f.maxAttempts, "max-attempts", 5, "attempts per message on temporary (4xx) failures before it is marked failed")
	fl.DurationVar(&f.retryAfter, "retry-after", time.Minute, "first back-off after a temporary failure; doubles per attempt, at most 1h")
	names := mailtext.FileNames(kind)
	fl.StringVar(&f.templates, "templates", "", "folder of templates for this run: "+strings.Join(names[:], ", ")+" (each optional; winning over the event's own and the built-in ones)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the first message as it would be sent and count the rest; send and record nothing")
	fl.StringVar(&f.staff, "staff", "", "who sends, for the audit log (default $USER)")
	if kind == attendance.MailReminders {
		f.people.bind(fl)
	}
	if kind == attendance.MailCertificates {
		fl.BoolVar(&f.link, "link", false, "send a personal download link (public URL/verify/ID/pdf) instead of attaching the PDF")
		fl.StringVar(&f.publicURL, "public-url", "", "public base URL of the dashboard: the verification and download links (required)")
		fl.StringVar(&f.fontDir, "font-dir", "", "folder with the Noto fonts for certificates (default: Debian's fonts-noto-core)")
		fl.StringVar(&f.certDir, "template-dir", "", "folder of certificate template files that win over the event's own")
	}
	return cmd
}

// mailRun queues and sends one kind of mail for an event.
func (a *app) mailRun(ctx context.Context, kind attendance.MailKind, f mailFlags) error {
	start := time.Now()
	from, err := netmail.ParseAddress(f.from)
	if err != nil {
		return usagef("--from %q: %v", f.from, err)
	}
	rate, err := mail.ParseRate(f.rate)
	if err != nil {
		return usagef("--rate: %v", err)
	}
	var publicURL string
	if kind == attendance.MailCertificates {
		if publicURL, err = checkPublicURL(f.publicURL); err != nil {
			return err
		}
		if f.certDir != "" {
			if err := checkTemplateDir(f.certDir); err != nil {
				return err
			}
		}
	}
	setup := mailSetup{from: mail.Address{Name: from.Name, Email: from.Address}, rate: rate, publicURL: publicURL}
	if !f.dryRun {
		if f.smtpURL == "" {
			return usagef("--smtp-url is required (or ROLLCALL_SMTP_URL), unless --dry-run")
		}
		cfg := mail.SMTPConfig{URL: f.smtpURL}
		if _, err := mail.ParseSMTPURL(f.smtpURL); err != nil {
			return usageError{err}
		}
		if f.passwordFile != "" {
			pw, err := readSecretFile(f.passwordFile)
			if err != nil {
				return usagef("--smtp-password-file: %v", err)
			}
			cfg.Password = strings.TrimRight(pw, "\r\n")
		}
		if f.smtpCAFile != "" {
			pem, err := os.ReadFile(f.smtpCAFile)
			if err != nil {
				return usagef("--smtp-ca-file: %v", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return usagef("--smtp-ca-file %s: no PEM certificate in it", f.smtpCAFile)
			}
			cfg.TLSConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		}
		tr, err := mail.NewSMTP(cfg)
		if err != nil {
			return usageError{err}
		}
		defer tr.Close()
		setup.transport = tr
	}
	if kind == attendance.MailReminders {
		pf, err := f.people.filter()
		if err != nil {
			return err
		}
		if pf != (attendance.PeopleFilter{}) {
			setup.remind = &pf
		}
	}
	return a.asStaff(ctx, f.staff, f.event, func(s *store.Store, e attendance.Event, who string) error {
		return a.mailEvent(ctx, s, e, who, kind, f, setup, start)
	})
}

// mailSetup is what a mail run was given, checked: the sender, the rate,
// the public URL (certificates) and the SMTP server (nil for --dry-run).
type mailSetup struct {
	from      mail.Address
	rate      mail.Rate
	publicURL string
	transport mail.Transport
	// remind, for reminders, is the filter of the people to queue a
	// reminder for first (one batch); nil sends what staff queued.
	remind *attendance.PeopleFilter
}

// mailEvent queues and sends one kind of mail of an event, as who.
func (a *app) mailEvent(ctx context.Context, s *store.Store, e attendance.Event, who string, kind attendance.MailKind, f mailFlags, ms mailSetup, start time.Time) error {
	log := a.log.With("component", "mail", "kind", string(kind))
	tpls, err := mailTemplates(ctx, s, e, kind, f.templates)
	if err != nil {
		return err
	}
	var pdfs *certificates.PDFs
	issued := ""
	if kind == attendance.MailCertificates {
		svc := certificates.New(s, certificates.Config{PublicURL: ms.publicURL, TemplateDir: f.certDir, FontDir: f.fontDir})
		if !f.dryRun {
			res, err := svc.Issue(ctx, e.ID, who)
			if err != nil {
				return err
			}
			issued = issuedNote(res)
		}
		if pdfs, err = svc.PDFs(ctx, e.ID); err != nil {
			return err
		}
	}
	// Who gets a message: every registration (codes), every issued,
	// unrevoked certificate (certificates), whom staff chose in the
	// dashboard (reminders: queued there, none here). A deleted person
	// has no registration left.
	var items []store.MailItem
	var preview []attendance.OutboxEntry
	collect := func(d attendance.Decision) error {
		version := d.Registration.Code
		if kind == attendance.MailCertificates {
			if d.Certificate == attendance.CertNone || d.CertificateID == "" {
				return nil
			}
			if _, ok := pdfs.Certificate(d.CertificateID); !ok {
				return nil
			}
			version = d.CertificateID
		}
		items = append(items, store.MailItem{RegistrationID: d.Registration.ID, Version: version})
		if f.dryRun && len(preview) == 0 {
			preview = append(preview, attendance.OutboxEntry{EventID: e.ID, RegistrationID: d.Registration.ID, Kind: kind,
				Version: version, Email: d.Registration.Email, FullName: d.Registration.FullName, Code: d.Registration.Code})
		}
		return nil
	}
	if kind != attendance.MailReminders {
		if err := s.Decisions(ctx, e.ID, collect); err != nil {
			return err
		}
	}
	compose := func(ctx context.Context, en attendance.OutboxEntry) (mail.Message, error) {
		data := mailtext.Data{Name: en.FullName, EventTitle: e.Title, EventSlug: e.Slug}
		var atts []mail.Attachment
		switch kind {
		case attendance.MailReminders:
			data.Code = attendance.FormatCode(en.Code) // the person's code now
		case attendance.MailCodes:
			if en.Version != en.Code {
				return mail.Message{}, fmt.Errorf("the code changed since this message was queued; the new code has its own message")
			}
			data.Code = attendance.FormatCode(en.Code)
		case attendance.MailCertificates:
			c, ok := pdfs.Certificate(en.Version)
			if !ok {
				return mail.Message{}, fmt.Errorf("certificate %s is no longer issued (revoked or withheld)", attendance.FormatCertificateID(en.Version))
			}
			data.Name = c.FullName // the name as it prints
			data.CertificateID = c.ID
			data.CertificateType = mailtext.CertificateTypeName(attendance.CertificateType(c.Type))
			data.VerifyURL = attendance.VerifyURL(ms.publicURL, en.Version)
			if f.link {
				data.DownloadURL = data.VerifyURL + "/pdf"
			} else {
				var b bytes.Buffer
				if err := pdfs.Render(ctx, en.Version, &b); err != nil {
					return mail.Message{}, err
				}
				data.Attached = true
				atts = append(atts, mail.Attachment{Name: "certificate-" + c.ID + ".pdf", ContentType: "application/pdf", Data: b.Bytes()})
			}
		}
		subject, text, html, err := tpls.Render(data)
		if err != nil {
			return mail.Message{}, err
		}
		return mail.Message{Subject: subject, Text: text, HTML: html, Attachments: atts}, nil
	}
	// reminders for the people of a filter given here
	var remind []int64
	if ms.remind != nil {
		page, err := s.People(ctx, e.ID, attendance.PeopleQuery{Filter: *ms.remind, Limit: -1})
		if err != nil {
			return err
		}
		for _, p := range page.Rows {
			remind = append(remind, p.ID)
			if f.dryRun && len(preview) == 0 {
				preview = append(preview, attendance.OutboxEntry{EventID: e.ID, RegistrationID: p.ID, Kind: kind,
					Email: p.Email, FullName: p.FullName, Code: p.Code})
			}
		}
		// the filter may hold a name or an address (--q): it goes to the
		// audit log with the batch, never to the log
		log.Info("reminders for a filter", "event", e.Slug, "people", len(remind))
	}
	if f.dryRun {
		count := len(items)
		if kind == attendance.MailReminders {
			// the reminders queued and not sent yet (the first in full),
			// and those the filter would queue
			due, err := s.OutboxDue(ctx, e.ID, kind, time.Now().Add(24*365*time.Hour), 1)
			if err != nil {
				return err
			}
			preview = append(due, preview...)
			counts, err := s.OutboxCounts(ctx, e.ID, kind)
			if err != nil {
				return err
			}
			count = counts[attendance.MailQueued] + counts[attendance.MailSending] + len(remind)
		}
		return a.mailPreview(ctx, kind, e, ms.from, count, preview, compose, start)
	}

	added, err := s.EnqueueMail(ctx, e.ID, kind, items)
	if err != nil {
		return err
	}
	if len(remind) > 0 {
		batch := "cli-" + time.Now().UTC().Format("20060102T150405.000000000Z")
		n, err := s.QueueReminders(ctx, e.ID, remind, batch, who, ms.remind.Describe())
		if err != nil {
			return err
		}
		added += n
	}
	// messages that never reached a server (they could not be
	// composed) are tried again on every run
	retried, err := s.RequeueUnsent(ctx, e.ID, kind)
	if err != nil {
		return err
	}
	counts, err := s.OutboxCounts(ctx, e.ID, kind)
	if err != nil {
		return err
	}
	open := counts[attendance.MailQueued] + counts[attendance.MailSending]
	log.Info("mail run starts", "event", e.Slug, "queued_now", added, "requeued_unsent", retried, "open", open, "rate", f.rate)
	var bar *progressbar.ProgressBar
	if interactive(a.stderr) && open > 0 {
		bar = progressbar.Default(int64(open), "mailing "+string(kind))
	}
	done := 0
	res, runErr := mail.Run(ctx, s, ms.transport, mail.Config{
		EventID: e.ID, Kind: kind, From: ms.from, Compose: compose, Rate: ms.rate,
		MaxAttempts: f.maxAttempts, RetryAfter: f.retryAfter, Logger: log,
		Progress: func(r mail.Result) {
			if n := r.Sent + r.Failed + r.Bounced + r.Gone; n > done {
				done = n
				if bar != nil {
					_ = bar.Set(done)
				}
			}
		},
	})
	if bar != nil {
		_ = bar.Finish()
	}
	detail := res.String()
	if runErr != nil {
		detail += "; stopped: " + runErr.Error()
	}
	// the audit is written even when the run was stopped
	if err := s.Audit(context.WithoutCancel(ctx), who, "mail "+string(kind), e.ID, "", fmt.Sprintf("%d queued now; %s", added, detail)); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil {
		return runErr
	}
	parts := []string{fmt.Sprintf("%d queued now", added), res.String()}
	if issued != "" {
		parts = append([]string{issued}, parts...)
	}
	a.summary("mail "+string(kind), start, parts...)
	if res.Failed+res.Bounced > 0 {
		return fmt.Errorf("mail %s: %d failed, %d bounced; see the person pages or the outbox for the server's replies", kind, res.Failed, res.Bounced)
	}
	return nil

}

// mailPreview is --dry-run: the first message in full on stdout, as it
// would go to the server, and a count.
func (a *app) mailPreview(ctx context.Context, kind attendance.MailKind, e attendance.Event, from mail.Address, count int,
	preview []attendance.OutboxEntry, compose func(context.Context, attendance.OutboxEntry) (mail.Message, error), start time.Time) error {
	if len(preview) > 0 {
		en := preview[0]
		m, err := compose(ctx, en)
		if err != nil {
			return err
		}
		m.MessageID = "preview@rollcall.invalid"
		m.From, m.To = from, mail.Address{Name: en.FullName, Email: en.Email}
		msg, err := mail.BuildMessage(m)
		if err != nil {
			return err
		}
		if _, err := msg.WriteTo(a.stdout); err != nil {
			return err
		}
	}
	a.summary("mail "+string(kind)+" (dry run)", start, fmt.Sprintf("%d people of %s would get a message (those not mailed yet)", count, e.Slug), "nothing sent or recorded")
	return nil
}

// mailTemplates returns the templates a run mails with: the event's own
// (or the built-in ones), each part replaced by its file in dir when dir
// holds it, parsed and tried on sample data.
func mailTemplates(ctx context.Context, s *store.Store, e attendance.Event, kind attendance.MailKind, dir string) (mailtext.Templates, error) {
	src, _, err := mailtext.Current(ctx, s, e.ID, kind)
	if err != nil {
		return mailtext.Templates{}, err
	}
	if src, err = mailtext.FromDir(dir, kind, src); err != nil {
		return mailtext.Templates{}, usageError{err}
	}
	t, err := mailtext.Parse(kind, src)
	if err != nil {
		return mailtext.Templates{}, usageError{err}
	}
	return t, nil
}

func (a *app) mailTemplateCommand() *cobra.Command {
	var event, kind, set, staff string
	var reset bool
	cmd := &cobra.Command{
		Use:   "template --event SLUG --kind codes|reminders|certificates [--set DIR | --reset]",
		Short: "Show, set or reset an event's own mail templates of a kind",
		Long: `template prints the templates an event's mail of a kind goes out with (its own,
or the built-in ones), each under a line naming its file. --set DIR keeps the
folder's files (KIND.subject.txt, KIND.txt, KIND.html; a missing file keeps
the current part) as the event's own, once they parse and render on sample
data; --reset goes back to the built-in ones. Both are audited. The
dashboard's mail page does the same, with a preview.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k := attendance.MailKind(kind)
			if _, err := mailtext.Default(k); err != nil {
				return usageError{err}
			}
			if set != "" && reset {
				return usagef("--set and --reset: choose one")
			}
			ctx := cmd.Context()
			return a.asStaff(ctx, staff, event, func(s *store.Store, e attendance.Event, who string) error {
				base, own, err := mailtext.Current(ctx, s, e.ID, k)
				if err != nil {
					return err
				}
				switch {
				case reset:
					had, err := s.ResetMailTemplate(ctx, e.ID, k, who)
					if err != nil {
						return err
					}
					if !had {
						fmt.Fprintf(a.stdout, "%s of %s: already the built-in templates\n", k, e.Slug)
						return nil
					}
					fmt.Fprintf(a.stdout, "%s of %s: back to the built-in templates\n", k, e.Slug)
					return nil
				case set != "":
					src, err := mailtext.FromDir(set, k, base)
					if err != nil {
						return usageError{err}
					}
					if _, err := mailtext.Parse(k, src); err != nil {
						return usageError{err}
					}
					if err := s.SetMailTemplate(ctx, e.ID, attendance.MailTemplate{Kind: k, Subject: src.Subject, Text: src.Text, HTML: src.HTML}, who); err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "%s of %s: the event's own templates kept\n", k, e.Slug)
					return nil
				}
				which := "built-in"
				if own != nil {
					which = "the event's own, set by " + own.UpdatedBy + " at " + own.UpdatedAt.UTC().Format(time.RFC3339)
				}
				names := mailtext.FileNames(k)
				fmt.Fprintf(a.stdout, "# %s templates of %s (%s)\n", k, e.Slug, which)
				for i, part := range []string{base.Subject, base.Text, base.HTML} {
					fmt.Fprintf(a.stdout, "==> %s <==\n%s\n", names[i], strings.TrimRight(part, "\n"))
				}
				return nil
			})
		},
	}
	eventFlag(cmd, &event)
	fl := cmd.Flags()
	fl.StringVar(&kind, "kind", "", "codes, reminders or certificates (required)")
	fl.StringVar(&set, "set", "", "folder of template files to keep as the event's own")
	fl.BoolVar(&reset, "reset", false, "go back to the built-in templates")
	fl.StringVar(&staff, "staff", "", "who changes them, for the audit log (default $USER)")
	_ = cmd.MarkFlagRequired("kind")
	return cmd
}
