//! The e-license identifier (电子证照标识), GB/T 36902:
//!
//! `1.2.156.3005.2.<license type code>.<issuer code>.<serial>.<version>.<check character>`
//!
//! `1.2.156.3005.2` is the object-identifier arc of national e-licenses; the type code is the
//! license type's code in the national catalogue (issuing department's USCC and a 3-digit type
//! number, e.g. `11100000000013338W011`); the issuer code is the issuing authority's USCC (some
//! older issuers use a region code); the serial is the authority's own number for the license;
//! the version is three digits, `001` for the first issue and one more for each change; the check
//! character is ISO/IEC 7064 MOD 37,36 over type code, issuer code, serial and version with the
//! dots removed.

use serde::{Deserialize, Serialize};
use std::fmt;
use yaolian_core::FieldError;

/// The object-identifier arc every national e-license identifier starts with.
pub const ARC: &str = "1.2.156.3005.2";

const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// ISO/IEC 7064 MOD 37,36 (hybrid system, M = 36): the check character for `body`, or `None`
/// when `body` holds a character outside `0-9A-Z`.
pub fn mod37_36(body: &str) -> Option<char> {
    const M: u32 = 36;
    let mut p = M;
    for b in body.bytes() {
        let a = ALPHABET.iter().position(|&c| c == b.to_ascii_uppercase())? as u32;
        let mut s = (p + a) % M;
        if s == 0 {
            s = M;
        }
        p = (s * 2) % (M + 1);
    }
    Some(ALPHABET[((M + 1 - p) % M) as usize] as char)
}

/// A license identifier whose form and check character have been verified.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LicenseId {
    pub type_code: String,
    pub issuer: String,
    pub serial: String,
    /// 1 for the first issue.
    pub version: u16,
    pub check: char,
}

fn alnum(field: &str, part: &str, value: &str, len: std::ops::RangeInclusive<usize>) -> Result<(), FieldError> {
    let n = value.chars().count();
    if !len.contains(&n) {
        return Err(FieldError::new(
            field,
            "license_id_part_length",
            format!("{part} must have {} to {} characters, found {n}", len.start(), len.end()),
        ));
    }
    if let Some((i, c)) = value.chars().enumerate().find(|(_, c)| !c.is_ascii_digit() && !c.is_ascii_uppercase()) {
        return Err(FieldError::new(
            field,
            "license_id_charset",
            format!("{part}: character {c:?} at position {} is not a digit or capital letter", i + 1),
        ));
    }
    Ok(())
}

impl LicenseId {
    /// A new identifier: validates the parts and computes the check character.
    pub fn generate(type_code: &str, issuer: &str, serial: &str, version: u16) -> Result<LicenseId, FieldError> {
        alnum("type_code", "license type code", type_code, 1..=32)?;
        alnum("issuer", "issuer code", issuer, 6..=18)?;
        alnum("serial", "serial", serial, 1..=64)?;
        if !(1..=999).contains(&version) {
            return Err(FieldError::new("version", "range:1..999", "version must be between 001 and 999"));
        }
        let body = format!("{type_code}{issuer}{serial}{version:03}");
        let check = mod37_36(&body)
            .ok_or_else(|| FieldError::new("license_id", "license_id_charset", "only digits and capitals"))?;
        Ok(LicenseId { type_code: type_code.into(), issuer: issuer.into(), serial: serial.into(), version, check })
    }

