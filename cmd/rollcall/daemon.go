package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/collector"
)

// daemon is what `serve` and `demo` run: the collector, and the HTTP server
// with /metrics, /healthz and /readyz, joined by an errgroup and stopped by
// cancelling ctx.
type daemon struct {
	listen       string
	untilEnded   bool
	metricsToken string
	store        *store.Store
	registry     *prometheus.Registry
	collector    *collector.Collector
	clock        collector.Clock
	// onListen is told the address once the server listens.
	onListen func(addr string)
	// whileRunning runs beside the collector until ctx ends (the demo's
	// terminal figures).
	whileRunning func(ctx context.Context)
}

// shutdownGrace bounds how long in-flight HTTP requests may take after a
// SIGTERM; the whole process stops well within 5 s.
const shutdownGrace = 3 * time.Second

func (d *daemon) run(ctx context.Context, a *app) error {
	ln, err := net.Listen("tcp", d.listen)
	if err != nil {
		return usagef("--listen %s: %v", d.listen, err)
	}
	addr := ln.Addr().String()
	a.log.Info("listening", "component", "http", "addr", addr)
	if d.onListen != nil {
		d.onListen(addr)
	}
	srv := &http.Server{Handler: d.handler(), ReadHeaderTimeout: 10 * time.Second}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		err := d.collector.Run(gctx)
		if err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("collector: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, scancel := context.WithTimeout(context.WithoutCancel(gctx), shutdownGrace)
		defer scancel()
		return srv.Shutdown(sctx)
	})
	if d.whileRunning != nil {
		g.Go(func() error { d.whileRunning(gctx); return nil })
	}
	if d.untilEnded {
		g.Go(func() error {
			select {
			case <-d.collector.Done():
				a.log.Info("every tracked stream has ended and its chat is drained")
				cancel()
			case <-gctx.Done():
			}
			return nil
		})
	}
	err = g.Wait()
	if ctx.Err() != nil && err == nil {
		a.log.Info("stopped")
	}
	return err
}

// handler serves /metrics, /healthz and /readyz.
func (d *daemon) handler() http.Handler {
	mux := http.NewServeMux()
	metrics := promhttp.HandlerFor(d.registry, promhttp.HandlerOpts{Registry: d.registry})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if d.metricsToken != "" && r.Header.Get("Authorization") != "Bearer "+d.metricsToken {
			w.Header().Set("WWW-Authenticate", `Bearer realm="rollcall metrics"`)
			http.Error(w, "metrics need a bearer token", http.StatusUnauthorized)
			return
		}
		metrics.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := d.store.Ping(ctx); err != nil {
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		if !d.collector.Ready() {
			http.Error(w, "collector not running", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return mux
}
