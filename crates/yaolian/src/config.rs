//! Configuration: command-line flags, then `YAOLIAN_*` environment variables (clap reads both),
//! then an optional TOML file (`--config`), then defaults.

use anyhow::{Context, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;
use yaolian_identity::password::PasswordPolicy;
use yaolian_identity::IdentityConfig;

/// Settings that may come from the TOML file. Every key is optional. `Debug` leaves out the
/// ledger key and the password in the database URL.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub addr: Option<String>,
    pub log_format: Option<String>,
    pub log_level: Option<String>,
    pub secure_cookies: Option<bool>,
    pub trust_proxy: Option<bool>,
    pub max_body_bytes: Option<usize>,
    pub max_connections: Option<u32>,
    /// Bearer token a metrics scraper sends for `/metrics` (also `YAOLIAN_METRICS_TOKEN`);
    /// without one `/metrics` is off.
    pub metrics_token: Option<String>,
    /// Requests a minute one source may make to the public license endpoints (default 60).
    pub public_per_minute: Option<u32>,
    /// 32 hex digits: the SM4 key sealing the site signing key.
    pub ledger_key: Option<String>,
    /// File holding that key (default `<data_dir>/ledger-seal.key`).
    pub ledger_key_file: Option<PathBuf>,
    /// Make a checkpoint when this many entries have been added since the last one.
    pub checkpoint_every: Option<u64>,
    /// ... or when this many seconds have passed with new entries.
    pub checkpoint_seconds: Option<u64>,
    #[serde(default)]
    pub security: SecurityConfig,
    #[serde(default)]
    pub quality: QualityFile,
    #[serde(default)]
    pub submission: SubmissionFile,
}

impl std::fmt::Debug for FileConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileConfig")
            .field("database_url", &self.database_url.as_deref().map(url_without_password))
            .field("data_dir", &self.data_dir)
            .field("addr", &self.addr)
            .field("log_format", &self.log_format)
            .field("log_level", &self.log_level)
            .field("secure_cookies", &self.secure_cookies)
            .field("trust_proxy", &self.trust_proxy)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_connections", &self.max_connections)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| yaolian_core::REDACTED))
            .field("public_per_minute", &self.public_per_minute)
            .field("ledger_key", &self.ledger_key.as_ref().map(|_| yaolian_core::REDACTED))
            .field("ledger_key_file", &self.ledger_key_file)
            .field("checkpoint_every", &self.checkpoint_every)
            .field("checkpoint_seconds", &self.checkpoint_seconds)
            .field("security", &self.security)
            .field("quality", &self.quality)
            .field("submission", &self.submission)
            .finish()
    }
}

/// A database URL with the password of its user info (`postgres://user:password@host/db`)
/// replaced by [`yaolian_core::REDACTED`].
fn url_without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    match authority.rsplit_once('@').and_then(|(info, _)| info.split_once(':')) {
        Some((user, _password)) => {
            let host = &rest[authority.rfind('@').map_or(0, |i| i + 1)..];
            format!("{scheme}://{user}:{}@{host}", yaolian_core::REDACTED)
        }
        None => url.to_string(),
    }
}

/// `[security]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityConfig {
    pub password_min_length: Option<usize>,
    pub password_min_classes: Option<usize>,
    pub lockout_threshold: Option<i64>,
    pub lockout_minutes: Option<u64>,
    pub session_idle_minutes: Option<u64>,
    pub session_absolute_hours: Option<u64>,
}

/// `[submission]` table: the regulator's receiver a company site sends built eCTD sequences to.
/// The API token of the company's account there comes from `YAOLIAN_SUBMISSION_TOKEN` or the
/// file `token_file`, never this file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmissionFile {
    /// The receiver's base URL, e.g. `https://yaolian.nmpa.example`.
    pub receiver_url: Option<String>,
    /// The receiver's signing key id as the regulator publishes it (SM3 of its public key, hex).
    pub receiver_key: Option<String>,
    pub token_file: Option<PathBuf>,
}

