-- 一员一档: licensed persons (执业药师, 质量负责人 …) with their registration and employer.
CREATE TABLE persons (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    qualification   TEXT    NOT NULL,
    cert_number     TEXT    NOT NULL,
    employer_org_id INTEGER NOT NULL REFERENCES orgs (id),
    valid_from      TEXT    NOT NULL,
    valid_until     TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
    version         INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (qualification, cert_number)
);
CREATE INDEX persons_employer ON persons (employer_org_id);
CREATE INDEX persons_name ON persons (name);
CREATE INDEX persons_valid_until ON persons (valid_until);
