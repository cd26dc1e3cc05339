package replay_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/replay"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

const replayLines = 1_000_000

// writeReplayFile writes a yt-dlp live_chat.json of n lines: text messages
// from 20,000 channels, 5% with attendance codes.
func writeReplayFile(tb testing.TB, n int, codes []string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "big.live_chat.json")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	base := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC).UnixMicro()
	for i := 0; i < n; i++ {
		text := "good morning from Manila, very insightful"
		if i%20 == 0 && len(codes) > 0 {
			text = "my code " + attendance.FormatCode(codes[i%len(codes)])
		}
		fmt.Fprintf(w, `{"replayChatItemAction":{"actions":[{"addChatItemAction":{"item":{"liveChatTextMessageRenderer":{"message":{"runs":[{"text":%q}]},"authorName":{"simpleText":"Viewer %d"},"authorPhoto":{"thumbnails":[{"url":"https://yt4.ggpht.com/x","width":32,"height":32}]},"id":"ChwKGkNJ%010d","timestampUsec":"%d","authorExternalChannelId":"UC%022d"}},"clientId":"CJ%d"}}],"videoOffsetTimeMsec":"%d"}}`+"\n",
			text, i%20000, i, base+int64(i)*5000, i%20000, i, i*5)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	return path
}

// BenchmarkReplayParse reads a 1,000,000-line replay file.
func BenchmarkReplayParse(b *testing.B) {
	if testing.Short() {
		b.Skip("writes a 1,000,000-line file")
	}
	path := writeReplayFile(b, replayLines, nil)
	for b.Loop() {
		f, _ := os.Open(path)
		r := replay.NewReader(f)
		n := 0
		for {
			ms, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n += len(ms)
		}
		f.Close()
		if n != replayLines {
			b.Fatalf("%d messages", n)
		}
	}
	b.ReportMetric(float64(replayLines*b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkReplayImport imports a 1,000,000-line replay file through the
// ingest path into an event of 10,000 registrations.
func BenchmarkReplayImport(b *testing.B) {
	if testing.Short() {
		b.Skip("imports 1,000,000 messages")
	}
	for _, e := range storetest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				b.StopTimer()
				s := storetest.Open(b, e)
				ev, err := s.CreateEvent(ctx, attendance.Event{Slug: "replay", Title: "Replay", Policy: attendance.DefaultPolicy(), VideoIDs: []string{"dQw4w9WgXcQ"}})
				if err != nil {
					b.Fatal(err)
				}
				regs := make([]attendance.Registration, 10_000)
				for i := range regs {
					regs[i] = attendance.Registration{FullName: fmt.Sprintf("P %d", i), Email: fmt.Sprintf("p%d@example.org", i), Role: attendance.RoleParticipant}
				}
				if _, err := s.ImportRegistrations(ctx, ev.ID, regs, false); err != nil {
					b.Fatal(err)
				}
				var codes []string
				_ = s.EachRegistration(ctx, ev.ID, func(r attendance.Registration) error { codes = append(codes, r.Code); return nil })
				path := writeReplayFile(b, replayLines, codes)
				streams, _ := s.Streams(ctx, ev.ID)
				f, _ := os.Open(path)
				b.StartTimer()
				start := time.Now()
				res, err := replay.Import(ctx, s, streams[0].ID, replay.NewReader(f), replay.DefaultBatch, func(*replay.LineError) {})
				if err != nil {
					b.Fatal(err)
				}
				el := time.Since(start)
				b.StopTimer()
				f.Close()
				if res.Added != replayLines {
					b.Fatalf("%+v", res)
				}
				b.ReportMetric(float64(replayLines)/el.Seconds(), "lines/s")
				b.StartTimer()
			}
		})
	}
}
