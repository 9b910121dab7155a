//! What people read of the history of instruments and their uses (仪器设备的字段目录). Pure.

use serde_json::Value;
use yaolian_core::diff::{Catalogue, Shown};

const INSTRUMENT: &[(&str, &str)] = &[
    ("id", "仪器记录编号"),
    ("org_id", "机构编号"),
    ("code", "仪器编号"),
    ("name", "仪器名称"),
    ("model", "型号"),
    ("serial_no", "出厂编号"),
    ("location", "存放地点"),
    ("calibration_interval_days", "校准周期（天）"),
    ("calibrated_on", "校准日期"),
    ("calibration_due_on", "校准有效期至"),
    ("certificate", "校准证书编号"),
    ("status", "状态"),
];

const USE: &[(&str, &str)] = &[
    ("id", "使用记录编号"),
    ("instrument_id", "仪器记录编号"),
    ("org_id", "机构编号"),
    ("user_name", "使用人"),
    ("purpose", "用途"),
    ("record_ref", "相关记录"),
    ("at", "使用时间"),
];

fn status(code: &str) -> Option<&'static str> {
    Some(match code {
        "active" => "在用",
        "out_of_service" => "停用",
        _ => return None,
    })
}

fn text<'a>(data: &'a Value, key: &str) -> &'a str {
    data[key].as_str().unwrap_or_default()
}

/// The catalogue of an instrument; `data` is its newest version.
pub fn instrument(data: &Value) -> Catalogue {
    Catalogue::new(INSTRUMENT)
        .shown("status", Shown::Code(status))
        .actions(&[("register", "登记"), ("calibrate", "校准")])
        .named(format!("{} {}", text(data, "code"), text(data, "name")).trim().to_string())
}

/// The catalogue of an instrument's use.
pub fn instrument_use(data: &Value) -> Catalogue {
    Catalogue::new(USE)
        .shown("at", Shown::Time)
        .actions(&[("use", "使用")])
        .named(format!("使用记录 {}", text(data, "purpose")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_field_has_a_label() {
        let i = json!({"id": 1, "org_id": 1, "code": "HPLC-01", "name": "n", "model": "", "serial_no": "",
            "location": "", "calibration_interval_days": 365, "calibrated_on": "2026-12-01",
            "calibration_due_on": "2027-12-01", "certificate": "JZ", "status": "active"});
        let u = json!({"id": 1, "instrument_id": 1, "org_id": 1, "user_name": "a", "purpose": "p",
            "record_ref": "", "at": 1});
        assert!(instrument(&i).unlabelled(&i).is_empty());
        assert!(instrument_use(&u).unlabelled(&u).is_empty());
        assert_eq!(instrument(&i).value("status", Some(&json!("out_of_service"))), "停用");
    }
}
