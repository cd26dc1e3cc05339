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

-- Review flags for the evidence already stored: links (but manual ones)
-- and chat checkpoint hits resting on a message a moderator deleted, or on
-- a banned channel's messages (see ATTENDANCE.md).
INSERT INTO link_conflicts (event_id, registration_id, channel_id, kind, message_id, at)
SELECT x.event_id, x.registration_id, x.channel_id, 'evidence_deleted', x.message_id, MIN(d.at) FROM (
    SELECT event_id, registration_id, channel_id, message_id FROM links WHERE method <> 'manual' AND message_id <> ''
    UNION ALL
    SELECT c.event_id, h.registration_id, h.channel_id, h.message_id FROM checkpoint_hits h JOIN checkpoints c ON c.id = h.checkpoint_id
    WHERE h.source = 'chat' AND h.message_id <> ''
) x JOIN chat_moderation d ON d.target_id = x.message_id AND d.type = 'messageDeletedEvent'
JOIN streams st ON st.id = d.stream_id AND st.event_id = x.event_id
WHERE true GROUP BY x.event_id, x.registration_id, x.channel_id, x.message_id
ON CONFLICT (registration_id, channel_id, kind) DO NOTHING;

INSERT INTO link_conflicts (event_id, registration_id, channel_id, kind, message_id, at)
SELECT x.event_id, x.registration_id, x.channel_id, 'channel_banned', x.message_id, MIN(b.at) FROM (
    SELECT event_id, registration_id, channel_id, message_id FROM links WHERE method <> 'manual'
    UNION ALL
    SELECT c.event_id, h.registration_id, h.channel_id, h.message_id FROM checkpoint_hits h JOIN checkpoints c ON c.id = h.checkpoint_id
    WHERE h.source = 'chat' AND h.channel_id <> ''
) x JOIN chat_moderation b ON b.target_id = x.channel_id AND b.type = 'userBannedEvent'
JOIN streams st ON st.id = b.stream_id AND st.event_id = x.event_id
WHERE true GROUP BY x.event_id, x.registration_id, x.channel_id, x.message_id
ON CONFLICT (registration_id, channel_id, kind) DO NOTHING;

-- +goose Down
DELETE FROM link_conflicts WHERE kind IN ('evidence_deleted', 'channel_banned');
DROP TABLE chat_moderation;
ALTER TABLE chat_messages DROP COLUMN display_text;
DROP TABLE chat_gaps;
