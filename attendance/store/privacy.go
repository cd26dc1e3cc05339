package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/seameo/rollcall/attendance"
)

// PurgeChatText blanks the raw API data older than before: the text,
// display text and author name of chat messages published before it, and the display name
// of chat authors last seen before it. Links, checkpoint hits, activity
// minutes and counts stay: they are the evidence certificates rest on. It
// returns the rows blanked. The daemon calls it periodically with now minus
// --retain-chat-text.
func (s *Store) PurgeChatText(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.purge(ctx, `published_at < ?`, `last_at < ?`, us(before))
	if err != nil {
		return 0, fmt.Errorf("store: purge chat text: %w", err)
	}
	return n, nil
}

// PurgeEventChatText blanks all chat text and names of an event's streams now.
func (s *Store) PurgeEventChatText(ctx context.Context, eventID int64) (int64, error) {
	q := `stream_id IN (SELECT id FROM streams WHERE event_id = ?)`
	n, err := s.purge(ctx, q, q, eventID)
	if err != nil {
		return 0, fmt.Errorf("store: purge chat text of event %d: %w", eventID, err)
	}
	return n, nil
}

func (s *Store) purge(ctx context.Context, msgWhere, authorWhere string, arg any) (int64, error) {
	var total int64
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE chat_messages SET text = '', display_text = '', author_name = ''
			WHERE `+msgWhere+` AND (text <> '' OR display_text <> '' OR author_name <> '')`), arg)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		total += n
		res, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE chat_authors SET display_name = '' WHERE `+authorWhere+` AND display_name <> ''`), arg)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		total += n
		return nil
	})
	return total, err
}

// PersonRecord is everything rollcall holds about one person in one event,
// for a data subject's request.
type PersonRecord struct {
	Registration attendance.Registration  `json:"registration"`
	Links        []PersonLink             `json:"links"`
	Conflicts    []PersonLink             `json:"conflicts"`
	Checkpoints  []PersonHit              `json:"checkpoint_hits"`
	Form         *attendance.FormResponse `json:"form,omitempty"`
	Certificates []PersonCertificate      `json:"certificates"`
	Overrides    []attendance.Override    `json:"overrides"`
	Messages     []PersonMessage          `json:"chat_messages"`
	Channels     []PersonChannel          `json:"chat_channels"`
}

// PersonLink is a link or conflict between the person and a chat channel.
type PersonLink struct {
	ChannelID string    `json:"channel_id" db:"channel_id"`
	Kind      string    `json:"kind" db:"kind"` // method of a link, kind of a conflict
	MessageID string    `json:"message_id,omitempty" db:"message_id"`
	At        time.Time `json:"at" db:"-"`
	AtUS      int64     `json:"-" db:"at"`
}

// PersonHit is a checkpoint hit, by checkpoint number.
type PersonHit struct {
	Checkpoint int       `json:"checkpoint" db:"number"`
	Source     string    `json:"source" db:"source"`
	ChannelID  string    `json:"channel_id,omitempty" db:"channel_id"`
	At         time.Time `json:"at" db:"-"`
	AtUS       int64     `json:"-" db:"at"`
}

// PersonCertificate is a certificate issued to the person.
type PersonCertificate struct {
	ID       string    `json:"id" db:"id"`
	Type     string    `json:"type" db:"type"`
	Issued   time.Time `json:"issued_at" db:"-"`
	IssuedUS int64     `json:"-" db:"issued_at"`
}

// PersonMessage is a chat message of a linked channel.
type PersonMessage struct {
	VideoID   string `json:"video_id" db:"video_id"`
	ChannelID string `json:"channel_id" db:"author_channel_id"`
	Author    string `json:"author_name" db:"author_name"`
	Text      string `json:"text" db:"text"`
	// DisplayText is YouTube's displayMessage (a Super Chat's amount and
	// the buyer's name), held until retention blanks it.
	DisplayText string    `json:"display_text,omitempty" db:"display_text"`
	At          time.Time `json:"published_at" db:"-"`
	AtUS        int64     `json:"-" db:"published_at"`
}

