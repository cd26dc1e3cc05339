package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/export"
	"github.com/seameo/rollcall/attendance/forms"
	"github.com/seameo/rollcall/attendance/replay"
	"github.com/seameo/rollcall/attendance/store"
)

// attendanceCommands returns the commands of the attendance area.
func (a *app) attendanceCommands() []*cobra.Command {
	return []*cobra.Command{a.checkpointCommand(), a.formsCommand(), a.overrideCommand(), a.exportCommand(),
		a.replayCommand(), a.personCommand(), a.purgeCommand(), a.linkCommand(), a.conflictsCommand()}
}

// withEvent opens the store, finds the event and runs fn.
func (a *app) withEvent(ctx context.Context, slug string, fn func(s *store.Store, e attendance.Event) error) error {
	return a.withStore(ctx, func(s *store.Store) error {
		e, err := s.Event(ctx, slug)
		if err != nil {
			return err
		}
		return fn(s, e)
	})
}

// asStaff runs fn on the event for a command that acts in someone's name:
// who is --staff, else $USER, and the command refuses to run unnamed.
func (a *app) asStaff(ctx context.Context, staff, slug string, fn func(s *store.Store, e attendance.Event, who string) error) error {
	who, err := a.staffName(staff)
	if err != nil {
		return err
	}
	return a.withEvent(ctx, slug, func(s *store.Store, e attendance.Event) error { return fn(s, e, who) })
}

// eventFlag binds a command's required --event SLUG.
func eventFlag(c *cobra.Command, slug *string) {
	c.Flags().StringVar(slug, "event", "", "the event's slug (required)")
	_ = c.MarkFlagRequired("event")
}

// staffName is who acts, for the audit log: --staff, else $USER. Every
// audited command needs a name and refuses to run without one; none is
// made up.
func (a *app) staffName(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if u := a.getenv("USER"); u != "" {
		return u, nil
	}
	return "", usagef("say who you are with --staff NAME (or set USER)")
}

func (a *app) checkpointCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "checkpoint",
		Short: "Add, list and close checkpoint words",
		Long: `A checkpoint is a word announced during the stream with a window: a linked
chat participant who types it while the window is open (judged by the
message's time on YouTube) has hit it. The word is the answer: it is shown
to you here and never written to logs or metrics.`,
	}
	cmd.AddCommand(a.checkpointAddCommand(), a.checkpointListCommand(), a.checkpointCloseCommand())
	return cmd
}

