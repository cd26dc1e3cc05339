package forms

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/seameo/rollcall/attendance"
)

// Sink keeps an event's form responses in one transaction: matched to
// registrations by email, then by code, unknown people registered, a later
// submission replacing an earlier one. *store.Store satisfies it; cmd
// hands it over.
type Sink interface {
	ImportFormResponses(ctx context.Context, eventID int64, rs []attendance.FormResponse, dryRun bool) (attendance.FormImportResult, error)
}

// Imported is what Import did (or would do, on a dry run): what the file
// held and what the sink made of it.
type Imported struct {
	Rows     int // data rows read
	Replaced int // rows superseded by a later row of the same email in the file
	Stored   attendance.FormImportResult
	// Names are the names to print the responses gave, with their rows.
	Names []Name
}

// Name is a name to print a form response gave, and its row in the file.
type Name struct {
	Row  int
	Name string
}

// String is the one-line summary the CLI prints and the dashboard shows.
func (im Imported) String() string {
	res := im.Stored
	return strings.Join([]string{fmt.Sprintf("%d rows read", im.Rows), fmt.Sprintf("%d matched by email", res.Matched),
		fmt.Sprintf("%d by code", res.MatchedByCode), fmt.Sprintf("%d new registrations", res.NewRegistrations),
		fmt.Sprintf("%d replaced earlier submissions", res.Replaced+im.Replaced), fmt.Sprintf("%d skipped as older", res.Older),
		fmt.Sprintf("%d checkpoint answers", res.CheckpointAnswers)}, ", ")
}

// Import reads a form export (see Read; name is the file name for errors)
// and keeps its responses for event e, in the event's time zone. Any
// invalid row fails it before anything is written; with dryRun the sink
// reports what it would do and writes nothing. Errors are returned as they
// are: Read's name the file, row and column.
func Import(ctx context.Context, sink Sink, e attendance.Event, r io.Reader, name string, mapping map[string]Field, dryRun bool) (Imported, error) {
	fr, err := Read(r, name, mapping, e.Location())
	if err != nil {
		return Imported{}, err
	}
	res, err := sink.ImportFormResponses(ctx, e.ID, fr.Responses, dryRun)
	if err != nil {
		return Imported{}, err
	}
	im := Imported{Rows: fr.Rows, Replaced: fr.Replaced, Stored: res}
	for _, r := range fr.Responses {
		if r.CertificateName != "" {
			im.Names = append(im.Names, Name{Row: r.Row, Name: r.CertificateName})
		}
	}
	return im, nil
}
