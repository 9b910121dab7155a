//! What people read of a license's history (证照的字段目录): every field of a license version
//! in Chinese, how its values read, and the license by its number. Pure, no I/O.

use serde_json::Value;
use yaolian_core::diff::{Catalogue, Shown};

use crate::kinds::{self, Kind};

/// The fields of a license version (`licenses::state_json`: the document and the status).
const FIELDS: &[(&str, &str)] = &[
    ("id", "证照记录编号"),
    ("status", "证照状态"),
    ("status_reason", "状态变更原因"),
    ("document", ""),
    ("document.name", "证照名称"),
    ("document.number", "证照编号"),
    ("document.kind", "证照类型"),
    ("document.type_code", "证照类型代码"),
    ("document.identifier", "证照标识"),
    ("document.version", "证照版本"),
    ("document.holder", "持证主体"),
    ("document.holder_code", "持证主体代码"),
    ("document.holder_code_type", "持证主体代码类型"),
    ("document.issuer", "颁证单位"),
    ("document.issuer_code", "颁证单位代码"),
    ("document.issued_on", "颁证日期"),
    ("document.valid_from", "有效期起始日期"),
    ("document.valid_until", "有效期截止日期"),
    ("document.jurisdiction", "颁证机关所属行政区划"),
    ("document.fields", "照面信息"),
    ("document.fields.*", "其他照面项目"),
    ("document.fields.mode", "经营方式"),
];

/// The license's own actions.
const ACTIONS: &[(&str, &str)] = &[
    ("issue", "颁发"),
    ("change", "变更"),
    ("renew", "延续"),
    ("suspend", "暂停"),
    ("reinstate", "恢复"),
    ("revoke", "吊销"),
];

/// A stored status (证照状态) in Chinese.
pub fn status_zh(code: &str) -> Option<&'static str> {
    Some(match code {
        "valid" => "有效",
        "suspended" => "已暂停",
        "revoked" => "已吊销",
        _ => return None,
    })
}

fn kind_zh(code: &str) -> Option<&'static str> {
    Kind::parse(code).map(Kind::label_zh)
}

/// The catalogue of a license version; `data` is the newest version (it names the license).
pub fn catalogue(data: &Value) -> Catalogue {
    let doc = &data["document"];
    let mut c = Catalogue::new(FIELDS);
    // Every type's fields, then the license's own type's (名称 differ: 企业负责人, 主要负责人).
    let own = doc["kind"].as_str().and_then(Kind::parse);
    for kind in kinds::ALL.iter().chain(own.as_ref()) {
        for f in kind.fields() {
            c = c.field(&format!("document.fields.{}", f.key), f.zh);
        }
    }
    let number = doc["number"].as_str().unwrap_or_default();
    let name = doc["name"].as_str().unwrap_or("证照");
    c.shown("status", Shown::Code(status_zh))
        .shown("document.kind", Shown::Code(kind_zh))
        .actions(ACTIONS)
        .named(if number.is_empty() { String::new() } else { format!("{name} {number}") })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_field_of_a_license_version_has_a_label() {
        let mut fields = serde_json::Map::new();
        for kind in kinds::ALL {
            for f in kind.fields() {
                fields.insert(f.key.into(), json!("x"));
            }
        }
        fields.insert("mode".into(), json!("零售"));
        let data = json!({
            "id": 3, "status": "valid", "status_reason": "",
            "document": {
                "name": "药品经营许可证", "kind": "drug_retail", "type_code": "x", "number": "浙CB20260007",
                "identifier": "x", "version": 1, "holder": "x", "holder_code": "x", "holder_code_type": "x",
                "issuer": "x", "issuer_code": "x", "issued_on": "2026-01-01", "valid_from": "2026-01-01",
                "valid_until": "2031-01-01", "jurisdiction": "330000", "fields": fields,
            },
        });
        let c = catalogue(&data);
        assert_eq!(c.unlabelled(&data), Vec::<String>::new());
        assert_eq!(c.name, "药品经营许可证 浙CB20260007");
        assert_eq!(c.label("document.fields.business_scope"), "照面信息 · 经营范围");
        assert_eq!(c.value("status", Some(&json!("revoked"))), "已吊销");
        assert_eq!(c.value("document.kind", Some(&json!("drug_retail"))), "药品经营许可证（零售）");
        assert_eq!(c.action("renew"), "延续");
    }
}
