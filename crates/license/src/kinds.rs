//! License types (证照类型) and the fields each carries on its face.
//!
//! The type code in the national catalogue has the form issuing department's USCC + a 3-digit
//! number. The department here is the NMPA (`11100000MB0341032Y`); the numbers are this
//! installation's catalogue entries until the national catalogue's are configured.

use serde::Serialize;
use utoipa::ToSchema;

/// The catalogue prefix: the NMPA's unified social credit code.
pub const NMPA_USCC: &str = "11100000MB0341032Y";

/// One field printed on a license.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct FieldSpec {
    pub key: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub required: bool,
}

const fn f(key: &'static str, zh: &'static str, en: &'static str, required: bool) -> FieldSpec {
    FieldSpec { key, zh, en, required }
}

/// A license type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 药品生产许可证.
    DrugManufacturing,
    /// 药品经营许可证 (批发).
    DrugWholesale,
    /// 药品经营许可证 (零售).
    DrugRetail,
    /// 医疗机构制剂许可证.
    Preparation,
}

pub const ALL: &[Kind] = &[Kind::DrugManufacturing, Kind::DrugWholesale, Kind::DrugRetail, Kind::Preparation];

/// Fields that name a person (法定代表人, 负责人 …): printed on the certificate, but not given to
/// an anonymous verifier who may be guessing identifiers.
pub const PERSONAL_FIELDS: &[&str] =
    &["legal_representative", "principal", "quality_head", "production_head", "qualified_person", "preparation_head"];

const MANUFACTURING: &[FieldSpec] = &[
    f("legal_representative", "法定代表人", "Legal representative", true),
    f("principal", "企业负责人", "Principal", true),
    f("quality_head", "质量负责人", "Quality head", true),
    f("production_head", "生产负责人", "Production head", true),
    f("qualified_person", "质量受权人", "Qualified person", true),
    f("registered_address", "住所（经营场所）", "Registered address", true),
    f("production_scope", "生产地址和生产范围", "Sites and production scope", true),
    f("category_code", "分类码", "Category code", true),
    f("supervising_body", "日常监管机构", "Supervising body", false),
    f("complaint_phone", "监督举报电话", "Complaint hotline", false),
];

const DISTRIBUTION: &[FieldSpec] = &[
    f("legal_representative", "法定代表人", "Legal representative", true),
    f("principal", "主要负责人", "Principal", true),
    f("quality_head", "质量负责人", "Quality head", true),
    f("registered_address", "注册地址", "Registered address", true),
    f("warehouse_address", "仓库地址", "Warehouse address", false),
    f("business_scope", "经营范围", "Business scope", true),
    f("supervising_body", "日常监管机构", "Supervising body", false),
    f("complaint_phone", "监督举报电话", "Complaint hotline", false),
];

