-- Indexes for queries that read a growing table without one (found by the query-plan test
-- `every_query_a_page_runs_reads_through_an_index`, crates/yaolian/src/query_plans.rs).

-- Events at a set of places (a company's or a bureau's sites): trace totals and the EPCIS
-- query of a local reader filter on the event's place, its business location or read point.
CREATE INDEX trace_events_place ON trace_events ((COALESCE(biz_location, read_point)));

-- The parent and the children of an aggregation event (a code's history: which case or
-- pallet it was in, and when it was unpacked). Partial: only those roles' rows are indexed.
CREATE INDEX trace_event_epcs_parent ON trace_event_epcs (event_id) WHERE role = 1;
CREATE INDEX trace_event_epcs_children ON trace_event_epcs (event_id) WHERE role = 2;

-- A record's open to-dos, closed when its step is done (an application's acceptance, review,
-- decision): found by the record's link among the open ones.
CREATE INDEX todos_open_link ON todos (link) WHERE status = 'open';
