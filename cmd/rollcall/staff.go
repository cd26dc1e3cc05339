package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
)

func (a *app) linkCommand() *cobra.Command {
	var event, email, channel, note, staff string
	cmd := &cobra.Command{
		Use:   "link --event SLUG --email E --channel UC… --note TEXT",
		Short: "Link a chat channel to a person by hand, on their request (audited)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ch, err := attendance.ParseYouTubeAccount(channel)
			if err != nil || len(ch) == 0 || ch[0] == '@' {
				return usagef("--channel %q: expected a channel id (UC…) or a youtube.com/channel/ URL", channel)
			}
			return a.asStaff(cmd.Context(), staff, event, func(s *store.Store, e attendance.Event, who string) error {
				reg, err := s.Registration(cmd.Context(), e.ID, email)
				if err != nil {
					return err
				}
				if err := s.LinkManually(cmd.Context(), e.ID, reg.ID, ch, who, note); err != nil {
					return err
				}
				fmt.Fprintln(a.stderr, "linked")
				return nil
			})
		},
	}
	eventFlag(cmd, &event)
	cmd.Flags().StringVar(&email, "email", "", "the person's email (required)")
	cmd.Flags().StringVar(&channel, "channel", "", "the chat channel id (required)")
	cmd.Flags().StringVar(&note, "note", "", "why (kept with the link)")
	cmd.Flags().StringVar(&staff, "staff", "", "who links (default $USER)")
	for _, f := range []string{"email", "channel"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

func (a *app) conflictsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "conflicts", Short: "Review link conflicts (a code typed by a second channel, too many codes on one channel) and review flags (evidence_deleted, channel_banned: evidence a moderator deleted or of a banned channel)"}
	var event, email, staff, why string
	var all bool
	list := &cobra.Command{
		Use:   "list --event SLUG [--all]",
		Short: "List open link conflicts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withEvent(cmd.Context(), event, func(s *store.Store, e attendance.Event) error {
				cs, err := s.Conflicts(cmd.Context(), e.ID, all)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "EMAIL\tCHANNEL\tKIND\tAT\tRESOLVED")
				for _, c := range cs {
					res := "no"
					if c.Resolved {
						res = c.Resolution
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", terminal(c.Email), terminal(c.ChannelID), c.Kind, time.UnixMicro(c.AtUS).UTC().Format(time.RFC3339), res)
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().BoolVar(&all, "all", false, "also resolved ones")
	resolve := &cobra.Command{
		Use:   "resolve --event SLUG --email E --why TEXT",
		Short: "Mark a person's open conflicts resolved without linking (audited)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.asStaff(cmd.Context(), staff, event, func(s *store.Store, e attendance.Event, who string) error {
				reg, err := s.Registration(cmd.Context(), e.ID, email)
				if err != nil {
					return err
				}
				n, err := s.ResolveConflicts(cmd.Context(), e.ID, reg.ID, who, why)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "%d conflicts resolved\n", n)
				return nil
			})
		},
	}
	resolve.Flags().StringVar(&email, "email", "", "the person's email (required)")
	resolve.Flags().StringVar(&why, "why", "", "the resolution (required)")
	resolve.Flags().StringVar(&staff, "staff", "", "who resolves (default $USER)")
	_ = resolve.MarkFlagRequired("email")
	_ = resolve.MarkFlagRequired("why")
	for _, c := range []*cobra.Command{list, resolve} {
		eventFlag(c, &event)
	}
	cmd.AddCommand(list, resolve)
	return cmd
}
