package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/replay"
	"github.com/seameo/rollcall/attendance/store"
)

func (a *app) replayCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "replay", Short: "Import chat from a yt-dlp live_chat.json file"}
	var event, video string
	var batch int
	imp := &cobra.Command{
		Use:   "import --event SLUG --video ID FILE",
		Short: "Import a stream's chat saved by yt-dlp (recovers what the daemon missed)",
		Long: `Import the chat of one of the event's streams from the NAME.live_chat.json file
that yt-dlp saves (yt-dlp --skip-download --write-subs --sub-langs live_chat URL).
Messages go through the same path as live chat: links by code and channel,
checkpoint hits by the message's time, presence. Messages already imported
from the file are not counted twice. A line that cannot be read is reported
with its number and skipped.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			start := time.Now()
			vid, err := attendance.ParseVideoRef(video)
			if err != nil {
				return err
			}
			return a.withEvent(cmd.Context(), event, func(s *store.Store, e attendance.Event) error {
				streams, err := s.Streams(cmd.Context(), e.ID)
				if err != nil {
					return err
				}
				var streamID int64
				for _, st := range streams {
					if st.VideoID == vid {
						streamID = st.ID
					}
				}
				if streamID == 0 {
					return attendance.Errorf(attendance.EInvalid, "video %s is not a stream of event %s (add it with rollcall event set --video)", vid, e.Slug)
				}
				in, done, err := a.openInput(args[0])
				if err != nil {
					return err
				}
				defer done()
				res, err := replay.Import(cmd.Context(), s, streamID, replay.NewReader(in), batch, func(le *replay.LineError) {
					fmt.Fprintf(a.stderr, "%s: %v (skipped)\n", filepath.Base(args[0]), le)
				})
				if err != nil {
					return err
				}
				a.summary("replay import", start, fmt.Sprintf("%d lines read", res.Lines), fmt.Sprintf("%d messages", res.Read),
					fmt.Sprintf("%d added", res.Added), fmt.Sprintf("%d duplicates", res.Duplicates()), fmt.Sprintf("%d bad lines skipped", res.Bad))
				return nil
			})
		},
	}
	eventFlag(imp, &event)
	imp.Flags().StringVar(&video, "video", "", "the stream's video id or URL (required)")
	imp.Flags().IntVar(&batch, "batch", replay.DefaultBatch, "messages per transaction")
	_ = imp.MarkFlagRequired("video")
	cmd.AddCommand(imp)
	return cmd
}
