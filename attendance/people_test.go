package attendance

import (
	"fmt"
	"testing"
	"time"
)

func samplePeople() *PeopleIndex {
	countries := []string{"Thailand", "Viet Nam", "thailand", ""}
	roles := []Role{RoleParticipant, RoleParticipant, RoleSpeaker}
	var rows []PersonRow
	for i := 0; i < 200; i++ {
		p := PersonRow{ID: int64(i + 1), FullName: fmt.Sprintf("Person %d", i), Email: fmt.Sprintf("p%d@example.org", i), Code: fmt.Sprintf("K7QM4X%02d", i%100),
			Country: countries[i%4], Role: roles[i%3], Linked: i%5 < 3, CheckpointsHit: i % 4, CheckpointsTotal: 3, PresenceMinutes: i % 40,
			FormSubmitted: i%2 == 0, Conflict: i%17 == 0}
		if p.Linked {
			p.LinkedAt = time.Date(2026, 11, 28, 2, 0, i, 0, time.UTC)
		}
		switch {
		case p.Role == RoleSpeaker:
			p.Certificate = CertAppreciation
		case p.Linked && p.CheckpointsHit >= 2 && p.FormSubmitted:
			p.Certificate = CertParticipation
		default:
			p.Reasons = []Reason{{Kind: ReasonNoForm}}
		}
		rows = append(rows, p)
	}
	return NewPeopleIndex(rows, time.Now())
}

// TestPeopleFacets: each count per filter is what the filter with that
// choice counts, the rest kept.
func TestPeopleFacets(t *testing.T) {
	x := samplePeople()
	for name, f := range map[string]PeopleFilter{
		"everyone":     {},
		"linked, 1":    {Linked: Yes, Checkpoints: CountFilter{Set: true, Exact: true, N: 1}},
		"form, Thai":   {Form: No, Country: "THAILAND", Role: RoleParticipant},
		"cert, reason": {Certificate: "none", Reason: ReasonNoForm, MinPresence: 10, Q: "person 1"},
	} {
		t.Run(name, func(t *testing.T) {
			fc := x.Facets(f)
			if got := x.Query(PeopleQuery{Filter: f, Facets: true}).Facets; fmt.Sprint(got) != fmt.Sprint(fc) {
				t.Fatalf("query's facets %v, Facets %v", got, fc)
			}
			check := func(dim string, counts []FacetCount, set func(*PeopleFilter, string)) {
				for _, c := range counts {
					g := f
					set(&g, c.Value)
					if n := x.Count(g); n != c.N {
						t.Errorf("%s=%s: facet %d, count %d", dim, c.Value, c.N, n)
					}
				}
			}
			check("linked", fc.Linked, func(g *PeopleFilter, v string) { g.Linked = Tristate(v) })
			check("form", fc.Form, func(g *PeopleFilter, v string) { g.Form = Tristate(v) })
			check("conflict", fc.Conflict, func(g *PeopleFilter, v string) { g.Conflict = Tristate(v) })
			check("certificate", fc.Certificate, func(g *PeopleFilter, v string) { g.Certificate = v })
			check("checkpoints", fc.Checkpoints, func(g *PeopleFilter, v string) { g.Checkpoints, _ = ParseCountFilter(v) })
			check("country", fc.Country, func(g *PeopleFilter, v string) { g.Country = v })
			check("role", fc.Role, func(g *PeopleFilter, v string) { g.Role = Role(v) })
		})
	}
}

func TestParseCountFilter(t *testing.T) {
	tests := []struct {
		in   string
		want CountFilter
		bad  bool
	}{
		{"", CountFilter{}, false},
		{"2", CountFilter{Set: true, N: 2}, false},
		{">=2", CountFilter{Set: true, N: 2}, false},
		{"≥ 1", CountFilter{Set: true, N: 1}, false},
		{"=0", CountFilter{Set: true, Exact: true, N: 0}, false},
		{"lots", CountFilter{}, true},
		{"-1", CountFilter{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseCountFilter(tt.in)
			if (err != nil) != tt.bad || got != tt.want {
				t.Errorf("got %+v %v", got, err)
			}
		})
	}
}
