package store_test

import (
	"context"
	"testing"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

func TestCertificateTemplates(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.Open(t, e)
			f := newFixture(t, s, attendance.DefaultPolicy())
			if got, err := s.CertificateTemplates(ctx, f.ev.ID); err != nil || len(got) != 0 {
				t.Fatalf("no templates: %v %v", got, err)
			}
			if err := s.SetCertificateTemplate(ctx, f.ev.ID, "participation", `{"title":"A"}`, "mai"); err != nil {
				t.Fatal(err)
			}
			if err := s.SetCertificateTemplate(ctx, f.ev.ID, "participation", `{"title":"ใบประกาศ"}`, "mai"); err != nil {
				t.Fatal(err)
			}
			got, err := s.CertificateTemplates(ctx, f.ev.ID)
			if err != nil || len(got) != 1 || got["participation"] != `{"title":"ใบประกาศ"}` {
				t.Fatalf("templates %v %v", got, err)
			}
			if err := s.SetCertificateTemplate(ctx, f.ev.ID, "gold", "{}", "mai"); attendance.ErrorCode(err) != attendance.EInvalid {
				t.Errorf("bad type: %v", err)
			}
			if ok, err := s.ResetCertificateTemplate(ctx, f.ev.ID, "participation", "mai"); !ok || err != nil {
				t.Fatalf("reset: %v %v", ok, err)
			}
			if ok, err := s.ResetCertificateTemplate(ctx, f.ev.ID, "participation", "mai"); ok || err != nil {
				t.Fatalf("reset again: %v %v", ok, err)
			}
			log, _ := s.AuditLog(ctx, f.ev.ID, 10)
			if len(log) != 3 || log[0].Action != "certificate template reset" || log[1].Action != "certificate template set" {
				t.Errorf("audit %+v", log)
			}
		})
	}
}
