-- Risk models (风险模型): a bureau's weights, thresholds, matrix, intervals and credit scheme as
-- JSON, versioned; a company is scored with the nearest bureau's model above it.
CREATE TABLE sup_models (
    org_id      BIGINT PRIMARY KEY REFERENCES orgs (id),
    config      TEXT    NOT NULL,
    version     BIGINT NOT NULL,
    updated_by  TEXT    NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- Risk scores (风险评分) of companies and products, with their explanation (detail, JSON) and,
-- for companies, the credit points and grade (信用等级).
CREATE TABLE sup_scores (
    subject       TEXT    NOT NULL CHECK (subject IN ('company', 'product')),
    subject_id    BIGINT NOT NULL,
    company_id    BIGINT NOT NULL REFERENCES orgs (id),
    model_org_id  BIGINT,
    model_version BIGINT NOT NULL,
    intrinsic     BIGINT NOT NULL,
    compliance    BIGINT NOT NULL,
    level         TEXT    NOT NULL CHECK (level IN ('low', 'medium', 'high')),
    credit        BIGINT NOT NULL,
    grade         TEXT    NOT NULL,
    detail        TEXT    NOT NULL,
    computed_at   BIGINT NOT NULL,
    version       BIGINT NOT NULL,
    PRIMARY KEY (subject, subject_id)
);
CREATE INDEX sup_scores_company ON sup_scores (company_id, subject);
CREATE INDEX sup_scores_level ON sup_scores (subject, level, compliance);
CREATE INDEX sup_scores_grade ON sup_scores (subject, grade);
