-- Sampling plans (抽检计划): a bureau's year of sampling by product class and risk level, its
-- tasks (抽检任务) generated from the products in reach, riskiest first, up to a quota.
CREATE TABLE sup_sampling_plans (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs (id),
    year        INTEGER NOT NULL,
    title       TEXT    NOT NULL,
    basis       TEXT    NOT NULL DEFAULT '',
    classes     TEXT    NOT NULL DEFAULT '[]',
    levels      TEXT    NOT NULL DEFAULT '[]',
    quota       INTEGER NOT NULL,
    created_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX sup_sampling_plans_org ON sup_sampling_plans (org_id, year);

-- Samples (样品): a task given to a sampling team, the sample taken (batch, quantity, seal), its
-- chain of custody, the test results and the signed report; a failing one names its disposal
-- case and the recall it ordered.
CREATE TABLE sup_samples (
    id          INTEGER PRIMARY KEY,
    plan_id     INTEGER NOT NULL REFERENCES sup_sampling_plans (id),
    org_id      INTEGER NOT NULL REFERENCES orgs (id),
    number      TEXT    NOT NULL UNIQUE,
    company_id  INTEGER NOT NULL REFERENCES orgs (id),
    product_id  INTEGER NOT NULL REFERENCES products (id),
    level       TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL,
    team        TEXT    NOT NULL DEFAULT '[]',
    batch       TEXT    NOT NULL DEFAULT '',
    quantity    TEXT    NOT NULL DEFAULT '',
    place       TEXT    NOT NULL DEFAULT '',
    seal        TEXT    NOT NULL DEFAULT '',
    sampled_at  INTEGER,
    tested_by   TEXT,
    verdict     TEXT    NOT NULL DEFAULT '',
    conclusion  TEXT    NOT NULL DEFAULT '',
    case_id     INTEGER REFERENCES sup_cases (id),
    recall_id   INTEGER REFERENCES trace_recalls (id),
    created_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX sup_samples_plan ON sup_samples (plan_id, id);
CREATE INDEX sup_samples_company ON sup_samples (company_id, id);
CREATE INDEX sup_samples_product ON sup_samples (product_id, status);
CREATE INDEX sup_samples_status ON sup_samples (status, id);

-- Chain of custody (样品流转): who held the sample from when, where, and the seal's state.
CREATE TABLE sup_sample_custody (
    id          INTEGER PRIMARY KEY,
    sample_id   INTEGER NOT NULL REFERENCES sup_samples (id),
    seq         INTEGER NOT NULL,
    action      TEXT    NOT NULL,
    holder      TEXT    NOT NULL,
    place       TEXT    NOT NULL DEFAULT '',
    note        TEXT    NOT NULL DEFAULT '',
    at          INTEGER NOT NULL,
    UNIQUE (sample_id, seq)
);

-- Test results (检验结果): each item against its specification, with its verdict; the number
-- also as a real for comparison with other batches and makers.
CREATE TABLE sup_sample_results (
    id          INTEGER PRIMARY KEY,
    sample_id   INTEGER NOT NULL REFERENCES sup_samples (id),
    seq         INTEGER NOT NULL,
    item        TEXT    NOT NULL,
    unit        TEXT    NOT NULL DEFAULT '',
    low         TEXT    NOT NULL DEFAULT '',
    high        TEXT    NOT NULL DEFAULT '',
    value       TEXT    NOT NULL,
    value_num   REAL,
    verdict     TEXT    NOT NULL CHECK (verdict IN ('pass', 'fail')),
    UNIQUE (sample_id, seq)
);
CREATE INDEX sup_sample_results_item ON sup_sample_results (item, sample_id);
