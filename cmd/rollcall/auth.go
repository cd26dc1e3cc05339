package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/oauth2"

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

Ask for the scopes the configuration needs and no more (--scopes):
  readonly   reading streams, chats and the owner's broadcasts (the default)
  youtube    also posting checkpoint announcements to chat
  analytics  YouTube Analytics reach (views, watch time) after the event

Create a "Desktop app" OAuth client in the Cloud project, then run
'rollcall auth login' on a machine with a browser. On a server with no
browser, 'rollcall auth login --device' shows a code to type at
google.com/device on any phone or computer; it needs a client of type "TVs
and Limited Input devices", and Google grants it readonly and youtube only,
never analytics.

A Cloud project whose consent screen is left in "Testing" gets refresh tokens
that die after 7 days: run 'rollcall auth check' the day before the event.
'serve' checks the grant at start-up and every hour
(rollcall_oauth_grant_valid, the OAuthGrantInvalid alert).`,
	}
	cmd.AddCommand(a.authLoginCommand(), a.authCheckCommand())
	return cmd
}

func (a *app) authLoginCommand() *cobra.Command {
	var (
		yf     youtubeFlags
		scopes []string
		device bool
	)
	cmd := &cobra.Command{
		Use:   "login --oauth-client-id ID --oauth-client-secret SECRET --oauth-token-file PATH [--scopes readonly,youtube,analytics] [--device]",
		Short: "Run the consent flow (browser loopback with PKCE, or --device) and save the token file with mode 0600",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if yf.oauthClientID == "" || yf.oauthClientSecret == "" || yf.oauthTokenFile == "" {
				return usagef("--oauth-client-id, --oauth-client-secret and --oauth-token-file are required")
			}
			want, err := collector.ParseScopes(scopes)
			if err != nil {
				return usagef("--scopes: %v", err)
			}
			if len(want) == 0 {
				return usagef("--scopes: name at least one of readonly, youtube, force-ssl, analytics")
			}
			cfg := yf.oauthConfig(want...)
			var tok *oauth2.Token
			if device {
				tok, err = collector.LoginDevice(cmd.Context(), cfg, func(da *oauth2.DeviceAuthResponse) error {
					fmt.Fprintf(a.stderr, "On any phone or computer, signed in as the channel owner, open\n\n  %s\n\nand type the code\n\n  %s\n\nWaiting for the approval…\n", da.VerificationURI, da.UserCode)
					return nil
				})
			} else {
				tok, err = collector.Login(cmd.Context(), cfg, func(url string) error {
					fmt.Fprintf(a.stderr, "Open this address in a browser signed in as the channel owner:\n\n  %s\n\nWaiting for Google to send you back…\n", url)
					return nil
				})
			}
			if err != nil {
				return err
			}
			if err := collector.SaveToken(yf.oauthTokenFile, tok); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "token saved to %s (mode 0600)\n", yf.oauthTokenFile)
			if granted, known := collector.GrantedScopes(tok); known {
				fmt.Fprintf(a.stderr, "granted: %s\n", strings.Join(collector.ScopeNames(granted), ", "))
				if missing := collector.MissingScopes(granted, want); len(missing) > 0 {
					return fmt.Errorf("the owner left %s unticked on the consent page: log in again and tick every box", strings.Join(collector.ScopeNames(missing), ", "))
				}
			}
			return nil
		},
	}
	yf.bind(cmd.Flags())
	cmd.Flags().StringSliceVar(&scopes, "scopes", []string{"readonly"}, "scopes to ask for: readonly, youtube (post announcements), force-ssl, analytics (YouTube Analytics reach)")
	cmd.Flags().BoolVar(&device, "device", false, "use the device flow (a code typed on another device) on a machine with no browser; readonly and youtube only")
	return cmd
}

func (a *app) authCheckCommand() *cobra.Command {
	var yf youtubeFlags
	cmd := &cobra.Command{
		Use:   "check [--oauth-scopes readonly,youtube,analytics]",
		Short: "Check that the configured YouTube credential works (refreshes the OAuth grant once) and holds the scopes needed",
		Long: `check refreshes the channel owner's OAuth grant once, makes one cheap API call,
and names every scope of --oauth-scopes the grant lacks. It exits 1 when the
grant is dead (invalid_grant: log in again; a project in "Testing" kills
grants after 7 days) or lacks a scope. With an API key only, it checks the
key.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, _, err := yf.source(cmd.Context(), a, nil, "dQw4w9WgXcQ"); err != nil {
				return err
			}
			if yf.grant != nil {
				if tok := yf.grant.Source.Current(); tok != nil {
					if granted, known := collector.GrantedScopes(tok); known {
						fmt.Fprintf(a.stderr, "the grant holds: %s\n", strings.Join(collector.ScopeNames(granted), ", "))
					} else {
						fmt.Fprintln(a.stderr, "Google did not say which scopes the grant holds")
					}
				}
			}
			fmt.Fprintln(a.stderr, "the YouTube credential works")
			return nil
		},
	}
	yf.bind(cmd.Flags())
	return cmd
}
