-- Instrument results delivered by the capture agent (仪器数据接收): one row per idempotency key
-- and organization, whatever the retries; the raw file with its SM3, what its parser read, the
-- acquisition metadata. `content_sm3` is the hash of what the key stands for, so a retry is told
-- from a reuse of the key. Every result is also a record version (entity `lab_result`).

CREATE TABLE lab_results (
    id               INTEGER PRIMARY KEY,
    org_id           INTEGER NOT NULL REFERENCES orgs (id),
    idempotency_key  TEXT    NOT NULL,
    content_sm3      TEXT    NOT NULL,
    instrument       TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    acquired_at      INTEGER NOT NULL,
    acquired_by      TEXT    NOT NULL,
    source_path      TEXT    NOT NULL DEFAULT '',
    raw_name         TEXT    NOT NULL,
    raw_size         INTEGER NOT NULL,
    raw_sm3          TEXT    NOT NULL,
    raw              BLOB    NOT NULL,
    parsed           TEXT    NOT NULL,
    received_at      INTEGER NOT NULL,
    received_by      TEXT    NOT NULL,
    UNIQUE (org_id, idempotency_key)
);
CREATE INDEX lab_results_org_instrument ON lab_results (org_id, instrument, id);
