//! What people read of the history of companies, products and persons (一企一档、一品一档、人员
//! 的字段目录): every field in Chinese, how its values read, and the record by its business
//! identity (the company's name, the product's 批准文号 and name, the person's name). Pure, no
//! I/O.

use serde_json::Value;
use yaolian_core::diff::{Catalogue, Shown};

use crate::persons::QUALIFICATIONS;

/// A company profile version (`companies::update_profile`).
const COMPANY: &[(&str, &str)] = &[
    ("name", "企业名称"),
    ("code", "统一社会信用代码"),
    ("org_id", "企业编号"),
    ("legal_rep", "法定代表人"),
    ("address", "住所"),
    ("business_scope", "经营范围"),
    ("contact_phone", "联系电话"),
];

/// A product version (`products::data_of`).
const PRODUCT: &[(&str, &str)] = &[
    ("approval_number", "批准文号"),
    ("generic_name", "通用名称"),
    ("trade_name", "商品名称"),
    ("dosage_form", "剂型"),
    ("strength", "规格"),
    ("pack", "包装规格"),
    ("mah_org_id", "上市许可持有人编号"),
    ("manufacturer_org_id", "生产企业编号"),
    ("drug_code", "药品本位码"),
    ("gtins", "商品条码（GTIN）"),
    ("status", "状态"),
    ("id", "药品记录编号"),
];

/// A person version (`persons::register`).
const PERSON: &[(&str, &str)] = &[
    ("name", "姓名"),
    ("qualification", "资格类别"),
    ("cert_number", "注册证编号"),
    ("employer_org_id", "执业单位编号"),
    ("valid_from", "有效期起始日期"),
    ("valid_until", "有效期截止日期"),
    ("status", "状态"),
    ("id", "人员记录编号"),
];

fn product_status(code: &str) -> Option<&'static str> {
    Some(match code {
        "active" => "在册",
        "cancelled" => "已注销",
        _ => return None,
    })
}

fn person_status(code: &str) -> Option<&'static str> {
    Some(match code {
        "active" => "有效",
        "revoked" => "已撤销",
        _ => return None,
    })
}

fn qualification(code: &str) -> Option<&'static str> {
    QUALIFICATIONS.iter().find(|q| q.0 == code).map(|q| q.1)
}

fn text<'a>(data: &'a Value, key: &str) -> &'a str {
    data[key].as_str().unwrap_or_default()
}

/// The catalogue of a company; `data` is its newest version.
pub fn company(data: &Value) -> Catalogue {
    Catalogue::new(COMPANY).actions(&[("create", "建档"), ("update", "变更档案")]).named(text(data, "name"))
}

/// The catalogue of a product; `data` is its newest version.
pub fn product(data: &Value) -> Catalogue {
    let name = [text(data, "generic_name"), text(data, "approval_number")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Catalogue::new(PRODUCT)
        .shown("status", Shown::Code(product_status))
        .actions(&[("create", "登记"), ("update", "变更"), ("cancel", "注销")])
        .named(name)
}

/// The catalogue of a person; `data` is their newest version.
pub fn person(data: &Value) -> Catalogue {
    let zh = qualification(text(data, "qualification")).unwrap_or_default();
    Catalogue::new(PERSON)
        .shown("qualification", Shown::Code(qualification))
        .shown("status", Shown::Code(person_status))
        .actions(&[("create", "登记"), ("update", "变更"), ("revoke", "撤销")])
        .named(format!("{zh} {}", text(data, "name")).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_field_of_a_registry_record_has_a_label() {
        let company_v = json!({"org_id": 1, "name": "康辰药业", "code": "x", "legal_rep": "x", "address": "x",
            "business_scope": "x", "contact_phone": "x"});
        let product_v = json!({"id": 1, "approval_number": "国药准字H20260001", "generic_name": "阿莫西林胶囊",
            "trade_name": "x", "dosage_form": "x", "strength": "x", "pack": "x", "mah_org_id": 1,
            "manufacturer_org_id": 1, "drug_code": null, "gtins": ["x"], "status": "active"});
        let person_v = json!({"id": 1, "name": "周明", "qualification": "licensed_pharmacist", "cert_number": "x",
            "employer_org_id": 1, "valid_from": "x", "valid_until": "x", "status": "active"});
        assert!(company(&company_v).unlabelled(&company_v).is_empty());
        assert!(product(&product_v).unlabelled(&product_v).is_empty());
        assert!(person(&person_v).unlabelled(&person_v).is_empty());
        assert_eq!(company(&company_v).name, "康辰药业");
        assert_eq!(product(&product_v).name, "阿莫西林胶囊 国药准字H20260001");
        assert_eq!(person(&person_v).name, "执业药师 周明");
        assert_eq!(person(&person_v).value("qualification", Some(&json!("licensed_pharmacist"))), "执业药师");
        assert_eq!(product(&product_v).value("status", Some(&json!("cancelled"))), "已注销");
    }
}
