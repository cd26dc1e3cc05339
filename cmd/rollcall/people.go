package main

import (
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/csvout"
	"github.com/seameo/rollcall/attendance/store"
)

func (a *app) peopleCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "people", Short: "List an event's people with their evidence and decision, filtered as the dashboard's people table"}
	var event, checkpoints, form, linked, conflict, cert, country, role, q, format, sortBy, staff string
	var notLinked, desc bool
	var presence int
	list := &cobra.Command{
		Use:   "list --event SLUG [--not-linked] [--checkpoints-hit N|>=N|=N] [--form yes|no] [--certificate TYPE] [--country C] [--role R] [--q TEXT] [--format table|csv]",
		Short: "List the people a filter selects (the dashboard's people table)",
		Long: `List the people a filter selects, with the dashboard's people table's
filters and the same decisions as the certificates (read only). --format csv
writes the people table's CSV (UTF-8 with BOM) and is written to the audit
log in the name of --staff (else $USER); the table only reads.`,
		Example: `  rollcall people list --event pd-2026 --not-linked --format csv > not-linked.csv
  rollcall people list --event pd-2026 --checkpoints-hit =1 --linked yes
  rollcall people list --event pd-2026 --form no --role participant`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var f attendance.PeopleFilter
			var err error
			if f.Linked, err = attendance.ParseTristate(linked); err != nil {
				return usagef("--linked: %v", err)
			}
			if notLinked {
				if f.Linked == attendance.Yes {
					return usagef("--not-linked and --linked yes contradict")
				}
				f.Linked = attendance.No
			}
			if f.Checkpoints, err = attendance.ParseCountFilter(checkpoints); err != nil {
				return usagef("--checkpoints-hit: %v", err)
			}
			if f.Form, err = attendance.ParseTristate(form); err != nil {
				return usagef("--form: %v", err)
			}
			if f.Conflict, err = attendance.ParseTristate(conflict); err != nil {
				return usagef("--conflict: %v", err)
			}
			if f.Certificate, err = attendance.ParseCertificateFilter(cert); err != nil {
				return usagef("--certificate: %v", err)
			}
			if role != "" {
				if f.Role, err = attendance.ParseRole(role); err != nil {
					return usagef("--role: %v", err)
				}
			}
			if presence < 0 {
				return usagef("--presence: expected minutes, 0 or more")
			}
			f.MinPresence, f.Country, f.Q = presence, country, q
			by, err := attendance.ParsePeopleSort(sortBy)
			if err != nil {
				return usagef("--sort: %v", err)
			}
			if format != "table" && format != "csv" {
				return usagef("--format %q: expected table or csv", format)
			}
			pq := attendance.PeopleQuery{Filter: f, Sort: by, Desc: desc, Limit: -1}
			if format == "table" {
				return a.withEvent(cmd.Context(), event, func(s *store.Store, e attendance.Event) error {
					page, err := s.People(cmd.Context(), e.ID, pq)
					if err != nil {
						return err
					}
					loc := e.Location()
					tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "NAME\tEMAIL\tCODE\tCOUNTRY\tROLE\tLINKED\tCHECKPOINTS\tMINUTES\tFORM\tCERTIFICATE")
					for _, p := range page.Rows {
						linkedAt := "no"
						if p.Linked {
							linkedAt = attendance.LocalTime(p.LinkedAt, loc, "2006-01-02 15:04 MST")
						}
						formDone := "no"
						if p.FormSubmitted {
							formDone = "yes"
						}
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\t%d\t%s\t%s\n", p.FullName, p.Email, attendance.FormatCode(p.Code), p.Country,
							p.Role, linkedAt, p.CheckpointsHit, p.CheckpointsTotal, p.PresenceMinutes, formDone, p.CertificateLabel())
					}
					if err := tw.Flush(); err != nil {
						return err
					}
					fmt.Fprintf(a.stderr, "%s people: %s\n", strconv.Itoa(page.Total), f.Describe())
					return nil
				})
			}
			return a.asStaff(cmd.Context(), staff, event, func(s *store.Store, e attendance.Event, who string) error {
				page, err := s.People(cmd.Context(), e.ID, pq)
				if err != nil {
					return err
				}
				cw, err := csvout.NewWriter(a.stdout)
				if err != nil {
					return err
				}
				if err := cw.Write(attendance.PeopleColumns...); err != nil {
					return err
				}
				for _, p := range page.Rows {
					if err := cw.Write(p.CSVCells(e.Location())...); err != nil {
						return err
					}
				}
				if err := cw.Flush(); err != nil {
					return err
				}
				return s.Audit(cmd.Context(), who, "export people", e.ID, "people.csv", fmt.Sprintf("%s: %d rows", f.Describe(), len(page.Rows)))
			})
		},
	}
	eventFlag(list, &event)
	fl := list.Flags()
	fl.BoolVar(&notLinked, "not-linked", false, "only people not linked to a chat channel yet")
	fl.StringVar(&linked, "linked", "", "yes or no: linked to a chat channel")
	fl.StringVar(&checkpoints, "checkpoints-hit", "", "checkpoints hit: N or >=N (at least), =N (exactly)")
	fl.IntVar(&presence, "presence", 0, "at least this many minutes with chat")
	fl.StringVar(&form, "form", "", "yes or no: assessment form submitted")
	fl.StringVar(&cert, "certificate", "", "certificate decided: participation, appreciation or none")
	fl.StringVar(&conflict, "conflict", "", "yes or no: an open link conflict")
	fl.StringVar(&country, "country", "", "country, as registered (case does not matter)")
	fl.StringVar(&role, "role", "", "participant, speaker, panelist, moderator or organizer")
	fl.StringVar(&q, "q", "", "part of the name, email or attendance code")
	fl.StringVar(&sortBy, "sort", "name", "order: name, country, linked, checkpoints, presence or certificate")
	fl.BoolVar(&desc, "desc", false, "reverse the order")
	fl.StringVar(&format, "format", "table", "table or csv")
	fl.StringVar(&staff, "staff", "", "who exports (csv), for the audit log (default $USER)")
	cmd.AddCommand(list)
	return cmd
}
