package dashboard

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run go test -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// seedMetrics fills a store with two events' worth of figures, straight in
// SQL where the attendance branch owns the writing.
func seedMetrics(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	ev, err := st.CreateEvent(ctx, attendance.Event{Slug: "dialogue", Title: "Policy Dialogue", VideoIDs: []string{"dQw4w9WgXcQ"}, Policy: attendance.DefaultPolicy()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateEvent(ctx, attendance.Event{Slug: "empty", Title: "Nothing yet", VideoIDs: []string{"aqz-KE-bpKQ"}, Policy: attendance.DefaultPolicy()}); err != nil {
		t.Fatal(err)
	}
	regs := []attendance.Registration{
		{FullName: "Ana", Email: "ana@example.org", Role: attendance.RoleParticipant},
		{FullName: "Bui", Email: "bui@example.org", Role: attendance.RoleParticipant},
		{FullName: "Chai", Email: "chai@example.org", Role: attendance.RoleSpeaker},
	}
	if _, err := st.ImportRegistrations(ctx, ev.ID, regs, false); err != nil {
		t.Fatal(err)
	}
	db := st.DB()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(db.Rebind(q), args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var ids []int64
	if err := db.Select(&ids, db.Rebind(`SELECT id FROM registrations WHERE event_id = ? ORDER BY id`), ev.ID); err != nil {
		t.Fatal(err)
	}
	exec(`INSERT INTO links (event_id, registration_id, channel_id, method, linked_at) VALUES (?, ?, 'UCa', 'code', 1), (?, ?, 'UCb', 'code', 2)`, ev.ID, ids[0], ev.ID, ids[1])
	exec(`INSERT INTO checkpoints (event_id, number, word, opens_at, closes_at, created_at) VALUES (?, 1, 'secretword', 1, 2, 1), (?, 2, 'otherword', 3, 4, 1)`, ev.ID, ev.ID)
	var cp1 int64
	if err := db.Get(&cp1, db.Rebind(`SELECT id FROM checkpoints WHERE event_id = ? AND number = 1`), ev.ID); err != nil {
		t.Fatal(err)
	}
	exec(`INSERT INTO checkpoint_hits (checkpoint_id, registration_id, at) VALUES (?, ?, 1), (?, ?, 1)`, cp1, ids[0], cp1, ids[1])
	exec(`INSERT INTO form_responses (event_id, registration_id, email, submitted_at, imported_at) VALUES (?, ?, 'ana@example.org', 1, 1)`, ev.ID, ids[0])
	exec(`INSERT INTO certificates (id, event_id, registration_id, type, issued_at) VALUES ('c1', ?, ?, 'participation', 1), ('c2', ?, ?, 'appreciation', 1)`, ev.ID, ids[0], ev.ID, ids[2])
	exec(`INSERT INTO certificates (id, event_id, registration_id, type, issued_at, revoked_at) VALUES ('c3', ?, ?, 'participation', 1, 5)`, ev.ID, ids[1])
	exec(`UPDATE streams SET chat_authors = 42 WHERE event_id = ?`, ev.ID)
}

func TestMetricsExposition(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		seedMetrics(t, st)
		col := NewAttendanceCollector(st, 0, nil)
		problems, err := testutil.CollectAndLint(col)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("lint %s: %s", p.Metric, p.Text)
		}
		reg := prometheus.NewPedanticRegistry()
		if err := RegisterMetrics(reg, st, "v1.2.3", nil); err != nil {
			t.Fatal(err)
		}
		srv, err := New(Config{Gatherer: reg, MetricsToken: "s3cret"}, st)
		if err != nil {
			t.Fatal(err)
		}
		rec := testRequest(srv, "GET", "/metrics", "")
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("metrics without the token: %d", rec.Code)
		}
		rec = testRequest(srv, "GET", "/metrics", "Bearer s3cret")
		if rec.Code != http.StatusOK {
			t.Fatalf("metrics: %d", rec.Code)
		}
		body := rec.Body.String()
		for _, secret := range []string{"secretword", "otherword", "ana@", "Ana", "UCa"} {
			if strings.Contains(body, secret) {
				t.Errorf("exposition shows %q", secret)
			}
		}
		golden(t, "metrics.golden", strings.ReplaceAll(body, runtime.Version(), "GOVERSION"))
	})
}

func TestMetricsStoreDown(t *testing.T) {
	st := storetest.Open(t, storetest.Engines()[0])
	st.Close()
	problems, err := testutil.CollectAndLint(NewAttendanceCollector(st, 0, nil))
	if err != nil || len(problems) > 0 {
		t.Fatal(err, problems)
	}
	if n, err := testutil.GatherAndCount(gatherer(NewAttendanceCollector(st, 0, nil)), "rollcall_store_up"); err != nil || n != 1 {
		t.Fatal(n, err)
	}
	want := "# HELP rollcall_store_up Whether the database answered a ping at the last scrape (1) or not (0), as /readyz checks it.\n# TYPE rollcall_store_up gauge\nrollcall_store_up 0\n"
	if err := testutil.CollectAndCompare(NewAttendanceCollector(st, 0, nil), strings.NewReader(want), "rollcall_store_up"); err != nil {
		t.Fatalf("with the database closed: %v", err)
	}
}

