//! What people read of the history of applications, application types and calendar days (字段
//! 目录): every field in Chinese, how its values read (status, step, phase and decision codes by
//! their Chinese names, times in China Standard Time), and the record by its business identity.
//! An application's `form.*` fields take the labels of its type's own form. Pure, no I/O.

use serde_json::Value;
use yaolian_core::diff::{Catalogue, Shown};

use crate::applications::status_zh;
use crate::types::FormField;

/// The fields of an application version (`applications::Application`).
const APPLICATION: &[(&str, &str)] = &[
    ("number", "申请编号"),
    ("id", "申请记录编号"),
    ("type_code", "事项"),
    ("type_name", "事项名称"),
    ("category", "事项类别"),
    ("status", "办理状态"),
    ("applicant_org_id", "申请企业编号"),
    ("applicant_name", "申请企业"),
    ("authority_org_id", "受理机关编号"),
    ("authority_name", "受理机关"),
    ("submitted_by", "提交人编号"),
    ("submitted_by_name", "提交人"),
    ("submitted_at", "提交时间"),
    ("form", "申请表"),
    ("form.*", "其他申请表项目"),
    ("files", "申请材料"),
    ("files[].id", "文件编号"),
    ("files[].label", "材料名称"),
    ("files[].name", "文件名"),
    ("files[].size", "文件大小（字节）"),
    ("files[].sm3", "SM3 摘要"),
    ("license_id", "相关证照记录编号"),
    ("steps", "办理过程"),
    ("steps[].step", "环节"),
    ("steps[].step_zh", "环节名称"),
    ("steps[].at", "时间"),
    ("steps[].actor", "经办人账号"),
    ("steps[].actor_name", "经办人"),
    ("steps[].opinion", "意见"),
    ("reviewers", "审查人员"),
    ("reviewers[].user_id", "用户编号"),
    ("reviewers[].username", "账号"),
    ("reviewers[].name", "姓名"),
    ("reviewers[].opinion", "审查意见"),
    ("reviewers[].conclusion", "审查结论"),
    ("correction", "补正告知"),
    ("correction.items", "补正事项"),
    ("correction.note", "补正说明"),
    ("correction.requested_on", "告知日期"),
    ("correction.answered_on", "补正提交日期"),
    ("inspection", "现场检查编号"),
    ("clock", "法定时限"),
    ("clock.phase", "当前阶段"),
    ("clock.started_on", "阶段起算日"),
    ("clock.limit_days", "时限（工作日）"),
    ("clock.paused_days", "暂停计时（工作日）"),
    ("clock.paused_since", "暂停计时起始日"),
    ("clock.due_on", "阶段截止日"),
    ("decision", "许可决定"),
    ("decision.outcome", "决定结果"),
    ("decision.opinion", "决定意见"),
    ("decision.by", "决定人账号"),
    ("decision.by_name", "决定人"),
    ("decision.at", "决定时间"),
    ("decision.signature_id", "电子签名编号"),
    ("decision.rule", "智能秒办规则"),
    ("auto", "智能秒办核验"),
    ("version", "版本号"),
];

/// The fields of a 秒办 rule's outcome (under `decision.rule` and `auto`).
const RULE_OUTCOME: &[(&str, &str)] = &[
    ("rule", "规则"),
    ("inputs", "核验输入"),
    ("inputs.*", "其他输入"),
    ("checks", "核验项"),
    ("checks[].check", "核验内容"),
    ("checks[].passed", "是否通过"),
    ("checks[].detail", "核验说明"),
    ("passed", "全部通过"),
];

/// The steps of an application (the `action` of its versions and `steps[].step`).
const STEPS: &[(&str, &str)] = &[
    ("submit", "申请"),
    ("auto_check", "智能秒办核验"),
    ("correction", "补正告知"),
    ("resubmit", "补正提交"),
    ("accept", "受理"),
    ("refuse", "不予受理"),
    ("assign", "指派审查"),
    ("review", "审查意见"),
    ("inspection", "关联现场检查"),
    ("approve", "准予许可（决定）"),
    ("reject", "不予许可（决定）"),
    ("deliver", "送达"),
    ("withdraw", "撤回"),
    ("file", "备案"),
];

/// A step of an application in Chinese.
pub fn step_zh(step: &str) -> Option<&'static str> {
    STEPS.iter().find(|(s, _)| *s == step).map(|(_, zh)| *zh)
}

fn status(code: &str) -> Option<&'static str> {
    Some(status_zh(code)).filter(|zh| *zh != "未知")
}

fn category(code: &str) -> Option<&'static str> {
    Some(match code {
        "permit" => "行政许可",
        "filing" => "备案",
        _ => return None,
    })
}

