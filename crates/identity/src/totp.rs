//! Second factor (双因素认证): time-based one-time passwords per RFC 6238 (HMAC-SHA1, 6 digits,
//! 30 s steps, one step of clock skew either way), with replay protection: a code's time step
//! can be used once. The shared secret is stored sealed with SM4-GCM under the site sealing key
//! (`sm4:` and the sealed bytes in hex), never in clear.

use crate::audit::{self, action};
use crate::error::Result;
use crate::{auth, ClientInfo, IdentityConfig, IdentityError, Principal};
use qrcode::render::svg;
use qrcode::QrCode;
use rand::RngCore;
use sqlx::Row;
use totp_rs::{Algorithm, Secret, TOTP};
use yaolian_ledger::sign::Sealing;
use yaolian_store::{Store, StoreError};

/// How a sealed secret starts in the `totp_secret` column.
const SEALED: &str = "sm4:";

/// The stored form of a base32 secret.
fn seal(sealing: &Sealing, secret_b32: &str) -> String {
    format!("{SEALED}{}", hex::encode(sealing.seal(secret_b32.as_bytes())))
}

/// The base32 secret in a stored value. A value stored before secrets were sealed is read as it
/// is (and sealed by [`seal_clear_secrets`] at the next start).
fn open(sealing: &Sealing, stored: &str) -> Result<String> {
    let Some(sealed) = stored.strip_prefix(SEALED) else {
        return Ok(stored.to_string());
    };
    let corrupt = |what: &str| IdentityError::Store(StoreError::Corrupt(format!("stored TOTP secret {what}")));
    let bytes = hex::decode(sealed).map_err(|_| corrupt("is not hex"))?;
    let plain = sealing
        .open(&bytes)
        .map_err(|_| corrupt("does not open with the site sealing key (is it the key the secret was sealed with?)"))?;
    String::from_utf8(plain).map_err(|_| corrupt("is not text"))
}

/// Seals every TOTP secret still stored in clear (from before secrets were sealed); returns how
/// many. Run at start, before the server takes requests.
pub async fn seal_clear_secrets(store: &Store, sealing: &Sealing) -> Result<u64> {
    let rows =
        sqlx::query("SELECT id, totp_secret FROM users WHERE totp_secret IS NOT NULL AND totp_secret NOT LIKE 'sm4:%'")
            .fetch_all(store.pool())
            .await?;
    let mut tx = store.begin().await?;
    for row in &rows {
        let (id, clear): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
        sqlx::query("UPDATE users SET totp_secret = $1 WHERE id = $2 AND totp_secret = $3")
            .bind(seal(sealing, &clear))
            .bind(id)
            .bind(&clear)
            .execute(&mut *tx)
            .await?;
        // The stored form changed, so its fingerprint did: a version says so.
        let why = ("seal_secret", "双因素密钥改为加密存储");
        crate::state::record_user(&mut tx, "system", id, why, crate::state::Base::Current).await?;
    }
    tx.commit().await?;
    Ok(rows.len() as u64)
}

const STEP: u64 = 30;
const DIGITS: usize = 6;

fn totp_for(secret_b32: &str) -> Result<TOTP> {
    let bytes = Secret::Encoded(secret_b32.to_string()).to_bytes().map_err(|_| {
        IdentityError::Store(yaolian_store::StoreError::Corrupt("stored TOTP secret is not base32".into()))
    })?;
    TOTP::new(Algorithm::SHA1, DIGITS, 1, STEP, bytes)
        .map_err(|e| IdentityError::Store(yaolian_store::StoreError::Corrupt(format!("TOTP secret: {e}"))))
}

/// The code for `secret_b32` at Unix time `unix_seconds` (for authenticator-less tests).
pub fn code_at(secret_b32: &str, unix_seconds: u64) -> Result<String> {
    Ok(totp_for(secret_b32)?.generate(unix_seconds))
}

/// The time step (`unix / 30`) that `code` matches within one step of `now`, if any.
pub fn matching_step(secret_b32: &str, code: &str, now: u64) -> Result<Option<u64>> {
    let totp = totp_for(secret_b32)?;
    let code = code.trim();
    let current = now / STEP;
    for step in [current.saturating_sub(1), current, current + 1] {
        if totp.generate(step * STEP) == code {
            return Ok(Some(step));
        }
    }
    Ok(None)
}

fn unix_now() -> u64 {
    (yaolian_core::Timestamp::now().0 / 1000).max(0) as u64
}

/// What a user needs to add the account to an authenticator app. Every field carries the
/// secret, so `Debug` shows none of them.
#[derive(Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Enrollment {
    /// Base32 secret, for typing in by hand.
    pub secret: String,
    /// `otpauth://` URI (Google Authenticator key URI format).
    pub otpauth_uri: String,
    /// The URI as an SVG QR code.
    pub qr_svg: String,
}

impl std::fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrollment")
            .field("secret", &yaolian_core::REDACTED)
            .field("otpauth_uri", &yaolian_core::REDACTED)
            .field("qr_svg", &yaolian_core::REDACTED)
            .finish()
    }
}

