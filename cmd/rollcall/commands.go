package main

import "github.com/spf13/cobra"

// extraCommands returns the commands beyond the foundation's. Each later
// area adds its constructors here, keeping root wiring in one place.
func (a *app) extraCommands() []*cobra.Command {
	return append([]*cobra.Command{a.serveCommand(), a.demoCommand(), a.authCommand(), a.userCommand(), a.certificatesCommand(), a.preflightCommand(), a.mailCommand()}, a.attendanceCommands()...)
}
