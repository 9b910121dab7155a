-- Trace data in the ledger (追溯数据存证): every stored ingest batch (a capture document, an
-- import chunk) is one ledger entry (entity `trace_batch`, id = its first event id) whose
-- record holds the RFC 9162 Merkle root over its events' leaves in stored order. The events
-- of a batch are the consecutive ids [id, id + count). This table is the projection of those
-- records that finds an event's batch; `trace::anchor::verify` checks it against the ledger.
CREATE TABLE trace_batches (
    id          BIGINT  PRIMARY KEY,
    count       BIGINT  NOT NULL,
    root        BYTEA  NOT NULL,
    capture_id  BIGINT,
    org_id      BIGINT,
    actor       TEXT    NOT NULL,
    record_time BIGINT  NOT NULL,
    time_from   BIGINT  NOT NULL,
    time_to     BIGINT  NOT NULL
);
