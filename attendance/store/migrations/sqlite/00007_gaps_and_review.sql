-- +goose Up
-- Spans of a stream's chat that the API no longer served (an expired page
-- token, a replaced chat), recorded with the page that followed them.
CREATE TABLE chat_gaps (
    id INTEGER PRIMARY KEY,
    stream_id BIGINT NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
    from_at BIGINT NOT NULL,
    to_at BIGINT NOT NULL,
    reason TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    UNIQUE (stream_id, from_at, to_at, reason)
);

-- displayMessage as YouTube shows it: display only, never evidence.
ALTER TABLE chat_messages ADD COLUMN display_text TEXT NOT NULL DEFAULT '';

-- The chat events staff review rests on: moderator deletions (target: the
-- message id), bans (target: the channel id) and members-only mode changes.
-- Small, and looked up by target, so that review flags never scan chat.
CREATE TABLE chat_moderation (
    stream_id BIGINT NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
    message_id TEXT NOT NULL,
    type TEXT NOT NULL,
    target_id TEXT NOT NULL DEFAULT '',
    at BIGINT NOT NULL,
    PRIMARY KEY (stream_id, message_id)
);
CREATE INDEX chat_moderation_target ON chat_moderation (target_id, type);

INSERT INTO chat_moderation (stream_id, message_id, type, target_id, at)
SELECT stream_id, message_id, type, target_id, published_at FROM chat_messages
WHERE type IN ('messageDeletedEvent', 'userBannedEvent', 'sponsorOnlyModeStartedEvent', 'sponsorOnlyModeEndedEvent');

-- +goose Down
DROP TABLE chat_moderation;
ALTER TABLE chat_messages DROP COLUMN display_text;
DROP TABLE chat_gaps;
