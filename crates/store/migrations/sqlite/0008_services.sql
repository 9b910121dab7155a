-- Public holidays and adjusted working days (法定节假日 / 调休上班日): weekends are days off
-- unless listed as 'workday'; weekdays are working days unless listed as 'holiday'.
CREATE TABLE calendar_days (
    day         TEXT    PRIMARY KEY,
    kind        TEXT    NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name        TEXT    NOT NULL
);
-- 2026: 国务院办公厅关于2026年部分节假日安排的通知 (国办发明电〔2025〕, 2025-11-04).
INSERT INTO calendar_days (day, kind, name) VALUES
    ('2026-01-01', 'holiday', '元旦'), ('2026-01-02', 'holiday', '元旦'), ('2026-01-03', 'holiday', '元旦'),
    ('2026-01-04', 'workday', '元旦调休'),
    ('2026-02-14', 'workday', '春节调休'),
    ('2026-02-15', 'holiday', '春节'), ('2026-02-16', 'holiday', '春节'), ('2026-02-17', 'holiday', '春节'),
    ('2026-02-18', 'holiday', '春节'), ('2026-02-19', 'holiday', '春节'), ('2026-02-20', 'holiday', '春节'),
    ('2026-02-21', 'holiday', '春节'), ('2026-02-22', 'holiday', '春节'), ('2026-02-23', 'holiday', '春节'),
    ('2026-02-28', 'workday', '春节调休'),
    ('2026-04-04', 'holiday', '清明节'), ('2026-04-05', 'holiday', '清明节'), ('2026-04-06', 'holiday', '清明节'),
    ('2026-05-01', 'holiday', '劳动节'), ('2026-05-02', 'holiday', '劳动节'), ('2026-05-03', 'holiday', '劳动节'),
    ('2026-05-04', 'holiday', '劳动节'), ('2026-05-05', 'holiday', '劳动节'),
    ('2026-05-09', 'workday', '劳动节调休'),
    ('2026-06-19', 'holiday', '端午节'), ('2026-06-20', 'holiday', '端午节'), ('2026-06-21', 'holiday', '端午节'),
    ('2026-09-20', 'workday', '国庆节调休'),
    ('2026-09-25', 'holiday', '中秋节'), ('2026-09-26', 'holiday', '中秋节'), ('2026-09-27', 'holiday', '中秋节'),
    ('2026-10-01', 'holiday', '国庆节'), ('2026-10-02', 'holiday', '国庆节'), ('2026-10-03', 'holiday', '国庆节'),
    ('2026-10-04', 'holiday', '国庆节'), ('2026-10-05', 'holiday', '国庆节'), ('2026-10-06', 'holiday', '国庆节'),
    ('2026-10-07', 'holiday', '国庆节'),
    ('2026-10-10', 'workday', '国庆节调休');

-- Application types (事项): what the applicant fills in and attaches, the statutory time limits
-- in working days, the license the decision issues or changes, and the 智能秒办 rule if any.
-- Versioned like every configuration (entity `service_type`).
CREATE TABLE service_types (
    code            TEXT    PRIMARY KEY,
    name_zh         TEXT    NOT NULL,
    name_en         TEXT    NOT NULL,
    category        TEXT    NOT NULL CHECK (category IN ('permit', 'filing')),
    action          TEXT    NOT NULL CHECK (action IN ('issue', 'change', 'renew', 'file')),
    license_kind    TEXT    NOT NULL,
    accept_days     INTEGER NOT NULL,
    decide_days     INTEGER NOT NULL,
    form            TEXT    NOT NULL,
    attachments     TEXT    NOT NULL,
    auto_rule       TEXT    NOT NULL DEFAULT '',
    active          INTEGER NOT NULL DEFAULT 1,
    version         INTEGER NOT NULL DEFAULT 1
);

