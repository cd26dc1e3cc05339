// Command rollcall takes the roll call of a YouTube live event: it follows
// the event's streams through the YouTube APIs, links chat participants to
// registrations, and decides who earned which certificate.
//
// main only wires parts together; the logic lives in the packages it calls.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // the quota day resets at midnight America/Los_Angeles on any host
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// run executes one command line and returns the process exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app := newApp(stdin, stdout, stderr, getenv)
	return app.execute(ctx, args)
}
