ALTER TABLE deliveries ADD COLUMN claim_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN claim_until TEXT NOT NULL DEFAULT '';
CREATE INDEX deliveries_sending ON deliveries (send_id, claim_owner) WHERE state = 'sending';

ALTER TABLE sends ADD COLUMN rate DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE sends ADD COLUMN rate_burst INTEGER NOT NULL DEFAULT 1;
ALTER TABLE sends ADD COLUMN rate_tat TEXT NOT NULL DEFAULT '';
