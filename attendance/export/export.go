// Package export writes the CSV files staff take away from an event: the
// attendance of every registration with its evidence and reasons, and the
// certificates to issue (also in the shape mail-merge certificate tools
// import). Rows are streamed from the store, so memory does not grow with
// the number of people. Files are UTF-8 with a BOM, RFC 4180, with
// formula-looking cells neutralised.
//
// Exports only read: they show the certificate ids already issued
// (store.Issue issues them; callers that need every id call it first), and
// they audit nothing. The one who hands an export out — a CLI command, a
// dashboard download — knows who asked for it and where it went, and
// audits it once (see ATTENDANCE.md, "Audit").
package export

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/csvout"
	"github.com/seameo/rollcall/attendance/store"
)

// Formats of the certificates export.
const (
	FormatDefault  = ""
	FormatAutocrat = "autocrat" // columns named for a mail-merge certificate add-on
)

// AttendanceColumns is the header of the attendance export.
var AttendanceColumns = []string{"email", "full_name", "registered_name", "role", "country", "organisation", "source", "linked", "channels",
	"link_methods", "shared_channel", "checkpoints_hit", "checkpoints_total", "presence_minutes", "first_seen", "last_seen",
	"form_submitted", "certificate_type", "certificate_id", "reasons", "notes"}

// Attendance writes one row per registration of the event, in registration
// order: the name to print (the form's, else the registered one), evidence,
// the certificate decided, the reasons, and notes on what rollcall could
// not see that might change the decision (attendance.ChatNotes: gaps in
// the chat, members-only mode during a checkpoint). certificate_id is
// empty until the certificate is issued. It writes nothing to the store.
func Attendance(ctx context.Context, st *store.Store, eventID int64, w io.Writer) error {
	gaps, err := st.Gaps(ctx, eventID)
	if err != nil {
		return fmt.Errorf("export attendance: %w", err)
	}
	cps, err := st.Checkpoints(ctx, eventID)
	if err != nil {
		return fmt.Errorf("export attendance: %w", err)
	}
	notices, err := st.MembersOnlyNotices(ctx, eventID)
	if err != nil {
		return fmt.Errorf("export attendance: %w", err)
	}
	cw, err := csvout.NewWriter(w)
	if err != nil {
		return err
	}
	if err := cw.Write(AttendanceColumns...); err != nil {
		return err
	}
	err = st.Decisions(ctx, eventID, func(d attendance.Decision) error {
		ev := d.Evidence
		r := d.Registration
		return cw.Write(r.Email, d.CertificateName, r.FullName, string(r.Role), r.Country, r.Org, r.Source, yesNo(ev.Linked),
			strings.Join(ev.Channels, " "), strings.Join(ev.LinkMethods, " "), yesNo(ev.SharedChannel),
			strconv.Itoa(ev.CheckpointsHit), strconv.Itoa(ev.CheckpointsTotal), strconv.Itoa(ev.PresenceMinutes),
			stamp(ev.FirstSeen), stamp(ev.LastSeen), yesNo(ev.FormSubmitted), string(d.Certificate), d.CertificateID,
			strings.Join(attendance.ReasonStrings(d.Reasons), "; "), strings.Join(attendance.ChatNotes(d, gaps, cps, notices), "; "))
	})
	if err != nil {
		return fmt.Errorf("export attendance: %w", err)
	}
	if err := cw.Flush(); err != nil {
		return fmt.Errorf("export attendance: %w", err)
	}
	return nil
}

// Certificates writes one row per certificate to issue, in registration
// order. format "" gives certificate_type, full_name, email,
// certificate_id, event, date, role; "autocrat" gives the same under the
// names a mail-merge certificate add-on's template tags use: Name, Email,
// Certificate Type (capitalised), Certificate ID (grouped for print),
// Event, Date (long form), Role. A certificate not issued yet has an
// empty id: call store.Issue first for a file to print from. It writes
// nothing to the store.
func Certificates(ctx context.Context, st *store.Store, eventID int64, w io.Writer, format string) error {
	if format != FormatDefault && format != FormatAutocrat {
		return attendance.Errorf(attendance.EInvalid, "export format %q: expected autocrat or nothing", format)
	}
	e, err := st.EventByID(ctx, eventID)
	if err != nil {
		return fmt.Errorf("export certificates: %w", err)
	}
	date, err := st.EventDay(ctx, e)
	if err != nil {
		return fmt.Errorf("export certificates: %w", err)
	}
	cw, err := csvout.NewWriter(w)
	if err != nil {
		return err
	}
	header := []string{"certificate_type", "full_name", "email", "certificate_id", "event", "date", "role"}
	if format == FormatAutocrat {
		header = []string{"Name", "Email", "Certificate Type", "Certificate ID", "Event", "Date", "Role"}
	}
	if err := cw.Write(header...); err != nil {
		return err
	}
	err = st.Decisions(ctx, eventID, func(d attendance.Decision) error {
		if d.Certificate == attendance.CertNone {
			return nil
		}
		r := d.Registration
		if format == FormatAutocrat {
			return cw.Write(d.CertificateName, r.Email, "Certificate of "+title(string(d.Certificate)), attendance.FormatCertificateID(d.CertificateID),
				e.Title, date.Format("2 January 2006"), title(string(r.Role)))
		}
		return cw.Write(string(d.Certificate), d.CertificateName, r.Email, d.CertificateID, e.Title, date.Format(time.DateOnly), string(r.Role))
	})
	if err != nil {
		return fmt.Errorf("export certificates: %w", err)
	}
	if err := cw.Flush(); err != nil {
		return fmt.Errorf("export certificates: %w", err)
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
