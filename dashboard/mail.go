package dashboard

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/mailtext"
)

// The mail pages (admins): each kind's templates — the event's own or the
// built-in ones — edited, checked and previewed as a chosen person would
// get them, the outbox's counts, and reminders queued for the people of a
// filter of the people table. Sending is "rollcall mail KIND"'s: the
// dashboard holds no SMTP credentials.

// mailKindInfo says what each kind is, for the pages.
func mailKindInfo(k attendance.MailKind) (title, when string) {
	switch k {
	case attendance.MailCodes:
		return "Attendance codes", "before the event: each registrant their code"
	case attendance.MailReminders:
		return "Reminders", "during the event: the people of a filter of the people table, their code again"
	default:
		return "Certificates", "after the event: each person their certificate, attached or as a link"
	}
}

// mailRoute reads a mail route's event and {kind}; when either is not
// there it has answered (404 for an unknown kind) and ok is false.
func (s *Server) mailRoute(w http.ResponseWriter, r *http.Request) (ev attendance.Event, kind attendance.MailKind, ok bool) {
	ev, err := s.liveEvent(r)
	if err != nil {
		s.fail(w, r, err)
		return ev, "", false
	}
	kind = attendance.MailKind(r.PathValue("kind"))
	if !slices.Contains(mailtext.Kinds(), kind) {
		s.notFound(w, r)
		return ev, "", false
	}
	return ev, kind, true
}

type mailKindRow struct {
	Kind        attendance.MailKind
	Title, When string
	Own         *attendance.MailTemplate
	Counts      []mailCount
}

type mailCount struct {
	State attendance.MailState
	N     int
}

type mailData struct {
	eventPage
	Kinds []mailKindRow
	Msg   string
}

// mailPage lists the kinds of mail with their templates and outbox counts.
func (s *Server) mailPage(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, err := s.liveEvent(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := mailData{eventPage: eventPage{ev}, Msg: s.flash(w, r)}
	for _, k := range mailtext.Kinds() {
		row := mailKindRow{Kind: k}
		row.Title, row.When = mailKindInfo(k)
		own, ok, err := s.st.MailTemplate(r.Context(), ev.ID, k)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if ok {
			row.Own = &own
		}
		counts, err := s.st.OutboxCounts(r.Context(), ev.ID, k)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, st := range []attendance.MailState{attendance.MailQueued, attendance.MailSending, attendance.MailSent, attendance.MailFailed, attendance.MailBounced} {
			row.Counts = append(row.Counts, mailCount{State: st, N: counts[st]})
		}
		d.Kinds = append(d.Kinds, row)
	}
	s.render(w, r, http.StatusOK, "mail", ss, d)
}

type mailKindData struct {
	eventPage
	Kind        attendance.MailKind
	Title, When string
	Source      mailtext.Source
	Own         *attendance.MailTemplate
	Fields      []string
	Msg, Error  string
	// The preview: as whom, and the message they would get.
	Who, As       string
	Link          bool
	Subject, Text string
	PreviewURL    string // the HTML preview's
	PreviewError  string
}

// mailKindPage shows a kind's templates in a form and a preview of the
// message as a chosen person (?who=name, email or code, or ?person=ID)
// would get it, else as a sample person.
func (s *Server) mailKindPage(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, kind, ok := s.mailRoute(w, r)
	if !ok {
		return
	}
	d, err := s.mailKindData(r, ev, kind)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Msg = s.flash(w, r)
	s.render(w, r, http.StatusOK, "mailkind", ss, d)
}

func (s *Server) mailKindData(r *http.Request, ev attendance.Event, kind attendance.MailKind) (mailKindData, error) {
	d := mailKindData{eventPage: eventPage{ev}, Kind: kind, Fields: mailtext.Fields()}
	d.Title, d.When = mailKindInfo(kind)
	var err error
	if d.Source, d.Own, err = mailtext.Current(r.Context(), s.st, ev.ID, kind); err != nil {
		return d, err
	}
	q := r.URL.Query()
	d.Who, d.Link = strings.TrimSpace(q.Get("who")), q.Get("link") == "1"
	data, err := s.previewData(r, ev, kind)
	if err != nil {
		d.PreviewError = userMessage(err)
		data = mailPreview{Data: mailtext.Sample(ev), As: "a sample person"}
	}
	d.As = data.As
	pq := url.Values{}
	if data.Person > 0 {
		pq.Set("person", strconv.FormatInt(data.Person, 10))
	}
	if d.Link {
		pq.Set("link", "1")
	}
	d.PreviewURL = withQuery("/events/"+ev.Slug+"/mail/"+string(kind)+"/preview.html", pq.Encode())
	if d.Subject, d.Text, _, err = d.Source.Render(kind, data.Data); err != nil {
		d.PreviewError = userMessage(err)
	}
	return d, nil
}

// mailPreview is whom a preview shows a message to, and its data.
type mailPreview struct {
	Data   mailtext.Data
	Person int64  // 0: the sample person
	As     string // who, in words
}

// previewData is the data of a preview: the person ?person=ID names, or
// the first ?who finds, else a sample person; a certificate's id when
// issued, else a sample one.
func (s *Server) previewData(r *http.Request, ev attendance.Event, kind attendance.MailKind) (mailPreview, error) {
	q := r.URL.Query()
	p := mailPreview{Data: mailtext.Sample(ev), As: "a sample person"}
	base := "http://" + r.Host
	if s.cfg.SecureCookies || r.TLS != nil {
		base = "https://" + r.Host
	}
	sampleID := "ABCDEFGHIJKLMNOPQRST"
	p.Data.VerifyURL = attendance.VerifyURL(base, sampleID)
	p.Data.CertificateID = attendance.FormatCertificateID(sampleID)
	var id int64
	if v := q.Get("person"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return p, attendance.Errorf(attendance.ENotFound, "no such person")
		}
		id = n
	} else if who := strings.TrimSpace(q.Get("who")); who != "" {
		found, err := s.st.SearchRegistrations(r.Context(), ev.ID, who, 1)
		if err != nil {
			return p, err
		}
		if len(found) == 0 {
			return p, attendance.Errorf(attendance.ENotFound, "nobody of this event matches %q: the preview shows a sample person", who)
		}
		id = found[0].ID
	}
	if id > 0 {
		dec, err := s.st.Decision(r.Context(), ev.ID, id)
		if err != nil {
			return p, err
		}
		reg := dec.Registration
		p.Person = reg.ID
		p.As = reg.FullName + " <" + reg.Email + ">"
		p.Data.Name, p.Data.Code = reg.FullName, attendance.FormatCode(reg.Code)
		if kind == attendance.MailCertificates {
			if dec.CertificateName != "" {
				p.Data.Name = dec.CertificateName // the name as it prints
			}
			if dec.CertificateID != "" {
				p.Data.CertificateID = attendance.FormatCertificateID(dec.CertificateID)
				p.Data.VerifyURL = attendance.VerifyURL(base, dec.CertificateID)
			} else {
				p.As += " (no certificate issued yet: a sample number)"
			}
			if dec.Certificate != attendance.CertNone {
				p.Data.CertificateType = mailtext.CertificateTypeName(dec.Certificate)
			}
		}
	}
	if kind == attendance.MailCertificates {
		p.Data.Attached = q.Get("link") != "1"
		p.Data.DownloadURL = p.Data.VerifyURL + "/pdf"
	}
	return p, nil
}

