// Command rollcall takes the roll call of a YouTube live event.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "rollcall: under construction")
	os.Exit(1)
}