-- Time limits: 行政许可法 Art. 32 (accept, refuse or give a one-time 补正 notice within 5 days)
-- and Art. 82 (limits count working days); decision limits as 《药品经营和使用质量监督管理办法》
-- (2023) sets them for first issue (20) and change of licensed items (15). Editable per type.
INSERT INTO service_types (code, name_zh, name_en, category, action, license_kind, accept_days, decide_days, form, attachments, auto_rule) VALUES
    ('drug_retail_issue', '药品经营许可证核发（零售）', 'Drug distribution license: first issue (retail)', 'permit', 'issue', 'drug_retail', 5, 20,
     '[{"key": "enterprise_name", "zh": "企业名称", "en": "Enterprise name", "required": true}, {"key": "legal_representative", "zh": "法定代表人", "en": "Legal representative", "required": true}, {"key": "principal", "zh": "主要负责人", "en": "Principal", "required": true}, {"key": "quality_head", "zh": "质量负责人", "en": "Quality head", "required": true}, {"key": "registered_address", "zh": "注册地址", "en": "Registered address", "required": true}, {"key": "warehouse_address", "zh": "仓库地址", "en": "Warehouse address", "required": false}, {"key": "business_scope", "zh": "经营范围", "en": "Business scope", "required": true}, {"key": "contact_phone", "zh": "联系电话", "en": "Contact phone", "required": true}]',
     '["营业执照", "质量负责人执业药师注册证", "经营场所和仓库平面布置图", "质量管理文件目录"]', ''),
    ('drug_wholesale_issue', '药品经营许可证核发（批发）', 'Drug distribution license: first issue (wholesale)', 'permit', 'issue', 'drug_wholesale', 5, 20,
     '[{"key": "enterprise_name", "zh": "企业名称", "en": "Enterprise name", "required": true}, {"key": "legal_representative", "zh": "法定代表人", "en": "Legal representative", "required": true}, {"key": "principal", "zh": "主要负责人", "en": "Principal", "required": true}, {"key": "quality_head", "zh": "质量负责人", "en": "Quality head", "required": true}, {"key": "registered_address", "zh": "注册地址", "en": "Registered address", "required": true}, {"key": "warehouse_address", "zh": "仓库地址", "en": "Warehouse address", "required": false}, {"key": "business_scope", "zh": "经营范围", "en": "Business scope", "required": true}, {"key": "contact_phone", "zh": "联系电话", "en": "Contact phone", "required": true}]',
     '["营业执照", "质量负责人执业药师注册证", "经营场所和仓库平面布置图", "计算机系统说明", "质量管理文件目录"]', ''),
    ('drug_retail_change', '药品经营许可证变更（许可事项）', 'Drug distribution license: change', 'permit', 'change', 'drug_retail', 5, 15,
     '[{"key": "change_items", "zh": "变更事项", "en": "Items changed", "required": true}, {"key": "principal", "zh": "主要负责人", "en": "Principal", "required": false}, {"key": "quality_head", "zh": "质量负责人", "en": "Quality head", "required": false}, {"key": "registered_address", "zh": "注册地址", "en": "Registered address", "required": false}, {"key": "warehouse_address", "zh": "仓库地址", "en": "Warehouse address", "required": false}, {"key": "business_scope", "zh": "经营范围", "en": "Business scope", "required": false}]',
     '["变更申请说明", "变更事项证明材料"]', ''),
    ('drug_retail_renew', '药品经营许可证延续（重新审查发证）', 'Drug distribution license: renewal', 'permit', 'renew', 'drug_retail', 5, 20,
     '[{"key": "reason", "zh": "延续理由", "en": "Reason for renewal", "required": true}]',
     '["延续申请表", "许可期内经营情况说明"]', ''),
    ('contact_change_filing', '企业联系方式变更备案', 'Filing: change of contact details', 'filing', 'file', 'drug_retail', 5, 5,
     '[{"key": "contact_person", "zh": "联系人", "en": "Contact person", "required": true}, {"key": "contact_phone", "zh": "联系电话", "en": "Contact phone", "required": true}, {"key": "email", "zh": "电子邮箱", "en": "Email", "required": false}]',
     '[]', 'contact_change');

-- Applications (办件). Every state change is a record version (entity `application`).
CREATE TABLE applications (
    id              INTEGER PRIMARY KEY,
    number          TEXT    NOT NULL UNIQUE,
    type_code       TEXT    NOT NULL REFERENCES service_types (code),
    applicant_org_id INTEGER NOT NULL REFERENCES orgs (id),
    authority_org_id INTEGER NOT NULL REFERENCES orgs (id),
    submitted_by    INTEGER NOT NULL REFERENCES users (id),
    status          TEXT    NOT NULL CHECK (status IN ('submitted', 'correction', 'accepted', 'approved',
                                                       'rejected', 'refused', 'withdrawn')),
    phase_due_on    TEXT,
    data            TEXT    NOT NULL,
    license_id      INTEGER REFERENCES licenses (id),
    submitted_at    INTEGER NOT NULL,
    decided_at      INTEGER,
    version         INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX applications_applicant ON applications (applicant_org_id, submitted_at);
CREATE INDEX applications_authority ON applications (authority_org_id, status, phase_due_on);
CREATE INDEX applications_type ON applications (type_code, submitted_at);

-- Attachments with their SM3 checksum; the content stays with the application.
CREATE TABLE application_files (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications (id),
    name            TEXT    NOT NULL,
    label           TEXT    NOT NULL,
    content_type    TEXT    NOT NULL,
    size            INTEGER NOT NULL,
    sm3             TEXT    NOT NULL,
    content         BLOB    NOT NULL,
    uploaded_at     INTEGER NOT NULL
);
CREATE INDEX application_files_app ON application_files (application_id);

-- Overdue alerts raised (one per application and phase), so that each is raised once.
CREATE TABLE application_alerts (
    application_id  INTEGER NOT NULL REFERENCES applications (id),
    phase           TEXT    NOT NULL,
    raised_at       INTEGER NOT NULL,
    PRIMARY KEY (application_id, phase)
);
