//! What people read of the history of deviations, CAPAs, controlled documents and changes
//! (偏差、纠正预防措施、受控文件、变更控制的字段目录).
//! Pure, no I/O.

use serde_json::Value;
use yaolian_core::diff::{Catalogue, Shown};

const DEVIATION: &[(&str, &str)] = &[
    ("id", "偏差记录编号"),
    ("org_id", "机构编号"),
    ("number", "偏差编号"),
    ("title", "标题"),
    ("description", "偏差描述"),
    ("location", "发生地点"),
    ("occurred_at", "发生时间"),
    ("product", "产品"),
    ("batch", "批号"),
    ("record_ref", "相关记录"),
    ("immediate_actions", "紧急措施"),
    ("source", "来源"),
    ("source_ref", "来源记录"),
    ("classification", "偏差分级"),
    ("classification_reason", "分级理由"),
    ("cause_category", "原因类别（人机料法环测）"),
    ("five_whys", "五问法"),
    ("root_cause", "根本原因"),
    ("impact", "影响评估"),
    ("due_on", "完成期限"),
    ("status", "状态"),
    ("reporter", "报告人"),
    ("approved_by", "批准人"),
    ("capa_id", "纠正预防措施记录编号"),
];

const CAPA: &[(&str, &str)] = &[
    ("id", "纠正预防措施记录编号"),
    ("org_id", "机构编号"),
    ("deviation_id", "偏差记录编号"),
    ("number", "编号"),
    ("title", "标题"),
    ("actions", "措施"),
    ("actions[].description", "内容"),
    ("actions[].owner", "负责人"),
    ("actions[].due_on", "期限"),
    ("actions[].done_on", "完成日期"),
    ("actions[].evidence", "完成证据"),
    ("status", "状态"),
    ("owner", "建立人"),
    ("effectiveness_due_on", "有效性检查日期"),
    ("effectiveness_note", "有效性检查结论"),
    ("reopened", "重新打开次数"),
];

fn find(table: &[(&str, &'static str)], code: &str) -> Option<&'static str> {
    table.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

fn deviation_status(code: &str) -> Option<&'static str> {
    find(crate::deviations::STATUSES, code)
}

fn source(code: &str) -> Option<&'static str> {
    find(crate::deviations::SOURCES, code)
}

fn cause(code: &str) -> Option<&'static str> {
    find(crate::CAUSES, code)
}

fn capa_status(code: &str) -> Option<&'static str> {
    find(crate::capa::STATUSES, code)
}

fn text<'a>(data: &'a Value, key: &str) -> &'a str {
    data[key].as_str().unwrap_or_default()
}

/// The catalogue of a deviation; `data` is its newest version.
pub fn deviation(data: &Value) -> Catalogue {
    Catalogue::new(DEVIATION)
        .shown("status", Shown::Code(deviation_status))
        .shown("source", Shown::Code(source))
        .shown("classification", Shown::Code(crate::class_zh))
        .shown("cause_category", Shown::Code(cause))
        .shown("occurred_at", Shown::Time)
        .actions(&[
            ("report", "报告"),
            ("investigate", "调查与分级"),
            ("extend", "延期"),
            ("approve", "批准关闭"),
            ("link_capa", "关联纠正预防措施"),
        ])
        .named(format!("{} {}", text(data, "number"), text(data, "title")).trim().to_string())
}

/// The catalogue of a CAPA; `data` is its newest version.
pub fn capa(data: &Value) -> Catalogue {
    Catalogue::new(CAPA)
        .shown("status", Shown::Code(capa_status))
        .actions(&[
            ("open", "建立"),
            ("action_done", "措施完成"),
            ("add_actions", "增加措施"),
            ("close", "关闭"),
            ("effective", "有效性检查：有效"),
            ("reopen", "有效性检查未通过，重新打开"),
        ])
        .named(format!("{} {}", text(data, "number"), text(data, "title")).trim().to_string())
}

const DOCUMENT: &[(&str, &str)] = &[
    ("id", "文件记录编号"),
    ("org_id", "机构编号"),
    ("code", "文件编号"),
    ("title", "文件名称"),
    ("review_months", "定期审核周期（月）"),
    ("status", "状态"),
    ("owner", "建立人"),
    ("reviewed_on", "最近定期审核日期"),
];

