-- /progress at scale (bench/progress.py: 75 candidates, 100,000 reports): saved reports
-- counted by project, month and criterion ('' for none), kept by triggers in the same
-- transaction as every change of a report, so reading the facts never scans the reports.
CREATE TABLE report_tallies (
    project_id  INTEGER NOT NULL,
    month       TEXT NOT NULL,          -- YYYY-MM of the day the reports are about
    criterion   TEXT NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (project_id, month, criterion)
) WITHOUT ROWID;

INSERT INTO report_tallies (project_id, month, criterion, n)
    SELECT project_id, substr(held_on, 1, 7), IFNULL(criterion, ''), COUNT(*)
    FROM activity_reports WHERE state = 'saved' GROUP BY 1, 2, 3;

CREATE TRIGGER report_tallies_insert AFTER INSERT ON activity_reports
WHEN NEW.state = 'saved'
BEGIN
    INSERT INTO report_tallies (project_id, month, criterion, n)
    VALUES (NEW.project_id, substr(NEW.held_on, 1, 7), IFNULL(NEW.criterion, ''), 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER report_tallies_unsave AFTER UPDATE ON activity_reports
WHEN OLD.state = 'saved'
BEGIN
    UPDATE report_tallies SET n = n - 1 WHERE project_id = OLD.project_id
        AND month = substr(OLD.held_on, 1, 7) AND criterion = IFNULL(OLD.criterion, '');
    DELETE FROM report_tallies WHERE n <= 0;
END;

CREATE TRIGGER report_tallies_save AFTER UPDATE ON activity_reports
WHEN NEW.state = 'saved'
BEGIN
    INSERT INTO report_tallies (project_id, month, criterion, n)
    VALUES (NEW.project_id, substr(NEW.held_on, 1, 7), IFNULL(NEW.criterion, ''), 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER report_tallies_delete AFTER DELETE ON activity_reports
WHEN OLD.state = 'saved'
BEGIN
    UPDATE report_tallies SET n = n - 1 WHERE project_id = OLD.project_id
        AND month = substr(OLD.held_on, 1, 7) AND criterion = IFNULL(OLD.criterion, '');
    DELETE FROM report_tallies WHERE n <= 0;
END;

-- The last day a candidate's reports are about: one index seek per candidate.
CREATE INDEX activity_reports_last_day ON activity_reports(project_id, held_on)
    WHERE state = 'saved';
DROP INDEX activity_reports_project;
