-- +goose Up
-- Revocable badges (issue 14, item 3): each certificate gets a stable index
-- in its event's revocation status list (W3C Bitstring Status List), never
-- reused: events.status_next is the next index to give, so an index freed by
-- a person's deletion is not handed to someone else. Existing certificates
-- are numbered in issue order.
ALTER TABLE certificates ADD COLUMN status_index BIGINT;
ALTER TABLE events ADD COLUMN status_next BIGINT NOT NULL DEFAULT 0;
UPDATE certificates SET status_index = (SELECT COUNT(*) FROM certificates c2
    WHERE c2.event_id = certificates.event_id
    AND (c2.issued_at < certificates.issued_at OR (c2.issued_at = certificates.issued_at AND c2.id < certificates.id)));
UPDATE events SET status_next = (SELECT COUNT(*) FROM certificates c WHERE c.event_id = events.id);
CREATE UNIQUE INDEX certificates_status_index ON certificates (event_id, status_index);

-- Mail, exactly once (issue 14, item 4): one row per person, kind (codes,
-- certificates), version (the code or the certificate id mailed) and copy
-- (0, then 1, 2, … for each resend staff ask for). state is queued,
-- sending, sent, failed or bounced; message_id is fixed before the DATA
-- command and kept for every retry, so a re-sent message is the same
-- message (see attendance/mail).
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    registration_id BIGINT NOT NULL REFERENCES registrations (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    version TEXT NOT NULL,
    copy INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    message_id TEXT NOT NULL DEFAULT '',
    reply TEXT NOT NULL DEFAULT '',
    next_attempt_at BIGINT NOT NULL DEFAULT 0,
    queued_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    requested_by TEXT NOT NULL DEFAULT '',
    UNIQUE (event_id, registration_id, kind, version, copy)
);
CREATE INDEX outbox_due ON outbox (event_id, kind, state, next_attempt_at);
CREATE INDEX outbox_registration ON outbox (registration_id);

-- +goose Down
DROP TABLE outbox;
DROP INDEX certificates_status_index;
ALTER TABLE events DROP COLUMN status_next;
ALTER TABLE certificates DROP COLUMN status_index;
