-- Sends of an issue to a list, and the delivery queue: one row per
-- recipient, snapshotted when the send starts.

CREATE TABLE sends (
    id           INTEGER PRIMARY KEY,
    issue        TEXT NOT NULL,             -- the issue's slug, e.g. issue-06
    list_id      INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    subject      TEXT NOT NULL,
    content_hash TEXT NOT NULL,             -- SHA-256 of the rendered issue, slots unfilled
    msgid_nonce  TEXT NOT NULL,             -- random part of this send's Message-IDs
    state        TEXT NOT NULL CHECK (state IN ('sending', 'done')),
    total        INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    finished_at  TEXT,
    -- The lease: which process is delivering this send, until when. A
    -- process that dies stops renewing it, so it lapses on its own.
    lease_owner  TEXT NOT NULL DEFAULT '',
    lease_until  TEXT NOT NULL DEFAULT ''
);

CREATE INDEX sends_by_issue ON sends (issue, list_id, id);

CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    send_id         INTEGER NOT NULL REFERENCES sends (id) ON DELETE CASCADE,
    subscriber_id   INTEGER NOT NULL,
    address         TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'deferred', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_reply      TEXT NOT NULL DEFAULT '',
    permanent       INTEGER NOT NULL DEFAULT 0,  -- failed with a 5xx: counts as a bounce
    message_id      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    sent_at         TEXT,
    UNIQUE (send_id, subscriber_id)
);

-- The sender claims work in order: queued rows by id, deferred rows by due
-- time. The indexes are partial, so that moving a row to "sending" or
-- "sent" writes as few index pages as possible: a send writes one such
-- change per message.
CREATE INDEX deliveries_queued ON deliveries (send_id, id) WHERE state = 'queued';
CREATE INDEX deliveries_deferred ON deliveries (send_id, next_attempt_at) WHERE state = 'deferred';
-- Per-hour and per-day caps count recent deliveries over all sends.
CREATE INDEX deliveries_sent_at ON deliveries (sent_at) WHERE sent_at IS NOT NULL;
-- Bounce bookkeeping looks up a member's permanent failures.
CREATE INDEX deliveries_failures ON deliveries (subscriber_id) WHERE permanent = 1;
