-- Stage 3's outcome: the candidates the admins select as pacesetters (标杆). Each confirmed
-- selection is a round, with who made it; `pacesetters` is the selection as it stands, and the
-- audit log ("pacesetters.select") keeps each round's before and after.
CREATE TABLE pacesetter_rounds (
    id          INTEGER PRIMARY KEY,
    made_by     INTEGER NOT NULL,
    made_at     TEXT NOT NULL
);

CREATE TABLE pacesetters (
    project_id  INTEGER PRIMARY KEY REFERENCES projects(id),
    round_id    INTEGER NOT NULL REFERENCES pacesetter_rounds(id)
) WITHOUT ROWID;

-- What each candidate's leads, secretaries and groups were last told (1 selected, 0 not), and
-- in which round: a later round tells only those whose outcome changed.
CREATE TABLE pacesetter_told (
    project_id  INTEGER PRIMARY KEY REFERENCES projects(id),
    selected    INTEGER NOT NULL,
    round_id    INTEGER NOT NULL REFERENCES pacesetter_rounds(id)
) WITHOUT ROWID;

-- An admin's proposal on the /select screen, until confirmed or replaced: survives a restart.
CREATE TABLE pacesetter_drafts (
    admin_id    INTEGER PRIMARY KEY,
    project_ids TEXT NOT NULL,  -- JSON list, sorted
    saved_at    TEXT NOT NULL
) WITHOUT ROWID;
