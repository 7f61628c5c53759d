-- An issue's own files (images, attachments next to its Markdown), served
-- at base_url/archive/LIST/ISSUE/PATH. Published when its send starts, so
-- that the images in the mail load at once.
CREATE TABLE archive_assets (
    list_id      INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    slug         TEXT NOT NULL,
    path         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data         BLOB NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (list_id, slug, path)
);
