package collector_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
	"github.com/seameo/rollcall/collector"
	"github.com/seameo/rollcall/collector/fakeyoutube"
)

// benchMessages is how many messages the ingest benchmarks move:
// ROLLCALL_BENCH_MESSAGES, default 1,000,000.
func benchMessages() int {
	if n, err := strconv.Atoi(os.Getenv("ROLLCALL_BENCH_MESSAGES")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

var benchT0 = time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)

// benchChat is a realistic chat: 20,000 channels, one message in twenty
// carries an attendance code, names and greetings in the region's scripts.
func benchChat(n int) []fakeyoutube.Message {
	texts := []string{"สวัสดีครับ from Bangkok", "Xin chào từ Hà Nội", "ជំរាបសួរ", "my code is k7qm-4x2p", "Salam dari Kuala Lumpur", "မင်္ဂလာပါ"}
	msgs := make([]fakeyoutube.Message, n)
	for i := range msgs {
		text := texts[i%len(texts)]
		if i%20 == 0 {
			text = fmt.Sprintf("code %04d-%04d", i%9000+1000, i%7000+2000) // not a registered code: looked up, not linked
		}
		msgs[i] = fakeyoutube.Message{
			ID: fmt.Sprintf("LCC.b%08d", i), AuthorChannelID: fmt.Sprintf("UC%022d", i%20000),
			AuthorName: "ผู้เข้าร่วม", Text: text, PublishedAt: benchT0.Add(time.Duration(i) * 5 * time.Millisecond),
		}
	}
	return msgs
}

// BenchmarkIngestMillion pulls ROLLCALL_BENCH_MESSAGES messages at full
// speed through the real client (pages of 2000) and commits every page with
// its cursor through the store's ingest path (dedupe, authors, presence,
// linking), on SQLite and on PostgreSQL. Two sources:
//   - fake: the fake YouTube encodes every response during the run; on two
//     cores its JSON encoding competes with rollcall for the CPU (about a
//     quarter of the samples in a profile), which YouTube's servers would not;
//   - recorded: the fake's responses are recorded before the timer and served
//     as bytes, so the run measures rollcall's path from HTTP response to
//     committed rows.
//
// It reports messages/s and the heap the ingest added.
func BenchmarkIngestMillion(b *testing.B) {
	n := benchMessages()
	msgs := benchChat(n)
	clock := fakeyoutube.NewManualClock(benchT0)
	fake := fakeyoutube.New(clock, fakeyoutube.Options{DailyQuota: -1, History: n})
	fake.AddVideo(fakeyoutube.Video{ID: "benchVideo1", ScheduledStart: benchT0, ActualStart: benchT0})
	if err := fake.AddMessages("benchVideo1", msgs...); err != nil {
		b.Fatal(err)
	}
	msgs = nil
	clock.Set(benchT0.Add(24 * time.Hour))
	live := httptest.NewServer(fake)
	defer live.Close()
	ctx := context.Background()
	chatID := fakeyoutube.ChatIDOf("benchVideo1")
	recorded := httptest.NewServer(recordPages(b, live.URL, chatID, n))
	defer recorded.Close()
	for _, src := range []struct{ name, url string }{{"fake", live.URL}, {"recorded", recorded.URL}} {
		yt, err := collector.NewYouTube(ctx, collector.YouTubeConfig{APIKey: "bench", Endpoint: src.url})
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range storetest.Engines() {
			b.Run(src.name+"/"+e.Name, func(b *testing.B) {
				for b.Loop() {
					b.StopTimer()
					st, streamID := benchStore(b, e)
					runtime.GC()
					var before, peak runtime.MemStats
					runtime.ReadMemStats(&before)
					b.StartTimer()
					start := time.Now()
					token := ""
					for got := 0; got < n; {
						read, err := yt.ReadChat(ctx, chatID, token)
						if err != nil {
							b.Fatal(err)
						}
						if err := st.CommitChatPage(ctx, attendance.ChatPage{StreamID: streamID, Messages: read.Messages, NextPageToken: read.NextPageToken}); err != nil {
							b.Fatal(err)
						}
						got += len(read.Messages)
						token = read.NextPageToken
						if got%100_000 < 2000 {
							runtime.ReadMemStats(&peak)
						}
					}
					elapsed := time.Since(start)
					b.StopTimer()
					sum, err := st.Summary(ctx, "bench")
					if err != nil || sum.Streams[0].ChatMessages != int64(n) {
						b.Fatalf("stored %+v, %v; want %d messages", sum.Streams, err, n)
					}
					b.ReportMetric(float64(n)/elapsed.Seconds(), "messages/s")
					b.ReportMetric(float64(int64(peak.HeapInuse)-int64(before.HeapInuse))/(1<<20), "ingest-heap-MiB")
					st.Close()
					b.StartTimer()
				}
			})
		}
	}
}

// recordPages reads every chat page of chatID from the fake at base and
// returns a handler that answers the same requests with the recorded bytes,
// keyed by page token.
func recordPages(b *testing.B, base, chatID string, n int) http.Handler {
	b.Helper()
	pages := map[string][]byte{}
	token := ""
	for got := 0; got < n; {
		q := url.Values{"liveChatId": {chatID}, "part": {"snippet", "authorDetails"}, "maxResults": {"2000"}, "key": {"bench"}}
		if token != "" {
			q.Set("pageToken", token)
		}
		resp, err := http.Get(base + "/youtube/v3/liveChat/messages?" + q.Encode())
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("record page: %v %s", err, body)
		}
		var page struct {
			NextPageToken string            `json:"nextPageToken"`
			Items         []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			b.Fatal(err)
		}
		pages[token] = body
		got += len(page.Items)
		token = page.NextPageToken
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := pages[r.URL.Query().Get("pageToken")]
		if !ok {
			http.Error(w, `{"error":{"code":400,"message":"no such page","errors":[{"reason":"pageTokenInvalid"}]}}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	})
}

// BenchmarkBulkInsertMillion inserts the same rows straight into
// chat_messages with multi-row INSERTs, 2000 a transaction, and no ingest
// logic: the ceiling BenchmarkIngestMillion is measured against.
func BenchmarkBulkInsertMillion(b *testing.B) {
	n := benchMessages()
	msgs := benchChat(n)
	ctx := context.Background()
	for _, e := range storetest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				st, streamID := benchStore(b, e)
				db := st.DB()
				b.StartTimer()
				start := time.Now()
				for i := 0; i < n; i += 2000 {
					chunk := msgs[i:min(i+2000, n)]
					tx, err := db.BeginTxx(ctx, nil)
					if err != nil {
						b.Fatal(err)
					}
					for j := 0; j < len(chunk); j += 500 {
						part := chunk[j:min(j+500, len(chunk))]
						q := `INSERT INTO chat_messages (stream_id, message_id, type, author_channel_id, author_name, text, published_at, received_at) VALUES `
						args := make([]any, 0, len(part)*8)
						for k, m := range part {
							if k > 0 {
								q += ","
							}
							q += "(?,?,?,?,?,?,?,?)"
							args = append(args, streamID, m.ID, attendance.MsgText, m.AuthorChannelID, m.AuthorName, m.Text, m.PublishedAt.UnixMicro(), m.PublishedAt.UnixMicro())
						}
						if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
							b.Fatal(err)
						}
					}
					if err := tx.Commit(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n)/time.Since(start).Seconds(), "messages/s")
				b.StopTimer()
				st.Close()
				b.StartTimer()
			}
		})
	}
}

func benchStore(b *testing.B, e storetest.Engine) (*store.Store, int64) {
	b.Helper()
	st := storetest.Open(b, e)
	ev, err := st.CreateEvent(context.Background(), attendance.Event{Slug: "bench", Title: "Bench", Policy: attendance.DefaultPolicy(), VideoIDs: []string{"benchVideo1"}})
	if err != nil {
		b.Fatal(err)
	}
	streams, err := st.Streams(context.Background(), ev.ID)
	if err != nil {
		b.Fatal(err)
	}
	return st, streams[0].ID
}
