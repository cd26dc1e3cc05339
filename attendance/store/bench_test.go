package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

// chatWords make up realistic chat lines.
var chatWords = strings.Fields(`good morning from Manila hello everyone thank you greetings from Hanoi Bangkok
Phnom Penh Vientiane Jakarta Kuala Lumpur very insightful question for the panel how can teachers use this in rural schools
xin chào สวัสดีครับ ជំរាបសួរ terima kasih salamat po 👏 🎉 great point agree`)

// BenchmarkCommitChatPage commits pages of 2,000 realistic messages (5%
// with attendance codes in the forms people type them, some checkpoint
// answers) from 5,000 channels into an event of 10,000 registrations (one
// in ten with a handle) with 3 checkpoints, as the collector does.
func BenchmarkCommitChatPage(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			s := storetest.Open(b, e)
			ctx := context.Background()
			p := attendance.DefaultPolicy()
			p.MaxRegistrationsPerChannel = 3
			ev, err := s.CreateEvent(ctx, attendance.Event{Slug: "bench", Title: "Bench", Policy: p, VideoIDs: []string{"dQw4w9WgXcQ"}})
			if err != nil {
				b.Fatal(err)
			}
			regs := make([]attendance.Registration, 10_000)
			for i := range regs {
				regs[i] = attendance.Registration{FullName: fmt.Sprintf("Person %d", i), Email: fmt.Sprintf("p%d@example.org", i), Role: attendance.RoleParticipant}
				if i%10 == 0 { // one in ten gives a handle; half of those chat under it
					regs[i].YouTube = fmt.Sprintf("@viewer%d", i/2)
				}
			}
			if _, err := s.ImportRegistrations(ctx, ev.ID, regs, false); err != nil {
				b.Fatal(err)
			}
			var codes []string
			_ = s.EachRegistration(ctx, ev.ID, func(r attendance.Registration) error { codes = append(codes, r.Code); return nil })
			start := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
			for k, w := range []string{"Phở", "bamboo", "mekong"} {
				at := start.Add(time.Duration(k*20) * time.Minute)
				if _, err := s.AddCheckpoint(ctx, ev.ID, w, at, at.Add(10*time.Minute)); err != nil {
					b.Fatal(err)
				}
			}
			streams, _ := s.Streams(ctx, ev.ID)
			rng := rand.New(rand.NewPCG(7, 9))
			const pageSize = 2000
			n := 0
			page := func() attendance.ChatPage {
				ms := make([]attendance.ChatMessage, pageSize)
				for i := range ms {
					n++
					c := rng.IntN(5000)
					var text string
					switch r := rng.IntN(100); {
					case r < 5:
						code := attendance.FormatCode(codes[rng.IntN(len(codes))])
						switch rng.IntN(4) {
						case 0:
							text = "my code " + strings.ToLower(code)
						case 1:
							text = strings.ReplaceAll(code, "-", "")
						case 2:
							text = "hello from Cebu, " + code + " thanks"
						default:
							text = code
						}
					case r < 10:
						text = []string{"pho", "bamboo!", "I think mekong", "phở"}[rng.IntN(4)]
					default:
						var sb strings.Builder
						for w := 0; w < 3+rng.IntN(8); w++ {
							sb.WriteString(chatWords[rng.IntN(len(chatWords))])
							sb.WriteByte(' ')
						}
						text = sb.String()
					}
					ms[i] = attendance.ChatMessage{ID: fmt.Sprintf("LCC.%012d", n), Type: attendance.MsgText,
						AuthorChannelID: fmt.Sprintf("UC%022d", c), AuthorName: fmt.Sprintf("@viewer%d", c), Text: text,
						PublishedAt: start.Add(time.Duration(n) * 30 * time.Millisecond)}
				}
				return attendance.ChatPage{StreamID: streams[0].ID, Messages: ms, NextPageToken: fmt.Sprint(n)}
			}
			pages := make([]attendance.ChatPage, 0, 64)
			b.ResetTimer()
			var elapsed time.Duration
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				pages = append(pages[:0], page())
				b.StartTimer()
				t := time.Now()
				if err := s.CommitChatPage(ctx, pages[0]); err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(t)
			}
			b.ReportMetric(float64(b.N*pageSize)/elapsed.Seconds(), "msgs/s")
			var linked int
			_ = s.DB().GetContext(ctx, &linked, `SELECT COUNT(*) FROM links`)
			b.Logf("%d pages, %d links", b.N, linked)
		})
	}
}
