package main

import (
	"context"
	"errors"
	"fmt"
	"io"
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
				res, err := importReplay(cmd.Context(), s, streamID, replay.NewReader(in), batch, func(le *replay.LineError) {
					fmt.Fprintf(a.stderr, "%s: %v (skipped)\n", filepath.Base(args[0]), le)
				})
				if err != nil {
					return err
				}
				a.summary("replay import", start, fmt.Sprintf("%d lines read", res.lines), fmt.Sprintf("%d messages", res.read),
					fmt.Sprintf("%d added", res.added), fmt.Sprintf("%d duplicates", res.read-res.added), fmt.Sprintf("%d bad lines skipped", res.bad))
				return nil
			})
		},
	}
	eventFlag(imp, &event)
	imp.Flags().StringVar(&video, "video", "", "the stream's video id or URL (required)")
	imp.Flags().IntVar(&batch, "batch", 2000, "messages per transaction")
	_ = imp.MarkFlagRequired("video")
	cmd.AddCommand(imp)
	return cmd
}

type replayResult struct{ lines, read, added, bad int }

// importReplay feeds a replay file to the store in batches.
func importReplay(ctx context.Context, s *store.Store, streamID int64, r *replay.Reader, batch int, bad func(*replay.LineError)) (replayResult, error) {
	var res replayResult
	if batch <= 0 {
		batch = 2000
	}
	buf := make([]attendance.ChatMessage, 0, batch)
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		n, err := s.IngestMessages(ctx, streamID, buf, "replay")
		res.added += n
		buf = buf[:0]
		return err
	}
	for {
		ms, err := r.Next()
		var le *replay.LineError
		switch {
		case errors.As(err, &le):
			res.bad++
			bad(le)
			continue
		case errors.Is(err, io.EOF):
			res.lines = r.Line()
			return res, flush()
		case err != nil:
			return res, err
		}
		res.read += len(ms)
		buf = append(buf, ms...)
		if len(buf) >= batch {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
}
