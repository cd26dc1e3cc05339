package main

import (
	"encoding/csv"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance/store/storetest"
	"github.com/seameo/rollcall/collector/fakeyoutube"
)

// TestAttendanceEndToEnd plays an event on the fake YouTube and follows it
// with `rollcall serve --until-ended` (the real client): registrants type
// their codes in every form people do, answer checkpoints inside, before and
// after the windows; a second channel types a code that is already linked
// (stolen); a school's shared channel types three codes (group viewing,
// allowed up to 3); lurkers chat and a flood overflows a page. Then the
// assessment form is imported, and the certificates export must be exactly
// what the policy says.
func TestAttendanceEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the daemon")
	}
	bin := binary(t)
	dsn := storetest.SQLiteDSN(t)
	c := newCLI(t, dsn)

	now := time.Now().UTC().Truncate(time.Second)
	t0 := now.Add(-60 * time.Minute) // the stream started an hour ago and is still live
	const video = "attVideo001"
	c.ok("event", "create", "e2e", "--title", "Policy Dialogue", "--video", video, "--max-registrations-per-channel", "3")
	people := [][]string{ // name, email, role
		{"Dr Aye Chan Mon", "speaker@example.org", "Speaker"},
		{"สมศักดิ์ ศรีสุข", "p1@example.org", "Participant"},     // codes lower case in a sentence, 2/3, form → participation
		{"Nguyễn Thị Ngọc Ánh", "p2@example.org", "Participant"}, // full-width code, 1/3 (before, inside, after) → none
		{"សុខ ស្រីពេជ្រ", "p3@example.org", "Participant"},       // 3/3 but no form → none
		{"ສົມສັກ ພົມມະວົງ", "p4@example.org", "Participant"},     // 2/3 and form, but a second channel types the code → conflict
		{"အောင်ဆန်းစုကြည်", "p5@example.org", "Participant"},     // group channel, 2/3, form → participation
		{"Siti Nurhaliza", "p6@example.org", "Participant"},      // group channel, 2/3, form → participation
		{"Budi Santoso", "p7@example.org", "Participant"},        // never in chat, form → none
	}
	var reg strings.Builder
	reg.WriteString("Full Name,Email Address,Role\n")
	for _, p := range people {
		fmt.Fprintf(&reg, "%s,%s,%s\n", p[0], p[1], p[2])
	}
	c.ok("registrations", "import", "--event", "e2e", writeFile(t, "reg.csv", []byte(reg.String())))
	code := map[string]string{}
	for _, r := range readCodes(t, c.ok("codes", "--event", "e2e")) {
		code[r.email] = r.code
	}
	cps := [][2]time.Time{{t0.Add(10 * time.Minute), t0.Add(20 * time.Minute)}, {t0.Add(30 * time.Minute), t0.Add(40 * time.Minute)}, {t0.Add(50 * time.Minute), t0.Add(55 * time.Minute)}}
	words := []string{"mango", "Phở", "sabai"}
	for i, w := range words {
		c.ok("checkpoint", "add", "--event", "e2e", "--word", w, "--opens-at", cps[i][0].Format(time.RFC3339), "--closes-at", cps[i][1].Format(time.RFC3339))
	}
	inside := func(i int) time.Time { return cps[i][0].Add(2 * time.Minute) }

	var msgs []fakeyoutube.Message
	say := func(ch, name, text string, at time.Time) {
		msgs = append(msgs, fakeyoutube.Message{ID: fmt.Sprintf("LCC.e2e.%05d", len(msgs)), AuthorChannelID: ch, AuthorName: name, Text: text, PublishedAt: at})
	}
	ch := func(i int) string { return fmt.Sprintf("UCatt%019d", i) }
	fullWidth := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			if r > ' ' && r < 0x7f {
				r += 0xFEE0
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	say(ch(0), "Aye Chan Mon", "Good morning, my code "+code["speaker@example.org"], t0.Add(time.Minute))
	say(ch(1), "สมศักดิ์", "สวัสดีครับ my code is "+strings.ToLower(strings.ReplaceAll(code["p1@example.org"], "-", ""))+" thank you", t0.Add(2*time.Minute))
	say(ch(1), "สมศักดิ์", "mango!", inside(0))
	say(ch(1), "สมศักดิ์", "the word is pho", inside(1)) // accent- and case-insensitive
	say(ch(2), "Ánh", "mã "+fullWidth(code["p2@example.org"]), t0.Add(3*time.Minute))
	say(ch(2), "Ánh", "mango", cps[0][0].Add(-time.Minute)) // before the window
	say(ch(2), "Ánh", "PHỞ", inside(1))
	say(ch(2), "Ánh", "sabai", cps[2][1].Add(time.Minute)) // after the window
	say(ch(3), "Sok", code["p3@example.org"], t0.Add(4*time.Minute))
	for i, w := range words {
		say(ch(3), "Sok", w, inside(i))
	}
	say(ch(4), "Somsack", "mango", inside(0)) // answers first, types the code later
	say(ch(4), "Somsack", code["p4@example.org"], t0.Add(25*time.Minute))
	say(ch(4), "Somsack", "sabai", inside(2))
	say(ch(99), "Thief", "my code "+code["p4@example.org"], t0.Add(45*time.Minute)) // a second channel: stolen
	say(ch(50), "Yangon School", "our codes "+code["p5@example.org"]+" "+code["p6@example.org"], t0.Add(5*time.Minute))
	say(ch(50), "Yangon School", "mango", inside(0))
	say(ch(50), "Yangon School", "Phở", inside(1))
	for i := 0; i < 200; i++ {
		say(fmt.Sprintf("UClurk%018d", i), "viewer", "hello from Jakarta", t0.Add(time.Duration(i)*10*time.Second))
	}
	for i := 0; i < 2500; i++ { // a flood bigger than one page
		say(fmt.Sprintf("UCflood%017d", i), "wave", "👋", t0.Add(33*time.Minute+time.Duration(i)*time.Millisecond))
	}
	sort.SliceStable(msgs, func(i, j int) bool { return msgs[i].PublishedAt.Before(msgs[j].PublishedAt) })

	clock := fakeyoutube.NewSpeedClock(now, 1)
	fake := fakeyoutube.New(clock, fakeyoutube.Options{PollingMillis: 200, History: len(msgs)})
	fake.AddVideo(fakeyoutube.Video{ID: video, ScheduledStart: t0, ActualStart: t0, ActualEnd: now.Add(4 * time.Second)})
	if err := fake.AddMessages(video, msgs...); err != nil {
		t.Fatal(err)
	}
	addr := serveFake(t, fake)
	p := startServe(t, bin, []string{"ROLLCALL_DB=" + dsn, "ROLLCALL_YOUTUBE_ENDPOINT=http://" + addr + "/", "ROLLCALL_YOUTUBE_API_KEY=k"}, "--until-ended")
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("serve: %v\n%s", err, p.log())
		}
	case <-time.After(120 * time.Second):
		t.Fatalf("serve --until-ended did not finish\n%s", p.log())
	}
	if got := len(fake.Served(video)); got != len(msgs) {
		t.Fatalf("the fake served %d of %d messages", got, len(msgs))
	}

	form := "Timestamp,Email Address,Name as it should appear on your certificate\n"
	for _, e := range []string{"p1", "p2", "p4", "p5", "p6", "p7"} {
		form += fmt.Sprintf("%s,%s@example.org,\n", now.Format("2006-01-02 15:04:05"), e)
	}
	form += fmt.Sprintf("%s,P1@Example.org ,Somsak Srisuk (ศรีสุข)\n", now.Add(time.Minute).Format("2006-01-02 15:04:05")) // a later submission wins
	c.ok("forms", "import", "--event", "e2e", writeFile(t, "form.csv", []byte(form)))

	out := c.ok("export", "certificates", "--event", "e2e")
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	names := map[string]string{}
	for _, r := range recs[1:] {
		got[r[2]] = r[0]
		names[r[2]] = r[1]
	}
	want := map[string]string{"speaker@example.org": "appreciation", "p1@example.org": "participation",
		"p5@example.org": "participation", "p6@example.org": "participation"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("certificates %v\nwant %v\nattendance export:\n%s", got, want, c.ok("export", "attendance", "--event", "e2e"))
	}
	if names["p1@example.org"] != "Somsak Srisuk (ศรีสุข)" {
		t.Fatalf("the form's certificate name must win: %q", names["p1@example.org"])
	}
	att := c.ok("export", "attendance", "--event", "e2e")
	for _, reason := range []string{"checkpoints 1/3", "no_form", "code_conflict", "not_linked", "shared_channel"} {
		if !strings.Contains(att, reason) {
			t.Errorf("attendance export lacks the reason %q:\n%s", reason, att)
		}
	}
	if again := c.ok("export", "certificates", "--event", "e2e"); again != out {
		t.Fatal("a second export differs from the first")
	}
}
