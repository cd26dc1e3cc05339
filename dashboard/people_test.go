package dashboard

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

var (
	peopleTotal = regexp.MustCompile(`id="people-total">([0-9,]+)<`)
	peopleRow   = regexp.MustCompile(`<td><a href="/events/dialogue/registrations/\d+">[^<]*</a></td><td>([^<]*)</td>`)
	peopleNext  = regexp.MustCompile(`href="([^"]+)" id="people-next"`)
	peoplePrev  = regexp.MustCompile(`href="([^"]+)" id="people-prev"`)
)

// peopleHarness is realHarness with three checkpoints: the first 30
// registrations hit checkpoint 1, the first 10 checkpoint 2 too; and one
// person whose name a spreadsheet would run as a formula.
func peopleHarness(t *testing.T, e storetest.Engine) *harness {
	t.Helper()
	h, _ := realHarness(t, e)
	ctx := context.Background()
	now := h.clock.Now()
	for _, w := range []string{"mango", "rambutan"} {
		if _, err := h.st.AddCheckpoint(ctx, h.ev.ID, w, now.Add(-10*time.Minute), now.Add(-5*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	seedHits(t, h.st, h.ev.ID, 1, 30)
	seedHits(t, h.st, h.ev.ID, 2, 10)
	if _, err := h.st.ImportRegistrations(ctx, h.ev.ID, []attendance.Registration{{FullName: `=HYPERLINK("http://x","y")`,
		Email: "formula@example.org", Country: "Thailand", Role: attendance.RoleParticipant}}, false); err != nil {
		t.Fatal(err)
	}
	return h
}

// walkPeople follows the table's "Next" links from path and returns the
// emails of every row, in order, and the total the pages show.
func walkPeople(t *testing.T, h *harness, c *http.Client, path string) ([]string, int) {
	t.Helper()
	var emails []string
	total := -1
	for path != "" {
		res, page := h.get(c, path)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", path, res.StatusCode, page)
		}
		m := peopleTotal.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no total on %s", path)
		}
		n := atoiComma(m[1])
		if total >= 0 && n != total {
			t.Fatalf("total changed between pages: %d, %d", total, n)
		}
		total = n
		for _, r := range peopleRow.FindAllStringSubmatch(page, -1) {
			emails = append(emails, r[1])
		}
		path = ""
		if m := peopleNext.FindStringSubmatch(page); m != nil {
			path = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	return emails, total
}

func atoiComma(s string) int {
	var n int
	fmt.Sscan(strings.ReplaceAll(s, ",", ""), &n)
	return n
}

// TestPeopleTable: the table filtered to "linked, 1 of 3 checkpoints"
// counts what the store counts and lists those rows; pages are stable
// and walk every row once, back and forth; the CSV of the filter holds
// the same rows in the same order, with a BOM and formulas neutralised,
// and is audited once; bad filters are refused with a message.
func TestPeopleTable(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			h := peopleHarness(t, e)
			admin, viewer := h.signIn(adminEmail), h.signIn(viewerEmail)
			ctx := context.Background()
			if res, _ := h.get(viewer, "/events/dialogue/people"); res.StatusCode != http.StatusForbidden {
				t.Errorf("a viewer sees the people table: %d", res.StatusCode)
			}
			res, page := h.get(admin, "/events/dialogue/people")
			if res.StatusCode != http.StatusOK {
				t.Fatalf("people: %d %s", res.StatusCode, page)
			}
			for _, p := range attendance.PeoplePresets {
				n, err := h.st.CountPeople(ctx, h.ev.ID, p.Filter)
				if err != nil {
					t.Fatal(err)
				}
				want := fmt.Sprintf(`%s <span class="count">%s</span>`, p.Name, group(int64(n)))
				if !strings.Contains(page, want) {
					t.Errorf("preset %q: no %q on the page", p.Name, want)
				}
			}

			f := attendance.PeopleFilter{Linked: attendance.Yes, Checkpoints: attendance.CountFilter{Set: true, Exact: true, N: 1}}
			want, err := h.st.CountPeople(ctx, h.ev.ID, f)
			if err != nil {
				t.Fatal(err)
			}
			// 30 hit checkpoint 1, the first 10 checkpoint 2 too: 20 hit one,
			// of whom 60 % are linked.
			if want != 12 {
				t.Fatalf("store counts %d linked people with 1 checkpoint, want 12", want)
			}
			for _, sort := range []string{"", "&sort=presence&desc=1", "&sort=linked", "&sort=certificate&desc=1"} {
				emails, total := walkPeople(t, h, admin, "/events/dialogue/people?linked=yes&checkpoints=1&cmp=eq"+sort)
				if total != want || len(emails) != want {
					t.Fatalf("sort %q: page total %d, %d rows walked, store %d", sort, total, len(emails), want)
				}
				seen := map[string]bool{}
				for _, em := range emails {
					if seen[em] {
						t.Fatalf("sort %q: %s on two pages", sort, em)
					}
					seen[em] = true
				}
			}

			// All 242 people, 50 a page, by country: forward, then back.
			all, total := walkPeople(t, h, admin, "/events/dialogue/people?sort=country")
			if total != 242 || len(all) != 242 {
				t.Fatalf("everyone: total %d, %d rows", total, len(all))
			}
			_, p1 := h.get(admin, "/events/dialogue/people?sort=country")
			next := strings.ReplaceAll(peopleNext.FindStringSubmatch(p1)[1], "&amp;", "&")
			_, p2 := h.get(admin, next)
			prev := strings.ReplaceAll(peoplePrev.FindStringSubmatch(p2)[1], "&amp;", "&")
			_, back := h.get(admin, prev)
			rows := func(p string) (out []string) {
				for _, r := range peopleRow.FindAllStringSubmatch(p, -1) {
					out = append(out, r[1])
				}
				return out
			}
			if !slices.Equal(rows(back), rows(p1)) || len(rows(p1)) != 50 {
				t.Errorf("previous page of page 2 is not page 1")
			}

			// The CSV of the filter: the same rows, in the table's order.
			q := "linked=yes&checkpoints=%3D1&sort=presence&desc=1"
			emails, _ := walkPeople(t, h, admin, "/events/dialogue/people?"+q)
			before := len(auditRows(t, h.st, h.ev.ID))
			res, body := h.get(admin, "/events/dialogue/exports/people.csv?"+q)
			if res.StatusCode != http.StatusOK || !strings.HasPrefix(body, "\ufeff") || !strings.Contains(body, "\r\n") {
				t.Fatalf("people.csv: %d %q", res.StatusCode, body[:min(80, len(body))])
			}
			recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(recs[0], attendance.PeopleColumns) {
				t.Errorf("header %v", recs[0])
			}
			var csvEmails []string
			for _, r := range recs[1:] {
				csvEmails = append(csvEmails, r[1])
				if r[6] != "yes" || r[9] != "1" || !strings.HasSuffix(r[7], " UTC") || !strings.HasSuffix(r[8], "Z") {
					t.Errorf("row %v does not match the filter or its times", r)
				}
			}
			if !slices.Equal(csvEmails, emails) {
				t.Errorf("CSV rows %v\ntable rows %v", csvEmails, emails)
			}
			log := auditRows(t, h.st, h.ev.ID)
			if len(log) != before+1 || log[0].Action != "export.people" || log[0].Actor != adminEmail ||
				log[0].Detail != fmt.Sprintf("linked, checkpoints hit =1: %d rows", want) {
				t.Errorf("audit after the CSV: %+v", log[:len(log)-before])
			}
			_, body = h.get(admin, "/events/dialogue/exports/people.csv?q=formula")
			if !strings.Contains(body, `"'=HYPERLINK(""http://x"",""y"")"`) {
				t.Errorf("formula not neutralised:\n%s", body)
			}

			// Free text, certificate and form filters.
			if _, page := h.get(admin, "/events/dialogue/people?q=P17%40example"); atoiComma(peopleTotal.FindStringSubmatch(page)[1]) != 1 {
				t.Errorf("free text p17@example: %s", peopleTotal.FindStringSubmatch(page)[1])
			}
			for _, bad := range []string{"checkpoints=lots", "linked=maybe", "certificate=gold", "sort=shoe", "after=x"} {
				if res, page := h.get(admin, "/events/dialogue/people?"+bad); res.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="people-error"`) {
					t.Errorf("%s: %d", bad, res.StatusCode)
				}
			}

			// An override made here shows at once (the index is read again).
			p5 := h.registration("p5@example.org")
			_, page = h.get(admin, "/events/dialogue/people?q=p5%40example.org")
			if !strings.Contains(page, "<td>none") {
				t.Fatalf("p5 has a certificate before the override:\n%s", page)
			}
			res = h.post(admin, fmt.Sprintf("/events/dialogue/registrations/%d/override", p5.ID),
				url.Values{"csrf": {h.csrf(admin)}, "certificate": {"participation"}, "why": {"watched at the venue"}})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("override: %d", res.StatusCode)
			}
			_, page = h.get(admin, "/events/dialogue/people?q=p5%40example.org")
			if !strings.Contains(page, "<td>participation") {
				t.Errorf("the override does not show in the table:\n%s", page)
			}
		})
	}
}

// TestPeopleFilterRoundTrip: a filter written to a URL reads back the same.
func TestPeopleFilterRoundTrip(t *testing.T) {
	for _, f := range []attendance.PeopleFilter{
		{},
		{Linked: attendance.No},
		{Linked: attendance.Yes, Checkpoints: attendance.CountFilter{Set: true, Exact: true, N: 1}, MinPresence: 5, Form: attendance.No,
			Certificate: "none", Reason: "no_form", Conflict: attendance.Yes, Country: "Lao PDR", Role: attendance.RoleSpeaker, Q: "a&b=c"},
		{Checkpoints: attendance.CountFilter{Set: true, N: 2}},
	} {
		got, err := peopleFilter(filterValues(f))
		if err != nil || got != f {
			t.Errorf("%+v → %+v (%v)", f, got, err)
		}
	}
}

// TestPeopleRefreshSkipsUnchanged: a background refresh keeps the index
// while the store's stamp is unchanged, and reads it again after a change
// made elsewhere (the collector, the command line).
func TestPeopleRefreshSkipsUnchanged(t *testing.T) {
	h := peopleHarness(t, storetest.Engines()[0])
	e := h.srv.peopleEntry(h.ev.ID)
	e.compute.Lock()
	defer e.compute.Unlock()
	x0, err := h.srv.computePeople(context.Background(), h.ev, e)
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Add(10 * time.Second)
	if err := h.srv.refreshPeople(h.ev, e); err != nil {
		t.Fatal(err)
	}
	if e.index != x0 || !e.at.Equal(h.clock.Now()) {
		t.Fatal("an unchanged event was read again")
	}
	p := h.registration("p4@example.org")
	if err := h.st.AddOverride(context.Background(), h.ev.ID, p.ID, attendance.CertAppreciation, "keynote", "mai"); err != nil {
		t.Fatal(err)
	}
	if err := h.srv.refreshPeople(h.ev, e); err != nil {
		t.Fatal(err)
	}
	if e.index == x0 || e.index.Count(attendance.PeopleFilter{Q: "p4@example.org", Certificate: "appreciation"}) != 1 {
		t.Fatal("a changed event was not read again")
	}
	x1 := e.index
	h.clock.Add(peopleMaxAge)
	if err := h.srv.refreshPeople(h.ev, e); err != nil {
		t.Fatal(err)
	}
	if e.index == x1 {
		t.Fatal("an index older than peopleMaxAge was kept")
	}
}
