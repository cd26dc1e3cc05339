-- +goose Up
-- Times are BIGINT microseconds since the Unix epoch, UTC, on both engines:
-- identical SQL, exact round trips, cheap range queries. 0 means unknown.

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    time_zone TEXT NOT NULL DEFAULT 'UTC',
    min_checkpoints INTEGER,
    min_presence_minutes INTEGER NOT NULL DEFAULT 30,
    require_form INTEGER NOT NULL DEFAULT 1,
    form_checkpoint_answers_count INTEGER NOT NULL DEFAULT 0,
    max_registrations_per_channel INTEGER NOT NULL DEFAULT 1,
    active INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);

CREATE TABLE streams (
    id INTEGER PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    video_id TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'unknown',
    chat_state TEXT NOT NULL DEFAULT 'waiting',
    chat_detail TEXT NOT NULL DEFAULT '',
    chat_id TEXT NOT NULL DEFAULT '',
    page_token TEXT NOT NULL DEFAULT '',
    scheduled_start BIGINT NOT NULL DEFAULT 0,
    scheduled_end BIGINT NOT NULL DEFAULT 0,
    actual_start BIGINT NOT NULL DEFAULT 0,
    actual_end BIGINT NOT NULL DEFAULT 0,
    offline_at BIGINT NOT NULL DEFAULT 0,
    concurrent_viewers BIGINT,
    peak_concurrent_viewers BIGINT NOT NULL DEFAULT 0,
    views BIGINT,
    likes BIGINT,
    last_sample_at BIGINT NOT NULL DEFAULT 0,
    chat_messages BIGINT NOT NULL DEFAULT 0,
    chat_authors BIGINT NOT NULL DEFAULT 0,
    last_commit_at BIGINT NOT NULL DEFAULT 0,
    fence BIGINT NOT NULL DEFAULT 0,
    lease_holder TEXT NOT NULL DEFAULT '',
    lease_expires_at BIGINT NOT NULL DEFAULT 0,
    UNIQUE (event_id, video_id)
);

CREATE TABLE stream_samples (
    stream_id BIGINT NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    state TEXT NOT NULL,
    concurrent_viewers BIGINT,
    views BIGINT,
    likes BIGINT,
    PRIMARY KEY (stream_id, at)
);

CREATE TABLE registrations (
    id INTEGER PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    full_name TEXT NOT NULL,
    country TEXT NOT NULL DEFAULT '',
    organisation TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL DEFAULT 'participant',
    youtube TEXT NOT NULL DEFAULT '',
    code TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'import',
    extra TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (event_id, email),
    UNIQUE (event_id, code)
);
CREATE INDEX registrations_youtube ON registrations (event_id, youtube) WHERE youtube <> '';

CREATE TABLE chat_messages (
    id INTEGER PRIMARY KEY,
    stream_id BIGINT NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
    message_id TEXT NOT NULL,
    type TEXT NOT NULL,
    author_channel_id TEXT NOT NULL DEFAULT '',
    author_name TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    published_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    target_id TEXT NOT NULL DEFAULT '',
    deleted INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL DEFAULT 'api',
    UNIQUE (stream_id, message_id)
);
CREATE INDEX chat_messages_author ON chat_messages (stream_id, author_channel_id, published_at);
CREATE INDEX chat_messages_received ON chat_messages (received_at);

CREATE TABLE chat_authors (
    stream_id BIGINT NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
    channel_id TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    messages BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (stream_id, channel_id)
);

CREATE TABLE chat_activity (
    stream_id BIGINT NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
    channel_id TEXT NOT NULL,
    minute BIGINT NOT NULL,
    PRIMARY KEY (stream_id, channel_id, minute)
);

CREATE TABLE links (
    id INTEGER PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    registration_id BIGINT NOT NULL REFERENCES registrations (id) ON DELETE CASCADE,
    channel_id TEXT NOT NULL,
    method TEXT NOT NULL,
    message_id TEXT NOT NULL DEFAULT '',
    linked_at BIGINT NOT NULL,
    linked_by TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    UNIQUE (registration_id, channel_id)
);
CREATE INDEX links_channel ON links (event_id, channel_id);

CREATE TABLE link_conflicts (
    id INTEGER PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    registration_id BIGINT NOT NULL REFERENCES registrations (id) ON DELETE CASCADE,
    channel_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    message_id TEXT NOT NULL DEFAULT '',
    at BIGINT NOT NULL,
    resolved INTEGER NOT NULL DEFAULT 0,
    resolution TEXT NOT NULL DEFAULT '',
    UNIQUE (registration_id, channel_id, kind)
);

CREATE TABLE checkpoints (
    id INTEGER PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    word TEXT NOT NULL,
    opens_at BIGINT NOT NULL,
    closes_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (event_id, number)
);

CREATE TABLE checkpoint_hits (
    checkpoint_id BIGINT NOT NULL REFERENCES checkpoints (id) ON DELETE CASCADE,
    registration_id BIGINT NOT NULL REFERENCES registrations (id) ON DELETE CASCADE,
    channel_id TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL DEFAULT '',
    at BIGINT NOT NULL,
    source TEXT NOT NULL DEFAULT 'chat',
    PRIMARY KEY (checkpoint_id, registration_id)
);

CREATE TABLE form_responses (
    id INTEGER PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    registration_id BIGINT REFERENCES registrations (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    certificate_name TEXT NOT NULL DEFAULT '',
    code TEXT NOT NULL DEFAULT '',
    answers TEXT NOT NULL DEFAULT '{}',
    imported_at BIGINT NOT NULL,
    UNIQUE (event_id, email)
);

CREATE TABLE certificates (
    id TEXT PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    registration_id BIGINT NOT NULL REFERENCES registrations (id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL DEFAULT 0,
    revoke_reason TEXT NOT NULL DEFAULT '',
    UNIQUE (event_id, registration_id, type)
);

CREATE TABLE overrides (
    id INTEGER PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    registration_id BIGINT NOT NULL REFERENCES registrations (id) ON DELETE CASCADE,
    certificate TEXT NOT NULL,
    reason TEXT NOT NULL,
    staff TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX overrides_registration ON overrides (registration_id, created_at);

CREATE TABLE quota_ledger (
    credential TEXT NOT NULL,
    day TEXT NOT NULL,
    method TEXT NOT NULL,
    units BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (credential, day, method)
);

CREATE TABLE staff_users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE staff_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    event_id BIGINT,
    subject TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_event ON audit_log (event_id, at);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE staff_sessions;
DROP TABLE staff_users;
DROP TABLE quota_ledger;
DROP TABLE overrides;
DROP TABLE certificates;
DROP TABLE form_responses;
DROP TABLE checkpoint_hits;
DROP TABLE checkpoints;
DROP TABLE link_conflicts;
DROP TABLE links;
DROP TABLE chat_activity;
DROP TABLE chat_authors;
DROP TABLE chat_messages;
DROP TABLE registrations;
DROP TABLE stream_samples;
DROP TABLE streams;
DROP TABLE events;
