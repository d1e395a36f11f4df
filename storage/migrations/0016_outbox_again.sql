-- An edit renewed while it is in flight (a report's card changed twice in a row) goes out
-- once more when the request ends, with the newest words; before, those words were lost.
ALTER TABLE outbox ADD COLUMN again INTEGER NOT NULL DEFAULT 0;
