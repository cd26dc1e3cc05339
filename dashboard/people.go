package dashboard

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/certpdf"
	"github.com/seameo/rollcall/attendance/csvout"
)

// peopleEntry caches one event's people index. mu guards the fields;
// compute serialises the computations, so that concurrent staff share one.
type peopleEntry struct {
	mu         sync.Mutex
	index      *attendance.PeopleIndex
	at         time.Time
	took       time.Duration // how long the last read took
	stamp      string        // the store's PeopleStamp when index was read
	readAt     time.Time     // when index was read (at moves when a stamp check finds no change)
	gen        uint64        // bumped when staff change something the table shows
	indexGen   uint64        // gen when index's computation began
	refreshing bool

	// The certificates the PDF download leaves out (Certificates.
	// Unprintable reads every decision), kept for the stamp they were
	// computed at.
	unprintable      []certpdf.Failure
	unprintableStamp string // "" until computed

	compute sync.Mutex
}

// unprintableCertificates lists the event's issued certificates whose
// name no installed font can print. Finding them reads every decision
// (seconds for a large event), so the answer is kept until the store's
// people stamp, which moves with every registration, link, form, override,
// issue and revocation, says something changed.
func (s *Server) unprintableCertificates(ctx context.Context, eventID int64) ([]certpdf.Failure, error) {
	stamp, err := s.st.PeopleStamp(ctx, eventID)
	if err != nil {
		return nil, err
	}
	e := s.peopleEntry(eventID)
	e.mu.Lock()
	if e.unprintableStamp == stamp {
		f := e.unprintable
		e.mu.Unlock()
		return f, nil
	}
	e.mu.Unlock()
	f, err := s.cfg.Certificates.Unprintable(ctx, eventID)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.unprintable, e.unprintableStamp = f, stamp
	e.mu.Unlock()
	return f, nil
}

func (s *Server) peopleEntry(eventID int64) *peopleEntry {
	s.liveMu.Lock()
	defer s.liveMu.Unlock()
	e := s.people[eventID]
	if e == nil {
		e = &peopleEntry{}
		s.people[eventID] = e
	}
	return e
}

// forgetPeople drops an event's people index after a change staff made:
// the next page waits for a fresh one, so that staff see their change.
func (s *Server) forgetPeople(eventID int64) {
	e := s.peopleEntry(eventID)
	e.mu.Lock()
	e.gen++
	e.mu.Unlock()
}

// peopleIndex returns the event's people index: one read of every
// decision, shared by all staff for PeopleTTL; an older one is served at
// once while one background read replaces it. After a change made here
// (an override, a link, an import) the next request waits for a fresh one.
func (s *Server) peopleIndex(ctx context.Context, ev attendance.Event) (*attendance.PeopleIndex, error) {
	if s.cfg.PeopleTTL < 0 {
		return s.st.PeopleIndex(ctx, ev.ID)
	}
	e := s.peopleEntry(ev.ID)
	e.mu.Lock()
	if x := e.index; x != nil && e.indexGen == e.gen {
		// A read of a large event takes seconds: reading again no more
		// often than every 5 reads' time keeps it under a fifth of a core.
		if age := s.cfg.Now().Sub(e.at); age >= s.cfg.PeopleTTL && age >= 5*e.took && !e.refreshing {
			e.refreshing = true
			go func() {
				e.compute.Lock()
				defer e.compute.Unlock()
				if err := s.refreshPeople(ev, e); err != nil {
					s.log.Warn("people index", "event", ev.Slug, "err", err)
				}
				e.mu.Lock()
				e.refreshing = false
				e.mu.Unlock()
			}()
		}
		e.mu.Unlock()
		return x, nil
	}
	e.mu.Unlock()
	e.compute.Lock()
	defer e.compute.Unlock()
	e.mu.Lock()
	x, current := e.index, e.indexGen == e.gen
	e.mu.Unlock()
	if x != nil && current {
		return x, nil
	}
	return s.computePeople(ctx, ev, e)
}

// peopleMaxAge is how long an index is kept on an unchanged stamp before
// it is read again anyway.
const peopleMaxAge = time.Minute

// refreshPeople reads the index again in the background, unless the
// store's stamp says nothing it is read from changed (an event after its
// stream: a read of 100,000 decisions costs seconds of a core); e.compute
// is held.
func (s *Server) refreshPeople(ev attendance.Event, e *peopleEntry) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stamp, err := s.st.PeopleStamp(ctx, ev.ID)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	e.mu.Lock()
	same := stamp == e.stamp && e.indexGen == e.gen && now.Sub(e.readAt) < peopleMaxAge
	if same {
		e.at = now
	}
	e.mu.Unlock()
	if same {
		return nil
	}
	_, err = s.computePeople(ctx, ev, e)
	return err
}

