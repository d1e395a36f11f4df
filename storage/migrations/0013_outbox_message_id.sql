-- The message Telegram made of a sent row: a later edit or deletion of it (an activity report's
-- card, changed or deleted by its author) finds it here.
ALTER TABLE outbox ADD COLUMN message_id INTEGER;
