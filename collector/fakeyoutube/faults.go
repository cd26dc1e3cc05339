package fakeyoutube

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Fault is a misbehaviour the fake plays on a matching request. The call
// still costs its quota units, as a failed call does on YouTube.
type Fault struct {
	Method string // a Method* name; empty matches every method

	Status  int    // answer with this status and Google's error body
	Reason  string // errors[0].reason, e.g. rateLimitExceeded; default from Status
	Domain  string // errors[0].domain; default "global"
	Message string

	Delay                 time.Duration // wait (wall time) before answering; the request's context cuts it short
	Drop                  bool          // close the connection without an answer
	Truncate              bool          // send half of a good body, then close
	InvalidJSON           bool          // send a 200 whose body is not JSON
	PollingIntervalMillis *int64        // put this pollingIntervalMillis in an otherwise good chat page
	HugeBody              int64         // send a 200 body of this many bytes that never ends its JSON
}

type faultRule struct {
	fault Fault
	every int // 0: once
	seen  int
	done  bool
}

// Inject plays f on the next request that matches it.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultRule{fault: f})
}

// InjectEvery plays f on every n-th request that matches it, until
// ClearFaults.
func (s *Server) InjectEvery(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultRule{fault: f, every: max(n, 1)})
}

// ClearFaults drops every pending fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *Server) takeFaultLocked(method string) *Fault {
	var hit *Fault
	for _, r := range s.faults {
		if r.done || (r.fault.Method != "" && r.fault.Method != method) {
			continue
		}
		if r.every == 0 {
			if hit == nil {
				r.done = true
				f := r.fault
				hit = &f
			}
			continue
		}
		r.seen++
		if r.seen%r.every == 0 && hit == nil {
			f := r.fault
			hit = &f
		}
	}
	return hit
}

// apiError is the error a Status fault answers, REST or gRPC: Google's
// usual reason and domain for the status unless the fault names them.
func (f *Fault) apiError() *apiError {
	reason := f.Reason
	if reason == "" {
		reason = defaultReason(f.Status)
	}
	domain := f.Domain
	if domain == "" {
		domain = "global"
		if reason == "quotaExceeded" || reason == "rateLimitExceeded" {
			domain = "youtube.quota"
		}
	}
	msg := f.Message
	if msg == "" {
		msg = http.StatusText(f.Status)
	}
	return &apiError{status: f.Status, domain: domain, reason: reason, message: msg}
}

// defaultReason is Google's usual reason for a status.
func defaultReason(status int) string {
	switch status {
	case 400:
		return "badRequest"
	case 401:
		return "authError"
	case 403:
		return "forbidden"
	case 404:
		return "notFound"
	case 429:
		return "tooManyRequests"
	case 502:
		return "badGateway"
	default:
		return "backendError"
	}
}

// applyFault plays the part of f that comes before the handler; it
// returns false when the request has been answered (or dropped).
func applyFault(w http.ResponseWriter, r *http.Request, f *Fault) bool {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return false
		}
	}
	switch {
	case f.Drop:
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic(http.ErrAbortHandler)
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			_ = conn.Close()
		}
		return false
	case f.Status != 0:
		if f.Status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "2")
		}
		writeAPIError(w, f.apiError())
		return false
	case f.HugeBody > 0:
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(http.StatusOK)
		chunk := bytes.Repeat([]byte(`{"kind":"youtube#liveChatMessage","id":"x"},`), 1<<10)
		_, _ = w.Write([]byte(`{"kind":"youtube#liveChatMessageListResponse","items":[`))
		for sent := int64(0); sent < f.HugeBody; sent += int64(len(chunk)) {
			if _, err := w.Write(chunk); err != nil {
				return false
			}
		}
		return false
	}
	return true
}

// writeJSON answers 200 with v, mangled if f says so. It reports whether
// the client got the whole, valid body.
func writeJSON(w http.ResponseWriter, v any, f *Fault) bool {
	body, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "global", "backendError", "Backend Error")
		return false
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	switch {
	case f != nil && f.InvalidJSON:
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"kind": "youtube#liveChatMessageListResponse", "items": [<html>Service Unavailable`))
		return false
	case f != nil && f.Truncate:
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body[:len(body)/2])
		return false
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err == nil
}