// computePeople reads the index and caches it; e.compute is held.
func (s *Server) computePeople(ctx context.Context, ev attendance.Event, e *peopleEntry) (*attendance.PeopleIndex, error) {
	// One read serves many staff: one leaving must not cancel it.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	e.mu.Lock()
	gen := e.gen
	e.mu.Unlock()
	now, t0 := s.cfg.Now(), time.Now()
	// The stamp is read before the index: a change in between makes the
	// next check read again.
	stamp, err := s.st.PeopleStamp(cctx, ev.ID)
	if err != nil {
		return nil, err
	}
	x, err := s.st.PeopleIndex(cctx, ev.ID)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.index, e.at, e.readAt, e.indexGen, e.took, e.stamp = x, now, now, gen, time.Since(t0), stamp
	e.mu.Unlock()
	return x, nil
}

// peopleFilter reads the people table's filter from a URL's query.
func peopleFilter(v url.Values) (attendance.PeopleFilter, error) {
	var f attendance.PeopleFilter
	var err error
	if f.Linked, err = attendance.ParseTristate(v.Get("linked")); err != nil {
		return f, fmt.Errorf("linked: %w", err)
	}
	if f.Form, err = attendance.ParseTristate(v.Get("form")); err != nil {
		return f, fmt.Errorf("form: %w", err)
	}
	if f.Conflict, err = attendance.ParseTristate(v.Get("conflict")); err != nil {
		return f, fmt.Errorf("conflict: %w", err)
	}
	cp := v.Get("checkpoints")
	if op := v.Get("cmp"); cp != "" && op == "eq" && !strings.ContainsAny(cp, "=≥>") {
		cp = "=" + cp
	}
	if f.Checkpoints, err = attendance.ParseCountFilter(cp); err != nil {
		return f, fmt.Errorf("checkpoints: %w", err)
	}
	if m := strings.TrimSpace(v.Get("presence")); m != "" {
		if f.MinPresence, err = strconv.Atoi(m); err != nil || f.MinPresence < 0 {
			return f, attendance.Errorf(attendance.EInvalid, "presence: expected a number of minutes")
		}
	}
	if f.Certificate, err = attendance.ParseCertificateFilter(v.Get("certificate")); err != nil {
		return f, err
	}
	f.Reason = strings.TrimSpace(v.Get("reason"))
	f.Country = strings.TrimSpace(v.Get("country"))
	if r := strings.TrimSpace(v.Get("role")); r != "" {
		if f.Role, err = attendance.ParseRole(r); err != nil {
			return f, fmt.Errorf("role: %w", err)
		}
	}
	f.Q = strings.TrimSpace(v.Get("q"))
	return f, nil
}

// filterValues is f as the query of a URL (peopleFilter reads it back).
func filterValues(f attendance.PeopleFilter) url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("linked", string(f.Linked))
	set("form", string(f.Form))
	set("conflict", string(f.Conflict))
	set("checkpoints", f.Checkpoints.String())
	if f.MinPresence > 0 {
		set("presence", strconv.Itoa(f.MinPresence))
	}
	set("certificate", f.Certificate)
	set("reason", f.Reason)
	set("country", f.Country)
	set("role", string(f.Role))
	set("q", f.Q)
	return v
}

// peopleLink is a link of the people table: the filter with one choice
// changed, kept in the order and page size.
type peopleLink struct {
	Label  string
	N      int
	URL    string
	Active bool
}

type peopleData struct {
	eventPage
	Filter      attendance.PeopleFilter
	FilterQuery string // the filter as a URL query
	// CSVURL and RemindURL are the filter's download and reminder: whole
	// URLs made here, since html/template escapes a query written after
	// "?" in an attribute as one value ("linked%3dno"), losing the filter.
	CSVURL, RemindURL string
	Describe          string
	Sort              attendance.PeopleSort
	Desc              bool
	Page              attendance.PeoplePage
	Total             int // everyone in the event
	Presets           []peopleLink
	Facets            []facetGroup
	Sorts             []sortLink
	NextURL           string
	PrevURL           string
	Countries         []string
	Roles             []attendance.Role
	Loc               *time.Location
	CPTotal           int
	BuiltAt           time.Time
	Error             string
	Cmp               string
	CPValue           string
	Rows              []personView
}

