package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/seameo/rollcall/attendance/store"
)

// TestMailTemplatesAndReminders: "mail template" shows the built-in
// templates, keeps a folder's as the event's own (refusing one that cannot
// render, with its file and line, and keeping the old), and "mail codes"
// sends the event's own words; "mail reminders" sends the reminders staff
// queued (and only those, once each), --dry-run shows the first; with a
// filter it queues one for each person the filter selects first.
func TestMailTemplatesAndReminders(t *testing.T) {
	c, dir, people := mailEvent(t, 3)
	out := c.ok("mail", "template", "--event", "pd", "--kind", "codes")
	if !strings.Contains(out, "(built-in)") || !strings.Contains(out, "==> codes.subject.txt <==\nYour attendance code for {{.EventTitle}}: {{.Code}}") {
		t.Fatalf("built-in templates:\n%s", out)
	}
	if _, errs, code := c.run("mail", "template", "--event", "pd", "--kind", "spam"); code != 2 || !strings.Contains(errs, `mail kind "spam"`) {
		t.Errorf("an unknown kind: exit %d: %s", code, errs)
	}

	tpl := filepath.Join(dir, "tpl")
	if err := os.Mkdir(tpl, 0o700); err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(tpl, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("codes.subject.txt", "Kode kehadiran {{.EventTitle}}: {{.Code}}")
	c.ok("mail", "template", "--event", "pd", "--kind", "codes", "--set", tpl)
	write("codes.txt", "Halo {{.Name}},\n{{.Nmae}}\n")
	if _, errs, code := c.run("mail", "template", "--event", "pd", "--kind", "codes", "--set", tpl); code != 2 || !strings.Contains(errs, "codes.txt:2") {
		t.Errorf("a template that cannot render: exit %d: %s", code, errs)
	}
	out = c.ok("mail", "template", "--event", "pd", "--kind", "codes")
	if !strings.Contains(out, "the event's own, set by tester") || !strings.Contains(out, "Kode kehadiran") || strings.Contains(out, "Nmae") {
		t.Fatalf("after --set:\n%s", out)
	}

	srv := newSMTPServer(t)
	c.ok(mailArgs("codes", srv)...)
	msgs := srv.messages()
	if len(msgs) != 3 {
		t.Fatalf("%d codes messages", len(msgs))
	}
	for _, m := range msgs {
		pm := parseMessage(t, m.Raw)
		p := people[pm.ToEmail]
		if want := "Kode kehadiran Policy Dialogue on Teachers: " + p.Code; pm.Subject != want {
			t.Errorf("subject %q, want %q", pm.Subject, want)
		}
	}

	// reminders: only whom staff chose, once
	s, err := store.Open(context.Background(), c.db)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := s.Event(t.Context(), "pd")
	if err != nil {
		t.Fatal(err)
	}
	var chosen []string
	var ids []int64
	for email := range people {
		chosen = append(chosen, email)
	}
	slices.Sort(chosen)
	chosen = chosen[:2]
	for _, email := range chosen {
		r, err := s.Registration(t.Context(), ev.ID, email)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	if _, err := s.QueueReminders(t.Context(), ev.ID, ids, "b1", "admin@example.org", "not linked"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	out = c.ok(append(mailArgs("reminders", srv), "--dry-run")...)
	if !strings.Contains(out, "Subject: Reminder for Policy Dialogue on Teachers") {
		t.Errorf("dry run:\n%s", out)
	}
	if _, errs, _ := c.run(append(mailArgs("reminders", srv), "--dry-run")...); !strings.Contains(errs, "2 people of pd would get a message") {
		t.Errorf("dry run summary: %s", errs)
	}
	for range 2 { // the second run has nothing to send
		c.ok(mailArgs("reminders", srv)...)
	}
	msgs = srv.messages()[3:]
	var got []string
	for _, m := range msgs {
		pm := parseMessage(t, m.Raw)
		got = append(got, pm.ToEmail)
		if p := people[pm.ToEmail]; !strings.HasPrefix(pm.Subject, "Reminder for Policy Dialogue on Teachers: your attendance code "+p.Code) ||
			!strings.Contains(pm.Text, p.Code) {
			t.Errorf("%s: reminder %q\n%s", pm.ToEmail, pm.Subject, pm.Text)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, chosen) {
		t.Errorf("reminders went to %v, want %v", got, chosen)
	}
	// from the CLI, with the people list's filters: queued as a batch, then sent
	if _, errs, code := c.run(append(mailArgs("reminders", srv), "--linked", "maybe")...); code != 2 || !strings.Contains(errs, "--linked") {
		t.Errorf("a filter that cannot be read: exit %d: %s", code, errs)
	}
	if _, errs, _ := c.run(append(mailArgs("reminders", srv), "--dry-run", "--q", "person0002")...); !strings.Contains(errs, "1 people of pd would get a message") {
		t.Errorf("dry run of a filter: %s", errs)
	}
	c.ok(append(mailArgs("reminders", srv), "--q", "person0002")...)
	if msgs = srv.messages(); len(msgs) != 6 || parseMessage(t, msgs[5].Raw).ToEmail != "person0002@example.org" {
		t.Fatalf("%d messages after the filter's reminder", len(msgs))
	}
	if out := c.ok("mail", "template", "--event", "pd", "--kind", "codes", "--reset"); !strings.Contains(out, "back to the built-in") {
		t.Errorf("reset: %s", out)
	}
}
