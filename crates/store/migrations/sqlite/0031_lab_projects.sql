-- R&D projects (研发项目): proposed (立项), approved under a signature, planned in phases and
-- milestones (小试, 中试, 药理毒理 …) with tasks assigned to people with planned and actual
-- hours, closed with their outcome (成果); entity `lab_project`, the phases and tasks as JSON
-- columns. A lab record may belong to a project (its results are the project's deliverables).
-- Dates are China day numbers.

CREATE TABLE lab_projects (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs (id),
    code         TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    objective    TEXT    NOT NULL,
    leader       TEXT    NOT NULL,
    starts_on    INTEGER NOT NULL,
    ends_on      INTEGER NOT NULL,
    phases       TEXT    NOT NULL,
    tasks        TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    proposed_by  TEXT    NOT NULL,
    approved_by  TEXT,
    outcome      TEXT    NOT NULL DEFAULT '',
    version      INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (org_id, code)
);
CREATE INDEX lab_projects_org ON lab_projects (org_id, status, code);

ALTER TABLE lab_records ADD COLUMN project_id INTEGER REFERENCES lab_projects (id);
CREATE INDEX lab_records_project ON lab_records (project_id, id);