// personView is a row of the people table, its cells written out once
// (a page of 50 rows, each cell a template call, cost more than the query).
type personView struct {
	ID                                                int64
	Name, Email, Role, Country, Checkpoints, Presence string
	Form, Certificate, Reasons                        string
	Linked                                            template.HTML
	Conflict                                          bool
}

func personViews(rows []attendance.PersonRow, loc *time.Location) []personView {
	out := make([]personView, len(rows))
	for i, p := range rows {
		v := personView{ID: p.ID, Name: p.FullName, Email: p.Email, Role: string(p.Role), Country: p.Country,
			Checkpoints: strconv.Itoa(p.CheckpointsHit) + " of " + strconv.Itoa(p.CheckpointsTotal),
			Presence:    strconv.Itoa(p.PresenceMinutes) + " min", Form: "no", Certificate: p.CertificateLabel(),
			Reasons: strings.Join(attendance.ReasonStrings(p.Reasons), ", "), Conflict: p.Conflict,
			Linked: `<span class="muted">not linked</span>`}
		if p.FormSubmitted {
			v.Form = "yes"
		}
		if p.Linked {
			v.Linked = localTime(p.LinkedAt, loc, "2006-01-02 15:04 MST")
		}
		out[i] = v
	}
	return out
}

type facetGroup struct {
	Name  string
	Links []peopleLink
}

type sortLink struct {
	Label string
	URL   string
	Aria  string // "ascending", "descending" or "none"
	Key   attendance.PeopleSort
}

// withQuery is path with query (already encoded) after "?", when any.
func withQuery(path, query string) string {
	if query == "" {
		return path
	}
	return path + "?" + query
}

// peopleURL is the people page's URL for a filter, an order and a cursor.
func peopleURL(slug string, f attendance.PeopleFilter, by attendance.PeopleSort, desc bool, cursor string, before bool) string {
	v := filterValues(f)
	if by != "" && by != attendance.SortName {
		v.Set("sort", string(by))
	}
	if desc {
		v.Set("desc", "1")
	}
	if cursor != "" {
		if before {
			v.Set("before", cursor)
		} else {
			v.Set("after", cursor)
		}
	}
	return withQuery("/events/"+slug+"/people", v.Encode())
}

