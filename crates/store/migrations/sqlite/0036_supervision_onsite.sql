-- On-site inspection records (现场检查记录): the team, the checklist with each item's result and
-- the conclusion, signed on site by the inspector and the company's representative.
CREATE TABLE sup_onsite (
    inspection_id  INTEGER PRIMARY KEY REFERENCES sup_inspections (id),
    team           TEXT    NOT NULL,
    checklist      TEXT    NOT NULL,
    conclusion     TEXT    NOT NULL DEFAULT '',
    started_by     TEXT    NOT NULL,
    started_at     INTEGER NOT NULL,
    version        INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

-- Findings (缺陷) graded critical / major / minor, with the company's CAPA response (整改) and
-- its verification.
CREATE TABLE sup_findings (
    id             INTEGER PRIMARY KEY,
    inspection_id  INTEGER NOT NULL REFERENCES sup_inspections (id),
    seq            INTEGER NOT NULL,
    grade          TEXT    NOT NULL CHECK (grade IN ('critical', 'major', 'minor')),
    clause         TEXT    NOT NULL DEFAULT '',
    description    TEXT    NOT NULL,
    capa           TEXT    NOT NULL DEFAULT '',
    capa_by        TEXT,
    verification   TEXT    NOT NULL DEFAULT '',
    verified_by    TEXT,
    status         TEXT    NOT NULL,
    created_by     TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    version        INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (inspection_id, seq)
);

-- Evidence (证据) of a finding: the bytes and their SM3, which the finding's ledgered version
-- locks at upload (evidence locking).
CREATE TABLE sup_evidence (
    id            INTEGER PRIMARY KEY,
    finding_id    INTEGER NOT NULL REFERENCES sup_findings (id),
    name          TEXT    NOT NULL,
    label         TEXT    NOT NULL,
    content_type  TEXT    NOT NULL,
    size          INTEGER NOT NULL,
    sm3           TEXT    NOT NULL,
    content       BLOB    NOT NULL,
    uploaded_at   INTEGER NOT NULL
);
CREATE INDEX sup_evidence_finding ON sup_evidence (finding_id, id);
