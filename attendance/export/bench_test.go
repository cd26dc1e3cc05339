package export_test

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/export"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

// Sizes of the benchmark event: the secretariat's largest.
const (
	benchPeople   = 100_000
	benchLinked   = 60_000
	benchChannels = 80_000 // linked ones and 20,000 who never typed a code
	benchMessages = 1_000_000
)

// benchCode is a distinct valid code for i.
func benchCode(i int) string {
	b := make([]byte, attendance.CodeLength)
	for k := range b {
		b[k] = attendance.CodeAlphabet[i%len(attendance.CodeAlphabet)]
		i /= len(attendance.CodeAlphabet)
	}
	return string(b)
}

// bulkInsert writes rows with multi-row inserts of up to per rows.
func bulkInsert(tb testing.TB, s *store.Store, table, cols string, ncol, rows, per int, row func(i int, args []any) []any) {
	tb.Helper()
	ctx := context.Background()
	tx, err := s.DB().BeginTxx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck
	args := make([]any, 0, per*ncol)
	one := "(" + placeholders(ncol) + ")"
	for start := 0; start < rows; start += per {
		end := min(start+per, rows)
		args = args[:0]
		q := make([]byte, 0, (end-start)*(len(one)+1)+100)
		q = append(q, "INSERT INTO "+table+" ("+cols+") VALUES "...)
		for i := start; i < end; i++ {
			if i > start {
				q = append(q, ',')
			}
			q = append(q, one...)
			args = row(i, args)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(string(q)), args...); err != nil {
			tb.Fatalf("seed %s: %v", table, err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

func placeholders(n int) string {
	b := make([]byte, 0, 2*n)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '?')
	}
	return string(b)
}

// seedBig builds the benchmark event with bulk inserts, not through ingest.
func seedBig(tb testing.TB, s *store.Store) int64 {
	tb.Helper()
	ctx := context.Background()
	start := time.Now()
	ev, err := s.CreateEvent(ctx, attendance.Event{Slug: "big", Title: "Big Dialogue", TimeZone: "Asia/Bangkok", Policy: attendance.DefaultPolicy(),
		VideoIDs: []string{"dQw4w9WgXcQ"}})
	if err != nil {
		tb.Fatal(err)
	}
	streams, _ := s.Streams(ctx, ev.ID)
	sid := streams[0].ID
	t0 := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC).UnixMicro()
	now := time.Now().UnixMicro()
	chName := func(i int) string { return fmt.Sprintf("UC%022d", i) }
	bulkInsert(tb, s, "registrations", "event_id, email, full_name, role, code, source, extra, created_at, updated_at", 9, benchPeople, 2000,
		func(i int, a []any) []any {
			role := "participant"
			if i%1000 == 0 {
				role = "speaker"
			}
			return append(a, ev.ID, fmt.Sprintf("person%06d@example.org", i), fmt.Sprintf("Nguyễn Văn %06d", i), role, benchCode(i), "import", "{}", now, now)
		})
	// registration ids are 1..benchPeople in insertion order on a fresh database
	var firstID int64
	if err := s.DB().GetContext(ctx, &firstID, `SELECT MIN(id) FROM registrations`); err != nil {
		tb.Fatal(err)
	}
	cps := make([]int64, 3)
	for k := range cps {
		at := time.UnixMicro(t0).Add(time.Duration(30+30*k) * time.Minute)
		cp, err := s.AddCheckpoint(ctx, ev.ID, fmt.Sprintf("word%d", k), at, at.Add(5*time.Minute))
		if err != nil {
			tb.Fatal(err)
		}
		cps[k] = cp.ID
	}
	bulkInsert(tb, s, "links", "event_id, registration_id, channel_id, method, message_id, linked_at", 6, benchLinked, 2000,
		func(i int, a []any) []any {
			return append(a, ev.ID, firstID+int64(i), chName(i), "code", fmt.Sprintf("m%d", i), t0)
		})
	bulkInsert(tb, s, "chat_messages", "stream_id, message_id, type, author_channel_id, author_name, text, published_at, received_at", 8, benchMessages, 2000,
		func(i int, a []any) []any {
			c := i % benchChannels
			at := t0 + int64(i/benchChannels)*7*60e6 + int64(c%60)*1e6
			return append(a, sid, fmt.Sprintf("LCC.%08d", i), attendance.MsgText, chName(c), "Viewer", "hello from the chat", at, at)
		})
	perChan := benchMessages / benchChannels // 12: each in its own minute (7 minutes apart)
	bulkInsert(tb, s, "chat_activity", "stream_id, channel_id, minute", 3, benchChannels*perChan, 3000,
		func(i int, a []any) []any {
			c, k := i/perChan, i%perChan
			return append(a, sid, chName(c), t0/60e6+int64(k)*7)
		})
	bulkInsert(tb, s, "chat_authors", "stream_id, channel_id, display_name, first_at, last_at, messages", 6, benchChannels, 2000,
		func(i int, a []any) []any {
			return append(a, sid, chName(i), "Viewer", t0, t0+int64(perChan)*7*60e6, perChan)
		})
	// hits: linked people hit checkpoints by a pattern giving 0..3 hits
	type hit struct {
		cp  int64
		reg int64
	}
	var hits []hit
	for i := 0; i < benchLinked; i++ {
		for k := range cps {
			if (i+k)%4 != 0 {
				hits = append(hits, hit{cps[k], firstID + int64(i)})
			}
		}
	}
	bulkInsert(tb, s, "checkpoint_hits", "checkpoint_id, registration_id, channel_id, message_id, at, source", 6, len(hits), 2000,
		func(i int, a []any) []any {
			return append(a, hits[i].cp, hits[i].reg, "", "", t0, "chat")
		})
	bulkInsert(tb, s, "form_responses", "event_id, registration_id, email, submitted_at, certificate_name, imported_at", 6, 70_000, 2000,
		func(i int, a []any) []any {
			return append(a, ev.ID, firstID+int64(i), fmt.Sprintf("person%06d@example.org", i), t0+3600e6, "", now)
		})
	if s.Engine() == store.Postgres {
		if _, err := s.DB().ExecContext(ctx, `ANALYZE`); err != nil {
			tb.Fatal(err)
		}
	} else if _, err := s.DB().ExecContext(ctx, `ANALYZE`); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("seeded %d people, %d messages in %s", benchPeople, benchMessages, time.Since(start).Round(time.Millisecond))
	return ev.ID
}

// heapPeak samples the live heap while fn runs and returns the peak above
// the heap before it.
func heapPeak(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > base && m.HeapAlloc-base > peak.Load() {
					peak.Store(m.HeapAlloc - base)
				}
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return peak.Load()
}

// BenchmarkEvaluateAndExport decides 100,000 registrations over 1,000,000
// stored messages and 3 checkpoints, and exports them. Run with
// go test -run XXX -bench EvaluateAndExport -benchtime 3x ./attendance/export.
func BenchmarkEvaluateAndExport(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds 1,000,000 messages")
	}
	for _, e := range storetest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			s := storetest.Open(b, e)
			eventID := seedBig(b, s)
			ctx := context.Background()
			first := time.Now()
			issued := 0
			if err := s.Decisions(ctx, eventID, func(d attendance.Decision) error {
				if d.CertificateID != "" {
					issued++
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			b.Logf("first evaluation (issues %d certificate ids): %s", issued, time.Since(first).Round(time.Millisecond))
			b.Run("evaluate", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					n := 0
					if err := s.Decisions(ctx, eventID, func(attendance.Decision) error { n++; return nil }); err != nil {
						b.Fatal(err)
					}
					if n != benchPeople {
						b.Fatalf("%d decisions", n)
					}
				}
			})
			b.Run("export-attendance", func(b *testing.B) {
				b.ReportAllocs()
				var peak uint64
				for b.Loop() {
					p := heapPeak(func() {
						if err := export.Attendance(ctx, s, eventID, io.Discard); err != nil {
							b.Fatal(err)
						}
					})
					peak = max(peak, p)
				}
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			})
			b.Run("export-certificates", func(b *testing.B) {
				b.ReportAllocs()
				var peak uint64
				for b.Loop() {
					p := heapPeak(func() {
						if err := export.Certificates(ctx, s, eventID, io.Discard, ""); err != nil {
							b.Fatal(err)
						}
					})
					peak = max(peak, p)
				}
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			})
		})
	}
}
