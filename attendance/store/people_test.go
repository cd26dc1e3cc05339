package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

// seedPeople makes an event with 3 checkpoints and 30 people: the first
// 20 linked by hand, person i hitting i%4 checkpoints (capped at 3), the
// even ones with a form, a speaker; returns the event.
func seedPeople(t *testing.T, s *store.Store) attendance.Event {
	t.Helper()
	ctx := context.Background()
	ev, err := s.CreateEvent(ctx, attendance.Event{Slug: "people", Title: "People", VideoIDs: []string{"dQw4w9WgXcQ"}, Policy: attendance.DefaultPolicy()})
	if err != nil {
		t.Fatal(err)
	}
	countries := []string{"Thailand", "Viet Nam", "Lao PDR"}
	var regs []attendance.Registration
	for i := 0; i < 30; i++ {
		role := attendance.RoleParticipant
		if i == 29 {
			role = attendance.RoleSpeaker
		}
		regs = append(regs, attendance.Registration{FullName: fmt.Sprintf("Person %02d", i), Email: fmt.Sprintf("p%02d@example.org", i),
			Country: countries[i%3], Role: role})
	}
	if _, err := s.ImportRegistrations(ctx, ev.ID, regs, false); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)
	var cps []int64
	for i := 0; i < 3; i++ {
		cp, err := s.AddCheckpoint(ctx, ev.ID, fmt.Sprintf("word%d", i), t0.Add(time.Duration(i)*time.Hour), t0.Add(time.Duration(i)*time.Hour+10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		cps = append(cps, cp.ID)
	}
	db := s.DB()
	var forms []attendance.FormResponse
	for i := 0; i < 30; i++ {
		r, err := s.Registration(ctx, ev.ID, fmt.Sprintf("p%02d@example.org", i))
		if err != nil {
			t.Fatal(err)
		}
		if i < 20 {
			if err := s.LinkManually(ctx, ev.ID, r.ID, fmt.Sprintf("UC%022d", i), "mai", "seen at the venue"); err != nil {
				t.Fatal(err)
			}
			for k := 0; k < min(i%4, 3); k++ {
				if _, err := db.Exec(db.Rebind(`INSERT INTO checkpoint_hits (checkpoint_id, registration_id, channel_id, message_id, at) VALUES (?, ?, ?, ?, ?)`),
					cps[k], r.ID, fmt.Sprintf("UC%022d", i), fmt.Sprintf("m%d-%d", i, k), int64(i)); err != nil {
					t.Fatal(err)
				}
			}
		}
		if i%2 == 0 {
			forms = append(forms, attendance.FormResponse{Email: r.Email, SubmittedAt: t0.Add(4 * time.Hour)})
		}
	}
	if _, err := s.ImportFormResponses(ctx, ev.ID, forms, false); err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestPeopleIndexAgreesWithDecisions: every row's certificate and reasons
// are Decisions', the counts are what a scan of Decisions counts, and
// keyset pages walk every selected row once, in order, both ways.
func TestPeopleIndexAgreesWithDecisions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ev := seedPeople(t, s)
		x, err := s.PeopleIndex(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if x.Len() != 30 {
			t.Fatalf("%d rows", x.Len())
		}
		all := x.Query(attendance.PeopleQuery{Limit: -1})
		byID := map[int64]attendance.PersonRow{}
		for _, p := range all.Rows {
			byID[p.ID] = p
		}
		want := map[string]int{}
		err = s.Decisions(ctx, ev.ID, func(d attendance.Decision) error {
			p := byID[d.Registration.ID]
			if p.Certificate != d.Certificate || !slices.Equal(attendance.ReasonStrings(p.Reasons), attendance.ReasonStrings(d.Reasons)) ||
				p.CheckpointsHit != d.Evidence.CheckpointsHit || p.Linked != d.Evidence.Linked || p.FormSubmitted != d.Evidence.FormSubmitted {
				t.Errorf("row %+v, decision %+v", p, d)
			}
			if p.Linked && p.LinkedAt.IsZero() {
				t.Errorf("%s linked without a time", p.Email)
			}
			if !d.Evidence.Linked {
				want["not linked"]++
			}
			if d.Evidence.Linked && d.Evidence.CheckpointsHit == 1 {
				want["1 of 3"]++
			}
			if !d.Evidence.FormSubmitted && d.Registration.Role == attendance.RoleParticipant {
				want["owes form"]++
			}
			if d.Certificate == attendance.CertParticipation {
				want["participation"]++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for name, f := range map[string]attendance.PeopleFilter{
			"not linked":    attendance.PeoplePresets[0].Filter,
			"1 of 3":        attendance.PeoplePresets[1].Filter,
			"owes form":     attendance.PeoplePresets[2].Filter,
			"participation": {Certificate: "participation"},
		} {
			n, err := s.CountPeople(ctx, ev.ID, f)
			if err != nil {
				t.Fatal(err)
			}
			if n != want[name] || n == 0 {
				t.Errorf("%s: store counts %d, decisions %d", name, n, want[name])
			}
			if got := x.Query(attendance.PeopleQuery{Filter: f, Limit: 3}).Total; got != n {
				t.Errorf("%s: page total %d, count %d", name, got, n)
			}
		}
		if n := x.Count(attendance.PeopleFilter{Checkpoints: attendance.CountFilter{Set: true, N: 2}}); n != 10 {
			// i%4 in {2,3} among the 20 linked: 10
			t.Errorf("checkpoints >=2: %d", n)
		}
		if n := x.Count(attendance.PeopleFilter{Q: "p07@EXAMPLE"}); n != 1 {
			t.Errorf("free text: %d", n)
		}
		if n := x.Count(attendance.PeopleFilter{Country: "lao pdr", Form: attendance.Yes}); n != 5 {
			t.Errorf("country and form: %d", n)
		}

		// Keyset pages: forward then back, for every order, both ways.
		for _, by := range attendance.PeopleSorts {
			for _, desc := range []bool{false, true} {
				q := attendance.PeopleQuery{Sort: by, Desc: desc, Limit: 7}
				full := x.Query(attendance.PeopleQuery{Sort: by, Desc: desc, Limit: -1}).Rows
				var walked []int64
				var pages []attendance.PeoplePage
				for {
					p := x.Query(q)
					pages = append(pages, p)
					for _, r := range p.Rows {
						walked = append(walked, r.ID)
					}
					if p.Next.String() == "" {
						break
					}
					q.After = p.Next
				}
				var ids []int64
				for _, r := range full {
					ids = append(ids, r.ID)
				}
				if !slices.Equal(walked, ids) || len(ids) != 30 {
					t.Fatalf("%s desc=%v: walked %v, want %v", by, desc, walked, ids)
				}
				last := pages[len(pages)-1]
				back := x.Query(attendance.PeopleQuery{Sort: by, Desc: desc, Limit: 7, Before: last.Prev})
				if !slices.EqualFunc(back.Rows, pages[len(pages)-2].Rows, func(a, b attendance.PersonRow) bool { return a.ID == b.ID }) {
					t.Errorf("%s desc=%v: the previous page differs", by, desc)
				}
			}
		}
	})
}

// TestPeopleStamp: the stamp stays while nothing changes and moves with a
// link, a hit, a form, an override and a policy change.
func TestPeopleStamp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ev := seedPeople(t, s)
		stamp := func() string {
			v, err := s.PeopleStamp(ctx, ev.ID)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		a := stamp()
		if b := stamp(); a != b {
			t.Fatalf("stamp moved by itself: %s, %s", a, b)
		}
		r, _ := s.Registration(ctx, ev.ID, "p25@example.org")
		for name, change := range map[string]func() error{
			"link": func() error { return s.LinkManually(ctx, ev.ID, r.ID, "UC0000000000000000000099", "mai", "asked") },
			"override": func() error {
				return s.AddOverride(ctx, ev.ID, r.ID, attendance.CertParticipation, "at the venue", "mai")
			},
			"form": func() error {
				_, err := s.ImportFormResponses(ctx, ev.ID, []attendance.FormResponse{{Email: r.Email, SubmittedAt: time.Now()}}, false)
				return err
			},
			"policy": func() error {
				_, err := s.DB().Exec(s.DB().Rebind(`UPDATE events SET min_presence_minutes = 45 WHERE id = ?`), ev.ID)
				return err
			},
		} {
			if err := change(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			b := stamp()
			if b == a {
				t.Errorf("%s did not move the stamp", name)
			}
			a = b
		}
	})
}
