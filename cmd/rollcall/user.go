package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/dashboard"
)

func (a *app) userCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage the staff accounts that sign in to the dashboard",
	}
	cmd.AddCommand(a.userAddCommand())
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
unlocks it.`,
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
