package certpdf

import (
	"context"
	"fmt"
	"image/color"
	"io"
	"iter"
	"runtime"
	"sync"
	"testing"
	"time"
)

// benchCertificates yields n certificates, cycling through the seeded
// names of every script, without holding them all.
func benchCertificates(n int) iter.Seq[Certificate] {
	return func(yield func(Certificate) bool) {
		for i := range n {
			c := sampleCertificate(seededNames[i%len(seededNames)].name)
			c.ID = fmt.Sprintf("K7QM%016d", i)
			c.VerifyURL = "https://rollcall.example.org/verify/" + c.ID
			if i%20 == 0 {
				c.Type, c.Role = TypeAppreciation, "panelist"
			}
			if !yield(c) {
				return
			}
		}
	}
}

// benchTemplates are the default templates with a logo and two signatures,
// as an event would have them.
func benchTemplates(b *testing.B) map[Type]Template {
	tpls := DefaultTemplates()
	for t, tpl := range tpls {
		tpl.Logo = testPNG(&testing.T{}, 300, 120, color.RGBA{0x0b, 0x3d, 0x6e, 0xff})
		tpl.Signatories = []Signatory{
			{Name: "Dr. Ethel Agnes Pascua-Valenzuela", Title: "Director, SEAMEO Secretariat", Signature: testPNG(&testing.T{}, 240, 80, color.RGBA{0x22, 0x22, 0x88, 0xff})},
			{Name: "ณัฐวุฒิ ศรีสุข", Title: "Programme Officer", Signature: testPNG(&testing.T{}, 240, 80, color.RGBA{0x22, 0x22, 0x88, 0xff})},
		}
		tpls[t] = tpl
	}
	return tpls
}

// peakHeap samples the heap in use until stop is called and returns the
// largest value seen, in bytes.
func peakHeap() (stop func() uint64) {
	var (
		mu   sync.Mutex
		peak uint64
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		mu.Lock()
		peak = max(peak, ms.HeapInuse)
		mu.Unlock()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		sample()
		return peak
	}
}

// BenchmarkRenderZIP10000 renders 10,000 certificates into a ZIP written to
// io.Discard per iteration; run it with -benchtime=1x. It reports the time
// per certificate and the peak heap in use.
func BenchmarkRenderZIP10000(b *testing.B) {
	benchmarkRenderZIP(b, 10000)
}

// BenchmarkRenderZIP500 is the same on 500 certificates, for quick runs.
func BenchmarkRenderZIP500(b *testing.B) {
	benchmarkRenderZIP(b, 500)
}

func benchmarkRenderZIP(b *testing.B, n int) {
	r := testRenderer(b)
	tpls := benchTemplates(b)
	runtime.GC()
	stop := peakHeap()
	start := time.Now()
	var written countingWriter
	b.ResetTimer()
	for range b.N {
		rep, err := r.RenderZIP(context.Background(), &written, tpls, benchCertificates(n))
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Failures) > 0 {
			b.Fatal(rep.Failures[0].Err)
		}
	}
	b.StopTimer()
	elapsed := time.Since(start)
	peak := stop()
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N*n)/1e6, "ms/cert")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(written.n)/float64(b.N*n)/1024, "KiB/pdf")
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return io.Discard.Write(p)
}

// BenchmarkRender renders one certificate per iteration.
func BenchmarkRender(b *testing.B) {
	r := testRenderer(b)
	tpl := benchTemplates(b)[TypeParticipation]
	c := sampleCertificate("สมศักดิ์ ศรีสุข")
	b.ResetTimer()
	for range b.N {
		if err := r.Render(context.Background(), io.Discard, tpl, c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderChinese renders a Latin name with its Chinese one beside
// it, whose Noto Sans CJK run is drawn as outlines.
func BenchmarkRenderChinese(b *testing.B) {
	r := testRenderer(b)
	tpl := benchTemplates(b)[TypeParticipation]
	c := sampleCertificate("Lim Wei Ling 林慧玲")
	if err := r.Render(context.Background(), io.Discard, tpl, c); err != nil { // fonts parsed before the clock starts
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if err := r.Render(context.Background(), io.Discard, tpl, c); err != nil {
			b.Fatal(err)
		}
	}
}
