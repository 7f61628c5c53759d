-- Spam complaints (ARF feedback reports, RFC 5965, and ESP complaint
-- events): one row per complaint, counted per send and per list next to
-- the bounces. The member is "complained" (memberships); this is the
-- evidence: who reported, of which type, about which send.
CREATE TABLE complaints (
    id            INTEGER PRIMARY KEY,
    list_id       INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    subscriber_id INTEGER NOT NULL,
    address       TEXT NOT NULL,
    send_id       INTEGER REFERENCES sends (id) ON DELETE SET NULL, -- NULL: not known
    feedback_type TEXT NOT NULL,             -- abuse, fraud, virus, other, ...
    provider      TEXT NOT NULL DEFAULT '',  -- who reported: domain and User-Agent
    message_id    TEXT NOT NULL DEFAULT '',  -- the report's Message-ID
    received_at   TEXT NOT NULL,
    raw           BLOB NOT NULL              -- the first 64 KiB of the report
);

CREATE INDEX complaints_by_list ON complaints (list_id, received_at);
CREATE INDEX complaints_by_send ON complaints (send_id) WHERE send_id IS NOT NULL;
-- A report carries the original's Message-ID: it names the delivery.
CREATE INDEX deliveries_by_message_id ON deliveries (message_id);
