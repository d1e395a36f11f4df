-- How many starts began an update without finishing it: one that takes the process down (out
-- of memory, a crash) would otherwise be replayed on every start, and the bot never came back.
-- After a few, it is set aside: kept for `pacesetter updates`, no longer replayed.
ALTER TABLE inbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbox ADD COLUMN set_aside_at TEXT;
-- Handled at once today (or stored before this migration): counted as begun once.
UPDATE inbox SET attempts = 1 WHERE handled_at IS NULL;
