-- Updates as they arrive, stored before Telegram is told they were received: an update that
-- was stored is never lost, and one that was handled is never handled again.
CREATE TABLE inbox (
    update_id   INTEGER PRIMARY KEY,
    chat_id     INTEGER,               -- the lane it is handled in, one after another
    payload     TEXT NOT NULL,         -- the update as JSON; emptied once handled
    received_at TEXT NOT NULL,
    handled_at  TEXT
);
CREATE INDEX inbox_unhandled ON inbox(update_id) WHERE handled_at IS NULL;
CREATE INDEX inbox_handled_at ON inbox(handled_at);
INSERT INTO inbox (update_id, payload, received_at, handled_at)
    SELECT update_id, '', handled_at, handled_at FROM processed_updates;
DROP TABLE processed_updates;

-- Messages to anyone other than the person acting, written with the change that causes them
-- and delivered by one paced sender. The unique key makes a redelivered update or a restart
-- write nothing twice.
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    cause        TEXT NOT NULL,        -- what made it, e.g. application:7:accepted:<stamp>
    kind         TEXT NOT NULL,        -- what it says (the template key)
    chat_id      INTEGER NOT NULL,
    thread_id    INTEGER NOT NULL DEFAULT 0,
    part         INTEGER NOT NULL DEFAULT 0,   -- a long text is several messages, in order
    user_id      INTEGER,              -- the person, for a private message
    method       TEXT NOT NULL,        -- sendMessage, ...
    payload      TEXT NOT NULL,        -- the method's parameters as JSON
    priority     INTEGER NOT NULL DEFAULT 1,   -- lower goes first
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    not_before   TEXT NOT NULL,        -- not sent earlier (quiet hours, retries)
    attempts     INTEGER NOT NULL DEFAULT 0,
    error        TEXT,                 -- why it failed, for the report
    created_at   TEXT NOT NULL,
    sent_at      TEXT,
    UNIQUE (cause, chat_id, thread_id, kind, part)
);
CREATE INDEX outbox_waiting ON outbox(chat_id, id) WHERE state IN ('pending', 'sending');
CREATE INDEX outbox_cause ON outbox(cause);

-- A wide announcement whose sender wants to hear how it went: when its last row is done, a
-- report goes to `report_chat`.
CREATE TABLE outbox_reports (
    cause        TEXT PRIMARY KEY,
    report_chat  INTEGER NOT NULL,
    kind         TEXT NOT NULL,        -- the report's template key
    locale       TEXT NOT NULL,
    context      TEXT NOT NULL DEFAULT '{}',
    unreachable  INTEGER NOT NULL DEFAULT 0,   -- people who never opened a private chat
    done_at      TEXT
);
