-- EPCIS MATCH_ parameters with EPC pattern URIs select a range of code keys, which must sort
-- bytewise: SQLite's default BINARY collation already does (the PostgreSQL migration of the
-- same number sets COLLATE "C"). Nothing to change here; the file keeps the numbering in step.
SELECT 1;
