-- A delivery can be skipped (its reader left before the sender came to it).
ALTER TABLE deliveries DROP CONSTRAINT deliveries_state;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_state
    CHECK (state IN ('queued', 'sending', 'sent', 'deferred', 'failed', 'skipped'));
