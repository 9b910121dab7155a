-- EPCIS MATCH_ parameters with EPC pattern URIs (urn:epc:idpat:…) select a range of code keys.
-- Keys must sort bytewise for such a range to be the keys with the prefix and for the primary
-- key to serve it, as SQLite's BINARY collation already does.
ALTER TABLE trace_event_epcs ALTER COLUMN epc TYPE TEXT COLLATE "C";
