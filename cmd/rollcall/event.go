package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
)

func (a *app) eventCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "event",
		Short: "Create, list and show events",
	}
	cmd.AddCommand(a.eventCreateCommand(), a.eventListCommand(), a.eventShowCommand(), a.eventSetCommand())
	return cmd
}

// policyFlags binds the policy flags shared by `event create` and `event set`.
type policyFlags struct {
	minCheckpoints, minPresence, maxPerChannel int
	requireForm, formAnswers                   bool
}

func (p *policyFlags) bind(fs *pflag.FlagSet) {
	d := attendance.DefaultPolicy()
	fs.IntVar(&p.minCheckpoints, "min-checkpoints", -1, "checkpoints a participant must hit (default: 2/3 of the event's checkpoints, rounded up)")
	fs.IntVar(&p.minPresence, "min-presence-minutes", d.MinPresenceMinutes, "distinct minutes of chat activity needed when the event has no checkpoints")
	fs.BoolVar(&p.requireForm, "require-form", d.RequireForm, "the assessment form must be submitted for a certificate of participation")
	fs.BoolVar(&p.formAnswers, "form-checkpoint-answers-count", d.FormCheckpointAnswersCount, "checkpoint words answered on the form count as hits")
	fs.IntVar(&p.maxPerChannel, "max-registrations-per-channel", d.MaxRegistrationsPerChannel, "people one chat channel may be linked to (group viewing)")
}

// apply sets the flags the user gave onto p.
func (p *policyFlags) apply(fs *pflag.FlagSet, pol *attendance.Policy) {
	if fs.Changed("min-checkpoints") {
		if p.minCheckpoints < 0 {
			pol.MinCheckpoints = nil
		} else {
			n := p.minCheckpoints
			pol.MinCheckpoints = &n
		}
	}
	if fs.Changed("min-presence-minutes") {
		pol.MinPresenceMinutes = p.minPresence
	}
	if fs.Changed("require-form") {
		pol.RequireForm = p.requireForm
	}
	if fs.Changed("form-checkpoint-answers-count") {
		pol.FormCheckpointAnswersCount = p.formAnswers
	}
	if fs.Changed("max-registrations-per-channel") {
		pol.MaxRegistrationsPerChannel = p.maxPerChannel
	}
}

func (a *app) eventCreateCommand() *cobra.Command {
	var (
		title, tz string
		videos    []string
		pf        policyFlags
		of        ownerFlags
	)
	cmd := &cobra.Command{
		Use:   "create SLUG --title TITLE (--video URL_OR_ID [--video …] | --discover [--match REGEX] [--day YYYY-MM-DD])",
		Short: "Create an event with its YouTube streams and certificate policy",
		Example: `  rollcall event create pd-2026 --title "Policy Dialogue 2026" \
      --video https://www.youtube.com/live/dQw4w9WgXcQ --time-zone Asia/Bangkok
  rollcall event create pd-2026 --title "Policy Dialogue 2026" --time-zone Asia/Bangkok \
      --discover --day 2026-11-20 --match "Policy Dialogue" --announce`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(title) == "" {
				return usagef("--title is required")
			}
			if _, err := time.LoadLocation(tz); err != nil {
				return usagef("--time-zone %q: not an IANA time zone (e.g. Asia/Bangkok)", tz)
			}
			e := attendance.Event{Slug: args[0], Title: strings.TrimSpace(title), TimeZone: tz, Policy: attendance.DefaultPolicy()}
			pf.apply(cmd.Flags(), &e.Policy)
			if err := of.apply(cmd.Flags(), &e, time.Now()); err != nil {
				return err
			}
			for _, v := range videos {
				id, err := attendance.ParseVideoRef(v)
				if err != nil {
					return err
				}
				e.VideoIDs = append(e.VideoIDs, id)
			}
			return a.withStore(cmd.Context(), func(s *store.Store) error {
				created, err := s.CreateEvent(cmd.Context(), e)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "event %s created with %d stream(s)\n", created.Slug, len(created.VideoIDs))
				printOwnerMode(a.stderr, created)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&title, "title", "", "the event's title as it prints on certificates (required)")
	f.StringSliceVar(&videos, "video", nil, "a YouTube video id or URL (watch?v=, youtu.be/, /live/, /shorts/); repeat for several streams")
	f.StringVar(&tz, "time-zone", "UTC", "the event's IANA time zone, for dates on certificates")
	pf.bind(f)
	of.bind(f)
	return cmd
}

func (a *app) eventSetCommand() *cobra.Command {
	var (
		pf     policyFlags
		of     ownerFlags
		videos []string
		staff  string
	)
	cmd := &cobra.Command{
		Use:   "set SLUG [--min-checkpoints N] [--require-form=BOOL] [--video URL_OR_ID] [--discover] [--announce] …",
		Short: "Change an event's certificate policy, add streams, or turn discovery and announcements on or off",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withEvent(cmd.Context(), args[0], func(s *store.Store, e attendance.Event) error {
				if of.changed(cmd.Flags()) {
					who, err := a.staffName(staff) // owner mode is audited
					if err != nil {
						return err
					}
					if err := of.apply(cmd.Flags(), &e, time.Now()); err != nil {
						return err
					}
					if err := s.SetOwnerMode(cmd.Context(), e, who); err != nil {
						return err
					}
					printOwnerMode(a.stderr, e)
				}
				pf.apply(cmd.Flags(), &e.Policy)
				if err := s.SetPolicy(cmd.Context(), e.ID, e.Policy); err != nil {
					return err
				}
				var ids []string
				for _, v := range videos {
					id, err := attendance.ParseVideoRef(v)
					if err != nil {
						return err
					}
					ids = append(ids, id)
				}
				if err := s.AddVideos(cmd.Context(), e.ID, ids); err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "event %s updated\n", e.Slug)
				return nil
			})
		},
	}
	cmd.Flags().StringSliceVar(&videos, "video", nil, "add a YouTube video id or URL; repeat for several")
	cmd.Flags().StringVar(&staff, "staff", "", "who changes it, for the audit log (default $USER)")
	pf.bind(cmd.Flags())
	of.bind(cmd.Flags())
	return cmd
}

