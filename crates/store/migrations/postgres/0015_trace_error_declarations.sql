-- EPCIS 2.0 error declarations (§7.4.1.2): an event captured again with `errorDeclaration`
-- declares the stored event (same event hash) in error. The declaration (its JSON, as sent)
-- is kept beside the event, whose anchored row stays as it was, and ledgered as a record
-- version of entity `trace_error_declaration` (id = the event's row id); queries return
-- the event with it. Written only by trace ingest, never updated.
CREATE TABLE trace_event_declarations (
    event_id     BIGINT PRIMARY KEY REFERENCES trace_events (id),
    declaration  TEXT    NOT NULL,
    record_time  BIGINT NOT NULL
);