fn phase(code: &str) -> Option<&'static str> {
    Some(match code {
        "accept" => "受理",
        "decide" => "审查决定",
        "paused" => "暂停计时（补正）",
        "done" => "已办结",
        _ => return None,
    })
}

fn outcome(code: &str) -> Option<&'static str> {
    Some(match code {
        "approve" => "准予",
        "reject" => "不予",
        _ => return None,
    })
}

fn rule(code: &str) -> Option<&'static str> {
    let (_, zh): &(&str, &'static str) = crate::rules::RULES.iter().find(|(c, _)| *c == code)?;
    Some(zh.split('：').next().unwrap_or(zh))
}

fn check(code: &str) -> Option<&'static str> {
    Some(match code {
        "holds_valid_license" => "持有有效许可证",
        "contact_person" => "联系人",
        "contact_phone" => "联系电话",
        "email" => "电子邮箱",
        _ => return None,
    })
}

/// The catalogue of an application; `data` is its newest version, `form` its type's form
/// fields (their labels name `form.*` and the 秒办 inputs).
pub fn application(data: &Value, form: &[FormField]) -> Catalogue {
    let mut c = Catalogue::new(APPLICATION);
    for prefix in ["decision.rule", "auto"] {
        for (p, zh) in RULE_OUTCOME {
            c = c.field(&format!("{prefix}.{p}"), zh);
        }
        c = c
            .shown(&format!("{prefix}.rule"), Shown::Code(rule))
            .shown(&format!("{prefix}.checks[].check"), Shown::Code(check));
        for code in ["contact_person", "contact_phone", "email"] {
            c = c.field(&format!("{prefix}.inputs.{code}"), check(code).unwrap_or_default());
        }
    }
    for f in form {
        c = c.field(&format!("form.{}", f.key), &f.zh);
        for prefix in ["decision.rule", "auto"] {
            c = c.field(&format!("{prefix}.inputs.{}", f.key), &f.zh);
        }
    }
    let type_name = data["type_name"].as_str().unwrap_or_default().to_string();
    let number = data["number"].as_str().unwrap_or_default();
    c.shown("status", Shown::Code(status))
        .shown("category", Shown::Code(category))
        .shown("steps[].step", Shown::Code(step_zh))
        .hide("steps[].step_zh")
        .hide("type_code")
        .shown("reviewers[].conclusion", Shown::Code(outcome))
        .shown("clock.phase", Shown::Code(phase))
        .shown("decision.outcome", Shown::Code(outcome))
        .value_name("type_code", data["type_code"].as_str().unwrap_or_default(), &type_name)
        .actions(STEPS)
        .named(if number.is_empty() { String::new() } else { format!("申请 {number}") })
}

/// The catalogue of an application type (`types::ServiceType`); `data` its newest version.
pub fn service_type(data: &Value) -> Catalogue {
    fn action(code: &str) -> Option<&'static str> {
        Some(match code {
            "issue" => "核发",
            "change" => "变更",
            "renew" => "延续",
            "file" => "备案",
            _ => return None,
        })
    }
    fn kind(code: &str) -> Option<&'static str> {
        yaolian_license::Kind::parse(code).map(yaolian_license::Kind::label_zh)
    }
    Catalogue::new(&[
        ("name_zh", "事项名称"),
        ("name_en", "英文名称"),
        ("code", "事项代码"),
        ("category", "事项类别"),
        ("action", "办理类型"),
        ("license_kind", "证照类型"),
        ("accept_days", "受理时限（工作日）"),
        ("decide_days", "审查决定时限（工作日）"),
        ("form", "申请表"),
        ("form[].key", "项目代码"),
        ("form[].zh", "项目名称"),
        ("form[].en", "英文名称"),
        ("form[].required", "必填"),
        ("attachments", "申请材料"),
        ("auto_rule", "智能秒办规则"),
        ("active", "启用"),
        ("version", "版本号"),
    ])
    .shown("category", Shown::Code(category))
    .shown("action", Shown::Code(action))
    .shown("license_kind", Shown::Code(kind))
    .shown("auto_rule", Shown::Code(rule))
    .named(format!("事项 {}", data["name_zh"].as_str().unwrap_or_default()))
}

