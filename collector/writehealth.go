package collector

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/seameo/rollcall/attendance"
)

// writeWatch is the collector's Store with a memory of whether the
// database accepted the collector's last write. A database that answers
// reads but refuses writes (a full disk, a read-only or immutable SQLite
// file) passes a ping, so /readyz asks this too.
type writeWatch struct {
	Store
	clock Clock

	mu      sync.Mutex
	failing time.Time // when writes started failing; zero while they succeed
}

// note records a write's outcome. Answers about the lease or the fence are
// the database working; a cancelled call says nothing.
func (w *writeWatch) note(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case err == nil, errors.Is(err, attendance.ErrStaleFence), errors.Is(err, attendance.ErrLeaseLost):
		w.failing = time.Time{}
	case w.failing.IsZero():
		w.failing = w.clock.Now()
	}
}

// failingSince is when the database started refusing the collector's
// writes, zero when the last write succeeded.
func (w *writeWatch) failingSince() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failing
}

func (w *writeWatch) RecordStreamSample(ctx context.Context, streamID int64, s attendance.StreamSample) error {
	err := w.Store.RecordStreamSample(ctx, streamID, s)
	w.note(ctx, err)
	return err
}

func (w *writeWatch) CommitChatPage(ctx context.Context, page attendance.ChatPage) error {
	err := w.Store.CommitChatPage(ctx, page)
	w.note(ctx, err)
	return err
}

func (w *writeWatch) SetChatState(ctx context.Context, streamID, fence int64, state attendance.ChatState, detail string) error {
	err := w.Store.SetChatState(ctx, streamID, fence, state, detail)
	w.note(ctx, err)
	return err
}

func (w *writeWatch) AddQuotaUnits(ctx context.Context, credential, day, method string, units int64) (int64, error) {
	total, err := w.Store.AddQuotaUnits(ctx, credential, day, method, units)
	w.note(ctx, err)
	return total, err
}

func (w *writeWatch) AcquireLease(ctx context.Context, streamID int64, holder string, ttl time.Duration) (attendance.Lease, bool, error) {
	l, ok, err := w.Store.AcquireLease(ctx, streamID, holder, ttl)
	w.note(ctx, err)
	return l, ok, err
}

func (w *writeWatch) RenewLease(ctx context.Context, l attendance.Lease, ttl time.Duration) (attendance.Lease, error) {
	renewed, err := w.Store.RenewLease(ctx, l, ttl)
	w.note(ctx, err)
	return renewed, err
}

func (w *writeWatch) ReleaseLease(ctx context.Context, l attendance.Lease) error {
	err := w.Store.ReleaseLease(ctx, l)
	w.note(ctx, err)
	return err
}
