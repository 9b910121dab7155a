-- Foundation schema: record versions, organizations, identity, audit, portal.
-- Times are UTC milliseconds since the epoch; flags are 0/1 integers.

CREATE TABLE record_versions (
    entity      TEXT    NOT NULL,
    entity_id   TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    PRIMARY KEY (entity, entity_id, version)
);

CREATE TABLE orgs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL CHECK (kind IN ('national', 'provincial', 'municipal', 'company', 'site')),
    name        TEXT    NOT NULL,
    code        TEXT    NOT NULL UNIQUE,
    parent_id   INTEGER REFERENCES orgs (id),
    path        TEXT    NOT NULL UNIQUE,
    region      TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL DEFAULT 'active',
    created_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL
);
CREATE INDEX orgs_parent ON orgs (parent_id);

CREATE TABLE roles (
    id           INTEGER PRIMARY KEY,
    code         TEXT    NOT NULL UNIQUE,
    name_zh      TEXT    NOT NULL,
    name_en      TEXT    NOT NULL,
    permissions  TEXT    NOT NULL,
    scope        TEXT    NOT NULL CHECK (scope IN ('own', 'subtree', 'all')),
    requires_mfa INTEGER NOT NULL DEFAULT 0,
    admin_kind   TEXT,
    builtin      INTEGER NOT NULL DEFAULT 0,
    version      INTEGER NOT NULL
);

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs (id),
    username        TEXT    NOT NULL UNIQUE,
    display_name    TEXT    NOT NULL,
    email           TEXT    NOT NULL DEFAULT '',
    phone           TEXT    NOT NULL DEFAULT '',
    password_hash   TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    is_master       INTEGER NOT NULL DEFAULT 0,
    created_by      INTEGER REFERENCES users (id),
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    INTEGER NOT NULL DEFAULT 0,
    totp_secret     TEXT,
    totp_enabled    INTEGER NOT NULL DEFAULT 0,
    totp_last_step  INTEGER NOT NULL DEFAULT 0,
    password_changed_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    version         INTEGER NOT NULL
);
CREATE INDEX users_org ON users (org_id);

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users (id),
    role_id INTEGER NOT NULL REFERENCES roles (id),
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role ON user_roles (role_id);

CREATE TABLE sessions (
    token_hash  TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    csrf_token  TEXT    NOT NULL,
    stage       TEXT    NOT NULL CHECK (stage IN ('full', 'mfa', 'enroll')),
    created_at  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    ip          TEXT    NOT NULL DEFAULT '',
    user_agent  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    name        TEXT    NOT NULL,
    token_hash  TEXT    NOT NULL UNIQUE,
    scopes      TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor_id    INTEGER,
    actor_name  TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    target      TEXT    NOT NULL DEFAULT '',
    outcome     TEXT    NOT NULL,
    ip          TEXT    NOT NULL DEFAULT '',
    user_agent  TEXT    NOT NULL DEFAULT '',
    detail      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit_events (at);
CREATE INDEX audit_actor_at ON audit_events (actor_name, at);
CREATE INDEX audit_action_at ON audit_events (action, at);

CREATE TABLE todos (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER REFERENCES users (id),
    org_id      INTEGER REFERENCES orgs (id),
    module      TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    link        TEXT    NOT NULL DEFAULT '',
    due_at      INTEGER,
    status      TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    created_at  INTEGER NOT NULL,
    done_at     INTEGER
);
CREATE INDEX todos_user_status ON todos (user_id, status);
CREATE INDEX todos_org_status ON todos (org_id, status);

CREATE TABLE messages (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    title       TEXT    NOT NULL,
    body        TEXT    NOT NULL DEFAULT '',
    link        TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    read_at     INTEGER
);
CREATE INDEX messages_user ON messages (user_id, created_at);
