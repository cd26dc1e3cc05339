package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/collector/fakeyoutube"
)

// TestFiftyCrashes (issue 12, item 12) plays a ten-minute live event in
// real time and kills `rollcall serve` with SIGKILL every 10 s, restarting
// it at once (every fifth time after 5 s), alternating polling and
// streamList (gRPC) between lives, then lets a last `serve --until-ended`
// drain the chat. Meanwhile `certificates issue` runs now and then. A twin
// daemon that is never killed follows an identical fake on a copy of the
// database taken before the event. Every message the fake served must be
// stored exactly once and in order; links, conflicts, checkpoint hits and
// certificate decisions must be the twin's; no certificate id may repeat
// or change; and the quota ledger must hold at least what the fake charged.
func TestFiftyCrashes(t *testing.T) {
	longProof(t, "about 11 minutes")
	const (
		video     = "crashVid001"
		length    = 10 * time.Minute
		killEvery = 10 * time.Second
		slowEvery = 5 // every fifth restart waits 5 s
		minKills  = 50
	)
	began := time.Now()
	bin := binary(t)
	ctx := context.Background()
	dir := t.TempDir()
	dsn := filepath.Join(dir, "rollcall.db")
	c := newCLI(t, dsn)
	c.ok("event", "create", "crash", "--title", "Fifty crashes", "--video", video, "--require-form=false")
	var reg strings.Builder
	reg.WriteString("Full Name,Email Address,Role\n")
	for i := range 60 {
		role := "Participant"
		if i%20 == 0 {
			role = "Speaker"
		}
		fmt.Fprintf(&reg, "Person %d,p%d@example.org,%s\n", i, i, role)
	}
	c.ok("registrations", "import", "--event", "crash", writeFile(t, "reg.csv", []byte(reg.String())))
	codes := readCodes(t, c.ok("codes", "--event", "crash"))

	now := time.Now().UTC()
	start := now.Add(8 * time.Second) // the daemon is up before the audience
	var windows []fakeyoutube.CheckpointWindow
	for i, w := range []string{"mango", "lotus", "sabai"} {
		opens := start.Add(time.Duration(2+3*i) * time.Minute)
		windows = append(windows, fakeyoutube.CheckpointWindow{Word: w, OpensAt: opens, ClosesAt: opens.Add(time.Minute)})
		c.ok("checkpoint", "add", "--event", "crash", "--word", w, "--opens-at", opens.Format(time.RFC3339), "--closes-at", opens.Add(time.Minute).Format(time.RFC3339))
	}
	var attendees []fakeyoutube.Attendee
	for i, r := range codes {
		attendees = append(attendees, fakeyoutube.Attendee{ChannelID: fmt.Sprintf("UCcrash%017d", i), Name: r.name, Code: r.code})
	}
	// The twin's database: a copy taken before any daemon ran.
	twinDSN := filepath.Join(t.TempDir(), "twin.db")
	copyFile(t, dsn, twinDSN)

	script := fakeyoutube.EventScript{VideoID: video, Start: start, Length: length, Seed: 50, Attendees: attendees,
		Checkpoints: windows, Lurkers: 400,
		Floods: []fakeyoutube.Flood{{At: start.Add(3 * time.Minute), Size: 2500}, {At: start.Add(7 * time.Minute), Size: 3000}}}
	newFake := func() (*fakeyoutube.Server, int, string, string) {
		fake := fakeyoutube.New(fakeyoutube.NewSpeedClock(now, 1), fakeyoutube.Options{APIKey: "crash-key-not-secret",
			PollingMillis: 1000, ChatEndedGrace: 8 * time.Second})
		n, err := fake.AddEvent(script)
		if err != nil {
			t.Fatal(err)
		}
		return fake, n, serveFake(t, fake), serveFakeGRPC(t, fake)
	}
	fake, scripted, addr, grpcAddr := newFake()
	twinFake, _, twinAddr, _ := newFake()
	env := func(db, addr string) []string {
		return []string{"ROLLCALL_DB=" + db, "ROLLCALL_YOUTUBE_ENDPOINT=http://" + addr + "/",
			"ROLLCALL_YOUTUBE_API_KEY=crash-key-not-secret", "ROLLCALL_EVENT_DURATION=12m"}
	}
	twin := startServe(t, bin, append(env(twinDSN, twinAddr), "ROLLCALL_CHAT_SOURCE=poll"), "--until-ended")

	// Lives of the crashed daemon: polling and streaming in turn.
	var lives []*daemonProc
	defer func() {
		if t.Failed() || os.Getenv("ROLLCALL_E2E_LOGS") != "" {
			for i, p := range lives {
				t.Logf("life %d:\n%s", i, p.log())
			}
			t.Logf("twin:\n%s", twin.log())
		}
	}()
	startLife := func(args ...string) *daemonProc {
		e := env(dsn, addr)
		if len(lives)%2 == 1 {
			e = append(e, "ROLLCALL_CHAT_SOURCE=stream", "ROLLCALL_YOUTUBE_GRPC_ENDPOINT="+grpcAddr)
		} else {
			e = append(e, "ROLLCALL_CHAT_SOURCE=poll")
		}
		p := startServe(t, bin, e, args...)
		lives = append(lives, p)
		return p
	}
	issued := map[string]string{} // certificate id → email|type, as first issued
	issue := func() {
		t.Helper()
		c.ok("certificates", "issue", "--event", "crash", "--staff", "ops")
		for id, who := range certificateIDs(t, dsn) {
			if was, ok := issued[id]; ok && was != who {
				t.Fatalf("certificate %s was issued to %s, now %s", id, was, who)
			}
			issued[id] = who
		}
	}

	kills, slowRestarts := 0, 0
	end := start.Add(length)
	for time.Now().Before(end) {
		p := startLife()
		time.Sleep(killEvery) // the scenario's own time line: an outside process, no clock to move
		select {
		case err := <-p.done:
			t.Fatalf("life %d exited by itself: %v\n%s", len(lives)-1, err, p.log())
		default:
		}
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-p.done
		kills++
		if kills%slowEvery == 0 {
			slowRestarts++
			time.Sleep(5 * time.Second)
		}
		if kills%15 == 0 {
			issue() // while the chat is being read; the daemon is down or starting
		}
	}
	if kills < minKills {
		t.Fatalf("%d kills in %s, want at least %d", kills, length, minKills)
	}
	// Every life read chat: the file lock proves its predecessor dead, so
	// no life waits out a dead daemon's chat lease.
	reading := 0
	for _, p := range lives {
		if strings.Contains(p.log(), `"msg":"chat reader started"`) {
			reading++
		}
	}
	if reading != kills {
		t.Errorf("%d of %d killed lives started a chat reader", reading, kills)
	}
	killedAt := time.Now()
	last := startLife("--until-ended")
	// Done once videos.list has seen the end (every 30 s while live) and the
	// chat is drained (8 s of grace after the end).
	for _, p := range []*daemonProc{last, twin} {
		select {
		case err := <-p.done:
			if err != nil {
				t.Fatalf("serve --until-ended: %v\n%s", err, p.log())
			}
		case <-time.After(time.Until(end) + 30*time.Second + 8*time.Second + 90*time.Second):
			t.Fatalf("serve --until-ended did not finish\n%s", p.log())
		}
	}
	drained := time.Since(killedAt)
	issue()
	c.ok("certificates", "issue", "--event", "crash", "--staff", "ops") // idempotent
	twinCLI := newCLI(t, twinDSN)
	twinCLI.ok("certificates", "issue", "--event", "crash", "--staff", "ops")

	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db := st.DB()
	var stored []string
	if err := db.SelectContext(ctx, &stored, `SELECT message_id FROM chat_messages ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	served, _ := checkStoredOnce(t, fake.Served(video), stored)
	if len(served) != scripted {
		t.Errorf("the fake served %d of %d scripted messages: nothing should have been lost", len(served), scripted)
	}
	checkInOrder(t, fake.Messages(video), stored)
	var counted, gaps int64
	if err := db.GetContext(ctx, &counted, `SELECT chat_messages FROM streams WHERE video_id = ?`, video); err != nil {
		t.Fatal(err)
	}
	if counted != int64(len(stored)) {
		t.Errorf("the stream counts %d messages, %d are stored", counted, len(stored))
	}
	if err := db.GetContext(ctx, &gaps, `SELECT count(*) FROM chat_gaps`); err != nil {
		t.Fatal(err)
	}
	if gaps != 0 {
		t.Errorf("%d gaps recorded; no page token expires in this scenario", gaps)
	}
	repeats := len(fake.Served(video)) - len(served)

	// Evidence: what the crashed daemon derived is what the twin derived.
	twinSt, err := store.Open(ctx, twinDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer twinSt.Close()
	var twinStored int
	if err := twinSt.DB().GetContext(ctx, &twinStored, `SELECT count(*) FROM chat_messages`); err != nil {
		t.Fatal(err)
	}
	if twinStored != len(stored) || len(twinFake.Served(video)) != len(fake.Served(video))-repeats {
		t.Errorf("the twin stored %d messages (served %d), the crashed daemon %d", twinStored, len(twinFake.Served(video)), len(stored))
	}
	evidence := map[string]string{
		"links":     `SELECT r.email || ' ' || l.channel_id || ' ' || l.method || ' ' || l.message_id FROM links l JOIN registrations r ON r.id = l.registration_id`,
		"conflicts": `SELECT r.email || ' ' || c.channel_id || ' ' || c.kind FROM link_conflicts c JOIN registrations r ON r.id = c.registration_id`,
		"checkpoint hits": `SELECT k.number || ' ' || r.email || ' ' || h.message_id || ' ' || h.at FROM checkpoint_hits h
			JOIN checkpoints k ON k.id = h.checkpoint_id JOIN registrations r ON r.id = h.registration_id`,
		"certificates":  `SELECT r.email || ' ' || c.type || ' ' || (c.revoked_at > 0) FROM certificates c JOIN registrations r ON r.id = c.registration_id`,
		"chat authors":  `SELECT channel_id || ' ' || messages FROM chat_authors`,
		"chat activity": `SELECT channel_id || ' ' || minute FROM chat_activity`,
	}
	figures := map[string]int{}
	for name, q := range evidence {
		var got, want []string
		if err := db.SelectContext(ctx, &got, q); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := twinSt.DB().SelectContext(ctx, &want, q); err != nil {
			t.Fatalf("%s of the twin: %v", name, err)
		}
		slices.Sort(got)
		slices.Sort(want)
		if dup := slices.Compact(slices.Clone(got)); len(dup) != len(got) {
			t.Errorf("%s: %d duplicates", name, len(got)-len(dup))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s differ from the twin's: %d rows, the twin %d\n got: %.600q\nwant: %.600q", name, len(got), len(want), got, want)
		}
		figures[name] = len(got)
	}
	if figures["links"] < len(attendees)/2 || figures["checkpoint hits"] == 0 || figures["certificates"] == 0 {
		t.Errorf("too little evidence to prove anything: %v", figures)
	}
	final := certificateIDs(t, dsn)
	for id, who := range issued {
		if final[id] != who {
			t.Errorf("certificate %s (%s) changed or vanished: %q", id, who, final[id])
		}
	}
	owners := map[string]bool{}
	for _, who := range final {
		if owners[who] {
			t.Errorf("two certificate ids for %s", who)
		}
		owners[who] = true
	}

	ledger, charged := quotaLedgerAndCharged(t, st, fake, began)
	if ledger < charged {
		t.Errorf("the quota ledger holds %d units, the fake charged %d", ledger, charged)
	}
	t.Logf("%d kills (%d restarts after 5 s) over %d lives, %d of them reading chat; %d messages scripted, %d served (%d served again after a kill), %d stored once each, %d gaps; "+
		"evidence equal to the twin's: %v; %d certificate ids, none repeated or changed; drained %s after the last kill; quota ledger %d ≥ charged %d; wall time %s",
		kills, slowRestarts, len(lives), reading, scripted, len(served), repeats, len(stored), gaps, figures, len(final),
		drained.Round(100*time.Millisecond), ledger, charged, time.Since(began).Round(time.Second))
}

// certificateIDs maps every certificate id of the SQLite database at dsn
// to "email type".
func certificateIDs(t *testing.T, dsn string) map[string]string {
	t.Helper()
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var rows []struct {
		ID  string `db:"id"`
		Who string `db:"who"`
	}
	if err := st.DB().SelectContext(context.Background(), &rows, `SELECT c.id, r.email || ' ' || c.type AS who
		FROM certificates c JOIN registrations r ON r.id = c.registration_id`); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows {
		if _, ok := out[r.ID]; ok {
			t.Fatalf("certificate id %s twice", r.ID)
		}
		out[r.ID] = r.Who
	}
	return out
}

// copyFile copies a closed SQLite database (and its -wal, if any).
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	for _, suffix := range []string{"", "-wal"} {
		in, err := os.Open(from + suffix)
		if os.IsNotExist(err) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.OpenFile(to+suffix, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, in); err != nil {
			t.Fatal(err)
		}
		in.Close()
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
