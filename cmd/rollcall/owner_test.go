package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

// Staff turn discovery and announcements on: the window defaults to the
// given day in the event's zone, bad patterns and templates are refused,
// event show and checkpoint list say what owner mode does and did, and a
// discovered stream can be dropped (audited) for good.
func TestDiscoverAndAnnounceFlags(t *testing.T) {
	dsn := storetest.SQLiteDSN(t)
	c := newCLI(t, dsn)
	_, _, errs := c.run("event", "create", "pd", "--title", "Policy Dialogue", "--time-zone", "Asia/Bangkok",
		"--discover", "--day", "2026-11-20", "--match", "^Policy")
	if !strings.Contains(errs, "discovery: on") || !strings.Contains(errs, "2026-11-20T00:00:00+07:00 – 2026-11-21T00:00:00+07:00") {
		t.Fatalf("create --discover said:\n%s", errs)
	}
	for _, bad := range [][]string{
		{"--match", "("},
		{"--announce-template", "type {{answer}}"},
		{"--announce-template", strings.Repeat("x", 200) + " {{word}}"},
		{"--day", "20/11/2026"},
		{"--day", "2026-11-20", "--window-from", "2026-11-20T08:00:00+07:00", "--window-to", "2026-11-20T18:00:00+07:00"},
		{"--channel", "seameo"},
		{"--channel", "@x"},
		{"--channel", "@seameo channel"},
	} {
		if code, _, errs := c.run(append([]string{"event", "set", "pd"}, bad...)...); code != 2 {
			t.Errorf("event set %v: exit %d %s", bad, code, errs)
		}
	}
	c.ok("event", "set", "pd", "--announce", "--announce-template", "Word: {{word}} ({{minutes}} min)",
		"--window-from", "2026-11-20T08:00:00+07:00", "--window-to", "2026-11-20T18:00:00+07:00")
	show := c.ok("event", "show", "pd")
	for _, want := range []string{"titles matching ^Policy", "2026-11-20T08:00:00+07:00 – 2026-11-20T18:00:00+07:00", `announcements: on — "Word: {{word}} ({{minutes}} min)"`} {
		if !strings.Contains(show, want) {
			t.Errorf("event show lacks %q:\n%s", want, show)
		}
	}

	// Discovery by handle, without the owner's token: the public uploads.
	_, _, errs = c.run("event", "create", "pub", "--title", "Public Dialogue", "--time-zone", "Asia/Bangkok", "--channel", "@seameo", "--day", "2026-11-20")
	if !strings.Contains(errs, "discovery: on — the public uploads of @seameo") || !strings.Contains(errs, "unlisted broadcasts are not found") {
		t.Errorf("create --channel said:\n%s", errs)
	}

	// What the collector does, through the store: a stream found, a
	// checkpoint opened, its announcement failed.
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e, err := st.Event(ctx, "pd")
	if err != nil {
		t.Fatal(err)
	}
	if added, err := st.AddDiscoveredStream(ctx, e.ID, "pdVideo0001", "Policy Dialogue"); err != nil || !added {
		t.Fatal(added, err)
	}
	streams, _ := st.Streams(ctx, e.ID)
	if err := st.RecordStreamSample(ctx, streams[0].ID, attendance.StreamSample{At: time.Now(), State: attendance.StreamLive, ChatID: "chat1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddCheckpoint(ctx, e.ID, "lotus", time.Now().Add(-time.Minute), time.Now().Add(9*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n, err := st.QueueAnnouncements(ctx, time.Now()); err != nil || n != 1 {
		t.Fatal(n, err)
	}
	a, ok, err := st.ClaimAnnouncement(ctx, time.Now(), time.Minute)
	if err != nil || !ok || a.Text != "Word: lotus (10 min)" {
		t.Fatalf("claimed %q %t %v", a.Text, ok, err)
	}
	if err := st.FinishAnnouncement(ctx, a, attendance.AnnounceFailed, "youtube: liveChatMessages.insert: 403 forbidden", ""); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{c.ok("checkpoint", "list", "--event", "pd"), c.ok("event", "show", "pd")} {
		if !strings.Contains(out, "checkpoint 1  pdVideo0001  failed") || !strings.Contains(out, "403 forbidden") {
			t.Errorf("the failed announcement is not shown:\n%s", out)
		}
	}

	if code, _, errs := c.run("stream", "drop", "--event", "pd", "--video", "pdVideo0001"); code != 2 || !strings.Contains(errs, "--why") {
		t.Fatalf("drop without a reason: exit %d %s", code, errs)
	}
	c.ok("stream", "drop", "--event", "pd", "--video", "pdVideo0001", "--why", "a rehearsal", "--staff", "ops")
	if added, err := st.AddDiscoveredStream(ctx, e.ID, "pdVideo0001", "Policy Dialogue"); err != nil || added {
		t.Errorf("a dropped stream was discovered again: %t %v", added, err)
	}
	log, err := st.AuditLog(ctx, e.ID, 20)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, l := range log {
		actions = append(actions, l.Actor+" "+l.Action)
	}
	for _, want := range []string{"ops stream drop", "rollcall stream discover", "rollcall checkpoint announce", "tester event owner mode"} {
		if !strings.Contains(strings.Join(actions, ","), want) {
			t.Errorf("audit log lacks %q: %v", want, actions)
		}
	}
}
