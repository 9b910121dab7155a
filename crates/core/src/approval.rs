//! 药品批准文号 (drug approval number), e.g. `国药准字H20230001`.
//!
//! Form per 《药品注册管理办法》(2020) Art. 123: `国药准字` + category letter + for drugs made in
//! Hong Kong, Macao or Taiwan `C`, for drugs made abroad `J` + four-digit year + four-digit
//! serial. Numbers issued before 2020 keep their form: category letter and eight digits, where
//! the digits of renumbered older approvals begin with a province code rather than a year, so
//! only the form is checked, not the year. Categories: H chemical drugs (化学药品), Z traditional
//! Chinese medicine (中药), S biological products (生物制品), and on older numbers J imported
//! drugs packaged in China (进口分包装), B health drugs (保健药品), T in-vitro diagnostic reagents
//! (体外诊断试剂), F pharmaceutical excipients (药用辅料). Full-width letters and digits, as
//! pasted from some documents, are read as their ASCII forms.

use crate::error::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

pub const PREFIX: &str = "国药准字";

/// Where the drug is made, from the letter after the category (2020 form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Domestic,
    /// C: Hong Kong, Macao, Taiwan (港澳台).
    HongKongMacaoTaiwan,
    /// J: made abroad (境外生产).
    Abroad,
}

/// A 批准文号 whose form has been verified.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ApprovalNumber(String);

impl ApprovalNumber {
    /// Parses and validates; `field` names the input in the error.
    pub fn parse(field: &str, input: &str) -> Result<ApprovalNumber, FieldError> {
        let text: String = input.trim().chars().filter(|c| !c.is_whitespace()).map(half_width).collect();
        let Some(rest) = text.strip_prefix(PREFIX) else {
            return Err(FieldError::new(field, "approval_prefix", format!("批准文号 starts with {PREFIX}")));
        };
        let rest = rest.to_ascii_uppercase();
        let mut chars = rest.chars();
        let category = chars.next().unwrap_or(' ');
        if !"HZSJBTF".contains(category) {
            return Err(FieldError::new(
                field,
                "approval_category",
                format!("category letter after {PREFIX} must be H, Z, S, J, B, T or F, found {category:?}"),
            ));
        }
        let tail: String = chars.collect();
        let digits = match tail.chars().next() {
            Some('C' | 'J') if "HZS".contains(category) => &tail[1..],
            _ => tail.as_str(),
        };
        if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            let position = digits.bytes().position(|b| !b.is_ascii_digit());
            let detail = match position {
                Some(p) => format!("character {} of the number is not a digit", p + 1),
                None => format!("found {} digits", digits.len()),
            };
            return Err(FieldError::new(
                field,
                "approval_digits",
                format!("批准文号 ends with 8 digits (year and serial): {detail}"),
            ));
        }
        Ok(ApprovalNumber(format!("{PREFIX}{rest}")))
    }

    /// H, Z, S, J, B, T or F.
    pub fn category(&self) -> char {
        self.0[PREFIX.len()..].chars().next().unwrap_or('H')
    }

    pub fn origin(&self) -> Origin {
        match self.0[PREFIX.len()..].chars().nth(1) {
            Some('C') => Origin::HongKongMacaoTaiwan,
            Some('J') => Origin::Abroad,
            _ => Origin::Domestic,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

impl fmt::Display for ApprovalNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ApprovalNumber {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ApprovalNumber::parse("approval_number", &s)
    }
}

impl From<ApprovalNumber> for String {
    fn from(a: ApprovalNumber) -> String {
        a.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_of_the_2020_provisions_and_older_numbers_parse() {
        // The example, and the three forms of Art. 123 (domestic, 港澳台 C, abroad J).
        for (text, category, origin) in [
            ("国药准字H20230001", 'H', Origin::Domestic),
            ("国药准字ZC20210003", 'Z', Origin::HongKongMacaoTaiwan),
            ("国药准字SJ20200012", 'S', Origin::Abroad),
            // Older renumbered approvals: province code first (32 = 江苏).
            ("国药准字H32020543", 'H', Origin::Domestic),
            ("国药准字J20100024", 'J', Origin::Domestic),
        ] {
            let a = ApprovalNumber::parse("approval_number", text).unwrap();
            assert_eq!((a.as_str(), a.category(), a.origin()), (text, category, origin));
        }
        // Full-width characters and spaces from pasted text.
        let a = ApprovalNumber::parse("n", " 国药准字Ｈ２０２３０００１ ").unwrap();
        assert_eq!(a.as_str(), "国药准字H20230001");
    }

    #[test]
    fn malformed_numbers_name_the_rule() {
        for (text, rule) in [
            ("国药字H20230001", "approval_prefix"),
            ("国药准字X20230001", "approval_category"),
            ("国药准字", "approval_category"),
            ("国药准字H2023001", "approval_digits"),
            ("国药准字H2023000A", "approval_digits"),
            ("国药准字BJ20230001", "approval_digits"),
        ] {
            assert_eq!(ApprovalNumber::parse("n", text).unwrap_err().rule, rule, "{text}");
        }
        let e = ApprovalNumber::parse("n", "国药准字H2023000A").unwrap_err();
        assert!(e.message.contains("character 8"), "{}", e.message);
    }
}
