-- Electronic signatures, per-user signing keys, audit alert rules and raised alerts.

-- Each user's SM2 key pairs. The private key is sealed with SM4-GCM under a key derived
-- (argon2id, `kdf_salt`) from the user's password; a password reset retires the key (the
-- public half stays for verifying what it signed) and the next signature creates a new one.
CREATE TABLE user_keys (
    key_id          TEXT    PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id),
    public_pem      TEXT    NOT NULL,
    sealed_private  BLOB    NOT NULL,
    kdf_salt        BLOB    NOT NULL,
    created_at      INTEGER NOT NULL,
    active          INTEGER NOT NULL
);
CREATE INDEX user_keys_user ON user_keys (user_id, active);

-- Electronic signatures (电子签名) on record versions; each is also a versioned, ledgered
-- record of entity `signature`.
CREATE TABLE signatures (
    id              INTEGER PRIMARY KEY,
    entity          TEXT    NOT NULL,
    entity_id       TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    signer_id       INTEGER NOT NULL REFERENCES users (id),
    signer_username TEXT    NOT NULL,
    signer_name     TEXT    NOT NULL,
    meaning         TEXT    NOT NULL,
    at              INTEGER NOT NULL,
    hash_alg        TEXT    NOT NULL,
    data_hash       BLOB    NOT NULL,
    key_id          TEXT    NOT NULL REFERENCES user_keys (key_id),
    signature       BLOB    NOT NULL
);
CREATE INDEX signatures_record ON signatures (entity, entity_id, version);

-- Alert rules over the audit log (统一审计告警); thresholds editable by the audit administrator.
CREATE TABLE audit_alert_rules (
    code            TEXT    PRIMARY KEY,
    enabled         INTEGER NOT NULL,
    threshold       INTEGER NOT NULL,
    window_minutes  INTEGER NOT NULL
);
INSERT INTO audit_alert_rules (code, enabled, threshold, window_minutes) VALUES
    ('failed_logins_ip', 1, 5, 10),
    ('admin_off_hours', 1, 1, 60),
    ('bulk_export', 1, 3, 10);

-- Alerts raised: at most one per rule, key and window.
CREATE TABLE audit_alerts (
    id              INTEGER PRIMARY KEY,
    rule            TEXT    NOT NULL,
    alert_key       TEXT    NOT NULL,
    window_start    INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    detail          TEXT    NOT NULL,
    UNIQUE (rule, alert_key, window_start)
);
CREATE INDEX audit_alerts_at ON audit_alerts (at);
CREATE INDEX audit_ip_action_at ON audit_events (ip, action, at);
