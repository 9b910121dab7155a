-- Quality system (质量体系): deviations (偏差, China GMP 2010 §247–251) and corrective and
-- preventive actions (纠正措施和预防措施, §252–254) with their effectiveness checks. Current
-- state; every change is also a record version (entities `qa_deviation`, `qa_capa`). Lists
-- (five whys, actions) are JSON text. Dates are China day numbers.

CREATE TABLE qa_deviations (
    id                     INTEGER PRIMARY KEY,
    org_id                 INTEGER NOT NULL REFERENCES orgs (id),
    number                 TEXT    NOT NULL UNIQUE,
    title                  TEXT    NOT NULL,
    description            TEXT    NOT NULL,
    location               TEXT    NOT NULL DEFAULT '',
    occurred_at            INTEGER NOT NULL,
    product                TEXT    NOT NULL DEFAULT '',
    batch                  TEXT    NOT NULL DEFAULT '',
    record_ref             TEXT    NOT NULL DEFAULT '',
    immediate_actions      TEXT    NOT NULL DEFAULT '',
    source                 TEXT    NOT NULL,
    source_ref             TEXT    NOT NULL DEFAULT '',
    classification         TEXT    NOT NULL DEFAULT '',
    classification_reason  TEXT    NOT NULL DEFAULT '',
    cause_category         TEXT    NOT NULL DEFAULT '',
    five_whys              TEXT    NOT NULL DEFAULT '[]',
    root_cause             TEXT    NOT NULL DEFAULT '',
    impact                 TEXT    NOT NULL DEFAULT '',
    due_on                 INTEGER NOT NULL,
    status                 TEXT    NOT NULL,
    reporter               TEXT    NOT NULL,
    approved_by            TEXT,
    capa_id                INTEGER,
    version                INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);
CREATE INDEX qa_deviations_org_updated ON qa_deviations (org_id, updated_at);
CREATE INDEX qa_deviations_org_status ON qa_deviations (org_id, status, updated_at);
CREATE INDEX qa_deviations_org_cause ON qa_deviations (org_id, cause_category);

CREATE TABLE qa_capas (
    id                     INTEGER PRIMARY KEY,
    org_id                 INTEGER NOT NULL REFERENCES orgs (id),
    deviation_id           INTEGER REFERENCES qa_deviations (id),
    number                 TEXT    NOT NULL UNIQUE,
    title                  TEXT    NOT NULL,
    actions                TEXT    NOT NULL,
    status                 TEXT    NOT NULL,
    owner                  TEXT    NOT NULL,
    effectiveness_due_on   INTEGER,
    effectiveness_note     TEXT    NOT NULL DEFAULT '',
    reopened               INTEGER NOT NULL DEFAULT 0,
    version                INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);
CREATE INDEX qa_capas_org_updated ON qa_capas (org_id, updated_at);
CREATE INDEX qa_capas_org_status ON qa_capas (org_id, status, updated_at);
CREATE INDEX qa_capas_deviation ON qa_capas (deviation_id);
