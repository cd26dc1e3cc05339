package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
)

func (a *app) purgeCommand() *cobra.Command {
	var event string
	var retain time.Duration
	cmd := &cobra.Command{
		Use:   "purge (--event SLUG | --retain-chat-text DURATION)",
		Short: "Blank chat text and display names (links and checkpoint hits stay)",
		Long: `Blank the raw chat data YouTube's policies let us keep only for a while: the
text and author names of chat messages and the display names of chat authors.
The evidence certificates rest on — links, checkpoint hits, activity minutes —
stays. With --event, everything of that event now; with --retain-chat-text,
everything older than that, in every event (the daemon does this on its own).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			if (event == "") == !cmd.Flags().Changed("retain-chat-text") {
				return usagef("give either --event or --retain-chat-text")
			}
			return a.withStore(cmd.Context(), func(s *store.Store) error {
				var n int64
				var err error
				if event != "" {
					var e attendance.Event
					e, err = s.Event(cmd.Context(), event)
					if err != nil {
						return err
					}
					if n, err = s.PurgeEventChatText(cmd.Context(), e.ID); err != nil {
						return err
					}
				} else if n, err = s.PurgeChatText(cmd.Context(), time.Now().Add(-retain)); err != nil {
					return err
				}
				a.summary("purge", start, fmt.Sprintf("%d rows blanked", n))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&event, "event", "", "blank all chat text of this event now")
	cmd.Flags().DurationVar(&retain, "retain-chat-text", 720*time.Hour, "blank chat text older than this")
	return cmd
}