// PersonChannel is what is held about a linked channel per stream.
type PersonChannel struct {
	VideoID     string    `json:"video_id" db:"video_id"`
	ChannelID   string    `json:"channel_id" db:"channel_id"`
	DisplayName string    `json:"display_name" db:"display_name"`
	Messages    int64     `json:"messages" db:"messages"`
	Minutes     int64     `json:"active_minutes" db:"minutes"`
	First       time.Time `json:"first_at" db:"-"`
	Last        time.Time `json:"last_at" db:"-"`
	FirstUS     int64     `json:"-" db:"first_at"`
	LastUS      int64     `json:"-" db:"last_at"`
}

// Person returns everything held about the person with that email in an event.
func (s *Store) Person(ctx context.Context, eventID int64, email string) (PersonRecord, error) {
	var p PersonRecord
	reg, err := s.Registration(ctx, eventID, email)
	if err != nil {
		return p, err
	}
	p.Registration = reg
	id := reg.ID
	q := func(dest any, query string, args ...any) {
		if err == nil {
			err = s.db.SelectContext(ctx, dest, s.db.Rebind(query), args...)
		}
	}
	q(&p.Links, `SELECT channel_id, method AS kind, message_id, linked_at AS at FROM links WHERE registration_id = ? ORDER BY id`, id)
	q(&p.Conflicts, `SELECT channel_id, kind, message_id, at FROM link_conflicts WHERE registration_id = ? ORDER BY id`, id)
	q(&p.Checkpoints, `SELECT c.number, h.source, h.channel_id, h.at FROM checkpoint_hits h JOIN checkpoints c ON c.id = h.checkpoint_id
		WHERE h.registration_id = ? ORDER BY c.number`, id)
	q(&p.Certificates, `SELECT id, type, issued_at FROM certificates WHERE registration_id = ? ORDER BY issued_at`, id)
	q(&p.Messages, `SELECT st.video_id, m.author_channel_id, m.author_name, m.text, m.display_text, m.published_at FROM chat_messages m
		JOIN streams st ON st.id = m.stream_id JOIN links l ON l.event_id = st.event_id AND l.channel_id = m.author_channel_id
		WHERE l.registration_id = ? ORDER BY m.published_at, m.id`, id)
	q(&p.Channels, `SELECT st.video_id, ca.channel_id, ca.display_name, ca.messages, ca.first_at, ca.last_at,
		(SELECT COUNT(*) FROM chat_activity a WHERE a.stream_id = ca.stream_id AND a.channel_id = ca.channel_id) AS minutes
		FROM chat_authors ca JOIN streams st ON st.id = ca.stream_id JOIN links l ON l.event_id = st.event_id AND l.channel_id = ca.channel_id
		WHERE l.registration_id = ? ORDER BY st.id, ca.channel_id`, id)
	var forms []formRow
	q(&forms, `SELECT id, event_id, registration_id, email, submitted_at, certificate_name, code, answers FROM form_responses WHERE registration_id = ?`, id)
	var ovs []struct {
		Cert  string `db:"certificate"`
		Why   string `db:"reason"`
		Staff string `db:"staff"`
		At    int64  `db:"created_at"`
	}
	q(&ovs, `SELECT certificate, reason, staff, created_at FROM overrides WHERE registration_id = ? ORDER BY id`, id)
	if err != nil {
		return p, fmt.Errorf("store: person record: %w", err)
	}
	for i := range p.Links {
		p.Links[i].At = fromUS(p.Links[i].AtUS)
	}
	for i := range p.Conflicts {
		p.Conflicts[i].At = fromUS(p.Conflicts[i].AtUS)
	}
	for i := range p.Checkpoints {
		p.Checkpoints[i].At = fromUS(p.Checkpoints[i].AtUS)
	}
	for i := range p.Certificates {
		p.Certificates[i].Issued = fromUS(p.Certificates[i].IssuedUS)
	}
	for i := range p.Messages {
		p.Messages[i].At = fromUS(p.Messages[i].AtUS)
	}
	for i := range p.Channels {
		p.Channels[i].First, p.Channels[i].Last = fromUS(p.Channels[i].FirstUS), fromUS(p.Channels[i].LastUS)
	}
	if len(forms) > 0 {
		f := forms[0].response()
		p.Form = &f
	}
	for _, o := range ovs {
		p.Overrides = append(p.Overrides, attendance.Override{Certificate: storedCert(o.Cert), Why: o.Why, Staff: o.Staff, At: fromUS(o.At)})
	}
	return p, nil
}

