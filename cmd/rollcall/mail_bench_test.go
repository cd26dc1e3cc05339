package main

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMailBenchmark10k measures rollcall mail certificates for 10,000
// people: every certificate issued, rendered and queued, and sent to a
// real SMTP server on loopback, PDF attached. It reports the run's wall
// time and peak memory (maximum resident set size) and fails beyond the
// targets of issue 14 (2 minutes, 200 MB). Set ROLLCALL_MAIL_BENCH=1 to
// run it: it takes minutes.
func TestMailBenchmark10k(t *testing.T) {
	if os.Getenv("ROLLCALL_MAIL_BENCH") == "" {
		t.Skip("set ROLLCALL_MAIL_BENCH=1 to run the 10,000-certificate mail benchmark")
	}
	bin := binary(t)
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("ROLLCALL_MAIL_BENCH")); err == nil && v > 1 {
		n = v // a smaller run, to look at
	}
	c, _, people := mailEvent(t, n)
	srv := newSMTPServer(t)
	srv.configure(func(s *smtpServer) { s.keepRaw = false })
	start := time.Now()
	cmd := exec.Command(bin, mailArgs("certificates", srv)...)
	cmd.Env = append(os.Environ(), "ROLLCALL_DB="+c.db, "USER=tester")
	out, err := cmd.CombinedOutput()
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	peakMB := float64(ru.Maxrss) / 1024 // Linux reports KiB
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	t.Logf("%d certificates issued, rendered, queued and sent in %s (CPU %s); peak RSS %.0f MB; %s", n, elapsed.Round(time.Millisecond),
		cpu.Round(time.Millisecond), peakMB, strings.TrimSpace(lastLine(string(out))))
	if got := srv.count(); got != len(people) {
		t.Errorf("%d messages, want %d", got, len(people))
	}
	if elapsed > 2*time.Minute || peakMB > 200 {
		t.Errorf("over the target of 2 minutes and 200 MB")
	}
}