func (a *app) eventListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List events",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(cmd.Context(), func(s *store.Store) error {
				events, err := s.Events(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "SLUG\tTITLE\tSTREAMS\tCREATED")
				for _, e := range events {
					fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", e.Slug, terminal(e.Title), len(e.VideoIDs), e.CreatedAt.Format("2006-01-02"))
				}
				return tw.Flush()
			})
		},
	}
}

func (a *app) eventShowCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show SLUG [--json]",
		Short: "Show an event's streams and figures",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd.Context(), func(s *store.Store) error {
				sum, err := s.Summary(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if asJSON {
					enc := json.NewEncoder(a.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(sum)
				}
				e, err := s.Event(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s — %s (%s)\n", sum.Slug, terminal(sum.Title), sum.TimeZone)
				fmt.Fprintf(a.stdout, "registrations %d, linked %d, checkpoints %d, forms %d\n", sum.Registrations, sum.Linked, sum.Checkpoints, sum.Forms)
				p := e.Policy
				minCP := "2/3 of checkpoints"
				if p.MinCheckpoints != nil {
					minCP = fmt.Sprint(*p.MinCheckpoints)
				}
				fmt.Fprintf(a.stdout, "policy: min checkpoints %s, min presence %d min, form required %t, form answers count %t, max %d per channel\n",
					minCP, p.MinPresenceMinutes, p.RequireForm, p.FormCheckpointAnswersCount, p.MaxRegistrationsPerChannel)
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "VIDEO\tSTATE\tCHAT\tMESSAGES\tAUTHORS\tPEAK VIEWERS")
				for _, st := range sum.Streams {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\n", st.VideoID, st.State, st.ChatState, st.ChatMessages, st.ChatAuthors, st.PeakConcurrentViewers)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				printChatNotices(a.stdout, sum)
				printOwnerMode(a.stdout, e)
				anns, err := s.Announcements(cmd.Context(), e.ID)
				if err != nil {
					return err
				}
				printAnnouncements(a.stdout, anns, e.Location())
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: slug, streams (video_id, state, chat_messages, chat_authors, peak_concurrent_viewers), registrations, linked, checkpoints, gaps (video_id, from, to, reason), members_only (checkpoint, video_id, from, to)")
	return cmd
}

// printChatNotices lists what staff should act on after an event: gaps in
// the chat (import a replay file for them) and checkpoints during which a
// chat was members-only (non-members could not answer).
func printChatNotices(w io.Writer, sum store.EventSummary) {
	stamp := func(t *time.Time, none string) string {
		if t == nil {
			return none
		}
		return t.UTC().Format(time.RFC3339)
	}
	if len(sum.Gaps) > 0 {
		fmt.Fprintf(w, "chat gaps (import a replay file to recover them):\n")
		for _, g := range sum.Gaps {
			fmt.Fprintf(w, "  %s  %s → %s  %s\n", g.VideoID, stamp(g.From, "start"), stamp(&g.To, ""), g.Reason)
		}
	}
	if len(sum.MembersOnly) > 0 {
		fmt.Fprintf(w, "members-only chat during checkpoints (non-members could not answer):\n")
		for _, n := range sum.MembersOnly {
			fmt.Fprintf(w, "  checkpoint %d  %s  %s → %s\n", n.Checkpoint, n.VideoID, stamp(&n.From, ""), stamp(n.To, "still on"))
		}
	}
}
