ALTER TABLE memberships ADD COLUMN bounce_score DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE memberships ADD COLUMN bounce_first_at TEXT;
ALTER TABLE memberships ADD COLUMN bounce_last_at TEXT;
ALTER TABLE memberships ADD COLUMN bounce_last_reason TEXT NOT NULL DEFAULT '';
