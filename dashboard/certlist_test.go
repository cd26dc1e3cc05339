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
	"github.com/seameo/rollcall/attendance/store/storetest"
)

var (
	decisionsTotal = regexp.MustCompile(`id="decisions-total">([0-9,]+)<`)
	pickID         = regexp.MustCompile(`name="id" value="(\d+)"`)
)

// TestCertificatesList: admins see the decisions person by person,
// filtered by certificate and reason with the store's counts, each row
// linking to the person; a bulk override needs the CSRF token and an
// admin, checks every id first, and is audited once per person.
func TestCertificatesList(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			h, _ := realHarness(t, e)
			admin, viewer := h.signIn(adminEmail), h.signIn(viewerEmail)
			ctx := context.Background()
			for _, f := range []attendance.PeopleFilter{{}, {Certificate: "none", Reason: attendance.ReasonNotLinked}, {Certificate: "appreciation"},
				{Reason: attendance.ReasonOverride}} {
				want, err := h.st.CountPeople(ctx, h.ev.ID, f)
				if err != nil {
					t.Fatal(err)
				}
				p := "/events/dialogue/certificates?" + filterValues(f).Encode()
				res, page := h.get(admin, p)
				m := decisionsTotal.FindStringSubmatch(page)
				if res.StatusCode != http.StatusOK || m == nil || atoiComma(m[1]) != want {
					t.Fatalf("%s: %d, total %v, store %d", p, res.StatusCode, m, want)
				}
				if n := len(pickID.FindAllString(page, -1)); n != min(want, 50) {
					t.Errorf("%s: %d rows, want %d", p, n, min(want, 50))
				}
			}
			if _, page := h.get(viewer, "/events/dialogue/certificates"); strings.Contains(page, `id="decisions"`) || strings.Contains(page, "@example.org") {
				t.Error("a viewer sees the decisions person by person")
			}
			if res, _ := h.get(admin, "/events/dialogue/certificates?reason=bogus"); res.StatusCode != http.StatusBadRequest {
				t.Errorf("bad reason: %d", res.StatusCode)
			}

			// Bulk: three people with no certificate get participation.
			_, page := h.get(admin, "/events/dialogue/certificates?certificate=none&reason=not_linked")
			ids := pickID.FindAllStringSubmatch(page, 3)
			if len(ids) != 3 || !strings.Contains(page, `href="/events/dialogue/registrations/`+ids[0][1]+`"`) {
				t.Fatalf("rows: %v", ids)
			}
			form := url.Values{"certificate": {"participation"}, "why": {"attended at the venue in Vientiane"}, "filter": {"certificate=none&reason=not_linked"}}
			for _, m := range ids {
				form.Add("id", m[1])
			}
			before := rowCounts(t, h.st)
			if res := h.post(admin, "/events/dialogue/certificates/override", form); res.StatusCode != http.StatusForbidden {
				t.Errorf("without the CSRF token: %d", res.StatusCode)
			}
			vf := url.Values{"csrf": {h.csrf(viewer)}}
			for k, v := range form {
				vf[k] = v
			}
			if res := h.post(viewer, "/events/dialogue/certificates/override", vf); res.StatusCode != http.StatusForbidden {
				t.Errorf("a viewer: %d", res.StatusCode)
			}
			bad := url.Values{"csrf": {h.csrf(admin)}, "certificate": {"participation"}, "why": {"x"}, "id": {ids[0][1], "999999"}}
			if res := h.post(admin, "/events/dialogue/certificates/override", bad); res.StatusCode != http.StatusBadRequest {
				t.Errorf("an id of no one: %d", res.StatusCode)
			}
			if d := diffCounts(before, rowCounts(t, h.st)); d != "" {
				t.Fatalf("refused bulk overrides wrote: %s", d)
			}
			form.Set("csrf", h.csrf(admin))
			res := h.post(admin, "/events/dialogue/certificates/override", form)
			if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/events/dialogue/certificates?certificate=none&reason=not_linked" {
				t.Fatalf("bulk override: %d %s", res.StatusCode, loc)
			}
			after := rowCounts(t, h.st)
			if after["overrides"] != before["overrides"]+3 || after["audit_log"] != before["audit_log"]+3 {
				t.Errorf("3 overrides wrote %d overrides, %d audit rows", after["overrides"]-before["overrides"], after["audit_log"]-before["audit_log"])
			}
			for _, a := range auditRows(t, h.st, h.ev.ID)[:3] {
				if a.Actor != adminEmail || a.Action != "override" || !strings.Contains(a.Detail, "attended at the venue in Vientiane") {
					t.Errorf("audit %+v", a)
				}
			}
			for _, m := range ids {
				var id int64
				fmt.Sscan(m[1], &id)
				d, err := h.st.Decision(ctx, h.ev.ID, id)
				if err != nil || d.Certificate != attendance.CertParticipation {
					t.Errorf("registration %d: %v %v", id, d.Certificate, err)
				}
			}
			if _, page := h.get(admin, res.Header.Get("Location")); !strings.Contains(page, "override saved for 3 people") {
				t.Errorf("no notice after the bulk override")
			}
		})
	}
}
