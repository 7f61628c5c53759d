-- Per-list text put before every issue's Subject, such as "[bpf-updates] ".
ALTER TABLE lists ADD COLUMN subject_prefix TEXT NOT NULL DEFAULT '';
