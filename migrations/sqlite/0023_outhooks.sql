-- Outgoing event webhooks (`mailer hooks`): the receivers, the queue of
-- events for each, and every attempt to deliver one. Events are captured by
-- triggers on the membership status and the send state, in the transaction
-- that makes the change, so no edge (CLI, mail command, web page, import,
-- relay webhook, bounce, complaint, API) can change a membership without
-- its event. A later migration that rebuilds memberships or sends (SQLite's
-- way of changing a CHECK) must create these triggers again.

CREATE TABLE hooks (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL,
    secret          TEXT NOT NULL,             -- whsec_<base64>, the HMAC key of the Standard Webhooks signature
    events          TEXT NOT NULL,             -- comma-separated event types, e.g. subscribed,unsubscribed
    list_id         INTEGER REFERENCES lists (id) ON DELETE CASCADE, -- NULL: every list
    created_at      TEXT NOT NULL,
    disabled_at     TEXT,                      -- set when the receiver answered 410 Gone
    disabled_reason TEXT NOT NULL DEFAULT ''
);

-- subject is what a newer event supersedes by: a membership
-- (member:LIST:SUBSCRIBER) or a send (send:ID).
CREATE TABLE hook_events (
    id              INTEGER PRIMARY KEY,
    hook_id         INTEGER NOT NULL REFERENCES hooks (id) ON DELETE CASCADE,
    type            TEXT NOT NULL,
    subject         TEXT NOT NULL,
    payload         TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'delivered', 'superseded', 'failed'))
);

CREATE INDEX hook_events_due ON hook_events (next_attempt_at, id) WHERE state = 'queued';
CREATE INDEX hook_events_by_subject ON hook_events (hook_id, subject) WHERE state = 'queued';
CREATE INDEX hook_events_by_hook ON hook_events (hook_id, id);

CREATE TABLE hook_attempts (
    id          INTEGER PRIMARY KEY,
    event_id    INTEGER NOT NULL REFERENCES hook_events (id) ON DELETE CASCADE,
    at          TEXT NOT NULL,
    status      INTEGER,                       -- the HTTP status; NULL when no answer came
    error       TEXT NOT NULL DEFAULT '',
    duration_ms INTEGER NOT NULL
);

CREATE INDEX hook_attempts_by_event ON hook_attempts (event_id, id);

-- A newer event for the same subject and hook replaces a queued older one:
-- the receiver wants where the member stands now, not every step.
CREATE TRIGGER hook_events_supersede AFTER INSERT ON hook_events
BEGIN
    UPDATE hook_events SET state = 'superseded'
    WHERE hook_id = NEW.hook_id AND subject = NEW.subject AND state = 'queued' AND id < NEW.id;
END;

-- Memberships: active is "subscribed"; unsubscribed, bounced and
-- complained are themselves. Pending and disabled send nothing.
CREATE TRIGGER hook_events_member_insert AFTER INSERT ON memberships
WHEN NEW.status IN ('active', 'unsubscribed', 'bounced', 'complained')
BEGIN
    INSERT INTO hook_events (hook_id, type, subject, payload, created_at, next_attempt_at)
    SELECT h.id, e.type, 'member:' || NEW.list_id || ':' || NEW.subscriber_id,
        json_object('type', e.type, 'timestamp', NEW.updated_at, 'data', json_object(
            'list', l.name, 'address', s.address, 'name', s.name, 'status', NEW.status, 'old_status', '',
            'source', NEW.source, 'reason', NEW.reason)),
        NEW.updated_at, NEW.updated_at
    FROM (SELECT CASE NEW.status WHEN 'active' THEN 'subscribed' ELSE NEW.status END AS type) e
    JOIN hooks h ON h.disabled_at IS NULL AND (h.list_id IS NULL OR h.list_id = NEW.list_id)
        AND (',' || h.events || ',') LIKE ('%,' || e.type || ',%')
    JOIN lists l ON l.id = NEW.list_id
    JOIN subscribers s ON s.id = NEW.subscriber_id;
END;

CREATE TRIGGER hook_events_member_update AFTER UPDATE OF status ON memberships
WHEN NEW.status <> OLD.status AND NEW.status IN ('active', 'unsubscribed', 'bounced', 'complained')
BEGIN
    INSERT INTO hook_events (hook_id, type, subject, payload, created_at, next_attempt_at)
    SELECT h.id, e.type, 'member:' || NEW.list_id || ':' || NEW.subscriber_id,
        json_object('type', e.type, 'timestamp', NEW.updated_at, 'data', json_object(
            'list', l.name, 'address', s.address, 'name', s.name, 'status', NEW.status, 'old_status', OLD.status,
            'source', NEW.source, 'reason', NEW.reason)),
        NEW.updated_at, NEW.updated_at
    FROM (SELECT CASE NEW.status WHEN 'active' THEN 'subscribed' ELSE NEW.status END AS type) e
    JOIN hooks h ON h.disabled_at IS NULL AND (h.list_id IS NULL OR h.list_id = NEW.list_id)
        AND (',' || h.events || ',') LIKE ('%,' || e.type || ',%')
    JOIN lists l ON l.id = NEW.list_id
    JOIN subscribers s ON s.id = NEW.subscriber_id;
END;

-- A send that becomes done (finished or cancelled) is "send.done", with
-- its deliveries counted by state as `mailer status --json` counts them
-- (json() keeps the subquery's object an object, not a string).
CREATE TRIGGER hook_events_send_done AFTER UPDATE OF state ON sends
WHEN NEW.state = 'done' AND OLD.state <> 'done'
BEGIN
    INSERT INTO hook_events (hook_id, type, subject, payload, created_at, next_attempt_at)
    SELECT h.id, 'send.done', 'send:' || NEW.id,
        json_object('type', 'send.done', 'timestamp', coalesce(NEW.finished_at, NEW.created_at), 'data', json_object(
            'id', NEW.id, 'list', l.name, 'issue', NEW.issue, 'subject', NEW.subject, 'total', NEW.total,
            'counts', json((SELECT json_object(
                'queued', count(*) FILTER (WHERE d.state = 'queued'),
                'sending', count(*) FILTER (WHERE d.state = 'sending'),
                'sent', count(*) FILTER (WHERE d.state = 'sent'),
                'deferred', count(*) FILTER (WHERE d.state = 'deferred'),
                'failed', count(*) FILTER (WHERE d.state = 'failed'),
                'skipped', count(*) FILTER (WHERE d.state = 'skipped'))
                FROM deliveries d WHERE d.send_id = NEW.id)))),
        coalesce(NEW.finished_at, NEW.created_at), coalesce(NEW.finished_at, NEW.created_at)
    FROM hooks h JOIN lists l ON l.id = NEW.list_id
    WHERE h.disabled_at IS NULL AND (h.list_id IS NULL OR h.list_id = NEW.list_id)
        AND (',' || h.events || ',') LIKE '%,send.done,%';
END;
