-- Stage 2: what a candidate project's members report of their branch's activities. A report is
-- a draft while it is being written (one per author at a time), then saved; deleted ones are
-- kept, marked, for the record of who deleted what.
CREATE TABLE activity_reports (
    id            INTEGER PRIMARY KEY,
    project_id    INTEGER REFERENCES projects(id),   -- NULL while the author chooses
    author_id     INTEGER NOT NULL REFERENCES people(user_id),
    state         TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'saved', 'deleted')),
    activity      TEXT,          -- a campaign activity key
    held_on       TEXT,          -- the local day it took place, YYYY-MM-DD
    participants  INTEGER,
    description   TEXT NOT NULL DEFAULT '',
    criterion     TEXT,          -- a campaign criterion key it supports, if any
    media_done    INTEGER NOT NULL DEFAULT 0,  -- the author sent the photos, or said none
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    saved_at      TEXT,
    deleted_at    TEXT,
    deleted_by    INTEGER
);
CREATE UNIQUE INDEX activity_reports_one_draft ON activity_reports(author_id)
    WHERE state = 'draft';
CREATE INDEX activity_reports_project ON activity_reports(project_id, held_on)
    WHERE state = 'saved';

-- A report's photos, videos and documents, by Telegram file id; the same file (its unique id)
-- is kept once per report.
CREATE TABLE report_media (
    id              INTEGER PRIMARY KEY,
    report_id       INTEGER NOT NULL REFERENCES activity_reports(id),
    kind            TEXT NOT NULL CHECK (kind IN ('photo', 'video', 'document')),
    file_id         TEXT NOT NULL,
    file_unique_id  TEXT NOT NULL,
    file_name       TEXT,
    size            INTEGER,
    caption         TEXT NOT NULL DEFAULT '',
    message_id      INTEGER NOT NULL,   -- in the author's private chat
    added_at        TEXT NOT NULL,
    UNIQUE (report_id, file_unique_id)
);
CREATE INDEX report_media_report ON report_media(report_id, id);
