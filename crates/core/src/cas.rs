//! CAS Registry Number (CAS 登记号), the identifier of a chemical substance that the reagent
//! inventory keys its items by.
//!
//! Form (CAS, "Check Digit Verification of CAS Registry Numbers"): three groups joined by
//! hyphens — 2 to 7 digits, 2 digits, 1 check digit. The check digit is the last digit of the
//! sum of the other digits each multiplied by its position counted from the right (the last
//! digit of the middle group is 1, the one before it 2, …). A valid check digit says the number
//! is well formed, not that it is registered or names the substance it is written beside; and
//! it does not catch every slip (a digit changed by 5 at an even position keeps the sum's last
//! digit), see the tests.

use crate::error::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A CAS Registry Number whose form and check digit have been verified, in its canonical form
/// (`64-17-5`: no leading zeros, ASCII hyphens).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CasNumber(String);

/// The check digit of the digits before it (the first two groups run together, `10707` for
/// `107-07-?`), or `None` unless they are 4 to 9 ASCII digits.
pub fn check_digit(digits: &str) -> Option<u8> {
    if !(4..=9).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = digits.bytes().rev().zip(1u32..).map(|(b, weight)| u32::from(b - b'0') * weight).sum();
    Some((sum % 10) as u8)
}

impl CasNumber {
    /// Parses and verifies a number; `field` names the input in the error. Surrounding spaces
    /// are ignored, and what documents paste in place of ASCII is read as ASCII: full-width
    /// digits (０–９) and the dashes ‐ ‑ ‒ – — － as hyphens.
    pub fn parse(field: &str, input: &str) -> Result<CasNumber, FieldError> {
        let text: String = input
            .trim()
            .chars()
            .map(|c| match c {
                '\u{2010}'..='\u{2014}' | '－' => '-',
                '０'..='９' => char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')).unwrap_or(c),
                _ => c,
            })
            .collect();
        let groups: Vec<&str> = text.split('-').collect();
        let well_formed = match groups.as_slice() {
            [first, second, check] => {
                (2..=7).contains(&first.len())
                    && !first.starts_with('0')
                    && second.len() == 2
                    && check.len() == 1
                    && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
            }
            _ => false,
        };
        if !well_formed {
            return Err(FieldError::new(
                field,
                "cas_format",
                "a CAS number is 2–7 digits (no leading zero), 2 digits and 1 check digit joined by hyphens, e.g. 64-17-5",
            ));
        }
        let digits = format!("{}{}", groups[0], groups[1]);
        let expected = check_digit(&digits).unwrap_or(u8::MAX);
        let found = groups[2].as_bytes()[0] - b'0';
        if expected != found {
            return Err(FieldError::new(
                field,
                "cas_check",
                format!("check digit: expected {expected}, found {found}"),
            ));
        }
        Ok(CasNumber(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CasNumber {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        CasNumber::parse("cas", &s)
    }
}

impl From<CasNumber> for String {
    fn from(c: CasNumber) -> String {
        c.0
    }
}

impl fmt::Display for CasNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `check(input, Ok(()) | Err(rule))`
    fn check(input: &str, expected: Result<(), &str>) {
        let got = CasNumber::parse("cas", input).map(|_| ()).map_err(|e| e.rule);
        assert_eq!(got, expected.map_err(str::to_string), "input {input}");
    }

    #[test]
    fn the_worked_examples_of_cas_hold() {
        // CAS, "Check Digit Verification of CAS Registry Numbers"
        // (cas.org/support/documentation/chemical-substances/checkdig): 107-07-3,
        // 5·1 + 4·0 + 3·7 + 2·0 + 1·7 = 33, check digit 3.
        assert_eq!(check_digit("10707"), Some(3));
        check("107-07-3", Ok(()));
        // 1-propanol 71-23-8: 4·7 + 3·1 + 2·2 + 1·3 = 38, check digit 8.
        assert_eq!(check_digit("7123"), Some(8));
        check("71-23-8", Ok(()));
    }

    #[test]
    fn real_numbers_of_lab_reagents_are_valid() {
        for (name, cas) in [
            ("water 水", "7732-18-5"),
            ("ethanol 乙醇", "64-17-5"),
            ("acetonitrile 乙腈", "75-05-8"),
            ("methanol 甲醇", "67-56-1"),
            ("sodium chloride 氯化钠", "7647-14-5"),
            ("potassium dichromate 重铬酸钾", "7778-50-9"),
            ("sodium cyanide 氰化钠", "143-33-9"),
            ("acetic anhydride 醋酸酐", "108-24-7"),
            ("potassium permanganate 高锰酸钾", "7722-64-7"),
            ("hydrogen chloride 氯化氢", "7647-01-0"),
            ("sulfuric acid 硫酸", "7664-93-9"),
            ("toluene 甲苯", "108-88-3"),
            ("acetone 丙酮", "67-64-1"),
            ("caffeine 咖啡因", "58-08-2"),
            ("sodium azide 叠氮化钠", "26628-22-8"),
        ] {
            assert!(CasNumber::parse("cas", cas).is_ok(), "{name} {cas}");
        }
        // Spaces and a full-width hyphen are read; the stored form is canonical.
        assert_eq!(CasNumber::parse("cas", " 64－17-5 ").map(String::from), Ok("64-17-5".to_string()));
        assert_eq!(CasNumber::parse("cas", "７７３２–１８‐５").map(String::from), Ok("7732-18-5".to_string()));
    }

    #[test]
    fn wrong_numbers_name_the_rule() {
        // One digit changed, and two digits swapped.
        check("7732-18-4", Err("cas_check"));
        check("64-17-6", Err("cas_check"));
        check("75-05-3", Err("cas_check"));
        check("67-56-2", Err("cas_check"));
        check("7732-81-5", Err("cas_check"));
        let e = CasNumber::parse("cas", "64-17-6").unwrap_err();
        assert_eq!((e.field.as_str(), e.message.as_str()), ("cas", "check digit: expected 5, found 6"));
        // The form.
        for bad in ["64175", "1-23-4", "67-64-10", "12345678-00-1", "064-17-5", "64-1-75", "6a-17-5", "", "64-17-5-1"] {
            check(bad, Err("cas_format"));
        }
    }

    #[test]
    fn the_check_digit_misses_a_change_of_five_at_an_even_position() {
        // Water is 7732-18-5; these are not water, yet their check digit holds (weights 2 and
        // 6 times a change of 5 leave the sum's last digit): a valid check digit is no proof
        // of the substance.
        check("7732-68-5", Ok(()));
        check("2732-18-5", Ok(()));
    }
}
