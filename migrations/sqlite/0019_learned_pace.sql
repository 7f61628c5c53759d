-- The rate the relay's throttle replies taught a running send, in
-- messages a second (0: the relay never throttled it), so that `mailer
-- status` in another terminal shows it while the daemon sends.
ALTER TABLE sends ADD COLUMN learned_pace REAL NOT NULL DEFAULT 0;
