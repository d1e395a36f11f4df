-- A Word document answers several sections from one message: a stored part is unique per
-- section, not per application. SQLite changes a constraint by rebuilding the table.
CREATE TABLE answer_parts_new (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES applications(id),
    section        TEXT NOT NULL,
    author_id      INTEGER NOT NULL REFERENCES people(user_id),
    message_id     INTEGER NOT NULL,   -- in the author's chat: an edit replaces its text
    kind           TEXT NOT NULL CHECK (kind IN ('text', 'photo', 'document', 'video')),
    text           TEXT NOT NULL DEFAULT '',   -- the text, or a file's caption
    file_id        TEXT,
    file_unique_id TEXT,
    file_name      TEXT,
    created_at     TEXT NOT NULL,
    UNIQUE (application_id, section, author_id, message_id)
);
INSERT INTO answer_parts_new SELECT id, application_id, section, author_id, message_id, kind,
    text, file_id, file_unique_id, file_name, created_at FROM answer_parts;
DROP TABLE answer_parts;
ALTER TABLE answer_parts_new RENAME TO answer_parts;
CREATE INDEX answer_parts_section ON answer_parts(application_id, section);