/// Starts (or restarts) enrollment: a fresh secret, kept pending until confirmed.
pub async fn begin_enrollment(store: &Store, config: &IdentityConfig, principal: &Principal) -> Result<Enrollment> {
    let mut raw = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let secret = match Secret::Raw(raw.to_vec()).to_encoded() {
        Secret::Encoded(s) => s,
        Secret::Raw(_) => return Err(IdentityError::Store(yaolian_store::StoreError::Corrupt("base32".into()))),
    };
    sqlx::query("UPDATE users SET totp_secret = $1, totp_enabled = 0 WHERE id = $2 AND totp_enabled = 0")
        .bind(seal(&config.sealing, &secret))
        .bind(principal.user_id())
        .execute(store.pool())
        .await?;
    let label = urlencoding_min(&format!("yaolian:{}", principal.username()));
    let otpauth_uri =
        format!("otpauth://totp/{label}?secret={secret}&issuer=yaolian&algorithm=SHA1&digits={DIGITS}&period={STEP}");
    let qr_svg = QrCode::new(otpauth_uri.as_bytes())
        .map(|c| c.render::<svg::Color<'_>>().min_dimensions(200, 200).build())
        .unwrap_or_default();
    Ok(Enrollment { secret, otpauth_uri, qr_svg })
}

fn urlencoding_min(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Confirms enrollment with a first code; from now on login asks for a code. When called
/// during a login that required enrollment, `session_token` is promoted to a full session.
pub async fn confirm_enrollment(
    store: &Store,
    config: &IdentityConfig,
    principal: &Principal,
    code: &str,
    session_token: Option<&str>,
    client: &ClientInfo,
) -> Result<()> {
    let row = sqlx::query("SELECT totp_secret, totp_enabled FROM users WHERE id = $1")
        .bind(principal.user_id())
        .fetch_one(store.pool())
        .await?;
    let secret: Option<String> = row.try_get(0)?;
    let enabled: i64 = row.try_get(1)?;
    let Some(secret) = secret.filter(|_| enabled == 0) else {
        return Err(
            yaolian_core::ValidationError::single("code", "enrollment_started", "start TOTP enrollment first").into()
        );
    };
    let Some(step) = matching_step(&open(&config.sealing, &secret)?, code, unix_now())? else {
        return Err(IdentityError::InvalidTotp);
    };
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE users SET totp_enabled = 1, totp_last_step = $1 WHERE id = $2")
        .bind(step as i64)
        .bind(principal.user_id())
        .execute(&mut *tx)
        .await?;
    // The second factor now in force is a credential: its fingerprint is versioned.
    let why = ("totp_enroll", "启用双因素认证");
    crate::state::record_user(&mut tx, principal.username(), principal.user_id(), why, crate::state::Base::Current)
        .await?;
    audit::record(&mut tx, audit::Event::by(principal, action::MFA_ENROLLED, "", client)).await?;
    tx.commit().await?;
    if let Some(token) = session_token {
        auth::promote_session(store, token).await?;
    }
    Ok(())
}

/// Checks a code for an enrolled user and consumes its time step.
pub async fn verify_for_user(store: &Store, config: &IdentityConfig, user_id: i64, code: &str) -> Result<()> {
    let row = sqlx::query("SELECT totp_secret, totp_enabled, totp_last_step FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(store.pool())
        .await?;
    let secret: Option<String> = row.try_get(0)?;
    let enabled: i64 = row.try_get(1)?;
    let last_step: i64 = row.try_get(2)?;
    let Some(secret) = secret.filter(|_| enabled != 0) else {
        return Err(IdentityError::InvalidTotp);
    };
    match matching_step(&open(&config.sealing, &secret)?, code, unix_now())? {
        Some(step) if (step as i64) > last_step => {
            // Conditional update: of two concurrent uses of one code only one succeeds.
            let done = sqlx::query("UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1")
                .bind(step as i64)
                .bind(user_id)
                .execute(store.pool())
                .await?;
            if done.rows_affected() == 1 {
                Ok(())
            } else {
                Err(IdentityError::InvalidTotp)
            }
        }
        _ => Err(IdentityError::InvalidTotp),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B: SHA-1 seed "12345678901234567890"; at T = 59 s the 8-digit code is
    /// 94287082 and at T = 1111111109 s it is 07081804. Our 6-digit codes are their last six
    /// digits (RFC 4226 §5.3 truncation mod 10^6).
    #[test]
    fn rfc6238_vectors() {
        let secret = match Secret::Raw(b"12345678901234567890".to_vec()).to_encoded() {
            Secret::Encoded(s) => s,
            Secret::Raw(_) => unreachable!(),
        };
        assert_eq!(code_at(&secret, 59).unwrap(), "287082");
        assert_eq!(code_at(&secret, 1_111_111_109).unwrap(), "081804");
        assert_eq!(code_at(&secret, 1_234_567_890).unwrap(), "005924");
        assert_eq!(matching_step(&secret, "287082", 59 + 30).unwrap(), Some(1), "one step of skew");
        assert_eq!(matching_step(&secret, "287082", 59 + 90).unwrap(), None);
    }
}
