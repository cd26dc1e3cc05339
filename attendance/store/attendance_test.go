package store_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

var t0 = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)

// fixture is an event with people, one stream and a message counter.
type fixture struct {
	t      *testing.T
	s      *store.Store
	ev     attendance.Event
	stream int64
	people map[string]attendance.Registration // by email prefix
	n      int
}

func newFixture(t *testing.T, s *store.Store, p attendance.Policy, people ...attendance.Registration) *fixture {
	t.Helper()
	ctx := context.Background()
	ev, err := s.CreateEvent(ctx, attendance.Event{Slug: "pd", Title: "Policy Dialogue", TimeZone: "Asia/Bangkok", Policy: p, VideoIDs: []string{"dQw4w9WgXcQ"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImportRegistrations(ctx, ev.ID, people, false); err != nil {
		t.Fatal(err)
	}
	streams, err := s.Streams(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, s: s, ev: ev, stream: streams[0].ID, people: map[string]attendance.Registration{}}
	for _, r := range people {
		reg, err := s.Registration(ctx, ev.ID, r.Email)
		if err != nil {
			t.Fatal(err)
		}
		f.people[strings.Split(reg.Email, "@")[0]] = reg
	}
	return f
}

func person(name, role, youtube string) attendance.Registration {
	return attendance.Registration{FullName: name, Email: strings.ToLower(strings.Fields(name)[0]) + "@example.org",
		Role: attendance.Role(role), YouTube: youtube}
}

func ch(n int) string { return fmt.Sprintf("UC%022d", n) }

// msg is a chat message by channel n, min minutes after t0.
func (f *fixture) msg(n int, min float64, text string) attendance.ChatMessage {
	f.n++
	return attendance.ChatMessage{ID: fmt.Sprintf("msg%05d", f.n), Type: attendance.MsgText, AuthorChannelID: ch(n),
		AuthorName: fmt.Sprintf("Viewer %d", n), Text: text, PublishedAt: t0.Add(time.Duration(min * float64(time.Minute)))}
}

func (f *fixture) page(ms ...attendance.ChatMessage) {
	f.t.Helper()
	if err := f.s.CommitChatPage(context.Background(), attendance.ChatPage{StreamID: f.stream, Messages: ms, NextPageToken: "next"}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) code(who string) string { return attendance.FormatCode(f.people[who].Code) }

func (f *fixture) decisions() map[string]attendance.Decision {
	f.t.Helper()
	out := map[string]attendance.Decision{}
	err := f.s.Decisions(context.Background(), f.ev.ID, func(d attendance.Decision) error {
		out[strings.Split(d.Registration.Email, "@")[0]] = d
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

func fullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '!' && r <= '~':
			b.WriteRune(r - '!' + '！')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestIngestLinksByCode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := attendance.DefaultPolicy()
		p.MaxRegistrationsPerChannel = 3
		f := newFixture(t, s, p, person("Anh Nguyen", "participant", ""), person("Bo Lee", "participant", ""),
			person("Chai Srisuk", "participant", ""), person("Dara Sok", "participant", ""),
			person("Ela Cruz", "participant", ""), person("Fon Tan", "participant", ""), person("Gus Reyes", "participant", ""),
			person("Hana Ito", "participant", ""))
		lower := strings.ToLower(f.code("anh"))
		noDash := strings.ReplaceAll(f.code("bo"), "-", "")
		f.page(
			f.msg(1, 1, "hello my code is "+lower+" thanks"),
			f.msg(2, 1, noDash),
			f.msg(3, 2, "Good morning from Phnom Penh "+fullWidth(f.code("chai"))+"!"),
			f.msg(4, 2, "dara here: "+strings.ReplaceAll(f.code("dara"), "-", " ")),
			// a second channel types anh's code: a conflict, not a link
			f.msg(5, 3, f.code("anh")),
			// a school channel for three teachers, and a fourth code too many
			f.msg(6, 4, f.code("ela")+" "+f.code("fon")),
			f.msg(6, 5, f.code("gus")),
			f.msg(6, 6, f.code("hana")),
			f.msg(7, 6, "lurker says hi"),
		)
		// the same page again changes nothing
		f.n -= 9
		f.page(f.msg(1, 1, "x"), f.msg(2, 1, "x"), f.msg(3, 2, "x"), f.msg(4, 2, "x"), f.msg(5, 3, "x"), f.msg(6, 4, "x"), f.msg(6, 5, "x"), f.msg(6, 6, "x"), f.msg(7, 6, "x"))
		d := f.decisions()
		for who, want := range map[string]string{"anh": ch(1), "bo": ch(2), "chai": ch(3), "dara": ch(4), "ela": ch(6), "fon": ch(6), "gus": ch(6)} {
			if got := d[who].Evidence.Channels; !reflect.DeepEqual(got, []string{want}) || d[who].Evidence.LinkMethods[0] != store.LinkCode {
				t.Errorf("%s: channels %v methods %v, want %s by code", who, got, d[who].Evidence.LinkMethods, want)
			}
		}
		if !d["anh"].Evidence.Conflict || d["bo"].Evidence.Conflict {
			t.Errorf("stolen code: anh conflict=%v bo conflict=%v", d["anh"].Evidence.Conflict, d["bo"].Evidence.Conflict)
		}
		if d["hana"].Evidence.Linked || !d["hana"].Evidence.Conflict {
			t.Errorf("fourth code of a max-3 channel: %+v", d["hana"].Evidence)
		}
		if !d["ela"].Evidence.SharedChannel || d["anh"].Evidence.SharedChannel {
			t.Errorf("shared channel flags: ela %v anh %v", d["ela"].Evidence.SharedChannel, d["anh"].Evidence.SharedChannel)
		}
		sum, err := s.Summary(ctx, "pd")
		if err != nil || sum.Linked != 7 || sum.Streams[0].ChatMessages != 9 {
			t.Fatalf("summary %+v %v", sum, err)
		}
	})
}

func TestIngestLinksByChannel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, attendance.DefaultPolicy(), person("Anh Nguyen", "participant", ch(1)),
			person("Bo Lee", "participant", "@bolee"), person("Chai Srisuk", "participant", "@chai"))
		m1 := f.msg(1, 1, "hi")
		m2 := f.msg(2, 1, "hello")
		m2.AuthorName = "@BoLee"
		m3 := f.msg(3, 1, "hello")
		m3.AuthorName = "Chai" // not the handle: no link
		f.page(m1, m2, m3)
		d := f.decisions()
		if got := d["anh"].Evidence; !got.Linked || got.LinkMethods[0] != store.LinkChannel || got.Channels[0] != ch(1) {
			t.Errorf("anh by channel id: %+v", got)
		}
		if got := d["bo"].Evidence; !got.Linked || got.Channels[0] != ch(2) {
			t.Errorf("bo by handle: %+v", got)
		}
		if d["chai"].Evidence.Linked {
			t.Errorf("chai linked by a display name that is not the handle")
		}
	})
}

