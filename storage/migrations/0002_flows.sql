-- Where a person is in a multi-step flow (waiting for a CSV, an application section, ...).
-- Kept in SQLite, not in memory, so a restart mid-conversation loses nothing.
CREATE TABLE flows (
    user_id     INTEGER PRIMARY KEY REFERENCES people(user_id),
    flow        TEXT NOT NULL,
    step        TEXT NOT NULL DEFAULT '',
    data        TEXT NOT NULL DEFAULT '{}',
    updated_at  TEXT NOT NULL
);
