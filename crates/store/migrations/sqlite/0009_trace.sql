-- Drug traceability (药品追溯): EPCIS 2.0 events as captured, which codes each event names, the
-- current state of every code (state, holder, parent), anomalies found at capture, recalls.
-- Codes and locations are stored by their canonical key (see trace::codes::epc): a GS1 Digital
-- Link path such as /01/09506000134352/21/1001, `nmpa/` and the 20-digit 药品追溯码, or the URI
-- as sent for other schemes.

-- A place where codes are handled, and who it belongs to (a company of the registry).
CREATE TABLE trace_sites (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('manufacturer', 'distributor', 'hospital', 'pharmacy', 'other')),
    org_id      INTEGER REFERENCES orgs (id),
    province    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX trace_sites_org ON trace_sites (org_id);

-- An asynchronous capture job (POST /epcis/capture) and its per-event errors.
CREATE TABLE trace_captures (
    id          INTEGER PRIMARY KEY,
    status      TEXT    NOT NULL CHECK (status IN ('accepted', 'succeeded', 'failed')),
    behaviour   TEXT    NOT NULL CHECK (behaviour IN ('rollback', 'proceed')),
    total       INTEGER NOT NULL,
    stored      INTEGER NOT NULL DEFAULT 0,
    errors      TEXT    NOT NULL DEFAULT '[]',
    user_id     INTEGER,
    created_at  INTEGER NOT NULL,
    finished_at INTEGER
);

CREATE TABLE trace_events (
    id           INTEGER PRIMARY KEY,
    hash         BLOB    NOT NULL UNIQUE,
    event_id     TEXT,
    event_type   TEXT    NOT NULL,
    action       TEXT,
    biz_step     TEXT,
    disposition  TEXT,
    read_point   TEXT,
    biz_location TEXT,
    event_time   INTEGER NOT NULL,
    record_time  INTEGER NOT NULL,
    capture_id   INTEGER,
    body         TEXT    NOT NULL
);
CREATE INDEX trace_events_time ON trace_events (event_time);
CREATE INDEX trace_events_record ON trace_events (record_time);
CREATE INDEX trace_events_event_id ON trace_events (event_id) WHERE event_id IS NOT NULL;

-- role: 0 epcList, 1 parentID, 2 childEPCs, 3 inputEPCList, 4 outputEPCList.
CREATE TABLE trace_event_epcs (
    epc         TEXT    NOT NULL,
    event_id    INTEGER NOT NULL,
    role        INTEGER NOT NULL,
    PRIMARY KEY (epc, event_id, role)
) WITHOUT ROWID;

CREATE TABLE trace_codes (
    epc         TEXT    PRIMARY KEY,
    level       TEXT    NOT NULL CHECK (level IN ('unit', 'case', 'pallet')),
    product_id  INTEGER,
    batch       TEXT,
    expiry      TEXT,
    state       TEXT    NOT NULL,
    holder      TEXT,
    source      TEXT,
    parent      TEXT,
    first_time  INTEGER NOT NULL,
    last_time   INTEGER NOT NULL,
    last_site   TEXT,
    recall_id   INTEGER
) WITHOUT ROWID;
CREATE INDEX trace_codes_batch ON trace_codes (product_id, batch);
CREATE INDEX trace_codes_parent ON trace_codes (parent) WHERE parent IS NOT NULL;
CREATE INDEX trace_codes_holder ON trace_codes (holder, state);
CREATE INDEX trace_codes_recall ON trace_codes (recall_id, state) WHERE recall_id IS NOT NULL;

-- Sales per site and day (China time), for the "far above its own 30-day level" rule.
CREATE TABLE trace_site_days (
    site        TEXT    NOT NULL,
    day         TEXT    NOT NULL,
    sold        INTEGER NOT NULL,
    PRIMARY KEY (site, day)
) WITHOUT ROWID;

CREATE TABLE trace_anomalies (
    id          INTEGER PRIMARY KEY,
    dedup       TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL,
    epc         TEXT,
    event_id    INTEGER,
    site        TEXT,
    detail      TEXT    NOT NULL,
    event_time  INTEGER NOT NULL,
    detected_at INTEGER NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    closed_by   INTEGER,
    closed_at   INTEGER,
    note        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX trace_anomalies_status ON trace_anomalies (status, detected_at);
CREATE INDEX trace_anomalies_kind ON trace_anomalies (kind, detected_at);
CREATE INDEX trace_anomalies_site ON trace_anomalies (site);
CREATE INDEX trace_anomalies_epc ON trace_anomalies (epc);

-- 召回: a product's batches called back; holders as found when it was opened.
CREATE TABLE trace_recalls (
    id          INTEGER PRIMARY KEY,
    product_id  INTEGER NOT NULL REFERENCES products (id),
    batches     TEXT    NOT NULL,
    level       INTEGER NOT NULL CHECK (level IN (1, 2, 3)),
    reason      TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('open', 'closed')),
    total       INTEGER NOT NULL,
    created_by  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    closed_by   INTEGER,
    closed_at   INTEGER
);
CREATE INDEX trace_recalls_status ON trace_recalls (status, created_at);

CREATE TABLE trace_recall_holders (
    recall_id   INTEGER NOT NULL REFERENCES trace_recalls (id),
    site        TEXT    NOT NULL,
    initial     INTEGER NOT NULL,
    PRIMARY KEY (recall_id, site)
);
CREATE INDEX trace_recall_holders_site ON trace_recall_holders (site);

-- Codes of a product's higher pack levels (中码 / 大码): a 药品标识码 or GTIN-14 and the level it
-- marks. The unit level (小码) is the product's own drug_code and GTINs.
CREATE TABLE trace_pack_codes (
    prefix      TEXT    PRIMARY KEY,
    product_id  INTEGER NOT NULL REFERENCES products (id),
    level       TEXT    NOT NULL CHECK (level IN ('unit', 'case', 'pallet')),
    per_parent  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX trace_pack_codes_product ON trace_pack_codes (product_id);
