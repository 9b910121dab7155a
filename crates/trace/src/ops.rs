//! The operations Chinese companies report by file (CSV or Excel) rather than EPCIS, each row
//! mapped to an EPCIS 2.0 event:
//!
//! | 操作类型 | EPCIS event |
//! |---|---|
//! | 生产赋码 | ObjectEvent ADD, commissioning / active, ilmd lot and expiry |
//! | 包装关联 | AggregationEvent ADD, packing (上级码 the parent) |
//! | 解除关联 / 拆包 | AggregationEvent DELETE, unpacking |
//! | 出库 | ObjectEvent OBSERVE, shipping / in_transit (对方场所 the destination) |
//! | 入库 | ObjectEvent OBSERVE, receiving / in_progress (对方场所 the source) |
//! | 销售 | ObjectEvent OBSERVE, retail_selling / retail_sold |
//! | 调配 / 发药 | ObjectEvent OBSERVE, dispensing / dispensed |
//! | 退货 | ObjectEvent OBSERVE, receiving / returned (a return taken back) |
//! | 退货出库 | ObjectEvent OBSERVE, shipping / returned (goods sent back) |
//! | 销毁 | ObjectEvent OBSERVE, destroying / destroyed |
//!
//! Columns are found by their Chinese or English header: 操作类型 (op), 追溯码 (codes; several
//! separated by `;`, `|` or spaces), 上级码 (parent), 操作时间 (time: `YYYY-MM-DD HH:MM[:SS]` China
//! time, or RFC 3339), 操作场所 (site: SGLN URN, 13-digit GLN or another URI), 对方场所
//! (other_site), 批号 (batch), 有效期 (expiry, `YYYY-MM-DD`).

use serde_json::{json, Value};
use yaolian_core::FieldError;

/// The columns, each with the header names it is found by.
const COLUMNS: &[(&str, &[&str])] = &[
    ("op", &["操作类型", "业务类型", "op", "operation"]),
    ("codes", &["追溯码", "码", "codes", "code"]),
    ("parent", &["上级码", "父码", "包装码", "parent"]),
    ("time", &["操作时间", "时间", "time"]),
    ("site", &["操作场所", "场所", "企业场所", "site"]),
    ("other_site", &["对方场所", "对方单位场所", "other_site"]),
    ("batch", &["批号", "生产批号", "batch"]),
    ("expiry", &["有效期", "有效期至", "expiry"]),
];

/// Operation names and what they map to: (names, event kind, bizStep, disposition).
const OPS: &[(&[&str], &str, &str, &str)] = &[
    (&["生产赋码", "赋码", "commission"], "commission", "commissioning", "active"),
    (&["包装关联", "关联", "pack"], "pack", "packing", "in_progress"),
    (&["解除关联", "拆包", "unpack"], "unpack", "unpacking", "in_progress"),
    (&["出库", "发货", "ship"], "object", "shipping", "in_transit"),
    (&["入库", "收货", "receive"], "object", "receiving", "in_progress"),
    (&["销售", "零售", "sell"], "object", "retail_selling", "retail_sold"),
    (&["调配", "发药", "dispense"], "object", "dispensing", "dispensed"),
    (&["退货", "退货入库", "return"], "object", "receiving", "returned"),
    (&["退货出库", "return_ship"], "object", "shipping", "returned"),
    (&["销毁", "destroy"], "object", "destroying", "destroyed"),
];

/// The template sheet (追溯数据上报模板): the headings [`Layout::of`] expects, in the order of
/// its columns, and one example row (a commissioning at a GLN).
pub fn template() -> (Vec<&'static str>, Vec<Vec<String>>) {
    let header = COLUMNS.iter().map(|(_, names)| names[0]).collect();
    let example = [
        "生产赋码",
        "81000011234567890123;81000011234567890124",
        "",
        "2026-11-28 10:00:00",
        "6901234000016",
        "",
        "B2026001",
        "2028-11-30",
    ];
    (header, vec![example.iter().map(|c| (*c).to_string()).collect()])
}

/// Where each column is in a header row.
#[derive(Debug, Clone)]
pub struct Layout {
    at: Vec<Option<usize>>,
}

