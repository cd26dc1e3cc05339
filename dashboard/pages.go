package dashboard

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/certpdf"
	"github.com/seameo/rollcall/attendance/mailtext"
	"github.com/seameo/rollcall/attendance/roster"
)

var funcs = template.FuncMap{
	"num": func(v any) string {
		switch n := v.(type) {
		case *int64:
			if n == nil {
				return "—"
			}
			return group(*n)
		case int64:
			return group(n)
		case int:
			return group(int64(n))
		}
		return fmt.Sprint(v)
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	// at and atClock show a time in the event's zone with its
	// abbreviation ("2026-11-28 14:05 ICT", "14:05:09 ICT"), the UTC time
	// in the title; stored times stay UTC.
	"at":      func(t time.Time, loc *time.Location) template.HTML { return localTime(t, loc, "2006-01-02 15:04 MST") },
	"atClock": func(t time.Time, loc *time.Location) template.HTML { return localTime(t, loc, "15:04:05 MST") },
	"list":    func(v ...string) []string { return v },
	"clock": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("15:04:05")
	},
}

// localTime is t in loc, formatted by layout, in a <time> element whose
// title is the UTC time.
func localTime(t time.Time, loc *time.Location, layout string) template.HTML {
	if t.IsZero() {
		return "—"
	}
	if loc == nil {
		loc = time.UTC
	}
	u := t.UTC()
	return template.HTML(fmt.Sprintf(`<time datetime="%s" title="%s">%s</time>`, u.Format(time.RFC3339),
		u.Format("2006-01-02 15:04:05 UTC"), template.HTMLEscapeString(attendance.LocalTime(t, loc, layout))))
}

// group writes n with comma thousands separators: 12,345.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// parsePages parses every page with the layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("dashboard: template %s: %w", n, err)
		}
		out[base] = t
	}
	return out, nil
}

