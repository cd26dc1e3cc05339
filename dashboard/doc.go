// Package dashboard is rollcall's HTTP server: the staff web UI, the JSON API,
// CSV downloads, staff sign-in and sessions, /metrics, /healthz and /readyz.
// It holds no business rules; it asks package attendance and its store.
package dashboard
