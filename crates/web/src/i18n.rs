//! Interface text in Simplified Chinese (default) and English. The language comes from the
//! `yl_lang` cookie (set by the switch in the top bar), else `Accept-Language`, else zh-CN.

use axum::http::header;
use axum::http::request::Parts;

use crate::extract::{cookie, LANG_COOKIE};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn from_parts(parts: &Parts) -> Lang {
        match cookie(parts, LANG_COOKIE) {
            Some("en") => return Lang::En,
            Some("zh") => return Lang::Zh,
            _ => {}
        }
        let accept = parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if accept.trim_start().starts_with("en") {
            Lang::En
        } else {
            Lang::Zh
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The other language, for the switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    pub fn short(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The name of an audit action (`login_failed` → 登录失败); an action this release does not
    /// name shows its code.
    pub fn action(self, code: &str) -> String {
        self.lookup(&format!("act.{code}")).map(str::to_string).unwrap_or_else(|| code.to_string())
    }

    /// The name of the module a to-do or message comes from (`trace` → 追溯); 其他 for a module
    /// with no name, never the code.
    pub fn module(self, code: &str) -> &'static str {
        self.lookup(&format!("module.{code}")).unwrap_or_else(|| self.t("module.other"))
    }

    /// The name of a permission (`trace.read` → 查看追溯数据, from `yaolian_access::perm::label_zh`);
    /// English pages and an unnamed permission show the code.
    pub fn permission(self, code: &str) -> String {
        match self {
            Lang::Zh => yaolian_access::perm::label_zh(code).unwrap_or(code).to_string(),
            Lang::En => code.to_string(),
        }
    }

    /// A refusal that names no field, by its code (`invalid_credentials` → 密码不正确), when the
    /// catalogue says it.
    pub fn refusal(self, code: &str) -> Option<&'static str> {
        self.lookup(&format!("refusal.{code}"))
    }

    /// The label of a form field a refusal names (`approval_number` → 批准文号): `field.<name>`,
    /// also for an indexed one (`gtins[2]` → the label of `gtins`).
    pub fn field(self, name: &str) -> Option<&'static str> {
        let base = name.split(['[', '.']).next().unwrap_or(name);
        self.lookup(&format!("field.{name}")).or_else(|| self.lookup(&format!("field.{base}")))
    }

    /// Text for `key`; an unknown key shows itself so that it is noticed.
    pub fn t(self, key: &str) -> &'static str {
        self.lookup(key).unwrap_or("??")
    }

    /// Text for `key`, if the catalogue has it.
    pub fn lookup(self, key: &str) -> Option<&'static str> {
        TEXT.iter().find(|(k, _, _)| *k == key).map(|(_, zh, en)| match self {
            Lang::Zh => *zh,
            Lang::En => *en,
        })
    }
}

