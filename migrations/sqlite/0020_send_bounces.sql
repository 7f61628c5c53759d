-- Bounce reports tied to the send whose message they return (found by the
-- original's Message-ID or Feedback-ID): the circuit breaker counts a
-- send's hard bounces that arrive as mail after the relay accepted the
-- message, not only the refusals it meets itself, and status shows them.
-- One row per member and send: a second report about the same message
-- counts once.
CREATE TABLE send_bounces (
    send_id       INTEGER NOT NULL REFERENCES sends (id) ON DELETE CASCADE,
    subscriber_id INTEGER NOT NULL,
    hard          INTEGER NOT NULL,  -- 1: a permanent failure
    received_at   TEXT NOT NULL,
    PRIMARY KEY (send_id, subscriber_id)
);
