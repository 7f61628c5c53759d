-- A confirmation counts as sent only once the transport took it: sent_at
-- stays NULL until then, and an unsent one neither blocks a new request nor
-- is ever shown. Rows from before were sent when they were made.
ALTER TABLE confirmations ADD COLUMN sent_at TEXT;
UPDATE confirmations SET sent_at = created_at;

-- Answer caps per budget: mail commands and the web form each have their
-- own hourly budget, so that filling one cannot starve the other.
ALTER TABLE replies ADD COLUMN budget TEXT NOT NULL DEFAULT 'mail';
CREATE INDEX replies_by_budget ON replies (budget, at);
