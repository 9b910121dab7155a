-- 一企一档: a company's profile beyond its organization row, and the dossier timeline that
-- every module adds to (registrations, licenses, applications, inspections, sampling, penalties,
-- trace anomalies, credit).
CREATE TABLE company_profiles (
    org_id          INTEGER PRIMARY KEY REFERENCES orgs (id),
    legal_rep       TEXT    NOT NULL DEFAULT '',
    address         TEXT    NOT NULL DEFAULT '',
    business_scope  TEXT    NOT NULL DEFAULT '',
    contact_phone   TEXT    NOT NULL DEFAULT '',
    version         INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE dossier_events (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs (id),
    product_id  INTEGER REFERENCES products (id),
    at          INTEGER NOT NULL,
    module      TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    link        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX dossier_events_org_at ON dossier_events (org_id, at);
CREATE INDEX dossier_events_product_at ON dossier_events (product_id, at);
