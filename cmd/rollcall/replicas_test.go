package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
	"github.com/seameo/rollcall/collector/fakeyoutube"
)

// replicaAudit records, inside PostgreSQL, every change of a stream's
// fence, page token, message count or chat state, with the name of the
// connection that made it (each replica connects with its own
// application_name) and the lease holder in the row it wrote. A trigger row
// is rolled back with its transaction, so the table holds exactly the
// writes the database accepted: the test can tell who wrote what, and when,
// without any hook in the daemon.
const replicaAudit = `
CREATE TABLE replica_audit (
	id BIGSERIAL PRIMARY KEY,
	at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
	writer TEXT NOT NULL,
	holder TEXT NOT NULL,
	old_fence BIGINT NOT NULL,
	fence BIGINT NOT NULL,
	token_changed BOOLEAN NOT NULL,
	messages BIGINT NOT NULL,
	chat_state TEXT NOT NULL,
	state_changed BOOLEAN NOT NULL
);
CREATE FUNCTION replica_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO replica_audit (writer, holder, old_fence, fence, token_changed, messages, chat_state, state_changed)
	VALUES (current_setting('application_name'), NEW.lease_holder, OLD.fence, NEW.fence,
		NEW.page_token IS DISTINCT FROM OLD.page_token, NEW.chat_messages - OLD.chat_messages,
		NEW.chat_state, NEW.chat_state IS DISTINCT FROM OLD.chat_state);
	RETURN NEW;
END $$;
CREATE TRIGGER replica_audit AFTER UPDATE ON streams FOR EACH ROW
	WHEN (NEW.fence IS DISTINCT FROM OLD.fence OR NEW.page_token IS DISTINCT FROM OLD.page_token
		OR NEW.chat_messages IS DISTINCT FROM OLD.chat_messages OR NEW.chat_state IS DISTINCT FROM OLD.chat_state)
	EXECUTE FUNCTION replica_audit();
`

// auditRow is one accepted write recorded by replicaAudit.
type auditRow struct {
	ID           int64     `db:"id"`
	At           time.Time `db:"at"`
	Writer       string    `db:"writer"`
	Holder       string    `db:"holder"`
	OldFence     int64     `db:"old_fence"`
	Fence        int64     `db:"fence"`
	TokenChanged bool      `db:"token_changed"`
	Messages     int64     `db:"messages"`
	ChatState    string    `db:"chat_state"`
	StateChanged bool      `db:"state_changed"`
}

// replica is one `rollcall serve` process of the test, named by the
// application_name its connections carry.
type replica struct {
	name string
	proc *daemonProc
}

func (r replica) pid() int { return r.proc.cmd.Process.Pid }

// holds says whether a lease holder name (host-pid-random) is this replica's.
func (r replica) holds(holder string) bool {
	return strings.Contains(holder, fmt.Sprintf("-%d-", r.pid()))
}

