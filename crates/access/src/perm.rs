//! Permissions (权限) as stored in roles. A module adds its own strings here and to [`ALL`].

pub const ORG_READ: &str = "org.read";
pub const ORG_MANAGE: &str = "org.manage";
pub const USER_READ: &str = "user.read";
pub const USER_MANAGE: &str = "user.manage";
pub const ROLE_READ: &str = "role.read";
pub const ROLE_ASSIGN: &str = "role.assign";
pub const ROLE_MANAGE: &str = "role.manage";
pub const SECURITY_MANAGE: &str = "security.manage";
pub const AUDIT_READ: &str = "audit.read";
pub const PORTAL_USE: &str = "portal.use";
pub const PORTAL_NOTIFY: &str = "portal.notify";
pub const LEDGER_CHECKPOINT: &str = "ledger.checkpoint";
pub const REGISTRY_READ: &str = "registry.read";
pub const REGISTRY_MANAGE: &str = "registry.manage";
/// Read electronic licenses in scope (a bureau its jurisdiction's, a company its own).
pub const LICENSE_READ: &str = "license.read";
/// Issue, change, renew, suspend and revoke licenses for holders in scope.
pub const LICENSE_MANAGE: &str = "license.manage";
/// Submit and follow applications for one's own company (申请人).
pub const SERVICE_APPLY: &str = "service.apply";
/// Handle applications: accept, refuse, ask for 补正, assign and review (窗口 / 审评).
pub const SERVICE_HANDLE: &str = "service.handle";
/// Decide applications (决定), signing the decision.
pub const SERVICE_DECIDE: &str = "service.decide";
/// Configure application types, 秒办 rules and the working-day calendar.
pub const SERVICE_CONFIGURE: &str = "service.configure";
/// Read trace data: a bureau all of it, a company its own sites' (追溯查询).
pub const TRACE_READ: &str = "trace.read";
/// Report trace events for one's own sites (追溯数据上报).
pub const TRACE_CAPTURE: &str = "trace.capture";
/// Open and close recalls and anomalies (召回 / 异常处置): a bureau, or a MAH for its products.
pub const TRACE_MANAGE: &str = "trace.manage";
/// Read the reagent and material inventory of one's stockrooms (库存查询).
pub const INVENTORY_READ: &str = "inventory.read";
/// Take reagents and materials out of stock and give back what is left (领用与退还).
pub const INVENTORY_USE: &str = "inventory.use";
/// Keep the stockroom: items, receipts, counts, disposals (物料与库房管理).
pub const INVENTORY_MANAGE: &str = "inventory.manage";
/// Approve stock adjustments from counts (库存调整审批), never one's own count.
pub const INVENTORY_APPROVE: &str = "inventory.approve";
/// Read deviations and CAPAs of one's organizations (质量记录查询).
pub const QUALITY_READ: &str = "quality.read";
/// Report a deviation and carry out CAPA actions (偏差报告、措施执行).
pub const QUALITY_REPORT: &str = "quality.report";
/// QA: classify and investigate deviations, approve them, open, close and check CAPAs.
pub const QUALITY_MANAGE: &str = "quality.manage";
/// Read the laboratory's instruments and their use (仪器设备查询).
pub const LAB_READ: &str = "lab.read";
/// Use an instrument, which must be in calibration (仪器使用).
pub const LAB_USE: &str = "lab.use";
/// Register instruments and record their calibration (仪器设备管理).
pub const LAB_MANAGE: &str = "lab.manage";
/// Read the bureau's risk cases (风险处置查看).
pub const SUPERVISION_READ: &str = "supervision.read";
/// Raise, assign, dispose, verify and close risk cases (风险处置办理).
pub const SUPERVISION_MANAGE: &str = "supervision.manage";
/// Change the bureau's risk model and credit scheme (风险模型与信用规则配置).
pub const SUPERVISION_CONFIGURE: &str = "supervision.configure";
/// Read adverse reaction reports and signals in scope (不良反应与信号查看): a bureau its region's,
/// a company its own reports.
pub const SIGNALS_READ: &str = "signals.read";
/// Report adverse drug reactions for one's own organization (不良反应上报).
pub const SIGNALS_REPORT: &str = "signals.report";
/// Run signal detection and decide signals (信号检测与评价).
pub const SIGNALS_MANAGE: &str = "signals.manage";
/// Read electronic submissions (电子申报查看): a company its own, a regulator those it received.
pub const SUBMISSION_READ: &str = "submission.read";
/// Build and send one's own organization's eCTD sequences (电子申报编制与发送).
pub const SUBMISSION_SEND: &str = "submission.send";

