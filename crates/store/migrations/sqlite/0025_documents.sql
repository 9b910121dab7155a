-- Controlled documents (受控文件): a document and its revisions, each revision's file with its
-- SM3 checksum, drafted → in review → approved (signed) with a date it takes effect; the
-- effective revision is the newest approved one whose date has come, the earlier ones
-- superseded. A revision is effective for a person only once their training on it is recorded.

CREATE TABLE qa_documents (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES orgs (id),
    code           TEXT    NOT NULL,
    title          TEXT    NOT NULL,
    review_months  INTEGER NOT NULL,
    status         TEXT    NOT NULL,
    owner          TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (org_id, code)
);
CREATE INDEX qa_documents_org_updated ON qa_documents (org_id, updated_at);

CREATE TABLE qa_document_revisions (
    id             INTEGER PRIMARY KEY,
    document_id    INTEGER NOT NULL REFERENCES qa_documents (id),
    revision       INTEGER NOT NULL,
    file_name      TEXT    NOT NULL,
    size           INTEGER NOT NULL,
    sm3            TEXT    NOT NULL,
    content        BLOB NOT NULL,
    reason         TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    author         TEXT    NOT NULL,
    effective_on   INTEGER,
    approved_by    TEXT,
    version        INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (document_id, revision)
);

CREATE TABLE qa_trainings (
    revision_id    INTEGER NOT NULL REFERENCES qa_document_revisions (id),
    user_id        INTEGER NOT NULL REFERENCES users (id),
    trained_on     INTEGER NOT NULL,
    recorded_by    TEXT    NOT NULL,
    PRIMARY KEY (revision_id, user_id)
);
CREATE INDEX qa_trainings_user ON qa_trainings (user_id, revision_id);
