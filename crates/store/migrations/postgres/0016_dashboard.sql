-- The 工作台 (home page) and timed to-dos (issue 17).

-- A to-do that a legal time limit governs (受理, 审查, 决定: raised by the services module with
-- its due date) closes when its action is done, never by a 完成 button: `statutory` = 1. The
-- ones raised before this column existed are the services module's to-dos with a due date.
ALTER TABLE todos ADD COLUMN statutory BIGINT NOT NULL DEFAULT 0;
UPDATE todos SET statutory = 1 WHERE module = 'services' AND due_at IS NOT NULL;

-- The dashboard's summary queries: open applications by status and due date (待受理, 即将超期,
-- 超期, and the list's due filters), submissions per week, decisions over recent weeks.
CREATE INDEX applications_status_due ON applications (status, phase_due_on);
CREATE INDEX applications_submitted ON applications (submitted_at);
CREATE INDEX applications_decided ON applications (decided_at);
