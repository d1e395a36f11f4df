-- The reviewers' chat: a group (or one forum topic of it) bound with /bind → 🌐 for the
-- campaign's admins and reviewers, where /vote posts its cards. Kept apart from chat_bindings,
-- whose rows each name a unit or a project; a chat (or topic) is bound to one or the other.
CREATE TABLE campaign_chats (
    chat_id     INTEGER NOT NULL,
    thread_id   INTEGER NOT NULL DEFAULT 0,
    bound_by    INTEGER NOT NULL,
    bound_at    TEXT NOT NULL,
    PRIMARY KEY (chat_id, thread_id)
) WITHOUT ROWID;

-- When a vote card's latest edit goes out: taps in between change what it will say, and the
-- next edit waits its turn after it (a burst of taps is a few edits, not one each).
ALTER TABLE votes ADD COLUMN edit_at TEXT;