// PersonDeleted counts what DeletePerson removed.
type PersonDeleted struct {
	Channels     int   // chat channels whose data was removed
	SharedKept   int   // linked channels kept because other people are linked to them too
	ChatMessages int64 // messages removed
}

// DeletePerson removes a person from an event: the registration with its
// links, conflicts, checkpoint hits, form response, certificates and
// overrides, and the chat messages, author rows, activity and moderation
// (bans of the channel, deletions of its messages) of the channels linked
// only to them in this event's streams. The audit entry
// names the registration id, not the person.
func (s *Store) DeletePerson(ctx context.Context, eventID int64, email, staff string) (PersonDeleted, error) {
	var out PersonDeleted
	reg, err := s.Registration(ctx, eventID, email)
	if err != nil {
		return out, err
	}
	err = s.tx(ctx, func(tx *sqlx.Tx) error {
		var chans []string
		if err := tx.SelectContext(ctx, &chans, tx.Rebind(`SELECT l.channel_id FROM links l WHERE l.registration_id = ?
			AND NOT EXISTS (SELECT 1 FROM links o WHERE o.event_id = l.event_id AND o.channel_id = l.channel_id AND o.registration_id <> l.registration_id)`), reg.ID); err != nil {
			return err
		}
		var all int
		if err := tx.GetContext(ctx, &all, tx.Rebind(`SELECT COUNT(*) FROM links WHERE registration_id = ?`), reg.ID); err != nil {
			return err
		}
		out.Channels, out.SharedKept = len(chans), all-len(chans)
		streams := `stream_id IN (SELECT id FROM streams WHERE event_id = ?)`
		for _, ch := range chans {
			// Moderation of the channel first (its ban names it; a deletion
			// names its message), while its messages are still there.
			if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM chat_moderation WHERE `+streams+` AND (target_id = ?
				OR target_id IN (SELECT message_id FROM chat_messages WHERE `+streams+` AND author_channel_id = ?))`), eventID, ch, eventID, ch); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM chat_messages WHERE `+streams+` AND author_channel_id = ?`), eventID, ch)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			out.ChatMessages += n
			for _, table := range []string{"chat_authors", "chat_activity"} {
				if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM `+table+` WHERE `+streams+` AND channel_id = ?`), eventID, ch); err != nil {
					return err
				}
			}
		}
		// Children first: PostgreSQL and SQLite both cascade, but explicit
		// deletes do not depend on the foreign-key pragma.
		for _, table := range []string{"checkpoint_hits", "links", "link_conflicts", "form_responses", "outbox", "certificates", "overrides"} {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM `+table+` WHERE registration_id = ?`), reg.ID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM registrations WHERE id = ?`), reg.ID); err != nil {
			return err
		}
		return audit(ctx, tx, staff, "person delete", eventID, fmt.Sprintf("registration %d", reg.ID),
			fmt.Sprintf("%d channels, %d chat messages removed; %d shared channels kept", out.Channels, out.ChatMessages, out.SharedKept), us(s.now()))
	})
	if err != nil {
		return PersonDeleted{}, fmt.Errorf("store: delete person: %w", err)
	}
	return out, nil
}