func (s *Server) peoplePage(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, err := s.liveEvent(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	d := peopleData{eventPage: eventPage{ev}, Loc: ev.Location()}
	f, ferr := peopleFilter(q)
	by, serr := attendance.ParsePeopleSort(q.Get("sort"))
	after, aerr := attendance.ParsePeopleCursor(q.Get("after"))
	before, berr := attendance.ParsePeopleCursor(q.Get("before"))
	for _, e := range []error{ferr, serr, aerr, berr} {
		if e != nil {
			d.Error = userMessage(e)
			break
		}
	}
	if d.Error != "" {
		f, by, after, before = attendance.PeopleFilter{}, attendance.SortName, attendance.PeopleCursor{}, attendance.PeopleCursor{}
	}
	desc := q.Get("desc") == "1"
	x, err := s.peopleIndex(r.Context(), ev)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Filter, d.Sort, d.Desc, d.Total, d.BuiltAt = f, by, desc, x.Len(), x.BuiltAt
	d.FilterQuery = filterValues(f).Encode()
	d.CSVURL = withQuery("/events/"+ev.Slug+"/exports/people.csv", d.FilterQuery)
	d.RemindURL = withQuery("/events/"+ev.Slug+"/people/remind", d.FilterQuery)
	d.Describe = f.Describe()
	d.Countries, d.Roles = x.Countries(), x.Roles()
	d.CPValue = strconv.Itoa(f.Checkpoints.N)
	if !f.Checkpoints.Set {
		d.CPValue = ""
	}
	d.Cmp = "ge"
	if f.Checkpoints.Exact {
		d.Cmp = "eq"
	}
	d.Page = x.Query(attendance.PeopleQuery{Filter: f, Sort: by, Desc: desc, After: after, Before: before, Limit: 50, Facets: true})
	d.Rows = personViews(d.Page.Rows, d.Loc)
	if c := d.Page.Next.String(); c != "" {
		d.NextURL = peopleURL(ev.Slug, f, by, desc, c, false)
	}
	if c := d.Page.Prev.String(); c != "" {
		d.PrevURL = peopleURL(ev.Slug, f, by, desc, c, true)
	}
	presetCounts := x.PresetCounts()
	for i, p := range attendance.PeoplePresets {
		d.Presets = append(d.Presets, peopleLink{Label: p.Name, N: presetCounts[i], URL: peopleURL(ev.Slug, p.Filter, by, desc, "", false),
			Active: filterValues(p.Filter).Encode() == d.FilterQuery})
	}
	fc := d.Page.Facets
	group := func(name string, counts []attendance.FacetCount, set func(*attendance.PeopleFilter, string), cur string) {
		g := facetGroup{Name: name}
		for _, c := range counts {
			nf := f
			set(&nf, c.Value)
			label := c.Value
			if label == "" {
				label = "(none)"
			}
			g.Links = append(g.Links, peopleLink{Label: label, N: c.N, URL: peopleURL(ev.Slug, nf, by, desc, "", false), Active: cur == c.Value})
		}
		d.Facets = append(d.Facets, g)
	}
	group("Linked", fc.Linked, func(f *attendance.PeopleFilter, v string) { f.Linked = attendance.Tristate(v) }, string(f.Linked))
	group("Checkpoints hit", fc.Checkpoints, func(f *attendance.PeopleFilter, v string) { f.Checkpoints, _ = attendance.ParseCountFilter(v) }, f.Checkpoints.String())
	group("Form submitted", fc.Form, func(f *attendance.PeopleFilter, v string) { f.Form = attendance.Tristate(v) }, string(f.Form))
	group("Certificate", fc.Certificate, func(f *attendance.PeopleFilter, v string) { f.Certificate = v }, f.Certificate)
	group("Conflict", fc.Conflict, func(f *attendance.PeopleFilter, v string) { f.Conflict = attendance.Tristate(v) }, string(f.Conflict))
	group("Role", fc.Role, func(f *attendance.PeopleFilter, v string) { f.Role = attendance.Role(v) }, string(f.Role))
	group("Country", fc.Country, func(f *attendance.PeopleFilter, v string) { f.Country = v }, f.Country)
	if n := len(fc.Checkpoints); n > 0 {
		d.CPTotal = n - 1
	}
	labels := map[attendance.PeopleSort]string{attendance.SortName: "Name", attendance.SortCountry: "Country", attendance.SortLinkedAt: "Linked",
		attendance.SortCheckpoints: "Checkpoints", attendance.SortPresence: "Presence", attendance.SortCertificate: "Certificate"}
	for _, k := range attendance.PeopleSorts {
		sl := sortLink{Label: labels[k], Key: k, Aria: "none", URL: peopleURL(ev.Slug, f, k, false, "", false)}
		if k == by {
			sl.Aria = "ascending"
			if desc {
				sl.Aria = "descending"
			} else {
				sl.URL = peopleURL(ev.Slug, f, k, true, "", false)
			}
		}
		d.Sorts = append(d.Sorts, sl)
	}
	status := http.StatusOK
	if d.Error != "" {
		status = http.StatusBadRequest
	}
	s.render(w, r, status, "people", ss, d)
}

// exportPeople writes the people the filter selects as CSV, in the
// table's order: the one audit entry of the download names the filter.
func (s *Server) exportPeople(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, err := s.liveEvent(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	f, err := peopleFilter(q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	by, err := attendance.ParsePeopleSort(q.Get("sort"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	x, err := s.peopleIndex(r.Context(), ev)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := x.Query(attendance.PeopleQuery{Filter: f, Sort: by, Desc: q.Get("desc") == "1", Limit: -1})
	var buf bytes.Buffer
	if err := writePeopleCSV(&buf, page.Rows, ev.Location()); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.audit(r.Context(), ss, "export.people", ev.ID, "people.csv", fmt.Sprintf("%s: %d rows", f.Describe(), len(page.Rows))); err != nil {
		s.fail(w, r, err)
		return
	}
	name := fmt.Sprintf("%s-people-%s.csv", ev.Slug, s.cfg.Now().UTC().Format("20060102-1504"))
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, _ = buf.WriteTo(w)
}

// writePeopleCSV writes rows under attendance.PeopleColumns, as every
// rollcall CSV: BOM, CRLF, formulas neutralised.
func writePeopleCSV(w *bytes.Buffer, rows []attendance.PersonRow, loc *time.Location) error {
	cw, err := csvout.NewWriter(w)
	if err != nil {
		return err
	}
	if err := cw.Write(attendance.PeopleColumns...); err != nil {
		return err
	}
	for _, p := range rows {
		if err := cw.Write(p.CSVCells(loc)...); err != nil {
			return err
		}
	}
	return cw.Flush()
}
