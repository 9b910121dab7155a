//! What people read of trace data, in Chinese (追溯数据的中文表述): CBV 2.0 business steps
//! and dispositions, event types, anomaly details, and the reasons an uploaded line was refused.
//! The stored values stay the machine codes (a CBV name, an anomaly kind and its detail, a
//! refusal's field and rule); this module turns them into sentences at display time.
//!
//! Architecture Invariant: pure, no I/O; site names come in through a lookup the caller gives.

use yaolian_core::FieldError;

use crate::ingest::{ANOMALY_KINDS, STATES};

/// CBV 2.0 business steps (`bizStep`, CBV 2.0 §7.1) in Chinese.
pub const BIZ_STEPS: &[(&str, &str)] = &[
    ("accepting", "验收"),
    ("arriving", "到达"),
    ("assembling", "组装"),
    ("collecting", "收集"),
    ("commissioning", "赋码"),
    ("consigning", "托运"),
    ("creating_class_instance", "创建批次"),
    ("cycle_counting", "循环盘点"),
    ("decommissioning", "注销"),
    ("departing", "离开"),
    ("destroying", "销毁"),
    ("disassembling", "拆解"),
    ("dispensing", "发药"),
    ("encoding", "编码"),
    ("entering_exiting", "进出"),
    ("holding", "暂存"),
    ("inspecting", "检查"),
    ("installing", "安装"),
    ("killing", "标签停用"),
    ("loading", "装载"),
    ("other", "其他"),
    ("packing", "包装关联"),
    ("picking", "拣货"),
    ("receiving", "收货"),
    ("removing", "移出"),
    ("repackaging", "分装"),
    ("repairing", "维修"),
    ("replacing", "更换"),
    ("reserving", "预留"),
    ("retail_selling", "零售"),
    ("sampling", "抽样"),
    ("sensor_reporting", "传感器上报"),
    ("shipping", "发货"),
    ("staging_outbound", "出库备货"),
    ("stock_taking", "库存盘点"),
    ("stocking", "上架"),
    ("storing", "储存"),
    ("transporting", "运输"),
    ("unloading", "卸货"),
    ("unpacking", "拆包"),
    ("void_shipping", "取消发货"),
];

/// CBV 2.0 dispositions (`disposition`, CBV 2.0 §7.2) in Chinese.
pub const DISPOSITIONS: &[(&str, &str)] = &[
    ("active", "已激活"),
    ("available", "可用"),
    ("completeness_inferred", "推定完整"),
    ("completeness_verified", "已核实完整"),
    ("conformant", "合格"),
    ("container_closed", "容器已封闭"),
    ("container_open", "容器已开启"),
    ("damaged", "已损坏"),
    ("destroyed", "已销毁"),
    ("dispensed", "已发药"),
    ("disposed", "已处置"),
    ("encoded", "已编码"),
    ("expired", "已过期"),
    ("in_progress", "处理中"),
    ("in_transit", "在途"),
    ("inactive", "已停用"),
    ("mismatch_class", "类别不符"),
    ("mismatch_instance", "实例不符"),
    ("mismatch_quantity", "数量不符"),
    ("needs_replacement", "需更换"),
    ("no_pedigree_match", "无谱系匹配"),
    ("non_conformant", "不合格"),
    ("non_sellable_other", "不可销售"),
    ("partially_dispensed", "部分发药"),
    ("recalled", "已召回"),
    ("reserved", "已预留"),
    ("retail_sold", "已零售"),
    ("returned", "已退回"),
    ("sellable_accessible", "可销售"),
    ("sellable_not_accessible", "可销售（不可取用）"),
    ("stolen", "被盗"),
    ("unavailable", "不可用"),
    ("unknown", "未知"),
];

/// A CBV name as written in a document: bare (`shipping`) or as its URN / URI.
fn bare(v: &str) -> &str {
    v.rsplit([':', '/', '-']).next().unwrap_or(v)
}

