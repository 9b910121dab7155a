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
pub async fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let password = password.to_owned();
    off_workers(move || hash_now(&password)).await.unwrap_or(Err(argon2::password_hash::Error::Crypto))
}

/// True when `password` matches the stored PHC `hash`. A malformed hash never matches.
pub async fn verify(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    off_workers(move || verify_now(&password, &hash)).await.unwrap_or(false)
}

/// Does the work of a [`verify`] against a hash of an unguessable password, for a user name
/// that does not exist: a failed login then takes the same time whether or not the account
/// exists.
pub async fn verify_unknown_user(password: &str) {
    let password = password.to_owned();
    off_workers(move || verify_now(&password, dummy_hash())).await;
}

/// Derives a 128-bit key from a password and a per-key salt with argon2id (the same cost as
/// password hashing): the SM4 key that seals a user's signing key (签名私钥).
pub async fn derive_key(password: &str, salt: &[u8]) -> Option<[u8; 16]> {
    let (password, salt) = (password.to_owned(), salt.to_owned());
    off_workers(move || {
        let mut key = [0u8; 16];
        Argon2::default().hash_password_into(password.as_bytes(), &salt, &mut key).ok()?;
        Some(key)
    })
    .await
    .flatten()
}

/// Runs one argon2id computation on tokio's blocking pool, never on the async workers: each
/// takes tens of milliseconds of one core (and 19 MiB), and on a worker it would hold up every
/// request queued behind it. At most one computation per core runs at a time; the others wait
/// for a slot without holding a thread. `None` when the computation did not finish (it
/// panicked, or the runtime is shutting down).
async fn off_workers<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let slots =
        SLOTS.get_or_init(|| tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())));
    let _slot = slots.acquire().await.ok()?;
    tokio::task::spawn_blocking(work).await.ok()
}

fn hash_now(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

fn verify_now(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A valid hash of an unguessable password (computed once, on first use).
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_now("dummy-password-for-timing").unwrap_or_default())
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

    #[tokio::test]
    async fn hash_is_argon2id_and_verifies() {
        let h = hash("Yaolian@2026").await.unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify("Yaolian@2026", &h).await);
        assert!(!verify("Yaolian@2027", &h).await);
        assert!(!verify("Yaolian@2026", "not a hash").await);
        verify_unknown_user("Yaolian@2026").await;
    }

    #[tokio::test]
    async fn derived_keys_depend_on_password_and_salt() {
        let k = derive_key("Yaolian@2026", b"sixteen byte sal").await.unwrap();
        assert_eq!(derive_key("Yaolian@2026", b"sixteen byte sal").await, Some(k));
        assert_ne!(derive_key("Yaolian@2027", b"sixteen byte sal").await, Some(k));
        assert_ne!(derive_key("Yaolian@2026", b"another salt 16b").await, Some(k));
        assert_eq!(derive_key("Yaolian@2026", b"short").await, None, "argon2 wants a salt of 8 bytes or more");
    }

    /// The async workers stay free while passwords are hashed: on a runtime with one worker, a
    /// 5 ms timer started beside four hashes fires before one hash would have finished (on the
    /// worker, it would wait for at least one whole hash).
    #[test]
    fn hashing_leaves_the_async_workers_free() {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        rt.block_on(async {
            let start = std::time::Instant::now();
            hash("Yaolian@2026").await.unwrap();
            let one_hash = start.elapsed();
            let hashes: Vec<_> = (0..4).map(|_| tokio::spawn(async { hash("Yaolian@2026").await })).collect();
            let start = std::time::Instant::now();
            let timer = tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                start.elapsed()
            });
            let late = timer.await.unwrap();
            for h in hashes {
                assert!(h.await.unwrap().is_ok());
            }
            assert!(late < one_hash, "a 5 ms timer fired after {late:?}; one hash takes {one_hash:?}");
        });
    }
}
