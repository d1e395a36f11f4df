-- A report that shows its progress: the message (in report_chat) that is edited as the rows of
-- its cause go out, and that becomes the report when the last one is done.
ALTER TABLE outbox_reports ADD COLUMN progress_message INTEGER;
