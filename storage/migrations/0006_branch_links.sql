-- A member link for a whole branch: used by up to max_uses people (1: an ordinary invitation).
ALTER TABLE invitations ADD COLUMN max_uses INTEGER NOT NULL DEFAULT 1;
ALTER TABLE invitations ADD COLUMN uses INTEGER NOT NULL DEFAULT 0;
