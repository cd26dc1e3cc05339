package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/export"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

var t0 = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)

func ch(n int) string { return fmt.Sprintf("UC%022d", n) }

// TestEndToEnd plays an event through the store as the collector would:
// coded arrivals in every form, checkpoint answers inside, before and after
// windows, a stolen code, a group-viewing channel, lurkers and a flood;
// then the form; then checks that the certificates export is exactly what
// the policy says, and that exports repeat byte for byte.
func TestEndToEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := attendance.DefaultPolicy()
		p.MaxRegistrationsPerChannel = 3
		ev, err := s.CreateEvent(ctx, attendance.Event{Slug: "pd-2026", Title: "Futures of Higher Education", TimeZone: "Asia/Bangkok",
			Policy: p, VideoIDs: []string{"dQw4w9WgXcQ"}})
		if err != nil {
			t.Fatal(err)
		}
		people := []attendance.Registration{
			{FullName: "Anh Nguyen", Email: "anh@example.vn"},
			{FullName: "Bo Lee", Email: "bo@example.org"},
			{FullName: "Chai Srisuk", Email: "chai@example.th"},
			{FullName: "Dara Sok", Email: "dara@example.kh"},
			{FullName: "Ela Cruz", Email: "ela@example.ph"},
			{FullName: "Teacher One", Email: "t1@school.example"},
			{FullName: "Teacher Two", Email: "t2@school.example"},
			{FullName: "Teacher Three", Email: "t3@school.example"},
			{FullName: "Teacher Four", Email: "t4@school.example"},
			{FullName: "Lurker Lim", Email: "lurk@example.sg"},
			{FullName: "Nofo Rm", Email: "noform@example.my"},
			{FullName: "Kim Park", Email: "kim@example.kr", Role: attendance.RoleSpeaker},
			{FullName: "Org Staff", Email: "org@seameo.example", Role: attendance.RoleOrganizer},
			{FullName: "Yaw Handle", Email: "yaw@example.la", YouTube: "@yawtube"},
		}
		for i := range people {
			if people[i].Role == "" {
				people[i].Role = attendance.RoleParticipant
			}
		}
		if _, err := s.ImportRegistrations(ctx, ev.ID, people, false); err != nil {
			t.Fatal(err)
		}
		code := map[string]string{}
		err = s.EachRegistration(ctx, ev.ID, func(r attendance.Registration) error {
			code[strings.Split(r.Email, "@")[0]] = attendance.FormatCode(r.Code)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range []string{"Phở", "bamboo", "mekong"} {
			at := t0.Add(time.Duration(20+30*i) * time.Minute)
			if _, err := s.AddCheckpoint(ctx, ev.ID, w, at, at.Add(5*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		streams, _ := s.Streams(ctx, ev.ID)
		n := 0
		var page []attendance.ChatMessage
		say := func(c int, minute float64, text string) {
			n++
			name := fmt.Sprintf("Viewer %d", c)
			if c == 14 {
				name = "@YawTube"
			}
			page = append(page, attendance.ChatMessage{ID: fmt.Sprintf("LCC.%06d", n), Type: attendance.MsgText, AuthorChannelID: ch(c),
				AuthorName: name, Text: text, PublishedAt: t0.Add(time.Duration(minute * float64(time.Minute)))})
		}
		commit := func() {
			t.Helper()
			if err := s.CommitChatPage(ctx, attendance.ChatPage{StreamID: streams[0].ID, Messages: page, NextPageToken: fmt.Sprint(n)}); err != nil {
				t.Fatal(err)
			}
			page = nil
		}
		full := func(s string) string {
			var b strings.Builder
			for _, r := range s {
				b.WriteRune(r - '!' + '！')
			}
			return b.String()
		}
		// arrivals
		say(1, 1, "good morning from Hanoi, "+strings.ToLower(code["anh"]))
		say(2, 2, "my code is "+strings.ReplaceAll(code["bo"], "-", "")+" thanks")
		say(3, 2, full(code["chai"]))
		say(5, 3, code["ela"])
		say(6, 4, "School group: "+code["t1"]+" "+code["t2"])
		say(6, 4.5, code["t3"])
		say(6, 5, code["t4"]) // a fourth person on a max-3 channel
		say(11, 5, code["noform"])
		say(14, 6, "hello from Vientiane") // linked by the handle given at registration
		commit()
		// a flood of unlinked viewers, some answering the checkpoint
		rng := rand.New(rand.NewPCG(1, 2))
		for i := 0; i < 3000; i++ {
			say(100+rng.IntN(400), 6+rng.Float64()*100, []string{"hello", "pho", "great talk", "bamboo!", "Phở phở", "🎉"}[rng.IntN(6)])
			if len(page) == 500 {
				commit()
			}
		}
		commit()
		// checkpoint 1 (minute 20-25)
		say(1, 21, "pho")
		say(2, 22, "I think it's PHO")
		say(3, 23, "phở!")
		say(4, 21, "pho") // dara answers before typing her code
		say(6, 22, "pho from the school")
		say(11, 22, "pho")
		say(14, 22, "pho")
		// the thief types ela's code
		say(7, 24, "haha "+code["ela"])
		commit()
		// checkpoint 2 (minute 50-55)
		say(1, 51, "Bamboo")
		say(2, 49.9, "bamboo") // before the window
		say(3, 56, "bamboo")   // after the window
		say(4, 52, "bamboo")
		say(5, 51, "bamboo")
		say(6, 53, "ＢＡＭＢＯＯ")
		say(11, 51, "bamboo")
		say(14, 51, "bamboo")
		commit()
		say(4, 60, "sorry, my code: "+code["dara"]) // links dara: her earlier answers count
		// checkpoint 3 (minute 80-85)
		say(2, 81, "mekong")
		say(5, 82, "mekong")
		say(11, 81, "Mekong")
		commit()
		// the form, with a later correction of a name and a walk-in
		fr := []attendance.FormResponse{
			{Email: "anh@example.vn", SubmittedAt: t0.Add(2 * time.Hour), CertificateName: "Nguyen Anh"},
			{Email: "ANH@example.vn", SubmittedAt: t0.Add(3 * time.Hour), CertificateName: "Nguyễn Thị Ngọc Ánh"},
			{Email: "bo@example.org", SubmittedAt: t0.Add(2 * time.Hour)},
			{Email: "chai@example.th", SubmittedAt: t0.Add(2 * time.Hour)},
			{Email: "dara.personal@example.kh", Code: attendance.NormalizeCode(code["dara"]), SubmittedAt: t0.Add(2 * time.Hour), CertificateName: "Sok Dara"},
			{Email: "ela@example.ph", SubmittedAt: t0.Add(2 * time.Hour)},
			{Email: "t1@school.example", SubmittedAt: t0.Add(2 * time.Hour)},
			{Email: "t2@school.example", SubmittedAt: t0.Add(2 * time.Hour)},
			{Email: "t3@school.example", SubmittedAt: t0.Add(2 * time.Hour)},
			{Email: "t4@school.example", SubmittedAt: t0.Add(2 * time.Hour)},
			{Email: "lurk@example.sg", SubmittedAt: t0.Add(2 * time.Hour)},
			{Email: "yaw@example.la", SubmittedAt: t0.Add(2 * time.Hour)},
			{Email: "walkin@example.id", SubmittedAt: t0.Add(2 * time.Hour), CertificateName: "Walk In"},
		}
		if _, err := s.ImportFormResponses(ctx, ev.ID, fr, false); err != nil {
			t.Fatal(err)
		}

		// Before any Issue the export shows the certificates without ids.
		var unissued bytes.Buffer
		if err := export.Certificates(ctx, s, ev.ID, &unissued, ""); err != nil {
			t.Fatal(err)
		}
		if n, _ := countRows(s, "certificates"); n != 0 || strings.Count(unissued.String(), "\r\n") != 9 {
			t.Fatalf("an export issued %d ids, or wrote\n%s", n, unissued.String())
		}
		if res, err := s.Issue(ctx, ev.ID, "mai"); err != nil || res.Issued != 8 {
			t.Fatalf("issue %+v %v", res, err)
		}
		var first bytes.Buffer
		if err := export.Certificates(ctx, s, ev.ID, &first, ""); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(first.String(), "\uFEFF"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows[1:] {
			if len(r[3]) != attendance.CertificateIDLength {
				t.Errorf("certificate id %q", r[3])
			}
			got = append(got, r[0]+" "+r[1]+" "+r[2]+" "+r[4]+" "+r[5])
		}
		want := []string{
			"participation Nguyễn Thị Ngọc Ánh anh@example.vn Futures of Higher Education 2026-11-20",
			"participation Bo Lee bo@example.org Futures of Higher Education 2026-11-20",
			"participation Sok Dara dara@example.kh Futures of Higher Education 2026-11-20",
			"participation Teacher One t1@school.example Futures of Higher Education 2026-11-20",
			"participation Teacher Two t2@school.example Futures of Higher Education 2026-11-20",
			"participation Teacher Three t3@school.example Futures of Higher Education 2026-11-20",
			"appreciation Kim Park kim@example.kr Futures of Higher Education 2026-11-20",
			"participation Yaw Handle yaw@example.la Futures of Higher Education 2026-11-20",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("certificates:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}

		var att bytes.Buffer
		if err := export.Attendance(ctx, s, ev.ID, &att); err != nil {
			t.Fatal(err)
		}
		reasons := map[string]string{}
		arows, _ := csv.NewReader(strings.NewReader(strings.TrimPrefix(att.String(), "\uFEFF"))).ReadAll()
		col := map[string]int{}
		for i, h := range arows[0] {
			col[h] = i
		}
		for _, r := range arows[1:] {
			reasons[r[col["email"]]] = r[col["certificate_type"]] + "|" + r[col["reasons"]] + "|" + r[col["shared_channel"]]
		}
		for email, want := range map[string]string{
			"chai@example.th":    "|checkpoints 1/3|no",
			"ela@example.ph":     "|code_conflict|no",
			"t1@school.example":  "participation|shared_channel|yes",
			"t4@school.example":  "|not_linked; checkpoints 0/3; code_conflict|no",
			"lurk@example.sg":    "|not_linked; checkpoints 0/3|no",
			"noform@example.my":  "|no_form|no",
			"org@seameo.example": "|organizer|no",
			"walkin@example.id":  "|not_linked; checkpoints 0/3|no",
			"kim@example.kr":     "appreciation|role speaker|no",
		} {
			if reasons[email] != want {
				t.Errorf("%s: %q, want %q", email, reasons[email], want)
			}
		}
		// re-running gives the same ids and rows
		for i := 0; i < 2; i++ {
			var again, att2 bytes.Buffer
			if err := export.Certificates(ctx, s, ev.ID, &again, ""); err != nil {
				t.Fatal(err)
			}
			if err := export.Attendance(ctx, s, ev.ID, &att2); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again.Bytes(), first.Bytes()) || !bytes.Equal(att2.Bytes(), att.Bytes()) {
				t.Fatal("exports differ between runs")
			}
		}
		var auto bytes.Buffer
		if err := export.Certificates(ctx, s, ev.ID, &auto, export.FormatAutocrat); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(auto.String(), "\uFEFFName,Email,Certificate Type,Certificate ID,Event,Date,Role\r\n") ||
			!strings.Contains(auto.String(), "Nguyễn Thị Ngọc Ánh,anh@example.vn,Certificate of Participation,") ||
			!strings.Contains(auto.String(), ",Futures of Higher Education,20 November 2026,Participant\r\n") {
			t.Fatalf("autocrat:\n%s", auto.String())
		}
		if err := export.Certificates(ctx, s, ev.ID, &auto, "pdf"); attendance.ErrorCode(err) != attendance.EInvalid {
			t.Fatalf("unknown format: %v", err)
		}
		// Exports audit nothing (their callers do, once); Issue audited itself.
		log, _ := s.AuditLog(ctx, ev.ID, 100)
		if len(log) != 1 || log[0].Action != "certificates issue" || log[0].Actor != "mai" {
			t.Fatalf("audit: %+v", log)
		}
	})
}

func TestNeutralised(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ev, err := s.CreateEvent(ctx, attendance.Event{Slug: "x", Title: "=HYPERLINK(\"http://evil\")", Policy: attendance.DefaultPolicy()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ImportRegistrations(ctx, ev.ID, []attendance.Registration{{FullName: "=1+2", Email: "a@example.org", Role: attendance.RoleSpeaker}}, false); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := export.Certificates(ctx, s, ev.ID, &b, ""); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "appreciation,'=1+2,a@example.org,") || !strings.Contains(b.String(), `"'=HYPERLINK(""http://evil"")"`) {
			t.Fatalf("not neutralised:\n%s", b.String())
		}
	})
}

// TestAttendanceNotesAndReviewFlags: the notes column tells staff, for
// rows without a certificate that chat evidence could change, which gaps a
// replay import may fill and that members-only mode kept non-members from
// a checkpoint; review flags show in the reasons of a row that keeps its
// certificate.
func TestAttendanceNotesAndReviewFlags(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := attendance.DefaultPolicy()
		p.RequireForm = false
		ev, err := s.CreateEvent(ctx, attendance.Event{Slug: "notes", Title: "Notes", Policy: p, VideoIDs: []string{"dQw4w9WgXcQ"}})
		if err != nil {
			t.Fatal(err)
		}
		people := []attendance.Registration{
			{FullName: "Anh Nguyen", Email: "anh@example.vn", Role: attendance.RoleParticipant},
			{FullName: "Bo Lee", Email: "bo@example.org", Role: attendance.RoleParticipant},
			{FullName: "Chai Srisuk", Email: "chai@example.th", Role: attendance.RoleParticipant},
		}
		if _, err := s.ImportRegistrations(ctx, ev.ID, people, false); err != nil {
			t.Fatal(err)
		}
		code := map[string]string{}
		_ = s.EachRegistration(ctx, ev.ID, func(r attendance.Registration) error {
			code[strings.Split(r.Email, "@")[0]] = attendance.FormatCode(r.Code)
			return nil
		})
		at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
		if _, err := s.AddCheckpoint(ctx, ev.ID, "lotus", at(20), at(25)); err != nil {
			t.Fatal(err)
		}
		streams, _ := s.Streams(ctx, ev.ID)
		msg := func(id string, c, m int, text string) attendance.ChatMessage {
			return attendance.ChatMessage{ID: id, Type: attendance.MsgText, AuthorChannelID: ch(c), AuthorName: "V", Text: text, PublishedAt: at(m)}
		}
		pages := []attendance.ChatPage{
			{Messages: []attendance.ChatMessage{msg("m1", 1, 1, code["anh"]), msg("m2", 3, 2, code["chai"])}},
			// the token expired: minutes 2 to 21 are lost to the API
			{GapReason: attendance.GapTokenInvalid, Messages: []attendance.ChatMessage{msg("m3", 1, 21, "lotus"),
				{ID: "s1", Type: attendance.MsgMembersOnlyStarted, PublishedAt: at(22)}}},
			{Messages: []attendance.ChatMessage{{ID: "d1", Type: attendance.MsgMessageDeleted, AuthorChannelID: "UCmod", TargetID: "m1", PublishedAt: at(30)}}},
		}
		for i, pg := range pages {
			pg.StreamID, pg.NextPageToken = streams[0].ID, fmt.Sprint(i)
			if err := s.CommitChatPage(ctx, pg); err != nil {
				t.Fatal(err)
			}
		}
		var b bytes.Buffer
		if err := export.Attendance(ctx, s, ev.ID, &b); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\uFEFF"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if h := rows[0]; h[len(h)-1] != "notes" || h[len(h)-2] != "reasons" {
			t.Fatalf("header %v", h)
		}
		gap := "chat of dQw4w9WgXcQ from 2026-11-20T02:02:00Z to 2026-11-20T02:21:00Z could not be read (page_token_invalid); a replay import may recover evidence"
		members := "chat of dQw4w9WgXcQ was members-only during checkpoint 1 (from 2026-11-20T02:22:00Z): non-members could not answer"
		want := map[string]string{
			"anh@example.vn":  "participation|evidence_deleted|",
			"bo@example.org":  "|not_linked; checkpoints 0/1|" + gap + "; " + members,
			"chai@example.th": "|checkpoints 0/1|" + gap + "; " + members,
		}
		for _, r := range rows[1:] {
			got := r[17] + "|" + r[19] + "|" + r[20]
			if got != want[r[0]] {
				t.Errorf("%s:\n got %q\nwant %q", r[0], got, want[r[0]])
			}
		}
	})
}

// countRows counts a table's rows.
func countRows(s *store.Store, table string) (int, error) {
	var n int
	err := s.DB().Get(&n, "SELECT COUNT(*) FROM "+table)
	return n, err
}
