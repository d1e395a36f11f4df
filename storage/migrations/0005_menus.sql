-- The command menu last set in each person's private chat (a signature of its commands and
-- language): at start, only menus that changed are sent to Telegram again.
ALTER TABLE people ADD COLUMN menu TEXT;