func (a *app) checkpointAddCommand() *cobra.Command {
	var event, word, opens, closes, staff string
	var minutes int
	cmd := &cobra.Command{
		Use:   "add --event SLUG --word W (--opens-at RFC3339 --closes-at RFC3339 | --minutes N)",
		Short: "Add a checkpoint word with its window",
		Example: `  rollcall checkpoint add --event pd-2026 --word bamboo --opens-at 2026-11-20T10:15:00+07:00 --closes-at 2026-11-20T10:25:00+07:00
  rollcall checkpoint add --event pd-2026 --word bamboo --minutes 10   # open now for 10 minutes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var from, to time.Time
			switch {
			case minutes > 0 && opens == "" && closes == "":
				from = time.Now()
				to = from.Add(time.Duration(minutes) * time.Minute)
			case minutes == 0 && opens != "" && closes != "":
				var err error
				if from, err = time.Parse(time.RFC3339, opens); err != nil {
					return usagef("--opens-at %q: expected RFC 3339, e.g. 2026-11-20T10:15:00+07:00", opens)
				}
				if to, err = time.Parse(time.RFC3339, closes); err != nil {
					return usagef("--closes-at %q: expected RFC 3339, e.g. 2026-11-20T10:25:00+07:00", closes)
				}
			default:
				return usagef("give either --opens-at and --closes-at, or --minutes")
			}
			return a.asStaff(cmd.Context(), staff, event, func(s *store.Store, e attendance.Event, who string) error {
				cp, err := s.AddCheckpoint(cmd.Context(), e.ID, word, from, to)
				if err != nil {
					return err
				}
				// the word is the answer: the audit names the checkpoint by number
				if err := s.Audit(cmd.Context(), who, "checkpoint add", e.ID, fmt.Sprintf("checkpoint %d", cp.Number),
					cp.OpensAt.Format(time.RFC3339)+" – "+cp.ClosesAt.Format(time.RFC3339)); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "checkpoint %d added: open %s – %s, %d hits so far\n", cp.Number,
					cp.OpensAt.Format(time.RFC3339), cp.ClosesAt.Format(time.RFC3339), cp.Hits)
				return nil
			})
		},
	}
	eventFlag(cmd, &event)
	cmd.Flags().StringVar(&word, "word", "", "the checkpoint word (required; matched ignoring case, accents and width)")
	cmd.Flags().StringVar(&opens, "opens-at", "", "when the window opens (RFC 3339)")
	cmd.Flags().StringVar(&closes, "closes-at", "", "when the window closes (RFC 3339)")
	cmd.Flags().IntVar(&minutes, "minutes", 0, "open the window now for N minutes")
	cmd.Flags().StringVar(&staff, "staff", "", "who adds it, for the audit log (default $USER)")
	_ = cmd.MarkFlagRequired("word")
	return cmd
}

func (a *app) checkpointListCommand() *cobra.Command {
	var event string
	cmd := &cobra.Command{
		Use:   "list --event SLUG",
		Short: "List an event's checkpoints with their windows and hits",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withEvent(cmd.Context(), event, func(s *store.Store, e attendance.Event) error {
				cps, err := s.Checkpoints(cmd.Context(), e.ID)
				if err != nil {
					return err
				}
				loc := e.Location()
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NUMBER\tWORD\tOPENS\tCLOSES\tHITS")
				for _, c := range cps {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\n", c.Number, c.Word, c.OpensAt.In(loc).Format(time.RFC3339),
						c.ClosesAt.In(loc).Format(time.RFC3339), c.Hits)
				}
				return tw.Flush()
			})
		},
	}
	eventFlag(cmd, &event)
	return cmd
}

func (a *app) checkpointCloseCommand() *cobra.Command {
	var event string
	var number int
	cmd := &cobra.Command{
		Use:   "close --event SLUG --number N",
		Short: "Close a checkpoint's window now",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withEvent(cmd.Context(), event, func(s *store.Store, e attendance.Event) error {
				if err := s.CloseCheckpoint(cmd.Context(), e.ID, number, time.Now()); err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "checkpoint %d closed\n", number)
				return nil
			})
		},
	}
	eventFlag(cmd, &event)
	cmd.Flags().IntVar(&number, "number", 0, "the checkpoint's number (required, see checkpoint list)")
	_ = cmd.MarkFlagRequired("number")
	return cmd
}

// openInput opens an input file, with a progress bar on a terminal.
func (a *app) openInput(path string) (io.Reader, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, attendance.Errorf(attendance.EInvalid, "%v", err)
	}
	if !interactive(a.stderr) {
		return f, func() { f.Close() }, nil
	}
	st, _ := f.Stat()
	bar := progressbar.DefaultBytes(st.Size(), "reading "+filepath.Base(path))
	pr := progressbar.NewReader(f, bar)
	return &pr, func() { bar.Close(); f.Close() }, nil
}

func (a *app) formsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "forms", Short: "Import the certificate validation and assessment form"}
	var (
		event  string
		maps   []string
		dryRun bool
	)
	imp := &cobra.Command{
		Use:   "import --event SLUG FILE",
		Short: "Import the form's responses (Google Forms CSV export)",
		Long: `Import the responses of the assessment form as Google Forms (or another form
tool) exports them. Columns are recognised by their question: Timestamp, Email
Address, the name as it should appear on the certificate, the attendance code
and checkpoint words (optional); --map overrides. Responses are matched to
registrations by email, then by attendance code; an unknown person becomes a
registration (source form). A person's latest submission wins, and the name
given for the certificate is printed instead of the registered one. Any
invalid row fails the whole import, and nothing is written.`,
		Example: `  rollcall forms import --event pd-2026 "Assessment Form (Responses).csv"
  rollcall forms import --event pd-2026 --map "Name to print=certificate_name" --map "Secret word=checkpoint" form.csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			start := time.Now()
			mapping := map[string]forms.Field{}
			for _, m := range maps {
				col, field, ok := strings.Cut(m, "=")
				if !ok || strings.TrimSpace(col) == "" {
					return usagef("--map %q: expected COLUMN=FIELD, e.g. --map \"Name to print=certificate_name\"", m)
				}
				f, err := forms.ParseField(field)
				if err != nil {
					return err
				}
				mapping[strings.TrimSpace(col)] = f
			}
			return a.withEvent(cmd.Context(), event, func(s *store.Store, e attendance.Event) error {
				r, done, err := a.openInput(args[0])
				if err != nil {
					return err
				}
				defer done()
				summary, err := importForms(cmd.Context(), s, e, r, filepath.Base(args[0]), mapping, dryRun)
				if err != nil {
					return err
				}
				what := "forms import"
				if dryRun {
					what += " (dry run, nothing written)"
				}
				a.summary(what, start, summary)
				return nil
			})
		},
	}
	eventFlag(imp, &event)
	imp.Flags().StringArrayVar(&maps, "map", nil, `override a column's meaning: "COLUMN=FIELD", FIELD one of timestamp, email, certificate_name, code, checkpoint, ignore`)
	imp.Flags().BoolVar(&dryRun, "dry-run", false, "report what would change and write nothing")
	cmd.AddCommand(imp)
	return cmd
}

