-- Bounce bookkeeping per membership, as Mailman keeps it: a score that
-- grows with bounces (hard 1, soft 0.5, at most one a day) and starts over
-- when the last bounce is older than the window.
ALTER TABLE memberships ADD COLUMN bounce_score REAL NOT NULL DEFAULT 0;
ALTER TABLE memberships ADD COLUMN bounce_first_at TEXT;
ALTER TABLE memberships ADD COLUMN bounce_last_at TEXT;
ALTER TABLE memberships ADD COLUMN bounce_last_reason TEXT NOT NULL DEFAULT '';
