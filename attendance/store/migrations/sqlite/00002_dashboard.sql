-- +goose Up
-- Indexes the dashboard's live figures rely on, so that they never scan
-- chat_messages or links whole.
CREATE INDEX chat_messages_minute ON chat_messages (stream_id, published_at);
CREATE INDEX links_linked_at ON links (event_id, linked_at);
CREATE INDEX staff_sessions_user ON staff_sessions (user_id);
CREATE INDEX registrations_country ON registrations (event_id, country);
CREATE INDEX links_registration ON links (event_id, registration_id);

-- +goose Down
DROP INDEX links_registration;
DROP INDEX registrations_country;
DROP INDEX staff_sessions_user;
DROP INDEX links_linked_at;
DROP INDEX chat_messages_minute;
