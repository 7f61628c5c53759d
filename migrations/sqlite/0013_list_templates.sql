-- A list's own template directory (absolute path; '' = the global
-- templates): its files take precedence over templates_dir's, which take
-- precedence over the embedded ones, file by file.
ALTER TABLE lists ADD COLUMN templates_dir TEXT NOT NULL DEFAULT '';
