-- Two-person rule for the three administrator roles (三员分立, 等保 2.0 8.1.4.2): a change of
-- roles that grants or removes 系统管理员, 安全管理员 or 审计管理员 is proposed by one
-- administrator and takes effect only when a second one approves. Versioned (entity
-- `role_request`); the approval writes the user's new roles in the same transaction.
CREATE TABLE role_requests (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id),
    roles           TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    requested_by    INTEGER NOT NULL REFERENCES users (id),
    requested_at    INTEGER NOT NULL,
    -- The user's version the request was made against: a request goes stale when the account
    -- changes before the decision.
    user_version    INTEGER NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'refused')),
    decided_by      INTEGER REFERENCES users (id),
    decided_at      INTEGER,
    decision_reason TEXT    NOT NULL DEFAULT '',
    version         INTEGER NOT NULL
);
-- At most one open request per account.
CREATE UNIQUE INDEX role_requests_one_pending ON role_requests (user_id) WHERE status = 'pending';
CREATE INDEX role_requests_status ON role_requests (status, requested_at);
