package certificates

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

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
	indexes, err := s.st.StatusIndexes(ctx, eventID)
	if err != nil {
		return 0, set.revoked, err
	}
	listURL := badges.StatusListURL(s.cfg.PublicURL, e.Slug)
	awards := func(yield func(badges.Award) bool) {
		for _, d := range set.decisions {
			aw := badges.Award{CertificateID: d.CertificateID, Type: string(d.Certificate), RecipientName: d.CertificateName,
				RecipientEmail: d.Registration.Email, EventTitle: e.Title, EventSlug: e.Slug, IssuedOn: set.day,
				VerifyURL: attendance.VerifyURL(s.cfg.PublicURL, d.CertificateID)}
			if i, ok := indexes[d.CertificateID]; ok && s.cfg.PublicURL != "" {
				aw.StatusListURL, aw.StatusListIndex = listURL, i
			}
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

// StatusListTTL is how long a verifier may cache a status list (its ttl):
// a revocation shows within this long.
const StatusListTTL = 5 * time.Minute

// StatusList returns the event's revocation status list as it is
// published at badges.StatusListURL: a VC-JWT signed with IssuerKey
// ("application/vc+jwt"), or, without a key, the unsigned credential
// ("application/vc+ld+json"), as the badges themselves are. The bit of
// every revoked certificate is set; it is built afresh on each call,
// valid from now.
func (s *Service) StatusList(ctx context.Context, eventID int64, now time.Time) (body []byte, contentType string, err error) {
	e, err := s.st.EventByID(ctx, eventID)
	if err != nil {
		return nil, "", err
	}
	revoked, err := s.st.RevokedStatusIndexes(ctx, eventID)
	if err != nil {
		return nil, "", err
	}
	list, err := badges.NewStatusList(s.cfg.Issuer, badges.StatusListURL(s.cfg.PublicURL, e.Slug), revoked, now, StatusListTTL)
	if err != nil {
		return nil, "", fmt.Errorf("certificates: status list of %s: %w", e.Slug, err)
	}
	if s.cfg.IssuerKey == nil {
		b, err := json.Marshal(list)
		if err != nil {
			return nil, "", fmt.Errorf("certificates: status list of %s: %w", e.Slug, err)
		}
		return b, "application/vc+ld+json", nil
	}
	jwt, err := badges.SignStatusList(list, s.cfg.IssuerKey)
	if err != nil {
		return nil, "", fmt.Errorf("certificates: status list of %s: %w", e.Slug, err)
	}
	return []byte(jwt), "application/vc+jwt", nil
}
