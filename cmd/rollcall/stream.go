package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
)

// streamCommand groups what staff do to one stream of an event by hand.
func (a *app) streamCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "stream", Short: "Act on one stream of an event by hand: re-arm its chat, finish following it, or drop a discovered one"}
	var event, video, staff string
	rearm := &cobra.Command{
		Use:   "rearm --event SLUG --video ID",
		Short: "Read a stream's chat again: after a stop (a request YouTube refused), a fixed credential, or a video marked unavailable (audited)",
		Long: `rearm puts a stream's chat back to waiting. A running daemon reads it again
at its next round (within seconds), and a daemon started later reads it at
once. The stored page token is kept; if YouTube no longer accepts it, the chat
is read again from its recent history and the gap is recorded.

A daemon also re-arms, at start-up, every stream whose video has not ended.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			id, err := attendance.ParseVideoRef(video)
			if err != nil {
				return usagef("--video %q: %v", video, err)
			}
			return a.asStaff(cmd.Context(), staff, event, func(s *store.Store, e attendance.Event, who string) error {
				prev, err := s.RearmStream(cmd.Context(), e.ID, id, who)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "stream %s re-armed (chat was %s)\n", id, prev)
				return nil
			})
		},
	}
	eventFlag(rearm, &event)
	rearm.Flags().StringVar(&video, "video", "", "the video id or URL (required)")
	rearm.Flags().StringVar(&staff, "staff", "", "who re-arms (default $USER)")
	_ = rearm.MarkFlagRequired("video")
	var why string
	finish := &cobra.Command{
		Use:   "finish --event SLUG --video ID --why TEXT",
		Short: "Stop following a stream by a staff decision, whatever YouTube says of it (audited)",
		Long: `finish ends the following of one stream: its chat is no longer read, and
serve --until-ended counts it as done even while YouTube says the video is
live or upcoming (a wrong video, a broadcast that will never start). What
was stored stays. rollcall stream rearm follows it again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			id, err := attendance.ParseVideoRef(video)
			if err != nil {
				return usagef("--video %q: %v", video, err)
			}
			if why == "" {
				return usagef("--why: say why the stream is finished by hand (it is kept in the audit log)")
			}
			return a.asStaff(cmd.Context(), staff, event, func(s *store.Store, e attendance.Event, who string) error {
				if err := s.FinishStream(cmd.Context(), e.ID, id, who, why); err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "stream %s finished by hand\n", id)
				return nil
			})
		},
	}
	eventFlag(finish, &event)
	finish.Flags().StringVar(&video, "video", "", "the video id or URL (required)")
	finish.Flags().StringVar(&staff, "staff", "", "who decides (default $USER)")
	finish.Flags().StringVar(&why, "why", "", "why (kept in the audit log)")
	_ = finish.MarkFlagRequired("video")
	var dropWhy string
	drop := &cobra.Command{
		Use:   "drop --event SLUG --video ID --why TEXT",
		Short: "Stop following a stream rollcall discovered (or any stream) and never discover it again (audited)",
		Long: `drop ends the following of one stream, as finish does, and keeps it out of
broadcast discovery for good: a broadcast of the channel that is not part of
the event (a rehearsal, another programme in the window). Announcements still
queued for it are not posted. What was stored stays.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			id, err := attendance.ParseVideoRef(video)
			if err != nil {
				return usagef("--video %q: %v", video, err)
			}
			if dropWhy == "" {
				return usagef("--why: say why the stream is dropped (it is kept in the audit log)")
			}
			return a.asStaff(cmd.Context(), staff, event, func(s *store.Store, e attendance.Event, who string) error {
				if err := s.DropStream(cmd.Context(), e.ID, id, who, dropWhy); err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "stream %s dropped\n", id)
				return nil
			})
		},
	}
	eventFlag(drop, &event)
	drop.Flags().StringVar(&video, "video", "", "the video id or URL (required)")
	drop.Flags().StringVar(&staff, "staff", "", "who decides (default $USER)")
	drop.Flags().StringVar(&dropWhy, "why", "", "why (kept in the audit log)")
	_ = drop.MarkFlagRequired("video")
	cmd.AddCommand(rearm, finish, drop)
	return cmd
}
