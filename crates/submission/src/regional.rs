//! China's regional Module 1 (区域模块一): the file `m1/cn/cn-regional.xml` under CDE's schema
//! `cn-regional-1-0.xsd` (eCTD 技术规范 V1.1 附件 1-1, version 1.0 of 2021-09-01): root `cn_ectd`
//! in namespace `cn_ectd`, the envelope (`cn-envelope`, ten elements in a fixed order) and the
//! Module 1 sections `cn-1-0` … `cn-1-12` holding leaves. The coded envelope values come from
//! CDE's controlled vocabularies (附件 1-2: `cv-application-type.xml` v1.1 of 2026-03-01,
//! `cv-product-type.xml`, `cv-sequence-type.xml`; the regulatory activity types from the regional
//! stylesheet `cn-regional-1-1.xsl`). Pure.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use yaolian_core::xml::{escape, Element};

/// Where the regional file sits in a sequence.
pub const PATH: &str = "m1/cn/cn-regional.xml";
/// Where the builder puts CDE's schema.
pub const XSD_PATH: &str = "util/dtd/cn-regional-1-0.xsd";
/// The regional namespace (a bare string in CDE's schema).
pub const NAMESPACE: &str = "cn_ectd";

/// 申请类型 (cv-application-type.xml v1.1).
pub const APPLICATION_TYPES: &[(&str, &str)] =
    &[("cnapt1", "临床试验申请"), ("cnapt2", "新药申请"), ("cnapt3", "仿制药申请"), ("cnapt4", "原料药申请")];
/// 产品类型 (cv-product-type.xml v1.0).
pub const PRODUCT_TYPES: &[(&str, &str)] = &[("cnprt1", "化学药品"), ("cnprt2", "生物制品")];
/// 序列类型 (cv-sequence-type.xml v1.0).
pub const SEQUENCE_TYPES: &[(&str, &str)] =
    &[("cnsqt1", "首次提交"), ("cnsqt2", "回复"), ("cnsqt3", "撤回"), ("cnsqt4", "格式转换")];
/// 注册行为类型 (cn-regional-1-1.xsl).
pub const ACTIVITY_TYPES: &[(&str, &str)] = &[
    ("cnrat1", "首次申请"),
    ("cnrat2", "补充申请"),
    ("cnrat3", "备案"),
    ("cnrat4", "报告"),
    ("cnrat5", "新适应症和联合用药"),
    ("cnrat6", "新适应症"),
    ("cnrat7", "研发期间安全性报告"),
    ("cnrat8", "再注册"),
    ("cnrat9", "基线"),
];

/// The label of a code in one of the lists above.
pub fn label(list: &[(&str, &'static str)], code: &str) -> Option<&'static str> {
    list.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

/// The envelope (信封) of a sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Envelope {
    /// 申请编号: a lowercase letter, the year and a five-digit serial (x202612345).
    pub application_id: String,
    pub application_type: String,
    pub product_type: String,
    /// 原始编号: the year and a six-digit serial (2026000123).
    pub product_number: String,
    pub related_sequence: String,
    pub regulatory_activity: String,
    pub sequence_number: String,
    pub sequence_type: String,
    pub description: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
}

/// Whether `s` is a 申请编号: one lowercase letter, a year from 2000 and five digits.
pub fn is_application_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10 && b[0].is_ascii_lowercase() && b[1..].iter().all(u8::is_ascii_digit) && &s[1..3] == "20"
}

fn is_sequence(s: &str) -> bool {
    s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_phone(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    (7..=20).contains(&digits) && s.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | ' ' | '(' | ')'))
}

fn is_email(s: &str) -> bool {
    let Some((user, host)) = s.split_once('@') else { return false };
    !user.is_empty()
        && host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && !s.contains(char::is_whitespace)
}

/// The envelope's faults as (field, problem), in the envelope's order; empty when it is right.
pub fn faults(e: &Envelope) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if !is_application_id(&e.application_id) {
        out.push(("application-id", format!("“{}”不是 1 个小写字母加年份和 5 位流水号", e.application_id)));
    }
    for (field, list, code) in [
        ("application-type", APPLICATION_TYPES, &e.application_type),
        ("product-type", PRODUCT_TYPES, &e.product_type),
        ("regulatory-activity-type", ACTIVITY_TYPES, &e.regulatory_activity),
        ("sequence-type", SEQUENCE_TYPES, &e.sequence_type),
    ] {
        if label(list, code).is_none() {
            out.push((field, format!("“{code}”不在受控词汇中")));
        }
    }
    let pn = e.product_number.as_bytes();
    if !(pn.len() == 10 && pn.iter().all(u8::is_ascii_digit) && e.product_number.starts_with("20")) {
        out.push(("product-number", format!("“{}”不是年份加 6 位流水号", e.product_number)));
    }
    for (field, v) in [("sequence-number", &e.sequence_number), ("related-sequence", &e.related_sequence)] {
        if !is_sequence(v) {
            out.push((field, format!("“{v}”不是 4 位数字")));
        }
    }
    // The related sequence is the sequence itself for an original or reformat, else an earlier one.
    if is_sequence(&e.sequence_number) && is_sequence(&e.related_sequence) {
        let own = matches!(e.sequence_type.as_str(), "cnsqt1" | "cnsqt4");
        if own && e.related_sequence != e.sequence_number {
            out.push(("related-sequence", "首次提交或格式转换的相关序列应为本序列".into()));
        }
        if !own && e.related_sequence >= e.sequence_number {
            out.push(("related-sequence", "回复或撤回的相关序列应为之前的序列".into()));
        }
    }
    let n = e.description.trim().chars().count();
    if n == 0 || n > 120 {
        out.push(("sequence-description", format!("应为 1 至 120 个字符，现为 {n} 个")));
    }
    if e.contact_name.trim().is_empty() || e.contact_name.chars().count() > 50 {
        out.push(("sequence-contact/name", "应为 1 至 50 个字符".into()));
    }
    if !is_phone(&e.contact_phone) {
        out.push(("sequence-contact/phone", format!("“{}”不是电话号码", e.contact_phone)));
    }
    if !is_email(&e.contact_email) {
        out.push(("sequence-contact/email", format!("“{}”不是电子邮箱", e.contact_email)));
    }
    out
}

