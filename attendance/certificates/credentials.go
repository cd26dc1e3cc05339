package certificates

import (
	"context"
	"io"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/badges"
)

// Credentials writes the event's issued, unrevoked certificates as Open
// Badges 3.0 credentials of the configured Issuer, signed with IssuerKey
// when there is one: a ZIP when zipped, else JSON lines. It returns how
// many it wrote and how many revoked certificates it left out. Like Batch
// it only reads: the caller issues the missing ids first. Input that makes
// no valid credential is an error wrapping badges.ErrInvalidInput,
// returned as badges words it.
func (s *Service) Credentials(ctx context.Context, eventID int64, w io.Writer, zipped bool) (n, revoked int, err error) {
	set, err := s.issued(ctx, eventID)
	if err != nil {
		return 0, 0, err
	}
	e, issuer := set.event, s.cfg.Issuer
	achievements := map[string]badges.Achievement{}
	for _, t := range []string{badges.TypeParticipation, badges.TypeAppreciation} {
		if achievements[t], err = badges.DefaultAchievement(issuer, t, e.Slug, e.Title, ""); err != nil {
			return 0, set.revoked, err
		}
	}
	awards := func(yield func(badges.Award) bool) {
		for _, d := range set.decisions {
			aw := badges.Award{CertificateID: d.CertificateID, Type: string(d.Certificate), RecipientName: d.CertificateName,
				RecipientEmail: d.Registration.Email, EventTitle: e.Title, EventSlug: e.Slug, IssuedOn: set.day,
				VerifyURL: attendance.VerifyURL(s.cfg.PublicURL, d.CertificateID)}
			if !yield(aw) {
				return
			}
		}
	}
	if zipped {
		n, err = badges.WriteAll(ctx, w, issuer, s.cfg.IssuerKey, awards, achievements)
	} else {
		n, err = badges.WriteJSONLines(ctx, w, issuer, s.cfg.IssuerKey, awards, achievements)
	}
	return n, set.revoked, err
}
