package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
	"github.com/seameo/rollcall/collector/fakeyoutube"
)

// BenchmarkServeBacklog measures the daemon itself: `rollcall serve` (a
// subprocess, the real client) drains a backlog of ROLLCALL_BENCH_MESSAGES
// (default 100,000) chat messages from the fake YouTube into SQLite and
// PostgreSQL. It reports the daemon's peak RSS (VmHWM), which the fake, living
// in the test process, does not inflate, and messages/s — bounded by design:
// the poller never reads a chat sooner than 1 s after the last read (YouTube's
// pollingIntervalMillis, floored), so one chat drains at most 2,000 messages
// a second. BenchmarkIngestMillion in package collector measures the path's
// full speed.
func BenchmarkServeBacklog(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("ROLLCALL_BENCH_MESSAGES")); err == nil && v > 0 {
		n = v
	}
	bin, err := buildOnce()
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now().UTC().Add(-time.Hour)
	msgs := make([]fakeyoutube.Message, n)
	texts := []string{"สวัสดีครับ from Bangkok", "Xin chào từ Hà Nội", "ជំរាបសួរ", "my code is k7qm-4x2p", "Salam dari Kuala Lumpur"}
	for i := range msgs {
		msgs[i] = fakeyoutube.Message{ID: fmt.Sprintf("LCC.s%08d", i), AuthorChannelID: fmt.Sprintf("UC%022d", i%20000),
			AuthorName: "ผู้เข้าร่วม", Text: texts[i%len(texts)], PublishedAt: t0.Add(time.Duration(i) * time.Millisecond)}
	}
	for _, e := range storetest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				clock := fakeyoutube.NewSpeedClock(time.Now().UTC(), 1)
				fake := fakeyoutube.New(clock, fakeyoutube.Options{DailyQuota: -1, History: n, PollingMillis: 1})
				fake.AddVideo(fakeyoutube.Video{ID: "benchServe1", ScheduledStart: t0, ActualStart: t0})
				if err := fake.AddMessages("benchServe1", msgs...); err != nil {
					b.Fatal(err)
				}
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				srv := &http.Server{Handler: fake}
				go func() { _ = srv.Serve(ln) }()
				dsn := e.DSN(b)
				var out strings.Builder
				c := &cli{t: nil, env: map[string]string{"ROLLCALL_DB": dsn}}
				if code := run([]string{"event", "create", "bench", "--title", "Bench", "--video", "benchServe1"}, strings.NewReader(""), &out, &out, func(k string) string { return c.env[k] }); code != 0 {
					b.Fatalf("event create: %s", out.String())
				}
				st, err := store.Open(context.Background(), dsn)
				if err != nil {
					b.Fatal(err)
				}
				cmd := execServe(bin, dsn, "http://"+ln.Addr().String()+"/")
				b.StartTimer()
				start := time.Now()
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				var peakKB int64
				for {
					if kb := vmHWM(cmd.Process.Pid); kb > peakKB {
						peakKB = kb
					}
					sum, err := st.Summary(context.Background(), "bench")
					if err == nil && sum.Streams[0].ChatMessages >= int64(n) {
						break
					}
					if time.Since(start) > 10*time.Minute {
						b.Fatalf("only %d of %d messages after 10 minutes", sum.Streams[0].ChatMessages, n)
					}
					time.Sleep(200 * time.Millisecond)
				}
				elapsed := time.Since(start)
				b.StopTimer()
				if kb := vmHWM(cmd.Process.Pid); kb > peakKB {
					peakKB = kb
				}
				_ = cmd.Process.Signal(syscall.SIGTERM)
				_ = cmd.Wait()
				st.Close()
				srv.Close()
				b.ReportMetric(float64(n)/elapsed.Seconds(), "messages/s")
				b.ReportMetric(float64(peakKB)/1024, "peak-RSS-MiB")
				b.StartTimer()
			}
		})
	}
}

// vmHWM reads a process's peak resident set size in KiB from /proc.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), " kB"), 10, 64)
			return kb
		}
	}
	return 0
}

func execServe(bin, dsn, endpoint string) *exec.Cmd {
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--log-level", "warn")
	cmd.Env = append(os.Environ(), "ROLLCALL_DB="+dsn, "ROLLCALL_YOUTUBE_ENDPOINT="+endpoint, "ROLLCALL_YOUTUBE_API_KEY=bench")
	return cmd
}