pub const ALL: &[&str] = &[
    ORG_READ,
    ORG_MANAGE,
    USER_READ,
    USER_MANAGE,
    ROLE_READ,
    ROLE_ASSIGN,
    ROLE_MANAGE,
    SECURITY_MANAGE,
    AUDIT_READ,
    PORTAL_USE,
    PORTAL_NOTIFY,
    LEDGER_CHECKPOINT,
    REGISTRY_READ,
    REGISTRY_MANAGE,
    LICENSE_READ,
    LICENSE_MANAGE,
    SERVICE_APPLY,
    SERVICE_HANDLE,
    SERVICE_DECIDE,
    SERVICE_CONFIGURE,
    TRACE_READ,
    TRACE_CAPTURE,
    TRACE_MANAGE,
    INVENTORY_READ,
    INVENTORY_USE,
    INVENTORY_MANAGE,
    INVENTORY_APPROVE,
    QUALITY_READ,
    QUALITY_REPORT,
    QUALITY_MANAGE,
    LAB_READ,
    LAB_USE,
    LAB_MANAGE,
    SUPERVISION_READ,
    SUPERVISION_MANAGE,
    SUPERVISION_CONFIGURE,
    SIGNALS_READ,
    SIGNALS_REPORT,
    SIGNALS_MANAGE,
    SUBMISSION_READ,
    SUBMISSION_SEND,
];

/// A permission in Chinese (for what people read: a role's history), `None` for an unknown one.
pub fn label_zh(code: &str) -> Option<&'static str> {
    Some(match code {
        ORG_READ => "查看机构",
        ORG_MANAGE => "管理机构",
        USER_READ => "查看用户",
        USER_MANAGE => "管理用户",
        ROLE_READ => "查看角色",
        ROLE_ASSIGN => "分配角色",
        ROLE_MANAGE => "管理角色",
        SECURITY_MANAGE => "安全管理",
        AUDIT_READ => "安全审计",
        PORTAL_USE => "使用门户",
        PORTAL_NOTIFY => "发送通知",
        LEDGER_CHECKPOINT => "签署账本检查点",
        REGISTRY_READ => "查看一企一档、一品一档",
        REGISTRY_MANAGE => "管理一企一档、一品一档",
        LICENSE_READ => "查看证照",
        LICENSE_MANAGE => "管理证照",
        SERVICE_APPLY => "提交申请",
        SERVICE_HANDLE => "受理与审查",
        SERVICE_DECIDE => "许可决定",
        SERVICE_CONFIGURE => "配置事项",
        TRACE_READ => "查看追溯数据",
        TRACE_CAPTURE => "上报追溯数据",
        TRACE_MANAGE => "召回与异常处置",
        INVENTORY_READ => "查看库存",
        INVENTORY_USE => "领用试剂物料",
        INVENTORY_MANAGE => "库房管理",
        INVENTORY_APPROVE => "审批库存调整",
        QUALITY_READ => "查看偏差与纠正预防措施",
        QUALITY_REPORT => "报告偏差、执行措施",
        QUALITY_MANAGE => "质量保证：调查、批准偏差，管理纠正预防措施",
        LAB_READ => "查看仪器设备",
        LAB_USE => "使用仪器",
        LAB_MANAGE => "仪器设备与校准管理",
        SUPERVISION_READ => "查看风险处置",
        SUPERVISION_MANAGE => "风险处置办理",
        SUPERVISION_CONFIGURE => "风险模型与信用规则配置",
        SIGNALS_READ => "查看不良反应报告与信号",
        SIGNALS_REPORT => "上报药品不良反应",
        SIGNALS_MANAGE => "信号检测与评价",
        SUBMISSION_READ => "查看电子申报",
        SUBMISSION_SEND => "编制与发送电子申报",
        _ => return None,
    })
}

#[cfg(test)]
mod label_tests {
    #[test]
    fn every_permission_has_a_chinese_name() {
        for p in super::ALL {
            assert!(super::label_zh(p).is_some(), "{p} has no Chinese name");
        }
    }
}
