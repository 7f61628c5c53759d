-- The answers of the API's creating requests, by the Idempotency-Key the
-- client sent (IETF draft-ietf-httpapi-idempotency-key-header): a retry
-- with the same key gets the first answer instead of doing it twice.
-- status 0: the first request is still running. Kept for 24 hours.
CREATE TABLE idempotency_keys (
    caller       TEXT NOT NULL,   -- whose key: keys of two callers never meet
    key          TEXT NOT NULL,
    method       TEXT NOT NULL,
    path         TEXT NOT NULL,
    request_hash TEXT NOT NULL,   -- SHA-256 of the body: a reused key with another body is refused
    status       INTEGER NOT NULL DEFAULT 0,
    body         BLOB NOT NULL DEFAULT x'',
    created_at   TEXT NOT NULL,
    PRIMARY KEY (caller, key)
);
