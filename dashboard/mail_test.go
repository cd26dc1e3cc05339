package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
)

// TestMailDeliveryOnPersonPage: the person page shows each message's
// delivery state and the server's reply, and an admin's resend queues one
// more copy, audited; a viewer can do neither.
func TestMailDeliveryOnPersonPage(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	h.seedPeople("Ana Santos")
	ana := h.registration("p0@example.org")
	if _, err := h.st.EnqueueMail(ctx, h.ev.ID, attendance.MailCodes, []store.MailItem{{RegistrationID: ana.ID, Version: ana.Code}}); err != nil {
		t.Fatal(err)
	}
	rows, err := h.st.PersonOutbox(ctx, ana.ID)
	if err != nil || len(rows) != 1 {
		t.Fatalf("outbox %v %v", rows, err)
	}
	if err := h.st.MarkMailSending(ctx, rows[0].ID, "rollcall.1.0.x@example.org"); err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/events/dialogue/registrations/%d", ana.ID)
	admin := h.signIn(adminEmail)
	// while it is open, no resend is offered
	if _, body := h.get(admin, page); !strings.Contains(body, "<b>sending</b>") || strings.Contains(body, "Resend codes") {
		t.Fatalf("person page while sending:\n%s", body)
	}
	if err := h.st.MarkMail(ctx, rows[0].ID, attendance.MailSent, "250 2.0.0 queued as 4F2A", rows[0].NextAttemptAt); err != nil {
		t.Fatal(err)
	}
	res, body := h.get(admin, page)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "<b>sent</b>") || !strings.Contains(body, "250 2.0.0 queued as 4F2A") ||
		!strings.Contains(body, "Resend codes") {
		t.Fatalf("person page: %d\n%s", res.StatusCode, body)
	}

	viewer := h.signIn(viewerEmail)
	if res := h.post(viewer, page+"/resend", url.Values{"csrf": {h.csrf(viewer)}, "kind": {"codes"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("viewer resend: %d", res.StatusCode)
	}
	if res := h.post(admin, page+"/resend", url.Values{"csrf": {h.csrf(admin)}, "kind": {"spam"}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("resend of an unknown kind: %d", res.StatusCode)
	}
	if res := h.post(admin, page+"/resend", url.Values{"csrf": {h.csrf(admin)}, "kind": {"codes"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("resend: %d", res.StatusCode)
	}
	if rows, err = h.st.PersonOutbox(ctx, ana.ID); err != nil || len(rows) != 2 || rows[1].State != attendance.MailQueued ||
		rows[1].Copy != 1 || rows[1].RequestedBy != adminEmail {
		t.Fatalf("after the resend: %+v %v", rows, err)
	}
	// a second resend while the copy is queued is refused
	if res := h.post(admin, page+"/resend", url.Values{"csrf": {h.csrf(admin)}, "kind": {"codes"}}); res.StatusCode != http.StatusConflict {
		t.Errorf("second resend: %d", res.StatusCode)
	}
	if got := strings.Join(auditLog(t, h.st, h.ev.ID), "\n"); !strings.Contains(got, adminEmail+" mail resend registration") {
		t.Errorf("audit log:\n%s", got)
	}
}
