-- How many times handling an update began (one more at each start that replays it): one that takes the process down (out
-- of memory, a crash) would otherwise be replayed on every start, and the bot never came back.
-- After a few, it is set aside: kept for `pacesetter updates`, no longer replayed.
ALTER TABLE inbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbox ADD COLUMN set_aside_at TEXT;