impl SubmissionFile {
    /// The receiver, when `receiver_url` is set: with its token, which must then be found.
    pub fn receiver(&self) -> Result<Option<yaolian_submission::transfers::Remote>> {
        let Some(url) = self.receiver_url.clone() else { return Ok(None) };
        let token =
            match (std::env::var("YAOLIAN_SUBMISSION_TOKEN").ok().filter(|t| !t.trim().is_empty()), &self.token_file) {
                (Some(t), _) => t,
                (None, Some(f)) => {
                    std::fs::read_to_string(f).with_context(|| format!("submission.token_file {}", f.display()))?
                }
                (None, None) => anyhow::bail!(
                "submission.receiver_url is set: give the token in YAOLIAN_SUBMISSION_TOKEN or submission.token_file"
            ),
            };
        Ok(Some(yaolian_submission::transfers::Remote {
            base_url: url,
            token: token.trim().to_string(),
            pinned_key: self.receiver_key.clone(),
        }))
    }
}

/// `[quality]` table: the quality system's settings.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualityFile {
    /// Deviation classes, most severe first: `["major", "minor"]` (China GMP §249) or
    /// `["critical", "major", "minor"]`.
    pub deviation_classes: Option<Vec<String>>,
    /// Classes whose deviation closes only with a CAPA.
    pub needs_capa: Option<Vec<String>>,
    pub deviation_days: Option<i64>,
    pub effectiveness_days: Option<i64>,
    /// A change's FMEA RPN from which its risk is high, and from which medium.
    pub rpn_high: Option<i64>,
    pub rpn_medium: Option<i64>,
    /// Acceptable batches to evaluate after a material or process change.
    pub first_batches: Option<i64>,
}

impl FileConfig {
    pub fn quality(&self) -> Result<yaolian_quality::QualityConfig> {
        let d = yaolian_quality::QualityConfig::default();
        let q = &self.quality;
        let cfg = yaolian_quality::QualityConfig {
            classes: q.deviation_classes.clone().unwrap_or(d.classes),
            needs_capa: q.needs_capa.clone().unwrap_or(d.needs_capa),
            deviation_days: q.deviation_days.unwrap_or(d.deviation_days),
            effectiveness_days: q.effectiveness_days.unwrap_or(d.effectiveness_days),
            rpn_high: q.rpn_high.unwrap_or(d.rpn_high),
            rpn_medium: q.rpn_medium.unwrap_or(d.rpn_medium),
            first_batches: q.first_batches.unwrap_or(d.first_batches),
        };
        for c in cfg.classes.iter().chain(&cfg.needs_capa) {
            anyhow::ensure!(
                yaolian_quality::class_zh(c).is_some(),
                "quality.deviation_classes and quality.needs_capa take critical, major or minor, not {c:?}"
            );
        }
        anyhow::ensure!(!cfg.classes.is_empty(), "quality.deviation_classes must name at least one class");
        anyhow::ensure!((1..=365).contains(&cfg.deviation_days), "quality.deviation_days must be 1 to 365");
        anyhow::ensure!((1..=730).contains(&cfg.effectiveness_days), "quality.effectiveness_days must be 1 to 730");
        anyhow::ensure!(
            1 <= cfg.rpn_medium && cfg.rpn_medium < cfg.rpn_high && cfg.rpn_high <= 1000,
            "quality.rpn_medium and quality.rpn_high must satisfy 1 <= rpn_medium < rpn_high <= 1000"
        );
        anyhow::ensure!((0..=20).contains(&cfg.first_batches), "quality.first_batches must be 0 to 20");
        Ok(cfg)
    }

