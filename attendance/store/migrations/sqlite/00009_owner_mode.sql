-- +goose Up
-- Owner mode (issue 13): an event may find its streams among the channel
-- owner's broadcasts (liveBroadcasts.list) and announce its checkpoints in
-- every live chat (liveChatMessages.insert). Both are off by default.
ALTER TABLE events ADD COLUMN discover INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN discover_channel TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN discover_match TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN discover_from BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN discover_to BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN announce INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN announce_template TEXT NOT NULL DEFAULT '';

-- A stream the collector found by itself (staff can drop it: a dropped
-- stream keeps its row, so discovery never adds it again).
ALTER TABLE streams ADD COLUMN discovered INTEGER NOT NULL DEFAULT 0;

-- The announcement queue: the CLI and the dashboard only record
-- checkpoints; the collector turns each open checkpoint into one row per
-- live chat of the event (unique: a crash never queues twice), claims a row
-- at most once a minute per chat, and records what YouTube answered.
CREATE TABLE announcements (
    id INTEGER PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    checkpoint_id BIGINT NOT NULL REFERENCES checkpoints (id) ON DELETE CASCADE,
    stream_id BIGINT NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
    chat_id TEXT NOT NULL,
    text TEXT NOT NULL,
    state TEXT NOT NULL,
    reply TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    message_id TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    attempted_at BIGINT NOT NULL DEFAULT 0,
    done_at BIGINT NOT NULL DEFAULT 0,
    UNIQUE (checkpoint_id, stream_id)
);
CREATE INDEX announcements_state ON announcements (state, chat_id);
CREATE INDEX announcements_message ON announcements (stream_id, message_id);

-- +goose Down
DROP TABLE announcements;
ALTER TABLE streams DROP COLUMN discovered;
ALTER TABLE events DROP COLUMN announce_template;
ALTER TABLE events DROP COLUMN announce;
ALTER TABLE events DROP COLUMN discover_to;
ALTER TABLE events DROP COLUMN discover_from;
ALTER TABLE events DROP COLUMN discover_match;
ALTER TABLE events DROP COLUMN discover_channel;
ALTER TABLE events DROP COLUMN discover;
