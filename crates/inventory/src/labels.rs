//! What people read of the history of items, lots and movements (物料、批次、库存变动的字段目录):
//! every field in Chinese, how its values read, and the record by its business identity.
//! Pure, no I/O.

use serde_json::Value;
use yaolian_core::diff::{Catalogue, Shown};

use crate::items::{CATEGORIES, CONTROLS};
use crate::stock::{KINDS, STATUSES};

const ITEM: &[(&str, &str)] = &[
    ("id", "物料记录编号"),
    ("org_id", "库房机构编号"),
    ("code", "物料编码"),
    ("name_zh", "中文名称"),
    ("name_en", "英文名称"),
    ("synonyms", "别名"),
    ("cas", "CAS 号"),
    ("formula", "分子式"),
    ("category", "类别"),
    ("unit", "计量单位"),
    ("control", "管制类别"),
    ("ghs", "危险象形图"),
    ("hazards", "危险说明与防范说明代码"),
    ("storage", "储存条件"),
    ("requisition_limit", "单次领用限量（千分之一单位）"),
    ("status", "状态"),
];

const LOT: &[(&str, &str)] = &[
    ("id", "批次记录编号"),
    ("item_id", "物料记录编号"),
    ("org_id", "库房机构编号"),
    ("lot_no", "批号"),
    ("supplier", "供应商"),
    ("received_at", "入库时间"),
    ("expires_on", "有效期至"),
    ("retest_on", "复验期"),
    ("opened_on", "开启日期"),
    ("room", "房间"),
    ("cabinet", "柜"),
    ("shelf", "层位"),
    ("container", "包装规格"),
    ("received_qty", "入库数量（千分之一单位）"),
    ("on_hand", "结存（千分之一单位）"),
    ("status", "状态"),
];

const MOVEMENT: &[(&str, &str)] = &[
    ("id", "变动记录编号"),
    ("lot_id", "批次记录编号"),
    ("item_id", "物料记录编号"),
    ("org_id", "库房机构编号"),
    ("kind", "变动类型"),
    ("qty", "数量（千分之一单位，正为入、负为出）"),
    ("status", "状态"),
    ("actor", "经办人"),
    ("witness", "复核人"),
    ("purpose", "用途或原因"),
    ("fefo_reason", "不按近效期先出的原因"),
    ("at", "时间"),
    ("decided_by", "审批人"),
    ("decided_at", "审批时间"),
    ("decision_note", "审批意见"),
];

fn find(table: &[(&str, &'static str)], code: &str) -> Option<&'static str> {
    table.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

fn category(code: &str) -> Option<&'static str> {
    find(CATEGORIES, code)
}

fn control(code: &str) -> Option<&'static str> {
    find(CONTROLS, code)
}

fn kind(code: &str) -> Option<&'static str> {
    find(KINDS, code)
}

fn movement_status(code: &str) -> Option<&'static str> {
    find(STATUSES, code)
}

fn record_status(code: &str) -> Option<&'static str> {
    Some(match code {
        "active" => "在用",
        "disposed" => "已报废",
        _ => return None,
    })
}

fn text<'a>(data: &'a Value, key: &str) -> &'a str {
    data[key].as_str().unwrap_or_default()
}

/// The catalogue of an item; `data` is its newest version.
pub fn item(data: &Value) -> Catalogue {
    Catalogue::new(ITEM)
        .shown("category", Shown::Code(category))
        .shown("control", Shown::Code(control))
        .shown("status", Shown::Code(record_status))
        .actions(&[("create", "登记"), ("update", "变更")])
        .named(format!("{} {}", text(data, "name_zh"), text(data, "code")).trim().to_string())
}

/// The catalogue of a lot; `data` is its newest version.
pub fn lot(data: &Value) -> Catalogue {
    Catalogue::new(LOT)
        .shown("status", Shown::Code(record_status))
        .actions(KINDS)
        .named(format!("批号 {}", text(data, "lot_no")))
}

/// The catalogue of a movement; `data` is its newest version.
pub fn movement(data: &Value) -> Catalogue {
    let what = kind(text(data, "kind")).unwrap_or("库存变动");
    Catalogue::new(MOVEMENT)
        .shown("kind", Shown::Code(kind))
        .shown("status", Shown::Code(movement_status))
        .shown("decided_at", Shown::Time)
        .actions(KINDS)
        .actions(&[("approve", "批准调整"), ("reject", "驳回调整")])
        .named(what.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_field_of_an_inventory_record_has_a_label() {
        let item_v = json!({"id": 1, "org_id": 1, "code": "R-1", "name_zh": "乙腈", "name_en": "Acetonitrile",
            "synonyms": ["MeCN"], "cas": "75-05-8", "formula": "C2H3N", "category": "reagent", "unit": "mL",
            "control": "", "ghs": ["GHS02"], "hazards": ["H225"], "storage": "", "requisition_limit": null,
            "status": "active"});
        let lot_v = json!({"id": 1, "item_id": 1, "org_id": 1, "lot_no": "L1", "supplier": "", "received_at": 1,
            "expires_on": "2030-01-01", "retest_on": null, "opened_on": null, "room": "", "cabinet": "", "shelf": "", "container": "",
            "received_qty": 1000, "on_hand": 1000, "status": "active"});
        let move_v = json!({"id": 1, "lot_id": 1, "item_id": 1, "org_id": 1, "kind": "adjust", "qty": -5,
            "status": "pending", "actor": "keeper", "witness": null, "purpose": "盘点", "fefo_reason": "", "at": 1,
            "decided_by": null, "decided_at": null, "decision_note": ""});
        assert!(item(&item_v).unlabelled(&item_v).is_empty());
        assert!(lot(&lot_v).unlabelled(&lot_v).is_empty());
        assert!(movement(&move_v).unlabelled(&move_v).is_empty());
        assert_eq!(item(&item_v).name, "乙腈 R-1");
        assert_eq!(movement(&move_v).value("kind", Some(&json!("adjust"))), "盘点调整");
        assert_eq!(movement(&move_v).value("status", Some(&json!("pending"))), "待审批");
    }
}
