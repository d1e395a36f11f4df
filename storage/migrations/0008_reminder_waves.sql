-- Each reminder wave (a stage's opening, or an offset before its deadline, for one deadline)
-- once written to the outbox, in the same transaction as its messages: a restart neither
-- repeats nor skips one. A wave overtaken by a later one while the bot was down is recorded
-- as skipped, so it never goes out late.
CREATE TABLE reminder_waves (
    wave       TEXT PRIMARY KEY,       -- stage:moment:deadline
    stage      TEXT NOT NULL,
    moment     TEXT NOT NULL,          -- opens, or the offset before the deadline (7d, 2h)
    deadline   TEXT NOT NULL,
    due        TEXT NOT NULL,
    outcome    TEXT NOT NULL CHECK (outcome IN ('written', 'skipped')),
    messages   INTEGER NOT NULL DEFAULT 0,
    written_at TEXT NOT NULL
);
