-- Stage 1: one application per project, written section by section.
CREATE TABLE applications (
    id            INTEGER PRIMARY KEY,
    project_id    INTEGER NOT NULL UNIQUE REFERENCES projects(id),
    status        TEXT NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'submitted', 'returned', 'nominated',
                                    'accepted', 'declined')),
    comment       TEXT,          -- the unit's return comment, or the organiser's reason
    submitted_by  INTEGER REFERENCES people(user_id),
    submitted_at  TEXT,
    decided_by    INTEGER REFERENCES people(user_id),
    decided_at    TEXT,
    created_by    INTEGER NOT NULL REFERENCES people(user_id),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX applications_status ON applications(status);

-- One answer per section; a text answer may be several messages (parts), in order.
CREATE TABLE answers (
    application_id INTEGER NOT NULL REFERENCES applications(id),
    section        TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('writing', 'done', 'skipped')),
    amount         TEXT,         -- a number section: the amount, exact, as text
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (application_id, section)
);

CREATE TABLE answer_parts (
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
    UNIQUE (application_id, author_id, message_id)
);
CREATE INDEX answer_parts_section ON answer_parts(application_id, section);

-- Deadlines an admin moved; they override the campaign file.
CREATE TABLE stage_deadlines (
    stage       TEXT PRIMARY KEY,
    deadline    TEXT NOT NULL,
    set_by      INTEGER,
    set_at      TEXT NOT NULL
);
