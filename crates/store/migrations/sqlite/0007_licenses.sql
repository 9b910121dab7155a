-- Electronic licenses (电子证照): the current state of each license, every signed issue of it
-- (one per 证照版本), and the issuing authorities' SM2 keys (电子印章 keys), sealed with SM4
-- under the site sealing key.
CREATE TABLE authority_keys (
    key_id          TEXT    PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs (id),
    public_pem      TEXT    NOT NULL,
    sealed_private  BLOB    NOT NULL,
    created_at      INTEGER NOT NULL,
    active          INTEGER NOT NULL
);
CREATE INDEX authority_keys_org ON authority_keys (org_id, active);

CREATE TABLE licenses (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL,
    number          TEXT    NOT NULL,
    serial          TEXT    NOT NULL,
    identifier      TEXT    NOT NULL UNIQUE,
    doc_version     INTEGER NOT NULL,
    holder_org_id   INTEGER NOT NULL REFERENCES orgs (id),
    holder_name     TEXT    NOT NULL,
    issuer_org_id   INTEGER NOT NULL REFERENCES orgs (id),
    issued_on       TEXT    NOT NULL,
    valid_from      TEXT    NOT NULL,
    valid_until     TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('valid', 'suspended', 'revoked')),
    status_reason   TEXT    NOT NULL DEFAULT '',
    status_at       BIGINT,
    version         INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (kind, issuer_org_id, number),
    UNIQUE (kind, issuer_org_id, serial)
);
CREATE INDEX licenses_holder ON licenses (holder_org_id);
CREATE INDEX licenses_issuer ON licenses (issuer_org_id, updated_at);
CREATE INDEX licenses_issuer_serial ON licenses (issuer_org_id, serial);
CREATE INDEX licenses_valid_until ON licenses (valid_until);
CREATE INDEX licenses_status ON licenses (status, status_at);

CREATE TABLE license_documents (
    identifier      TEXT    PRIMARY KEY,
    license_id      INTEGER NOT NULL REFERENCES licenses (id),
    doc_version     INTEGER NOT NULL,
    document        TEXT    NOT NULL,
    key_id          TEXT    NOT NULL REFERENCES authority_keys (key_id),
    signature       BLOB    NOT NULL,
    signed_at       INTEGER NOT NULL,
    UNIQUE (license_id, doc_version)
);
