package collector

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/seameo/rollcall/attendance"
)

// memStore is a hand-written in-memory Store for tests. It keeps how many
// times each message id was handed to CommitChatPage, so tests can check
// exactly-once delivery, and the commit time of each message. The
// function fields, when set, run first and may fail a call.
type memStore struct {
	clock Clock

	mu         sync.Mutex
	streams    map[int64]*attendance.Stream
	commits    map[string]int       // message id → times committed
	committed  map[string]time.Time // message id → when first committed
	published  map[string]time.Time
	pages      int
	states     []attendance.ChatState
	quota      map[string]int64 // credential|day → units
	quotaByM   map[string]int64 // method → units
	samples    int
	fence      int64
	commitHook func(page attendance.ChatPage) error
	listHook   func() error
	quotaHook  func() error // runs first in AddQuotaUnits: a database that refuses writes
}

func newMemStore(clock Clock, streams ...attendance.Stream) *memStore {
	st := &memStore{
		clock: clock, streams: map[int64]*attendance.Stream{}, commits: map[string]int{},
		committed: map[string]time.Time{}, published: map[string]time.Time{},
		quota: map[string]int64{}, quotaByM: map[string]int64{},
	}
	for _, s := range streams {
		s := s
		if s.State == "" {
			s.State = attendance.StreamUnknown
		}
		if s.ChatState == "" {
			s.ChatState = attendance.ChatWaiting
		}
		st.streams[s.ID] = &s
	}
	return st
}

func (m *memStore) TrackedStreams(ctx context.Context) ([]attendance.Stream, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.listHook != nil {
		if err := m.listHook(); err != nil {
			return nil, err
		}
	}
	var out []attendance.Stream
	for _, s := range m.streams {
		if s.State == attendance.StreamEnded && s.ChatState == attendance.ChatDrained {
			continue
		}
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (m *memStore) RecordStreamSample(ctx context.Context, id int64, x attendance.StreamSample) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.samples++
	apply(m.streams[id], x)
	return nil
}

func (m *memStore) CommitChatPage(ctx context.Context, page attendance.ChatPage) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.commitHook != nil {
		if err := m.commitHook(page); err != nil {
			return err
		}
	}
	now := m.clock.Now()
	m.pages++
	for _, msg := range page.Messages {
		m.commits[msg.ID]++
		if _, ok := m.committed[msg.ID]; !ok {
			m.committed[msg.ID] = now
			m.published[msg.ID] = msg.PublishedAt
		}
	}
	s := m.streams[page.StreamID]
	s.PageToken = page.NextPageToken
	if !page.OfflineAt.IsZero() {
		s.OfflineAt = page.OfflineAt
	}
	return nil
}

func (m *memStore) SetChatState(ctx context.Context, id, fence int64, state attendance.ChatState, detail string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.streams[id].ChatState = state
	m.states = append(m.states, state)
	return nil
}

func (m *memStore) AddQuotaUnits(ctx context.Context, credential, day, method string, units int64) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.quotaHook != nil {
		if err := m.quotaHook(); err != nil {
			return 0, err
		}
	}
	m.quota[credential+"|"+day] += units
	m.quotaByM[method] += units
	return m.quota[credential+"|"+day], nil
}

func (m *memStore) QuotaUsed(ctx context.Context, credential, day string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.quota[credential+"|"+day], nil
}

func (m *memStore) stream(id int64) attendance.Stream {
	m.mu.Lock()
	defer m.mu.Unlock()
	return *m.streams[id]
}

func (m *memStore) AcquireLease(ctx context.Context, streamID int64, holder string, ttl time.Duration) (attendance.Lease, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fence++
	return attendance.Lease{StreamID: streamID, Holder: holder, Fence: m.fence, Expires: time.Now().Add(ttl)}, true, nil
}

func (m *memStore) RenewLease(ctx context.Context, l attendance.Lease, ttl time.Duration) (attendance.Lease, error) {
	l.Expires = time.Now().Add(ttl)
	return l, nil
}

func (m *memStore) ReleaseLease(ctx context.Context, l attendance.Lease) error { return nil }

// quotaTotal is every unit the ledger holds.
func (m *memStore) quotaTotal() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for _, u := range m.quotaByM {
		n += u
	}
	return n
}
