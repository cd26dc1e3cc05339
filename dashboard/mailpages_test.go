package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/seameo/rollcall/attendance"
)

// TestMailTemplatePages: an admin sees each kind's templates and outbox
// counts, previews a kind as a sample person or as a chosen one, keeps
// templates of their own (a template that cannot render is shown again
// with its file and line, and nothing is kept), resets them; the HTML
// preview runs nothing and may be framed by the dashboard only; a viewer
// gets none of it.
func TestMailTemplatePages(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	h.seedPeople("Nguyễn Thị Lan", "Somchai Jaidee")
	lan := h.registration("p0@example.org")
	admin, viewer := h.signIn(adminEmail), h.signIn(viewerEmail)
	for _, p := range []string{"/events/dialogue/mail", "/events/dialogue/mail/codes", "/events/dialogue/mail/codes/preview.html"} {
		if res, _ := h.get(viewer, p); res.StatusCode != http.StatusForbidden {
			t.Errorf("viewer GET %s: %d, want 403", p, res.StatusCode)
		}
	}
	if res := h.post(viewer, "/events/dialogue/mail/codes", url.Values{"csrf": {h.csrf(viewer)}, "subject": {"x"}, "text": {"y"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("viewer saved a template: %d", res.StatusCode)
	}
	if res, _ := h.get(admin, "/events/dialogue/mail/spam"); res.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown kind: %d", res.StatusCode)
	}

	res, body := h.get(admin, "/events/dialogue/mail")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Attendance codes") || !strings.Contains(body, "Reminders") ||
		strings.Count(body, "<td>built-in</td>") != 3 {
		t.Fatalf("mail page: %d\n%s", res.StatusCode, body)
	}

	// the built-in codes mail, as a sample person and as Lan
	_, body = h.get(admin, "/events/dialogue/mail/codes")
	if !strings.Contains(body, "Your attendance code for Policy Dialogue: K7QM-4X2P") || !strings.Contains(body, "Dear Sample Name,") {
		t.Fatalf("sample preview:\n%s", body)
	}
	code := attendance.FormatCode(lan.Code)
	_, body = h.get(admin, "/events/dialogue/mail/codes?who="+url.QueryEscape("p0@example.org"))
	if !strings.Contains(body, "Your attendance code for Policy Dialogue: "+code) || !strings.Contains(body, "Dear Nguyễn Thị Lan,") {
		t.Fatalf("preview as Lan:\n%s", body)
	}
	frame := regexp.MustCompile(`src="(/events/dialogue/mail/codes/preview\.html[^"]*)"`).FindStringSubmatch(body)
	if frame == nil || !strings.Contains(frame[1], fmt.Sprintf("person=%d", lan.ID)) {
		t.Fatalf("no HTML preview of Lan's message: %v", frame)
	}
	res, body = h.get(admin, strings.ReplaceAll(frame[1], "&amp;", "&"))
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Dear Nguyễn Thị Lan,") || !strings.Contains(body, code) {
		t.Fatalf("HTML preview: %d\n%s", res.StatusCode, body)
	}
	if csp := res.Header.Get("Content-Security-Policy"); csp != mailPreviewCSP || res.Header.Get("X-Frame-Options") != "SAMEORIGIN" {
		t.Errorf("HTML preview headers: CSP %q, X-Frame-Options %q", csp, res.Header.Get("X-Frame-Options"))
	}
	if _, body = h.get(admin, "/events/dialogue/mail/codes?who=nobody-here"); !strings.Contains(body, `id="mail-preview-error"`) || !strings.Contains(body, "Dear Sample Name,") {
		t.Errorf("a search that finds nobody:\n%s", body)
	}

	// a template that cannot render is refused, shown again, and not kept
	bad := url.Values{"csrf": {h.csrf(admin)}, "subject": {"Kode {{.Code}}"}, "text": {"Halo {{.Name}},\n\n{{.Nmae}}"}, "html": {""}}
	res, body = h.postBody(admin, "/events/dialogue/mail/codes", bad)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "codes.txt:3") || !strings.Contains(body, "{{.Nmae}}") {
		t.Fatalf("bad template: %d\n%s", res.StatusCode, body)
	}
	if _, ok, _ := h.st.MailTemplate(ctx, h.ev.ID, attendance.MailCodes); ok {
		t.Fatal("a template that cannot render was kept")
	}

	// a good one is kept, audited, and previewed; <script> in it runs nowhere
	good := url.Values{"csrf": {h.csrf(admin)}, "subject": {"Kode kehadiran {{.EventTitle}}: {{.Code}}"},
		"text": {"Halo {{.Name}},\r\n\r\nkode Anda: {{.Code}}\r\n"}, "html": {"<p>Halo {{.Name}}</p><script>alert(1)</script>"}}
	if res := h.post(admin, "/events/dialogue/mail/codes", good); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", res.StatusCode)
	}
	own, ok, err := h.st.MailTemplate(ctx, h.ev.ID, attendance.MailCodes)
	if err != nil || !ok || own.Text != "Halo {{.Name}},\n\nkode Anda: {{.Code}}\n" || own.UpdatedBy != adminEmail {
		t.Fatalf("kept %+v %v %v", own, ok, err)
	}
	_, body = h.get(admin, fmt.Sprintf("/events/dialogue/mail/codes?person=%d", lan.ID))
	if !strings.Contains(body, "Kode kehadiran Policy Dialogue: "+code) || !strings.Contains(body, "The event's own, set by "+adminEmail) {
		t.Fatalf("after the save:\n%s", body)
	}
	if _, body = h.get(admin, "/events/dialogue/mail"); strings.Count(body, "<td>built-in</td>") != 2 {
		t.Errorf("mail page after the save:\n%s", body)
	}
	if res := h.post(admin, "/events/dialogue/mail/codes/reset", url.Values{"csrf": {h.csrf(admin)}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %d", res.StatusCode)
	}
	if _, ok, _ := h.st.MailTemplate(ctx, h.ev.ID, attendance.MailCodes); ok {
		t.Error("the template outlived its reset")
	}
	log := strings.Join(auditLog(t, h.st, h.ev.ID), "\n")
	for _, want := range []string{adminEmail + " mail template set codes", adminEmail + " mail template reset codes"} {
		if !strings.Contains(log, want) {
			t.Errorf("audit log lacks %q:\n%s", want, log)
		}
	}
}

