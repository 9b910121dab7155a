-- Trace data in the ledger (追溯数据存证): every stored ingest batch (a capture document, an
-- import chunk) is one ledger entry (entity `trace_batch`, id = its first event id) whose
-- record holds the RFC 9162 Merkle root over its events' leaves in stored order. The events
-- of a batch are the consecutive ids [id, id + count). This table is the projection of those
-- records that finds an event's batch; `trace::anchor::verify` checks it against the ledger.
CREATE TABLE trace_batches (
    id          INTEGER  PRIMARY KEY,
    count       INTEGER  NOT NULL,
    root        BLOB  NOT NULL,
    capture_id  INTEGER,
    org_id      INTEGER,
    actor       TEXT    NOT NULL,
    record_time INTEGER  NOT NULL,
    time_from   INTEGER  NOT NULL,
    time_to     INTEGER  NOT NULL
);
