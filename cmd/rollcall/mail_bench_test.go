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

// BenchmarkMail10k measures rollcall mail certificates for 10,000 people:
// every certificate issued, rendered and queued, and sent to a real SMTP
// server on loopback, PDF attached. It reports each run's peak memory
// (maximum resident set size, MB) and CPU time beside its wall time
// (ns/op); issue 14's targets are 2 minutes and 200 MB.
// ROLLCALL_MAIL_BENCH=N runs a smaller event, to look at.
//
//	go test -run '^$' -bench BenchmarkMail10k -benchtime 1x ./cmd/rollcall/
func BenchmarkMail10k(b *testing.B) {
	bin := binary(b)
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("ROLLCALL_MAIL_BENCH")); err == nil && v > 1 {
		n = v
	}
	var peakMB, cpu float64
	for range b.N {
		b.StopTimer()
		c, _, people := mailEvent(b, n) // a fresh event: a run mails each person once
		srv := newSMTPServer(b)
		srv.configure(func(s *smtpServer) { s.keepRaw = false })
		cmd := exec.Command(bin, mailArgs("certificates", srv)...)
		cmd.Env = append(os.Environ(), "ROLLCALL_DB="+c.db, "USER=tester")
		b.StartTimer()
		out, err := cmd.CombinedOutput()
		b.StopTimer()
		if err != nil {
			b.Fatalf("%v:\n%s", err, out)
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		peakMB = max(peakMB, float64(ru.Maxrss)/1024) // Linux reports KiB
		cpu += time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
		if got := srv.count(); got != len(people) {
			b.Fatalf("%d messages, want %d", got, len(people))
		}
		b.Logf("%d certificates: %s", n, strings.TrimSpace(lastLine(string(out))))
	}
	b.ReportMetric(peakMB, "peak-MB")
	b.ReportMetric(cpu/float64(b.N), "cpu-s/op")
}
