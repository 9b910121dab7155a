-- Change control (变更控制, China GMP 2010 §240–246): a change requested, assessed by QA with its
-- class (主要 / 次要) and an FMEA (RPN = severity × occurrence × detection), approved by each
-- function concerned under a signature, implemented (tasks, the affected controlled documents
-- revised under it, the first batches after it evaluated) and closed. Current state; every
-- change is also a record version (entity `qa_change`). Lists are JSON text.

CREATE TABLE qa_changes (
    id                     INTEGER PRIMARY KEY,
    org_id                 INTEGER NOT NULL REFERENCES orgs (id),
    number                 TEXT    NOT NULL UNIQUE,
    title                  TEXT    NOT NULL,
    description            TEXT    NOT NULL,
    reason                 TEXT    NOT NULL,
    kind                   TEXT    NOT NULL,
    classification         TEXT    NOT NULL DEFAULT '',
    classification_reason  TEXT    NOT NULL DEFAULT '',
    risks                  TEXT    NOT NULL DEFAULT '[]',
    max_rpn                INTEGER NOT NULL DEFAULT 0,
    risk_level             TEXT    NOT NULL DEFAULT '',
    affected               TEXT    NOT NULL,
    functions              TEXT    NOT NULL DEFAULT '[]',
    approvals              TEXT    NOT NULL DEFAULT '[]',
    tasks                  TEXT    NOT NULL DEFAULT '[]',
    batches_required       INTEGER NOT NULL,
    batch_reviews          TEXT    NOT NULL DEFAULT '[]',
    status                 TEXT    NOT NULL,
    requester              TEXT    NOT NULL,
    closure_note           TEXT    NOT NULL DEFAULT '',
    version                INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);
CREATE INDEX qa_changes_org_updated ON qa_changes (org_id, updated_at);
CREATE INDEX qa_changes_org_status ON qa_changes (org_id, status, updated_at);

-- The last periodic review (定期审核) of a controlled document that kept its effective revision
-- in force; the next review falls due a full interval after it. China day number.
ALTER TABLE qa_documents ADD COLUMN reviewed_on INTEGER;
