package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
	"github.com/seameo/rollcall/collector"
	"github.com/seameo/rollcall/collector/fakeyoutube"
)

// captureScenario is one event of four videos that behave as YouTube's do
// (collector/fakeyoutube cites the source of each behaviour), followed by
// `rollcall serve` killed with SIGKILL mid-stream for longer than a page
// token lives, then `serve --until-ended`:
//
//   - video A: its chat is replaced by a new activeLiveChatId 20 s in (the
//     old one answers liveChatEnded), the encoder drops for 8 s (responses
//     carry offlineAt while videos.list says live), a flood of 150 comes
//     while the daemon is down, Super Chats carry a code and a checkpoint
//     word in the buyer's name (no evidence) and in the comment (evidence),
//     and a moderator deletes a message and bans a channel;
//   - video B: chat reads answer 403 forbidden for 12 s mid-stream;
//   - video C: a members-only chat (403 for an API key) all along;
//   - video D: deleted 15 s in (videos.list stops returning it);
//   - video E: scheduled three hours ago and never started: upcoming for
//     ever, so --until-ended waits for it until staff finish it by hand.
type captureScenario struct {
	start, end time.Time
	killAt     time.Time
	restartAt  time.Time
	ttl        time.Duration
}

const (
	capA, capB, capC, capD, capE = "capVideoA01", "capVideoB01", "capVideoC01", "capVideoD01", "capVideoE01"
)

// TestServeFollowsYouTubesRealBehaviour checks, on SQLite and PostgreSQL,
// that every message the fake could still serve is stored exactly once,
// that what YouTube no longer served lies inside a recorded gap, that the
// people who typed their code are linked (a code or checkpoint word in a
// Super Chat buyer's name counts for nothing, in the comment it counts),
// and that --until-ended exits only once every video has ended (or is
// unavailable) and its chat is drained.
func TestServeFollowsYouTubesRealBehaviour(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs for about 100 s per engine")
	}
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) { captureEndToEnd(t, e, "poll") })
	}
}

// TestServeStreamsChatThroughGRPC plays the same event through the fake's
// streamList server (gRPC on loopback): streams closed by the server every
// 10 s, cut every 500 responses and on command, and the daemon killed with
// SIGKILL mid-stream. Every message the fake could still serve is stored
// exactly once, with no liveChatMessages.list call at all.
func TestServeStreamsChatThroughGRPC(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs for about 100 s per engine")
	}
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) { captureEndToEnd(t, e, "stream") })
	}
}

