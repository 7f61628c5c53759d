-- The public archive: each issue as sent, for the web pages and the feed.
-- Written when a send finishes, so only issues actually sent appear.
CREATE TABLE archive (
    id       INTEGER PRIMARY KEY,
    list_id  INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    slug     TEXT NOT NULL,
    title    TEXT NOT NULL,
    summary  TEXT NOT NULL DEFAULT '',
    sent_at  TEXT NOT NULL,
    html     TEXT NOT NULL,   -- the web version: no personal links
    UNIQUE (list_id, slug)
);
