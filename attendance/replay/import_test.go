package replay

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/seameo/rollcall/attendance"
)

// fakeSink keeps what Import hands it, as the store would: a message it
// holds already (by id) is not added again. failAt makes the nth call fail.
type fakeSink struct {
	batches []int
	seen    map[string]bool
	failAt  int
	sources []string
}

func (f *fakeSink) IngestMessages(_ context.Context, streamID int64, msgs []attendance.ChatMessage, source string) (int, error) {
	if streamID != 7 {
		return 0, errors.New("wrong stream")
	}
	f.batches = append(f.batches, len(msgs))
	f.sources = append(f.sources, source)
	if len(f.batches) == f.failAt {
		return 0, errors.New("store: disk full")
	}
	n := 0
	for _, m := range msgs {
		if !f.seen[m.ID] {
			f.seen[m.ID] = true
			n++
		}
	}
	return n, nil
}

func TestImport(t *testing.T) {
	// four messages (a retraction is one too), a bad line, a blank line,
	// and the first message again
	file := strings.Join([]string{replayLine, liveLine, "{not json", "", membershipLine, retractLine, replayLine}, "\n")
	for _, tc := range []struct {
		name    string
		batch   int
		failAt  int
		want    ImportResult
		batches []int
		wantErr bool
	}{
		{name: "one batch", batch: 0, want: ImportResult{Lines: 7, Read: 5, Added: 4, Bad: 1}, batches: []int{5}},
		{name: "batches of two", batch: 2, want: ImportResult{Lines: 7, Read: 5, Added: 4, Bad: 1}, batches: []int{2, 2, 1}},
		{name: "batches of one", batch: 1, want: ImportResult{Lines: 7, Read: 5, Added: 4, Bad: 1}, batches: []int{1, 1, 1, 1, 1}},
		{name: "the sink fails", batch: 1, failAt: 2, want: ImportResult{Read: 2, Added: 1}, batches: []int{1, 1}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &fakeSink{seen: map[string]bool{}, failAt: tc.failAt}
			var bad []int
			res, err := Import(t.Context(), sink, 7, NewReader(strings.NewReader(file)), tc.batch, func(le *LineError) { bad = append(bad, le.Line) })
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if res != tc.want {
				t.Errorf("result %+v, want %+v", res, tc.want)
			}
			if got, want := res.Duplicates(), tc.want.Read-tc.want.Added; got != want {
				t.Errorf("duplicates %d, want %d", got, want)
			}
			if !slices.Equal(sink.batches, tc.batches) {
				t.Errorf("batches %v, want %v", sink.batches, tc.batches)
			}
			for _, s := range sink.sources {
				if s != Source {
					t.Errorf("source %q", s)
				}
			}
			if !tc.wantErr && !slices.Equal(bad, []int{3}) {
				t.Errorf("bad lines %v, want [3]", bad)
			}
		})
	}
}
