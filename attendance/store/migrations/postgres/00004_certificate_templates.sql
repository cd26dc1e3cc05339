-- +goose Up
-- Each event's certificate templates, one per type, as staff set them: the
-- template's JSON with its images inline. A type without a row prints with
-- the default template.
CREATE TABLE certificate_templates (
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    template TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (event_id, type)
);

-- +goose Down
DROP TABLE certificate_templates;
