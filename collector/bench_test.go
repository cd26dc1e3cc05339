package collector

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/collector/fakeyoutube"
)

// discardStore takes chat pages and keeps nothing but a count.
type discardStore struct{ messages int }

func (d *discardStore) CommitChatPage(_ context.Context, page attendance.ChatPage) error {
	d.messages += len(page.Messages)
	return nil
}

// BenchmarkIngestFromFake pulls every message of a chat from the fake at
// full speed through the real client (pages of 2000) into a store that
// discards them: the ceiling of the HTTP + JSON path.
func BenchmarkIngestFromFake(b *testing.B) {
	const n = 200_000
	clock := fakeyoutube.NewManualClock(t0)
	fake := fakeyoutube.New(clock, fakeyoutube.Options{DailyQuota: -1, History: n})
	fake.AddVideo(fakeyoutube.Video{ID: "bench", ScheduledStart: t0, ActualStart: t0})
	msgs := make([]fakeyoutube.Message, n)
	for i := range msgs {
		msgs[i] = fakeyoutube.Message{
			ID: fmt.Sprintf("LCC.bench%08d", i), AuthorChannelID: fmt.Sprintf("UC%022d", i%5000),
			AuthorName: "ผู้เข้าร่วม", Text: "K7QM-4X2P สวัสดีครับ from Bangkok",
			PublishedAt: t0.Add(time.Duration(i) * time.Millisecond),
		}
	}
	if err := fake.AddMessages("bench", msgs...); err != nil {
		b.Fatal(err)
	}
	clock.Set(t0.Add(time.Hour))
	srv := httptest.NewServer(fake)
	defer srv.Close()
	yt, err := NewYouTube(context.Background(), YouTubeConfig{APIKey: "bench", Endpoint: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	chatID := fakeyoutube.ChatIDOf("bench")
	store := &discardStore{}
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		token := ""
		for got := 0; got < n; {
			read, err := yt.ReadChat(ctx, chatID, token)
			if err != nil {
				b.Fatal(err)
			}
			if err := store.CommitChatPage(ctx, attendance.ChatPage{Messages: read.Messages, NextPageToken: read.NextPageToken}); err != nil {
				b.Fatal(err)
			}
			got += len(read.Messages)
			token = read.NextPageToken
		}
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(store.messages)/elapsed.Seconds(), "messages/s")
}
