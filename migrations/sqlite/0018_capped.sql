-- Mail that an answer cap stopped, for `mailer status`: 'site' is the
-- site-wide cap of a budget (the request was held back: the MTA retries
-- it, or the web visitor was asked to come back), 'address' the cap for
-- one address (the mail was dropped: an address being flooded).
CREATE TABLE capped (
    id     INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    cap    TEXT NOT NULL CHECK (cap IN ('site', 'address')),
    budget TEXT NOT NULL DEFAULT ''
);

CREATE INDEX capped_by_time ON capped (at);
