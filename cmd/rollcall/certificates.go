package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/badges"
	"github.com/seameo/rollcall/attendance/certificates"
	"github.com/seameo/rollcall/attendance/certpdf"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/dashboard"
)

// certificatesCommand groups the commands that act on issued certificates.
func (a *app) certificatesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "certificates",
		Short: "Issue certificates, render them as PDF, and revoke one",
		Long: `The event's decisions say who earns which certificate; 'rollcall certificates
issue' gives each of those certificates its unguessable id (audited), printed on
the PDF with a QR code of its public verification page, --public-url/verify/ID.
Looking at decisions (the dashboard, 'export attendance') never issues an id;
'certificates render', 'export certificates' and the dashboard's PDF download
issue the missing ids first and say so.

That page (served by 'rollcall serve') says VALID or REVOKED with the name as
printed, the certificate type, the event, its date and the issuer, never an
email. A certificate that the event's current decision no longer gives (an
override or a changed role took it away after it was issued) is withheld: its
page answers the same "not found" as an id that never existed. Revoke it to
have the page say REVOKED instead.`,
	}
	cmd.AddCommand(a.certificatesIssueCommand(), a.certificatesRenderCommand(), a.certificatesRevokeCommand(), a.certificateTemplateCommand())
	return cmd
}

func (a *app) certificatesIssueCommand() *cobra.Command {
	var event, staff string
	cmd := &cobra.Command{
		Use:   "issue --event SLUG [--staff NAME]",
		Short: "Give an id to every certificate the decisions give that has none yet (audited)",
		Long: `Give an unguessable id to every certificate the event's current decisions give
and that has none yet. From then on the id is exported, printed and answered by
the verification page. Ids are kept for good: running it again issues only what
is new since (a form imported, an override) and changes nothing else. A revoked
certificate is never issued again. The summary line says how many were issued
now and how many already were; issuing anything is written to the audit log in
the name of --staff (else $USER).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			return a.asStaff(cmd.Context(), staff, event, func(s *store.Store, e attendance.Event, who string) error {
				res, err := s.Issue(cmd.Context(), e.ID, who)
				if err != nil {
					return err
				}
				a.summary("certificates issue", start, issuedNote(res))
				return nil
			})
		},
	}
	eventFlag(cmd, &event)
	cmd.Flags().StringVar(&staff, "staff", "", "who issues, for the audit log (default $USER)")
	return cmd
}

// issuedNote is the summary part that says what Issue did.
func issuedNote(res attendance.IssueResult) string {
	return fmt.Sprintf("issued %d, already issued %d", res.Issued, res.AlreadyIssued)
}

func (a *app) certificatesRevokeCommand() *cobra.Command {
	var event, id, why, staff string
	cmd := &cobra.Command{
		Use:   "revoke --event SLUG --id ID --why TEXT",
		Short: "Revoke one certificate: its verification page then says REVOKED (audited)",
		Long: `Revoke a certificate by its id as printed (dashes and case do not matter).
Its public verification page stays and says REVOKED with the date; the reason
is kept in the store and the audit log, not shown publicly. The certificate is
left out of later renders and Open Badges exports. Revoking a revoked
certificate changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.asStaff(cmd.Context(), staff, event, func(s *store.Store, e attendance.Event, who string) error {
				res, err := s.RevokeCertificate(cmd.Context(), e.ID, id, why, who)
				if err != nil {
					return err
				}
				c := res.Certificate
				if res.AlreadyRevoked {
					fmt.Fprintf(a.stderr, "certificate %s was already revoked on %s (%s); nothing changed\n",
						attendance.FormatCertificateID(c.ID), c.RevokedAt.UTC().Format(time.RFC3339), c.RevokeReason)
					return nil
				}
				fmt.Fprintf(a.stderr, "certificate %s (%s, %s) revoked on %s\n", attendance.FormatCertificateID(c.ID), c.Type, terminal(c.Name),
					c.RevokedAt.UTC().Format(time.RFC3339))
				return nil
			})
		},
	}
	f := cmd.Flags()
	eventFlag(cmd, &event)
	f.StringVar(&id, "id", "", "the certificate id as printed (required)")
	f.StringVar(&why, "why", "", "why it is revoked, kept in the audit log (required)")
	f.StringVar(&staff, "staff", "", "who revokes (default $USER)")
	for _, n := range []string{"id", "why"} {
		_ = cmd.MarkFlagRequired(n)
	}
	return cmd
}

// renderFlags are the flags of certificates render.
type renderFlags struct {
	event, out, templateDir, fontDir, publicURL, staff string
}

