//! The NMPA drug traceability code (药品追溯码, NMPAB/T 1002-2019 《药品追溯码编码要求》).
//!
//! In the widespread 20-digit form: the first 7 digits are the 药品标识码 (product and pack
//! level, issued per product by the coding organization), the next 9 a serial, and the last 4
//! check digits. The check algorithm is not public, so it is not checked here; what is checked
//! is the form, and — by the caller, against the registry — that the 药品标识码 belongs to a
//! registered product.

use serde::Serialize;

use super::CodeError;

/// A 20-digit 药品追溯码 whose form has been checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NmpaCode {
    pub code: String,
    /// 药品标识码: digits 1–7.
    pub drug_code: String,
    /// 单品序列号: digits 8–16.
    pub serial: String,
    /// 校验位: digits 17–20 (not verifiable without the unpublished algorithm).
    pub check: String,
}

impl NmpaCode {
    pub fn parse(input: &str) -> Result<NmpaCode, CodeError> {
        let t = input.trim();
        if let Some((i, c)) = t.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
            return Err(CodeError::at(i + 1, "nmpa_digits", format!("药品追溯码 has digits only; found {c:?}")));
        }
        if t.len() != 20 {
            return Err(CodeError::at(1, "nmpa_length", format!("药品追溯码 has 20 digits, found {}", t.len())));
        }
        Ok(NmpaCode { code: t.into(), drug_code: t[0..7].into(), serial: t[7..16].into(), check: t[16..20].into() })
    }

    /// The refusal when the 药品标识码 is not a registered product's.
    pub fn unknown_product(&self) -> CodeError {
        CodeError::at(
            1,
            "nmpa_unknown_product",
            format!("药品标识码 {} (digits 1–7) belongs to no registered product", self.drug_code),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_digits_split_into_product_serial_and_check() {
        let c = NmpaCode::parse("81000011234567890123").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((c.drug_code.as_str(), c.serial.as_str(), c.check.as_str()), ("8100001", "123456789", "0123"));
        let e = NmpaCode::parse("8100001123456789012").err().unwrap_or_else(|| panic!("refused"));
        assert_eq!(e.rule, "nmpa_length");
        let e = NmpaCode::parse("81000011234567890l23").err().unwrap_or_else(|| panic!("refused"));
        assert_eq!((e.rule, e.position), ("nmpa_digits", 18));
        assert_eq!(
            c.unknown_product().to_string(),
            "position 1: 药品标识码 8100001 (digits 1–7) belongs to no registered product"
        );
    }
}
