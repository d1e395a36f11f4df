-- Stage 4's deliverables (巩固成果): each pacesetter's experience write-up and micro-video, as a
-- document, typed text, a video or a link. A replaced version is kept, marked replaced; one
-- version of an item is current.
CREATE TABLE deliverables (
    id              INTEGER PRIMARY KEY,
    project_id      INTEGER NOT NULL REFERENCES projects(id),
    item            TEXT NOT NULL,     -- the campaign's [[deliverable]] key
    kind            TEXT NOT NULL CHECK (kind IN ('text', 'document', 'video', 'link')),
    text            TEXT,              -- typed text, or the link
    file_id         TEXT,
    file_unique_id  TEXT,
    file_name       TEXT,
    size            INTEGER,
    mime_type       TEXT,
    submitted_by    INTEGER NOT NULL,
    submitted_at    TEXT NOT NULL,
    replaced_at     TEXT,
    CHECK ((kind IN ('text', 'link')) = (text IS NOT NULL)),
    CHECK ((kind IN ('text', 'link')) = (file_id IS NULL))
);
CREATE UNIQUE INDEX deliverables_current ON deliverables(project_id, item) WHERE replaced_at IS NULL;

-- The results booklet's chapter drafts, written by the booklet's builder; the latest counts.
CREATE TABLE booklet_drafts (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    path        TEXT NOT NULL,     -- the chapter's .docx, under the output folder
    built_at    TEXT NOT NULL
);
CREATE INDEX booklet_drafts_project ON booklet_drafts(project_id, id);

-- A lead's word on a draft: approved, or corrections sent to the admins.
CREATE TABLE booklet_verdicts (
    id          INTEGER PRIMARY KEY,
    draft_id    INTEGER NOT NULL REFERENCES booklet_drafts(id),
    verdict     TEXT NOT NULL CHECK (verdict IN ('approved', 'corrections')),
    comment     TEXT,
    made_by     INTEGER NOT NULL,
    made_at     TEXT NOT NULL,
    CHECK ((verdict = 'corrections') = (comment IS NOT NULL))
);
CREATE INDEX booklet_verdicts_draft ON booklet_verdicts(draft_id, id);

-- The pacesetters whose secretaries and admins were told the checklist is complete: once.
CREATE TABLE deliverables_complete (
    project_id  INTEGER PRIMARY KEY REFERENCES projects(id),
    told_at     TEXT NOT NULL
) WITHOUT ROWID;
