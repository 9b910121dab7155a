//! Identity (身份): organizations in a hierarchy (国家局 → 省局 → 市局; companies with sites),
//! users with master and sub-accounts (主账号 / 子账号), roles carrying permissions and a data
//! scope, the three separated administrators (三员分立), argon2id passwords with a policy and
//! lockout, TOTP second factor, sessions and API tokens. It is the one crate that makes an
//! authenticated [`Principal`] (`yaolian-access`); the security audit table (`yaolian-audit`)
//! and the portal (`yaolian-portal`) sit below it, record history and signatures
//! (`yaolian-records`) above.
//!
//! Architecture Invariant: `identity` knows nothing about HTTP. Every function that changes
//! state takes the acting [`Principal`] and checks its permission and data scope itself, so a
//! caller cannot forget the check.

pub mod auth;
pub mod error;
pub mod fixtures;
pub mod labels;
pub mod model;
pub mod notify;
pub mod orgs;
pub mod password;
pub mod readable;
pub mod role_requests;
pub mod roles;
pub mod state;
pub mod tokens;
pub mod totp;
pub mod users;

pub use error::IdentityError;
pub use model::{Org, Role, User};

// The shared crates below, under the names identity's modules use.
use yaolian_access::{ClientInfo, Principal};
use yaolian_audit as audit;

use std::time::Duration;

/// Security settings, from configuration.
#[derive(Debug, Clone)]
pub struct IdentityConfig {
    pub password: password::PasswordPolicy,
    /// Failed logins in a row that lock an account.
    pub lockout_threshold: i64,
    pub lockout_duration: Duration,
    /// A session ends after this long without a request.
    pub session_idle: Duration,
    /// A session ends this long after login, whatever happens.
    pub session_absolute: Duration,
    /// The site's SM4 sealing key: TOTP secrets are stored sealed under it.
    pub sealing: yaolian_ledger::sign::Sealing,
}

/// A sealing key for configurations built without one (tests, tools): random, and the same for
/// the whole process, so what one default configuration seals another opens, and no fixed key
/// ever seals a secret.
fn process_sealing() -> yaolian_ledger::sign::Sealing {
    static KEY: std::sync::OnceLock<[u8; 16]> = std::sync::OnceLock::new();
    yaolian_ledger::sign::Sealing(*KEY.get_or_init(|| {
        let mut key = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
        key
    }))
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            password: password::PasswordPolicy::default(),
            lockout_threshold: 5,
            lockout_duration: Duration::from_secs(15 * 60),
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(12 * 3600),
            sealing: process_sealing(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `{:?}` of every identity value that carries a secret shows the value but not the secret.
    #[test]
    fn secrets_never_reach_debug_output() {
        let secret = "S3cret-Never-Shown";
        let check = |what: &str, debug: String| yaolian_core::assert_redacted(what, &debug, secret);
        let session = auth::NewSession {
            token: secret.into(),
            csrf_token: secret.into(),
            stage: auth::Stage::Full,
            expires_at: yaolian_core::Timestamp(0),
            user_id: 7,
        };
        check("NewSession", format!("{session:?}"));
        let enrollment = totp::Enrollment { secret: secret.into(), otpauth_uri: secret.into(), qr_svg: secret.into() };
        check("Enrollment", format!("{enrollment:?}"));
        let user = users::NewUser {
            org_id: 1,
            username: "kc.qa".into(),
            display_name: "吴丽".into(),
            password: secret.into(),
            email: String::new(),
            phone: String::new(),
            is_master: false,
            roles: vec![],
        };
        let debug = format!("{user:?}");
        check("NewUser", debug.clone());
        assert!(debug.contains("kc.qa"), "the rest is still shown: {debug}");
    }
}
