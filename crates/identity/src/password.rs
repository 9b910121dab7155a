//! Passwords: a configurable policy and argon2id hashes (PHC string format).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use yaolian_core::ValidationError;

/// Password policy (口令策略): minimum length and how many of the four character classes
/// (lower case, upper case, digits, symbols) must appear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_length: usize,
    pub min_classes: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy { min_length: 8, min_classes: 3 }
    }
}

impl PasswordPolicy {
    /// Checks `password` against the policy; errors name `field` and the broken rule.
    pub fn check(&self, field: &str, password: &str) -> Result<(), ValidationError> {
        let mut errors = ValidationError::new();
        let length = password.chars().count();
        if length < self.min_length {
            errors.push(
                field,
                format!("min_length:{}", self.min_length),
                format!("must have at least {} characters, found {length}", self.min_length),
            );
        }
        if length > 256 {
            errors.push(field, "max_length:256", "must have at most 256 characters");
        }
        let classes = [
            password.chars().any(|c| c.is_lowercase()),
            password.chars().any(|c| c.is_uppercase()),
            password.chars().any(|c| c.is_ascii_digit()),
            password.chars().any(|c| !c.is_alphanumeric()),
        ]
        .iter()
        .filter(|&&b| b)
        .count();
        if classes < self.min_classes {
            errors.push(
                field,
                format!("min_classes:{}", self.min_classes),
                format!(
                    "must mix at least {} of lower case, upper case, digits and symbols; found {classes}",
                    self.min_classes
                ),
            );
        }
        errors.into_result()
    }
}

/// Hashes a password with argon2id and a fresh random salt.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

/// True when `password` matches the stored PHC `hash`. A malformed hash never matches.
pub fn verify(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Derives a 128-bit key from a password and a per-key salt with argon2id (the same cost as
/// password hashing): the SM4 key that seals a user's signing key (签名私钥).
pub fn derive_key(password: &str, salt: &[u8]) -> Option<[u8; 16]> {
    let mut key = [0u8; 16];
    Argon2::default().hash_password_into(password.as_bytes(), salt, &mut key).ok()?;
    Some(key)
}

/// A valid hash of an unguessable password, verified against when a user name is unknown so
/// that a failed login takes the same time whether or not the account exists.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("dummy-password-for-timing").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pw: &str, expected: Result<(), &[&str]>) {
        let got = PasswordPolicy::default()
            .check("password", pw)
            .map_err(|e| e.errors.into_iter().map(|f| f.rule).collect::<Vec<_>>());
        let expected = expected.map_err(|rules| rules.iter().map(|r| r.to_string()).collect::<Vec<_>>());
        assert_eq!(got, expected, "password {pw:?}");
    }

    #[test]
    fn policy_length_and_classes() {
        check("Abcdefg1", Ok(()));
        check("abcdefg1!", Ok(()));
        check("Yaolian@2026", Ok(()));
        check("Ab1!", Err(&["min_length:8"]));
        check("abcdefgh", Err(&["min_classes:3"]));
        check("abcdefg1", Err(&["min_classes:3"]));
        check("abc", Err(&["min_length:8", "min_classes:3"]));
    }

    #[test]
    fn hash_is_argon2id_and_verifies() {
        let h = hash("Yaolian@2026").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify("Yaolian@2026", &h));
        assert!(!verify("Yaolian@2027", &h));
        assert!(!verify("Yaolian@2026", "not a hash"));
    }
}