func (a *app) certificatesRenderCommand() *cobra.Command {
	var rf renderFlags
	cmd := &cobra.Command{
		Use:   "render --event SLUG --public-url URL [-o DIR|FILE.zip] [--template-dir DIR] [--font-dir DIR]",
		Short: "Render one A4 PDF per certificate, into a ZIP or a folder (issuing missing ids first)",
		Long: `Render one A4 landscape PDF per certificate the event's decisions give
(revoked certificates are left out). Certificates without an id yet are issued
first, as 'rollcall certificates issue' does (audited in the name of --staff,
else $USER), and the summary says how many. Each PDF carries its id and a QR code of
--public-url/verify/ID. With -o FILE.zip (or no -o, to stdout when it is not a
terminal) the PDFs stream into one ZIP archive; with -o DIR each is written as
DIR/<type>-<id>.pdf.

Templates: --template-dir may hold appreciation.json and participation.json
(see attendance/certpdf LoadTemplate); a type without a file uses the default.
Names in Thai, Khmer, Lao, Burmese, Vietnamese, Tamil and Jawi are shaped with
the Noto fonts of the Debian package fonts-noto-core (or --font-dir), Chinese,
Japanese and Korean with Noto Sans CJK (fonts-noto-cjk). A certificate that
cannot be drawn (a name with a character no installed font has) never stops
the others: every other PDF is written, the failures (certificate id, name,
missing characters) are listed on stderr and in FAILURES.txt inside the ZIP
(or the folder), and the command exits 1 once done.`,
		Example: `  rollcall certificates render --event pd-2026 --public-url https://certs.example.org -o certificates.zip
  rollcall certificates render --event pd-2026 --template-dir templates/ -o out/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.renderCertificates(cmd.Context(), rf) },
	}
	f := cmd.Flags()
	eventFlag(cmd, &rf.event)
	f.StringVarP(&rf.out, "output", "o", "", "FILE.zip, or a folder for one PDF per certificate; stdout (a ZIP) when empty")
	f.StringVar(&rf.templateDir, "template-dir", "", "folder with appreciation.json and/or participation.json templates")
	f.StringVar(&rf.fontDir, "font-dir", "", "folder with the Noto fonts (default "+certpdf.DefaultFontDir+", Debian's fonts-noto-core)")
	f.StringVar(&rf.publicURL, "public-url", "", "public base URL of the dashboard; the QR code encodes URL/verify/ID (required)")
	f.StringVar(&rf.staff, "staff", "", "who renders, for the audit log (default $USER)")
	return cmd
}

// checkPublicURL validates --public-url.
func checkPublicURL(s string) (string, error) {
	if s == "" {
		return "", usagef("--public-url is required: the base URL of the dashboard, e.g. https://certs.example.org (or ROLLCALL_PUBLIC_URL)")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", usagef("--public-url %q: expected an absolute http(s) URL without query, e.g. https://certs.example.org", s)
	}
	return strings.TrimRight(s, "/"), nil
}

// checkTemplateDir refuses a --template-dir that is not a folder or holds
// a bad template, before anything is read or issued.
func checkTemplateDir(dir string) error {
	if dir == "" {
		return nil
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usagef("--template-dir %s: not a folder", dir)
	}
	_, err := certificates.ReadTemplateDir(dir)
	return err
}

func (a *app) renderCertificates(ctx context.Context, rf renderFlags) error {
	start := time.Now()
	publicURL, err := checkPublicURL(rf.publicURL)
	if err != nil {
		return err
	}
	toStdout := rf.out == "" || rf.out == "-"
	if toStdout && interactive(a.stdout) {
		return usagef("a ZIP archive is not for the terminal: give -o FILE.zip or -o DIR, or redirect stdout")
	}
	if err := checkTemplateDir(rf.templateDir); err != nil {
		return err
	}
	r, err := certpdf.NewRenderer(rf.fontDir)
	if err != nil {
		return err
	}
	return a.asStaff(ctx, rf.staff, rf.event, func(s *store.Store, e attendance.Event, who string) error {
		svc := certificates.New(s, certificates.Config{PublicURL: publicURL, TemplateDir: rf.templateDir, Renderer: r})
		res, err := svc.Issue(ctx, e.ID, who)
		if err != nil {
			return err
		}
		b, err := svc.Batch(ctx, e.ID)
		if err != nil {
			return err
		}
		var progress func()
		if interactive(a.stderr) {
			bar := progressbar.Default(int64(len(b.Certificates)), "rendering certificates")
			defer bar.Close()
			progress = func() { _ = bar.Add(1) }
		}
		dest := "stdout"
		var rep certpdf.Report
		switch {
		case toStdout:
			rep, err = svc.WriteZIP(ctx, a.stdout, b, progress)
		case strings.EqualFold(filepath.Ext(rf.out), ".zip"):
			dest = rf.out
			err = a.writeOutput(rf.out, func(w io.Writer) error {
				var err error
				rep, err = svc.WriteZIP(ctx, w, b, progress)
				return err
			})
		default:
			dest = rf.out + string(filepath.Separator)
			rep, err = svc.WriteDir(ctx, rf.out, b, progress)
		}
		if err != nil {
			return err
		}
		detail := fmt.Sprintf("%d certificates", rep.Rendered)
		if n := len(rep.Failures); n > 0 {
			detail += fmt.Sprintf(", %d failed", n)
		}
		if err := s.Audit(ctx, who, "certificates render", e.ID, dest, detail); err != nil {
			return err
		}
		parts := []string{issuedNote(res), fmt.Sprintf("%d PDFs written to %s", rep.Rendered, dest), fmt.Sprintf("%d revoked left out", b.Revoked)}
		if len(rep.Failures) == 0 {
			a.summary("certificates render", start, parts...)
			return nil
		}
		a.printFailures(rep, dest)
		a.summary("certificates render", start, append(parts, fmt.Sprintf("%d failed", len(rep.Failures)))...)
		return &renderFailedError{failed: len(rep.Failures), total: rep.Rendered + len(rep.Failures)}
	})
}

// renderFailedError ends a render that wrote every certificate it could:
// exit 1, after the report.
type renderFailedError struct{ failed, total int }

func (e *renderFailedError) Error() string {
	return fmt.Sprintf("%d of %d certificates could not be rendered (see %s)", e.failed, e.total, certpdf.FailuresName)
}

// printFailures tells staff on stderr which certificates are missing and
// why: the id, the name and the characters no font has. It is for the
// person at the terminal, never a log.
func (a *app) printFailures(rep certpdf.Report, dest string) {
	fmt.Fprintf(a.stderr, "%d certificates could not be rendered; the others are in %s, with %s:\n", len(rep.Failures), dest, certpdf.FailuresName)
	for _, f := range rep.Failures {
		fmt.Fprintf(a.stderr, "  %s  %s: %s\n", f.ID, terminal(f.Name), terminal(f.Reason()))
	}
}

// ob3Flags are the flags export certificates --format ob3 adds.
type ob3Flags struct {
	publicURL, issuerKeyFile, issuerName, issuerURL string
}

func (o *ob3Flags) bind(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.publicURL, "public-url", "", "ob3: public base URL of the dashboard; the issuer is URL/issuer, the evidence URL/verify/ID")
	f.StringVar(&o.issuerKeyFile, "issuer-key-file", "", "ob3: Ed25519 or RSA (2048 bits or more) private key (PEM PKCS#8, PEM PKCS#1 RSA, or base64 Ed25519 seed; mode 0600) to sign each credential as a VC-JWT (EdDSA or RS256)")
	f.StringVar(&o.issuerName, "issuer-name", "", "ob3: the organisation that issues the certificates (required with ob3)")
	f.StringVar(&o.issuerURL, "issuer-url", "", "ob3: the issuing organisation's home page (optional)")
}

// formatOB3 is the export format of Open Badges 3.0 credentials.
const formatOB3 = "ob3"

// exportOB3 writes every issued, unrevoked certificate of the event as an
// Open Badges 3.0 credential: a ZIP for -o FILE.zip, else JSON lines.
func (a *app) exportOB3(ctx context.Context, event, out, staff string, o ob3Flags) error {
	start := time.Now()
	publicURL, err := checkPublicURL(o.publicURL)
	if err != nil {
		return err
	}
	if strings.TrimSpace(o.issuerName) == "" {
		return usagef("--issuer-name is required with --format ob3 (or ROLLCALL_ISSUER_NAME)")
	}
	issuer := badges.Issuer{ID: publicURL + "/issuer", Name: strings.TrimSpace(o.issuerName), URL: o.issuerURL}
	var key *badges.IssuerKey
	if o.issuerKeyFile != "" {
		if key, err = badges.LoadIssuerKey(o.issuerKeyFile); err != nil {
			return usageError{err}
		}
	}
	return a.asStaff(ctx, staff, event, func(s *store.Store, e attendance.Event, who string) error {
		svc := certificates.New(s, certificates.Config{PublicURL: publicURL, Issuer: issuer, IssuerKey: key})
		res, err := svc.Issue(ctx, e.ID, who)
		if err != nil {
			return err
		}
		var n, revoked int
		zipped := strings.EqualFold(filepath.Ext(out), ".zip")
		err = a.writeOutput(out, func(w io.Writer) error {
			var err error
			n, revoked, err = svc.Credentials(ctx, e.ID, w, zipped)
			return err
		})
		if errors.Is(err, badges.ErrInvalidInput) {
			return usageError{err}
		}
		if err != nil {
			return err
		}
		signed := "unsigned"
		if key != nil {
			signed = "signed (" + key.Alg() + " VC-JWT)"
		}
		if err := s.Audit(ctx, who, "export certificates", e.ID, formatOB3, fmt.Sprintf("%d credentials, %s", n, signed)); err != nil {
			return err
		}
		dest := "stdout"
		if out != "" && out != "-" {
			dest = out
		}
		a.summary("export certificates (ob3)", start, issuedNote(res), fmt.Sprintf("%d credentials %s written to %s", n, signed, dest),
			fmt.Sprintf("%d revoked left out", revoked))
		return nil
	})
}

// issuerDocument is the /issuer document the daemon serves when it has an
// issuer key; nil without one.
func issuerDocument(publicURL, name, homepage, keyFile string) ([]byte, error) {
	if keyFile == "" {
		return nil, nil
	}
	pu, err := checkPublicURL(publicURL)
	if err != nil {
		return nil, usagef("--issuer-key-file needs --public-url: %v", err)
	}
	if strings.TrimSpace(name) == "" {
		return nil, usagef("--issuer-key-file needs --issuer-name")
	}
	key, err := badges.LoadIssuerKey(keyFile)
	if err != nil {
		return nil, usageError{err}
	}
	doc, err := badges.IssuerKeyDocument(badges.Issuer{ID: pu + "/issuer", Name: strings.TrimSpace(name), URL: homepage}, key.Public())
	if err != nil {
		return nil, usageError{err}
	}
	return doc, nil
}

// certificateHooks are the dashboard's certificate parts that the daemon
// wires from its flags.
type certificateHooks struct {
	verify         http.Handler
	certificates   dashboard.Certificates // nil without --public-url
	issuerDocument []byte
	// statusList serves the revocation lists (needs --public-url and
	// --issuer-name; signed with --issuer-key-file).
	statusList func(ctx context.Context, slug string) ([]byte, string, error)
	// pdf renders a certificate's PDF for GET /verify/{id}/pdf, the
	// personal download link of mail certificates --link (needs
	// --public-url).
	pdf func(ctx context.Context, id string, w io.Writer) error
}

// certificateHooks builds the verification page always, the PDF download,
// previews and template editor with --public-url, and /issuer with
// --issuer-key-file.
func (d *daemon) certificateHooks(st *store.Store, a *app) (certificateHooks, error) {
	var h certificateHooks
	var err error
	if h.issuerDocument, err = issuerDocument(d.publicURL, d.issuerName, d.issuerURL, d.issuerKeyFile); err != nil {
		return h, err
	}
	if d.publicURL != "" {
		pu, err := checkPublicURL(d.publicURL)
		if err != nil {
			return h, err
		}
		svc := certificates.New(st, certificates.Config{PublicURL: pu, FontDir: d.fontDir})
		h.certificates = svc
		h.pdf = func(ctx context.Context, id string, w io.Writer) error {
			pc, err := st.VerifyCertificate(ctx, id)
			if err != nil {
				return err
			}
			if pc.Revoked() {
				return attendance.Errorf(attendance.ENotFound, "revoked")
			}
			dec, err := st.Decision(ctx, pc.EventID, pc.RegistrationID)
			if err != nil {
				return err
			}
			if dec.CertificateID != pc.ID {
				return attendance.Errorf(attendance.ENotFound, "withheld")
			}
			return svc.RenderCertificate(ctx, pc.EventID, dec, w)
		}
		if name := strings.TrimSpace(d.issuerName); name != "" {
			var key *badges.IssuerKey
			if d.issuerKeyFile != "" {
				if key, err = badges.LoadIssuerKey(d.issuerKeyFile); err != nil {
					return h, usageError{err}
				}
			}
			svc := certificates.New(st, certificates.Config{PublicURL: pu,
				Issuer: badges.Issuer{ID: pu + "/issuer", Name: name, URL: d.issuerURL}, IssuerKey: key})
			now := d.now
			if now == nil {
				now = time.Now
			}
			h.statusList = func(ctx context.Context, slug string) ([]byte, string, error) {
				e, err := st.Event(ctx, slug)
				if err != nil {
					return nil, "", err
				}
				return svc.StatusList(ctx, e.ID, now())
			}
		}
	}
	h.verify = d.verify
	if h.verify == nil {
		if h.verify, err = dashboard.NewVerifyHandler(dashboard.VerifyConfig{Certificates: st, IssuerName: d.issuerName,
			TrustedProxies: d.proxies, Logger: a.log.With("component", "verify"), PDF: h.pdf}); err != nil {
			return h, err
		}
	}
	return h, nil
}