fn lookup(table: &[(&str, &'static str)], v: &str) -> Option<&'static str> {
    let b = bare(v);
    table.iter().find(|(k, _)| *k == v || *k == b).map(|(_, zh)| *zh)
}

/// A business step in Chinese; an unknown (extension) step as 其他业务步骤.
pub fn biz_step(step: &str) -> String {
    match lookup(BIZ_STEPS, step) {
        Some(zh) => zh.into(),
        None if step.is_empty() => String::new(),
        None => "其他业务步骤".into(),
    }
}

/// A disposition in Chinese; an unknown (extension) one as 其他状态.
pub fn disposition(d: &str) -> String {
    match lookup(DISPOSITIONS, d) {
        Some(zh) => zh.into(),
        None if d.is_empty() => String::new(),
        None => "其他状态".into(),
    }
}

/// An EPCIS event type, with its action, in Chinese.
pub fn event_type(event_type: &str, action: Option<&str>) -> String {
    let kind = match event_type {
        "ObjectEvent" => "对象事件",
        "AggregationEvent" => "包装关联事件",
        "TransactionEvent" => "交易事件",
        "TransformationEvent" => "转换事件",
        "AssociationEvent" => "关联事件",
        _ => "事件",
    };
    let action = match action {
        Some("ADD") => "（新增）",
        Some("OBSERVE") => "（观察）",
        Some("DELETE") => "（删除）",
        _ => "",
    };
    format!("{kind}{action}")
}

/// A code's state (`trace_codes.state`) in Chinese.
pub fn state(s: &str) -> &'static str {
    STATES.iter().find(|x| x.0 == s).map_or("状态未知", |x| x.1)
}

/// An anomaly kind in Chinese.
pub fn anomaly_kind(kind: &str) -> &'static str {
    ANOMALY_KINDS.iter().find(|k| k.0 == kind).map_or("其他异常", |k| k.1)
}

/// An anomaly's detail as a Chinese sentence. `detail` is what `ingest` stored (a stable,
/// machine-made text per kind); `site` names a site key (`/414/…`) for people.
pub fn anomaly_detail(kind: &str, detail: &str, site: &dyn Fn(&str) -> String) -> String {
    let d = detail.trim();
    let after = |prefix: &str| d.strip_prefix(prefix).map(str::trim);
    let sentence = match kind {
        "duplicate_commissioning" => Some("该码已赋码，又被再次赋码".to_string()),
        "not_holder" => {
            if let Some(h) = after("shipped while held by") {
                Some(format!("该码当时由{}持有，却从本场所发货", site(h)))
            } else if let Some(h) = after("sold while held by") {
                Some(format!("该码当时由{}持有，却在本场所销售", site(h)))
            } else {
                after("held by").map(|h| format!("该码当时由{}持有，却在本场所被包装关联", site(h)))
            }
        }
        "receipt_without_shipment" => {
            after("received while").map(|s| format!("该码未见发货记录即被收货（当时状态：{}）", state(s)))
        }
        "unknown_code" => {
            if d.starts_with("packed") {
                Some("该码从未赋码，却被包装关联".into())
            } else {
                d.strip_suffix("of a code never commissioned")
                    .map(|s| format!("该码从未赋码，却有“{}”记录", biz_step(s.trim())))
            }
        }
        "already_aggregated" => after("already inside").map(|p| format!("该码已在上级码 {p} 中，又被包装进另一上级码")),
        "sold_twice" => after("already").map(|s| format!("该码此前{}，又被销售", state(s))),
        "sale_destroyed" => Some("该码此前已销毁，又被销售".into()),
        "sale_expired" => {
            let parts = after("expired").and_then(|r| r.split_once(", sold"));
            parts.map(|(x, day)| format!("该码有效期至 {}，却于 {} 销售", x.trim(), day.trim()))
        }
        "sale_recalled" => after("under recall #").map(|r| format!("该码所在批次正在召回（召回编号 {r}），仍被销售")),
        "too_close" => {
            let parts = after("seen at")
                .and_then(|r| r.split_once(" and "))
                .and_then(|(a, r)| r.split_once(" min later at ").map(|(n, b)| (a, n, b)));
            parts.map(|(a, n, b)| {
                format!("该码在{}出现后仅 {} 分钟又出现在{}", site(a.trim()), n.trim(), site(b.trim()))
            })
        }
        "sales_spike" => {
            // "{n} units on {day}; mean {m}/day over the {h} days before"
            let parts = d.split_once(" units on ").and_then(|(n, r)| {
                let (day, r) = r.split_once("; mean ")?;
                let (mean, r) = r.split_once("/day over the ")?;
                Some((n, day, mean, r.trim_end_matches(" days before")))
            });
            parts.map(|(n, day, mean, h)| format!("{day} 销售 {n} 盒，远高于此前 {h} 天的日均 {mean} 盒"))
        }
        _ => None,
    };
    sentence.unwrap_or_else(|| anomaly_kind(kind).to_string())
}

/// What a field of an EPCIS event or an operations sheet is called in Chinese, when we have a
/// label for it (`eventList[3].bizStep` → 业务步骤; a sheet's own headers stay as they are).
pub fn field_label(field: &str) -> Option<&'static str> {
    const LABELS: &[(&str, &str)] = &[
        ("epcList", "追溯码"),
        ("childEPCs", "追溯码"),
        ("inputEPCList", "投入追溯码"),
        ("outputEPCList", "产出追溯码"),
        ("parentID", "上级码"),
        ("eventTime", "操作时间"),
        ("eventTimeZoneOffset", "时区"),
        ("bizStep", "业务步骤"),
        ("disposition", "状态"),
        ("bizLocation", "操作场所"),
        ("readPoint", "操作场所"),
        ("sourceList", "对方场所"),
        ("destinationList", "对方场所"),
        ("itemExpirationDate", "有效期"),
        ("lotNumber", "批号"),
        ("ilmd", "批次信息"),
        ("action", "动作"),
        ("type", "事件类型"),
        ("bizTransactionList", "业务单据"),
        ("@context", "文档上下文"),
        ("eventID", "事件编号"),
        ("header", "表头"),
        ("body", "文件"),
    ];
    // The last named member: `eventList[3].ilmd.cbvmda:lotNumber` → lotNumber.
    let members: Vec<&str> = field.split(['.', '[']).map(|m| m.trim_end_matches(']')).collect();
    members.iter().rev().find_map(|m| {
        let name = m.rsplit(':').next().unwrap_or(m);
        LABELS.iter().find(|(k, _)| *k == name).map(|(_, zh)| *zh)
    })
}

