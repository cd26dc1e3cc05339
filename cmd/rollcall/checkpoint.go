package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
)

func (a *app) checkpointCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "checkpoint",
		Short: "Add, list and close checkpoint words",
		Long: `A checkpoint is a word announced during the stream with a window: a linked
chat participant who types it while the window is open (judged by the
message's time on YouTube) has hit it. The word is the answer: it is shown
to you here and never written to logs or metrics.`,
	}
	cmd.AddCommand(a.checkpointAddCommand(), a.checkpointListCommand(), a.checkpointCloseCommand())
	return cmd
}

func (a *app) checkpointAddCommand() *cobra.Command {
	var event, word, opens, closes, staff string
	var minutes int
	cmd := &cobra.Command{
		Use:   "add --event SLUG --word W (--opens-at RFC3339 --closes-at RFC3339 | --minutes N)",
		Short: "Add a checkpoint word with its window",
		Example: `  rollcall checkpoint add --event pd-2026 --word bamboo --opens-at 2026-11-20T10:15:00+07:00 --closes-at 2026-11-20T10:25:00+07:00
  rollcall checkpoint add --event pd-2026 --word bamboo --minutes 10   # open now for 10 minutes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var from, to time.Time
			switch {
			case minutes > 0 && opens == "" && closes == "":
				from = time.Now()
				to = from.Add(time.Duration(minutes) * time.Minute)
			case minutes == 0 && opens != "" && closes != "":
				var err error
				if from, err = time.Parse(time.RFC3339, opens); err != nil {
					return usagef("--opens-at %q: expected RFC 3339, e.g. 2026-11-20T10:15:00+07:00", opens)
				}
				if to, err = time.Parse(time.RFC3339, closes); err != nil {
					return usagef("--closes-at %q: expected RFC 3339, e.g. 2026-11-20T10:25:00+07:00", closes)
				}
			default:
				return usagef("give either --opens-at and --closes-at, or --minutes")
			}
			return a.asStaff(cmd.Context(), staff, event, func(s *store.Store, e attendance.Event, who string) error {
				cp, err := s.AddCheckpoint(cmd.Context(), e.ID, word, from, to)
				if err != nil {
					return err
				}
				// the word is the answer: the audit names the checkpoint by number
				if err := s.Audit(cmd.Context(), who, "checkpoint add", e.ID, fmt.Sprintf("checkpoint %d", cp.Number),
					cp.OpensAt.Format(time.RFC3339)+" – "+cp.ClosesAt.Format(time.RFC3339)); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "checkpoint %d added: open %s – %s, %d hits so far\n", cp.Number,
					cp.OpensAt.Format(time.RFC3339), cp.ClosesAt.Format(time.RFC3339), cp.Hits)
				return nil
			})
		},
	}
	eventFlag(cmd, &event)
	cmd.Flags().StringVar(&word, "word", "", "the checkpoint word (required; matched ignoring case, accents and width)")
	cmd.Flags().StringVar(&opens, "opens-at", "", "when the window opens (RFC 3339)")
	cmd.Flags().StringVar(&closes, "closes-at", "", "when the window closes (RFC 3339)")
	cmd.Flags().IntVar(&minutes, "minutes", 0, "open the window now for N minutes")
	cmd.Flags().StringVar(&staff, "staff", "", "who adds it, for the audit log (default $USER)")
	_ = cmd.MarkFlagRequired("word")
	return cmd
}

func (a *app) checkpointListCommand() *cobra.Command {
	var event string
	cmd := &cobra.Command{
		Use:   "list --event SLUG",
		Short: "List an event's checkpoints with their windows and hits",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withEvent(cmd.Context(), event, func(s *store.Store, e attendance.Event) error {
				cps, err := s.Checkpoints(cmd.Context(), e.ID)
				if err != nil {
					return err
				}
				loc := e.Location()
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NUMBER\tWORD\tOPENS\tCLOSES\tHITS")
				for _, c := range cps {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\n", c.Number, terminal(c.Word), c.OpensAt.In(loc).Format(time.RFC3339),
						c.ClosesAt.In(loc).Format(time.RFC3339), c.Hits)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				anns, err := s.Announcements(cmd.Context(), e.ID)
				if err != nil {
					return err
				}
				printAnnouncements(a.stdout, anns, loc)
				return nil
			})
		},
	}
	eventFlag(cmd, &event)
	return cmd
}

func (a *app) checkpointCloseCommand() *cobra.Command {
	var event string
	var number int
	cmd := &cobra.Command{
		Use:   "close --event SLUG --number N",
		Short: "Close a checkpoint's window now",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withEvent(cmd.Context(), event, func(s *store.Store, e attendance.Event) error {
				if err := s.CloseCheckpoint(cmd.Context(), e.ID, number, time.Now()); err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "checkpoint %d closed\n", number)
				return nil
			})
		},
	}
	eventFlag(cmd, &event)
	cmd.Flags().IntVar(&number, "number", 0, "the checkpoint's number (required, see checkpoint list)")
	_ = cmd.MarkFlagRequired("number")
	return cmd
}
