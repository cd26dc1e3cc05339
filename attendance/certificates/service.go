// Package certificates is the certificates service: which templates an
// event's certificates print with and how they are kept, which
// certificates a print run prints, rendering them as PDFs on every core
// (into a ZIP or a folder), template previews, the dashboard editor's
// fields, and Open Badges 3.0 credentials.
//
// It is a service over the store, but it declares the small Store it
// needs (the store satisfies it; cmd wires them), so it imports the domain
// only: the eligibility rules (attendance), the PDF renderer (certpdf) and
// the credential issuer (badges). It never issues an id on its own: Issue
// does, when a caller asks, and the renders read what is issued.
package certificates

import (
	"context"
	"sync"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/badges"
	"github.com/seameo/rollcall/attendance/certpdf"
)

// Store is what the service reads and writes in the store. *store.Store
// satisfies it.
type Store interface {
	EventByID(ctx context.Context, eventID int64) (attendance.Event, error)
	// EventDay is the day the event took place, in its time zone: the
	// date certificates print.
	EventDay(ctx context.Context, e attendance.Event) (time.Time, error)
	// Decisions reads the event's decisions, in registration order,
	// without issuing anything.
	Decisions(ctx context.Context, eventID int64, fn func(attendance.Decision) error) error
	// Issue gives ids to the certificates decided and not issued yet,
	// auditing it in staff's name.
	Issue(ctx context.Context, eventID int64, staff string) (attendance.IssueResult, error)
	// CertificateTemplates returns the event's own templates by type, as
	// SetCertificateTemplate kept them; Set and Reset audit the change.
	CertificateTemplates(ctx context.Context, eventID int64) (map[string]string, error)
	SetCertificateTemplate(ctx context.Context, eventID int64, certType, template, staff string) error
	ResetCertificateTemplate(ctx context.Context, eventID int64, certType, staff string) (bool, error)
	// StatusIndexes gives each issued certificate's index in the event's
	// revocation list, by id; RevokedStatusIndexes the revoked ones' bits.
	StatusIndexes(ctx context.Context, eventID int64) (map[string]int64, error)
	RevokedStatusIndexes(ctx context.Context, eventID int64) ([]int64, error)
}

// Config says how a Service renders and issues.
type Config struct {
	// PublicURL is the public base URL of the dashboard: each certificate
	// prints the QR code of its verification page there
	// (attendance.VerifyURL).
	PublicURL string
	// TemplateDir, when set, is a folder of template files
	// (ReadTemplateDir) that win over the event's own templates.
	TemplateDir string
	// Renderer draws the PDFs and previews. Nil makes one from FontDir on
	// first use, so that a daemon without the fonts still runs.
	Renderer *certpdf.Renderer
	FontDir  string
	// Issuer issues the Open Badges credentials; IssuerKey, when set,
	// signs them.
	Issuer    badges.Issuer
	IssuerKey *badges.IssuerKey
}

// Service issues, renders and exports an event's certificates. Create it
// with New; it is safe for concurrent use.
type Service struct {
	st  Store
	cfg Config

	mu  sync.Mutex
	r   *certpdf.Renderer
	err error
}

// New returns the service over st.
func New(st Store, cfg Config) *Service {
	return &Service{st: st, cfg: cfg, r: cfg.Renderer}
}

// renderer returns the renderer, making it on first use; a failure (no
// fonts) is kept and returned each time.
func (s *Service) renderer() (*certpdf.Renderer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.r == nil && s.err == nil {
		s.r, s.err = certpdf.NewRenderer(s.cfg.FontDir)
	}
	return s.r, s.err
}

// Issue gives an id to every certificate the event's decisions give that
// has none yet, auditing it in staff's name; ids already issued stay.
func (s *Service) Issue(ctx context.Context, eventID int64, staff string) (attendance.IssueResult, error) {
	return s.st.Issue(ctx, eventID, staff)
}

// issuedSet is what a print run reads: the event, its day, its issued
// certificates and how many revoked ones are left out.
type issuedSet struct {
	event     attendance.Event
	day       time.Time
	decisions []attendance.Decision
	revoked   int
}

// issued reads the issued certificates an event's decisions give, in
// registration order, and counts the revoked ones that Decisions leaves
// out (and says so in the reasons). It only reads: a certificate still
// without an id (given by a decision that changed since the last Issue)
// is left out, since it has nothing to print.
func (s *Service) issued(ctx context.Context, eventID int64) (issuedSet, error) {
	var set issuedSet
	e, err := s.st.EventByID(ctx, eventID)
	if err != nil {
		return set, err
	}
	set.event = e
	err = s.st.Decisions(ctx, eventID, func(d attendance.Decision) error {
		if d.Certificate != attendance.CertNone {
			if d.CertificateID != "" {
				set.decisions = append(set.decisions, d)
			}
			return nil
		}
		for _, r := range d.Reasons {
			if r.Kind == attendance.ReasonRevoked {
				set.revoked++
				break
			}
		}
		return nil
	})
	if err != nil {
		return set, err
	}
	set.day, err = s.st.EventDay(ctx, e)
	return set, err
}
