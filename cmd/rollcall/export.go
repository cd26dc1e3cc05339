package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/export"
	"github.com/seameo/rollcall/attendance/store"
)

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
