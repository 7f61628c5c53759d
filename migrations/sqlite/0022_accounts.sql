-- The owners' logins and the API's tokens (internal/auth). No secret is
-- kept in clear: a password as its argon2id (or bcrypt) hash in PHC form,
-- a session id and a token's secret as the hex SHA-256 of what the
-- browser or the program holds, so that a copy of the database opens no
-- console and answers no API call.

-- An owner's console login. email is the whole address lower-cased.
CREATE TABLE accounts (
    email         TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    admin         INTEGER NOT NULL DEFAULT 0,  -- a site admin: every list
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    last_login_at TEXT
);

-- A console login's session; it ends with its account.
CREATE TABLE sessions (
    id_hash         TEXT PRIMARY KEY,   -- SHA-256 of the cookie's id
    csrf            TEXT NOT NULL,      -- the token every form carries, bound to this session
    email           TEXT NOT NULL REFERENCES accounts (email) ON DELETE CASCADE,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,      -- admin.session_max after the login
    idle_expires_at TEXT NOT NULL       -- admin.session_idle after the last request
);

CREATE INDEX sessions_by_email ON sessions (email);

-- Failed logins, by the address tried and by the client (its IP address),
-- for slowing down guessing; kept a day.
CREATE TABLE login_failures (
    id   INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('address', 'client')),
    key  TEXT NOT NULL,
    at   TEXT NOT NULL
);

CREATE INDEX login_failures_by_key ON login_failures (kind, key, at);

-- The API's bearer tokens: read or write, for one list or ("") all.
CREATE TABLE api_tokens (
    name         TEXT PRIMARY KEY,
    secret_hash  TEXT NOT NULL UNIQUE,  -- SHA-256 of the secret
    scope        TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    list_name    TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
