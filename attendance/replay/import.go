package replay

import (
	"context"
	"errors"
	"io"

	"github.com/seameo/rollcall/attendance"
)

// Sink keeps the messages of a replay file: the store's ingest path, the
// one live chat goes through (links, checkpoint hits, presence), which
// skips messages it already holds. *store.Store satisfies it; cmd hands it
// over.
type Sink interface {
	// IngestMessages keeps msgs of a stream in one transaction and returns
	// how many were new.
	IngestMessages(ctx context.Context, streamID int64, msgs []attendance.ChatMessage, source string) (int, error)
}

// DefaultBatch is the number of messages Import writes per transaction
// when it is given none.
const DefaultBatch = 2000

// Source is what Import tells the sink the messages come from.
const Source = "replay"

// ImportResult counts what Import did.
type ImportResult struct {
	Lines int // lines of the file read
	Read  int // messages read
	Added int // messages the sink did not hold yet
	Bad   int // lines that could not be read, skipped
}

// Duplicates is the number of messages read that the sink already held.
func (r ImportResult) Duplicates() int { return r.Read - r.Added }

// Import feeds the chat a Reader yields to sink, for one stream, batch
// messages per transaction (DefaultBatch when batch is not positive). A
// line that cannot be read is handed to bad and skipped; any other error
// stops the import and is returned as it is (the reader's and the sink's
// say what failed). The batches written before it stay: each is whole, and
// importing the file again adds only what is missing.
func Import(ctx context.Context, sink Sink, streamID int64, r *Reader, batch int, bad func(*LineError)) (ImportResult, error) {
	var res ImportResult
	if batch <= 0 {
		batch = DefaultBatch
	}
	buf := make([]attendance.ChatMessage, 0, batch)
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		n, err := sink.IngestMessages(ctx, streamID, buf, Source)
		res.Added += n
		buf = buf[:0]
		return err
	}
	for {
		ms, err := r.Next()
		var le *LineError
		switch {
		case errors.As(err, &le):
			res.Bad++
			bad(le)
			continue
		case errors.Is(err, io.EOF):
			res.Lines = r.Line()
			return res, flush()
		case err != nil:
			return res, err
		}
		res.Read += len(ms)
		buf = append(buf, ms...)
		if len(buf) >= batch {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
}
