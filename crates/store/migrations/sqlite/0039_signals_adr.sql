-- Adverse drug reaction reports (药品不良反应/事件报告): who reported, the patient without a name,
-- the suspected and concomitant drugs and the coded events (JSON), the dedup fingerprint; a
-- duplicate is kept and names the report it repeats, and is not counted.
CREATE TABLE adr_reports (
    id              INTEGER PRIMARY KEY,
    number          TEXT    NOT NULL UNIQUE,
    org_id          BIGINT  NOT NULL REFERENCES orgs (id),
    region_org_id   BIGINT  NOT NULL REFERENCES orgs (id),
    external_ref    TEXT    NOT NULL DEFAULT '',
    reporter_kind   TEXT    NOT NULL,
    novel           BIGINT  NOT NULL,
    serious         BIGINT  NOT NULL,
    sex             TEXT    NOT NULL,
    age             BIGINT,
    onset_on        BIGINT  NOT NULL,
    outcome         TEXT    NOT NULL,
    description     TEXT    NOT NULL DEFAULT '',
    drugs           TEXT    NOT NULL,
    events          TEXT    NOT NULL,
    fingerprint     TEXT    NOT NULL,
    duplicate_of    BIGINT  REFERENCES adr_reports (id),
    channel         TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    version         BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX adr_reports_org ON adr_reports (org_id, id);
CREATE INDEX adr_reports_region ON adr_reports (region_org_id, id);
CREATE INDEX adr_reports_fingerprint ON adr_reports (fingerprint);
CREATE UNIQUE INDEX adr_reports_external ON adr_reports (org_id, external_ref) WHERE external_ref <> '';

-- The (suspected drug, event) pairs of each counted report: the drill-down from a signal to its
-- reports.
CREATE TABLE adr_report_pairs (
    report_id       BIGINT  NOT NULL REFERENCES adr_reports (id),
    drug            TEXT    NOT NULL,
    term            TEXT    NOT NULL,
    region_org_id   BIGINT  NOT NULL,
    PRIMARY KEY (drug, term, report_id)
);

-- The counts detection reads, kept by the write path in the report's transaction, by region (the
-- reporting unit's parent): per (drug, term) pair, per drug (term ''), per term (drug '') and
-- all reports (both ''); counted reports only.
CREATE TABLE adr_counts (
    region_org_id   BIGINT  NOT NULL,
    drug            TEXT    NOT NULL,
    term            TEXT    NOT NULL,
    n               BIGINT  NOT NULL,
    PRIMARY KEY (region_org_id, drug, term)
);

-- A bureau's detection runs: when, over how many reports and pairs, the fitted prior (JSON).
CREATE TABLE adr_runs (
    id              INTEGER PRIMARY KEY,
    org_id          BIGINT  NOT NULL REFERENCES orgs (id),
    ran_by          TEXT    NOT NULL,
    ran_at          BIGINT  NOT NULL,
    reports         BIGINT  NOT NULL,
    pairs           BIGINT  NOT NULL,
    signals         BIGINT  NOT NULL,
    prior           TEXT    NOT NULL,
    millis          BIGINT  NOT NULL
);
CREATE INDEX adr_runs_org ON adr_runs (org_id, id);

-- Signals (信号): a drug × event pair a bureau's detection flagged, its measures at the latest
-- run, the methods that flag it, and the bureau's decision; a confirmed one names its case.
CREATE TABLE adr_signals (
    id              INTEGER PRIMARY KEY,
    org_id          BIGINT  NOT NULL REFERENCES orgs (id),
    number          TEXT    NOT NULL UNIQUE,
    drug            TEXT    NOT NULL,
    term            TEXT    NOT NULL,
    n               BIGINT  NOT NULL,
    expected        REAL NOT NULL,
    prr             REAL,
    prr_lower       REAL,
    chi2            REAL NOT NULL,
    ror             REAL,
    ror_lower       REAL,
    ic              REAL NOT NULL,
    ic025           REAL NOT NULL,
    ebgm            REAL,
    eb05            REAL,
    methods         TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    note            TEXT    NOT NULL DEFAULT '',
    decided_by      TEXT,
    case_id         BIGINT  REFERENCES sup_cases (id),
    run_id          BIGINT  NOT NULL REFERENCES adr_runs (id),
    first_run_id    BIGINT  NOT NULL REFERENCES adr_runs (id),
    created_at      BIGINT  NOT NULL,
    version         BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    UNIQUE (org_id, drug, term)
);
CREATE INDEX adr_signals_status ON adr_signals (org_id, status, id);