// TestRemindersFromPeopleTable: the people table offers a reminder to the
// people of its filter; the confirmation shows how many and the first
// one's message; confirming queues one reminder each, audited with the
// filter; submitting the same confirmation twice queues nothing more; a
// confirmation whose count went stale asks again.
func TestRemindersFromPeopleTable(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, func(c *Config) { c.PeopleTTL = -1 })
	h.seedPeople("Ana Santos", "Bo Lee")
	var regs []attendance.Registration
	for _, n := range []string{"Chai Srisuk", "Dara Sok", "Eka Putri"} {
		regs = append(regs, attendance.Registration{FullName: n, Email: strings.ToLower(strings.Fields(n)[0]) + "@example.org", Country: "Cambodia", Role: attendance.RoleParticipant})
	}
	if _, err := h.st.ImportRegistrations(ctx, h.ev.ID, regs, false); err != nil {
		t.Fatal(err)
	}
	admin, viewer := h.signIn(adminEmail), h.signIn(viewerEmail)
	_, body := h.get(admin, "/events/dialogue/people?linked=no")
	// the links carry the filter (a query written after "?" in the
	// template came out as "linked%3dno": every person)
	if !strings.Contains(body, `href="/events/dialogue/people/remind?linked=no"`) || !strings.Contains(body, "Send a reminder to these 3 people") ||
		!strings.Contains(body, `href="/events/dialogue/exports/people.csv?linked=no"`) {
		t.Fatalf("people table offers no reminder:\n%s", body)
	}
	if res, _ := h.get(viewer, "/events/dialogue/people/remind?linked=no"); res.StatusCode != http.StatusForbidden {
		t.Errorf("viewer: %d", res.StatusCode)
	}
	res, body := h.get(admin, "/events/dialogue/people/remind?linked=no")
	chai := h.registration("chai@example.org")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `<span id="remind-n">3</span>`) || !strings.Contains(body, "Chai Srisuk &lt;chai@example.org&gt;") ||
		!strings.Contains(body, attendance.FormatCode(chai.Code)) {
		t.Fatalf("confirmation: %d\n%s", res.StatusCode, body)
	}
	batch := regexp.MustCompile(`name="batch" value="([^"]+)"`).FindStringSubmatch(body)
	if batch == nil {
		t.Fatal("no batch in the confirmation")
	}
	form := url.Values{"csrf": {h.csrf(admin)}, "linked": {"no"}, "n": {"3"}, "batch": {batch[1]}}
	for i := 0; i < 2; i++ { // the second is a double submit
		if res := h.post(admin, "/events/dialogue/people/remind", form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("confirm %d: %d", i, res.StatusCode)
		}
	}
	counts, err := h.st.OutboxCounts(ctx, h.ev.ID, attendance.MailReminders)
	if err != nil || counts[attendance.MailQueued] != 3 {
		t.Fatalf("reminders queued: %v %v", counts, err)
	}
	for _, email := range []string{"p0@example.org", "p1@example.org"} {
		if rows, _ := h.st.PersonOutbox(ctx, h.registration(email).ID); len(rows) != 0 {
			t.Errorf("%s is linked and got a reminder", email)
		}
	}
	if log := strings.Join(auditLog(t, h.st, h.ev.ID), "\n"); !strings.Contains(log, adminEmail+" mail reminders queued "+batch[1]) {
		t.Errorf("audit log:\n%s", log)
	}

	// a stale confirmation (someone linked meanwhile) asks again
	stale := url.Values{"csrf": {h.csrf(admin)}, "linked": {"no"}, "n": {"4"}, "batch": {"another"}}
	if res, body := h.postBody(admin, "/events/dialogue/people/remind", stale); res.StatusCode != http.StatusConflict || !strings.Contains(body, `id="remind-changed"`) {
		t.Fatalf("stale confirmation: %d\n%s", res.StatusCode, body)
	}
	if counts, _ := h.st.OutboxCounts(ctx, h.ev.ID, attendance.MailReminders); counts[attendance.MailQueued] != 3 {
		t.Errorf("a stale confirmation queued reminders: %v", counts)
	}
	if res := h.post(admin, "/events/dialogue/people/remind", url.Values{"csrf": {h.csrf(admin)}, "linked": {"no"}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a reminder without its confirmation: %d", res.StatusCode)
	}
}
