-- Administrative penalty cases (行政处罚案件, 《市场监督管理行政处罚程序规定》): a clue checked,
-- then 立案 → 调查取证 → 案件审核/法制审核 → 告知 → 决定 → 送达 → 执行 → 结案. Days are China
-- day numbers (yaolian_core::time::day_number); amounts are in fen (分).
CREATE TABLE sup_enforcements (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs (id),
    number          TEXT    NOT NULL UNIQUE,
    company_id      INTEGER NOT NULL REFERENCES orgs (id),
    source          TEXT    NOT NULL,
    source_ref      TEXT    NOT NULL DEFAULT '',
    title           TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    outcome         TEXT    NOT NULL DEFAULT '',
    handlers        TEXT    NOT NULL DEFAULT '[]',
    reviewer        TEXT,
    facts           TEXT    NOT NULL DEFAULT '',
    legal_basis     TEXT    NOT NULL DEFAULT '',
    penalty_basis   TEXT    NOT NULL DEFAULT '',
    penalties       TEXT    NOT NULL DEFAULT '[]',
    fine_fen        INTEGER NOT NULL DEFAULT 0,
    hearing_right   INTEGER NOT NULL DEFAULT 0,
    decision_number TEXT,
    statement       TEXT    NOT NULL DEFAULT '',
    review_opinion  TEXT    NOT NULL DEFAULT '',
    hearing_report  TEXT    NOT NULL DEFAULT '',
    service         TEXT    NOT NULL DEFAULT '',
    execution       TEXT    NOT NULL DEFAULT '',
    paid_fen        INTEGER NOT NULL DEFAULT 0,
    closing_note    TEXT    NOT NULL DEFAULT '',
    extended        TEXT    NOT NULL DEFAULT '[]',
    clue_on         INTEGER NOT NULL,
    filed_on        INTEGER,
    review_on       INTEGER,
    reviewed_on     INTEGER,
    notified_on     INTEGER,
    decided_on      INTEGER,
    served_on       INTEGER,
    executed_on     INTEGER,
    closed_on       INTEGER,
    decided_at      INTEGER,
    due_on          INTEGER,
    due_limit       TEXT    NOT NULL DEFAULT '',
    paused          INTEGER NOT NULL DEFAULT 0,
    created_by      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX sup_enforcements_source ON sup_enforcements (source, source_ref) WHERE source_ref <> '';
CREATE INDEX sup_enforcements_org ON sup_enforcements (org_id, id);
CREATE INDEX sup_enforcements_status ON sup_enforcements (status, due_on);
CREATE INDEX sup_enforcements_company ON sup_enforcements (company_id, id);
CREATE INDEX sup_enforcements_decided ON sup_enforcements (decided_at) WHERE decided_at IS NOT NULL;

-- Periods a case's limits do not count (第十八条, 第六十四条): hearing, notice, testing,
-- suspension, identification, refund; both days counted, to_day NULL while it lasts.
CREATE TABLE sup_enforcement_pauses (
    id              INTEGER PRIMARY KEY,
    enforcement_id  INTEGER NOT NULL REFERENCES sup_enforcements (id),
    kind            TEXT    NOT NULL,
    from_day        INTEGER NOT NULL,
    to_day          INTEGER,
    note            TEXT    NOT NULL DEFAULT '',
    created_by      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX sup_enforcement_pauses_case ON sup_enforcement_pauses (enforcement_id, id);

-- Evidence (证据): each file's SM3 locked in the case's ledgered version as it is stored.
CREATE TABLE sup_enforcement_evidence (
    id              INTEGER PRIMARY KEY,
    enforcement_id  INTEGER NOT NULL REFERENCES sup_enforcements (id),
    name            TEXT    NOT NULL,
    label           TEXT    NOT NULL,
    content_type    TEXT    NOT NULL,
    size            INTEGER NOT NULL,
    sm3             TEXT    NOT NULL,
    content         BLOB    NOT NULL,
    uploaded_at     INTEGER NOT NULL
);
CREATE INDEX sup_enforcement_evidence_case ON sup_enforcement_evidence (enforcement_id, id);

-- Documents (执法文书), insert-only: document holds the canonical JSON, for a sealed one the very
-- bytes the bureau's SM2 key signed; verify_code (24 hex of SM3 of those bytes) is the QR's key.
CREATE TABLE sup_enforcement_documents (
    id              INTEGER PRIMARY KEY,
    enforcement_id  INTEGER NOT NULL REFERENCES sup_enforcements (id),
    kind            TEXT    NOT NULL,
    number          TEXT    NOT NULL,
    document        TEXT    NOT NULL,
    sm3             TEXT    NOT NULL,
    key_id          TEXT    REFERENCES authority_keys (key_id),
    signature       BLOB,
    signed_at       INTEGER,
    verify_code     TEXT    UNIQUE,
    created_by      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX sup_enforcement_documents_case ON sup_enforcement_documents (enforcement_id, kind, id);
CREATE UNIQUE INDEX sup_enforcement_documents_number ON sup_enforcement_documents (kind, number);

-- Complaints and reports (投诉举报, 《市场监督管理投诉举报处理暂行办法》): registered, triaged,
-- then closed with a reply or turned into an enforcement case.
CREATE TABLE sup_complaints (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs (id),
    number          TEXT    NOT NULL UNIQUE,
    kind            TEXT    NOT NULL CHECK (kind IN ('complaint', 'report')),
    channel         TEXT    NOT NULL,
    company_id      INTEGER REFERENCES orgs (id),
    subject         TEXT    NOT NULL,
    content         TEXT    NOT NULL,
    reporter        TEXT    NOT NULL DEFAULT '',
    contact         TEXT    NOT NULL DEFAULT '',
    real_name       INTEGER NOT NULL DEFAULT 0,
    received_on     INTEGER NOT NULL,
    status          TEXT    NOT NULL,
    triage          TEXT    NOT NULL DEFAULT '',
    reply           TEXT    NOT NULL DEFAULT '',
    enforcement_id  INTEGER REFERENCES sup_enforcements (id),
    due_on          INTEGER NOT NULL,
    created_by      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    closed_at       INTEGER,
    version         INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX sup_complaints_org ON sup_complaints (org_id, id);
CREATE INDEX sup_complaints_status ON sup_complaints (status, due_on);
CREATE INDEX sup_complaints_company ON sup_complaints (company_id, id);
