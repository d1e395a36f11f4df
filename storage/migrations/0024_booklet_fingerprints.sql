-- A chapter draft's fingerprint: a digest of what the chapter says (the lead's approval left
-- out), so a rebuild that changes nothing keeps the draft and the lead's word on it. Drafts
-- recorded before have none: their next build is a new draft, as every build was.
ALTER TABLE booklet_drafts ADD COLUMN fingerprint TEXT;
