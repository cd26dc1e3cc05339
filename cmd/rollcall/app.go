package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
)

// Exit codes (DESIGN.md): 0 ok, 1 runtime failure, 2 bad usage or bad input.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// app is one invocation of the CLI: its streams, environment and the
// options every command shares.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	log            *slog.Logger

	db       string
	logLevel string
	logJSON  bool
}

func newApp(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *app {
	return &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
}

// usageError marks an error as bad usage (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exitCode maps an error to the process exit code, in this one place.
func exitCode(err error) int {
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	}
	switch attendance.ErrorCode(err) {
	case attendance.EInvalid, attendance.ENotFound, attendance.EConflict:
		return exitUsage
	}
	return exitFailure
}

func (a *app) execute(ctx context.Context, args []string) int {
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	if cmd == nil {
		cmd = root
	}
	fmt.Fprintf(a.stderr, "%s: %v\n", cmd.CommandPath(), err)
	code := exitCode(err)
	if code == exitFailure && isFlagError(err) {
		code = exitUsage
	}
	if code == exitUsage && isFlagError(err) {
		fmt.Fprintf(a.stderr, "see 'rollcall %s --help'\n", strings.TrimPrefix(cmd.CommandPath(), "rollcall "))
	}
	return code
}

// isFlagError tells cobra's usage errors (unknown flag, wrong argument
// count) from failures of the command itself.
func isFlagError(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "unknown command", "required flag"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "rollcall",
		Short: "Take the roll call of a YouTube live event",
		Long: `rollcall follows an event's YouTube streams, links chat participants to the
people who registered (personal attendance codes typed in chat, checkpoint
words announced during the stream), and decides who earned which certificate,
with reasons staff can defend.

Every flag can also be set with an environment variable: ROLLCALL_ and the
flag name in capitals with _ for -, e.g. --db is ROLLCALL_DB.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd, a.getenv); err != nil {
				return usageError{err}
			}
			return a.setupLogging()
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&a.db, "db", "rollcall.db", "database: a file path or sqlite:PATH (SQLite), or postgres://… (PostgreSQL)")
	pf.StringVar(&a.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	pf.BoolVar(&a.logJSON, "log-json", false, "write logs as JSON lines")
	root.AddCommand(a.versionCommand(), a.migrateCommand(), a.eventCommand(), a.streamCommand(), a.registrationsCommand(), a.codesCommand())
	for _, c := range a.extraCommands() {
		root.AddCommand(c)
	}
	return root
}

// applyEnv fills every flag the user did not set from its ROLLCALL_*
// variable. A *_FILE variable names a file holding the value (for secrets).
func applyEnv(cmd *cobra.Command, getenv func(string) string) error {
	var errs []error
	set := func(f *pflag.Flag) {
		if f.Changed {
			return
		}
		name := "ROLLCALL_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		v := getenv(name)
		if v == "" {
			file := getenv(name + "_FILE")
			if file == "" {
				return
			}
			read := readFile
			if secretFlag(f.Name) {
				read = readSecretFile
			}
			b, err := read(file)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s_FILE: %w", name, err))
				return
			}
			v = strings.TrimSpace(b)
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			if err := sv.Replace(strings.Split(v, ",")); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
		} else if err := f.Value.Set(v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			return
		}
		f.Changed = true
	}
	cmd.Flags().VisitAll(set)
	cmd.InheritedFlags().VisitAll(set)
	return errors.Join(errs...)
}

// secretFlag tells the flags whose value is a secret: their *_FILE must be
// readable by its owner only, as the issuer key file must.
func secretFlag(name string) bool {
	switch name {
	case "metrics-token", "youtube-api-key", "oauth-client-secret":
		return true
	}
	return false
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}

// readSecretFile reads a file holding a secret, refusing one that group or
// others may read or write (the issuer key file's rule: mode 0600 or
// stricter). The open file is checked, so that the file checked is the
// file read; errors never quote its contents.
func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s: not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&^0o600 != 0 && runtime.GOOS != "windows" {
		return "", fmt.Errorf("%s has mode %04o; a secret's file must be 0600 or stricter (chmod 600 %s)", path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func (a *app) setupLogging() error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(a.logLevel)); err != nil {
		return usagef("--log-level %q: expected debug, info, warn or error", a.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	if a.logJSON {
		a.log = slog.New(slog.NewJSONHandler(a.stderr, opts))
	} else {
		a.log = slog.New(slog.NewTextHandler(a.stderr, opts))
	}
	return nil
}

// openStore opens the database and migrates it up, as every command does.
func (a *app) openStore(ctx context.Context, opts ...store.Option) (*store.Store, error) {
	return store.Open(ctx, a.db, append([]store.Option{store.WithLogger(a.log.With("component", "store"))}, opts...)...)
}

// withStore runs fn on the opened store and closes it.
func (a *app) withStore(ctx context.Context, fn func(s *store.Store) error) error {
	s, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	return fn(s)
}

// openDaemonStore opens the store for serve or demo and claims it, so that
// a second daemon on the same database refuses to start. The function it
// returns releases the claim and closes the store.
func (a *app) openDaemonStore(ctx context.Context, opts ...store.Option) (*store.Store, func(), error) {
	st, err := a.openStore(ctx, opts...)
	if err != nil {
		return nil, nil, err
	}
	release, err := st.ClaimDaemon(ctx, a.db)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, func() { release(); st.Close() }, nil
}

// interactive reports whether w is a terminal (progress bars go there only).
func interactive(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// stampedVersion is set at link time by release builds (the Dockerfile's
// VERSION build argument):
//
//	go build -ldflags "-X main.stampedVersion=v1.4.0" ./cmd/rollcall
//
// A link-time constant, never written at run time: -X can only set a
// package-level string, so this one variable is the exception to "no
// globals".
var stampedVersion string

// version returns the version stamped at link time, else the module version
// the binary was built from, else "dev".
func version() string {
	if stampedVersion != "" {
		return stampedVersion
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of rollcall",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bi, _ := debug.ReadBuildInfo()
			goVersion := ""
			if bi != nil {
				goVersion = bi.GoVersion
			}
			fmt.Fprintf(a.stdout, "rollcall %s (%s)\n", version(), goVersion)
			return nil
		},
	}
}

func (a *app) migrateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the database schema (every command also does this on start)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(cmd.Context(), func(s *store.Store) error {
				fmt.Fprintf(a.stderr, "database schema is up to date (%s)\n", s.Engine())
				return nil
			})
		},
	}
}

// summary prints the one-line end-of-work summary on stderr.
func (a *app) summary(what string, start time.Time, parts ...string) {
	fmt.Fprintf(a.stderr, "%s: %s in %s\n", what, strings.Join(parts, ", "), time.Since(start).Round(time.Millisecond))
}