/// Where a refused item was: a sheet's line, or an event of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// A line of a sheet or of a JSON-lines file (1-based, the header is line 1).
    Line(usize),
    /// An event of a document (1-based).
    Event(usize),
    /// The file as a whole.
    File,
}

impl At {
    pub fn zh(self) -> String {
        match self {
            At::Line(n) => format!("第 {n} 行"),
            At::Event(n) => format!("第 {n} 个事件"),
            At::File => "文件".into(),
        }
    }
}

/// A refusal in one Chinese sentence, with the field named by its Chinese label where there is
/// one: `第 7 行：操作类型“搬运”不是可用的操作…`.
pub fn refusal(at: At, e: &FieldError) -> String {
    // A sheet's field is "line 7: 操作类型"; an event's "eventList[3].bizStep".
    let own = e.field.split_once(": ").map(|(_, f)| f.trim());
    let label = own.filter(|f| !f.is_ascii()).map(str::to_string).or_else(|| field_label(&e.field).map(str::to_string));
    let named = label.clone().unwrap_or_else(|| "内容".into());
    let rule = e.rule.as_str();
    let quoted = quoted_value(&e.message);
    let why = if rule == "column_required" {
        let column = e.message.split([' ', '(']).find(|w| !w.is_empty() && !w.is_ascii()).unwrap_or("必需");
        format!("缺少“{column}”列")
    } else if rule == "required" || rule == "schema:required" {
        format!("缺少{named}")
    } else if let Some(list) = rule.strip_prefix("one_of:") {
        let shown = quoted.map(|v| format!("“{v}”")).unwrap_or_default();
        format!("{named}{shown}不是可用的值，应为其中之一：{}", list.replace(',', "、"))
    } else if rule.starts_with("offset") {
        format!("{named}应写作 +08:00 这样的时区")
    } else if rule == "own_site" {
        "操作场所不是本企业登记的追溯场所".into()
    } else if rule == "unknown_product" {
        "追溯码不属于任何已登记的药品（一品一档）".into()
    } else if rule == "duplicate" {
        "该事件此前已上报（事件哈希相同），未重复保存".into()
    } else if rule == "epc" {
        let v = quoted.map(|v| format!("“{v}”")).unwrap_or_default();
        format!("{named}{v}不是有效的追溯码（药品追溯码应为 20 位数字，或 GS1 码、EPC URI）")
    } else if rule == "location" {
        let v = quoted.map(|v| format!("“{v}”")).unwrap_or_default();
        format!("{named}{v}不是有效的场所编码（应为 13 位 GLN 或 SGLN URN）")
    } else if rule == "json" || rule == "utf8" || rule == "object" {
        "不是有效的 JSON 事件".into()
    } else if rule.starts_with("max_") {
        format!("超出上限（{}）", limit_zh(rule))
    } else if rule == "action:ADD" {
        "批次信息只能写在赋码事件中".into()
    } else if rule == "absent" {
        format!("{named}不应出现在此类事件中")
    } else if rule.starts_with("schema:additionalProperties") || rule.starts_with("schema:propertyNames") {
        format!("{named}不是 EPCIS 2.0 的字段")
    } else if rule.starts_with("schema") {
        format!("{named}不符合 EPCIS 2.0 标准的格式")
    } else {
        yaolian_core::refusal::sentence(&named, rule)
    };
    format!("{}：{why}", at.zh())
}

