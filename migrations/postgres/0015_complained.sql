-- A member who reported the list's mail as spam is "complained": never
-- mailed again.
ALTER TABLE memberships DROP CONSTRAINT memberships_status_check;
ALTER TABLE memberships ADD CONSTRAINT memberships_status_check
    CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced', 'disabled', 'complained'));
