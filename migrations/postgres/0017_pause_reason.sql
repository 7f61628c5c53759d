-- Why a send is paused when mailer paused it itself (the circuit breaker:
-- too many hard bounces or complaints); empty when a person paused it.
-- A resume of a send paused with a reason needs --force.
ALTER TABLE sends ADD COLUMN pause_reason TEXT NOT NULL DEFAULT '';
