-- +goose Up
-- YouTube Analytics figures of a stream's video (issue 13): the latest
-- fetch's rows, split by playback (LIVE, ON_DEMAND), day and country, and
-- when it was fetched. Replaced on every fetch; Analytics lags 24-72 h, so
-- a fetch is made after the end and then daily for a week.
CREATE TABLE reach_analytics (
    stream_id BIGINT NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
    dimension TEXT NOT NULL,
    bucket TEXT NOT NULL,
    views BIGINT NOT NULL DEFAULT 0,
    minutes_watched BIGINT NOT NULL DEFAULT 0,
    average_view_duration BIGINT NOT NULL DEFAULT 0,
    subscribers_gained BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (stream_id, dimension, bucket)
);

CREATE TABLE reach_fetches (
    stream_id BIGINT PRIMARY KEY REFERENCES streams (id) ON DELETE CASCADE,
    fetched_at BIGINT NOT NULL,
    fetches INTEGER NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE reach_fetches;
DROP TABLE reach_analytics;
