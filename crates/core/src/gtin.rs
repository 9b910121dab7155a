//! GS1 Global Trade Item Number (GTIN-8/12/13/14) with its mod-10 check digit (GS1 General
//! Specifications §7.9.1): from the right, digits are weighted 3, 1, 3, 1 …; the check digit
//! brings the sum to a multiple of ten. Stored as GTIN-14 (left-padded with zeros), the form of
//! AI (01).

use crate::error::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The check digit for the digits before it.
pub fn check_digit(body: &str) -> Option<u32> {
    let mut sum = 0;
    for (i, b) in body.bytes().rev().enumerate() {
        let d = (b as char).to_digit(10)?;
        sum += d * if i % 2 == 0 { 3 } else { 1 };
    }
    Some((10 - sum % 10) % 10)
}

/// A GTIN whose length and check digit have been verified, as 14 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Gtin(String);

impl Gtin {
    pub fn parse(field: &str, input: &str) -> Result<Gtin, FieldError> {
        let text = input.trim();
        if let Some((i, c)) = text.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
            return Err(FieldError::new(
                field,
                "gtin_digits",
                format!("GTIN: character {c:?} at position {} is not a digit", i + 1),
            ));
        }
        if ![8, 12, 13, 14].contains(&text.len()) {
            return Err(FieldError::new(
                field,
                "gtin_length",
                format!("GTIN has 8, 12, 13 or 14 digits, found {}", text.len()),
            ));
        }
        let (body, last) = text.split_at(text.len() - 1);
        let expected = check_digit(body).unwrap_or(0);
        let found = last.parse::<u32>().unwrap_or(10);
        if expected != found {
            return Err(FieldError::new(
                field,
                "gtin_check",
                format!("GTIN check digit: expected {expected}, found {found}"),
            ));
        }
        Ok(Gtin(format!("{text:0>14}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Gtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Gtin {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Gtin::parse("gtin", &s)
    }
}

impl From<Gtin> for String {
    fn from(g: Gtin) -> String {
        g.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gs1_examples() {
        // GS1 General Specifications §7.9.1 worked example: 629104150021 → check digit 3.
        assert_eq!(check_digit("629104150021"), Some(3));
        assert_eq!(Gtin::parse("g", "6291041500213").unwrap().as_str(), "06291041500213");
        // The GTIN-14 of the GS1 Digital Link standard's examples.
        assert_eq!(Gtin::parse("g", "09506000134352").unwrap().as_str(), "09506000134352");
        let e = Gtin::parse("g", "09506000134357").unwrap_err();
        assert_eq!((e.rule.as_str(), e.message.as_str()), ("gtin_check", "GTIN check digit: expected 2, found 7"));
        assert_eq!(Gtin::parse("g", "0950600013435").unwrap_err().rule, "gtin_check");
        assert_eq!(Gtin::parse("g", "095060001343").unwrap_err().rule, "gtin_check");
        assert_eq!(Gtin::parse("g", "0950600013").unwrap_err().rule, "gtin_length");
        assert_eq!(Gtin::parse("g", "09506A00134352").unwrap_err().rule, "gtin_digits");
    }
}
