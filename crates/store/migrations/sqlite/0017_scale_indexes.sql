-- Indexes for queries that read a growing table without one (found by the query-plan test
-- `every_query_a_page_runs_reads_through_an_index`, crates/yaolian/src/query_plans.rs).

-- Events at a set of places (a company's or a bureau's sites): trace totals and the EPCIS
-- query of a local reader filter on the event's place, its business location or read point.
CREATE INDEX trace_events_place ON trace_events (COALESCE(biz_location, read_point));

-- The parent and the children of an aggregation event (a code's history: which case or
-- pallet it was in, and when it was unpacked). Partial: only those roles' rows are indexed.
CREATE INDEX trace_event_epcs_parent ON trace_event_epcs (event_id) WHERE role = 1;
CREATE INDEX trace_event_epcs_children ON trace_event_epcs (event_id) WHERE role = 2;

-- A record's open to-dos, closed when its step is done (an application's acceptance, review,
-- decision): found by the record's link among the open ones.
CREATE INDEX todos_open_link ON todos (link) WHERE status = 'open';

-- The figures of an application that the statistics page and the 工作台 add up, kept in
-- columns beside its data: read out of the JSON of every application they took over a second
-- at a province's 100,000. Written by every step (`services::applications::save`).
ALTER TABLE applications ADD COLUMN paused_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE applications ADD COLUMN auto_decided INTEGER NOT NULL DEFAULT 0;
ALTER TABLE applications ADD COLUMN accepted_on TEXT;
ALTER TABLE applications ADD COLUMN limit_days INTEGER NOT NULL DEFAULT 0;
UPDATE applications SET
    paused_days = COALESCE(CAST(json_extract(data, '$.clock.paused_days') AS INTEGER), 0),
    limit_days = COALESCE(CAST(json_extract(data, '$.clock.limit_days') AS INTEGER), 0),
    auto_decided = CASE WHEN json_extract(data, '$.decision.rule') IS NULL THEN 0 ELSE 1 END,
    accepted_on = (SELECT date((CAST(json_extract(s.value, '$.at') AS INTEGER) + 28800000) / 1000, 'unixepoch')
                   FROM json_each(data, '$.steps') s WHERE json_extract(s.value, '$.step') = 'accept' LIMIT 1);
