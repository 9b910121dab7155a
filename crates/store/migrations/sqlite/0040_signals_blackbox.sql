-- The production black box (生产黑匣子): a company's production lines and the key process
-- parameters their systems stream, with the control limits and specification each is judged by.
CREATE TABLE bb_lines (
    id              INTEGER PRIMARY KEY,
    org_id          BIGINT  NOT NULL REFERENCES orgs (id),
    code            TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    product         TEXT    NOT NULL DEFAULT '',
    created_by      TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    version         BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    UNIQUE (org_id, code)
);

-- A parameter: subgroup 1 charts individuals and moving ranges, 2 to 10 subgroup means and
-- ranges (the values one sampling time gives); center and sigma are the individuals' control
-- centre and σ; lsl / usl the specification.
CREATE TABLE bb_parameters (
    id              INTEGER PRIMARY KEY,
    line_id         BIGINT  NOT NULL REFERENCES bb_lines (id),
    code            TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    unit            TEXT    NOT NULL DEFAULT '',
    subgroup        BIGINT  NOT NULL,
    center          REAL    NOT NULL,
    sigma           REAL    NOT NULL,
    lsl             REAL,
    usl             REAL,
    created_by      TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    version         BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    UNIQUE (line_id, code)
);

-- One ingest (one API call): its points' Merkle root, anchored by the ingest's one ledgered
-- version; `late` counts the points older than their series' latest when they came.
CREATE TABLE bb_ingests (
    id              INTEGER PRIMARY KEY,
    org_id          BIGINT  NOT NULL REFERENCES orgs (id),
    count           BIGINT  NOT NULL,
    late            BIGINT  NOT NULL,
    root            TEXT    NOT NULL,
    time_from       BIGINT  NOT NULL,
    time_to         BIGINT  NOT NULL,
    actor           TEXT    NOT NULL,
    received_at     BIGINT  NOT NULL
);
CREATE INDEX bb_ingests_org ON bb_ingests (org_id, id);

-- The points, in their ingest's order (the order of its Merkle leaves).
CREATE TABLE bb_points (
    ingest_id       BIGINT  NOT NULL REFERENCES bb_ingests (id),
    pos             BIGINT  NOT NULL,
    parameter_id    BIGINT  NOT NULL REFERENCES bb_parameters (id),
    batch           TEXT    NOT NULL,
    ts              BIGINT  NOT NULL,
    value           REAL    NOT NULL,
    PRIMARY KEY (ingest_id, pos)
);
CREATE INDEX bb_points_series ON bb_points (parameter_id, batch, ts);

-- A parameter's series in one production batch, folded sample by sample as they come: the EWMA,
-- the CUSUM sums, the running mean and sum of squared deviations (Welford) and the moving or
-- subgroup ranges for capability; refolded from its points when a late one arrives.
CREATE TABLE bb_series (
    parameter_id    BIGINT  NOT NULL REFERENCES bb_parameters (id),
    batch           TEXT    NOT NULL,
    samples         BIGINT  NOT NULL,
    points          BIGINT  NOT NULL,
    first_ts        BIGINT  NOT NULL,
    last_ts         BIGINT  NOT NULL,
    last_mean       REAL    NOT NULL,
    ewma            REAL    NOT NULL,
    cusum_high      REAL    NOT NULL,
    cusum_low       REAL    NOT NULL,
    mean            REAL    NOT NULL,
    m2              REAL    NOT NULL,
    spread_total    REAL    NOT NULL,
    spreads         BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    PRIMARY KEY (parameter_id, batch)
);
CREATE INDEX bb_series_recent ON bb_series (parameter_id, last_ts);

-- Warnings (预警): the first breach of a rule (Nelson 1-8, EWMA, CUSUM) by a parameter in a
-- batch, and the bureau's decision; a confirmed one names its case.
CREATE TABLE bb_warnings (
    id              INTEGER PRIMARY KEY,
    number          TEXT    NOT NULL UNIQUE,
    org_id          BIGINT  NOT NULL REFERENCES orgs (id),
    parameter_id    BIGINT  NOT NULL REFERENCES bb_parameters (id),
    batch           TEXT    NOT NULL,
    rule            TEXT    NOT NULL,
    ts              BIGINT  NOT NULL,
    value           REAL    NOT NULL,
    ingest_id       BIGINT  NOT NULL REFERENCES bb_ingests (id),
    status          TEXT    NOT NULL,
    note            TEXT    NOT NULL DEFAULT '',
    decided_by      TEXT,
    case_id         BIGINT  REFERENCES sup_cases (id),
    created_at      BIGINT  NOT NULL,
    version         BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    UNIQUE (parameter_id, batch, rule)
);
CREATE INDEX bb_warnings_org ON bb_warnings (org_id, status, id);
CREATE INDEX bb_warnings_status ON bb_warnings (status, id);
