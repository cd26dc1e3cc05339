package dashboard

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
)

// seedLarge fills an event with n registrations and m chat messages over the
// last three hours, with bulk multi-row inserts: the size of the
// secretariat's largest dialogue.
func seedLarge(t testing.TB, st *store.Store, ev attendance.Event, streamID int64, regs, msgs int, now time.Time) {
	t.Helper()
	db := st.DB()
	bulk := func(table, cols string, n, rows int, row func(i int) []any) {
		t.Helper()
		ncol := len(strings.Split(cols, ","))
		tx := db.MustBegin()
		for i := 0; i < rows; i += n {
			k := min(n, rows-i)
			args := make([]any, 0, k*ncol)
			for j := 0; j < k; j++ {
				args = append(args, row(i+j)...)
			}
			one := "(" + strings.TrimSuffix(strings.Repeat("?,", ncol), ",") + ")"
			q := "INSERT INTO " + table + " (" + cols + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+",", k), ",")
			if _, err := tx.Exec(tx.Rebind(q), args...); err != nil {
				t.Fatalf("seed %s: %v", table, err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	countries := []string{"Thailand", "Viet Nam", "Philippines", "Indonesia", "Malaysia", "Cambodia", "Lao PDR", "Myanmar", "Brunei Darussalam", "Singapore", "Timor-Leste"}
	nowUS := now.UnixMicro()
	bulk("registrations", "event_id, email, full_name, country, organisation, role, code, created_at, updated_at", 500, regs, func(i int) []any {
		return []any{ev.ID, fmt.Sprintf("person%06d@example.org", i), fmt.Sprintf("Person %d", i), countries[i%len(countries)], "School", "participant",
			fmt.Sprintf("C%07d", i), nowUS, nowUS}
	})
	var firstID int64
	if err := db.Get(&firstID, db.Rebind(`SELECT MIN(id) FROM registrations WHERE event_id = ?`), ev.ID); err != nil {
		t.Fatal(err)
	}
	authors := regs / 2
	span := int64(3 * time.Hour / time.Microsecond)
	start := nowUS - span
	bulk("chat_messages", "stream_id, message_id, type, author_channel_id, author_name, text, published_at, received_at", 500, msgs, func(i int) []any {
		at := start + span*int64(i)/int64(msgs)
		return []any{streamID, fmt.Sprintf("m%08d", i), attendance.MsgText, fmt.Sprintf("UC%022d", i%authors), "viewer", "hello", at, at}
	})
	bulk("chat_authors", "stream_id, channel_id, display_name, first_at, last_at, messages", 500, authors, func(i int) []any {
		return []any{streamID, fmt.Sprintf("UC%022d", i), "viewer", start, nowUS, int64(msgs / authors)}
	})
	bulk("links", "event_id, registration_id, channel_id, method, linked_at", 500, authors*6/10, func(i int) []any {
		return []any{ev.ID, firstID + int64(i), fmt.Sprintf("UC%022d", i), "code", start + int64(i)*1000}
	})
	bulk("stream_samples", "stream_id, at, state, concurrent_viewers, views, likes", 500, 1080, func(i int) []any {
		return []any{streamID, start + int64(i)*10_000_000, "live", 20000 + i*50, 30000 + i*100, 900 + i}
	})
	if _, err := db.Exec(db.Rebind(`UPDATE streams SET state = 'live', chat_state = 'polling', concurrent_viewers = 74000, peak_concurrent_viewers = 75000,
		views = 138000, likes = 2000, chat_messages = ?, chat_authors = ? WHERE id = ?`), msgs, authors, streamID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`ANALYZE`); err != nil {
		t.Fatal(err)
	}
}

// openLargeEvent opens the benchmarks' store (ROLLCALL_PERF_DB, kept for
// the next run and for wrk, or a temporary file) with the event "big" of
// 100,000 registrations and 1,000,000 messages, seeding it the first time.
func openLargeEvent(b *testing.B) (*store.Store, attendance.Event) {
	b.Helper()
	ctx := context.Background()
	path := os.Getenv("ROLLCALL_PERF_DB")
	if path == "" {
		path = filepath.Join(b.TempDir(), "perf.db")
	}
	st, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	ev, err := st.Event(ctx, "big")
	if err != nil {
		ev, err = st.CreateEvent(ctx, attendance.Event{Slug: "big", Title: "Regional Policy Dialogue", TimeZone: "Asia/Bangkok",
			VideoIDs: []string{"dQw4w9WgXcQ"}, Policy: attendance.DefaultPolicy()})
		if err != nil {
			b.Fatal(err)
		}
		streams, _ := st.Streams(ctx, ev.ID)
		t0 := time.Now()
		seedLarge(b, st, ev, streams[0].ID, 100_000, 1_000_000, time.Now())
		b.Logf("seeded 100,000 registrations and 1,000,000 messages in %s", time.Since(t0).Round(time.Millisecond))
	}
	if _, err := CreateStaffUser(ctx, st, perfAdmin, attendance.StaffAdmin, perfPassword); err != nil {
		b.Fatal(err)
	}
	return st, ev
}

// The benchmarks' admin.
const (
	perfAdmin    = "perf@seameo.test"
	perfPassword = "perf password 123"
)

// serveSignedIn serves srv on a free loopback port until the benchmark
// ends and returns its base URL and a client signed in as the benchmarks'
// admin, keeping up to idle connections open.
func serveSignedIn(b *testing.B, srv *Server, idle int) (string, *http.Client) {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	sctx, stop := context.WithCancel(context.Background())
	go srv.Serve(sctx, ln)
	b.Cleanup(stop)
	base := "http://" + ln.Addr().String()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Transport: &http.Transport{MaxIdleConnsPerHost: idle}}
	res, err := client.PostForm(base+"/signin", url.Values{"email": {perfAdmin}, "password": {perfPassword}})
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	return base, client
}

// BenchmarkLive measures the live page and its updates with 50
// concurrent viewers over 100,000 registrations and 1,000,000 messages:
// the snapshot computations, the page and its figures under 50 clients
// (ns/op is the time per request of all 50; latency quantiles as metrics),
// and the delay of server-sent updates. Seeding takes a while;
// ROLLCALL_PERF_DB keeps the seeded database for the next run and for wrk.
//
//	go test -run '^$' -bench BenchmarkLive ./dashboard/
func BenchmarkLive(b *testing.B) {
	ctx := context.Background()
	st, ev := openLargeEvent(b)
	for i := 0; i < 3; i++ {
		if _, err := st.AddCheckpoint(ctx, ev.ID, "word", time.Now(), time.Now().Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	srv, err := New(Config{}, st)
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	if _, err := srv.snapshot(ctx, ev); err != nil {
		b.Fatal(err)
	}
	cold := time.Since(t0)

	// The first snapshot (cold, whole chat window), then recomputations
	// (in the background, once a second).
	b.Run("snapshot", func(b *testing.B) {
		e := srv.entry(ev.ID)
		e.compute.Lock()
		defer e.compute.Unlock()
		for b.Loop() {
			if _, err := srv.computeSnapshot(ctx, ev, e, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(cold)/float64(time.Millisecond), "cold-ms")
	})

	base, client := serveSignedIn(b, srv, 200)
	u, _ := url.Parse(base)
	cs := client.Jar.Cookies(u)
	if len(cs) != 1 {
		b.Fatal("not signed in")
	}
	// With Debian's wrk installed, measure with it too (50 connections).
	if wrk, err := exec.LookPath("wrk"); err == nil {
		for _, p := range []string{"/events/big", "/events/big/live.json"} {
			out, err := exec.Command(wrk, "-t2", "-c50", "-d10s", "--latency", "-H", "Cookie: "+cs[0].Name+"="+cs[0].Value, base+p).CombinedOutput()
			if err != nil {
				b.Fatalf("wrk: %v\n%s", err, out)
			}
			b.Logf("wrk -t2 -c50 -d10s --latency %s\n%s", p, out)
		}
	}

	// 50 concurrent clients: ns/op is the wall time per request, so
	// 1e9/(ns/op) requests a second; each request's latency is reported
	// as quantiles.
	measure := func(path string) func(b *testing.B) {
		return func(b *testing.B) {
			var mu sync.Mutex
			var lat []time.Duration
			b.SetParallelism(max(1, 50/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					t0 := time.Now()
					res, err := client.Get(base + path)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != 200 {
						b.Errorf("%s: %d", path, res.StatusCode)
						return
					}
					d := time.Since(t0)
					mu.Lock()
					lat = append(lat, d)
					mu.Unlock()
				}
			})
			reportQuantiles(b, "", lat, 0.5, 0.9, 0.99, 1)
		}
	}
	b.Run("page", measure("/events/big"))
	b.Run("live.json", measure("/events/big/live.json"))

	// 50 SSE viewers for 12 s (one op, so the default -benchtime runs it
	// once): the delay of the first update after connecting, and the
	// lateness of each next one against the 2 s tick.
	b.Run("sse", func(b *testing.B) {
		var mu sync.Mutex
		var gaps, first []time.Duration
		for b.Loop() {
			var wg sync.WaitGroup
			sseCtx, cancel := context.WithTimeout(ctx, 12*time.Second)
			for i := 0; i < 50; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					req, _ := http.NewRequestWithContext(sseCtx, "GET", base+"/events/big/live", nil)
					t0 := time.Now()
					res, err := client.Do(req)
					if err != nil {
						return
					}
					defer res.Body.Close()
					sc := bufio.NewScanner(res.Body)
					sc.Buffer(make([]byte, 1<<20), 1<<20)
					last := time.Time{}
					for sc.Scan() {
						if !strings.HasPrefix(sc.Text(), "data: ") {
							continue
						}
						now := time.Now()
						mu.Lock()
						if last.IsZero() {
							first = append(first, now.Sub(t0))
						} else {
							gaps = append(gaps, now.Sub(last)-2*time.Second)
						}
						mu.Unlock()
						last = now
					}
				}()
			}
			wg.Wait()
			cancel()
		}
		if len(first) == 0 || len(gaps) == 0 {
			b.Fatalf("%d first updates, %d next ones: the viewers got nothing", len(first), len(gaps))
		}
		reportQuantiles(b, "first-", first, 0.5, 0.99)
		reportQuantiles(b, "late-", gaps, 0.5, 0.99)
		b.ReportMetric(float64(len(gaps))/float64(b.N), "updates/op")
	})
}

// reportQuantiles reports the quantiles qs of ds in milliseconds as
// metrics named prefix+"p50-ms" and so on ("max-ms" for 1).
func reportQuantiles(b *testing.B, prefix string, ds []time.Duration, qs ...float64) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	for _, q := range qs {
		name := fmt.Sprintf("%sp%g-ms", prefix, q*100)
		if q == 1 {
			name = prefix + "max-ms"
		}
		b.ReportMetric(float64(ds[int(float64(len(ds)-1)*q)])/float64(time.Millisecond), name)
	}
}