func TestCheckpointHits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, attendance.DefaultPolicy(), person("Anh Nguyen", "participant", ""), person("Bo Lee", "participant", ""),
			person("Chai Srisuk", "participant", ""), person("Dara Sok", "participant", ""))
		cp1, err := s.AddCheckpoint(ctx, f.ev.ID, "Phở", t0.Add(10*time.Minute), t0.Add(15*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddCheckpoint(ctx, f.ev.ID, "bamboo", t0.Add(30*time.Minute), t0.Add(35*time.Minute)); err != nil {
			t.Fatal(err)
		}
		f.page(
			f.msg(1, 0, f.code("anh")),
			f.msg(2, 0, f.code("bo")),
			f.msg(3, 11, "I think it is pho"), // chai answers first and types the code later
			f.msg(4, 12, "pho"),               // dara never links
		)
		f.page(
			f.msg(1, 12, "PHO!"),  // inside
			f.msg(2, 9.9, "pho"),  // before the window
			f.msg(2, 15.5, "pho"), // after the window
			f.msg(3, 20, "code "+f.code("chai")),
			f.msg(1, 31, "ＢＡＭＢＯＯ"),
			f.msg(3, 34, "bamboo shoots"),
		)
		d := f.decisions()
		for who, want := range map[string]int{"anh": 2, "bo": 0, "chai": 2, "dara": 0} {
			if got := d[who].Evidence.CheckpointsHit; got != want || d[who].Evidence.CheckpointsTotal != 2 {
				t.Errorf("%s: %d/%d checkpoints, want %d/2", who, got, d[who].Evidence.CheckpointsTotal, want)
			}
		}
		cps, err := s.Checkpoints(ctx, f.ev.ID)
		if err != nil || len(cps) != 2 || cps[0].Hits != 2 || cps[1].Hits != 2 || cps[0].Number != 1 || cps[0].Word != "Phở" {
			t.Fatalf("checkpoints %+v %v", cps, err)
		}
		// a checkpoint added after the fact judges the stored messages
		cp3, err := s.AddCheckpoint(ctx, f.ev.ID, "hello", t0, t0.Add(time.Hour))
		if err != nil || cp3.Number != 3 || cp3.Hits != 0 {
			t.Fatalf("cp3 %+v %v", cp3, err)
		}
		f.page(f.msg(2, 40, "hello all"))
		if d := f.decisions(); d["bo"].Evidence.CheckpointsHit != 1 {
			t.Errorf("bo after hello: %+v", d["bo"].Evidence)
		}
		if err := s.CloseCheckpoint(ctx, f.ev.ID, 3, t0.Add(39*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if d := f.decisions(); d["bo"].Evidence.CheckpointsHit != 0 {
			t.Errorf("bo after closing: %+v", d["bo"].Evidence)
		}
		if err := s.CloseCheckpoint(ctx, f.ev.ID, 9, t0); attendance.ErrorCode(err) != attendance.ENotFound {
			t.Errorf("close unknown: %v", err)
		}
		_ = cp1
		if _, err := s.AddCheckpoint(ctx, f.ev.ID, "x", t0, t0); attendance.ErrorCode(err) != attendance.EInvalid {
			t.Errorf("empty window: %v", err)
		}
	})
}

func TestFormsOverridesAndCertificates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := attendance.DefaultPolicy()
		p.FormCheckpointAnswersCount = true
		f := newFixture(t, s, p, person("Anh Nguyen", "participant", ""), person("Bo Lee", "participant", ""),
			person("Kim Park", "speaker", ""), person("Org Staff", "organizer", ""))
		if _, err := s.AddCheckpoint(ctx, f.ev.ID, "pho", t0, t0.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		f.page(f.msg(1, 1, f.code("anh")+" pho"), f.msg(2, 1, f.code("bo")))
		forms := []attendance.FormResponse{
			{Email: "ANH@example.org", SubmittedAt: t0.Add(2 * time.Hour), CertificateName: "Nguyễn Thị Anh"},
			{Email: "anh@example.org", SubmittedAt: t0.Add(time.Hour), CertificateName: "Old Name"},
			{Email: "bo.other@example.org", Code: f.people["bo"].Code, SubmittedAt: t0.Add(time.Hour), CheckpointWords: []string{"Phở"}},
			{Email: "walkin@example.org", SubmittedAt: t0.Add(time.Hour), CertificateName: "Walk In"},
		}
		res, err := s.ImportFormResponses(ctx, f.ev.ID, forms, true)
		if err != nil || res.NewRegistrations != 1 || res.Matched != 2 || res.MatchedByCode != 1 || res.Replaced != 1 {
			t.Fatalf("dry run %+v %v", res, err)
		}
		if n, _ := s.RegistrationCount(ctx, f.ev.ID); n != 4 {
			t.Fatal("dry run wrote")
		}
		if res, err = s.ImportFormResponses(ctx, f.ev.ID, forms, false); err != nil || res.CheckpointAnswers != 1 {
			t.Fatalf("import %+v %v", res, err)
		}
		// the same file again: everything is older or equal
		if res, err = s.ImportFormResponses(ctx, f.ev.ID, forms, false); err != nil || res.Older != 4 || res.NewRegistrations != 0 {
			t.Fatalf("re-import %+v %v", res, err)
		}
		un, err := s.UnmatchedForms(ctx, f.ev.ID)
		if err != nil || len(un) != 1 || un[0].Email != "walkin@example.org" {
			t.Fatalf("unmatched %+v %v", un, err)
		}
		// looking issues nothing: no id before Issue
		for who, x := range f.decisions() {
			if x.CertificateID != "" {
				t.Errorf("%s: id %q before any Issue", who, x.CertificateID)
			}
		}
		if res, err := s.Issue(ctx, f.ev.ID, "mai"); err != nil || res.Issued != 3 || res.AlreadyIssued != 0 {
			t.Fatalf("issue: %+v %v", res, err)
		}
		d := f.decisions()
		if d["anh"].CertificateName != "Nguyễn Thị Anh" || d["anh"].Registration.FullName != "Anh Nguyen" || d["anh"].Certificate != attendance.CertParticipation {
			t.Errorf("anh: %+v", d["anh"])
		}
		if d["bo"].Certificate != attendance.CertParticipation || d["bo"].Evidence.CheckpointsHit != 1 {
			t.Errorf("bo with form answer: %+v", d["bo"])
		}
		if d["kim"].Certificate != attendance.CertAppreciation || d["org"].Certificate != attendance.CertNone || d["walkin"].Certificate != attendance.CertNone {
			t.Errorf("kim %q org %q walkin %q %v", d["kim"].Certificate, d["org"].Certificate, d["walkin"].Certificate, d["walkin"].Reasons)
		}
		if !reflect.DeepEqual(attendance.ReasonStrings(d["walkin"].Reasons), []string{"not_linked", "checkpoints 0/1"}) {
			t.Errorf("walkin reasons %q", d["walkin"].Reasons)
		}
		ids := map[string]string{}
		for who, x := range d {
			if (x.Certificate == attendance.CertNone) != (x.CertificateID == "") {
				t.Errorf("%s: certificate %q id %q", who, x.Certificate, x.CertificateID)
			}
			ids[who] = x.CertificateID
		}
		// an override wins, is audited, and ids stay
		if err := s.AddOverride(ctx, f.ev.ID, f.people["walkin"].ID, attendance.CertParticipation, "watched at the venue", "mai"); err == nil {
			t.Fatal("override of an unknown id should fail")
		}
		walk, _ := s.Registration(ctx, f.ev.ID, "walkin@example.org")
		if err := s.AddOverride(ctx, f.ev.ID, walk.ID, attendance.CertParticipation, "watched at the venue", "mai"); err != nil {
			t.Fatal(err)
		}
		if err := s.AddOverride(ctx, f.ev.ID, walk.ID, attendance.CertParticipation, "", "mai"); attendance.ErrorCode(err) != attendance.EInvalid {
			t.Fatalf("override without why: %v", err)
		}
		if d2 := f.decisions(); d2["walkin"].Certificate != attendance.CertParticipation || d2["walkin"].CertificateID != "" {
			t.Errorf("override gave an id before Issue: %+v", d2["walkin"])
		}
		if res, err := s.Issue(ctx, f.ev.ID, "mai"); err != nil || res.Issued != 1 || res.AlreadyIssued != 3 {
			t.Fatalf("issue after the override: %+v %v", res, err)
		}
		d2 := f.decisions()
		if d2["walkin"].Certificate != attendance.CertParticipation || d2["walkin"].Reasons[0].String() != "override: watched at the venue" || d2["walkin"].Evidence.Override.Staff != "mai" {
			t.Errorf("override: %+v", d2["walkin"])
		}
		for who, id := range ids {
			if id != "" && d2[who].CertificateID != id {
				t.Errorf("%s: id changed %q → %q", who, id, d2[who].CertificateID)
			}
		}
		one, err := s.Decision(ctx, f.ev.ID, walk.ID)
		if err != nil || one.CertificateID != d2["walkin"].CertificateID {
			t.Fatalf("Decision %+v %v", one, err)
		}
		c, err := s.CertificateByID(ctx, attendance.FormatCertificateID(strings.ToLower(one.CertificateID)))
		if err != nil || c.Name != "Walk In" || c.Type != attendance.CertParticipation || c.EventTitle != "Policy Dialogue" {
			t.Fatalf("CertificateByID %+v %v", c, err)
		}
		log, err := s.AuditLog(ctx, f.ev.ID, 10)
		if err != nil || len(log) != 3 || log[1].Action != "override" || log[1].Actor != "mai" || strings.Contains(log[1].Detail, "@") ||
			log[0].Action != "certificates issue" || log[0].Detail != "1 issued, 3 already issued" || log[2].Detail != "3 issued, 0 already issued" {
			t.Fatalf("audit %+v %v", log, err)
		}
	})
}

func TestManualLinkTimelineSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, attendance.DefaultPolicy(), person("Anh Nguyen", "participant", ""), person("Bo Lee", "participant", ""))
		if _, err := s.AddCheckpoint(ctx, f.ev.ID, "pho", t0, t0.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		f.page(f.msg(1, 1, f.code("anh")), f.msg(2, 2, f.code("anh")+" pho"))
		if d := f.decisions(); !d["anh"].Evidence.Conflict {
			t.Fatal("no conflict")
		}
		if cs, err := s.Conflicts(ctx, f.ev.ID, false); err != nil || len(cs) != 1 || cs[0].Kind != store.ConflictCodeTaken || cs[0].ChannelID != ch(2) || cs[0].Email != "anh@example.org" {
			t.Fatalf("conflicts %+v %v", cs, err)
		}
		// staff decide that channel 2 is really anh's second device
		if err := s.LinkManually(ctx, f.ev.ID, f.people["anh"].ID, ch(2), "mai", "phone and laptop"); err != nil {
			t.Fatal(err)
		}
		f.page(f.msg(2, 1.2, "same minute as channel 1"))
		if cs, _ := s.Conflicts(ctx, f.ev.ID, false); len(cs) != 0 {
			t.Fatalf("open conflicts after the manual link: %+v", cs)
		}
		if cs, _ := s.Conflicts(ctx, f.ev.ID, true); len(cs) != 1 || !cs[0].Resolved || cs[0].Resolution != "linked by mai" {
			t.Fatalf("all conflicts: %+v", cs)
		}
		d := f.decisions()
		if x := d["anh"].Evidence; x.Conflict || len(x.Channels) != 2 || x.CheckpointsHit != 1 || x.PresenceMinutes != 2 {
			t.Fatalf("after manual link: %+v", x)
		}
		tl, err := s.Timeline(ctx, f.ev.ID, f.people["anh"].ID)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, e := range tl {
			kinds[e.Kind]++
			if strings.Contains(e.Text, "pho") && e.Kind != "message" {
				t.Errorf("timeline shows the word: %+v", e)
			}
		}
		if kinds["link"] != 2 || kinds["message"] != 3 || kinds["checkpoint"] != 1 || kinds["conflict"] != 1 {
			t.Fatalf("timeline kinds %v", kinds)
		}
		for q, want := range map[string]int{"anh": 1, "EXAMPLE.org": 2, f.code("bo"): 1, "nobody": 0, "%": 0} {
			got, err := s.SearchRegistrations(ctx, f.ev.ID, q, 10)
			if err != nil || len(got) != want {
				t.Errorf("search %q: %d, %v; want %d", q, len(got), err, want)
			}
		}
	})
}

