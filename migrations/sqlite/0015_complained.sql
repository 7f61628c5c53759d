-- A member who reported the list's mail as spam is "complained": never
-- mailed again. SQLite cannot change a CHECK constraint in place, so the
-- table is rebuilt with the same columns and indexes (nothing references it).
CREATE TABLE memberships_new (
    list_id            INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    subscriber_id      INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    status             TEXT NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced', 'disabled', 'complained')),
    source             TEXT NOT NULL CHECK (source IN ('email', 'web', 'import', 'admin')),
    reason             TEXT NOT NULL DEFAULT '',
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    confirmed_at       TEXT,
    unsubscribed_at    TEXT,
    bounce_score       REAL NOT NULL DEFAULT 0,
    bounce_first_at    TEXT,
    bounce_last_at     TEXT,
    bounce_last_reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (list_id, subscriber_id)
) WITHOUT ROWID;

INSERT INTO memberships_new (list_id, subscriber_id, status, source, reason, created_at, updated_at, confirmed_at,
    unsubscribed_at, bounce_score, bounce_first_at, bounce_last_at, bounce_last_reason)
SELECT list_id, subscriber_id, status, source, reason, created_at, updated_at, confirmed_at,
    unsubscribed_at, bounce_score, bounce_first_at, bounce_last_at, bounce_last_reason FROM memberships;

DROP TABLE memberships;
ALTER TABLE memberships_new RENAME TO memberships;

CREATE INDEX memberships_by_status ON memberships (list_id, status, subscriber_id);
CREATE INDEX memberships_by_subscriber ON memberships (subscriber_id);
