-- +goose Up
-- Only the hourly retention sweep filters chat by published_at alone; a
-- sequential scan serves it, while every chat page paid for the index.
DROP INDEX IF EXISTS chat_messages_published;

-- +goose Down
CREATE INDEX chat_messages_published ON chat_messages (published_at);
