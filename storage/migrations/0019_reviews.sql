-- Stage 3 (考核验收): a reviewer assigned a candidate, and what they made of it. A review is
-- assigned, then a draft once a score is set, then submitted; a recusal is kept with its
-- reason and never counts. One review per reviewer and candidate, ever: a recused reviewer
-- is not given the same candidate again.
CREATE TABLE reviews (
    id             INTEGER PRIMARY KEY,
    reviewer_id    INTEGER NOT NULL REFERENCES people(user_id),
    project_id     INTEGER NOT NULL REFERENCES projects(id),
    state          TEXT NOT NULL DEFAULT 'assigned'
                   CHECK (state IN ('assigned', 'draft', 'submitted', 'recused')),
    assigned_by    INTEGER,          -- NULL: made for everyone (reviewers_per_candidate = 0)
    assigned_at    TEXT NOT NULL,
    draft_comment  TEXT,             -- what the card shows, kept across restarts
    comment        TEXT,             -- as submitted
    submitted_at   TEXT,             -- the first submission; changes are in the audit log
    changed_at     TEXT NOT NULL,
    recused_at     TEXT,
    recuse_reason  TEXT,
    CHECK ((state = 'recused') = (recused_at IS NOT NULL))
);
CREATE UNIQUE INDEX reviews_once ON reviews(reviewer_id, project_id);
CREATE INDEX reviews_project ON reviews(project_id);

-- A review's score on one criterion: the value set on the card (draft) and the value that
-- counts (submitted, NULL until the review is submitted). Submitting copies one to the other.
CREATE TABLE review_scores (
    review_id   INTEGER NOT NULL REFERENCES reviews(id),
    criterion   TEXT NOT NULL,
    draft       INTEGER NOT NULL,
    submitted   INTEGER,
    set_at      TEXT NOT NULL,
    PRIMARY KEY (review_id, criterion)
) WITHOUT ROWID;

-- The quick group vote on a candidate in the reviewers' chat; it never enters a total.
-- At most one vote on a candidate is open at a time.
CREATE TABLE votes (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    chat_id     INTEGER NOT NULL,
    thread_id   INTEGER NOT NULL DEFAULT 0,
    message_id  INTEGER,             -- the card, once the outbox has sent it
    opened_by   INTEGER NOT NULL,
    opened_at   TEXT NOT NULL,
    closed_by   INTEGER,
    closed_at   TEXT
);
CREATE UNIQUE INDEX votes_open ON votes(project_id) WHERE closed_at IS NULL;
CREATE INDEX votes_message ON votes(chat_id, message_id);

-- One standing ballot per person and vote; tapping the same choice again withdraws it.
CREATE TABLE ballots (
    vote_id     INTEGER NOT NULL REFERENCES votes(id),
    voter_id    INTEGER NOT NULL,
    choice      TEXT NOT NULL CHECK (choice IN ('recommend', 'undecided', 'not_yet')),
    changed_at  TEXT NOT NULL,
    PRIMARY KEY (vote_id, voter_id)
) WITHOUT ROWID;
