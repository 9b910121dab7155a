//! Codes on drug packs: GS1 and NMPA.

pub mod epc;
pub mod gs1;
pub mod nmpa;

use serde::Serialize;

/// Why a code was refused: where in the input (1-based character position) and which rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeError {
    /// 1-based character position in the input (after a symbology identifier is removed, the
    /// position still counts from the start of what was sent).
    pub position: usize,
    /// A stable rule name, e.g. `gtin_check`, `ai_unknown`, `date`.
    pub rule: &'static str,
    pub message: String,
}

impl std::fmt::Display for CodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "position {}: {}", self.position, self.message)
    }
}

impl std::error::Error for CodeError {}

impl CodeError {
    pub(crate) fn at(position: usize, rule: &'static str, message: impl Into<String>) -> CodeError {
        CodeError { position, rule, message: message.into() }
    }

    /// As a field error of `field` (for problem documents and CLI lines).
    pub fn into_field(self, field: &str) -> yaolian_core::FieldError {
        let message = self.to_string();
        yaolian_core::FieldError::new(field, self.rule, message)
    }
}

/// A scanned code of either kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Code {
    Gs1(gs1::Gs1Code),
    Nmpa(nmpa::NmpaCode),
}

impl Code {
    /// Reads a scan: 20 digits alone are an NMPA 药品追溯码; anything else is read as GS1.
    pub fn parse(input: &str, today: chrono::NaiveDate) -> Result<Code, CodeError> {
        let t = input.trim();
        // 20 digits are an NMPA code, unless they start with AI (00), an SSCC element string.
        if t.len() == 20 && t.bytes().all(|b| b.is_ascii_digit()) && !t.starts_with("00") {
            return nmpa::NmpaCode::parse(t).map(Code::Nmpa);
        }
        gs1::parse(input, today).map(Code::Gs1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_digits_are_nmpa_unless_an_sscc_element_string() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap_or_default();
        assert!(matches!(Code::parse("81000011234567890123", today), Ok(Code::Nmpa(_))));
        assert!(matches!(Code::parse("00106141411234567897", today), Ok(Code::Gs1(_))));
        assert!(matches!(Code::parse("]d20109506000134352", today), Ok(Code::Gs1(_))));
        let e = Code::parse("0109506000134357", today).err().unwrap_or_else(|| panic!("refused"));
        assert_eq!(e.into_field("code").rule, "gtin_check");
    }
}
