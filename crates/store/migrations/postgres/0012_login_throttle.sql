-- Login throttling per account and source (登录失败处理, 等保 8.1.4.1): failed logins are
-- counted per (user name as typed, trimmed; source address), and a lock holds for that pair
-- only, so that nobody can lock a known user out from elsewhere. Names that match no account
-- are counted the same way, so the answers never tell which names exist. A lock ends no session.
-- users.failed_logins and users.locked_until (0001) are no longer read or written.
CREATE TABLE login_throttle (
    username     TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    failures     BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0,
    last_failure BIGINT NOT NULL,
    PRIMARY KEY (username, source)
);
-- Rows no longer needed (no lock in force, no recent failure) are pruned by age.
CREATE INDEX login_throttle_last_failure ON login_throttle (last_failure);
