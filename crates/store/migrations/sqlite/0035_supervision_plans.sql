-- Annual inspection plans (年度检查计划): one per bureau and year, generated from the risk
-- model (frequency by risk level, statutory minimums) and then edited by the planner.
CREATE TABLE sup_plans (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES orgs (id),
    year           INTEGER NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('draft', 'published')),
    model_org_id   INTEGER,
    model_version  INTEGER NOT NULL,
    note           TEXT    NOT NULL DEFAULT '',
    created_by     TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    published_by   TEXT,
    published_at   INTEGER,
    version        INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (org_id, year)
);

-- Inspections (检查): a planned visit of a company in a month of the plan's year, or one
-- added by hand (有因检查 …); its later steps (team, checklist, findings, report, CAPA) build
-- on the same row.
CREATE TABLE sup_inspections (
    id          INTEGER PRIMARY KEY,
    plan_id     INTEGER REFERENCES sup_plans (id),
    org_id      INTEGER NOT NULL REFERENCES orgs (id),
    company_id  INTEGER NOT NULL REFERENCES orgs (id),
    number      TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL,
    year        INTEGER NOT NULL,
    month       INTEGER NOT NULL CHECK (month BETWEEN 1 AND 12),
    level       TEXT    NOT NULL,
    basis       TEXT    NOT NULL,
    scope       TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL,
    note        TEXT    NOT NULL DEFAULT '',
    created_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX sup_inspections_plan ON sup_inspections (plan_id, month, id);
CREATE INDEX sup_inspections_company ON sup_inspections (company_id, year, month);
CREATE INDEX sup_inspections_org ON sup_inspections (org_id, year, month);