func (a *app) overrideCommand() *cobra.Command {
	var event, email, cert, why, staff string
	cmd := &cobra.Command{
		Use:   "override --event SLUG --email E --certificate participation|appreciation|none --why TEXT",
		Short: "Decide one person's certificate by hand (kept with who and why, audited)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ct, err := attendance.ParseCertificateType(cert)
			if err != nil {
				return err
			}
			return a.asStaff(cmd.Context(), staff, event, func(s *store.Store, e attendance.Event, who string) error {
				reg, err := s.Registration(cmd.Context(), e.ID, email)
				if err != nil {
					return err
				}
				if err := s.AddOverride(cmd.Context(), e.ID, reg.ID, ct, why, who); err != nil {
					return err
				}
				d, err := s.Decision(cmd.Context(), e.ID, reg.ID)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "override recorded: certificate %s (%s)\n", orNone(d.Certificate), strings.Join(attendance.ReasonStrings(d.Reasons), "; "))
				return nil
			})
		},
	}
	eventFlag(cmd, &event)
	cmd.Flags().StringVar(&email, "email", "", "the person's email (required)")
	cmd.Flags().StringVar(&cert, "certificate", "", "participation, appreciation or none (required)")
	cmd.Flags().StringVar(&why, "why", "", "the reason, shown in exports (required)")
	cmd.Flags().StringVar(&staff, "staff", "", "who decides (default $USER)")
	for _, f := range []string{"email", "certificate", "why"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

func orNone(c attendance.CertificateType) string {
	if c == attendance.CertNone {
		return "none"
	}
	return string(c)
}

// writeOutput runs write on stdout, or on FILE through a temporary file
// renamed into place, so that a failed export never leaves half a file.
func (a *app) writeOutput(path string, write func(w io.Writer) error) error {
	if path == "" || path == "-" {
		return write(a.stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func (a *app) exportCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "export", Short: "Export attendance and certificates as CSV (UTF-8 with BOM)"}
	var event, out, format, staff string
	bind := func(c *cobra.Command) {
		eventFlag(c, &event)
		c.Flags().StringVarP(&out, "output", "o", "", "write to FILE instead of stdout")
		c.Flags().StringVar(&staff, "staff", "", "who exports, for the audit log (default $USER)")
	}
	// run writes an export and audits it, once, in the name of who asked.
	run := func(what string, fn func(ctx context.Context, s *store.Store, e attendance.Event, w io.Writer, who string) (string, error)) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			return a.asStaff(cmd.Context(), staff, event, func(s *store.Store, e attendance.Event, who string) error {
				cw := &countingWriter{}
				if interactive(a.stderr) {
					cw.bar = progressbar.Default(-1, "exporting rows")
					defer cw.bar.Close()
				}
				var note string
				err := a.writeOutput(out, func(w io.Writer) error {
					cw.w = w
					var err error
					note, err = fn(cmd.Context(), s, e, cw, who)
					return err
				})
				if err != nil {
					return err
				}
				if err := s.Audit(cmd.Context(), who, "export "+what, e.ID, format, fmt.Sprintf("%d rows", cw.lines-1)); err != nil {
					return err
				}
				dest := "stdout"
				if out != "" {
					dest = out
				}
				parts := []string{fmt.Sprintf("%d rows written to %s", cw.lines-1, dest)}
				if note != "" {
					parts = append(parts, note)
				}
				a.summary("export "+what, start, parts...)
				return nil
			})
		}
	}
	att := &cobra.Command{
		Use:   "attendance --event SLUG [-o FILE]",
		Short: "One row per registration: evidence, certificate decided and reasons",
		Long: `One row per registration: evidence, certificate decided and reasons.
Exporting only reads: certificate_id shows the ids already issued and is
empty for a certificate not issued yet (see 'rollcall certificates issue').
The export is written to the audit log in the name of --staff (else $USER).`,
		Args: cobra.NoArgs,
		RunE: run("attendance", func(ctx context.Context, s *store.Store, e attendance.Event, w io.Writer, _ string) (string, error) {
			return "", export.Attendance(ctx, s, e.ID, w)
		}),
	}
	bind(att)
	var ob3 ob3Flags
	csvCerts := run("certificates", func(ctx context.Context, s *store.Store, e attendance.Event, w io.Writer, who string) (string, error) {
		res, err := s.Issue(ctx, e.ID, who)
		if err != nil {
			return "", err
		}
		return issuedNote(res), export.Certificates(ctx, s, e.ID, w, format)
	})
	certs := &cobra.Command{
		Use:   "certificates --event SLUG [-o FILE] [--format autocrat|ob3]",
		Short: "One row per certificate to issue, with its unguessable id (or Open Badges 3.0 credentials)",
		Long: `One row per certificate the event's decisions give, with its unguessable id
(or, with --format ob3, Open Badges 3.0 credentials).

A file to print from needs every id, so this export first issues the ids of
certificates not issued yet, as 'rollcall certificates issue' does (audited in
the name of --staff, else $USER), and says so in its summary ("issued N,
already issued M"). Issued ids never change.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case formatOB3:
				return a.exportOB3(cmd.Context(), event, out, staff, ob3)
			case "", "autocrat":
			default:
				return usagef("--format %q: expected autocrat or ob3 (or nothing for the plain CSV)", format)
			}
			return csvCerts(cmd, args)
		},
	}
	bind(certs)
	certs.Flags().StringVar(&format, "format", "", "autocrat: columns named for a mail-merge certificate add-on (Name, Email, Certificate Type, Certificate ID, Event, Date); "+
		"ob3: Open Badges 3.0 credentials, a ZIP with -o FILE.zip, else JSON lines")
	ob3.bind(certs)
	cmd.AddCommand(att, certs)
	return cmd
}

// countingWriter counts CSV lines for the summary and the progress bar.
type countingWriter struct {
	w     io.Writer
	lines int
	bar   *progressbar.ProgressBar // nil unless stderr is a terminal
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n := 0
	for _, b := range p {
		if b == '\n' {
			n++
		}
	}
	c.lines += n
	if c.bar != nil && n > 0 {
		_ = c.bar.Add(n)
	}
	return c.w.Write(p)
}

func (a *app) replayCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "replay", Short: "Import chat from a yt-dlp live_chat.json file"}
	var event, video string
	var batch int
	imp := &cobra.Command{
		Use:   "import --event SLUG --video ID FILE",
		Short: "Import a stream's chat saved by yt-dlp (recovers what the daemon missed)",
		Long: `Import the chat of one of the event's streams from the NAME.live_chat.json file
that yt-dlp saves (yt-dlp --skip-download --write-subs --sub-langs live_chat URL).
Messages go through the same path as live chat: links by code and channel,
checkpoint hits by the message's time, presence. Messages already imported
from the file are not counted twice. A line that cannot be read is reported
with its number and skipped.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			start := time.Now()
			vid, err := attendance.ParseVideoRef(video)
			if err != nil {
				return err
			}
			return a.withEvent(cmd.Context(), event, func(s *store.Store, e attendance.Event) error {
				streams, err := s.Streams(cmd.Context(), e.ID)
				if err != nil {
					return err
				}
				var streamID int64
				for _, st := range streams {
					if st.VideoID == vid {
						streamID = st.ID
					}
				}
				if streamID == 0 {
					return attendance.Errorf(attendance.EInvalid, "video %s is not a stream of event %s (add it with rollcall event set --video)", vid, e.Slug)
				}
				in, done, err := a.openInput(args[0])
				if err != nil {
					return err
				}
				defer done()
				res, err := importReplay(cmd.Context(), s, streamID, replay.NewReader(in), batch, func(le *replay.LineError) {
					fmt.Fprintf(a.stderr, "%s: %v (skipped)\n", filepath.Base(args[0]), le)
				})
				if err != nil {
					return err
				}
				a.summary("replay import", start, fmt.Sprintf("%d lines read", res.lines), fmt.Sprintf("%d messages", res.read),
					fmt.Sprintf("%d added", res.added), fmt.Sprintf("%d duplicates", res.read-res.added), fmt.Sprintf("%d bad lines skipped", res.bad))
				return nil
			})
		},
	}
	eventFlag(imp, &event)
	imp.Flags().StringVar(&video, "video", "", "the stream's video id or URL (required)")
	imp.Flags().IntVar(&batch, "batch", 2000, "messages per transaction")
	_ = imp.MarkFlagRequired("video")
	cmd.AddCommand(imp)
	return cmd
}