const REVISION: &[(&str, &str)] = &[
    ("id", "版本记录编号"),
    ("document_id", "文件记录编号"),
    ("revision", "版本号"),
    ("file_name", "文件名"),
    ("size", "大小（字节）"),
    ("sm3", "SM3 校验值"),
    ("reason", "修订原因"),
    ("status", "状态"),
    ("author", "起草人"),
    ("effective_on", "生效日期"),
    ("approved_by", "批准人"),
];

fn document_status(code: &str) -> Option<&'static str> {
    Some(match code {
        "active" => "在用",
        "obsolete" => "已废止",
        _ => return None,
    })
}

fn revision_status(code: &str) -> Option<&'static str> {
    Some(match code {
        "approved" => "已批准",
        other => return find(crate::documents::STATES, other),
    })
}

/// The catalogue of a controlled document; `data` is its newest version.
pub fn document(data: &Value) -> Catalogue {
    Catalogue::new(DOCUMENT)
        .shown("status", Shown::Code(document_status))
        .actions(&[("create", "建立"), ("review", "定期审核"), ("obsolete", "废止")])
        .named(format!("{} {}", text(data, "code"), text(data, "title")).trim().to_string())
}

/// The catalogue of a document revision; `data` is its newest version.
pub fn revision(data: &Value) -> Catalogue {
    Catalogue::new(REVISION)
        .shown("status", Shown::Code(revision_status))
        .actions(&[("draft", "起草"), ("submit", "提交审核"), ("approve", "批准")])
        .named(format!("第 {} 版", data["revision"].as_i64().unwrap_or_default()))
}

const CHANGE: &[(&str, &str)] = &[
    ("id", "变更记录编号"),
    ("org_id", "机构编号"),
    ("number", "变更编号"),
    ("title", "标题"),
    ("description", "变更内容"),
    ("reason", "变更理由"),
    ("kind", "变更类型"),
    ("classification", "变更分类"),
    ("classification_reason", "分类理由"),
    ("risks", "风险评估（FMEA）"),
    ("risks[].mode", "失效模式"),
    ("risks[].effect", "失效后果"),
    ("risks[].severity", "严重度"),
    ("risks[].occurrence", "发生度"),
    ("risks[].detection", "可检测度"),
    ("risks[].rpn", "风险优先数"),
    ("risks[].controls", "控制措施"),
    ("max_rpn", "最高风险优先数"),
    ("risk_level", "风险等级"),
    ("documents", "受影响文件"),
    ("documents[].id", "文件记录编号"),
    ("documents[].code", "文件编号"),
    ("documents[].title", "文件名称"),
    ("documents[].revision_id", "修订版本记录编号"),
    ("documents[].revision", "修订版本号"),
    ("products", "受影响产品"),
    ("methods", "受影响方法"),
    ("equipment", "受影响设备"),
    ("functions", "批准部门"),
    ("approvals", "批准"),
    ("approvals[].function", "部门"),
    ("approvals[].by", "签名人"),
    ("approvals[].approved", "同意"),
    ("approvals[].note", "意见"),
    ("approvals[].on", "日期"),
    ("tasks", "实施任务"),
    ("tasks[].description", "内容"),
    ("tasks[].owner", "负责人"),
    ("tasks[].due_on", "期限"),
    ("tasks[].done_on", "完成日期"),
    ("tasks[].evidence", "完成证据"),
    ("batches_required", "需评估批数"),
    ("batch_reviews", "变更后批次评估"),
    ("batch_reviews[].batch", "批号"),
    ("batch_reviews[].acceptable", "合格"),
    ("batch_reviews[].conclusion", "结论"),
    ("batch_reviews[].by", "评估人"),
    ("batch_reviews[].on", "日期"),
    ("status", "状态"),
    ("requester", "申请人"),
    ("closure_note", "关闭结论"),
];

fn change_status(code: &str) -> Option<&'static str> {
    find(crate::changes::STATUSES, code)
}

fn change_kind(code: &str) -> Option<&'static str> {
    find(crate::changes::KINDS, code)
}

fn change_class(code: &str) -> Option<&'static str> {
    find(crate::changes::CLASSES, code)
}

fn risk(code: &str) -> Option<&'static str> {
    find(crate::changes::RISKS, code)
}

