package dashboard

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/seameo/rollcall/attendance/store"
)

// seedHits stores n hits of checkpoint number for the first n
// registrations of the event, as the collector does when n linked people
// type the word in its window.
func seedHits(t testing.TB, st *store.Store, eventID int64, number, n int) {
	t.Helper()
	db := st.DB()
	var cpID int64
	if err := db.Get(&cpID, db.Rebind(`SELECT id FROM checkpoints WHERE event_id = ? AND number = ?`), eventID, number); err != nil {
		t.Fatalf("checkpoint %d: %v", number, err)
	}
	var regs []int64
	if err := db.Select(&regs, db.Rebind(`SELECT id FROM registrations WHERE event_id = ? ORDER BY id LIMIT ?`), eventID, n); err != nil || len(regs) < n {
		t.Fatalf("%d registrations for %d hits: %v", len(regs), n, err)
	}
	for i, id := range regs {
		if _, err := db.Exec(db.Rebind(`INSERT INTO checkpoint_hits (checkpoint_id, registration_id, channel_id, message_id, at) VALUES (?, ?, ?, ?, ?)`),
			cpID, id, fmt.Sprintf("UChit%018d", i), fmt.Sprintf("hit%d", i), int64(i)); err != nil {
			t.Fatal(err)
		}
	}
}

// auditLog is the event's audit log as "actor action subject" lines,
// sorted.
func auditLog(t testing.TB, st *store.Store, eventID int64) []string {
	t.Helper()
	rows, err := st.AuditLog(context.Background(), eventID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Actor + " " + r.Action + " " + r.Subject
	}
	sort.Strings(out)
	return out
}