type replayResult struct{ lines, read, added, bad int }

// importReplay feeds a replay file to the store in batches.
func importReplay(ctx context.Context, s *store.Store, streamID int64, r *replay.Reader, batch int, bad func(*replay.LineError)) (replayResult, error) {
	var res replayResult
	if batch <= 0 {
		batch = 2000
	}
	buf := make([]attendance.ChatMessage, 0, batch)
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		n, err := s.IngestMessages(ctx, streamID, buf, "replay")
		res.added += n
		buf = buf[:0]
		return err
	}
	for {
		ms, err := r.Next()
		var le *replay.LineError
		switch {
		case errors.As(err, &le):
			res.bad++
			bad(le)
			continue
		case errors.Is(err, io.EOF):
			res.lines = r.Line()
			return res, flush()
		case err != nil:
			return res, err
		}
		res.read += len(ms)
		buf = append(buf, ms...)
		if len(buf) >= batch {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
}

func (a *app) personCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "person", Short: "Export or delete everything held about one person (data subject requests)"}
	var event, email, staff string
	exp := &cobra.Command{
		Use:   "export --event SLUG --email E",
		Short: "Print everything held about one person as JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withEvent(cmd.Context(), event, func(s *store.Store, e attendance.Event) error {
				p, err := s.Person(cmd.Context(), e.ID, email)
				if err != nil {
					return err
				}
				who, err := a.staffName(staff)
				if err != nil {
					return err
				}
				if err := s.Audit(cmd.Context(), who, "person export", e.ID, fmt.Sprintf("registration %d", p.Registration.ID), ""); err != nil {
					return err
				}
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(p)
			})
		},
	}
	del := &cobra.Command{
		Use:   "delete --event SLUG --email E",
		Short: "Delete one person from an event: registration, links, evidence, form, certificates and their chat",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.asStaff(cmd.Context(), staff, event, func(s *store.Store, e attendance.Event, who string) error {
				res, err := s.DeletePerson(cmd.Context(), e.ID, email, who)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "person deleted: %d chat channels and %d messages removed, %d shared channels kept\n",
					res.Channels, res.ChatMessages, res.SharedKept)
				return nil
			})
		},
	}
	for _, c := range []*cobra.Command{exp, del} {
		eventFlag(c, &event)
		c.Flags().StringVar(&email, "email", "", "the person's email (required)")
		c.Flags().StringVar(&staff, "staff", "", "who acts, for the audit log (default $USER)")
		_ = c.MarkFlagRequired("email")
	}
	cmd.AddCommand(exp, del)
	return cmd
}