    /// Parses and validates an identifier; `field` names the input in the error.
    pub fn parse(field: &str, input: &str) -> Result<LicenseId, FieldError> {
        let input = input.trim();
        let Some(rest) = input.strip_prefix(ARC).and_then(|r| r.strip_prefix('.')) else {
            return Err(FieldError::new(field, "license_id_arc", format!("must start with {ARC}.")));
        };
        let parts: Vec<&str> = rest.split('.').collect();
        let [type_code, issuer, serial, version, check] = parts.as_slice() else {
            return Err(FieldError::new(
                field,
                "license_id_parts",
                format!("after {ARC} come 5 parts (type, issuer, serial, version, check), found {}", parts.len()),
            ));
        };
        let in_field = |e: FieldError| FieldError::new(field, e.rule, e.message);
        if version.len() != 3 || !version.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::new(
                field,
                "license_id_version",
                format!("version must be 3 digits, found {version:?}"),
            ));
        }
        let number: u16 = version.parse().unwrap_or(0);
        let id = LicenseId::generate(type_code, issuer, serial, number).map_err(in_field)?;
        let found: Vec<char> = check.chars().collect();
        match found.as_slice() {
            [c] if *c == id.check => Ok(id),
            [c] => Err(FieldError::new(
                field,
                "license_id_check",
                format!("check character: expected {}, found {c}", id.check),
            )),
            _ => Err(FieldError::new(field, "license_id_check", "the check character is one character")),
        }
    }

    /// The next version's identifier (a change supersedes this one).
    pub fn next_version(&self) -> Result<LicenseId, FieldError> {
        LicenseId::generate(&self.type_code, &self.issuer, &self.serial, self.version + 1)
    }
}

impl fmt::Display for LicenseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{ARC}.{}.{}.{}.{:03}.{}", self.type_code, self.issuer, self.serial, self.version, self.check)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Identifiers published in national e-license documents and government-service
    /// integrations: the example of the 建筑施工企业安全生产管理人员考核合格证书 e-license standard
    /// (Appendix A.2, versions 001 and 002) and identifiers issued on provincial platforms.
    const PUBLISHED: &[&str] = &[
        "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.002.S",
        "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
        "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
        "1.2.156.3005.2.11100000000013338W087.11370800MB28559184.37080001202411010001.001.3",
    ];

    #[test]
    fn published_identifiers_verify() {
        for text in PUBLISHED {
            let id = LicenseId::parse("license_id", text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(id.to_string(), *text);
        }
    }

    #[test]
    fn a_wrong_check_character_is_named() {
        let bad = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.002.U";
        let e = LicenseId::parse("license_id", bad).unwrap_err();
        assert_eq!(e.rule, "license_id_check");
        assert_eq!(e.message, "check character: expected S, found U");
    }

    #[test]
    fn generation_matches_and_versions_advance() {
        let v1 = LicenseId::generate("11100000000013338W011", "11430000006122244L", "20230000403", 1).unwrap();
        assert_eq!(v1.to_string(), PUBLISHED[1]);
        assert_eq!(v1.next_version().unwrap().to_string(), PUBLISHED[0]);
        // Any single changed character of the body changes the check character (MOD 37,36
        // detects every single substitution).
        let body = "11100000000013338W01111430000006122244L20230000403001";
        let check = mod37_36(body).unwrap();
        for i in 0..body.len() {
            for c in ALPHABET.iter().map(|&c| c as char) {
                let mut changed: Vec<char> = body.chars().collect();
                if changed[i] == c {
                    continue;
                }
                changed[i] = c;
                let changed: String = changed.into_iter().collect();
                assert_ne!(mod37_36(&changed).unwrap(), check, "substitution at {i} by {c} undetected");
            }
        }
    }

    #[test]
    fn malformed_identifiers_name_the_rule() {
        let cases = [
            ("2.1.156.3005.2.A.B.C.001.X", "license_id_arc"),
            ("1.2.156.3005.2.11100000000013338W011.11430000006122244L.001.S", "license_id_parts"),
            ("1.2.156.3005.2.11100000000013338W011.11430000006122244L.2023.1.S", "license_id_version"),
            ("1.2.156.3005.2.11100000000013338W011.11430000006122244l.2023.001.S", "license_id_charset"),
            ("1.2.156.3005.2.11100000000013338W011.114300.2023.001.SS", "license_id_check"),
        ];
        for (text, rule) in cases {
            assert_eq!(LicenseId::parse("id", text).unwrap_err().rule, rule, "{text}");
        }
        assert_eq!(LicenseId::generate("T", "114300", "1", 0).unwrap_err().field, "version");
    }
}
