package main

import (
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// newRegistry builds the process's one metrics registry: Go runtime and
// process metrics, and rollcall_build_info. Components register their own
// metrics on it; nothing uses the default registry.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "rollcall_build_info",
		Help: "Build information of the running rollcall; always 1.",
	}, []string{"version", "goversion"})
	info.WithLabelValues(version(), runtime.Version()).Set(1)
	reg.MustRegister(info)
	return reg
}