    pub fn load(path: Option<&Path>) -> Result<FileConfig> {
        let Some(path) = path else {
            return Ok(FileConfig::default());
        };
        let text = std::fs::read_to_string(path).with_context(|| format!("reading config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("config file {}", path.display()))
    }

    pub fn identity(&self) -> Result<IdentityConfig> {
        let d = IdentityConfig::default();
        let s = &self.security;
        let cfg = IdentityConfig {
            password: PasswordPolicy {
                min_length: s.password_min_length.unwrap_or(d.password.min_length),
                min_classes: s.password_min_classes.unwrap_or(d.password.min_classes),
            },
            lockout_threshold: s.lockout_threshold.unwrap_or(d.lockout_threshold),
            lockout_duration: s.lockout_minutes.map(|m| Duration::from_secs(m * 60)).unwrap_or(d.lockout_duration),
            session_idle: s.session_idle_minutes.map(|m| Duration::from_secs(m * 60)).unwrap_or(d.session_idle),
            session_absolute: s
                .session_absolute_hours
                .map(|h| Duration::from_secs(h * 3600))
                .unwrap_or(d.session_absolute),
            // The site key, from the key file or `--ledger-key`, replaces it (`Settings::identity`).
            sealing: d.sealing.clone(),
        };
        anyhow::ensure!(
            (1..=4).contains(&cfg.password.min_classes),
            "security.password_min_classes must be 1 to 4, not {}",
            cfg.password.min_classes
        );
        anyhow::ensure!(cfg.password.min_length >= 8, "security.password_min_length must be at least 8");
        anyhow::ensure!(cfg.lockout_threshold >= 1, "security.lockout_threshold must be at least 1");
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_keys_override_defaults_and_bad_values_are_named() {
        let f: FileConfig =
            toml::from_str("addr = \"0.0.0.0:9000\"\n[security]\nlockout_threshold = 3\nsession_idle_minutes = 10\n")
                .unwrap();
        assert_eq!(f.addr.as_deref(), Some("0.0.0.0:9000"));
        let id = f.identity().unwrap();
        assert_eq!(id.lockout_threshold, 3);
        assert_eq!(id.session_idle, Duration::from_secs(600));
        assert_eq!(id.session_absolute, Duration::from_secs(12 * 3600));
        let bad: FileConfig = toml::from_str("[security]\npassword_min_classes = 7\n").unwrap();
        assert!(bad.identity().unwrap_err().to_string().contains("password_min_classes"));
        assert!(toml::from_str::<FileConfig>("no_such_key = 1").is_err());
        let q: FileConfig =
            toml::from_str("[quality]\ndeviation_classes = [\"critical\", \"major\", \"minor\"]\nrpn_high = 120\n")
                .unwrap();
        let qc = q.quality().unwrap();
        assert_eq!((qc.classes.len(), qc.rpn_high, qc.rpn_medium, qc.first_batches), (3, 120, 50, 3));
        let bad: FileConfig = toml::from_str("[quality]\nrpn_high = 40\n").unwrap();
        assert!(bad.quality().unwrap_err().to_string().contains("rpn_medium < rpn_high"));
        let bad: FileConfig = toml::from_str("[quality]\ndeviation_classes = [\"grave\"]\n").unwrap();
        assert!(bad.quality().unwrap_err().to_string().contains("grave"));
    }

    #[test]
    fn debug_leaves_out_the_ledger_key_and_the_database_password() {
        let f: FileConfig = toml::from_str(
            "database_url = \"postgres://yaolian:S3cret-Never-Shown@db.example:5432/yaolian?sslmode=require\"\n\
             ledger_key = \"00112233445566778899aabbccddeeff\"\n",
        )
        .unwrap();
        let debug = format!("{f:?}");
        assert!(!debug.contains("S3cret-Never-Shown") && !debug.contains("00112233"), "{debug}");
        assert!(debug.contains("postgres://yaolian:[redacted]@db.example:5432/yaolian?sslmode=require"), "{debug}");
        assert_eq!(url_without_password("sqlite:///var/lib/yaolian/y.db"), "sqlite:///var/lib/yaolian/y.db");
        assert_eq!(url_without_password("postgres://postgres@127.0.0.1/test"), "postgres://postgres@127.0.0.1/test");
    }
}
