package collector

import (
	"context"
	"net"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// inBubble runs f in a synctest bubble whose fake clock has first been
// moved to at. Inside, SystemClock reads and waits on the bubble's clock,
// which moves only when every goroutine of the bubble is durably blocked:
// a test that sleeps ten minutes has checked ten minutes of the code under
// test, however loaded the machine.
func inBubble(t *testing.T, at time.Time, f func(t *testing.T)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		time.Sleep(time.Until(at))
		f(t)
	})
}

// bubbleWaitFor lets the bubble's time pass step by step until cond holds, and
// fails once within has passed without it. within is a bound from the
// scenario, in the bubble's time, not from the machine's speed.
func bubbleWaitFor(t *testing.T, within, step time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for synctest.Wait(); !cond(); synctest.Wait() {
		if !time.Now().Before(deadline) {
			t.Fatalf("condition not met within %v", within)
		}
		time.Sleep(step)
	}
}

// pipeListener is an in-memory network for HTTP inside a bubble: the
// server accepts the far ends of net.Pipe connections that dial makes. A
// goroutine waiting on a pipe is durably blocked, where one waiting on a
// loopback socket is not, so the bubble's time moves while a request is in
// flight.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
	case <-ctx.Done():
	}
	client.Close()
	server.Close()
	return nil, net.ErrClosed
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// servePipe serves h over an in-memory network from inside a bubble and
// returns a transport that reaches it whatever the host in the URL. Both
// are closed when the test ends.
func servePipe(t *testing.T, h http.Handler) *http.Transport {
	t.Helper()
	l := &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
	srv := &http.Server{Handler: h}
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(l) }()
	tr := &http.Transport{DialContext: l.dial}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		_ = srv.Close()
		<-served
	})
	return tr
}
