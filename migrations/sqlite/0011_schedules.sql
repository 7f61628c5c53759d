-- Scheduled sends, and pausing a send.
--
-- A schedule is an issue checked and rendered when it was scheduled; at its
-- time the daemon (mailer serve) snapshots the list and starts the send,
-- unless the issue changed since (then it refuses, and says why).
CREATE TABLE schedules (
    id           INTEGER PRIMARY KEY,
    issue        TEXT NOT NULL,
    list_id      INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    content_hash TEXT NOT NULL,
    due_at       TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('scheduled', 'started', 'cancelled', 'refused')),
    send_id      INTEGER,
    reason       TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE INDEX schedules_due ON schedules (state, due_at);

-- A paused send claims nothing until resumed; nobody delivers it.
ALTER TABLE sends ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
