-- Risk models (风险模型): a bureau's weights, thresholds, matrix, intervals and credit scheme as
-- JSON, versioned; a company is scored with the nearest bureau's model above it.
CREATE TABLE sup_models (
    org_id      INTEGER PRIMARY KEY REFERENCES orgs (id),
    config      TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    updated_by  TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Risk scores (风险评分) of companies and products, with their explanation (detail, JSON) and,
-- for companies, the credit points and grade (信用等级).
CREATE TABLE sup_scores (
    subject       TEXT    NOT NULL CHECK (subject IN ('company', 'product')),
    subject_id    INTEGER NOT NULL,
    company_id    INTEGER NOT NULL REFERENCES orgs (id),
    model_org_id  INTEGER,
    model_version INTEGER NOT NULL,
    intrinsic     INTEGER NOT NULL,
    compliance    INTEGER NOT NULL,
    level         TEXT    NOT NULL CHECK (level IN ('low', 'medium', 'high')),
    credit        INTEGER NOT NULL,
    grade         TEXT    NOT NULL,
    detail        TEXT    NOT NULL,
    computed_at   INTEGER NOT NULL,
    version       INTEGER NOT NULL,
    PRIMARY KEY (subject, subject_id)
);
CREATE INDEX sup_scores_company ON sup_scores (company_id, subject);
CREATE INDEX sup_scores_level ON sup_scores (subject, level, compliance);
CREATE INDEX sup_scores_grade ON sup_scores (subject, grade);
