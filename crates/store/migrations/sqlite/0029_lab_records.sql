-- Lab record templates (实验记录模板) and lab records (电子实验记录). A template is a code and
-- title; each of its versions holds a definition (sections, typed fields, calculated fields with
-- formulas, checks) as JSON, editable only as a draft and used only once approved (entity
-- `lab_template_version`). A record is filled from one approved template version; its entries
-- (each field's value as entered or calculated, where it came from, its corrections) are JSON,
-- and each step is a version of entity `lab_record`. Times are milliseconds.

CREATE TABLE lab_templates (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs (id),
    code        TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (org_id, code)
);

CREATE TABLE lab_template_versions (
    id           INTEGER PRIMARY KEY,
    template_id  INTEGER NOT NULL REFERENCES lab_templates (id),
    org_id       INTEGER NOT NULL REFERENCES orgs (id),
    number       INTEGER NOT NULL,
    definition   TEXT    NOT NULL,
    change_note  TEXT    NOT NULL DEFAULT '',
    status       TEXT    NOT NULL,
    author       TEXT    NOT NULL,
    approved_by  TEXT,
    approved_at  INTEGER,
    version      INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (template_id, number)
);
CREATE INDEX lab_template_versions_org ON lab_template_versions (org_id, status, template_id);

CREATE TABLE lab_records (
    id                   INTEGER PRIMARY KEY,
    org_id               INTEGER NOT NULL REFERENCES orgs (id),
    number               TEXT    NOT NULL UNIQUE,
    title                TEXT    NOT NULL,
    template_version_id  INTEGER NOT NULL REFERENCES lab_template_versions (id),
    entries              TEXT    NOT NULL,
    status               TEXT    NOT NULL,
    oos                  INTEGER NOT NULL DEFAULT 0,
    deviation_id         INTEGER,
    author               TEXT    NOT NULL,
    reviewed_by          TEXT,
    approved_by          TEXT,
    created_at           INTEGER NOT NULL,
    version              INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX lab_records_org ON lab_records (org_id, id);
CREATE INDEX lab_records_org_status ON lab_records (org_id, status, id);
CREATE INDEX lab_records_template ON lab_records (template_version_id);
