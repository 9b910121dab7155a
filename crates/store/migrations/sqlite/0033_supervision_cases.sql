-- Risk cases (风险处置): an alert (a trace anomaly, a score over its threshold, a failed sample,
-- a signal …) becomes a case of the bureau that handles it, about one company: assigned,
-- disposed with measures, verified, closed, each step with its due day (China day number).
CREATE TABLE sup_cases (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES orgs (id),
    company_id    INTEGER NOT NULL REFERENCES orgs (id),
    number        TEXT    NOT NULL UNIQUE,
    source        TEXT    NOT NULL,
    source_ref    TEXT    NOT NULL DEFAULT '',
    title         TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    level         TEXT    NOT NULL CHECK (level IN ('high', 'medium', 'low')),
    status        TEXT    NOT NULL CHECK (status IN ('open', 'assigned', 'disposed', 'verified', 'closed')),
    assignee      TEXT,
    due_on        INTEGER NOT NULL,
    findings      TEXT    NOT NULL DEFAULT '',
    measures      TEXT    NOT NULL DEFAULT '[]',
    verification  TEXT    NOT NULL DEFAULT '',
    created_by    TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    closed_at     INTEGER,
    version       INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
-- One case per alert.
CREATE UNIQUE INDEX sup_cases_alert ON sup_cases (source, source_ref) WHERE source_ref <> '';
CREATE INDEX sup_cases_org ON sup_cases (org_id, id);
CREATE INDEX sup_cases_status ON sup_cases (status, due_on);
CREATE INDEX sup_cases_company ON sup_cases (company_id, id);
