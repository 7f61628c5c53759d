-- Whether a list greets new members (welcome) and says goodbye to those who
-- leave by mail command. On by default.
ALTER TABLE lists ADD COLUMN welcome INTEGER NOT NULL DEFAULT 1;
