package store

import (
	"context"
	"fmt"

	"github.com/seameo/rollcall/attendance"
)

// MetricGauges computes the attendance gauges of every event.
func (s *Store) MetricGauges(ctx context.Context) (attendance.AttendanceGauges, error) {
	var g attendance.AttendanceGauges
	queries := []struct {
		dst  *[]attendance.Gauge
		n    int
		name string
		q    string
	}{
		{&g.Registrations, 2, "registrations", `SELECT e.slug, r.role, COUNT(*) FROM registrations r JOIN events e ON e.id = r.event_id GROUP BY e.slug, r.role ORDER BY e.slug, r.role`},
		{&g.Linked, 1, "linked", `SELECT e.slug, COUNT(DISTINCT l.registration_id) FROM events e LEFT JOIN links l ON l.event_id = e.id GROUP BY e.slug ORDER BY e.slug`},
		{&g.CheckpointHits, 2, "checkpoint hits", `SELECT e.slug, c.number, COUNT(h.registration_id) FROM checkpoints c JOIN events e ON e.id = c.event_id
			LEFT JOIN checkpoint_hits h ON h.checkpoint_id = c.id GROUP BY e.slug, c.number ORDER BY e.slug, c.number`},
		{&g.Forms, 1, "forms", `SELECT e.slug, COUNT(f.id) FROM events e LEFT JOIN form_responses f ON f.event_id = e.id GROUP BY e.slug ORDER BY e.slug`},
		// Both types for every event, zero included, so that panels and alerts
		// see the series before the first certificate is decided.
		{&g.Certificates, 2, "certificates", `SELECT e.slug, t.type, COUNT(c.id) FROM events e
			CROSS JOIN (SELECT 'appreciation' AS type UNION ALL SELECT 'participation') t
			LEFT JOIN certificates c ON c.event_id = e.id AND c.type = t.type AND c.revoked_at = 0
			GROUP BY e.slug, t.type ORDER BY e.slug, t.type`},
		{&g.ChatAuthors, 2, "chat authors", `SELECT e.slug, s.video_id, s.chat_authors FROM streams s JOIN events e ON e.id = s.event_id ORDER BY e.slug, s.video_id`},
		{&g.EventChatAuthors, 1, "event chat authors", `SELECT e.slug, COUNT(DISTINCT a.channel_id) FROM events e
			LEFT JOIN streams s ON s.event_id = e.id LEFT JOIN chat_authors a ON a.stream_id = s.id GROUP BY e.slug ORDER BY e.slug`},
		{&g.ReachViews, 3, "analytics views", `SELECT e.slug, s.video_id, LOWER(r.bucket), r.views FROM reach_analytics r
			JOIN streams s ON s.id = r.stream_id JOIN events e ON e.id = s.event_id WHERE r.dimension = 'playback' ORDER BY e.slug, s.video_id, r.bucket`},
		{&g.ReachMinutes, 3, "analytics minutes", `SELECT e.slug, s.video_id, LOWER(r.bucket), r.minutes_watched FROM reach_analytics r
			JOIN streams s ON s.id = r.stream_id JOIN events e ON e.id = s.event_id WHERE r.dimension = 'playback' ORDER BY e.slug, s.video_id, r.bucket`},
		{&g.ReachCountryViews, 3, "analytics countries", `SELECT e.slug, s.video_id, r.bucket, r.views FROM reach_analytics r
			JOIN streams s ON s.id = r.stream_id JOIN events e ON e.id = s.event_id WHERE r.dimension = 'country' ORDER BY e.slug, s.video_id, r.bucket`},
	}
	for _, q := range queries {
		rows, err := s.db.QueryContext(ctx, q.q)
		if err != nil {
			return g, fmt.Errorf("store: metric %s: %w", q.name, err)
		}
		for rows.Next() {
			labels := make([]string, q.n)
			dst := make([]any, q.n+1)
			for i := range labels {
				dst[i] = &labels[i]
			}
			var v float64
			dst[q.n] = &v
			if err := rows.Scan(dst...); err != nil {
				rows.Close()
				return g, fmt.Errorf("store: metric %s: %w", q.name, err)
			}
			*q.dst = append(*q.dst, attendance.Gauge{Labels: labels, Value: v})
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return g, fmt.Errorf("store: metric %s: %w", q.name, err)
		}
	}
	return g, nil
}

// CertificateCounts returns an event's issued, unrevoked certificates per type.
func (s *Store) CertificateCounts(ctx context.Context, eventID int64) ([]attendance.CertificateCount, error) {
	var out []attendance.CertificateCount
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT type, COUNT(*) AS n FROM certificates WHERE event_id = ? AND revoked_at = 0
		GROUP BY type ORDER BY type`), eventID)
	if err != nil {
		return nil, fmt.Errorf("store: certificate counts of event %d: %w", eventID, err)
	}
	return out, nil
}