func captureEndToEnd(t *testing.T, e storetest.Engine, source string) {
	bin := binary(t)
	ctx := context.Background()
	dsn := e.DSN(t)
	c := newCLI(t, dsn)

	now := time.Now().UTC()
	sc := captureScenario{start: now.Add(5 * time.Second), ttl: 10 * time.Second}
	sc.end = sc.start.Add(70 * time.Second)
	sc.killAt = sc.start.Add(45 * time.Second)
	sc.restartAt = sc.killAt.Add(sc.ttl + 3*time.Second) // the stored token has expired by then
	at := func(d time.Duration) time.Time { return sc.start.Add(d) }

	c.ok("event", "create", "cap", "--title", "Capture", "--video", capA, "--video", capB, "--video", capC, "--video", capD, "--video", capE)
	var reg strings.Builder
	reg.WriteString("Full Name,Email Address,Role\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&reg, "Person %d,p%d@example.org,Participant\n", i, i)
	}
	c.ok("registrations", "import", "--event", "cap", writeFile(t, "reg.csv", []byte(reg.String())))
	code := map[string]string{}
	for _, r := range readCodes(t, c.ok("codes", "--event", "cap")) {
		code[strings.TrimSuffix(r.email, "@example.org")] = r.code
	}
	c.ok("checkpoint", "add", "--event", "cap", "--word", "lotus",
		"--opens-at", sc.start.Add(-time.Minute).Format(time.RFC3339), "--closes-at", sc.end.Add(time.Minute).Format(time.RFC3339))

	msgs := map[string][]fakeyoutube.Message{}
	n := 0
	add := func(video string, m fakeyoutube.Message) {
		n++
		m.ID = fmt.Sprintf("LCC.cap.%s.%05d", video, n)
		if m.AuthorName == "" {
			m.AuthorName = "viewer"
		}
		msgs[video] = append(msgs[video], m)
	}
	ch := func(p int) string { return fmt.Sprintf("UCcapPerson%013d", p) }
	say := func(video string, p int, text string, d time.Duration) {
		add(video, fakeyoutube.Message{AuthorChannelID: ch(p), Text: text, PublishedAt: at(d)})
	}
	say(capA, 1, "hello, my code "+code["p1"], 5*time.Second)
	say(capA, 2, code["p2"], 12*time.Second)
	say(capA, 3, "code "+strings.ToLower(code["p3"]), 24*time.Second) // the new chat
	say(capA, 4, code["p4"], 59*time.Second)                          // after the restart
	say(capA, 5, "my code is "+code["p5"], 56*time.Second)            // while the daemon is down, among the last 75
	say(capB, 6, code["p6"], 5*time.Second)
	say(capB, 7, code["p7"], 42*time.Second) // after the forbidden span and the flood
	// Super Chats: evidence is the buyer's comment, never displayMessage
	// (the amount and the buyer's name).
	add(capA, fakeyoutube.Message{Type: attendance.MsgSuperChat, AuthorChannelID: ch(8), AuthorName: "Eight", Text: "my code " + code["p8"], PublishedAt: at(60 * time.Second)})
	add(capA, fakeyoutube.Message{Type: attendance.MsgSuperChat, AuthorChannelID: ch(9), AuthorName: "Nine " + code["p9"], Text: "thanks!", PublishedAt: at(61 * time.Second)})
	add(capA, fakeyoutube.Message{Type: attendance.MsgSuperChat, AuthorChannelID: ch(1), AuthorName: "lotus fan", Text: "hi", PublishedAt: at(62 * time.Second)})
	add(capA, fakeyoutube.Message{Type: attendance.MsgSuperChat, AuthorChannelID: ch(3), AuthorName: "Three", Text: "lotus", PublishedAt: at(63 * time.Second)})
	add(capA, fakeyoutube.Message{Type: attendance.MsgSuperSticker, AuthorChannelID: ch(4), AuthorName: "lotus", PublishedAt: at(64 * time.Second)})
	// Moderation: a deletion and a ban, after the evidence they touch.
	add(capA, fakeyoutube.Message{Type: attendance.MsgMessageDeleted, AuthorChannelID: "UCcapModerator00000001", TargetID: msgs[capA][3].ID, PublishedAt: at(65 * time.Second)})
	add(capB, fakeyoutube.Message{Type: attendance.MsgUserBanned, AuthorChannelID: "UCcapModerator00000001", TargetID: ch(6), Text: "banned", PublishedAt: at(30 * time.Second)})
	// Chat noise, none during the encoder drop; a flood while the daemon is down.
	for i := 0; i < 70; i++ {
		d := time.Duration(i) * time.Second
		if d < 30*time.Second || d >= 38*time.Second {
			say(capA, 100+i%17, "greetings from Vientiane", d+300*time.Millisecond)
		}
		say(capB, 200+i%13, "hello from Hanoi", d+600*time.Millisecond)
	}
	for i := 0; i < 150; i++ {
		say(capA, 300+i, "👋", 47*time.Second+time.Duration(i)*50*time.Millisecond)
	}
	for i := 0; i < 1500; i++ { // a stream pushes more than 500 responses
		say(capB, 1000+i, "🙏", 26*time.Second+time.Duration(i)*10*time.Millisecond)
	}
	for i := 0; i < 10; i++ {
		say(capC, 400+i, "members only", time.Duration(i)*5*time.Second)
		say(capD, 500+i, "soon deleted", time.Duration(i)*time.Second)
	}

	clock := fakeyoutube.NewSpeedClock(now, 1)
	fake := fakeyoutube.New(clock, fakeyoutube.Options{APIKey: "cap-key-not-secret", PollingMillis: 500,
		PageTokenTTL: sc.ttl, ChatEndedGrace: 8 * time.Second, StreamDisconnectEvery: 500})
	for _, v := range []fakeyoutube.Video{
		{ID: capA, ChatReplacedAt: []time.Time{at(20 * time.Second)}, EncoderDrops: []fakeyoutube.Span{{From: at(30 * time.Second), To: at(38 * time.Second)}}},
		{ID: capB, Forbidden: []fakeyoutube.Span{{From: at(10 * time.Second), To: at(22 * time.Second)}}},
		{ID: capC, MembersOnly: true},
		{ID: capD, DeletedAt: at(15 * time.Second)},
	} {
		v.Title, v.ScheduledStart, v.ActualStart, v.ActualEnd = "Capture "+v.ID, sc.start, sc.start, sc.end
		fake.AddVideo(v)
		sort.SliceStable(msgs[v.ID], func(i, j int) bool { return msgs[v.ID][i].PublishedAt.Before(msgs[v.ID][j].PublishedAt) })
		if err := fake.AddMessages(v.ID, msgs[v.ID]...); err != nil {
			t.Fatal(err)
		}
	}
	fake.AddVideo(fakeyoutube.Video{ID: capE, Title: "Never starts", ScheduledStart: sc.start.Add(-3 * time.Hour)})
	addr := serveFake(t, fake)
	grpcAddr := serveFakeGRPC(t, fake)
	env := []string{"ROLLCALL_DB=" + dsn, "ROLLCALL_YOUTUBE_ENDPOINT=http://" + addr + "/", "ROLLCALL_YOUTUBE_GRPC_ENDPOINT=" + grpcAddr,
		"ROLLCALL_YOUTUBE_API_KEY=cap-key-not-secret", "ROLLCALL_EVENT_DURATION=2m", "ROLLCALL_CHAT_SOURCE=" + source,
		"ROLLCALL_VIDEO_MISS_INTERVAL=2s", "ROLLCALL_LOG_LEVEL=" + os.Getenv("ROLLCALL_E2E_LOG_LEVEL")}

	first := startServe(t, bin, env)
	select {
	case <-first.addr:
	case err := <-first.done:
		t.Fatalf("serve exited early: %v\n%s", err, first.log())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not listen\n%s", first.log())
	}
	time.Sleep(time.Until(at(32 * time.Second))) // the scenario's own time line: an outside process, no clock to move
	fake.DisconnectStreams()                     // on command, mid-flood (streamList only)
	time.Sleep(time.Until(sc.killAt))
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.done
	time.Sleep(time.Until(sc.restartAt))
	second := startServe(t, bin, env, "--until-ended")
	// Video E never starts: the daemon must not call the event over while
	// it is upcoming. Staff finish it by hand once the others have ended.
	time.Sleep(time.Until(sc.end.Add(5 * time.Second)))
	select {
	case err := <-second.done:
		t.Fatalf("serve --until-ended exited while video E was upcoming: %v\n%s", err, second.log())
	default:
	}
	c.ok("stream", "finish", "--event", "cap", "--video", capE, "--why", "the broadcast never started", "--staff", "ops")
	// Done once the videos have ended (70 s in), videos.list has seen it
	// (every 30 s while live), and the chats are drained (8 s of grace).
	deadline := time.Until(sc.end) + 30*time.Second + 8*time.Second + 60*time.Second
	select {
	case err := <-second.done:
		if err != nil {
			t.Fatalf("serve --until-ended: %v\n%s", err, second.log())
		}
	case <-time.After(deadline):
		t.Fatalf("serve --until-ended did not finish\n%s", second.log())
	}
	if time.Now().Before(sc.end) {
		t.Fatalf("serve --until-ended exited before the videos ended\n%s", second.log())
	}
	logs := first.log() + second.log()
	defer func() {
		if t.Failed() || os.Getenv("ROLLCALL_E2E_LOGS") != "" {
			t.Logf("first daemon:\n%s\nsecond daemon:\n%s", first.log(), second.log())
		}
	}()
	if strings.Contains(logs, "cap-key-not-secret") {
		t.Fatal("the API key reached a log line")
	}
	if !strings.Contains(logs, "live chat replaced") {
		t.Errorf("the chat replacement was not followed:\n%s", logs)
	}
	listCalls, streamCalls := fake.Calls(collector.MethodChatList), fake.Calls(collector.MethodChatStream)
	t.Logf("%s: %d liveChatMessages.list calls, %d streamList calls", source, listCalls, streamCalls)
	if source == "stream" && (listCalls != 0 || streamCalls == 0) || source == "poll" && streamCalls != 0 {
		t.Errorf("chat source %s made %d list calls and %d streamList calls", source, listCalls, streamCalls)
	}

	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ev, err := st.Event(ctx, "cap")
	if err != nil {
		t.Fatal(err)
	}
	streams, err := st.Streams(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	gaps, err := st.Gaps(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantState := map[string]string{capA: "ended/drained", capB: "ended/drained", capC: "ended/forbidden", capD: "unavailable/",
		capE: "ended/stopped"}
	for _, s := range streams {
		got := string(s.State) + "/"
		if s.State != attendance.StreamUnavailable {
			got += string(s.ChatState)
		}
		if got != wantState[s.VideoID] {
			t.Errorf("video %s: %s, want %s", s.VideoID, got, wantState[s.VideoID])
		}
		var stored []string
		if err := st.DB().SelectContext(ctx, &stored, st.DB().Rebind(`SELECT message_id FROM chat_messages WHERE stream_id = ?`), s.ID); err != nil {
			t.Fatal(err)
		}
		served, _ := checkStoredOnce(t, fake.Served(s.VideoID), stored)
		// What YouTube no longer served lies inside a recorded gap.
		lost := 0
		for _, m := range fake.Messages(s.VideoID) {
			if served[m.ID] || s.VideoID == capC || s.VideoID == capD && !m.PublishedAt.Before(at(15*time.Second)) {
				continue
			}
			lost++
			if !inGap(gaps, s.VideoID, m.PublishedAt) {
				t.Errorf("video %s: message %s at %s was never served and lies in no recorded gap (gaps %+v)",
					s.VideoID, m.ID, m.PublishedAt.Sub(sc.start), gaps)
			}
		}
		t.Logf("video %s: %d scripted, %d served and stored once, %d lost inside gaps", s.VideoID, len(fake.Messages(s.VideoID)), len(served), lost)
	}
	var reasons []string
	for _, g := range gaps {
		reasons = append(reasons, g.VideoID+":"+g.Reason)
	}
	for _, want := range []string{capA + ":" + attendance.GapChatReplaced, capA + ":" + attendance.GapTokenInvalid} {
		if !strings.Contains(strings.Join(reasons, " "), want) {
			t.Errorf("gaps %v: want one %s", reasons, want)
		}
	}

	// Links and checkpoints, from the attendance export.
	out := c.ok("export", "attendance", "--event", "cap")
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	linked, hits := map[string]string{}, map[string]string{}
	for _, r := range recs[1:] {
		who := strings.TrimSuffix(r[col["email"]], "@example.org")
		linked[who], hits[who] = r[col["linked"]], r[col["checkpoints_hit"]]
	}
	for p := 1; p <= 9; p++ {
		who := fmt.Sprintf("p%d", p)
		want := "yes"
		if p == 9 { // the code was only in a Super Chat buyer's display name
			want = "no"
		}
		if linked[who] != want {
			t.Errorf("%s linked = %q, want %s", who, linked[who], want)
		}
	}
	if hits["p3"] != "1" || hits["p1"] != "0" || hits["p4"] != "0" {
		t.Errorf("checkpoint hits p1=%s p3=%s p4=%s; want 0 (a buyer's name), 1 (a comment), 0 (a sticker)", hits["p1"], hits["p3"], hits["p4"])
	}
}

// serveFakeGRPC serves the fake's streamList (gRPC) on a loopback port
// until t ends and returns its host:port.
func serveFakeGRPC(t *testing.T, fake *fakeyoutube.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = fake.ServeGRPC(ln) }()
	t.Cleanup(fake.StopGRPC)
	return ln.Addr().String()
}

// inGap says whether a message published at t on video lies in one of its
// recorded gaps (the span is inclusive: a gap runs from the last message
// stored before it to the first one read after it).
func inGap(gaps []attendance.Gap, video string, t time.Time) bool {
	for _, g := range gaps {
		if g.VideoID == video && !t.Before(g.From) && !t.After(g.To) {
			return true
		}
	}
	return false
}
