package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/dashboard"
)

func (a *app) userCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage the staff accounts that sign in to the dashboard",
	}
	cmd.AddCommand(a.userAddCommand())
	cmd.AddCommand(a.userEndCommand("signout", "Sign a staff member out of every browser (audited)",
		`Ends every session of the staff member: their open pages, live streams
included, need a new sign-in within 10 s. The account stays as it is.`,
		func(ctx context.Context, s *store.Store, email, who string) (string, error) {
			n, err := s.EndStaffSessions(ctx, email, who)
			return fmt.Sprintf("%d sessions ended", n), err
		}))
	cmd.AddCommand(a.userEndCommand("disable", "Disable a staff account and end its sessions (audited)",
		`Disables the account: it can no longer sign in, and its sessions, open
live streams included, end within 10 s. 'rollcall user add' with the same
email enables it again, with a new password.`,
		func(ctx context.Context, s *store.Store, email, who string) (string, error) {
			_, n, err := s.DisableStaffUser(ctx, email, who)
			return fmt.Sprintf("disabled, %d sessions ended", n), err
		}))
	cmd.AddCommand(a.userEndCommand("remove", "Delete a staff account and end its sessions (audited)",
		`Deletes the account and its sessions; open live streams end within 10 s.
The audit log keeps the staff id of who was removed and by whom.`,
		func(ctx context.Context, s *store.Store, email, who string) (string, error) {
			n, err := s.RemoveStaffUser(ctx, email, who)
			return fmt.Sprintf("removed, %d sessions ended", n), err
		}))
	return cmd
}

// userEndCommand is `user signout|disable|remove EMAIL`: an audited act on
// one staff account that ends its sessions, in the name of --staff (or
// $USER).
func (a *app) userEndCommand(name, short, long string, act func(ctx context.Context, s *store.Store, email, who string) (string, error)) *cobra.Command {
	var staff string
	cmd := &cobra.Command{
		Use:     name + " EMAIL [--staff NAME]",
		Short:   short,
		Long:    long,
		Example: "  rollcall user " + name + " ana@seameo.org --staff ops",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			who, err := a.staffName(staff)
			if err != nil {
				return err
			}
			return a.withStore(cmd.Context(), func(s *store.Store) error {
				msg, err := act(cmd.Context(), s, args[0], who)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "staff account %s: %s\n", terminal(attendance.NormalizeEmail(args[0])), msg)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&staff, "staff", "", "who acts, for the audit log (default $USER)")
	return cmd
}

func (a *app) userAddCommand() *cobra.Command {
	var email, role, passwordFile string
	cmd := &cobra.Command{
		Use:   "add --email EMAIL --role admin|viewer [--password-file FILE]",
		Short: "Add a staff account, or reset its role and password",
		Long: `Add a staff account for the dashboard. An admin sees people, imports,
exports and overrides; a viewer sees aggregate figures only.

The password is asked for on the terminal (twice), or read from the first
line of --password-file ("-" reads standard input). It is stored as an
Argon2id hash. Adding an existing email replaces its role and password and
ends its sessions: whoever held the old password is signed out within 10 s.`,
		Example: `  rollcall user add --email ana@seameo.org --role admin
  rollcall user add --email ops@seameo.org --role viewer --password-file /run/secrets/ops`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(email) == "" {
				return usagef("--email is required")
			}
			if role != "admin" && role != "viewer" {
				return usagef("--role %q: expected admin or viewer", role)
			}
			password, err := a.readPassword(passwordFile)
			if err != nil {
				return err
			}
			return a.withStore(cmd.Context(), func(s *store.Store) error {
				u, err := dashboard.CreateStaffUser(cmd.Context(), s, email, role, password)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "staff account %s (%s) is ready\n", u.Email, u.Role)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&email, "email", "", "the staff member's email (their sign-in name)")
	f.StringVar(&role, "role", "", "admin or viewer")
	f.StringVar(&passwordFile, "password-file", "", `file whose first line is the password ("-" for standard input); default: ask on the terminal`)
	return cmd
}

// readPassword reads the new password from a file, standard input, or the
// terminal (asked twice, not echoed).
func (a *app) readPassword(file string) (string, error) {
	firstLine := func(r io.Reader) (string, error) {
		line, err := bufio.NewReader(r).ReadString('\n')
		if err != nil && err != io.EOF {
			return "", err
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	switch file {
	case "":
		f, ok := a.stdin.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return "", usagef("no terminal to ask for the password: use --password-file")
		}
		fmt.Fprint(a.stderr, "Password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(a.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(a.stderr, "Again: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(a.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(p1) != string(p2) {
			return "", usagef("the passwords differ")
		}
		return string(p1), nil
	case "-":
		return firstLine(a.stdin)
	default:
		fh, err := os.Open(file)
		if err != nil {
			return "", usagef("--password-file: %v", err)
		}
		defer fh.Close()
		return firstLine(fh)
	}
}
