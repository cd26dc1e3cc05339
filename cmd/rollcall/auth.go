package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/seameo/rollcall/collector"
)

func (a *app) authCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "auth",
		Short: "Authorise rollcall for the channel owner's YouTube account (OAuth)",
		Long: `An API key reads public streams. The channel owner's OAuth token is needed for
members-only chats, the owner's broadcasts and posting to chat. Only the
channel's own Google account (or a Brand Account owner or manager) can
authorise; staff added in YouTube Studio cannot.

Create a "Desktop app" OAuth client in the Cloud project, then run
'rollcall auth login' on a machine with a browser. A Cloud project left in
"Testing" gets refresh tokens that die after 7 days: run 'rollcall auth check'
the day before the event ('serve' also checks at start-up).`,
	}
	cmd.AddCommand(a.authLoginCommand(), a.authCheckCommand())
	return cmd
}

func (a *app) authLoginCommand() *cobra.Command {
	var yf youtubeFlags
	cmd := &cobra.Command{
		Use:   "login --oauth-client-id ID --oauth-client-secret SECRET --oauth-token-file PATH",
		Short: "Run the browser consent flow (loopback, PKCE) and save the token file with mode 0600",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if yf.oauthClientID == "" || yf.oauthClientSecret == "" || yf.oauthTokenFile == "" {
				return usagef("--oauth-client-id, --oauth-client-secret and --oauth-token-file are required")
			}
			cfg := collector.GoogleOAuthConfig(yf.oauthClientID, yf.oauthClientSecret)
			tok, err := collector.Login(cmd.Context(), cfg, func(url string) error {
				fmt.Fprintf(a.stderr, "Open this address in a browser signed in as the channel owner:\n\n  %s\n\nWaiting for Google to send you back…\n", url)
				return nil
			})
			if err != nil {
				return err
			}
			if err := collector.SaveToken(yf.oauthTokenFile, tok); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "token saved to %s (mode 0600)\n", yf.oauthTokenFile)
			return nil
		},
	}
	yf.bind(cmd.Flags())
	return cmd
}

func (a *app) authCheckCommand() *cobra.Command {
	var yf youtubeFlags
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check that the configured YouTube credential works (refreshes the OAuth grant once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, _, err := yf.source(cmd.Context(), a, nil, "dQw4w9WgXcQ"); err != nil {
				return err
			}
			fmt.Fprintln(a.stderr, "the YouTube credential works")
			return nil
		},
	}
	yf.bind(cmd.Flags())
	return cmd
}
