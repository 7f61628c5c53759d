-- Mail commands: confirmation tokens, the replies sent (for rate caps) and
-- bounces received (kept for bounce processing).

CREATE TABLE confirmations (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,   -- SHA-256 of the token: a stolen database holds no usable token
    list_id      INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    address      TEXT NOT NULL,          -- the address to subscribe or unsubscribe
    address_key  TEXT NOT NULL,
    action       TEXT NOT NULL CHECK (action IN ('subscribe', 'unsubscribe')),
    requested_by TEXT NOT NULL DEFAULT '',
    message_id   TEXT NOT NULL DEFAULT '',  -- the request, as evidence
    source       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    used_at      TEXT
);

CREATE INDEX confirmations_recent ON confirmations (list_id, address_key, action, created_at);

CREATE TABLE replies (
    id          INTEGER PRIMARY KEY,
    address_key TEXT NOT NULL,
    at          TEXT NOT NULL
);

CREATE INDEX replies_by_address ON replies (address_key, at);
CREATE INDEX replies_by_time ON replies (at);

CREATE TABLE bounces (
    id          INTEGER PRIMARY KEY,
    list_name   TEXT NOT NULL,
    recipient   TEXT NOT NULL,           -- the VERP address it came to
    address     TEXT NOT NULL DEFAULT '', -- the reader it names, decoded from VERP
    received_at TEXT NOT NULL,
    message_id  TEXT NOT NULL DEFAULT '',
    raw         BLOB NOT NULL            -- the first 64 KiB
);

CREATE INDEX bounces_by_address ON bounces (address, received_at);
