package dashboard

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/seameo/rollcall/attendance"
)

// maxBulkOverride bounds the people one bulk override decides for.
const maxBulkOverride = 500

// reasonKinds are the reason kinds the certificates page filters by.
var reasonKinds = []string{attendance.ReasonNotLinked, attendance.ReasonCheckpoints, attendance.ReasonPresence, attendance.ReasonNoForm,
	attendance.ReasonCodeConflict, attendance.ReasonSharedChannel, attendance.ReasonRole, attendance.ReasonOrganizer,
	attendance.ReasonOverride, attendance.ReasonRevoked}

// decisionList is the certificates page's list of decisions (admins):
// the people table's query with the certificate and reason filters.
type decisionList struct {
	Certificate, Reason string
	Reasons             []string
	Page                attendance.PeoplePage
	NextURL, PrevURL    string
	FilterQuery         string
	PeopleURL           string // the filter in the people table
	Error               string
}

// certificatesURL is the certificates page for a filter and a cursor.
func certificatesURL(slug string, f attendance.PeopleFilter, cursor string, before bool) string {
	v := url.Values{}
	if f.Certificate != "" {
		v.Set("certificate", f.Certificate)
	}
	if f.Reason != "" {
		v.Set("reason", f.Reason)
	}
	if cursor != "" {
		if before {
			v.Set("before", cursor)
		} else {
			v.Set("after", cursor)
		}
	}
	return withQuery("/events/"+slug+"/certificates", v.Encode()) + "#decisions"
}

// decisionList reads the list of the certificates page from the request's
// query: people by certificate, then name, 50 a page.
func (s *Server) decisionList(r *http.Request, ev attendance.Event) (*decisionList, error) {
	q := r.URL.Query()
	d := &decisionList{Reasons: reasonKinds}
	var f attendance.PeopleFilter
	var err error
	if f.Certificate, err = attendance.ParseCertificateFilter(q.Get("certificate")); err != nil {
		d.Error = userMessage(err)
	}
	f.Reason = strings.TrimSpace(q.Get("reason"))
	if f.Reason != "" && !slices.Contains(reasonKinds, f.Reason) {
		d.Error, f.Reason = fmt.Sprintf("reason %q: expected one of %s", f.Reason, strings.Join(reasonKinds, ", ")), ""
	}
	after, aerr := attendance.ParsePeopleCursor(q.Get("after"))
	before, berr := attendance.ParsePeopleCursor(q.Get("before"))
	if aerr != nil || berr != nil {
		d.Error = "bad page cursor"
		after, before = attendance.PeopleCursor{}, attendance.PeopleCursor{}
	}
	d.Certificate, d.Reason = f.Certificate, f.Reason
	x, err := s.peopleIndex(r.Context(), ev)
	if err != nil {
		return nil, err
	}
	d.Page = x.Query(attendance.PeopleQuery{Filter: f, Sort: attendance.SortCertificate, After: after, Before: before, Limit: 50})
	if c := d.Page.Next.String(); c != "" {
		d.NextURL = certificatesURL(ev.Slug, f, c, false)
	}
	if c := d.Page.Prev.String(); c != "" {
		d.PrevURL = certificatesURL(ev.Slug, f, c, true)
	}
	d.FilterQuery = filterValues(f).Encode()
	d.PeopleURL = withQuery("/events/"+ev.Slug+"/people", d.FilterQuery)
	return d, nil
}

// bulkOverride overrides the decision of the people ticked on the
// certificates page, with one certificate and one reason: AddOverride
// audits each person once, in the admin's name. Every id is checked to
// be one of the event's people before anything is written.
func (s *Server) bulkOverride(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, err := s.liveEvent(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	certField := r.PostFormValue("certificate")
	cert := attendance.CertificateType(certField)
	why := strings.TrimSpace(r.PostFormValue("why"))
	ids := r.PostForm["id"]
	switch {
	case cert != attendance.CertAppreciation && cert != attendance.CertParticipation && certField != "none":
		http.Error(w, "choose appreciation, participation or none", http.StatusBadRequest)
		return
	case why == "":
		http.Error(w, "an override needs a reason", http.StatusBadRequest)
		return
	case len(ids) == 0:
		http.Error(w, "tick the people to override", http.StatusBadRequest)
		return
	case len(ids) > maxBulkOverride:
		http.Error(w, fmt.Sprintf("at most %d people at once", maxBulkOverride), http.StatusBadRequest)
		return
	}
	x, err := s.peopleIndex(r.Context(), ev)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	want := map[int64]bool{}
	for _, v := range ids {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			http.Error(w, "bad person id", http.StatusBadRequest)
			return
		}
		want[id] = true
	}
	if !x.HasAll(want) {
		http.Error(w, "someone ticked is not in this event", http.StatusBadRequest)
		return
	}
	saved := 0
	for id := range want {
		if err := s.st.AddOverride(r.Context(), ev.ID, id, cert, why, ss.email); err != nil {
			s.forgetPeople(ev.ID)
			s.fail(w, r, fmt.Errorf("dashboard: bulk override, %d of %d saved: %w", saved, len(want), err))
			return
		}
		saved++
	}
	s.forgetPeople(ev.ID)
	back := "/events/" + ev.Slug + "/certificates"
	if q := r.PostFormValue("filter"); q != "" {
		if v, err := url.ParseQuery(q); err == nil {
			if f, err := peopleFilter(v); err == nil {
				back = strings.TrimSuffix(certificatesURL(ev.Slug, attendance.PeopleFilter{Certificate: f.Certificate, Reason: f.Reason}, "", false), "#decisions")
			}
		}
	}
	s.redirectWithFlash(w, r, back, fmt.Sprintf("override saved for %d people: %s", saved, certField))
}
