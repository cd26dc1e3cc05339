package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
)

// attendanceCommands returns the commands of the attendance area.
func (a *app) attendanceCommands() []*cobra.Command {
	return []*cobra.Command{a.checkpointCommand(), a.formsCommand(), a.overrideCommand(), a.exportCommand(),
		a.replayCommand(), a.personCommand(), a.peopleCommand(), a.purgeCommand(), a.linkCommand(), a.conflictsCommand()}
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

// terminal makes text from people safe to print on a terminal: control
// characters (an ANSI escape could retitle or recolour the terminal) and
// bidi overrides (they reorder what follows) are shown as \uXXXX instead of
// acting. Imports refuse them; names stored before that still pass here.
func terminal(s string) string {
	if strings.IndexFunc(s, actsOnTerminal) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if actsOnTerminal(r) {
			fmt.Fprintf(&b, `\u%04X`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func actsOnTerminal(r rune) bool {
	return unicode.IsControl(r) || r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}