/// The catalogue of a change; `data` is its newest version.
pub fn change(data: &Value) -> Catalogue {
    Catalogue::new(CHANGE)
        .shown("status", Shown::Code(change_status))
        .shown("kind", Shown::Code(change_kind))
        .shown("classification", Shown::Code(change_class))
        .shown("risk_level", Shown::Code(risk))
        .actions(&[
            ("request", "申请"),
            ("assess", "分类与风险评估"),
            ("approve", "批准"),
            ("reject", "不批准"),
            ("task_done", "任务完成"),
            ("batch_review", "变更后批次评估"),
            ("revise_document", "修订受影响文件"),
            ("close", "关闭"),
        ])
        .named(format!("{} {}", text(data, "number"), text(data, "title")).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_field_of_a_quality_record_has_a_label() {
        let d = json!({"id": 1, "org_id": 1, "number": "PC-2026-00001", "title": "t", "description": "d",
            "location": "", "occurred_at": 1, "product": "", "batch": "", "record_ref": "", "immediate_actions": "",
            "source": "oos", "source_ref": "", "classification": "major", "classification_reason": "",
            "cause_category": "method", "five_whys": ["a"], "root_cause": "", "impact": "", "due_on": "2026-12-30",
            "status": "investigated", "reporter": "x", "approved_by": null, "capa_id": null});
        let c = json!({"id": 1, "org_id": 1, "deviation_id": 1, "number": "CAPA-2026-00001", "title": "t",
            "actions": [{"description": "d", "owner": "o", "due_on": "2026-12-30", "done_on": null, "evidence": ""}],
            "status": "reopened", "owner": "x", "effectiveness_due_on": null, "effectiveness_note": "", "reopened": 1});
        assert!(deviation(&d).unlabelled(&d).is_empty(), "{:?}", deviation(&d).unlabelled(&d));
        assert!(capa(&c).unlabelled(&c).is_empty(), "{:?}", capa(&c).unlabelled(&c));
        assert_eq!(deviation(&d).value("cause_category", Some(&json!("method"))), "法");
        let doc = json!({"id": 1, "org_id": 1, "code": "SOP-QC-012", "title": "t", "review_months": 24,
            "status": "active", "owner": "x"});
        let rev = json!({"id": 1, "document_id": 1, "revision": 2, "file_name": "a.pdf", "size": 3, "sm3": "ab",
            "reason": "r", "status": "approved", "author": "x", "effective_on": "2026-12-01", "approved_by": "y"});
        assert!(document(&doc).unlabelled(&doc).is_empty());
        assert!(revision(&rev).unlabelled(&rev).is_empty());
        assert_eq!(revision(&rev).name, "第 2 版");
        assert_eq!(revision(&rev).value("status", Some(&json!("approved"))), "已批准");
        assert_eq!(capa(&c).value("status", Some(&json!("reopened"))), "有效性检查未通过，重新实施");
        let ch = json!({"id": 1, "org_id": 1, "number": "CC-2026-00001", "title": "t", "description": "d",
            "reason": "r", "kind": "material", "classification": "major", "classification_reason": "c",
            "risks": [{"mode": "m", "effect": "e", "severity": 8, "occurrence": 4, "detection": 4, "rpn": 128,
                "controls": "c"}], "max_rpn": 128, "risk_level": "high",
            "documents": [{"id": 1, "code": "SOP", "title": "t", "revision_id": 2, "revision": 3}],
            "products": ["p"], "methods": [], "equipment": [], "functions": ["qa"],
            "approvals": [{"function": "qa", "by": "x", "approved": true, "note": "", "on": "2026-12-01"}],
            "tasks": [{"description": "d", "owner": "o", "due_on": "2026-12-30", "done_on": null, "evidence": ""}],
            "batches_required": 3, "batch_reviews": [{"batch": "B1", "acceptable": true, "conclusion": "ok",
                "by": "x", "on": "2026-12-02"}], "status": "implementing", "requester": "x", "closure_note": ""});
        assert!(change(&ch).unlabelled(&ch).is_empty(), "{:?}", change(&ch).unlabelled(&ch));
        assert_eq!(change(&ch).value("risk_level", Some(&json!("high"))), "高风险");
    }
}