func gatherer(c prometheus.Collector) prometheus.Gatherer {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	return reg
}

// gaugeSource is a GaugeSource whose ping and gauge queries fail on demand.
type gaugeSource struct {
	ping   error
	gauges func(ctx context.Context) error
}

func (g gaugeSource) Ping(context.Context) error { return g.ping }

func (g gaugeSource) MetricGauges(ctx context.Context) (attendance.AttendanceGauges, error) {
	if g.gauges != nil {
		if err := g.gauges(ctx); err != nil {
			return attendance.AttendanceGauges{}, err
		}
	}
	return attendance.AttendanceGauges{Linked: []attendance.Gauge{{Labels: []string{"dialogue"}, Value: 3}}}, nil
}

// TestMetricsStoreUpIsThePingAlone: rollcall_store_up follows the database
// ping (what /readyz checks), never the scrape-time count queries: a slow
// or failing count is rollcall_store_scrape_errors_total{reason}.
func TestMetricsStoreUpIsThePingAlone(t *testing.T) {
	slow := func(ctx context.Context) error {
		<-ctx.Done()
		return fmt.Errorf("store: metric linked: %w", ctx.Err())
	}
	broken := func(context.Context) error { return errors.New("store: metric linked: no such table") }
	for _, tc := range []struct {
		name                 string
		src                  gaugeSource
		up                   float64
		timeouts, errs, gaug int
	}{
		{"all well", gaugeSource{}, 1, 0, 0, 1},
		{"count queries time out", gaugeSource{gauges: slow}, 1, 1, 0, 0},
		{"count queries fail", gaugeSource{gauges: broken}, 1, 0, 1, 0},
		{"database down", gaugeSource{ping: errors.New("dial tcp: connection refused")}, 0, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			col := NewAttendanceCollector(tc.src, 50*time.Millisecond, nil)
			if problems, err := testutil.CollectAndLint(col); err != nil || len(problems) > 0 {
				t.Fatal(err, problems)
			}
			col = NewAttendanceCollector(tc.src, 50*time.Millisecond, nil)
			reg := gatherer(col)
			mfs, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]float64{}
			for _, mf := range mfs {
				for _, m := range mf.GetMetric() {
					key := mf.GetName()
					for _, l := range m.GetLabel() {
						key += "/" + l.GetValue()
					}
					got[key] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
				}
			}
			if got["rollcall_store_up"] != tc.up {
				t.Errorf("rollcall_store_up = %v, want %v", got["rollcall_store_up"], tc.up)
			}
			if got["rollcall_store_scrape_errors_total/timeout"] != float64(tc.timeouts) || got["rollcall_store_scrape_errors_total/error"] != float64(tc.errs) {
				t.Errorf("scrape errors: timeout %v, error %v; want %d, %d", got["rollcall_store_scrape_errors_total/timeout"],
					got["rollcall_store_scrape_errors_total/error"], tc.timeouts, tc.errs)
			}
			if _, ok := got["rollcall_store_scrape_errors_total/timeout"]; !ok {
				t.Error("rollcall_store_scrape_errors_total{reason=timeout} is not exported from the start")
			}
			if n := len(mfs) - 2; n != tc.gaug {
				t.Errorf("%d attendance gauge families exported, want %d", n, tc.gaug)
			}
		})
	}
}

// TestMetricsEventChatAuthorsCountsEachChannelOnce: a channel that wrote in
// two streams of an event is one chatter of the event (the "Distinct
// chatters" panel), while each stream still counts it.
func TestMetricsEventChatAuthorsCountsEachChannelOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ev, err := st.CreateEvent(ctx, attendance.Event{Slug: "twin", Title: "Two streams", VideoIDs: []string{"dQw4w9WgXcQ", "aqz-KE-bpKQ"}, Policy: attendance.DefaultPolicy()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateEvent(ctx, attendance.Event{Slug: "quiet", Title: "No chat", VideoIDs: []string{"jNQXAC9IVRw"}, Policy: attendance.DefaultPolicy()}); err != nil {
			t.Fatal(err)
		}
		db := st.DB()
		var streams []int64
		if err := db.Select(&streams, db.Rebind(`SELECT id FROM streams WHERE event_id = ? ORDER BY video_id`), ev.ID); err != nil || len(streams) != 2 {
			t.Fatal(streams, err)
		}
		for i, ch := range []string{"UCa", "UCb", "UCb", "UCc"} {
			if _, err := db.Exec(db.Rebind(`INSERT INTO chat_authors (stream_id, channel_id, first_at, last_at, messages) VALUES (?, ?, 1, 2, 1)`), streams[i/2], ch); err != nil {
				t.Fatal(err)
			}
		}
		want := `
# HELP rollcall_event_chat_authors Distinct chat channels that wrote in any stream of an event (a channel in two streams counts once).
# TYPE rollcall_event_chat_authors gauge
rollcall_event_chat_authors{event="quiet"} 0
rollcall_event_chat_authors{event="twin"} 3
`
		if err := testutil.CollectAndCompare(NewAttendanceCollector(st, 0, nil), strings.NewReader(want), "rollcall_event_chat_authors"); err != nil {
			t.Fatal(err)
		}
	})
}
