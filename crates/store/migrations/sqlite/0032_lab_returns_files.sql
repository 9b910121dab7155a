-- Lab records: a reviewer's send-back (退回) with its reason, and files attached to a record's
-- attachment fields (附件), each with its SM3.
ALTER TABLE lab_records ADD COLUMN return_note TEXT NOT NULL DEFAULT '';

CREATE TABLE lab_record_files (
    id            INTEGER PRIMARY KEY,
    record_id     INTEGER NOT NULL REFERENCES lab_records (id),
    name          TEXT    NOT NULL,
    label         TEXT    NOT NULL,
    content_type  TEXT    NOT NULL,
    size          INTEGER NOT NULL,
    sm3           TEXT    NOT NULL,
    content       BLOB    NOT NULL,
    uploaded_at   INTEGER NOT NULL
);
CREATE INDEX lab_record_files_record ON lab_record_files (record_id);