func (a *app) purgeCommand() *cobra.Command {
	var event string
	var retain time.Duration
	cmd := &cobra.Command{
		Use:   "purge (--event SLUG | --retain-chat-text DURATION)",
		Short: "Blank chat text and display names (links and checkpoint hits stay)",
		Long: `Blank the raw chat data YouTube's policies let us keep only for a while: the
text and author names of chat messages and the display names of chat authors.
The evidence certificates rest on — links, checkpoint hits, activity minutes —
stays. With --event, everything of that event now; with --retain-chat-text,
everything older than that, in every event (the daemon does this on its own).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			if (event == "") == !cmd.Flags().Changed("retain-chat-text") {
				return usagef("give either --event or --retain-chat-text")
			}
			return a.withStore(cmd.Context(), func(s *store.Store) error {
				var n int64
				var err error
				if event != "" {
					var e attendance.Event
					e, err = s.Event(cmd.Context(), event)
					if err != nil {
						return err
					}
					if n, err = s.PurgeEventChatText(cmd.Context(), e.ID); err != nil {
						return err
					}
				} else if n, err = s.PurgeChatText(cmd.Context(), time.Now().Add(-retain)); err != nil {
					return err
				}
				a.summary("purge", start, fmt.Sprintf("%d rows blanked", n))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&event, "event", "", "blank all chat text of this event now")
	cmd.Flags().DurationVar(&retain, "retain-chat-text", 720*time.Hour, "blank chat text older than this")
	return cmd
}

// importForms reads an assessment form export and imports it into event e,
// returning the one-line summary; the CLI and the dashboard share it.
func importForms(ctx context.Context, s *store.Store, e attendance.Event, r io.Reader, name string, mapping map[string]forms.Field, dryRun bool) (string, error) {
	fr, err := forms.Read(r, name, mapping, e.Location())
	if err != nil {
		return "", err
	}
	res, err := s.ImportFormResponses(ctx, e.ID, fr.Responses, dryRun)
	if err != nil {
		return "", err
	}
	return strings.Join([]string{fmt.Sprintf("%d rows read", fr.Rows), fmt.Sprintf("%d matched by email", res.Matched),
		fmt.Sprintf("%d by code", res.MatchedByCode), fmt.Sprintf("%d new registrations", res.NewRegistrations),
		fmt.Sprintf("%d replaced earlier submissions", res.Replaced+fr.Replaced), fmt.Sprintf("%d skipped as older", res.Older),
		fmt.Sprintf("%d checkpoint answers", res.CheckpointAnswers)}, ", "), nil
}