/// (key, zh-CN, en)
const TEXT: &[(&str, &str, &str)] = &[
    ("app.name", "药链", "yaolian"),
    ("app.tagline", "药品全生命周期监管与质量平台", "Drug lifecycle regulation and quality platform"),
    ("lang.switch", "English", "中文"),
    ("nav.home", "工作台", "Home"),
    ("nav.orgs", "机构", "Organizations"),
    ("nav.users", "用户", "Users"),
    ("nav.roles", "角色", "Roles"),
    ("nav.role_requests", "角色审批", "Role approvals"),
    ("nav.audit", "审计日志", "Audit log"),
    ("nav.account", "我的账号", "My account"),
    ("nav.api", "接口文档", "API docs"),
    ("nav.logout", "退出", "Log out"),
    ("login.title", "登录", "Log in"),
    ("login.username", "用户名", "User name"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Log in"),
    ("login.demo", "演示账号", "Demo accounts"),
    ("login.demo_password", "所有演示账号的密码", "Password of every demo account"),
    ("login.totp_title", "双因素认证", "Two-factor authentication"),
    ("login.totp_code", "动态验证码（6位）", "One-time code (6 digits)"),
    ("login.totp_submit", "验证", "Verify"),
    ("login.enroll_title", "绑定身份验证器", "Set up an authenticator"),
    ("login.enroll_help", "您的角色要求双因素认证。请用身份验证器应用扫描二维码，然后输入显示的6位验证码。", "Your role requires two-factor authentication. Scan the QR code with an authenticator app, then enter the 6-digit code it shows."),
    ("login.secret", "手动输入密钥", "Key for manual entry"),
    ("home.welcome", "欢迎", "Welcome"),
    ("home.welcome_sep", "，", ", "),
    ("home.todos", "待办事项", "To-dos"),
    ("home.messages", "消息", "Messages"),
    ("home.no_todos", "暂无待办", "Nothing to do"),
    ("home.no_messages", "暂无消息", "No messages"),
    ("home.due", "截止", "Due"),
    ("home.done", "完成", "Done"),
    ("home.read", "已读", "Mark read"),
    ("home.org", "所属机构", "Organization"),
    ("home.roles", "角色", "Roles"),
    (
        "refusal.closes_with_action",
        "此待办受法定办理时限约束，办理相应事项（受理、审查、决定）后自动办结，不能直接标记完成。",
        "This to-do is governed by a legal time limit: it closes when its action (acceptance, review, decision) is done, and cannot be marked done.",
    ),
    ("home.by_action", "法定时限事项，办理后自动办结", "Legal time limit: closes when its action is done"),
    ("orgs.search", "名称或代码", "Name or code"),
    ("orgs.all_kinds", "全部类型", "All kinds"),
    ("orgs.title", "机构管理", "Organizations"),
    ("orgs.new", "新建机构", "New organization"),
    ("orgs.kind", "类型", "Kind"),
    ("orgs.name", "名称", "Name"),
    ("orgs.code", "统一社会信用代码 / 场地编码", "USCC / site code"),
    ("orgs.parent", "上级机构", "Parent"),
    ("orgs.region", "地区", "Region"),
    ("orgs.users", "用户", "Users"),
    ("users.title", "用户管理", "Users"),
    ("users.new", "新建用户", "New user"),
    ("users.username", "用户名", "User name"),
    ("users.display_name", "姓名", "Name"),
    ("users.org", "机构", "Organization"),
    ("users.roles", "角色", "Roles"),
    ("users.status", "状态", "Status"),
    ("users.master", "主账号", "Master account"),
    ("users.sub", "子账号", "Sub-account"),
    ("users.type", "账号类型", "Account type"),
    ("users.email", "电子邮箱", "E-mail"),
    ("users.phone", "电话", "Phone"),
    ("users.password", "初始密码", "Initial password"),
    ("users.active", "正常", "Active"),
    ("users.disabled", "已停用", "Disabled"),
    ("users.locked", "登录已锁定（来自某地址）", "Login locked (from an address)"),
    ("users.disable", "停用", "Disable"),
    ("users.enable", "启用", "Enable"),
    ("users.unlock", "解锁", "Unlock"),
    ("users.assign", "分配角色", "Assign roles"),
    ("users.reason", "原因", "Reason"),
    ("users.search", "搜索用户名或姓名", "Search name or user name"),
    ("users.all_status", "全部状态", "Any status"),
    ("users.all_orgs", "全部机构", "All organizations"),
    ("rr.title", "角色变更审批", "Role change approvals"),
    ("rr.rule", "授予或撤销系统管理员、安全管理员、审计管理员角色，须由一名管理员提出申请、另一名管理员批准后生效（双人审批）；申请人和被变更人都不能批准。", "Granting or removing the system, security or audit administrator role takes a request by one administrator and the approval of another (two-person rule); neither the proposer nor the person concerned may approve."),
    ("rr.empty", "暂无角色变更申请", "No role change requests"),
    ("rr.no_roles", "撤销全部角色", "No roles (all removed)"),
    ("rr.user", "账号", "Account"),
    ("rr.roles", "申请后的角色", "Roles after the change"),
    ("rr.requested_by", "申请人", "Requested by"),
    ("rr.requested_at", "申请时间", "Requested at"),
    ("rr.status", "状态", "Status"),
    ("rr.decision", "处理", "Decision"),
    ("rr.pending", "待批准", "Waiting"),
    ("rr.approved", "已批准", "Approved"),
    ("rr.refused", "已驳回", "Refused"),
    ("rr.approve", "批准", "Approve"),
    ("rr.refuse", "驳回", "Refuse"),
    ("rr.decision_reason", "审批意见", "Decision note"),
    ("rr.waiting", "待第二名管理员批准的角色变更", "Role change waiting for a second administrator"),
    ("rr.not_yours", "须由另一名管理员处理", "Another administrator decides"),
    ("roles.title", "角色与权限", "Roles and permissions"),
    ("roles.code", "代码", "Code"),
    ("roles.name", "名称", "Name"),
    ("roles.permissions", "权限", "Permissions"),
    ("roles.scope", "数据范围", "Data scope"),
    ("roles.mfa", "需双因素", "Needs 2FA"),
    ("roles.admin", "三员", "Separated admin"),
    ("roles.scope.own", "本单位", "Own organization"),
    ("roles.scope.subtree", "本单位及下级", "Organization subtree"),
    ("roles.scope.all", "全部", "Everything"),
    ("roles.toggle_mfa", "切换", "Toggle"),
    ("nav.registry", "档案查询", "Dossiers"),
    ("registry.title", "档案查询：一企一档 · 一品一档 · 一员一档", "Dossiers: companies, products, persons"),
    ("registry.search", "搜索企业名称、信用代码、药品名称、批准文号、人员或证书编号", "Search companies, codes, products, approval numbers, persons, certificates"),
    ("registry.companies", "企业", "Companies"),
    ("registry.persons", "人员（一员一档）", "Persons"),
    ("registry.none", "没有匹配的记录", "Nothing matches"),
    ("registry.new_person", "登记人员", "Register a person"),
    ("person.name", "姓名", "Name"),
    ("person.qualification", "资格/岗位", "Qualification"),
    ("person.cert_number", "证书编号", "Certificate number"),
    ("person.employer", "执业/任职单位", "Employer"),
    ("person.valid_from", "有效期自", "Valid from"),
    ("person.valid_until", "有效期至", "Valid until"),
    ("person.standing", "状态", "Standing"),
    ("person.valid", "有效", "Valid"),
    ("person.expiring", "即将到期", "Expiring"),
    ("person.expired", "已过期", "Expired"),
    ("person.revoked", "已注销", "Revoked"),
    ("nav.products", "一品一档", "Products"),
    ("nav.licenses", "电子证照", "Licenses"),
    ("nav.services", "政务服务", "Services"),
    ("nav.trace", "药品追溯", "Traceability"),
    ("nav.inventory", "试剂物料", "Reagents & materials"),
    ("nav.quality", "质量管理", "Quality"),
    ("nav.lab", "实验室", "Laboratory"),
    ("nav.supervision", "风险处置", "Risk cases"),
    ("nav.risk", "风险与信用", "Risk and credit"),
    ("nav.plans", "检查计划", "Inspection plans"),
    ("nav.sampling", "抽检", "Sampling"),
    ("nav.enforcement", "执法办案", "Enforcement"),
    ("nav.complaints", "投诉举报", "Complaints"),
    ("nav.signals", "不良反应信号", "ADR signals"),
    ("nav.adr", "不良反应报告", "ADR reports"),
    ("nav.blackbox", "生产黑匣子", "Production black box"),
    ("nav.submission", "电子申报", "Electronic submission"),
    ("nav.overview", "监管大屏", "Overview"),
    ("products.title", "一品一档 · 药品档案", "Product dossiers"),
    ("products.new", "登记药品", "Register a product"),
    ("products.search", "搜索通用名、商品名、批准文号或标识码", "Search name, approval number or drug code"),
    ("products.all_forms", "全部剂型", "All dosage forms"),
    ("products.approval_number", "批准文号", "Approval number"),
    ("products.generic_name", "通用名", "Generic name"),
    ("products.trade_name", "商品名", "Trade name"),
    ("products.dosage_form", "剂型", "Dosage form"),
    ("products.strength", "规格", "Strength"),
    ("products.pack", "包装规格", "Pack"),
    ("products.mah", "上市许可持有人", "Marketing authorization holder"),
    ("products.manufacturer", "生产企业", "Manufacturer"),
    ("products.same_as_mah", "同持有人", "Same as the holder"),
    ("products.manufacturer_hint", "留空即同持有人", "Leave empty if the holder makes it"),
    ("products.drug_code", "药品标识码", "Drug code"),
    ("products.updated", "更新时间", "Updated"),
    ("company.title", "一企一档", "Company dossier"),
    ("company.profile", "企业基本信息", "Profile"),
    ("company.code", "统一社会信用代码", "Unified social credit code"),
    ("company.legal_rep", "法定代表人", "Legal representative"),
    ("company.address", "注册地址", "Registered address"),
    ("company.scope", "经营范围", "Business scope"),
    ("company.phone", "联系电话", "Contact phone"),
    ("company.products", "药品品种", "Products"),
    ("company.timeline", "档案时间轴", "Dossier timeline"),
    ("company.no_events", "暂无档案记录", "Nothing recorded yet"),
    ("company.link", "企业档案", "Company dossier"),
    ("module.registry", "档案", "Registry"),
    ("module.license", "证照", "Licenses"),
    ("module.services", "政务服务", "Services"),
    ("module.oversight", "监管", "Oversight"),
    ("module.trace", "追溯", "Traceability"),
    ("module.audit", "审计", "Audit"),
    ("module.identity", "账号", "Accounts"),
    ("module.supervision", "风险监管", "Supervision"),
    ("module.other", "其他", "Other"),
    ("home.new", "新", "new"),
    ("import.file", "批量导入（Excel 或 CSV，列同导出）", "Import (Excel or CSV, the export's columns)"),
    ("import.go", "导入", "Import"),
    ("import.title", "导入结果", "Import result"),
    ("import.rows", "读取行数", "Rows read"),
    ("import.created", "成功登记", "Registered"),
    ("import.failed", "有问题的行", "Rows with problems"),
    ("import.row", "行号", "Row"),
    ("import.back", "返回药品列表", "Back to the product list"),
    ("records.title", "版本记录", "Record history"),
    ("records.versions", "全部版本", "All versions"),
    ("records.version", "版本", "Version"),
    ("records.anchor", "账本锚定", "Ledger anchoring"),
    ("records.anchored", "已锚定于检查点", "Anchored in checkpoint"),
    ("records.pending", "待下一个检查点", "Awaiting the next checkpoint"),
    ("records.proof", "证明", "proof"),
    ("records.diff", "版本对比", "Compare versions"),
    ("records.compare", "对比", "Compare"),
    ("records.field", "字段", "Field"),
    ("records.no_changes", "两个版本之间没有字段变化", "No field changed between these versions"),
    ("records.signatures", "电子签名", "Electronic signatures"),
    ("records.no_signatures", "尚无签名", "Not signed yet"),
    ("records.signer", "签名人", "Signed by"),
    ("records.meaning", "签名含义", "Meaning"),
    ("records.signed_at", "签名时间", "Signed at"),
    ("records.valid", "验证通过", "Verified"),
    ("records.invalid", "验证失败", "Does not verify"),
    ("records.old_version", "针对旧版本", "On an earlier version"),
    ("records.unsigned_current", "记录在签名后已修改：当前版本未签名", "The record changed after it was signed: the current version is unsigned"),
    ("records.sign", "签署当前版本", "Sign the current version"),
    ("records.sign_note", "签名需要重新输入密码（已启用动态口令的还需输入口令）。签名与本版本的数据哈希绑定，并记入账本。", "Signing asks for your password again (and your one-time code when enrolled). The signature is bound to this version's data hash and recorded in the ledger."),
    ("records.password", "密码", "Password"),
    ("records.totp", "动态口令", "One-time code"),
    ("records.signed_ok", "签名成功", "Signed"),
    ("records.wrong_password", "密码错误；本次失败已记入审计", "Wrong password; the failed attempt was recorded"),
    ("records.wrong_totp", "动态口令错误或已使用", "Wrong or reused one-time code"),
    ("records.history_link", "完整版本记录、对比与签名", "Full history, comparison and signatures"),
    ("audit.by_action", "按操作统计", "By action"),
    ("audit.by_user", "按用户统计（前20）", "By user (top 20)"),
    ("audit.alerts", "告警", "Alerts"),
    ("audit.no_alerts", "暂无告警", "No alerts"),
    ("audit.alert_events", "查看操作记录", "See the events"),
    ("audit.rules", "告警规则", "Alert rules"),
    ("audit.rule", "规则", "Rule"),
    ("audit.threshold", "阈值", "Threshold"),
    ("audit.window", "时间窗（分钟）", "Window (minutes)"),
    ("audit.enabled", "启用", "Enabled"),
    ("audit.rule.failed_logins_ip", "同一地址多次登录失败", "Repeated failed logins from one address"),
    ("audit.rule.admin_off_hours", "非工作时间的管理操作", "Administrative changes outside working hours"),
    ("audit.rule.bulk_export", "频繁批量导出", "Repeated bulk exports"),
    ("audit.title", "审计日志", "Audit log"),
    ("act.login", "登录", "Login"),
    ("act.login_failed", "登录失败", "Failed login"),
    ("act.lockout", "登录锁定", "Lockout"),
    ("act.logout", "退出", "Logout"),
    ("act.mfa_failed", "双因素验证失败", "Failed second factor"),
    ("act.mfa_enrolled", "启用双因素认证", "Second factor enrolled"),
    ("act.permission_denied", "越权拒绝", "Permission denied"),
    ("act.org_create", "新建机构", "Organization created"),
    ("act.user_create", "新建用户", "User created"),
    ("act.user_update", "修改用户", "User changed"),
    ("act.user_disable", "停用用户", "User disabled"),
    ("act.user_enable", "启用用户", "User enabled"),
    ("act.user_unlock", "解锁用户", "User unlocked"),
    ("act.password_reset", "重置密码", "Password reset"),
    ("act.password_change", "修改密码", "Password changed"),
    ("act.roles_assign", "分配角色", "Roles assigned"),
    ("act.role_update", "修改角色", "Role changed"),
    ("act.role_request", "角色变更申请", "Role change requested"),
    ("act.role_request_approve", "批准角色变更", "Role change approved"),
    ("act.role_request_refuse", "驳回角色变更", "Role change refused"),
    ("act.token_create", "创建接口令牌", "API token created"),
    ("act.token_revoke", "吊销接口令牌", "API token revoked"),
    ("act.export", "导出", "Export"),
    ("act.alert_rule_update", "修改告警规则", "Alert rule changed"),
    ("act.product_create", "新增品种", "Product registered"),
    ("act.product_update", "修改品种", "Product changed"),
    ("act.company_update", "修改企业档案", "Company profile changed"),
    ("act.person_create", "新增人员", "Person registered"),
    ("act.sign", "电子签名", "Electronic signature"),
    ("act.license_issue", "发证", "License issued"),
    ("act.license_change", "证照变更", "License changed"),
    ("act.license_renew", "证照延续", "License renewed"),
    ("act.license_suspend", "证照暂停", "License suspended"),
    ("act.license_reinstate", "证照恢复", "License reinstated"),
    ("act.license_revoke", "证照吊销", "License revoked"),
    ("act.license_export", "证照导出", "License exported"),
    ("act.application_submit", "提交申请", "Application submitted"),
    ("act.application_step", "办件环节", "Application step"),
    ("act.service_type_update", "修改事项", "Service type changed"),
    ("act.sign_failed", "签名失败", "Failed signature"),
    ("act.trace_capture", "追溯数据上报", "Trace data reported"),
    ("act.trace_site", "登记追溯场地", "Trace site registered"),
    ("act.trace_pack_code", "登记包装码", "Pack code registered"),
    ("act.recall_open", "发起召回", "Recall opened"),
    ("act.recall_close", "关闭召回", "Recall closed"),
    ("act.anomaly_close", "处置异常", "Anomaly closed"),
    ("act.anomaly_answer", "异常说明", "Anomaly answered"),
    ("act.anomaly_withdraw", "自动撤销异常", "Anomaly withdrawn"),
    ("act.inventory_item", "物料登记与变更", "Inventory item saved"),
    ("act.inventory_receive", "入库", "Stock received"),
    ("act.inventory_issue", "领用出库", "Stock issued"),
    ("act.inventory_return", "退还入库", "Stock returned"),
    ("act.inventory_count", "盘点", "Stock counted"),
    ("act.inventory_adjust", "库存调整审批", "Stock adjustment decided"),
    ("act.inventory_dispose", "报废", "Stock disposed"),
    ("act.inventory_transfer", "移库", "Lot moved"),
    ("act.quality_deviation", "偏差处理", "Deviation"),
    ("act.quality_capa", "纠正预防措施", "CAPA"),
    ("act.quality_change", "变更控制", "Change control"),
    ("act.lab_instrument", "仪器登记与校准", "Instrument registered or calibrated"),
    ("act.lab_instrument_use", "仪器使用", "Instrument used"),
    ("act.lab_result", "仪器数据接收", "Instrument result delivered"),
    ("act.lab_template", "实验记录模板", "Lab record template"),
    ("act.lab_record", "实验记录", "Lab record"),
    ("act.lab_environment", "环境监测", "Environment monitoring"),
    ("act.lab_project", "研发项目", "R&D project"),
    ("act.sup_case", "风险处置", "Risk case"),
    ("act.sup_model", "风险模型", "Risk model"),
    ("act.sup_score", "风险评分", "Risk score"),
    ("act.sup_plan", "年度检查计划", "Inspection plan"),
    ("act.sup_inspection", "检查", "Inspection"),
    ("act.sup_sample", "抽检", "Sampling"),
    ("act.sup_enforcement", "行政处罚案件", "Enforcement case"),
    ("act.sup_complaint", "投诉举报", "Complaint or report"),
    ("act.sup_document_export", "执法文书导出", "Enforcement document export"),
    ("act.adr_report", "不良反应报告", "Adverse reaction report"),
    ("act.adr_run", "信号检测", "Signal detection"),
    ("act.adr_signal", "信号评价", "Signal assessment"),
    ("act.bb_line", "生产线与关键参数", "Production line"),
    ("act.bb_ingest", "生产数据上传", "Process data upload"),
    ("act.bb_warning", "生产预警", "Production warning"),
    ("act.submission", "电子申报编制", "eCTD submission"),
    ("act.submission_transfer", "电子申报传输", "eCTD transfer"),
    ("act.quality_document", "受控文件与培训", "Controlled document"),
    ("audit.outcome.ok", "成功", "OK"),
    ("audit.outcome.denied", "拒绝", "Denied"),
    ("audit.outcome.failed", "失败", "Failed"),
    ("audit.time", "时间", "Time"),
    ("audit.actor", "操作人", "Actor"),
    ("audit.action", "操作", "Action"),
    ("audit.target", "对象", "Target"),
    ("audit.outcome", "结果", "Outcome"),
    ("audit.ip", "IP", "IP"),
    ("audit.detail", "详情", "Detail"),
    ("audit.from", "开始日期", "From"),
    ("audit.to", "结束日期", "To"),
    ("audit.per_day", "近14天事件数", "Events per day, last 14 days"),
    ("account.title", "我的账号", "My account"),
    ("account.change_password", "修改密码", "Change password"),
    ("account.current", "当前密码", "Current password"),
    ("account.new", "新密码", "New password"),
    ("account.totp", "双因素认证", "Two-factor authentication"),
    ("account.totp_on", "已启用", "Enabled"),
    ("account.totp_off", "未启用", "Not enabled"),
    ("account.totp_start", "启用双因素认证", "Set up two-factor authentication"),
    ("account.tokens", "接口令牌", "API tokens"),
    ("account.saved", "已保存", "Saved"),
    ("common.filter", "筛选", "Filter"),
    ("common.org_pick", "输入名称或代码的一部分，再从列表中选择", "Type part of a name or code, then pick"),
    ("common.reset", "重置", "Reset"),
    ("common.save", "保存", "Save"),
    ("common.cancel", "取消", "Cancel"),
    ("common.create", "创建", "Create"),
    ("common.prev", "上一页", "Previous"),
    ("common.next", "下一页", "Next"),
    ("common.total", "共", "Total"),
    ("common.rows", "条", "rows"),
    ("common.actions", "操作", "Actions"),
    ("common.none", "无", "None"),
    ("common.fix_errors", "请修正以下问题：", "Please fix the following:"),
    ("common.skip", "跳到正文", "Skip to content"),
    ("common.empty_filtered", "没有符合筛选条件的记录", "Nothing matches the filter"),
    ("common.clear_filter", "清除筛选", "Clear the filter"),
    ("products.empty", "暂无药品", "No products yet"),
    ("users.empty", "暂无用户", "No users yet"),
    ("licenses.empty", "暂无电子证照", "No licenses yet"),
    ("applications.empty", "暂无办件", "No applications yet"),
    ("applications.apply", "我要申请", "Apply"),
    ("anomalies.empty", "暂无追溯异常", "No trace anomalies"),
    ("audit.empty", "暂无审计记录", "No audit events"),
    ("recalls.empty", "暂无召回", "No recalls"),
    ("recalls.open", "发起召回", "Open a recall"),
    ("recalls.no_holders", "发起时无持有方", "No holder when opened"),
    ("trace.no_movements", "暂无该批号的流向记录", "No movements of this batch"),
    ("trace.no_events", "暂无追溯记录", "No trace events"),
    ("tokens.empty", "暂无接口令牌", "No API tokens"),
    ("tokens.create", "创建令牌", "Create one"),
    ("err.not_found", "页面不存在", "Page not found"),
    ("err.forbidden", "没有权限执行此操作", "You are not allowed to do this"),
    ("err.generic", "操作失败", "The action failed"),
    ("err.csrf", "页面已过期或表单来源无法确认，请刷新页面后重试", "CSRF token missing or wrong; reload the page and try again"),
    ("err.record_not_found", "未找到该记录，可能已被处理或删除", "The record was not found"),
    ("err.too_large", "上传的内容超过大小上限，请拆分或压缩后重试", "The upload is larger than allowed"),
    ("app.done.submitted", "申请已提交，请留意受理进度和消息。", "Submitted."),
    ("app.done.accepted", "已受理。", "Accepted."),
    ("app.done.refused", "已作出不予受理决定，并告知申请人。", "Refused."),
    ("app.done.correction", "补正告知已发出，办理时限暂停计算。", "The 补正 notice was sent; the clock is paused."),
    ("app.done.assigned", "已指派审查人员。", "Reviewers assigned."),
    ("app.done.inspection", "已关联现场检查。", "Inspection linked."),
    ("app.done.reviewed", "审查意见已提交。", "Review submitted."),
    ("app.done.decided", "决定已签名作出，并告知申请人。", "Decided and signed."),
    ("app.done.resubmitted", "补正材料已提交，办理时限恢复计算。", "Answer submitted; the clock runs again."),
    ("app.done.withdrawn", "申请已撤回。", "Withdrawn."),
    ("field.reason", "原因", "Reason"),
    ("field.name", "名称", "Name"),
    ("field.license_id", "证照", "License"),
    ("field.file", "文件", "File"),
    ("field.files", "附件", "Attachments"),
    ("field.parent_id", "上级机构", "Parent"),
    ("field.kind", "类型", "Kind"),
    ("field.code", "统一社会信用代码", "Code"),
    ("field.valid_until", "有效期至", "Valid until"),
    ("field.valid_from", "有效期自", "Valid from"),
    ("field.user_id", "用户", "User"),
    ("field.title", "标题", "Title"),
    ("field.scopes", "权限范围", "Scopes"),
    ("field.password", "密码", "Password"),
    ("field.new_password", "新密码", "New password"),
    ("field.current_password", "当前密码", "Current password"),
    ("field.meaning", "签名含义", "Meaning"),
    ("field.drug_code", "药品本位码", "Drug code"),
    ("field.approval_number", "批准文号", "Approval number"),
    ("field.generic_name", "通用名称", "Generic name"),
    ("field.trade_name", "商品名称", "Trade name"),
    ("field.dosage_form", "剂型", "Dosage form"),
    ("field.strength", "规格", "Strength"),
    ("field.pack", "包装规格", "Pack"),
    ("field.mah_org_id", "上市许可持有人", "Marketing authorization holder"),
    ("field.manufacturer_org_id", "生产企业", "Manufacturer"),
    ("field.gtins", "商品条码（GTIN）", "GTINs"),
    ("field.applicant_org_id", "申请单位", "Applicant"),
    ("field.window_minutes", "统计窗口（分钟）", "Window (minutes)"),
    ("field.threshold", "阈值", "Threshold"),
    ("field.version", "版本", "Version"),
    ("field.valid_days", "有效天数", "Valid days"),
    ("field.username", "用户名", "User name"),
    ("field.display_name", "姓名", "Name"),
    ("field.type_code", "事项", "Service"),
    ("field.roles", "角色", "Roles"),
    ("field.qualification", "资格类别", "Qualification"),
    ("field.phone", "手机号码", "Phone"),
    ("field.contact_phone", "联系电话", "Contact phone"),
    ("field.email", "电子邮箱", "Email"),
    ("field.org_id", "所属单位", "Organization"),
    ("field.employer_org_id", "执业单位", "Employer"),
    ("field.number", "编号", "Number"),
    ("field.items", "补正事项", "Items"),
    ("field.issuer_org_id", "发证机关", "Issuer"),
    ("field.holder_org_id", "持证单位", "Holder"),
    ("field.day", "日期", "Day"),
    ("field.cert_number", "证书编号", "Certificate number"),
    ("field.accept_days", "受理时限（工作日）", "Days to accept"),
    ("field.decide_days", "决定时限（工作日）", "Days to decide"),
    ("field.auto_rule", "秒办规则", "Instant rule"),
    ("field.legal_rep", "法定代表人", "Legal representative"),
    ("field.address", "地址", "Address"),
    ("field.business_scope", "经营范围", "Business scope"),
    ("field.region", "行政区划", "Region"),
    ("field.totp", "动态口令", "One-time code"),
    ("field.outcome", "决定", "Outcome"),
    ("field.opinion", "意见", "Opinion"),
    ("field.reviewer_ids", "审查人员", "Reviewers"),
    ("field.conclusion", "审查结论", "Conclusion"),
    ("field.reference", "检查编号", "Inspection reference"),
    ("field.module", "模块", "Module"),
    ("field.expected_version", "版本", "Version"),
    ("refusal.invalid_credentials", "密码不正确，请重新输入", "Wrong password"),
    ("refusal.invalid_totp", "动态口令不正确或已使用过，请输入验证器上新的口令", "Wrong or reused one-time code"),
    ("refusal.account_locked", "账户因多次密码错误已暂时锁定，请稍后再试", "Account locked after repeated failures"),
    ("refusal.account_disabled", "账户已停用", "Account disabled"),
    ("refusal.separation_of_duties", "按职责分离（三员分立）规则，此操作须由另一人完成", "Separation of duties: someone else must do this"),
    ("refusal.conflict", "记录已被他人更新或与现有记录冲突，请刷新页面后重试", "The record changed or conflicts; reload and try again"),
    ("refusal.stale_version", "记录已被他人更新，请刷新页面后重新操作", "The record changed meanwhile; reload and try again"),
    ("err.bad_form", "表单内容无法读取，请刷新页面后重试", "The form could not be read; reload the page and try again"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_unique_and_translated() {
        let mut keys: Vec<&str> = TEXT.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate i18n key");
        assert!(TEXT.iter().all(|(_, zh, en)| !zh.is_empty() && !en.is_empty()));
        assert_eq!(Lang::Zh.t("nav.home"), "工作台");
        assert_eq!(Lang::En.t("nav.home"), "Home");
        assert_eq!(Lang::En.t("no.such.key"), "??");
    }

    /// The audit page names every action in words, never by its code.
    #[test]
    fn every_audit_action_has_a_name() {
        for code in yaolian_audit::action::ALL {
            assert!(TEXT.iter().any(|(k, _, _)| *k == format!("act.{code}")), "no name for audit action {code}");
        }
        assert_eq!(Lang::Zh.action("login_failed"), "登录失败");
        assert_eq!(Lang::Zh.action("not_an_action"), "not_an_action");
    }

    /// The modules that post to-dos and messages (`yaolian_portal`), by name, never by code.
    #[test]
    fn every_module_has_a_name() {
        for code in ["registry", "license", "services", "oversight", "trace", "audit", "identity"] {
            assert_ne!(Lang::Zh.module(code), "其他", "no name for module {code}");
        }
        assert_eq!(Lang::Zh.module("trace"), "追溯");
        assert_eq!(Lang::Zh.module("not_a_module"), "其他");
    }
}
