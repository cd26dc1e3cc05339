package main

import (
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/csvout"
	"github.com/seameo/rollcall/attendance/store"
)

func (a *app) peopleCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "people", Short: "List an event's people with their evidence and decision, filtered as the dashboard's people table"}
	var event, format, sortBy, staff string
	var desc bool
	var pf peopleFilterFlags
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
			f, err := pf.filter()
			if err != nil {
				return err
			}
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
	pf.bind(fl)
	fl.StringVar(&sortBy, "sort", "name", "order: name, country, linked, checkpoints, presence or certificate")
	fl.BoolVar(&desc, "desc", false, "reverse the order")
	fl.StringVar(&format, "format", "table", "table or csv")
	fl.StringVar(&staff, "staff", "", "who exports (csv), for the audit log (default $USER)")
	cmd.AddCommand(list)
	return cmd
}

// peopleFilterFlags are the people table's filters as flags: people list
// and mail reminders.
type peopleFilterFlags struct {
	checkpoints, form, linked, conflict, cert, country, role, q string
	notLinked                                                   bool
	presence                                                    int
}

func (p *peopleFilterFlags) bind(fl *pflag.FlagSet) {
	fl.BoolVar(&p.notLinked, "not-linked", false, "only people not linked to a chat channel yet")
	fl.StringVar(&p.linked, "linked", "", "yes or no: linked to a chat channel")
	fl.StringVar(&p.checkpoints, "checkpoints-hit", "", "checkpoints hit: N or >=N (at least), =N (exactly)")
	fl.IntVar(&p.presence, "presence", 0, "at least this many minutes with chat")
	fl.StringVar(&p.form, "form", "", "yes or no: assessment form submitted")
	fl.StringVar(&p.cert, "certificate", "", "certificate decided: participation, appreciation or none")
	fl.StringVar(&p.conflict, "conflict", "", "yes or no: an open link conflict")
	fl.StringVar(&p.country, "country", "", "country, as registered (case does not matter)")
	fl.StringVar(&p.role, "role", "", "participant, speaker, panelist, moderator or organizer")
	fl.StringVar(&p.q, "q", "", "part of the name, email or attendance code")
}

// filter reads the flags as a filter; an unreadable value is a usage error
// naming its flag.
func (p *peopleFilterFlags) filter() (attendance.PeopleFilter, error) {
	var f attendance.PeopleFilter
	var err error
	if f.Linked, err = attendance.ParseTristate(p.linked); err != nil {
		return f, usagef("--linked: %v", err)
	}
	if p.notLinked {
		if f.Linked == attendance.Yes {
			return f, usagef("--not-linked and --linked yes contradict")
		}
		f.Linked = attendance.No
	}
	if f.Checkpoints, err = attendance.ParseCountFilter(p.checkpoints); err != nil {
		return f, usagef("--checkpoints-hit: %v", err)
	}
	if f.Form, err = attendance.ParseTristate(p.form); err != nil {
		return f, usagef("--form: %v", err)
	}
	if f.Conflict, err = attendance.ParseTristate(p.conflict); err != nil {
		return f, usagef("--conflict: %v", err)
	}
	if f.Certificate, err = attendance.ParseCertificateFilter(p.cert); err != nil {
		return f, usagef("--certificate: %v", err)
	}
	if p.role != "" {
		if f.Role, err = attendance.ParseRole(p.role); err != nil {
			return f, usagef("--role: %v", err)
		}
	}
	if p.presence < 0 {
		return f, usagef("--presence: expected minutes, 0 or more")
	}
	f.MinPresence, f.Country, f.Q = p.presence, p.country, p.q
	return f, nil
}
