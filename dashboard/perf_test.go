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

// TestLivePerformance measures the live page and its updates with 50
// concurrent viewers over 100,000 registrations and 1,000,000 messages. It
// runs only with ROLLCALL_PERF=1 (seeding takes a while) and reports; it
// does not gate. ROLLCALL_PERF_DB keeps the seeded database for wrk.
func TestLivePerformance(t *testing.T) {
	if os.Getenv("ROLLCALL_PERF") != "1" {
		t.Skip("set ROLLCALL_PERF=1 to measure the live page at scale")
	}
	ctx := context.Background()
	path := os.Getenv("ROLLCALL_PERF_DB")
	if path == "" {
		path = filepath.Join(t.TempDir(), "perf.db")
	}
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ev, err := st.Event(ctx, "big")
	if err != nil {
		ev, err = st.CreateEvent(ctx, attendance.Event{Slug: "big", Title: "Regional Policy Dialogue", VideoIDs: []string{"dQw4w9WgXcQ"}, Policy: attendance.DefaultPolicy()})
		if err != nil {
			t.Fatal(err)
		}
		streams, _ := st.Streams(ctx, ev.ID)
		t0 := time.Now()
		seedLarge(t, st, ev, streams[0].ID, 100_000, 1_000_000, time.Now())
		t.Logf("seeded 100,000 registrations and 1,000,000 messages in %s", time.Since(t0).Round(time.Millisecond))
	}
	password := "perf password 123"
	if _, err := CreateStaffUser(ctx, st, "perf@seameo.test", "admin", password); err != nil {
		t.Fatal(err)
	}
	att := newFakeAttendance()
	for i := 0; i < 3; i++ {
		att.AddCheckpoint(ctx, ev.ID, "word", time.Now(), time.Now().Add(time.Hour))
	}
	srv, err := New(Config{}, st, att)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if _, err := srv.snapshot(ctx, ev); err != nil {
		t.Fatal(err)
	}
	t.Logf("first snapshot (cold, whole chat window): %s", time.Since(t0).Round(time.Millisecond))
	for i := 0; i < 3; i++ {
		e := srv.entry(ev.ID)
		e.compute.Lock()
		t0 = time.Now()
		if _, err := srv.computeSnapshot(ctx, ev, e, time.Now()); err != nil {
			t.Fatal(err)
		}
		t.Logf("snapshot recomputation (background, once a second): %s", time.Since(t0).Round(time.Millisecond))
		e.compute.Unlock()
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	go srv.Serve(sctx, ln)
	defer stop()
	base := "http://" + ln.Addr().String()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Transport: &http.Transport{MaxIdleConnsPerHost: 200}}
	if res, err := client.PostForm(base+"/signin", url.Values{"email": {"perf@seameo.test"}, "password": {password}}); err != nil {
		t.Fatal(err)
	} else {
		res.Body.Close()
	}
	u, _ := url.Parse(base)
	cs := jar.Cookies(u)
	if len(cs) != 1 {
		t.Fatal("not signed in")
	}
	// With Debian's wrk installed, measure with it too (50 connections).
	if wrk, err := exec.LookPath("wrk"); err == nil {
		for _, p := range []string{"/events/big", "/events/big/live.json"} {
			out, err := exec.Command(wrk, "-t2", "-c50", "-d10s", "--latency", "-H", "Cookie: "+cs[0].Name+"="+cs[0].Value, base+p).CombinedOutput()
			if err != nil {
				t.Fatalf("wrk: %v\n%s", err, out)
			}
			t.Logf("wrk -t2 -c50 -d10s --latency %s\n%s", p, out)
		}
	}

	measure := func(name, path string, d time.Duration) {
		var mu sync.Mutex
		var lat []time.Duration
		deadline := time.Now().Add(d)
		var wg sync.WaitGroup
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(deadline) {
					t0 := time.Now()
					res, err := client.Get(base + path)
					if err != nil {
						t.Error(err)
						return
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != 200 {
						t.Errorf("%s: %d", path, res.StatusCode)
						return
					}
					mu.Lock()
					lat = append(lat, time.Since(t0))
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		slices.Sort(lat)
		q := func(p float64) time.Duration { return lat[int(float64(len(lat)-1)*p)].Round(10 * time.Microsecond) }
		t.Logf("%s, 50 concurrent clients for %s: %d requests (%.0f/s), p50 %s, p90 %s, p99 %s, max %s", name, d, len(lat),
			float64(len(lat))/d.Seconds(), q(0.5), q(0.9), q(0.99), lat[len(lat)-1].Round(10*time.Microsecond))
	}
	measure("live page GET /events/big", "/events/big", 10*time.Second)
	measure("live figures GET /events/big/live.json", "/events/big/live.json", 5*time.Second)

	// 50 SSE viewers: the delay of each pushed update after its tick.
	var mu sync.Mutex
	var gaps []time.Duration
	var first []time.Duration
	var wg sync.WaitGroup
	sseCtx, cancel := context.WithTimeout(ctx, 12*time.Second)
	defer cancel()
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
	slices.Sort(first)
	slices.Sort(gaps)
	if len(first) > 0 && len(gaps) > 0 {
		t.Logf("SSE, 50 viewers: first update after connect p50 %s p99 %s; %d updates, lateness vs the 2 s tick p50 %s p99 %s",
			first[len(first)/2].Round(10*time.Microsecond), first[(len(first)-1)*99/100].Round(10*time.Microsecond), len(gaps),
			gaps[len(gaps)/2].Round(10*time.Microsecond), gaps[(len(gaps)-1)*99/100].Round(10*time.Microsecond))
	}
}
