package store_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/roster"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

// registrationCSV returns a registration export of n people with names in
// the region's scripts, as a form tool writes it.
func registrationCSV(n int) []byte {
	names := []string{"สมศักดิ์ ศรีสุข", "សុខ ស្រីពេជ្រ", "ສົມສັກ ພົມມະວົງ", "အောင်ဆန်းစုကြည်", "Nguyễn Thị Ngọc Ánh", "Siti Nurhaliza", "José Rizal"}
	countries := []string{"Thailand", "Cambodia", "Lao PDR", "Myanmar", "Viet Nam", "Malaysia", "Philippines"}
	var b bytes.Buffer
	b.WriteString("\uFEFFTimestamp,Full Name,Email Address,Country,Institution / Organization,Role,Position\r\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "2026/11/01 9:%02d:00 AM,%s %d,person%d@school%d.example.org,%s,School %d,Participant,Teacher\r\n",
			i%60, names[i%len(names)], i, i, i%500, countries[i%len(countries)], i%900)
	}
	return b.Bytes()
}

// BenchmarkImportRegistrations100k reads and imports 100,000 registrations
// into an empty event: the file parse, validation, code generation and the
// one-transaction write. Target: under 5 s per op on SQLite and PostgreSQL.
func BenchmarkImportRegistrations100k(b *testing.B) {
	data := registrationCSV(100_000)
	for _, e := range storetest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			ctx := context.Background()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s := storetest.Open(b, e)
				ev, err := s.CreateEvent(ctx, attendance.Event{Slug: "bench", Title: "Bench", Policy: attendance.DefaultPolicy()})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				r, err := roster.Read(bytes.NewReader(data), "bench.csv", nil)
				if err != nil {
					b.Fatal(err)
				}
				res, err := s.ImportRegistrations(ctx, ev.ID, r.Registrations, false)
				if err != nil || res.Added != 100_000 {
					b.Fatal(res, err)
				}
				b.StopTimer()
				// A second import of the same file changes nothing.
				res, err = s.ImportRegistrations(ctx, ev.ID, r.Registrations, false)
				if err != nil || res.Unchanged != 100_000 {
					b.Fatal(res, err)
				}
				s.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(100_000*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
