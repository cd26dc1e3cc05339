package dashboard

import (
	"context"
	"fmt"
	"io"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
)

// BenchmarkPeople measures the people table with a filter at 100,000
// registrations and 1,000,000 messages (seedLarge, plus three checkpoints
// hit by a third of the linked people and forms from a quarter of the
// registrations), with 20 concurrent staff: each request's latency as
// quantiles (p99 is the figure to hold under 150 ms), and the cold read of
// the event's people index (every decision), which one request in PeopleTTL
// pays in the background. ROLLCALL_PERF_DB keeps the seeded database.
//
//	go test -run '^$' -bench BenchmarkPeople ./dashboard/
func BenchmarkPeople(b *testing.B) {
	ctx := context.Background()
	st, ev := openLargeEvent(b)
	var cps int
	if err := st.DB().Get(&cps, st.DB().Rebind(`SELECT COUNT(*) FROM checkpoints WHERE event_id = ?`), ev.ID); err != nil {
		b.Fatal(err)
	}
	if cps == 0 {
		seedPeopleEvidence(b, st, ev)
	}
	t0 := time.Now()
	x, err := st.PeopleIndex(ctx, ev.ID)
	if err != nil {
		b.Fatal(err)
	}
	cold := time.Since(t0)
	b.Logf("people index: %d rows read in %s", x.Len(), cold.Round(time.Millisecond))

	srv, err := New(Config{}, st)
	if err != nil {
		b.Fatal(err)
	}
	base, client := serveSignedIn(b, srv, 100)
	// The first request reads the index; the measure starts after it.
	if res, err := client.Get(base + "/events/big/people"); err != nil || res.StatusCode != 200 {
		b.Fatalf("people: %v %v", res, err)
	} else {
		res.Body.Close()
	}

	// 20 staff at once, each asking pages of filtered tables in turn.
	paths := []string{
		"/events/big/people?linked=yes&checkpoints=%3D1&sort=presence&desc=1",
		"/events/big/people?linked=no&country=Thailand",
		"/events/big/people?form=no&role=participant&sort=linked",
		"/events/big/people?certificate=participation&sort=certificate",
		"/events/big/people?q=person0123",
	}
	measure := func(b *testing.B) {
		var mu sync.Mutex
		var lat []time.Duration
		var next sync.Mutex
		i := 0
		var wg sync.WaitGroup
		work := make(chan struct{})
		for c := 0; c < 20; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range work {
					next.Lock()
					p := paths[i%len(paths)]
					i++
					next.Unlock()
					t0 := time.Now()
					res, err := client.Get(base + p)
					if err != nil {
						b.Error(err)
						continue
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != 200 {
						b.Errorf("%s: %d", p, res.StatusCode)
					}
					d := time.Since(t0)
					mu.Lock()
					lat = append(lat, d)
					mu.Unlock()
				}
			}()
		}
		cpu0 := cpuTime()
		for b.Loop() {
			work <- struct{}{}
		}
		close(work)
		wg.Wait()
		// The machine may be shared: the process's own CPU time per request
		// says what a page costs, whatever else runs.
		b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		reportQuantiles(b, "", lat, 0.5, 0.9, 0.99, 1)
		b.ReportMetric(float64(cold)/float64(time.Millisecond), "cold-index-ms")
	}
	b.Run("filtered-20-staff", measure)
}

// cpuTime is the CPU time the process has used (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// seedPeopleEvidence adds three checkpoints, hits of the first by a third
// of the linked people (and of the second by half of those), and forms
// from every fourth registration.
func seedPeopleEvidence(b *testing.B, st *store.Store, ev attendance.Event) {
	ctx := context.Background()
	now := time.Now()
	for i := 0; i < 3; i++ {
		if _, err := st.AddCheckpoint(ctx, ev.ID, fmt.Sprintf("word%d", i), now.Add(-time.Duration(3-i)*time.Hour), now.Add(-time.Duration(3-i)*time.Hour+10*time.Minute)); err != nil {
			b.Fatal(err)
		}
	}
	db := st.DB()
	tx := db.MustBegin()
	exec := func(q string, args ...any) {
		if _, err := tx.Exec(tx.Rebind(q), args...); err != nil {
			b.Fatal(err)
		}
	}
	exec(`INSERT INTO checkpoint_hits (checkpoint_id, registration_id, channel_id, message_id, at)
		SELECT c.id, l.registration_id, l.channel_id, 'm' || l.registration_id, c.opens_at FROM links l JOIN checkpoints c ON c.event_id = l.event_id AND c.number = 1
		WHERE l.event_id = ? AND l.registration_id % 3 = 0`, ev.ID)
	exec(`INSERT INTO checkpoint_hits (checkpoint_id, registration_id, channel_id, message_id, at)
		SELECT c.id, l.registration_id, l.channel_id, 'n' || l.registration_id, c.opens_at FROM links l JOIN checkpoints c ON c.event_id = l.event_id AND c.number = 2
		WHERE l.event_id = ? AND l.registration_id % 6 = 0`, ev.ID)
	exec(`INSERT INTO form_responses (event_id, registration_id, email, submitted_at, imported_at)
		SELECT event_id, id, email, created_at, created_at FROM registrations WHERE event_id = ? AND id % 4 = 0`, ev.ID)
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}