impl Layout {
    /// Finds the columns in `header`; 操作类型, 追溯码, 操作时间 and 操作场所 are required.
    pub fn of(header: &[String]) -> Result<Layout, FieldError> {
        let at: Vec<Option<usize>> = COLUMNS
            .iter()
            .map(|(_, names)| header.iter().position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n))))
            .collect();
        for (i, (name, names)) in COLUMNS.iter().enumerate().take(5) {
            if at[i].is_none() && *name != "parent" {
                return Err(FieldError::new(
                    "header",
                    "column_required",
                    format!("the file has no {} column ({})", names[0], names.join(" / ")),
                ));
            }
        }
        Ok(Layout { at })
    }

    fn get<'a>(&self, row: &'a [String], column: &str) -> &'a str {
        COLUMNS
            .iter()
            .position(|(c, _)| *c == column)
            .and_then(|i| self.at[i])
            .and_then(|j| row.get(j))
            .map_or("", |s| s.trim())
    }
}

/// A location as EPCIS wants it: a 13-digit GLN becomes its Digital Link URI.
fn location(s: &str) -> String {
    if s.len() == 13 && s.bytes().all(|b| b.is_ascii_digit()) {
        format!("https://id.gs1.org/414/{s}")
    } else {
        s.to_string()
    }
}

/// A code as an EPC: 20 digits are a 药品追溯码; the rest as written.
fn code_uri(s: &str) -> String {
    if s.len() == 20 && s.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}{s}", crate::codes::epc::NMPA_URN)
    } else {
        s.to_string()
    }
}

/// `YYYY-MM-DD HH:MM[:SS]` in China time, or RFC 3339.
fn event_time(s: &str) -> Option<String> {
    if chrono::DateTime::parse_from_rfc3339(s).is_ok() {
        return Some(s.to_string());
    }
    let t = s.replace('/', "-");
    let parsed = chrono::NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M"))
        .ok()?;
    Some(format!("{}+08:00", parsed.format("%Y-%m-%dT%H:%M:%S")))
}

