-- Electronic submission (电子申报): an application (申请, its number such as x202612345) of a
-- company, its eCTD sequences (0000 upwards, never reused), and each sequence's leaves placed in
-- the CTD tree, each built from the effective revision of a controlled document.
CREATE TABLE submission_applications (
    id                INTEGER PRIMARY KEY,
    org_id            BIGINT  NOT NULL REFERENCES orgs (id),
    number            TEXT    NOT NULL,
    application_type  TEXT    NOT NULL,
    product_type      TEXT    NOT NULL,
    product_number    TEXT    NOT NULL,
    substance         TEXT    NOT NULL,
    manufacturer      TEXT    NOT NULL,
    product_name      TEXT    NOT NULL,
    dosage_form       TEXT    NOT NULL,
    indication        TEXT    NOT NULL,
    contact_name      TEXT    NOT NULL,
    contact_phone     TEXT    NOT NULL,
    contact_email     TEXT    NOT NULL,
    sequences         BIGINT  NOT NULL DEFAULT 0,
    created_by        TEXT    NOT NULL,
    created_at        BIGINT  NOT NULL,
    version           BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL,
    UNIQUE (org_id, number)
);
CREATE INDEX submission_applications_org ON submission_applications (org_id, updated_at, id);
CREATE INDEX submission_applications_updated ON submission_applications (updated_at, id);

-- A sequence: drafted, then built into its folder (index.xml's MD5, files, bytes and the
-- validation's counts kept), then sent.
CREATE TABLE submission_sequences (
    id                  INTEGER PRIMARY KEY,
    application_id      BIGINT  NOT NULL REFERENCES submission_applications (id),
    number              TEXT    NOT NULL,
    sequence_type       TEXT    NOT NULL,
    related_sequence    TEXT    NOT NULL,
    regulatory_activity TEXT    NOT NULL,
    description         TEXT    NOT NULL,
    status              TEXT    NOT NULL,
    index_md5           TEXT    NOT NULL DEFAULT '',
    files               BIGINT  NOT NULL DEFAULT 0,
    bytes               BIGINT  NOT NULL DEFAULT 0,
    errors              BIGINT,
    warnings            BIGINT,
    built_at            BIGINT,
    transfer_id         TEXT    NOT NULL DEFAULT '',
    created_by          TEXT    NOT NULL,
    created_at          BIGINT  NOT NULL,
    version             BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL,
    UNIQUE (application_id, number)
);

-- A leaf: its XML ID (unique in the application), CTD node, title, operation, the leaf of an
-- earlier sequence it modifies, and the controlled document revision its file is; the path
-- and MD5 once built.
CREATE TABLE submission_leaves (
    id              INTEGER PRIMARY KEY,
    sequence_id     BIGINT  NOT NULL REFERENCES submission_sequences (id),
    application_id  BIGINT  NOT NULL REFERENCES submission_applications (id),
    position        BIGINT  NOT NULL,
    leaf_key        TEXT    NOT NULL,
    element         TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    operation       TEXT    NOT NULL,
    target_id       BIGINT  REFERENCES submission_leaves (id),
    document_id     BIGINT  REFERENCES qa_documents (id),
    revision_id     BIGINT  REFERENCES qa_document_revisions (id),
    file_name       TEXT    NOT NULL DEFAULT '',
    sm3             TEXT    NOT NULL DEFAULT '',
    path            TEXT    NOT NULL DEFAULT '',
    md5             TEXT    NOT NULL DEFAULT '',
    UNIQUE (application_id, leaf_key)
);
CREATE INDEX submission_leaves_sequence ON submission_leaves (sequence_id, position);
CREATE INDEX submission_leaves_node ON submission_leaves (application_id, element, sequence_id);
CREATE INDEX submission_leaves_target ON submission_leaves (target_id);

-- Electronic submission transfers (电子申报网络传输): one row per sequence sent (side 'sent', at
-- the applicant's site) or received (side 'received', at the regulator's), the manifest the
-- sender signed, the acknowledgements (回执) the receiver signed, and the figures of each.
CREATE TABLE submission_transfers (
    id              INTEGER PRIMARY KEY,
    side            TEXT    NOT NULL,
    transfer_id     TEXT    NOT NULL,
    org_id          BIGINT  NOT NULL REFERENCES orgs (id),
    application     TEXT    NOT NULL,
    sequence        TEXT    NOT NULL,
    manifest        TEXT    NOT NULL,
    signature       TEXT    NOT NULL,
    manifest_sm3    TEXT    NOT NULL,
    total_bytes     BIGINT  NOT NULL,
    chunk_count     BIGINT  NOT NULL,
    chunks_received BIGINT  NOT NULL DEFAULT 0,
    status          TEXT    NOT NULL,
    package_sm3     TEXT    NOT NULL DEFAULT '',
    receipt_number  TEXT    NOT NULL DEFAULT '',
    received_at     BIGINT,
    errors          BIGINT,
    warnings        BIGINT,
    acks            TEXT    NOT NULL DEFAULT '[]',
    report          TEXT    NOT NULL DEFAULT '',
    peer            TEXT    NOT NULL DEFAULT '',
    created_by      TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    version         BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    UNIQUE (side, transfer_id)
);
CREATE INDEX submission_transfers_side ON submission_transfers (side, created_at, id);
CREATE INDEX submission_transfers_org ON submission_transfers (org_id, side, created_at, id);
CREATE INDEX submission_transfers_sequence ON submission_transfers (org_id, application, sequence, side);

-- The chunks a receiver holds of a transfer still arriving: what a resumed sender skips.
CREATE TABLE submission_transfer_chunks (
    transfer        BIGINT  NOT NULL REFERENCES submission_transfers (id),
    idx             BIGINT  NOT NULL,
    at              BIGINT  NOT NULL,
    PRIMARY KEY (transfer, idx)
);

-- A receiver's SM2 encryption key pair (the transfers' keys are sealed to it), its private
-- half sealed with the site's sealing key; kept apart from the signing key.
CREATE TABLE submission_keys (
    key_id          TEXT    PRIMARY KEY,
    public_pem      TEXT    NOT NULL,
    sealed_private  BLOB    NOT NULL,
    created_at      BIGINT  NOT NULL,
    active          BIGINT  NOT NULL
);
