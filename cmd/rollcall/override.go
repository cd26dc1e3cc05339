package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
)

func (a *app) overrideCommand() *cobra.Command {
	var event, email, cert, why, staff string
	cmd := &cobra.Command{
		Use:   "override --event SLUG --email E --certificate participation|appreciation|none --why TEXT",
		Short: "Decide one person's certificate by hand (kept with who and why, audited)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ct, err := attendance.ParseCertificateType(cert)
			if err != nil {
				return err
			}
			return a.asStaff(cmd.Context(), staff, event, func(s *store.Store, e attendance.Event, who string) error {
				reg, err := s.Registration(cmd.Context(), e.ID, email)
				if err != nil {
					return err
				}
				if err := s.AddOverride(cmd.Context(), e.ID, reg.ID, ct, why, who); err != nil {
					return err
				}
				d, err := s.Decision(cmd.Context(), e.ID, reg.ID)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "override recorded: certificate %s (%s)\n", orNone(d.Certificate), strings.Join(attendance.ReasonStrings(d.Reasons), "; "))
				return nil
			})
		},
	}
	eventFlag(cmd, &event)
	cmd.Flags().StringVar(&email, "email", "", "the person's email (required)")
	cmd.Flags().StringVar(&cert, "certificate", "", "participation, appreciation or none (required)")
	cmd.Flags().StringVar(&why, "why", "", "the reason, shown in exports (required)")
	cmd.Flags().StringVar(&staff, "staff", "", "who decides (default $USER)")
	for _, f := range []string{"email", "certificate", "why"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

func orNone(c attendance.CertificateType) string {
	if c == attendance.CertNone {
		return "none"
	}
	return string(c)
}