// pageData is what every page gets.
type pageData struct {
	Title string
	Staff *session
	CSRF  string
	Event *attendance.Event
	Data  any
	Nav   string

	StaffEmail, StaffRole string
	Admin                 bool
	// Loc is the event's time zone (UTC on pages of no event): every time
	// a page shows is in it, with TZAbbr, the UTC time in a title.
	Loc    *time.Location
	TZAbbr string
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, ss *session, data any) {
	pd := pageData{Staff: ss, Data: data, Nav: page}
	if ss != nil {
		pd.CSRF, pd.StaffEmail, pd.StaffRole, pd.Admin = ss.csrf, ss.email, ss.role, ss.admin()
	}
	pd.Loc = time.UTC
	if ev, ok := data.(interface{ event() *attendance.Event }); ok {
		pd.Event = ev.event()
		pd.Loc = pd.Event.Location()
	}
	pd.TZAbbr = attendance.ZoneAbbrev(s.cfg.Now(), pd.Loc)
	var buf bytes.Buffer
	t := s.pages[page]
	if t == nil {
		s.fail(w, r, fmt.Errorf("dashboard: no page %q", page))
		return
	}
	if err := t.Execute(&buf, pd); err != nil {
		s.fail(w, r, fmt.Errorf("dashboard: render %s: %w", page, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

type eventPage struct{ Ev attendance.Event }

func (p eventPage) event() *attendance.Event { return &p.Ev }

// --- events ---

type eventsData struct {
	Events []attendance.Event
	Error  string
	Form   map[string]string
}

func (s *Server) eventsPage(w http.ResponseWriter, r *http.Request, ss *session) {
	s.renderEvents(w, r, ss, http.StatusOK, "", nil)
}

func (s *Server) renderEvents(w http.ResponseWriter, r *http.Request, ss *session, status int, msg string, form map[string]string) {
	evs, err := s.st.Events(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "events", ss, eventsData{Events: evs, Error: msg, Form: form})
}

func (s *Server) createEvent(w http.ResponseWriter, r *http.Request, ss *session) {
	form := map[string]string{"slug": strings.TrimSpace(r.PostFormValue("slug")), "title": strings.TrimSpace(r.PostFormValue("title")),
		"video": strings.TrimSpace(r.PostFormValue("video"))}
	ev := attendance.Event{Slug: form["slug"], Title: form["title"], Policy: attendance.DefaultPolicy()}
	if ev.Title == "" {
		ev.Title = ev.Slug
	}
	for _, v := range strings.Fields(strings.ReplaceAll(form["video"], ",", " ")) {
		id, err := attendance.ParseVideoRef(v)
		if err != nil {
			s.renderEvents(w, r, ss, http.StatusBadRequest, err.Error(), form)
			return
		}
		ev.VideoIDs = append(ev.VideoIDs, id)
	}
	if len(ev.VideoIDs) == 0 {
		s.renderEvents(w, r, ss, http.StatusBadRequest, "Give the YouTube link or video id of the stream.", form)
		return
	}
	if _, err := s.st.CreateEvent(r.Context(), ev); err != nil {
		if code := httpStatus(err); code != http.StatusInternalServerError {
			s.renderEvents(w, r, ss, code, userMessage(err), form)
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/events/"+ev.Slug, http.StatusSeeOther)
}

// userMessage is the part of an error safe to show.
func userMessage(err error) string {
	var ie *attendance.InputError
	var ae *attendance.Error
	switch {
	case asErr(err, &ie):
		return ie.Error()
	case asErr(err, &ae):
		return ae.Message
	}
	return err.Error()
}

// --- live page ---

type liveData struct {
	eventPage
	Snap  *Snapshot
	Admin bool
	Msg   string
}

func (s *Server) livePage(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, sn, ok := s.eventSnapshot(w, r)
	if !ok {
		return
	}
	if !ss.admin() {
		sn = sn.forViewer()
	}
	s.render(w, r, http.StatusOK, "live", ss, liveData{eventPage: eventPage{ev}, Snap: sn, Admin: ss.admin(), Msg: s.flash(w, r)})
}

// forget drops an event's cached snapshot after a change staff made.
func (s *Server) forget(eventID int64) {
	e := s.entry(eventID)
	e.mu.Lock()
	e.gen++ // a computation already running is too old now
	e.mu.Unlock()
	s.forgetPeople(eventID)
}

func (s *Server) openCheckpoint(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, err := s.liveEvent(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	word := strings.TrimSpace(r.PostFormValue("word"))
	minutes, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("minutes")))
	if word == "" || err != nil || minutes < 1 || minutes > 24*60 {
		http.Error(w, "give a word and a number of minutes (1 to 1440)", http.StatusBadRequest)
		return
	}
	now := s.cfg.Now()
	cp, err := s.st.AddCheckpoint(r.Context(), ev.ID, word, now, now.Add(time.Duration(minutes)*time.Minute))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.audit(r.Context(), ss, "checkpoint.open", ev.ID, fmt.Sprintf("checkpoint %d", cp.Number), fmt.Sprintf("%d minutes", minutes)); err != nil {
		s.fail(w, r, err)
		return
	}
	s.forget(ev.ID)
	s.redirectWithFlash(w, r, "/events/"+ev.Slug, fmt.Sprintf("checkpoint %d open", cp.Number))
}

func (s *Server) closeCheckpoint(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, err := s.liveEvent(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil {
		http.Error(w, "bad checkpoint number", http.StatusBadRequest)
		return
	}
	if err := s.st.CloseCheckpoint(r.Context(), ev.ID, n, s.cfg.Now()); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.audit(r.Context(), ss, "checkpoint.close", ev.ID, fmt.Sprintf("checkpoint %d", n), ""); err != nil {
		s.fail(w, r, err)
		return
	}
	s.forget(ev.ID)
	s.redirectWithFlash(w, r, "/events/"+ev.Slug, fmt.Sprintf("checkpoint %d closed", n))
}

// --- registrations ---

type registrationsData struct {
	eventPage
	Count   int64
	Query   string
	Results []attendance.Registration
	Error   string
	Summary string
}

func (s *Server) registrationsPage(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, err := s.liveEvent(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := registrationsData{eventPage: eventPage{ev}, Query: strings.TrimSpace(r.URL.Query().Get("q")), Summary: s.flash(w, r)}
	s.renderRegistrations(w, r, ss, http.StatusOK, d)
}

func (s *Server) renderRegistrations(w http.ResponseWriter, r *http.Request, ss *session, status int, d registrationsData) {
	var err error
	if d.Count, err = s.st.RegistrationCount(r.Context(), d.Ev.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Query != "" {
		if d.Results, err = s.st.SearchRegistrations(r.Context(), d.Ev.ID, d.Query, 50); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.render(w, r, status, "registrations", ss, d)
}

func (s *Server) importRegistrations(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, err := s.liveEvent(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := registrationsData{eventPage: eventPage{ev}}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		d.Error = "Choose a CSV file to import."
		s.renderRegistrations(w, r, ss, http.StatusBadRequest, d)
		return
	}
	defer f.Close()
	ros, err := roster.Read(f, path.Base(hdr.Filename), nil)
	if err != nil {
		d.Error = userMessage(err)
		s.renderRegistrations(w, r, ss, http.StatusBadRequest, d)
		return
	}
	res, err := s.st.ImportRegistrations(r.Context(), ev.ID, ros.Registrations, false)
	if err != nil {
		if httpStatus(err) != http.StatusInternalServerError {
			d.Error = userMessage(err)
			s.renderRegistrations(w, r, ss, httpStatus(err), d)
			return
		}
		s.fail(w, r, err)
		return
	}
	summary := fmt.Sprintf("%d rows read: %d added, %d updated, %d unchanged", ros.Rows, res.Added, res.Updated, res.Unchanged)
	if err := s.audit(r.Context(), ss, "registrations.import", ev.ID, path.Base(hdr.Filename), summary); err != nil {
		s.fail(w, r, err)
		return
	}
	s.forget(ev.ID)
	s.redirectWithFlash(w, r, "/events/"+ev.Slug+"/registrations", summary)
}

type personData struct {
	eventPage
	Decision attendance.Decision
	Timeline []attendance.TimelineEntry
	Mail     []attendance.OutboxEntry
	// Resend lists the kinds whose latest message is final (sent, failed
	// or bounced), which an admin may send again.
	Resend []attendance.MailKind
	Msg    string
}

func (s *Server) person(r *http.Request) (attendance.Event, int64, error) {
	ev, err := s.liveEvent(r)
	if err != nil {
		return ev, 0, err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return ev, 0, attendance.Errorf(attendance.ENotFound, "no such registration")
	}
	return ev, id, nil
}

func (s *Server) personPage(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, id, err := s.person(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := personData{eventPage: eventPage{ev}, Msg: s.flash(w, r)}
	if d.Decision, err = s.st.Decision(r.Context(), ev.ID, id); err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Timeline, err = s.st.Timeline(r.Context(), ev.ID, id); err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Mail, err = s.st.PersonOutbox(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	latest := map[attendance.MailKind]attendance.MailState{}
	for _, m := range d.Mail {
		latest[m.Kind] = m.State
	}
	for _, k := range mailtext.Kinds() {
		if st, ok := latest[k]; ok && st != attendance.MailQueued && st != attendance.MailSending {
			d.Resend = append(d.Resend, k)
		}
	}
	s.render(w, r, http.StatusOK, "person", ss, d)
}

// resendMail queues one more copy of a person's latest message of a kind
// (the store audits it in the admin's name); the next "rollcall mail" run
// of that kind sends it.
func (s *Server) resendMail(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, id, err := s.person(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	kind := attendance.MailKind(r.PostFormValue("kind"))
	if !slices.Contains(mailtext.Kinds(), kind) {
		http.Error(w, "choose codes, reminders or certificates", http.StatusBadRequest)
		return
	}
	if err := s.st.ResendMail(r.Context(), ev.ID, id, kind, ss.email); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirectWithFlash(w, r, fmt.Sprintf("/events/%s/registrations/%d", ev.Slug, id),
		"resend queued: the next \"rollcall mail "+string(kind)+"\" run sends it")
}

func (s *Server) linkPerson(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, id, err := s.person(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	channel := strings.TrimSpace(r.PostFormValue("channel"))
	note := strings.TrimSpace(r.PostFormValue("note"))
	if channel == "" || note == "" {
		http.Error(w, "give the chat channel id and why you link it", http.StatusBadRequest)
		return
	}
	if err := s.st.LinkManually(r.Context(), ev.ID, id, channel, ss.email, note); err != nil {
		s.fail(w, r, err)
		return
	}
	// LinkManually writes the audit log itself (the contract), with ss.email.
	s.forget(ev.ID)
	s.redirectWithFlash(w, r, fmt.Sprintf("/events/%s/registrations/%d", ev.Slug, id), "linked")
}

func (s *Server) overridePerson(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, id, err := s.person(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cert := attendance.CertificateType(r.PostFormValue("certificate"))
	why := strings.TrimSpace(r.PostFormValue("why"))
	switch {
	case cert != attendance.CertAppreciation && cert != attendance.CertParticipation && r.PostFormValue("certificate") != "none":
		http.Error(w, "choose appreciation, participation or none", http.StatusBadRequest)
		return
	case why == "":
		http.Error(w, "an override needs a reason", http.StatusBadRequest)
		return
	}
	if err := s.st.AddOverride(r.Context(), ev.ID, id, cert, why, ss.email); err != nil {
		s.fail(w, r, err)
		return
	}
	// AddOverride writes the audit log itself (the contract), with ss.email.
	s.forgetPeople(ev.ID)
	s.redirectWithFlash(w, r, fmt.Sprintf("/events/%s/registrations/%d", ev.Slug, id), "override saved")
}

// --- forms ---

type formsData struct {
	eventPage
	Unmatched []attendance.FormResponse
	CanImport bool
	Error     string
	Summary   string
}

func (s *Server) formsPage(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, err := s.liveEvent(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderForms(w, r, ss, http.StatusOK, formsData{eventPage: eventPage{ev}, Summary: s.flash(w, r)})
}

func (s *Server) renderForms(w http.ResponseWriter, r *http.Request, ss *session, status int, d formsData) {
	var err error
	if d.Unmatched, err = s.st.UnmatchedForms(r.Context(), d.Ev.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	d.CanImport = s.cfg.ImportForms != nil
	s.render(w, r, status, "forms", ss, d)
}

func (s *Server) importForms(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, err := s.liveEvent(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := formsData{eventPage: eventPage{ev}}
	if s.cfg.ImportForms == nil {
		s.fail(w, r, errNoAttendance)
		return
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		d.Error = "Choose the form's CSV export to import."
		s.renderForms(w, r, ss, http.StatusBadRequest, d)
		return
	}
	defer f.Close()
	summary, err := s.cfg.ImportForms(r.Context(), ev.ID, f, path.Base(hdr.Filename))
	if err != nil {
		if httpStatus(err) != http.StatusInternalServerError {
			d.Error = userMessage(err)
			s.renderForms(w, r, ss, httpStatus(err), d)
			return
		}
		s.fail(w, r, err)
		return
	}
	if err := s.audit(r.Context(), ss, "forms.import", ev.ID, path.Base(hdr.Filename), summary); err != nil {
		s.fail(w, r, err)
		return
	}
	s.forgetPeople(ev.ID)
	s.redirectWithFlash(w, r, "/events/"+ev.Slug+"/forms", summary)
}

// --- certificates and exports ---

// ReasonCount is how many decisions carry one reason.
type ReasonCount struct {
	Reason string
	N      int64
}

// certificateFigures counts decisions by certificate type and by reason.
type certificateFigures struct {
	Total   int64
	ByType  []ReasonCount
	Reasons []ReasonCount
	// Unissued counts the certificates decided that have no id yet.
	Unissued int64
}

func (s *Server) certificateFigures(ctx context.Context, eventID int64) (certificateFigures, error) {
	var f certificateFigures
	types := map[string]int64{}
	reasons := map[string]int64{}
	err := s.st.Decisions(ctx, eventID, func(d attendance.Decision) error {
		f.Total++
		t := string(d.Certificate)
		if t == "" {
			t = "none"
		}
		types[t]++
		if d.Certificate != attendance.CertNone && d.CertificateID == "" {
			f.Unissued++
		}
		for _, r := range d.Reasons {
			// Staff's words group by their kind ("override"); figures
			// stay as they read ("checkpoints 1/3").
			k := r.String()
			switch r.Kind {
			case attendance.ReasonOverride, attendance.ReasonRevoked:
				k = r.Kind
			}
			reasons[k]++
		}
		return nil
	})
	if err != nil {
		return f, err
	}
	f.ByType = sortedCounts(types)
	f.Reasons = sortedCounts(reasons)
	return f, nil
}

func sortedCounts(m map[string]int64) []ReasonCount {
	out := make([]ReasonCount, 0, len(m))
	for k, v := range m {
		out = append(out, ReasonCount{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}

type certificatesData struct {
	eventPage
	Figures certificateFigures
	Admin   bool
	// Rendering says whether the certificates service is configured: the
	// ZIP download of the PDFs, the template previews and the editor.
	Rendering bool
	Msg       string
	// Unprintable are the issued certificates the PDF download leaves
	// out: a character of the name is in no installed font.
	Unprintable []certpdf.Failure
	// List is the decisions, person by person (admins only).
	List *decisionList
}

func (s *Server) certificatesPage(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, err := s.liveEvent(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := s.certificateFigures(r.Context(), ev.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := certificatesData{eventPage: eventPage{ev}, Figures: f, Admin: ss.admin(), Rendering: s.cfg.Certificates != nil, Msg: s.flash(w, r)}
	status := http.StatusOK
	if ss.admin() {
		if d.List, err = s.decisionList(r, ev); err != nil {
			s.fail(w, r, err)
			return
		}
		if d.List.Error != "" {
			status = http.StatusBadRequest
		}
		if d.Rendering {
			// no fonts at all is said by the download; the page still shows
			if d.Unprintable, err = s.unprintableCertificates(r.Context(), ev.ID); err != nil {
				s.log.Warn("check printable names", "event", ev.Slug, "err", err)
			}
		}
	}
	s.render(w, r, status, "certificates", ss, d)
}

func (s *Server) exportAttendance(w http.ResponseWriter, r *http.Request, ss *session) {
	s.export(w, r, ss, "attendance", func(ctx context.Context, id int64, buf *bytes.Buffer) error {
		if s.cfg.ExportAttendance == nil {
			return errNoAttendance
		}
		return s.cfg.ExportAttendance(ctx, id, buf)
	})
}

func (s *Server) exportCertificates(w http.ResponseWriter, r *http.Request, ss *session) {
	format := r.URL.Query().Get("format")
	if format != "" && format != "autocrat" {
		http.Error(w, "format: expected autocrat or nothing", http.StatusBadRequest)
		return
	}
	s.export(w, r, ss, "certificates", func(ctx context.Context, id int64, buf *bytes.Buffer) error {
		if s.cfg.ExportCertificates == nil {
			return errNoAttendance
		}
		return s.cfg.ExportCertificates(ctx, id, buf, format)
	})
}

// export writes an export to a buffer first, so that a failure halfway
// answers with an error rather than a truncated file, and audits it: the
// one audit entry of a download, in the signed-in staff member's name (the
// export itself only reads, and shows the ids already issued).
func (s *Server) export(w http.ResponseWriter, r *http.Request, ss *session, kind string, write func(context.Context, int64, *bytes.Buffer) error) {
	ev, err := s.liveEvent(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := write(r.Context(), ev.ID, &buf); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.audit(r.Context(), ss, "export."+kind, ev.ID, kind+".csv", r.URL.RawQuery); err != nil {
		s.fail(w, r, err)
		return
	}
	name := fmt.Sprintf("%s-%s-%s.csv", ev.Slug, kind, s.cfg.Now().UTC().Format("20060102-1504"))
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, _ = buf.WriteTo(w)
}

// --- reach report ---

type reportData struct {
	eventPage
	Snap        *Snapshot
	AvgViewers  int64
	Countries   []CountryRow
	Certs       certificateFigures
	GeneratedAt time.Time
	// Analytics are YouTube Analytics' figures of the event's videos, as
	// fetched after the stream (empty until then).
	Analytics []analyticsView
	// Timeline is the whole event: chat per minute and people linked over
	// time, checkpoint windows marked; Checkpoints the windows in words.
	Timeline    []timeChart
	Checkpoints []checkpointRow
}

// analyticsView is one video's YouTube Analytics figures for the report.
type analyticsView struct {
	VideoID   string
	FetchedAt time.Time
	Playback  []analyticsRow
	Days      []analyticsRow
	Countries []analyticsRow
}

// analyticsRow is one row of it; AverageView is m:ss.
type analyticsRow struct {
	Label                             string
	Views, Minutes, SubscribersGained int64
	AverageView                       string
}

func analyticsViews(rs []attendance.VideoReach) []analyticsView {
	playback := map[string]string{"LIVE": "Live", "ON_DEMAND": "Replay (on demand)"}
	var out []analyticsView
	for _, v := range rs {
		av := analyticsView{VideoID: v.VideoID, FetchedAt: v.FetchedAt}
		for _, f := range v.Rows {
			row := analyticsRow{Label: f.Key, Views: f.Views, Minutes: f.MinutesWatched, SubscribersGained: f.SubscribersGained}
			switch f.Dimension {
			case attendance.ReachByPlayback:
				if l, ok := playback[f.Key]; ok {
					row.Label = l
				}
				row.AverageView = fmt.Sprintf("%d:%02d", f.AverageViewDuration/60, f.AverageViewDuration%60)
				av.Playback = append(av.Playback, row)
			case attendance.ReachByDay:
				av.Days = append(av.Days, row)
			case attendance.ReachByCountry:
				if len(av.Countries) < 10 {
					av.Countries = append(av.Countries, row)
				}
			}
		}
		out = append(out, av)
	}
	return out
}

func (s *Server) reportPage(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, sn, ok := s.eventSnapshot(w, r)
	if !ok {
		return
	}
	sn = sn.forViewer()
	reach, err := s.st.EventReach(r.Context(), ev.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := reportData{eventPage: eventPage{ev}, Snap: sn, Countries: sortedCountries(sn.Countries), GeneratedAt: s.cfg.Now(),
		Analytics: analyticsViews(reach)}
	chat, err := s.st.ChatPerMinute(r.Context(), ev.ID, 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	linked, err := s.st.LinkedPerMinute(r.Context(), ev.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cps, err := s.st.Checkpoints(r.Context(), ev.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if sp, ok := spanOf([][]attendance.MinuteCount{chat, linked}, cps); ok {
		loc := ev.Location()
		d.Timeline = []timeChart{chatChart(sp, chat, cps, loc), linkedChart(sp, linked, sn.Registered, cps, loc)}
	}
	d.Checkpoints = checkpointRows(cps, chat)
	if n := len(sn.ViewerSeries); n > 0 {
		var sum int64
		for _, p := range sn.ViewerSeries {
			sum += p.V
		}
		d.AvgViewers = sum / int64(n)
	}
	s.render(w, r, http.StatusOK, "report", ss, d)
}
