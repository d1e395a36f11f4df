-- A file is copied only while a saved report holds it (issue 16): drafts are never copied, and
-- a copy no saved report holds any more is 'dropped', for the downloader to remove from the
-- disk (then its row goes). SQLite can't change a CHECK: the table is made again.
CREATE TABLE media_files_new (
    file_unique_id  TEXT PRIMARY KEY,
    file_id         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    file_name       TEXT,
    size            INTEGER,
    state           TEXT NOT NULL DEFAULT 'waiting'
                    CHECK (state IN ('waiting', 'stored', 'too_big', 'failed', 'dropped')),
    path            TEXT,              -- under the media folder, once stored
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_try        TEXT NOT NULL,
    error           TEXT,
    added_at        TEXT NOT NULL
);
INSERT INTO media_files_new SELECT file_unique_id, file_id, kind, file_name, size, state, path,
    attempts, next_try, error, added_at FROM media_files;
DROP TABLE media_files;
ALTER TABLE media_files_new RENAME TO media_files;
CREATE INDEX media_files_waiting ON media_files(next_try) WHERE state = 'waiting';
CREATE INDEX media_files_dropped ON media_files(file_unique_id) WHERE state = 'dropped';
-- Files held before this migration by drafts only, or by deleted reports only, are let go.
UPDATE media_files SET state = 'dropped' WHERE NOT EXISTS (
    SELECT 1 FROM report_media m JOIN activity_reports r ON r.id = m.report_id
    WHERE m.file_unique_id = media_files.file_unique_id AND r.state = 'saved');
-- Quotas add up the files of a person's saved reports.
CREATE INDEX report_media_file ON report_media(file_unique_id);
