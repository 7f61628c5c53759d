-- A delivery can be skipped: its reader was no longer an active member
-- when the sender came to it (unsubscribed, stopped by bounces, removed
-- during the send, between a crash and the resume, or while the message
-- waited for a retry). SQLite cannot change a CHECK constraint in place, so
-- the table is rebuilt with the same columns and indexes.

CREATE TABLE deliveries_new (
    id              INTEGER PRIMARY KEY,
    send_id         INTEGER NOT NULL REFERENCES sends (id) ON DELETE CASCADE,
    subscriber_id   INTEGER NOT NULL,
    address         TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'deferred', 'failed', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_reply      TEXT NOT NULL DEFAULT '',
    permanent       INTEGER NOT NULL DEFAULT 0,
    message_id      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    sent_at         TEXT,
    UNIQUE (send_id, subscriber_id)
);

INSERT INTO deliveries_new SELECT id, send_id, subscriber_id, address, name, state, attempts, next_attempt_at,
    last_reply, permanent, message_id, created_at, updated_at, sent_at FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;

CREATE INDEX deliveries_queued ON deliveries (send_id, id) WHERE state = 'queued';
CREATE INDEX deliveries_deferred ON deliveries (send_id, next_attempt_at) WHERE state = 'deferred';
CREATE INDEX deliveries_sent_at ON deliveries (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX deliveries_failures ON deliveries (subscriber_id) WHERE permanent = 1;