// mailPreviewCSP governs the HTML preview, framed by the mail page: the
// message's own inline styles apply, nothing runs, nothing is fetched
// (a remote image shows as missing), and only the dashboard may frame it.
const mailPreviewCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'"

// mailPreviewHTML serves a kind's HTML body as the preview's person would
// get it, for the mail page's frame.
func (s *Server) mailPreviewHTML(w http.ResponseWriter, r *http.Request, _ *session) {
	ev, kind, ok := s.mailRoute(w, r)
	if !ok {
		return
	}
	src, _, err := mailtext.Current(r.Context(), s.st, ev.ID, kind)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data, err := s.previewData(r, ev, kind)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	_, _, html, err := src.Render(kind, data.Data)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if strings.TrimSpace(html) == "" {
		html = "<p>(no HTML body: the message goes as plain text only)</p>"
	}
	h := w.Header()
	h.Set("Content-Security-Policy", mailPreviewCSP)
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s preview</title></head><body>\n%s</body></html>\n",
		kind, html)
}

// saveMailTemplate keeps the posted templates as the event's own once they
// parse and render on sample data; a template that does not is shown
// again with the error naming its part and line, and nothing is kept.
func (s *Server) saveMailTemplate(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, kind, ok := s.mailRoute(w, r)
	if !ok {
		return
	}
	crlf := strings.NewReplacer("\r\n", "\n")
	src := mailtext.Source{Subject: strings.TrimSpace(r.PostFormValue("subject")), Text: crlf.Replace(r.PostFormValue("text")),
		HTML: crlf.Replace(r.PostFormValue("html"))}
	if _, err := mailtext.Parse(kind, src); err != nil {
		d, derr := s.mailKindData(r, ev, kind)
		if derr != nil {
			s.fail(w, r, derr)
			return
		}
		d.Source, d.Error = src, userMessage(err)
		s.render(w, r, http.StatusBadRequest, "mailkind", ss, d)
		return
	}
	if err := s.st.SetMailTemplate(r.Context(), ev.ID, attendance.MailTemplate{Kind: kind, Subject: src.Subject, Text: src.Text, HTML: src.HTML}, ss.email); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirectWithFlash(w, r, "/events/"+ev.Slug+"/mail/"+string(kind), "Saved: the next \"rollcall mail "+string(kind)+"\" run sends these words.")
}