/// The catalogue of a day of the working-day calendar; `data` its newest version.
pub fn calendar_day(data: &Value) -> Catalogue {
    fn kind(code: &str) -> Option<&'static str> {
        Some(match code {
            "holiday" => "法定节假日",
            "workday" => "调休上班",
            _ => return None,
        })
    }
    Catalogue::new(&[("day", "日期"), ("kind", "类别"), ("name", "名称")])
        .shown("kind", Shown::Code(kind))
        .actions(&[("set", "设定"), ("clear", "取消设定")])
        .named(format!("工作日历 {}", data["day"].as_str().unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::applications::{Application, Clock, Decision, Outcome, Phase, Reviewer, Step};
    use crate::rules::{Check, RuleOutcome};
    use serde_json::json;
    use std::collections::BTreeMap;

    fn full() -> Application {
        let outcome = RuleOutcome {
            rule: "contact_change".into(),
            inputs: BTreeMap::from([("contact_phone".to_string(), "1".to_string())]),
            checks: vec![Check { check: "holds_valid_license".into(), passed: true, detail: "x".into() }],
            passed: true,
        };
        Application {
            id: 3,
            number: "SQ2026000003".into(),
            type_code: "drug_retail_issue".into(),
            type_name: "药品经营许可证核发（零售）".into(),
            category: "permit".into(),
            applicant_org_id: 1,
            applicant_name: "康辰".into(),
            authority_org_id: 2,
            authority_name: "浙江省药品监督管理局".into(),
            submitted_by: 1,
            submitted_by_name: "x".into(),
            status: "accepted".into(),
            form: BTreeMap::from([("enterprise_name".to_string(), "康辰".to_string())]),
            files: vec![yaolian_records::files::FileRef {
                id: 1,
                label: "营业执照".into(),
                name: "a.pdf".into(),
                size: 1,
                sm3: "x".into(),
            }],
            license_id: Some(1),
            steps: vec![Step {
                step: "accept".into(),
                step_zh: "受理".into(),
                at: 1_795_464_000_000,
                actor: "zj.clerk".into(),
                actor_name: "x".into(),
                opinion: String::new(),
            }],
            reviewers: vec![Reviewer {
                user_id: 1,
                username: "x".into(),
                name: "x".into(),
                opinion: Some("x".into()),
                conclusion: Some("approve".into()),
            }],
            correction: Some(crate::applications::Correction {
                items: vec!["x".into()],
                note: "x".into(),
                requested_on: "2026-01-01".into(),
                answered_on: None,
            }),
            inspection: String::new(),
            clock: Clock {
                phase: Phase::Decide,
                started_on: "x".into(),
                limit_days: 20,
                paused_days: 0,
                paused_since: None,
                due_on: None,
            },
            decision: Some(Decision {
                outcome: Outcome::Approve,
                opinion: "x".into(),
                by: "x".into(),
                by_name: "x".into(),
                at: 1,
                signature_id: None,
                rule: Some(outcome.clone()),
            }),
            auto: Some(outcome),
            submitted_at: 1,
            version: 4,
        }
    }

    #[test]
    fn every_field_of_an_application_has_a_label() {
        let data = serde_json::to_value(full()).unwrap_or_default();
        let form =
            vec![FormField {
                key: "enterprise_name".into(), zh: "企业名称".into(), en: "x".into(), required: true
            }];
        let c = application(&data, &form);
        assert_eq!(c.unlabelled(&data), Vec::<String>::new());
        assert_eq!(c.name, "申请 SQ2026000003");
        assert_eq!(c.label("form.enterprise_name"), "申请表 · 企业名称");
        assert_eq!(c.label("steps[0].at"), "办理过程 第 1 项 · 时间");
        assert_eq!(c.value("steps[0].at", Some(&json!(1_795_464_000_000_i64))), "2026-11-24 04:00:00 +08:00");
        assert_eq!(c.value("status", Some(&json!("accepted"))), "审查中");
        assert_eq!(c.value("clock.phase", Some(&json!("decide"))), "审查决定");
        assert_eq!(c.value("type_code", Some(&json!("drug_retail_issue"))), "药品经营许可证核发（零售）");
        assert_eq!(c.value("auto.checks[0].check", Some(&json!("holds_valid_license"))), "持有有效许可证");
        assert_eq!(c.action("accept"), "受理");
    }

    #[test]
    fn application_types_and_calendar_days_are_labelled() {
        let t = json!({"code": "x", "name_zh": "事项", "name_en": "x", "category": "permit", "action": "issue",
            "license_kind": "drug_retail", "accept_days": 5, "decide_days": 20,
            "form": [{"key": "x", "zh": "x", "en": "x", "required": true}], "attachments": ["x"],
            "auto_rule": "", "active": true, "version": 1});
        assert!(service_type(&t).unlabelled(&t).is_empty());
        let d = json!({"day": "2026-10-01", "kind": "holiday", "name": "国庆节"});
        assert!(calendar_day(&d).unlabelled(&d).is_empty());
    }
}
