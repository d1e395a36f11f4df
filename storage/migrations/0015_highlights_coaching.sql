-- Stage 2's highlights (亮點): a saved report a unit secretary or an admin picked to make
-- known. A mark is kept when taken back (who, when), so the record says who did what; at
-- most one mark of a report stands at a time.
CREATE TABLE highlights (
    id           INTEGER PRIMARY KEY,
    report_id    INTEGER NOT NULL REFERENCES activity_reports(id),
    marked_by    INTEGER NOT NULL,
    marked_at    TEXT NOT NULL,
    unmarked_by  INTEGER,
    unmarked_at  TEXT
);
CREATE UNIQUE INDEX highlights_standing ON highlights(report_id) WHERE unmarked_at IS NULL;
CREATE INDEX highlights_newest ON highlights(marked_at) WHERE unmarked_at IS NULL;

-- A secretary's or an admin's coaching comment to a candidate's lead, on one report or on
-- the project as a whole.
CREATE TABLE coaching_comments (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    report_id   INTEGER REFERENCES activity_reports(id),
    author_id   INTEGER NOT NULL,
    text        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX coaching_comments_project ON coaching_comments(project_id, created_at);

-- The newest saved reports first, for a secretary or an admin picking highlights.
CREATE INDEX activity_reports_saved_at ON activity_reports(saved_at) WHERE state = 'saved';