/// The event of one row (`line` is its 1-based line in the file, for errors).
pub fn to_event(layout: &Layout, row: &[String], line: usize) -> Result<Value, FieldError> {
    let field = |name: &str| format!("line {line}: {name}");
    let op = layout.get(row, "op");
    let Some((_, kind, step, disposition)) = OPS.iter().find(|(names, ..)| names.contains(&op)) else {
        let known: Vec<&str> = OPS.iter().map(|(n, ..)| n[0]).collect();
        return Err(FieldError::new(
            field("操作类型"),
            format!("one_of:{}", known.join(",")),
            format!("unknown operation {op:?}"),
        ));
    };
    let codes: Vec<String> =
        layout.get(row, "codes").split([';', '|', ' ', '，', ',']).filter(|c| !c.is_empty()).map(code_uri).collect();
    if codes.is_empty() {
        return Err(FieldError::new(field("追溯码"), "required", "no code in this row"));
    }
    let raw_time = layout.get(row, "time");
    let Some(time) = event_time(raw_time) else {
        return Err(FieldError::new(field("操作时间"), "datetime", format!("{raw_time:?} is not YYYY-MM-DD HH:MM:SS")));
    };
    let site = location(layout.get(row, "site"));
    if site.is_empty() {
        return Err(FieldError::new(field("操作场所"), "required", "say where the operation happened"));
    }
    let mut e = json!({
        "eventTime": time, "eventTimeZoneOffset": "+08:00",
        "bizStep": step, "disposition": disposition,
        "readPoint": {"id": site}, "bizLocation": {"id": site}
    });
    match *kind {
        "pack" | "unpack" => {
            let parent = layout.get(row, "parent");
            if parent.is_empty() {
                return Err(FieldError::new(field("上级码"), "required", "packing names the parent (case) code"));
            }
            e["type"] = json!("AggregationEvent");
            e["action"] = json!(if *kind == "pack" { "ADD" } else { "DELETE" });
            e["parentID"] = json!(code_uri(parent));
            e["childEPCs"] = json!(codes);
        }
        _ => {
            e["type"] = json!("ObjectEvent");
            e["action"] = json!(if *kind == "commission" { "ADD" } else { "OBSERVE" });
            e["epcList"] = json!(codes);
        }
    }
    if *kind == "commission" {
        let mut ilmd = serde_json::Map::new();
        let batch = layout.get(row, "batch");
        if !batch.is_empty() {
            ilmd.insert("cbvmda:lotNumber".into(), json!(batch));
        }
        let expiry = layout.get(row, "expiry").replace('/', "-");
        if !expiry.is_empty() {
            ilmd.insert("cbvmda:itemExpirationDate".into(), json!(expiry));
        }
        e["ilmd"] = Value::Object(ilmd);
    }
    let other = location(layout.get(row, "other_site"));
    if !other.is_empty() {
        match *step {
            "shipping" => e["destinationList"] = json!([{"type": "location", "destination": other}]),
            "receiving" => e["sourceList"] = json!([{"type": "location", "source": other}]),
            _ => {}
        }
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| (*c).to_string()).collect()
    }

    #[test]
    fn every_operation_maps_to_a_valid_epcis_event() {
        let header = row(&["操作类型", "追溯码", "上级码", "操作时间", "操作场所", "对方场所", "批号", "有效期"]);
        let layout = Layout::of(&header).unwrap_or_else(|e| panic!("{e}"));
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap_or_default();
        let cases = [
            ("生产赋码", "ObjectEvent", "commissioning"),
            ("包装关联", "AggregationEvent", "packing"),
            ("出库", "ObjectEvent", "shipping"),
            ("入库", "ObjectEvent", "receiving"),
            ("销售", "ObjectEvent", "retail_selling"),
            ("退货", "ObjectEvent", "receiving"),
            ("销毁", "ObjectEvent", "destroying"),
        ];
        for (i, (op, ty, step)) in cases.iter().enumerate() {
            let r = row(&[
                op,
                "81000011234567890123;81000011234567890124",
                "81000021234567890000",
                "2026-11-28 10:00:00",
                "6901234000016",
                "urn:epc:id:sgln:6901234.00010.0",
                "B2026001",
                "2028-11-30",
            ]);
            let e = to_event(&layout, &r, i + 2).unwrap_or_else(|e| panic!("{op}: {e}"));
            assert_eq!((e["type"].as_str(), e["bizStep"].as_str()), (Some(*ty), Some(*step)), "{op}");
            let checked = crate::epcis::check(&e, i, today).unwrap_or_else(|errs| panic!("{op}: {errs:?}"));
            assert_eq!(checked.site(), Some("/414/6901234000016"));
            if *op == "生产赋码" {
                assert_eq!(checked.batch.as_deref(), Some("B2026001"));
            }
            if *op == "退货" {
                assert_eq!(checked.disposition.as_deref(), Some("returned"));
            }
        }
    }

    #[test]
    fn the_template_reads_back_as_one_valid_event() {
        let (header, rows) = template();
        let header: Vec<String> = header.iter().map(|h| (*h).to_string()).collect();
        let layout = Layout::of(&header).unwrap_or_else(|e| panic!("{e}"));
        let e = to_event(&layout, &rows[0], 2).unwrap_or_else(|e| panic!("{e}"));
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap_or_default();
        assert!(crate::epcis::check(&e, 0, today).is_ok());
    }

    #[test]
    fn bad_rows_name_the_line_and_column() {
        let header = row(&["操作类型", "追溯码", "操作时间", "操作场所"]);
        let layout = Layout::of(&header).unwrap_or_else(|e| panic!("{e}"));
        let e = to_event(&layout, &row(&["搬运", "81000011234567890123", "2026-11-28 10:00", "x:1"]), 7).err();
        assert_eq!(e.map(|e| (e.field, e.rule.starts_with("one_of"))), Some(("line 7: 操作类型".into(), true)));
        let e = to_event(&layout, &row(&["销售", "81000011234567890123", "昨天", "x:1"]), 8).err();
        assert_eq!(e.map(|e| e.field), Some("line 8: 操作时间".into()));
        assert!(Layout::of(&row(&["追溯码"])).is_err());
    }
}
