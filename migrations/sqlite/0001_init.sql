-- Lists, subscribers, memberships and the audit log.
-- Timestamps are UTC RFC 3339 text with nanoseconds: readable in the sqlite3
-- shell and sortable as text.

CREATE TABLE lists (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    title        TEXT NOT NULL DEFAULT '',
    description  TEXT NOT NULL DEFAULT '',
    from_address TEXT NOT NULL DEFAULT '',
    from_name    TEXT NOT NULL DEFAULT '',
    policy       TEXT NOT NULL DEFAULT 'confirm' CHECK (policy IN ('confirm', 'open', 'closed')),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE list_owners (
    list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    PRIMARY KEY (list_id, address)
);

CREATE TABLE subscribers (
    id          INTEGER PRIMARY KEY,
    address     TEXT NOT NULL,          -- normalised: domain lower-cased, local part as given
    address_key TEXT NOT NULL UNIQUE,   -- lower-cased whole address: one row per person
    name        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);

CREATE TABLE memberships (
    list_id         INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    subscriber_id   INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced', 'disabled')),
    source          TEXT NOT NULL CHECK (source IN ('email', 'web', 'import', 'admin')),
    reason          TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    confirmed_at    TEXT,
    unsubscribed_at TEXT,
    PRIMARY KEY (list_id, subscriber_id)
) WITHOUT ROWID;

-- The sender walks a list's active members in subscriber order.
CREATE INDEX memberships_by_status ON memberships (list_id, status, subscriber_id);
CREATE INDEX memberships_by_subscriber ON memberships (subscriber_id);

-- Every membership change, for proving consent. List name and address are
-- copied, not referenced, so that the record outlives a deleted list or person.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    list_name   TEXT NOT NULL,
    address     TEXT NOT NULL,
    action      TEXT NOT NULL,
    old_status  TEXT NOT NULL DEFAULT '',
    new_status  TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    message_id  TEXT NOT NULL DEFAULT '',  -- evidence: the mail that asked
    ip          TEXT NOT NULL DEFAULT '',  -- evidence: the web request that asked
    user_agent  TEXT NOT NULL DEFAULT '',
    operator    TEXT NOT NULL DEFAULT ''   -- evidence: who ran the admin command
);

CREATE INDEX audit_log_by_address ON audit_log (address COLLATE NOCASE, at);
CREATE INDEX audit_log_by_list ON audit_log (list_name, at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