// TestReplicasTakeOver runs three `rollcall serve` processes on one
// PostgreSQL database against the fake YouTube and a 90 s live event. It
// kills the chat lease holder with SIGKILL mid-stream, then stops the new
// holder with SIGSTOP for longer than the lease and resumes it once a third
// replica has taken over. Each takeover must happen within 30 s and resume
// from the stored page token; no write of the stale holder may be accepted
// (a trigger records who wrote each page); every message the fake served is
// stored exactly once; the stream ends drained and every replica exits 0 on
// SIGTERM.
func TestReplicasTakeOver(t *testing.T) {
	if testing.Short() {
		t.Skip("replicas: runs for about two minutes")
	}
	if os.Getenv(storetest.PostgresEnv) == "" {
		t.Skipf("%s is not set: replicas share a PostgreSQL database (SQLite allows one daemon per file)", storetest.PostgresEnv)
	}
	const (
		video       = "replicaVid1"
		takeoverMax = 30 * time.Second // the promise
		leaseTTL    = 15 * time.Second // collector.Config's default
	)
	bin := binary(t)
	ctx := context.Background()
	dsn := storetest.PostgresDSN(t)

	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db := st.DB()
	if _, err := db.ExecContext(ctx, replicaAudit); err != nil {
		t.Fatalf("audit trigger: %v", err)
	}

	clock := fakeyoutube.NewSpeedClock(time.Now().UTC(), 1)
	fake := fakeyoutube.New(clock, fakeyoutube.Options{APIKey: "test-key-not-secret", PollingMillis: 300})
	start := clock.Now().Add(6 * time.Second) // the replicas are up before the audience
	var attendees []fakeyoutube.Attendee
	for i := range 40 {
		attendees = append(attendees, fakeyoutube.Attendee{ChannelID: fmt.Sprintf("UCrep%019d", i), Name: fmt.Sprintf("Viewer %d", i), Code: "K7QM-4X2P"})
	}
	scripted, err := fake.AddEvent(fakeyoutube.EventScript{
		VideoID: video, Start: start, Length: 90 * time.Second, Seed: 11, Attendees: attendees, Lurkers: 400,
		// While the killed holder's lease runs out nobody reads: the
		// standby must catch up on a backlog larger than one page.
		Floods: []fakeyoutube.Flood{{At: start.Add(20 * time.Second), Size: 3000}},
	})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveFake(t, fake)

	newCLI(t, dsn).ok("event", "create", "replicas", "--title", "Replicas", "--video", video)

	replicas := startReplicas(t, bin, 3, dsn, addr, "test-key-not-secret")

	// lease reads the stream's lease; holder names the replica holding it.
	var streamID int64
	if err := db.GetContext(ctx, &streamID, `SELECT id FROM streams WHERE video_id = $1`, video); err != nil {
		t.Fatal(err)
	}
	lease := func() (holder string, fence int64) {
		t.Helper()
		var row struct {
			Holder string `db:"lease_holder"`
			Fence  int64  `db:"fence"`
		}
		if err := db.GetContext(ctx, &row, `SELECT lease_holder, fence FROM streams WHERE id = $1`, streamID); err != nil {
			t.Fatal(err)
		}
		return row.Holder, row.Fence
	}
	holderOf := func(holder string) (replica, bool) {
		for _, r := range replicas {
			if r.holds(holder) {
				return r, true
			}
		}
		return replica{}, false
	}
	audit := func() []auditRow {
		t.Helper()
		var rows []auditRow
		if err := db.SelectContext(ctx, &rows, `SELECT id, at, writer, holder, old_fence, fence, token_changed, messages, chat_state, state_changed
			FROM replica_audit ORDER BY id`); err != nil {
			t.Fatal(err)
		}
		return rows
	}
	// commitsAfter counts accepted pages written under a fence of at least min.
	commitsAfter := func(min int64) (n int, first time.Time) {
		for _, a := range audit() {
			if a.TokenChanged && a.Fence >= min {
				if n == 0 {
					first = a.At
				}
				n++
			}
		}
		return n, first
	}
	// takeOver waits for a replica other than gone to hold the lease with a
	// newer fence and to commit a page under it, and returns the new holder,
	// its fence and the times from since to its acquisition and first commit.
	takeOver := func(gone replica, oldFence int64, since time.Time) (replica, int64, time.Duration, time.Duration) {
		t.Helper()
		var next replica
		var fence int64
		var first time.Time
		for {
			h, f := lease()
			if r, ok := holderOf(h); ok && f > oldFence && r.name != gone.name {
				var n int
				n, first = commitsAfter(f)
				next, fence = r, f
				if n > 0 {
					break
				}
			}
			if time.Since(since) > takeoverMax+10*time.Second {
				t.Fatalf("no replica took over from %s (fence %d) within %s: lease held by %q at fence %d", gone.name, oldFence, time.Since(since).Round(time.Second), h, f)
			}
			time.Sleep(50 * time.Millisecond) // polling outside processes; no clock to move here
		}
		var acquired time.Time
		for _, a := range audit() {
			if a.Fence == fence && a.OldFence < fence {
				acquired = a.At
			}
		}
		return next, fence, acquired.Sub(since), first.Sub(since)
	}

	// 1. SIGKILL the holder once it has committed a few pages.
	var first replica
	var firstFence int64
	waitFor(t, 45*time.Second, func() bool {
		h, f := lease()
		r, ok := holderOf(h)
		if !ok {
			return false
		}
		first, firstFence = r, f
		n, _ := commitsAfter(f)
		return n >= 5 && len(fake.Served(video)) > 50
	})
	killedAt := time.Now()
	if err := first.proc.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.proc.done
	servedAtKill := len(fake.Served(video))
	second, secondFence, killAcquire, killTakeover := takeOver(first, firstFence, killedAt)
	if killTakeover > takeoverMax {
		t.Fatalf("after SIGKILL of %s, %s committed its first page after %s, want within %s", first.name, second.name, killTakeover, takeoverMax)
	}
	if !strings.Contains(second.proc.log(), `"resume":true`) {
		t.Fatalf("%s did not resume from the stored page token", second.name)
	}
	t.Logf("SIGKILL of %s (fence %d): %s took the lease (fence %d) after %s and committed its first page after %s",
		first.name, firstFence, second.name, secondFence, killAcquire.Round(time.Millisecond), killTakeover.Round(time.Millisecond))

	// 2. SIGSTOP the new holder once it is under way, for longer than the
	// lease; resume it after a third replica took over.
	waitFor(t, 20*time.Second, func() bool { n, _ := commitsAfter(secondFence); return n >= 3 })
	// The worst moment: inside a chat commit, holding row locks that the
	// next holder's commit needs. Aim for it, for a few seconds at most.
	midCommit := false
	for aim := time.Now(); !midCommit && time.Since(aim) < 10*time.Second; {
		var n int
		if err := db.GetContext(ctx, &n, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1
			AND xact_start IS NOT NULL AND (query LIKE 'INSERT INTO chat_authors%' OR query LIKE 'INSERT INTO chat_activity%'
			OR query LIKE 'UPDATE streams SET chat_messages%' OR query LIKE 'UPDATE streams SET page_token%')`, second.name); err != nil {
			t.Fatal(err)
		}
		if midCommit = n > 0; !midCommit {
			time.Sleep(time.Millisecond)
		}
	}
	stoppedAt := time.Now()
	if err := second.proc.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	var inTx []string
	if err := db.SelectContext(ctx, &inTx, `SELECT state || ': ' || left(query, 40) FROM pg_stat_activity
		WHERE application_name = $1 AND xact_start IS NOT NULL`, second.name); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s stopped (aimed at a chat commit: %v) with sessions inside a transaction: %q", second.name, midCommit, inTx)
	third, thirdFence, stopAcquire, stopTakeover := takeOver(second, secondFence, stoppedAt)
	if stopTakeover > takeoverMax {
		t.Fatalf("after SIGSTOP of %s, %s committed its first page after %s, want within %s", second.name, third.name, stopTakeover, takeoverMax)
	}
	for time.Since(stoppedAt) < leaseTTL+5*time.Second {
		time.Sleep(50 * time.Millisecond) // the stop itself must outlast the lease; nothing to poll
	}
	if err := second.proc.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	stoppedFor := time.Since(stoppedAt)
	resumedAt := time.Now()
	t.Logf("SIGSTOP of %s (fence %d) for %s: %s took the lease (fence %d) after %s and committed its first page after %s",
		second.name, secondFence, stoppedFor.Round(time.Millisecond), third.name, thirdFence, stopAcquire.Round(time.Millisecond), stopTakeover.Round(time.Millisecond))
	// The resumed replica finds out, from a refused renewal or a refused page.
	waitFor(t, 20*time.Second, func() bool { return strings.Contains(second.proc.log(), "chat lease lost") })
	staleLog := second.proc.log()
	refusedPage := strings.Contains(staleLog, `"msg":"chat lease lost: stopping this poller"`)
	refusedRenewal := strings.Contains(staleLog, `"msg":"chat lease lost to another replica: stopping this poller"`)
	t.Logf("stale %s after SIGCONT: page refused by the fence: %v; renewal refused: %v", second.name, refusedPage, refusedRenewal)
	if h, _ := lease(); !third.holds(h) {
		t.Fatalf("after SIGCONT the lease is held by %q, want %s", h, third.name)
	}

	// 3. The stream ends and is drained; every replica left stops on SIGTERM.
	waitFor(t, time.Until(start.Add(90*time.Second))+60*time.Second, func() bool {
		var s struct {
			State     string `db:"state"`
			ChatState string `db:"chat_state"`
		}
		if err := db.GetContext(ctx, &s, `SELECT state, chat_state FROM streams WHERE id = $1`, streamID); err != nil {
			t.Fatal(err)
		}
		return s.State == "ended" && s.ChatState == "drained"
	})
	for _, r := range []replica{second, third} {
		if err := r.proc.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []replica{second, third} {
		select {
		case err := <-r.proc.done:
			if err != nil {
				t.Fatalf("%s after SIGTERM: %v", r.name, err)
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("%s did not stop after SIGTERM", r.name)
		}
	}

	// Every accepted write of a page, a message count or a chat state came
	// from the replica the row names as lease holder, and fences only grew.
	rows := audit()
	var fence int64
	staleWrites := 0
	for _, a := range rows {
		if a.Fence < fence {
			t.Errorf("audit %d: fence went back from %d to %d", a.ID, fence, a.Fence)
		}
		fence = a.Fence
		if !a.TokenChanged && a.Messages == 0 && !a.StateChanged {
			continue // a lease taken: checked by the fence order above
		}
		r, ok := holderOf(a.Holder)
		if !ok || r.name != a.Writer {
			t.Errorf("audit %d: %s wrote (page %v, %d messages, chat state %q) while %q held the lease at fence %d",
				a.ID, a.Writer, a.TokenChanged, a.Messages, a.ChatState, a.Holder, a.Fence)
		}
		if a.Writer == second.name && a.At.After(stoppedAt) {
			staleWrites++
		}
	}
	if staleWrites > 0 {
		t.Errorf("%d writes of %s were accepted after it was stopped", staleWrites, second.name)
	}
	if fence != thirdFence {
		t.Errorf("final fence %d, want %d (three leases taken, no more)", fence, thirdFence)
	}

	// Exactly once: every message the fake served is stored, none twice.
	var stored []string
	if err := db.SelectContext(ctx, &stored, `SELECT message_id FROM chat_messages WHERE stream_id = $1`, streamID); err != nil {
		t.Fatal(err)
	}
	served, _ := checkStoredOnce(t, fake.Served(video), stored)
	var counted int64
	if err := db.GetContext(ctx, &counted, `SELECT chat_messages FROM streams WHERE id = $1`, streamID); err != nil {
		t.Fatal(err)
	}
	if counted != int64(len(stored)) {
		t.Fatalf("stream counts %d messages, %d stored", counted, len(stored))
	}
	t.Logf("%d messages scripted, %d distinct served (%d before the SIGKILL), %d stored once each; %d accepted writes audited; stale replica resumed %s after its stop",
		scripted, len(served), servedAtKill, len(stored), len(rows), resumedAt.Sub(stoppedAt).Round(time.Millisecond))
}

// startReplicas starts n `rollcall serve` replicas on the PostgreSQL of
// dsn, each named in its connection (application_name), against the fake
// at addr with the API key, and waits for each to listen. Their logs are
// shown when the test fails (or ROLLCALL_E2E_LOGS is set).
func startReplicas(t *testing.T, bin string, n int, dsn, addr, key string) []replica {
	t.Helper()
	var replicas []replica
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("ROLLCALL_E2E_LOGS") != "" {
			for _, r := range replicas {
				t.Logf("%s (pid %d):\n%s", r.name, r.pid(), r.proc.log())
			}
		}
	})
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("replica-%d", i)
		p := startServe(t, bin, []string{"ROLLCALL_DB=" + dsn + "&application_name=" + name, "ROLLCALL_YOUTUBE_ENDPOINT=http://" + addr + "/",
			"ROLLCALL_YOUTUBE_API_KEY=" + key, "ROLLCALL_EVENT_DURATION=2m", "ROLLCALL_QUOTA_DAILY=1000000"})
		select {
		case <-p.addr:
		case err := <-p.done:
			t.Fatalf("%s exited early: %v\n%s", name, err, p.log())
		case <-time.After(30 * time.Second):
			t.Fatalf("%s did not listen\n%s", name, p.log())
		}
		replicas = append(replicas, replica{name: name, proc: p})
	}
	return replicas
}
