-- +goose Up
-- Lookups of the attendance evidence by person and by event.
CREATE INDEX checkpoint_hits_registration ON checkpoint_hits (registration_id);
CREATE INDEX form_responses_registration ON form_responses (registration_id);
CREATE INDEX link_conflicts_event ON link_conflicts (event_id, resolved);
CREATE INDEX certificates_registration ON certificates (registration_id);
CREATE INDEX chat_messages_published ON chat_messages (published_at);

-- +goose Down
DROP INDEX chat_messages_published;
DROP INDEX certificates_registration;
DROP INDEX link_conflicts_event;
DROP INDEX form_responses_registration;
DROP INDEX checkpoint_hits_registration;
