-- A local copy of every file reported (photos, videos, documents), kept beside the database so
-- the booklet can be made without Telegram. One row per file (its unique id), whatever the
-- reports that share it. Bots may download up to 20 MB: a larger file stays a reference.
CREATE TABLE media_files (
    file_unique_id  TEXT PRIMARY KEY,
    file_id         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    file_name       TEXT,
    size            INTEGER,
    state           TEXT NOT NULL DEFAULT 'waiting'
                    CHECK (state IN ('waiting', 'stored', 'too_big', 'failed')),
    path            TEXT,              -- under the media folder, once stored
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_try        TEXT NOT NULL,
    error           TEXT,
    added_at        TEXT NOT NULL
);
CREATE INDEX media_files_waiting ON media_files(next_try) WHERE state = 'waiting';