/// The first `"…"`-quoted value in an English message (what was sent), if any.
fn quoted_value(message: &str) -> Option<&str> {
    let start = message.find('"')? + 1;
    let len = message[start..].find('"')?;
    Some(&message[start..start + len]).filter(|v| !v.is_empty() && v.chars().count() <= 60)
}

fn limit_zh(rule: &str) -> String {
    let (what, n) = rule.split_once(':').unwrap_or((rule, ""));
    let what = match what {
        "max_bytes" => "文件大小上限字节数",
        "max_events" => "事件数上限",
        "max_rows" => "行数上限",
        "max_depth" => "嵌套层数上限",
        "max_values" => "JSON 值个数上限",
        _ => "上限",
    };
    format!("{what} {n}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(k: &str) -> String {
        if k == "/414/6901234000016" {
            "康辰药业 钱塘生产基地".into()
        } else {
            "其他场所".into()
        }
    }

    /// Nothing shown to a person carries English words (codes and numbers may stay).
    fn is_chinese(s: &str) -> bool {
        !s.split(|c: char| !c.is_ascii_alphabetic()).any(|w| {
            w.len() > 2
                && w != "YYYY"
                && w != "JSON"
                && w != "EPCIS"
                && w != "GS1"
                && w != "EPC"
                && w != "URI"
                && w != "GLN"
                && w != "SGLN"
                && w != "URN"
        })
    }

    #[test]
    fn every_anomaly_detail_ingest_writes_reads_as_chinese() {
        let cases = [
            ("duplicate_commissioning", "commissioned again", "该码已赋码，又被再次赋码"),
            ("not_holder", "held by /414/6901234000016", "该码当时由康辰药业 钱塘生产基地持有，却在本场所被包装关联"),
            (
                "not_holder",
                "shipped while held by /414/6901234000016",
                "该码当时由康辰药业 钱塘生产基地持有，却从本场所发货",
            ),
            ("not_holder", "sold while held by /414/1", "该码当时由其他场所持有，却在本场所销售"),
            ("receipt_without_shipment", "received while commissioned", "该码未见发货记录即被收货（当时状态：已赋码）"),
            ("unknown_code", "retail_selling of a code never commissioned", "该码从未赋码，却有“零售”记录"),
            ("unknown_code", "packed but never commissioned", "该码从未赋码，却被包装关联"),
            (
                "already_aggregated",
                "already inside 81000021234567890000",
                "该码已在上级码 81000021234567890000 中，又被包装进另一上级码",
            ),
            ("sold_twice", "already sold", "该码此前已售出，又被销售"),
            ("sale_destroyed", "destroyed before", "该码此前已销毁，又被销售"),
            ("sale_expired", "expired 2026-01-31, sold 2026-02-03", "该码有效期至 2026-01-31，却于 2026-02-03 销售"),
            ("sale_recalled", "under recall #3", "该码所在批次正在召回（召回编号 3），仍被销售"),
            (
                "too_close",
                "seen at /414/6901234000016 and 2 min later at /414/1",
                "该码在康辰药业 钱塘生产基地出现后仅 2 分钟又出现在其他场所",
            ),
            (
                "sales_spike",
                "120 units on 2026-11-20; mean 4.5/day over the 30 days before",
                "2026-11-20 销售 120 盒，远高于此前 30 天的日均 4.5 盒",
            ),
            ("sales_spike", "something new", "销量异常"),
        ];
        for (kind, detail, want) in cases {
            assert_eq!(anomaly_detail(kind, detail, &site), want, "{kind}: {detail}");
        }
        for (kind, ..) in ANOMALY_KINDS {
            assert!(is_chinese(&anomaly_detail(kind, "x", &site)), "{kind}");
        }
    }

    #[test]
    fn every_step_and_disposition_has_a_chinese_name() {
        for s in ["commissioning", "shipping", "receiving", "dispensing", "decommissioning", "retail_selling"] {
            assert!(!biz_step(s).is_empty() && is_chinese(&biz_step(s)), "{s}");
        }
        assert_eq!(biz_step("urn:epcglobal:cbv:bizstep:shipping"), "发货");
        assert_eq!(biz_step("https://ns.example.com/step/x"), "其他业务步骤");
        assert_eq!(DISPOSITIONS.len(), 33, "every CBV 2.0 disposition");
        for (d, zh) in DISPOSITIONS {
            assert_eq!(disposition(d), *zh);
        }
        assert_eq!(disposition("in_transit"), "在途");
    }

    #[test]
    fn refusals_name_the_place_and_the_field_in_chinese() {
        let e = |field: &str, rule: &str, message: &str| FieldError::new(field, rule, message);
        let check = |at: At, err: FieldError, want: &str| {
            let got = refusal(at, &err);
            assert_eq!(got, want);
            assert!(is_chinese(&got), "{got}");
        };
        check(
            At::Line(7),
            e("line 7: 操作类型", "one_of:生产赋码,出库", "unknown operation \"搬运\""),
            "第 7 行：操作类型“搬运”不是可用的值，应为其中之一：生产赋码、出库",
        );
        check(
            At::Line(8),
            e("line 8: 操作时间", "datetime", "\"昨天\" is not"),
            "第 8 行：操作时间不是有效的时间，应写作 YYYY-MM-DD HH:MM:SS",
        );
        check(
            At::Event(3),
            e("eventList[2].bizStep", "schema:anyOf", "x"),
            "第 3 个事件：业务步骤不符合 EPCIS 2.0 标准的格式",
        );
        check(
            At::Line(4),
            e("eventList[0].bizLocation", "own_site", "name one"),
            "第 4 行：操作场所不是本企业登记的追溯场所",
        );
        check(
            At::Line(5),
            e("eventList[1].epcList[0]", "epc", "\"123\" is not an EPC URI"),
            "第 5 行：追溯码“123”不是有效的追溯码（药品追溯码应为 20 位数字，或 GS1 码、EPC URI）",
        );
        check(
            At::Event(1),
            e("eventList[0].epcList", "unknown_product", "x"),
            "第 1 个事件：追溯码不属于任何已登记的药品（一品一档）",
        );
        check(
            At::File,
            e("header", "column_required", "the file has no 操作场所 column (操作场所 / 场所)"),
            "文件：缺少“操作场所”列",
        );
        assert_eq!(field_label("eventList[3].ilmd.cbvmda:lotNumber"), Some("批号"));
    }
}

