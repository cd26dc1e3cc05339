package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

func TestVerifyAndRevokeCertificate(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.Open(t, e)
			f := newFixture(t, s, attendance.DefaultPolicy(), person("Somchai Jaidee", "speaker", ""), person("Lan Nguyen", "speaker", ""))
			if _, err := s.Issue(ctx, f.ev.ID, "mai"); err != nil {
				t.Fatal(err)
			}
			ds := f.decisions()
			somchai, lan := ds["somchai"], ds["lan"]
			if somchai.Certificate != attendance.CertAppreciation || somchai.CertificateID == "" {
				t.Fatalf("speaker decision = %+v", somchai)
			}

			// valid, typed grouped and in lower case
			got, err := s.VerifyCertificate(ctx, strings.ToLower(attendance.FormatCertificateID(somchai.CertificateID)))
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != somchai.CertificateID || got.Name != "Somchai Jaidee" || got.Revoked() || got.EventTitle != "Policy Dialogue" {
				t.Fatalf("verify = %+v", got)
			}
			if got.EventDate.Location().String() != "Asia/Bangkok" {
				t.Errorf("event date in %s, want the event's zone", got.EventDate.Location())
			}

			// unknown and malformed: not found
			for _, id := range []string{"AAAAAAAAAAAAAAAAAAAA", "nope", ""} {
				if _, err := s.VerifyCertificate(ctx, id); attendance.ErrorCode(err) != attendance.ENotFound {
					t.Errorf("verify %q: %v, want not found", id, err)
				}
			}

			// withheld: an override takes the certificate away → not found, nothing issued
			if err := s.AddOverride(ctx, f.ev.ID, lan.Registration.ID, attendance.CertNone, "did not speak", "mai"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.VerifyCertificate(ctx, lan.CertificateID); attendance.ErrorCode(err) != attendance.ENotFound {
				t.Errorf("withheld certificate: %v, want not found", err)
			}

			// revoke, then revoke again
			res, err := s.RevokeCertificate(ctx, f.ev.ID, somchai.CertificateID, "issued by mistake", "mai")
			if err != nil || res.AlreadyRevoked || !res.Certificate.Revoked() {
				t.Fatalf("revoke = %+v, %v", res, err)
			}
			res, err = s.RevokeCertificate(ctx, f.ev.ID, somchai.CertificateID, "again", "mai")
			if err != nil || !res.AlreadyRevoked || res.Certificate.RevokeReason != "issued by mistake" {
				t.Fatalf("second revoke = %+v, %v", res, err)
			}
			got, err = s.VerifyCertificate(ctx, somchai.CertificateID)
			if err != nil || !got.Revoked() {
				t.Fatalf("revoked verify = %+v, %v", got, err)
			}
			// From now on the decision gives no certificate, and says why.
			after, err := s.Decision(ctx, f.ev.ID, somchai.Registration.ID)
			if err != nil || after.Certificate != attendance.CertNone || after.CertificateID != "" ||
				!slices.Contains(attendance.ReasonStrings(after.Reasons), "revoked: issued by mistake") {
				t.Fatalf("decision after revoke = %+v, %v", after, err)
			}
			log, err := s.AuditLog(ctx, f.ev.ID, 10)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, a := range log {
				if a.Action == "certificate revoke" {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%d revoke audit lines, want 1", n)
			}

			// wrong event, no reason
			if _, err := s.RevokeCertificate(ctx, f.ev.ID+1, lan.CertificateID, "x", "mai"); attendance.ErrorCode(err) != attendance.ENotFound {
				t.Errorf("revoke in another event: %v", err)
			}
			if _, err := s.RevokeCertificate(ctx, f.ev.ID, lan.CertificateID, " ", "mai"); attendance.ErrorCode(err) != attendance.EInvalid {
				t.Errorf("revoke without reason: %v", err)
			}
		})
	}
}
