package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
)

func (a *app) personCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "person", Short: "Export or delete everything held about one person (data subject requests)"}
	var event, email, staff string
	exp := &cobra.Command{
		Use:   "export --event SLUG --email E",
		Short: "Print everything held about one person as JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withEvent(cmd.Context(), event, func(s *store.Store, e attendance.Event) error {
				p, err := s.Person(cmd.Context(), e.ID, email)
				if err != nil {
					return err
				}
				who, err := a.staffName(staff)
				if err != nil {
					return err
				}
				if err := s.Audit(cmd.Context(), who, "person export", e.ID, fmt.Sprintf("registration %d", p.Registration.ID), ""); err != nil {
					return err
				}
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(p)
			})
		},
	}
	del := &cobra.Command{
		Use:   "delete --event SLUG --email E",
		Short: "Delete one person from an event: registration, links, evidence, form, certificates and their chat",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.asStaff(cmd.Context(), staff, event, func(s *store.Store, e attendance.Event, who string) error {
				res, err := s.DeletePerson(cmd.Context(), e.ID, email, who)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "person deleted: %d chat channels and %d messages removed, %d shared channels kept\n",
					res.Channels, res.ChatMessages, res.SharedKept)
				return nil
			})
		},
	}
	for _, c := range []*cobra.Command{exp, del} {
		eventFlag(c, &event)
		c.Flags().StringVar(&email, "email", "", "the person's email (required)")
		c.Flags().StringVar(&staff, "staff", "", "who acts, for the audit log (default $USER)")
		_ = c.MarkFlagRequired("email")
	}
	cmd.AddCommand(exp, del)
	return cmd
}
