CREATE TABLE archive_assets (
    list_id      BIGINT NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    slug         TEXT NOT NULL,
    path         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data         BYTEA NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (list_id, slug, path)
);
