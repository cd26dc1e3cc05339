-- +goose Up
-- Each event's own mail templates, one row per kind (codes, reminders,
-- certificates), as staff set them in the dashboard or with "rollcall mail
-- template": a subject, a plain text and an HTML body (Go templates). A kind
-- without a row is mailed with the built-in templates.
CREATE TABLE mail_templates (
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (event_id, kind)
);

-- +goose Down
DROP TABLE mail_templates;