func TestPrivacy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := attendance.DefaultPolicy()
		p.MaxRegistrationsPerChannel = 2
		f := newFixture(t, s, p, person("Anh Nguyen", "participant", ""), person("Bo Lee", "participant", ""), person("Chai Srisuk", "participant", ""))
		if _, err := s.AddCheckpoint(ctx, f.ev.ID, "pho", t0, t0.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		f.page(f.msg(1, 1, f.code("anh")+" pho"), f.msg(2, 1, f.code("bo")+" "+f.code("chai")), f.msg(1, 70, "later"))
		rec, err := s.Person(ctx, f.ev.ID, "ANH@example.org")
		if err != nil || len(rec.Links) != 1 || len(rec.Messages) != 2 || len(rec.Checkpoints) != 1 || len(rec.Channels) != 1 || rec.Channels[0].Minutes != 2 {
			t.Fatalf("person %+v %v", rec, err)
		}
		// blank what is older than 30 minutes after t0: the first page
		n, err := s.PurgeChatText(ctx, t0.Add(30*time.Minute))
		if err != nil || n != 3 { // two messages and channel 2's author row
			t.Fatalf("purge %d %v", n, err)
		}
		rec, _ = s.Person(ctx, f.ev.ID, "anh@example.org")
		if rec.Messages[0].Text != "" || rec.Messages[1].Text != "later" || len(rec.Checkpoints) != 1 {
			t.Fatalf("after purge %+v", rec.Messages)
		}
		if d := f.decisions(); d["anh"].Evidence.CheckpointsHit != 1 || !d["anh"].Evidence.Linked {
			t.Fatal("purge removed evidence")
		}
		del, err := s.DeletePerson(ctx, f.ev.ID, "anh@example.org", "mai")
		if err != nil || del.Channels != 1 || del.ChatMessages != 2 {
			t.Fatalf("delete %+v %v", del, err)
		}
		if _, err := s.Registration(ctx, f.ev.ID, "anh@example.org"); attendance.ErrorCode(err) != attendance.ENotFound {
			t.Fatalf("still there: %v", err)
		}
		// bo shares channel 2 with chai: its messages stay
		del, err = s.DeletePerson(ctx, f.ev.ID, "bo@example.org", "mai")
		if err != nil || del.SharedKept != 1 || del.ChatMessages != 0 {
			t.Fatalf("delete shared %+v %v", del, err)
		}
		f.page(f.msg(2, 80, "bye"))
		if n, err := s.PurgeEventChatText(ctx, f.ev.ID); err != nil || n != 2 {
			t.Fatalf("purge event %d %v", n, err)
		}
		log, _ := s.AuditLog(ctx, f.ev.ID, 10)
		for _, e := range log {
			if strings.Contains(e.Detail+e.Subject, "@") || strings.Contains(e.Detail+e.Subject, "Anh") {
				t.Fatalf("audit holds personal data: %+v", e)
			}
		}
	})
}

func TestConcurrentStreamsShareCodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ev, err := s.CreateEvent(ctx, attendance.Event{Slug: "two", Title: "Two streams", Policy: attendance.DefaultPolicy(),
			VideoIDs: []string{"aaaaaaaaaaa", "bbbbbbbbbbb"}})
		if err != nil {
			t.Fatal(err)
		}
		var regs []attendance.Registration
		for i := 0; i < 400; i++ {
			regs = append(regs, attendance.Registration{FullName: fmt.Sprintf("P %d", i), Email: fmt.Sprintf("p%d@example.org", i), Role: attendance.RoleParticipant})
		}
		if _, err := s.ImportRegistrations(ctx, ev.ID, regs, false); err != nil {
			t.Fatal(err)
		}
		var codes []string
		_ = s.EachRegistration(ctx, ev.ID, func(r attendance.Registration) error { codes = append(codes, r.Code); return nil })
		streams, _ := s.Streams(ctx, ev.ID)
		errs := make(chan error, 2)
		for k, st := range streams {
			go func() {
				// every code typed once on each stream, by a different channel
				var ms []attendance.ChatMessage
				for i, c := range codes {
					ms = append(ms, attendance.ChatMessage{ID: fmt.Sprintf("s%d-%d", k, i), Type: attendance.MsgText,
						AuthorChannelID: ch(1000*k + i), Text: c, PublishedAt: t0.Add(time.Duration(i) * time.Second)})
				}
				errs <- s.CommitChatPage(ctx, attendance.ChatPage{StreamID: st.ID, Messages: ms, NextPageToken: "x"})
			}()
		}
		for range streams {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		var links, conflicts int
		_ = s.DB().GetContext(ctx, &links, `SELECT COUNT(*) FROM links`)
		_ = s.DB().GetContext(ctx, &conflicts, `SELECT COUNT(*) FROM link_conflicts`)
		if links != len(codes) || conflicts != len(codes) {
			t.Fatalf("%d links and %d conflicts, want %d each", links, conflicts, len(codes))
		}
	})
}

func TestReplayAfterAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newFixture(t, s, attendance.DefaultPolicy(), person("Anh Nguyen", "participant", ""))
		api1 := f.msg(1, 1, "Hello  everyone 👋")
		api2 := f.msg(2, 2, "question for the panel")
		api1.PublishedAt = api1.PublishedAt.Add(123456 * time.Microsecond).Truncate(time.Millisecond) // the API gave 3 digits
		f.page(api1, api2)
		replayed := []attendance.ChatMessage{api1, api2, f.msg(1, 3, "missed by the daemon "+f.code("anh")), f.msg(2, 2, "another message")}
		replayed[0].ID, replayed[0].Text = "ChwKGkNPX1", "hello everyone👋"
		replayed[0].PublishedAt = api1.PublishedAt.Add(456 * time.Microsecond)
		replayed[1].ID = "ChwKGkNPX2"
		replayed[3].PublishedAt = api2.PublishedAt.Add(500 * time.Millisecond)
		n, err := s.IngestMessages(ctx, f.stream, replayed, "replay")
		if err != nil || n != 2 {
			t.Fatalf("replay added %d, %v; want the missed message and the different one", n, err)
		}
		if n, err := s.IngestMessages(ctx, f.stream, replayed, "replay"); err != nil || n != 0 {
			t.Fatalf("replay again added %d, %v", n, err)
		}
		sum, _ := s.Summary(ctx, "pd")
		if sum.Streams[0].ChatMessages != 4 {
			t.Fatalf("%d messages stored, want 4", sum.Streams[0].ChatMessages)
		}
		if d := f.decisions(); !d["anh"].Evidence.Linked {
			t.Fatal("the replayed code did not link")
		}
	})
}