/// The field catalogue of a trace record's history (召回、异常、包装层级码、异常答复): every
/// field in Chinese, how its values read, the record by its name. `data` is the newest version.
/// An entity this module does not know gets an empty catalogue (every field 其他字段, times
/// still in China Standard Time).
pub fn record(entity: &str, data: &serde_json::Value) -> yaolian_core::diff::Catalogue {
    use yaolian_core::diff::{Catalogue, Shown};
    fn anomaly_status(code: &str) -> Option<&'static str> {
        Some(match code {
            "open" => "待处置",
            "closed" => "已关闭",
            _ => return None,
        })
    }
    fn recall_status(code: &str) -> Option<&'static str> {
        Some(match code {
            "open" => "召回中",
            "closed" => "已结束",
            _ => return None,
        })
    }
    fn kind(code: &str) -> Option<&'static str> {
        ANOMALY_KINDS.iter().find(|k| k.0 == code).map(|k| k.1)
    }
    fn level(code: &str) -> Option<&'static str> {
        crate::packs::PackLevel::parse(code).map(crate::packs::PackLevel::label_zh)
    }
    let id = data["id"].as_i64().map(|i| i.to_string()).unwrap_or_default();
    match entity {
        crate::recall::ENTITY => Catalogue::new(&[
            ("id", "召回编号"),
            ("product_id", "药品记录编号"),
            ("batches", "召回批号"),
            ("level", "召回级别"),
            ("reason", "召回原因"),
            ("status", "状态"),
            ("total", "应召回数量"),
            ("holders", "持有场所"),
            ("holders[].site", "场所"),
            ("holders[].initial", "持有数量"),
            ("created_by", "发起人编号"),
            ("created_at", "发起时间"),
            ("closure_percent", "完成比例（%）"),
        ])
        .shown("status", Shown::Code(recall_status))
        .actions(&[("open", "发起召回"), ("close", "结束召回")])
        .named(format!("召回 {id}")),
        crate::anomalies::ENTITY => Catalogue::new(&[
            ("id", "异常编号"),
            ("kind", "异常类型"),
            ("epc", "追溯码"),
            ("event_id", "事件编号"),
            ("site", "场所"),
            ("detail", "异常说明"),
            ("event_time", "事件时间"),
            ("status", "状态"),
            ("note", "处置说明"),
            ("closed_by", "处置人编号"),
            ("closed_at", "关闭时间"),
        ])
        .shown("kind", Shown::Code(kind))
        .shown("event_time", Shown::Time)
        .shown("status", Shown::Code(anomaly_status))
        .actions(&[("close", "处置关闭"), ("withdraw", "自动撤销")])
        .named(format!("追溯异常 {id}")),
        crate::anomalies::ANSWER_ENTITY => Catalogue::new(&[
            ("id", "答复编号"),
            ("anomaly_id", "异常编号"),
            ("org_id", "企业编号"),
            ("user_id", "答复人编号"),
            ("text", "答复内容"),
            ("created_at", "答复时间"),
            ("files", "附件"),
            ("files[].id", "文件编号"),
            ("files[].label", "材料名称"),
            ("files[].name", "文件名"),
            ("files[].size", "文件大小（字节）"),
            ("files[].sm3", "SM3 摘要"),
        ])
        .actions(&[("answer", "企业答复")])
        .named(format!("异常答复 {id}")),
        crate::packs::ENTITY => Catalogue::new(&[
            ("prefix", "码段前缀"),
            ("product_id", "药品记录编号"),
            ("level", "包装层级"),
            ("per_parent", "每上级包装数量"),
        ])
        .shown("level", Shown::Code(level))
        .actions(&[("create", "登记"), ("update", "重新登记")])
        .named(format!("包装层级码 {}", data["prefix"].as_str().unwrap_or_default())),
        _ => Catalogue::default(),
    }
}

