ALTER TABLE confirmations ADD COLUMN sent_at TEXT;
UPDATE confirmations SET sent_at = created_at;

ALTER TABLE replies ADD COLUMN budget TEXT NOT NULL DEFAULT 'mail';
CREATE INDEX replies_by_budget ON replies (budget, at);
