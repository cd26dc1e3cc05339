-- +goose Up
-- No query reads chat_messages by received_at (retention and evidence use
-- published_at); the index only slowed every chat page down.
DROP INDEX IF EXISTS chat_messages_received;

-- +goose Down
CREATE INDEX chat_messages_received ON chat_messages (received_at);