const PREPARATION: &[FieldSpec] = &[
    f("legal_representative", "法定代表人", "Legal representative", true),
    f("preparation_head", "制剂室负责人", "Head of the preparation room", true),
    f("quality_head", "质量负责人", "Quality head", true),
    f("registered_address", "注册地址", "Registered address", true),
    f("preparation_address", "配制地址", "Preparation address", true),
    f("preparation_scope", "配制范围", "Preparation scope", true),
];

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::DrugManufacturing => "drug_manufacturing",
            Kind::DrugWholesale => "drug_wholesale",
            Kind::DrugRetail => "drug_retail",
            Kind::Preparation => "preparation",
        }
    }

    pub fn parse(code: &str) -> Option<Kind> {
        ALL.iter().copied().find(|k| k.code() == code)
    }

    /// The license name (证照名称) as printed.
    pub fn license_name(self) -> &'static str {
        match self {
            Kind::DrugManufacturing => "药品生产许可证",
            Kind::DrugWholesale | Kind::DrugRetail => "药品经营许可证",
            Kind::Preparation => "医疗机构制剂许可证",
        }
    }

    /// The name in lists, telling wholesale from retail.
    pub fn label_zh(self) -> &'static str {
        match self {
            Kind::DrugManufacturing => "药品生产许可证",
            Kind::DrugWholesale => "药品经营许可证（批发）",
            Kind::DrugRetail => "药品经营许可证（零售）",
            Kind::Preparation => "医疗机构制剂许可证",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Kind::DrugManufacturing => "Drug manufacturing license",
            Kind::DrugWholesale => "Drug distribution license (wholesale)",
            Kind::DrugRetail => "Drug distribution license (retail)",
            Kind::Preparation => "Medical-institution preparation license",
        }
    }

    /// The type code (证照类型代码) of the national catalogue.
    pub fn type_code(self) -> String {
        let n = match self {
            Kind::DrugManufacturing => "001",
            Kind::DrugWholesale | Kind::DrugRetail => "002",
            Kind::Preparation => "003",
        };
        format!("{NMPA_USCC}{n}")
    }

    /// 经营方式 for distribution licenses.
    pub fn mode_zh(self) -> Option<&'static str> {
        match self {
            Kind::DrugWholesale => Some("批发"),
            Kind::DrugRetail => Some("零售"),
            _ => None,
        }
    }

    /// Letters after the province abbreviation in generated license numbers.
    fn number_letters(self) -> &'static str {
        match self {
            Kind::DrugManufacturing => "",
            Kind::DrugWholesale => "AA",
            Kind::DrugRetail => "CB",
            Kind::Preparation => "Z",
        }
    }

    /// Years a license of this type is valid (five for all four; 药品管理法 Art. 41, 52,
    /// 74 with their implementing rules).
    pub fn validity_years(self) -> i32 {
        5
    }

    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            Kind::DrugManufacturing => MANUFACTURING,
            Kind::DrugWholesale | Kind::DrugRetail => DISTRIBUTION,
            Kind::Preparation => PREPARATION,
        }
    }

    /// A license number (许可证编号) in the usual provincial form: province abbreviation, the
    /// type's letters, the year and a four-digit sequence, e.g. `浙CB20260007`.
    pub fn number(self, region_code: &str, year: i32, seq: u32) -> String {
        format!("{}{}{year}{seq:04}", province_abbreviation(region_code), self.number_letters())
    }
}

/// The one-character abbreviation of a province (省级行政区简称) from the first two digits of an
/// administrative-division code (GB/T 2260) or of the region part of a USCC; `国` for the
/// national level or an unknown code.
pub fn province_abbreviation(region_code: &str) -> &'static str {
    match region_code.get(..2).unwrap_or("") {
        "11" => "京",
        "12" => "津",
        "13" => "冀",
        "14" => "晋",
        "15" => "蒙",
        "21" => "辽",
        "22" => "吉",
        "23" => "黑",
        "31" => "沪",
        "32" => "苏",
        "33" => "浙",
        "34" => "皖",
        "35" => "闽",
        "36" => "赣",
        "37" => "鲁",
        "41" => "豫",
        "42" => "鄂",
        "43" => "湘",
        "44" => "粤",
        "45" => "桂",
        "46" => "琼",
        "50" => "渝",
        "51" => "川",
        "52" => "贵",
        "53" => "云",
        "54" => "藏",
        "61" => "陕",
        "62" => "甘",
        "63" => "青",
        "64" => "宁",
        "65" => "新",
        _ => "国",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_share_the_distribution_type() {
        for k in ALL {
            assert_eq!(Kind::parse(k.code()), Some(*k));
            assert!(k.fields().iter().any(|f| f.required));
        }
        assert_eq!(Kind::DrugWholesale.type_code(), Kind::DrugRetail.type_code());
        assert_ne!(Kind::DrugWholesale.type_code(), Kind::DrugManufacturing.type_code());
        assert_eq!(Kind::parse("no_such"), None);
    }

    #[test]
    fn numbers_carry_the_province() {
        // 330000: 浙江省 (GB/T 2260).
        assert_eq!(Kind::DrugRetail.number("330100", 2026, 7), "浙CB20260007");
        assert_eq!(Kind::DrugManufacturing.number("110000", 2026, 12), "京20260012");
        assert_eq!(province_abbreviation("99"), "国");
    }
}
