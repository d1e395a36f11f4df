-- On leave until then (UTC): no private reminders, and not named as missing in groups.
ALTER TABLE people ADD COLUMN leave_until TEXT;
