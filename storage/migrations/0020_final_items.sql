-- Stage 3's final submissions (考核验收): each candidate's work summary and results report,
-- as a document, a photo or typed text. A replaced version is kept, with when it was replaced,
-- so the record shows what the reviewers had at any time; one version of an item is current.
CREATE TABLE final_items (
    id              INTEGER PRIMARY KEY,
    project_id      INTEGER NOT NULL REFERENCES projects(id),
    item            TEXT NOT NULL,     -- the campaign's [[final]] key
    kind            TEXT NOT NULL CHECK (kind IN ('text', 'document', 'photo')),
    text            TEXT,              -- typed text; a file's caption is not kept
    file_id         TEXT,
    file_unique_id  TEXT,
    file_name       TEXT,
    size            INTEGER,
    mime_type       TEXT,
    submitted_by    INTEGER NOT NULL,
    submitted_at    TEXT NOT NULL,
    replaced_at     TEXT,
    CHECK ((kind = 'text') = (text IS NOT NULL)),
    CHECK ((kind = 'text') = (file_id IS NULL))
);
CREATE UNIQUE INDEX final_items_current ON final_items(project_id, item) WHERE replaced_at IS NULL;