// resetMailTemplate goes back to the built-in templates of a kind.
func (s *Server) resetMailTemplate(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, kind, ok := s.mailRoute(w, r)
	if !ok {
		return
	}
	if _, err := s.st.ResetMailTemplate(r.Context(), ev.ID, kind, ss.email); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirectWithFlash(w, r, "/events/"+ev.Slug+"/mail/"+string(kind), "Back to the built-in templates.")
}

type remindData struct {
	eventPage
	BackURL  string // the people table with the filter
	Describe string
	N        int
	Batch    string
	Fields   url.Values // the filter, as hidden fields of the confirmation
	Subject  string
	Text     string
	First    string // the first person, as "Name <email>"
	Error    string
	Changed  int // the count the confirmation was given for, when it changed
}

// remindPage asks to confirm a reminder to the people of a filter: how
// many, and the message the first of them would get.
func (s *Server) remindPage(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, err := s.liveEvent(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := peopleFilter(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.remindData(r, ev, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "remind", ss, d)
}

// remindData counts the filter's people and composes the first one's
// reminder; the batch names this confirmation, so that submitting it twice
// queues the reminders once.
func (s *Server) remindData(r *http.Request, ev attendance.Event, f attendance.PeopleFilter) (remindData, error) {
	d := remindData{eventPage: eventPage{ev}, Fields: filterValues(f), Describe: f.Describe()}
	d.BackURL = withQuery("/events/"+ev.Slug+"/people", d.Fields.Encode())
	x, err := s.peopleIndex(r.Context(), ev)
	if err != nil {
		return d, err
	}
	page := x.Query(attendance.PeopleQuery{Filter: f, Limit: 1})
	d.N = page.Total
	if d.N > maxReminders {
		d.Error = fmt.Sprintf("A reminder goes to at most %d people at a time; this filter selects %d. Narrow it, or mail everyone their code with \"rollcall mail codes\".", maxReminders, d.N)
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return d, err
	}
	d.Batch = s.cfg.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
	src, _, err := mailtext.Current(r.Context(), s.st, ev.ID, attendance.MailReminders)
	if err != nil {
		return d, err
	}
	data := mailtext.Sample(ev)
	d.First = "a sample person"
	if len(page.Rows) > 0 {
		p := page.Rows[0]
		data.Name, data.Code = p.FullName, attendance.FormatCode(p.Code)
		d.First = p.FullName + " <" + p.Email + ">"
	}
	if d.Subject, d.Text, _, err = src.Render(attendance.MailReminders, data); err != nil {
		d.Error = userMessage(err)
	}
	return d, nil
}

// maxReminders bounds one request's reminders: a filter of more people is
// refused (narrow it, or mail codes to everyone with "rollcall mail codes").
const maxReminders = 20000

// queueReminders queues a reminder for each person of the filter, as one
// batch, audited with the filter. If the filter selects another number of
// people than the confirmation said (people linked meanwhile), it asks
// again with the new number instead.
func (s *Server) queueReminders(w http.ResponseWriter, r *http.Request, ss *session) {
	ev, err := s.liveEvent(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, attendance.Errorf(attendance.EInvalid, "reminder: %v", err))
		return
	}
	f, err := peopleFilter(r.PostForm)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	batch := r.PostFormValue("batch")
	confirmed, err := strconv.Atoi(r.PostFormValue("n"))
	if err != nil || batch == "" || len(batch) > 64 {
		s.fail(w, r, attendance.Errorf(attendance.EInvalid, "reminder: confirm it on its page first"))
		return
	}
	x, err := s.peopleIndex(r.Context(), ev)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := x.Query(attendance.PeopleQuery{Filter: f, Limit: -1})
	if len(page.Rows) != confirmed {
		d, err := s.remindData(r, ev, f)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Changed = confirmed
		s.render(w, r, http.StatusConflict, "remind", ss, d)
		return
	}
	if len(page.Rows) == 0 || len(page.Rows) > maxReminders {
		s.fail(w, r, attendance.Errorf(attendance.EInvalid, "a reminder goes to 1 to %d people; this filter selects %d", maxReminders, len(page.Rows)))
		return
	}
	ids := make([]int64, len(page.Rows))
	for i, p := range page.Rows {
		ids[i] = p.ID
	}
	added, err := s.st.QueueReminders(r.Context(), ev.ID, ids, batch, ss.email, f.Describe())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msg := fmt.Sprintf("%d reminders queued (%s): \"rollcall mail reminders --event %s\" sends them.", added, f.Describe(), ev.Slug)
	if added < len(ids) {
		msg = fmt.Sprintf("%d reminders queued, %d were queued already by this confirmation: \"rollcall mail reminders --event %s\" sends them.",
			added, len(ids)-added, ev.Slug)
	}
	s.redirectWithFlash(w, r, "/events/"+ev.Slug+"/mail", msg)
}
