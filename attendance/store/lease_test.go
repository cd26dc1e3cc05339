package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seameo/rollcall/attendance"
	"github.com/seameo/rollcall/attendance/store"
	"github.com/seameo/rollcall/attendance/store/storetest"
)

// clock is a time source tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestLeases(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			clk := &clock{t: time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)}
			s := storetest.Open(t, e, store.WithClock(clk.now))
			ev := newEvent(t, s, "lease", "dQw4w9WgXcQ")
			streams, _ := s.Streams(ctx, ev.ID)
			id := streams[0].ID
			const ttl = 15 * time.Second

			a, ok, err := s.AcquireLease(ctx, id, "replica-a", ttl)
			if err != nil || !ok || a.Fence != 1 {
				t.Fatalf("a acquires: %+v %v %v", a, ok, err)
			}
			if _, ok, _ := s.AcquireLease(ctx, id, "replica-b", ttl); ok {
				t.Fatal("b took a valid lease")
			}
			clk.add(10 * time.Second)
			if a, err = s.RenewLease(ctx, a, ttl); err != nil {
				t.Fatalf("renew: %v", err)
			}
			if err := s.CommitChatPage(ctx, attendance.ChatPage{StreamID: id, Messages: msgs(0, 3, clk.now()), NextPageToken: "a1", Fence: a.Fence}); err != nil {
				t.Fatal(err)
			}
			// a pauses (SIGSTOP) past its lease; b takes over with a higher fence.
			clk.add(16 * time.Second)
			b, ok, err := s.AcquireLease(ctx, id, "replica-b", ttl)
			if err != nil || !ok || b.Fence != 2 {
				t.Fatalf("b takes over: %+v %v %v", b, ok, err)
			}
			// a wakes up: its write and its renewal are refused.
			err = s.CommitChatPage(ctx, attendance.ChatPage{StreamID: id, Messages: msgs(3, 3, clk.now()), NextPageToken: "stale", Fence: a.Fence})
			if !errors.Is(err, store.ErrStaleFence) {
				t.Fatalf("stale write: %v", err)
			}
			if _, err := s.RenewLease(ctx, a, ttl); !errors.Is(err, store.ErrLeaseLost) {
				t.Fatalf("stale renew: %v", err)
			}
			streams, _ = s.Streams(ctx, ev.ID)
			if streams[0].PageToken != "a1" {
				t.Fatalf("b must resume from a's last committed token, got %q", streams[0].PageToken)
			}
			if err := s.ReleaseLease(ctx, b); err != nil {
				t.Fatal(err)
			}
			if c, ok, _ := s.AcquireLease(ctx, id, "replica-c", ttl); !ok || c.Fence != 3 {
				t.Fatalf("after release: %+v %v", c, ok)
			}
		})
	}
}

func TestClaimDaemonOnSQLite(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "one.db")
	s1, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	release, err := s1.ClaimDaemon(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	// The first daemon takes a chat lease, then dies (kill -9) holding it.
	ev := newEvent(t, s1, "claim", "dQw4w9WgXcQ")
	streams, _ := s1.Streams(context.Background(), ev.ID)
	dead, ok, err := s1.AcquireLease(context.Background(), streams[0].ID, "dead-daemon", time.Hour)
	if err != nil || !ok {
		t.Fatalf("first lease: %v %v", ok, err)
	}
	s2, err := store.Open(context.Background(), "sqlite:"+dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.ClaimDaemon(context.Background(), "sqlite:"+dsn); err == nil || !strings.Contains(err.Error(), "another rollcall daemon") {
		t.Fatalf("second daemon: %v", err)
	}
	if _, ok, _ := s2.AcquireLease(context.Background(), streams[0].ID, "new-daemon", time.Minute); ok {
		t.Fatal("a lease was taken while its holder's daemon runs")
	}
	release()
	r2, err := s2.ClaimDaemon(context.Background(), dsn)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	defer r2()
	// The file lock proves the first daemon dead: its lease is free at once.
	l, ok, err := s2.AcquireLease(context.Background(), streams[0].ID, "new-daemon", time.Minute)
	if err != nil || !ok || l.Fence <= dead.Fence {
		t.Fatalf("lease after the claim: %+v %v %v (dead holder's fence %d)", l, ok, err, dead.Fence)
	}
}

func TestSetChatStateIsFenced(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ev := newEvent(t, s, "fenced", "dQw4w9WgXcQ")
		streams, _ := s.Streams(ctx, ev.ID)
		id := streams[0].ID
		if err := s.CommitChatPage(ctx, attendance.ChatPage{StreamID: id, NextPageToken: "tok"}); err != nil {
			t.Fatal(err)
		}
		a, _, _ := s.AcquireLease(ctx, id, "a", time.Second)
		_ = s.ReleaseLease(ctx, a)
		b, _, _ := s.AcquireLease(ctx, id, "b", time.Minute)
		if err := s.SetChatState(ctx, id, a.Fence, attendance.ChatGap, "pageTokenInvalid"); !errors.Is(err, attendance.ErrStaleFence) {
			t.Fatalf("stale state: %v", err)
		}
		streams, _ = s.Streams(ctx, ev.ID)
		if streams[0].PageToken != "tok" {
			t.Fatal("a stale gap cleared the cursor")
		}
		if err := s.SetChatState(ctx, id, b.Fence, attendance.ChatPolling, ""); err != nil {
			t.Fatal(err)
		}
	})
}
