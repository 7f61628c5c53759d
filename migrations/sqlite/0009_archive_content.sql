-- The issue's content as HTML (no page around it, links absolute), for the
-- Atom feed's full-content entries.
ALTER TABLE archive ADD COLUMN content TEXT NOT NULL DEFAULT '';
