package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

// TestOutbox runs the outbox's rules on both engines: queuing twice adds
// nothing, sending is marked with its Message-ID and counted, an outcome
// closes or re-queues a message until its time, a deleted person's
// messages vanish (a run never sends them), and a resend is one more copy,
// audited. Revoked certificates set their status list bits.
func TestOutbox(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			s, err := store.Open(ctx, e.DSN(t))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			f := newFixture(t, s, attendance.DefaultPolicy(), person("Ana Santos", "speaker", ""), person("Bùi Văn An", "speaker", ""), person("Chai Srisuk", "participant", ""))
			// in this order: the third, whom a crash leaves sending and who is
			// then deleted, is the participant without a certificate
			var items []store.MailItem
			for _, k := range []string{"ana", "bùi", "chai"} {
				p, ok := f.people[k]
				if !ok {
					t.Fatalf("no %s in %v", k, f.people)
				}
				items = append(items, store.MailItem{RegistrationID: p.ID, Version: p.Code})
			}
			if n, err := s.EnqueueMail(ctx, f.ev.ID, attendance.MailCodes, items); err != nil || n != 3 {
				t.Fatalf("queue: %d %v", n, err)
			}
			if n, err := s.EnqueueMail(ctx, f.ev.ID, attendance.MailCodes, items); err != nil || n != 0 {
				t.Fatalf("queue again: %d %v", n, err)
			}
			now := time.Now()
			due, err := s.OutboxDue(ctx, f.ev.ID, attendance.MailCodes, now, 10)
			if err != nil || len(due) != 3 {
				t.Fatalf("due: %d %v", len(due), err)
			}
			a, b, c := due[0], due[1], due[2]
			if a.Email == "" || a.FullName == "" || a.Code != a.Version {
				t.Fatalf("entry without its recipient: %+v", a)
			}
			if err := s.MarkMailSending(ctx, a.ID, "m-a@example.org"); err != nil {
				t.Fatal(err)
			}
			if err := s.MarkMail(ctx, a.ID, attendance.MailSent, "250 ok", time.Time{}); err != nil {
				t.Fatal(err)
			}
			if err := s.MarkMailSending(ctx, a.ID, "m-a@example.org"); !errors.Is(err, attendance.ErrMailGone) {
				t.Fatalf("a sent message marked sending again: %v", err)
			}
			if err := s.MarkMailSending(ctx, b.ID, "m-b@example.org"); err != nil {
				t.Fatal(err)
			}
			later := now.Add(time.Hour)
			if err := s.MarkMail(ctx, b.ID, attendance.MailQueued, "451 greylisted", later); err != nil {
				t.Fatal(err)
			}
			// c is left sending, as a crash leaves it: it is still due
			if err := s.MarkMailSending(ctx, c.ID, "m-c@example.org"); err != nil {
				t.Fatal(err)
			}
			due, err = s.OutboxDue(ctx, f.ev.ID, attendance.MailCodes, now, 10)
			if err != nil || len(due) != 1 || due[0].ID != c.ID || due[0].State != attendance.MailSending || due[0].MessageID != "m-c@example.org" {
				t.Fatalf("due after the outcomes: %+v %v", due, err)
			}
			if next, open, err := s.OutboxNextAttempt(ctx, f.ev.ID, attendance.MailCodes); err != nil || !open || next.After(now) {
				t.Fatalf("next attempt %v %v %v", next, open, err)
			}
			counts, err := s.OutboxCounts(ctx, f.ev.ID, attendance.MailCodes)
			if err != nil || counts[attendance.MailSent] != 1 || counts[attendance.MailQueued] != 1 || counts[attendance.MailSending] != 1 {
				t.Fatalf("counts %v %v", counts, err)
			}
			rows, err := s.PersonOutbox(ctx, b.RegistrationID)
			if err != nil || len(rows) != 1 || rows[0].Attempts != 1 || rows[0].Reply != "451 greylisted" || !rows[0].NextAttemptAt.Equal(later.Truncate(time.Microsecond)) {
				t.Fatalf("person outbox %+v %v", rows, err)
			}

			// the person of c asks for deletion: nothing of theirs is sent
			if _, err := s.DeletePerson(ctx, f.ev.ID, c.Email, "admin"); err != nil {
				t.Fatal(err)
			}
			if err := s.MarkMailSending(ctx, c.ID, "m-c@example.org"); !errors.Is(err, attendance.ErrMailGone) {
				t.Fatalf("a deleted person's message marked sending: %v", err)
			}
			if due, _ := s.OutboxDue(ctx, f.ev.ID, attendance.MailCodes, now, 10); len(due) != 0 {
				t.Fatalf("a deleted person's message is due: %+v", due)
			}

			// b fails for good after its attempt; a message that never reached
			// a server (not composed: attempts 0) is requeued by the next run
			if err := s.MarkMail(ctx, b.ID, attendance.MailFailed, "after 5 attempts", time.Time{}); err != nil {
				t.Fatal(err)
			}
			if n, err := s.EnqueueMail(ctx, f.ev.ID, attendance.MailCertificates, []store.MailItem{{RegistrationID: a.RegistrationID, Version: "CERT"}}); err != nil || n != 1 {
				t.Fatalf("queue certificate: %d %v", n, err)
			}
			cert, err := s.OutboxDue(ctx, f.ev.ID, attendance.MailCertificates, now, 10)
			if err != nil || len(cert) != 1 {
				t.Fatalf("due certificate %v %v", cert, err)
			}
			if err := s.MarkMail(ctx, cert[0].ID, attendance.MailFailed, "not sent: no font", time.Time{}); err != nil {
				t.Fatal(err)
			}
			if n, err := s.RequeueUnsent(ctx, f.ev.ID, attendance.MailCertificates); err != nil || n != 1 {
				t.Fatalf("requeue unsent: %d %v", n, err)
			}
			if n, err := s.RequeueUnsent(ctx, f.ev.ID, attendance.MailCodes); err != nil || n != 0 {
				t.Fatalf("a message a server saw was requeued: %d %v", n, err)
			}
			if err := s.ResendMail(ctx, f.ev.ID, a.RegistrationID, attendance.MailCertificates, "admin"); attendance.ErrorCode(err) != attendance.EConflict {
				t.Fatalf("resend of a queued message: %v", err)
			}
			if err := s.ResendMail(ctx, f.ev.ID, b.RegistrationID, attendance.MailCodes, "admin"); err != nil {
				t.Fatalf("resend of a failed message: %v", err)
			}
			if err := s.ResendMail(ctx, f.ev.ID, b.RegistrationID, attendance.MailCodes, "admin"); attendance.ErrorCode(err) != attendance.EConflict {
				t.Fatalf("resend of a queued message: %v", err)
			}
			if err := s.ResendMail(ctx, f.ev.ID, a.RegistrationID, attendance.MailCodes, "admin"); err != nil {
				t.Fatal(err)
			}
			if rows, err := s.PersonOutbox(ctx, a.RegistrationID); err != nil || len(rows) != 3 || rows[2].Kind != attendance.MailCodes || rows[2].Copy != 1 || rows[2].State != attendance.MailQueued || rows[2].MessageID != "" {
				t.Fatalf("after resend %+v %v", rows, err)
			}

			// status list indexes: given once, never reused; revocation sets the bit
			res, err := s.Issue(ctx, f.ev.ID, "admin")
			if err != nil || res.Issued != 2 {
				t.Fatalf("issue %+v %v", res, err)
			}
			idx, err := s.StatusIndexes(ctx, f.ev.ID)
			if err != nil || len(idx) != 2 {
				t.Fatalf("indexes %v %v", idx, err)
			}
			seen := map[int64]bool{}
			var first string
			for id, i := range idx {
				if seen[i] || i < 0 || i > 1 {
					t.Fatalf("indexes %v", idx)
				}
				seen[i] = true
				if i == 1 {
					first = id
				}
			}
			if _, err := s.RevokeCertificate(ctx, f.ev.ID, first, "misspelt", "admin"); err != nil {
				t.Fatal(err)
			}
			if got, err := s.RevokedStatusIndexes(ctx, f.ev.ID); err != nil || len(got) != 1 || got[0] != 1 {
				t.Fatalf("revoked indexes %v %v", got, err)
			}
		})
	}
}
