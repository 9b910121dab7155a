//! 统一社会信用代码 (Unified Social Credit Code, USCC) per GB 32100-2015.
//!
//! 18 characters from a 31-character alphabet (digits and capitals without I, O, Z, S, V):
//! 1 registration authority code (登记管理部门代码), 1 organization category (机构类别代码),
//! 6 administrative division digits (登记管理机关行政区划码), 9 subject identifier
//! (主体标识码, the GB 11714 organization code) and 1 check character computed with weights
//! `3^i mod 31` over the first 17 characters.

use crate::error::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// A USCC whose form and check character have been verified.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Uscc(String);

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters, or `None` if one is outside the alphabet.
pub fn check_character(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (i, &b) in bytes.iter().enumerate() {
        sum += value_of(b)? * WEIGHTS[i];
    }
    let c = (31 - sum % 31) % 31;
    Some(ALPHABET[c as usize] as char)
}

impl Uscc {
    /// Parses and validates a code; `field` names the input in the error.
    pub fn parse(field: &str, input: &str) -> Result<Uscc, FieldError> {
        let code = input.trim().to_ascii_uppercase();
        let n = code.chars().count();
        if n != 18 {
            return Err(FieldError::new(
                field,
                "uscc_length",
                format!("统一社会信用代码 must have 18 characters, found {n}"),
            ));
        }
        for (i, c) in code.bytes().enumerate() {
            if value_of(c).is_none() {
                return Err(FieldError::new(
                    field,
                    "uscc_charset",
                    format!(
                        "character {} at position {} is not allowed (digits and capitals except I, O, Z, S, V)",
                        c as char,
                        i + 1
                    ),
                ));
            }
        }
        if !code.as_bytes()[2..8].iter().all(u8::is_ascii_digit) {
            return Err(FieldError::new(
                field,
                "uscc_division",
                "positions 3–8 must be the 6-digit administrative division code",
            ));
        }
        let expected = check_character(&code[..17]).unwrap_or('?');
        let found = code.as_bytes()[17] as char;
        if expected != found {
            return Err(FieldError::new(
                field,
                "uscc_check",
                format!("check character: expected {expected}, found {found}"),
            ));
        }
        Ok(Uscc(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Uscc {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Uscc::parse("uscc", &s)
    }
}

impl From<Uscc> for String {
    fn from(u: Uscc) -> String {
        u.0
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `check(input, Ok(()) | Err(rule))`
    fn check(input: &str, expected: Result<(), &str>) {
        let got = Uscc::parse("code", input).map(|_| ()).map_err(|e| e.rule);
        assert_eq!(got, expected.map_err(str::to_string), "input {input}");
    }

    #[test]
    fn standard_example_is_valid() {
        // GB 32100-2015, Annex: the worked example 91350100M000100Y43.
        check("91350100M000100Y43", Ok(()));
        assert_eq!(check_character("91350100M000100Y4"), Some('3'));
    }

    #[test]
    fn published_codes_are_valid() {
        // Codes printed on public business licences.
        check("91110000600037341L", Ok(()));
        check("9144030071526726XG", Ok(()));
        // Lower case input is normalised.
        check("91350100m000100y43", Ok(()));
    }

    #[test]
    fn wrong_codes_name_the_rule() {
        check("91350100M000100Y44", Err("uscc_check"));
        check("91350100M000100Y4", Err("uscc_length"));
        check("91350100M000100I43", Err("uscc_charset"));
        check("913501A0M000100Y43", Err("uscc_division"));
        let e = Uscc::parse("code", "91350100M000100Y44").unwrap_err();
        assert_eq!(e.message, "check character: expected 3, found 4");
    }
}
