-- Trusted-records ledger: an RFC 9162 Merkle log of every record version.
-- Hashes are raw 32-byte values.

-- One row: the hash function (fixed once the first entry exists) and the tree size. Appends
-- increment `size` first, which serializes writers on both backends.
CREATE TABLE ledger_head (
    id          BIGINT PRIMARY KEY CHECK (id = 1),
    hash_alg    TEXT    NOT NULL CHECK (hash_alg IN ('sm3', 'sha256')),
    size        BIGINT NOT NULL
);
INSERT INTO ledger_head (id, hash_alg, size) VALUES (1, 'sm3', 0);

-- Leaves: the fields of the canonical entry, and its leaf hash.
CREATE TABLE ledger_entries (
    idx         BIGINT PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    entity      TEXT    NOT NULL,
    entity_id   TEXT    NOT NULL,
    version     BIGINT NOT NULL,
    data_hash   BYTEA    NOT NULL,
    reason      TEXT    NOT NULL,
    leaf_hash   BYTEA    NOT NULL
);
CREATE INDEX ledger_entries_record ON ledger_entries (entity, entity_id, version);

-- Hashes of perfect subtrees: (level, idx) covers leaves [idx * 2^level, (idx + 1) * 2^level).
CREATE TABLE ledger_nodes (
    level       BIGINT NOT NULL,
    idx         BIGINT NOT NULL,
    hash        BYTEA    NOT NULL,
    PRIMARY KEY (level, idx)
);

-- Signed tree heads.
CREATE TABLE ledger_checkpoints (
    tree_size   BIGINT PRIMARY KEY,
    root_hash   BYTEA    NOT NULL,
    at          BIGINT NOT NULL,
    signature   BYTEA    NOT NULL,
    key_id      TEXT    NOT NULL
);

-- The site's SM2 signing keys; private keys sealed with SM4-GCM under the site sealing key.
CREATE TABLE site_keys (
    key_id          TEXT    PRIMARY KEY,
    public_pem      TEXT    NOT NULL,
    sealed_private  BYTEA    NOT NULL,
    created_at      BIGINT NOT NULL,
    active          BIGINT NOT NULL
);
