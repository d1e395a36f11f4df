-- Organisation: units (subsidiaries) own projects (each with a Party branch).
CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE projects (
    id          INTEGER PRIMARY KEY,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX projects_unit ON projects(unit_id);

-- Everyone the bot has met. locale is the user's choice; NULL means "follow Telegram".
CREATE TABLE people (
    user_id            INTEGER PRIMARY KEY,
    first_name         TEXT NOT NULL,
    last_name          TEXT,
    username           TEXT,
    telegram_language  TEXT,
    locale             TEXT,
    private_chat       INTEGER NOT NULL DEFAULT 0,  -- 1 once they talked to the bot in private
    blocked            INTEGER NOT NULL DEFAULT 0,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);

-- A role is scoped: secretary to a unit; lead and member to a project; admin and reviewer to nothing.
CREATE TABLE roles (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES people(user_id),
    role        TEXT NOT NULL CHECK (role IN ('admin', 'secretary', 'lead', 'member', 'reviewer')),
    unit_id     INTEGER REFERENCES units(id),
    project_id  INTEGER REFERENCES projects(id),
    granted_by  INTEGER,
    granted_at  TEXT NOT NULL,
    CHECK ((role = 'secretary') = (unit_id IS NOT NULL)),
    CHECK ((role IN ('lead', 'member')) = (project_id IS NOT NULL))
);
CREATE UNIQUE INDEX roles_once ON roles(user_id, role, IFNULL(unit_id, 0), IFNULL(project_id, 0));
CREATE INDEX roles_unit ON roles(unit_id);
CREATE INDEX roles_project ON roles(project_id);

CREATE TABLE invitations (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'secretary', 'lead', 'member', 'reviewer')),
    unit_id     INTEGER REFERENCES units(id),
    project_id  INTEGER REFERENCES projects(id),
    created_by  INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_by     INTEGER REFERENCES people(user_id),
    used_at     TEXT,
    used_in_update INTEGER,  -- the update that redeemed it: a redelivery finishes the job
    revoked_at  TEXT,
    origin      TEXT NOT NULL DEFAULT ''  -- chat:message it was made from: a double tap reuses it
);
CREATE INDEX invitations_origin ON invitations(origin);

-- Group chats the bot knows about, and what it may do there.
CREATE TABLE chats (
    chat_id     INTEGER PRIMARY KEY,
    type        TEXT NOT NULL,
    title       TEXT NOT NULL,
    is_forum    INTEGER NOT NULL DEFAULT 0,
    bot_status  TEXT NOT NULL,   -- member, administrator, left, kicked
    migrated_to INTEGER,
    updated_at  TEXT NOT NULL
);

-- A group (thread_id 0) or one forum topic of it, linked to a project or a unit.
-- No foreign key to chats: a binding can come from the CSV import before the bot joins.
CREATE TABLE chat_bindings (
    id          INTEGER PRIMARY KEY,
    chat_id     INTEGER NOT NULL,
    thread_id   INTEGER NOT NULL DEFAULT 0,
    unit_id     INTEGER REFERENCES units(id),
    project_id  INTEGER REFERENCES projects(id),
    bound_by    INTEGER,
    bound_at    TEXT NOT NULL,
    UNIQUE (chat_id, thread_id),
    CHECK ((unit_id IS NULL) <> (project_id IS NULL))
);

-- Every state change: who, what, when, and the update that caused it.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor_id    INTEGER,
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '{}',
    update_id   INTEGER
);
CREATE INDEX audit_subject ON audit_log(subject);

-- Updates fully handled, so a redelivered update changes nothing twice.
CREATE TABLE processed_updates (
    update_id   INTEGER PRIMARY KEY,
    handled_at  TEXT NOT NULL
);