/// The envelope read from a regional file's root (missing elements read as empty).
pub fn read_envelope(root: &Element) -> Option<Envelope> {
    let env = root.child("cn-envelope")?;
    let text = |name: &str| env.child(name).map(|e| e.text.trim().to_string()).unwrap_or_default();
    let code = |name: &str| env.child(name).and_then(|e| e.attr("code")).unwrap_or("").to_string();
    let contact = env.child("sequence-contact");
    let c = |name: &str| contact.and_then(|e| e.child(name)).map(|e| e.text.trim().to_string()).unwrap_or_default();
    Some(Envelope {
        application_id: text("application-id"),
        application_type: code("application-type"),
        product_type: code("product-type"),
        product_number: text("product-number"),
        related_sequence: text("related-sequence"),
        regulatory_activity: code("regulatory-activity-type"),
        sequence_number: text("sequence-number"),
        sequence_type: code("sequence-type"),
        description: text("sequence-description"),
        contact_name: c("name"),
        contact_phone: c("phone"),
        contact_email: c("email"),
    })
}

/// The faults of the envelope in a regional file (the schema's structure is checked apart).
pub fn envelope_faults(root: &Element) -> Vec<(&'static str, String)> {
    match read_envelope(root) {
        None => vec![("cn-envelope", "缺失".into())],
        Some(e) => faults(&e),
    }
}

/// The sequence number the envelope gives.
pub fn sequence_number(root: &Element) -> Option<String> {
    read_envelope(root).map(|e| e.sequence_number).filter(|s| !s.is_empty())
}

/// The regional file's text: the envelope, then `content` (the `cn-1-*` sections with their
/// leaves, written by the builder in the schema's order).
pub fn write(e: &Envelope, content: &str) -> String {
    let t = |s: &str| escape(s);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<cn_ectd xmlns=\"cn_ectd\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" xsi:schemaLocation=\"cn_ectd ../../util/dtd/cn-regional-1-0.xsd\" schema-version=\"1.0\">\n\
  <cn-envelope>\n\
    <application-id>{}</application-id>\n\
    <application-type code=\"{}\" version=\"1.1\"/>\n\
    <product-type code=\"{}\" version=\"1.0\"/>\n\
    <product-number>{}</product-number>\n\
    <related-sequence>{}</related-sequence>\n\
    <regulatory-activity-type code=\"{}\"/>\n\
    <sequence-number>{}</sequence-number>\n\
    <sequence-type code=\"{}\" version=\"1.0\"/>\n\
    <sequence-description>{}</sequence-description>\n\
    <sequence-contact>\n\
      <name>{}</name>\n\
      <phone>{}</phone>\n\
      <email>{}</email>\n\
    </sequence-contact>\n\
  </cn-envelope>\n\
  <cn-content>\n{content}  </cn-content>\n\
</cn_ectd>\n",
        t(&e.application_id),
        t(&e.application_type),
        t(&e.product_type),
        t(&e.product_number),
        t(&e.related_sequence),
        t(&e.regulatory_activity),
        t(&e.sequence_number),
        t(&e.sequence_type),
        t(&e.description),
        t(&e.contact_name),
        t(&e.contact_phone),
        t(&e.contact_email),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn sample() -> Envelope {
        Envelope {
            application_id: "x202612345".into(),
            application_type: "cnapt2".into(),
            product_type: "cnprt1".into(),
            product_number: "2026000123".into(),
            related_sequence: "0000".into(),
            regulatory_activity: "cnrat1".into(),
            sequence_number: "0000".into(),
            sequence_type: "cnsqt1".into(),
            description: "首次申报".into(),
            contact_name: "王明".into(),
            contact_phone: "0571-88886666".into(),
            contact_email: "wang@example.com".into(),
        }
    }

    #[test]
    fn the_envelope_is_checked_field_by_field() {
        assert!(faults(&sample()).is_empty());
        let bad = Envelope {
            application_id: "X2026123".into(),
            sequence_type: "cnsqt2".into(),
            contact_email: "nobody".into(),
            ..sample()
        };
        let fields: Vec<&str> = faults(&bad).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["application-id", "related-sequence", "sequence-contact/email"]);
        let written = write(&sample(), "    <cn-1-0/>\n");
        let doc = yaolian_core::xml::parse(&written).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read_envelope(&doc.root), Some(sample()));
    }
}
