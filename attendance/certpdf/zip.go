package certpdf

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"io"
	"iter"
	"runtime"
	"strings"
	"sync"
	"time"
)

// ZIPName returns the name of a certificate's PDF inside the archive:
// "<type>-<id>.pdf", with any rune other than a letter, digit, '-' or '_'
// of the id replaced by '_'.
func ZIPName(c Certificate) string {
	id := strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, c.ID)
	return string(c.Type) + "-" + id + ".pdf"
}

// RenderZIP writes one PDF per certificate into a ZIP archive on w, in the
// order certs yields them, named by ZIPName. Certificates are rendered on
// every core while at most a few finished PDFs wait in memory, so an event
// of any size streams through in constant memory.
//
// tpls gives the template of each certificate type; a type missing from it
// uses DefaultTemplate. A certificate that cannot be drawn right (a name no
// installed font covers, an unknown type, an id another certificate has
// already taken) never stops the others: it is left out, listed in the
// Report, and the archive ends with FailuresName, which says which
// certificates are missing and why, with their names, for staff. Only a
// write error or ctx being done stops the work; the archive is then
// incomplete and should be discarded.
func (r *Renderer) RenderZIP(ctx context.Context, w io.Writer, tpls map[Type]Template, certs iter.Seq[Certificate]) (Report, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	pages := map[Type]*page{}
	pageOf := func(t Type) (*page, error) {
		if p, ok := pages[t]; ok {
			return p, nil
		}
		tpl, ok := tpls[t]
		if !ok {
			if tpl, ok = DefaultTemplate(t); !ok {
				return nil, fmt.Errorf("no template for certificate type %q", t)
			}
		}
		p, err := preparePage(tpl)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", t, err)
		}
		pages[t] = p
		return p, nil
	}

	type job struct {
		cert Certificate
		page *page
		buf  bytes.Buffer
		err  error
		done chan struct{}
	}
	workers := runtime.GOMAXPROCS(0)
	work := make(chan *job)
	order := make(chan *job, 2*workers) // bounds the PDFs held in memory

	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				j.err = r.render(ctx, &j.buf, j.page, j.cert, false)
				close(j.done)
			}
		}()
	}

	// produce: read certificates in order, hand each to a worker and queue it for writing
	go func() {
		defer close(order)
		defer close(work)
		for c := range certs {
			j := &job{cert: c, done: make(chan struct{})}
			p, err := pageOf(c.Type)
			if err != nil {
				j.err = fmt.Errorf("certpdf: certificate %s: %w", c.ID, err)
				close(j.done)
			}
			j.page = p
			select {
			case order <- j:
			case <-ctx.Done():
				return
			}
			if err != nil {
				continue
			}
			select {
			case work <- j:
			case <-ctx.Done():
				j.err = context.Cause(ctx)
				close(j.done)
				return
			}
		}
	}()

	// consume: write finished PDFs in order
	zw := zip.NewWriter(w)
	// the PDFs' streams are left uncompressed and the archive deflates each
	// file at the fastest level: half the CPU of zlib's default in canvas
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	modified := time.Now()
	names := map[string]bool{}
	var rep Report
	var err error
	for j := range order {
		<-j.done
		if err != nil {
			continue // drain so that the producer and workers end
		}
		if j.err != nil {
			if ctx.Err() != nil {
				continue // not the certificate's fault
			}
			rep.Failures = append(rep.Failures, r.Failure(j.cert, j.err))
			continue
		}
		name := ZIPName(j.cert)
		if names[name] {
			rep.Failures = append(rep.Failures, r.Failure(j.cert, fmt.Errorf("certpdf: two certificates would be named %s in the archive", name)))
			continue
		}
		names[name] = true
		if cerr := writeZIPFile(zw, name, modified, j.buf.Bytes()); cerr != nil {
			err = cerr
			cancel(err)
		}
		rep.Rendered++
		j.buf = bytes.Buffer{} // let the PDF go
	}
	wg.Wait()
	if err == nil {
		if cerr := context.Cause(ctx); cerr != nil {
			err = fmt.Errorf("certpdf: render zip: %w", cerr)
		}
	}
	if err != nil {
		return rep, err
	}
	if len(rep.Failures) > 0 {
		var b bytes.Buffer
		if err := rep.WriteText(&b); err != nil {
			return rep, err
		}
		if err := writeZIPFile(zw, FailuresName, modified, b.Bytes()); err != nil {
			return rep, err
		}
	}
	if err := zw.Close(); err != nil {
		return rep, fmt.Errorf("certpdf: close zip: %w", err)
	}
	return rep, nil
}

func writeZIPFile(zw *zip.Writer, name string, modified time.Time, b []byte) error {
	f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: modified})
	if err == nil {
		_, err = f.Write(b)
	}
	if err != nil {
		return fmt.Errorf("certpdf: write %s to zip: %w", name, err)
	}
	return nil
}
