-- Trusted-records ledger: an RFC 9162 Merkle log of every record version.
-- Hashes are raw 32-byte values.

-- One row: the hash function (fixed once the first entry exists) and the tree size. Appends
-- increment `size` first, which serializes writers on both backends.
CREATE TABLE ledger_head (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    hash_alg    TEXT    NOT NULL CHECK (hash_alg IN ('sm3', 'sha256')),
    size        INTEGER NOT NULL
);
INSERT INTO ledger_head (id, hash_alg, size) VALUES (1, 'sm3', 0);

-- Leaves: the fields of the canonical entry, and its leaf hash.
CREATE TABLE ledger_entries (
    idx         INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    entity      TEXT    NOT NULL,
    entity_id   TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    data_hash   BLOB    NOT NULL,
    reason      TEXT    NOT NULL,
    leaf_hash   BLOB    NOT NULL
);
CREATE INDEX ledger_entries_record ON ledger_entries (entity, entity_id, version);

-- Hashes of perfect subtrees: (level, idx) covers leaves [idx * 2^level, (idx + 1) * 2^level).
CREATE TABLE ledger_nodes (
    level       INTEGER NOT NULL,
    idx         INTEGER NOT NULL,
    hash        BLOB    NOT NULL,
    PRIMARY KEY (level, idx)
);

-- Signed tree heads.
CREATE TABLE ledger_checkpoints (
    tree_size   INTEGER PRIMARY KEY,
    root_hash   BLOB    NOT NULL,
    at          INTEGER NOT NULL,
    signature   BLOB    NOT NULL,
    key_id      TEXT    NOT NULL
);

-- The site's SM2 signing keys; private keys sealed with SM4-GCM under the site sealing key.
CREATE TABLE site_keys (
    key_id          TEXT    PRIMARY KEY,
    public_pem      TEXT    NOT NULL,
    sealed_private  BLOB    NOT NULL,
    created_at      INTEGER NOT NULL,
    active          INTEGER NOT NULL
);
