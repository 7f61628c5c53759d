-- Several senders on one send. A row being sent names who claimed it and
-- until when: a worker renews its claims while it lives, and the rows of
-- one that died come back to the others when its claim lapses (at once
-- when it ran on the same host and its process is gone).
ALTER TABLE deliveries ADD COLUMN claim_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN claim_until TEXT NOT NULL DEFAULT '';
CREATE INDEX deliveries_sending ON deliveries (send_id, claim_owner) WHERE state = 'sending';

-- The rate limit is the whole send's, shared by its workers through the
-- database: messages per second (0 = none) and the theoretical arrival
-- time of the next message (GCRA), advanced by every claim.
ALTER TABLE sends ADD COLUMN rate REAL NOT NULL DEFAULT 0;
ALTER TABLE sends ADD COLUMN rate_burst INTEGER NOT NULL DEFAULT 1;
ALTER TABLE sends ADD COLUMN rate_tat TEXT NOT NULL DEFAULT '';
