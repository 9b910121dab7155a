-- 追溯数据上报 and 异常说明 (issue 16 §4).
--
-- A capture job started from the company's upload page names the file it came from, its
-- kind (document / lines / sheet) and the reporting organization, so the company lists its
-- own uploads; refused lines stay in `errors` as before.
ALTER TABLE trace_captures ADD COLUMN file_name TEXT NOT NULL DEFAULT '';
ALTER TABLE trace_captures ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE trace_captures ADD COLUMN org_id INTEGER;
CREATE INDEX trace_captures_org ON trace_captures (org_id, created_at);

-- A company's answer (异常说明) to an anomaly that concerns it, before the bureau closes it.
-- Versioned (entity `trace_anomaly_answer`); its attachments are kept with their SM3.
CREATE TABLE trace_anomaly_answers (
    id          INTEGER PRIMARY KEY,
    anomaly_id  INTEGER NOT NULL REFERENCES trace_anomalies (id),
    org_id      INTEGER NOT NULL REFERENCES orgs (id),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    text        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX trace_anomaly_answers_anomaly ON trace_anomaly_answers (anomaly_id, id);

CREATE TABLE trace_answer_files (
    id           INTEGER PRIMARY KEY,
    answer_id    INTEGER NOT NULL REFERENCES trace_anomaly_answers (id),
    name         TEXT    NOT NULL,
    label        TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    sm3          TEXT    NOT NULL,
    content      BLOB    NOT NULL,
    uploaded_at  INTEGER NOT NULL
);
CREATE INDEX trace_answer_files_answer ON trace_answer_files (answer_id);