#[cfg(test)]
mod record_tests {
    use serde_json::json;

    #[test]
    fn every_field_of_a_trace_record_has_a_label() {
        let cases = [
            (
                crate::recall::ENTITY,
                json!({"id": 1, "product_id": 2, "batches": ["B1"], "level": 1, "reason": "x",
                "status": "open", "total": 3, "holders": [{"site": "x", "initial": 1}], "created_by": 1,
                "created_at": 1, "closure_percent": 50.0}),
            ),
            (
                crate::anomalies::ENTITY,
                json!({"id": 1, "kind": "x", "epc": null, "event_id": 1, "site": null,
                "detail": "x", "event_time": 1, "status": "closed", "note": "x", "closed_by": 1, "closed_at": 1}),
            ),
            (
                crate::anomalies::ANSWER_ENTITY,
                json!({"id": 1, "anomaly_id": 1, "org_id": 1, "user_id": 1, "text": "x",
                "created_at": 1, "files": [{"id": 1, "label": "x", "name": "x", "size": 1, "sm3": "x"}]}),
            ),
            (crate::packs::ENTITY, json!({"prefix": "x", "product_id": 1, "level": "case", "per_parent": 10})),
        ];
        for (entity, data) in cases {
            assert_eq!(super::record(entity, &data).unlabelled(&data), Vec::<String>::new(), "{entity}");
        }
        let pack = json!({"level": "case"});
        assert_eq!(super::record(crate::packs::ENTITY, &pack).value("level", Some(&json!("case"))), "中包装（箱）");
    }
}
