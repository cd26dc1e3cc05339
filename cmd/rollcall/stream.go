package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
)

// streamCommand groups what staff do to one stream of an event by hand.
func (a *app) streamCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "stream", Short: "Act on one stream of an event by hand (re-arm its chat)"}
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
	cmd.AddCommand(rearm)
	return cmd
}
