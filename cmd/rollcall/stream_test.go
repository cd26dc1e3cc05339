package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/seameo/rollcall/attendance/store/storetest"
)

// Staff finish a stream by hand (with a reason, audited) and re-arm it;
// both refuse a video the event does not have.
func TestStreamFinishAndRearm(t *testing.T) {
	c := newCLI(t, storetest.SQLiteDSN(t))
	c.ok("event", "create", "st", "--title", "Streams", "--video", "stVideo0001")
	state := func() (string, string) {
		var show struct {
			Streams []struct {
				State     string `json:"state"`
				ChatState string `json:"chat_state"`
			} `json:"streams"`
		}
		if err := json.Unmarshal([]byte(c.ok("event", "show", "st", "--json")), &show); err != nil {
			t.Fatal(err)
		}
		return show.Streams[0].State, show.Streams[0].ChatState
	}
	if code, _, errs := c.run("stream", "finish", "--event", "st", "--video", "stVideo0001"); code != 2 || !strings.Contains(errs, "--why") {
		t.Fatalf("finish without a reason: exit %d %s", code, errs)
	}
	if code, _, _ := c.run("stream", "finish", "--event", "st", "--video", "otherVideo1", "--why", "x"); code == 0 {
		t.Fatal("finished a video the event does not have")
	}
	c.ok("stream", "finish", "--event", "st", "--video", "https://youtu.be/stVideo0001", "--why", "wrong video", "--staff", "ops")
	if st, chat := state(); st != "ended" || chat != "stopped" {
		t.Fatalf("after finish: %s/%s", st, chat)
	}
	c.ok("stream", "rearm", "--event", "st", "--video", "stVideo0001", "--staff", "ops")
	if st, chat := state(); st != "unknown" || chat != "waiting" {
		t.Fatalf("after rearm: %s/%s", st, chat)
	}
	if code, _, _ := c.run("stream", "rearm", "--event", "st", "--video", "otherVideo1"); code == 0 {
		t.Fatal("re-armed a video the event does not have")
	}
}

// Text from people never acts on the terminal: a name stored with an ANSI
// escape or a bidi override (before imports refused them) prints escaped.
func TestTerminalEscapesControls(t *testing.T) {
	tests := map[string]string{
		"สมศักดิ์ ศรีสุข":      "สมศักดิ์ ศรีสุข",
		"Budi \x1b[31mSantoso": `Budi \u001B[31mSantoso`,
		"Budi \u202eosotnaS":   `Budi \u202EosotnaS`,
		"\u200fمحمد":           "\u200fمحمد",
		"tab\there":            `tab\u0009here`,
	}
	for in, want := range tests {
		if got := terminal(in); got != want {
			t.Errorf("terminal(%q) = %q, want %q", in, got, want)
		}
	}
}
