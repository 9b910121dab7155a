//! Electronic signatures (电子签名) on record versions (21 CFR Part 11 §11.50, §11.70, §11.200;
//! NMPA 《药品记录与数据管理要求（试行）》).
//!
//! Signing re-authenticates at that moment: the password, and the TOTP code where the user is
//! enrolled. A wrong one is audited and counts towards lockout. Each user has an SM2 key pair
//! whose private key is sealed with SM4 under a key derived (argon2id) from the password, so
//! the server cannot sign for a user without the user's password. A password reset leaves the
//! old key unopenable: it is retired (its public half still verifies what it signed) and the next
//! signature creates a new pair. The signature binds the version's data hash and is itself a
//! versioned, ledgered record (entity `signature`).

use crate::history;
use crate::{audit, auth, password, totp, ClientInfo, IdentityConfig, IdentityError, Principal, Result};
use rand::RngCore;
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_ledger::esign::{self, ESignature, SignedContent};
use yaolian_ledger::sign::KeyPair;
use yaolian_ledger::{canonical_json, Hash};
use yaolian_store::ledger::{self as store_ledger, SIGNATURE_ENTITY};
use yaolian_store::versions::{self, NewVersion};
use yaolian_store::{Store, Tx};

/// A request to sign one version of a record. `Debug` leaves out the password and TOTP code.
#[derive(Clone)]
pub struct SignRequest<'a> {
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub version: i64,
    /// One of [`esign::MEANINGS`].
    pub meaning: &'a str,
    pub password: &'a str,
    /// Required when the signer is enrolled in TOTP.
    pub totp: Option<&'a str>,
}

impl std::fmt::Debug for SignRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignRequest")
            .field("entity", &self.entity)
            .field("entity_id", &self.entity_id)
            .field("version", &self.version)
            .field("meaning", &self.meaning)
            .field("password", &yaolian_core::REDACTED)
            .field("totp", &self.totp.map(|_| yaolian_core::REDACTED))
            .finish()
    }
}

/// A stored signature as shown to people: the manifestation and whether it still holds.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SignatureView {
    pub id: i64,
    pub version: i64,
    pub signer: String,
    /// Printed name (签名人).
    pub name: String,
    pub meaning: String,
    pub meaning_zh: String,
    pub meaning_en: String,
    #[schema(value_type = i64)]
    pub at: Timestamp,
    /// Date and time with zone, e.g. `2026-11-23 10:00:00 +08:00`.
    pub at_text: String,
    pub key_id: String,
    /// Hex DER SM2 signature.
    pub signature: String,
    /// The signature verifies under the signer's key and over the stored version's data.
    pub valid: bool,
    /// The signed version is the record's current version.
    pub on_current: bool,
}

/// The checks every signing request passes before anything is read: a known meaning, a
/// password typed, and a person (not the command-line operator) signing.
fn check_request(principal: &Principal, req: &SignRequest<'_>) -> Result<()> {
    let mut errors = ValidationError::new();
    if esign::meaning(req.meaning).is_none() {
        let codes: Vec<&str> = esign::MEANINGS.iter().map(|m| m.0).collect();
        errors.push("meaning", format!("one_of:{}", codes.join(",")), "choose what the signature means (签名含义)");
    }
    if req.password.is_empty() {
        errors.push("password", "required", "re-enter your password to sign");
    }
    errors.into_result()?;
    if principal.is_system() {
        return Err(IdentityError::Forbidden { permission: "a signature needs a person".into() });
    }
    Ok(())
}

/// Signs a version. The version must be the record's current one.
pub async fn sign(
    store: &Store,
    config: &IdentityConfig,
    principal: &Principal,
    req: &SignRequest<'_>,
    client: &ClientInfo,
) -> Result<SignatureView> {
    check_request(principal, req)?;
    let history = history::history(store, principal, req.entity, req.entity_id, client).await?;
    sign_history(store, config, principal, req, &history, client).await
}

/// Signs a version of a record whose module has already checked that the principal may read it.
pub async fn sign_checked(
    store: &Store,
    config: &IdentityConfig,
    principal: &Principal,
    req: &SignRequest<'_>,
    client: &ClientInfo,
) -> Result<SignatureView> {
    check_request(principal, req)?;
    let history = yaolian_store::versions::history(store.pool(), req.entity, req.entity_id).await?;
    sign_history(store, config, principal, req, &history, client).await
}

async fn sign_history(
    store: &Store,
    config: &IdentityConfig,
    principal: &Principal,
    req: &SignRequest<'_>,
    history: &[yaolian_store::RecordVersion],
    client: &ClientInfo,
) -> Result<SignatureView> {
    let Some(current) = history.last() else { return Err(IdentityError::NotFound("record")) };
    if req.version != current.version {
        return Err(IdentityError::Conflict(format!(
            "only the current version ({}) can be signed, not version {}",
            current.version, req.version
        )));
    }
    let target = format!("{}:{} v{}", req.entity, req.entity_id, req.version);
    reauthenticate(store, config, principal, req.password, req.totp, &target, client).await?;
    let mut tx = store.begin().await?;
    let view = sign_in_tx(&mut tx, principal, req.password, req.meaning, current, client).await?;
    tx.commit().await?;
    Ok(view)
}

/// Checks the signer's password (and TOTP code when enrolled) at the moment of signing. A wrong
/// one is audited as a failed signature on `target` and counts towards lockout.
pub async fn reauthenticate(
    store: &Store,
    config: &IdentityConfig,
    principal: &Principal,
    password_input: &str,
    totp_code: Option<&str>,
    target: &str,
    client: &ClientInfo,
) -> Result<()> {
    if password_input.is_empty() {
        return Err(ValidationError::single("password", "required", "re-enter your password to sign").into());
    }
    let row = sqlx::query("SELECT password_hash, totp_enabled FROM users WHERE id = $1")
        .bind(principal.user_id())
        .fetch_optional(store.pool())
        .await?
        .ok_or(IdentityError::Forbidden { permission: "a signature needs a person".into() })?;
    let hash: String = row.try_get(0)?;
    let totp_enabled = row.try_get::<i64, _>(1)? != 0;
    let failed = |detail: &'static str| audit::Event {
        outcome: "failed",
        detail,
        ..audit::Event::by(principal, audit::action::SIGN_FAILED, target, client)
    };
    if let Some(until) = auth::lock_in_force(store, principal.username(), client).await? {
        audit::record_now(store, failed("locked from this source")).await?;
        return Err(IdentityError::AccountLocked { until });
    }
    if !password::verify(password_input, &hash).await {
        if let Some(until) = auth::record_failure(store, config, failed("wrong password")).await? {
            return Err(IdentityError::AccountLocked { until });
        }
        return Err(IdentityError::InvalidCredentials);
    }
    if totp_enabled {
        let code = totp_code.unwrap_or("").trim();
        if totp::verify_for_user(store, config, principal.user_id(), code).await.is_err() {
            audit::record_now(store, failed("wrong or missing one-time code")).await?;
            return Err(IdentityError::InvalidTotp);
        }
    }
    Ok(())
}

/// The second person of a two-person rule (双人复核, e.g. 双人收发 of a highly toxic chemical):
/// the active user named `username`, authenticated now by their own password (and TOTP code
/// when enrolled), as [`reauthenticate`] does for the signer — a wrong one is audited against
/// that user on `target` and counts towards their lockout. A name that matches no active
/// account gets the same answer as a wrong password. The caller signs with the returned
/// principal ([`sign_in_tx`]) and checks that it is someone else who may act on the record.
#[allow(clippy::too_many_arguments)]
pub async fn second_person(
    store: &Store,
    config: &IdentityConfig,
    field: &str,
    username: &str,
    password_input: &str,
    totp_code: Option<&str>,
    target: &str,
    client: &ClientInfo,
) -> Result<Principal> {
    let username = username.trim();
    if username.is_empty() || password_input.is_empty() {
        return Err(ValidationError::single(
            field,
            "two_person",
            "a second person (复核人) signs with their own user name and password",
        )
        .into());
    }
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE username = $1 AND status = 'active'")
        .bind(username)
        .fetch_optional(store.pool())
        .await?;
    let Some(id) = id else {
        password::verify_unknown_user(password_input).await;
        return Err(IdentityError::InvalidCredentials);
    };
    let second = auth::principal_for_user(store, id).await?;
    reauthenticate(store, config, &second, password_input, totp_code, target, client).await?;
    Ok(second)
}

/// Signs `current` (a version written earlier in the same transaction, or the stored current
/// one) inside the caller's transaction, so that a decision and its signature commit together.
/// The caller has run [`reauthenticate`] with the same password.
pub async fn sign_in_tx(
    tx: &mut Tx<'_>,
    principal: &Principal,
    password_input: &str,
    meaning_code: &str,
    current: &yaolian_store::RecordVersion,
    client: &ClientInfo,
) -> Result<SignatureView> {
    let Some(meaning) = esign::meaning(meaning_code) else {
        return Err(ValidationError::single("meaning", "known", "unknown signature meaning").into());
    };
    if principal.is_system() {
        return Err(IdentityError::Forbidden { permission: "a signature needs a person".into() });
    }
    let target = format!("{}:{} v{}", current.entity, current.entity_id, current.version);
    let (key_id, key, public_pem) = signing_key(tx, principal.user_id(), password_input).await?;
    let (alg, _) = store_ledger::head(&mut **tx).await?;
    let now = Timestamp::now();
    let content = SignedContent {
        entity: current.entity.clone(),
        id: current.entity_id.clone(),
        version: current.version,
        hash_alg: alg,
        data_hash: alg.digest(&[&canonical_json(&current.data)]),
        meaning: meaning_code.to_string(),
        signer: principal.username().to_string(),
        name: principal.display_name().to_string(),
        time: now.0,
        zone: "+08:00".into(),
    };
    let der = key.sign(&content.message());
    let signature = ESignature {
        content: content.clone(),
        key_id: key_id.clone(),
        public_key: public_pem,
        signature: hex::encode(&der),
    };
    let id: i64 = sqlx::query(
        "INSERT INTO signatures (entity, entity_id, version, signer_id, signer_username, signer_name, meaning, at, \
         hash_alg, data_hash, key_id, signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(&current.entity)
    .bind(&current.entity_id)
    .bind(current.version)
    .bind(principal.user_id())
    .bind(principal.username())
    .bind(principal.display_name())
    .bind(meaning_code)
    .bind(now.0)
    .bind(alg.name())
    .bind(content.data_hash.0.to_vec())
    .bind(&key_id)
    .bind(der)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    let (zh, en) = meaning;
    versions::append(
        tx,
        NewVersion {
            entity: SIGNATURE_ENTITY,
            entity_id: &id.to_string(),
            actor: principal.username(),
            action: "sign",
            reason: &format!("{zh} / {en}"),
            data: &signature.to_json(),
            expected_version: None,
        },
    )
    .await?;
    audit::record(tx, audit::Event::by(principal, audit::action::SIGN, &target, client)).await?;
    Ok(view(id, &signature, true, true))
}

/// The user's active signing key, opened with the password; a new pair when there is none or
/// the password no longer opens it (after a reset).
async fn signing_key(tx: &mut Tx<'_>, user_id: i64, password_input: &str) -> Result<(String, KeyPair, String)> {
    let row = sqlx::query(
        "SELECT key_id, sealed_private, kdf_salt, public_pem FROM user_keys WHERE user_id = $1 AND active = 1",
    )
    .bind(user_id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(row) = row {
        let key_id: String = row.try_get(0)?;
        let sealed: Vec<u8> = row.try_get(1)?;
        let salt: Vec<u8> = row.try_get(2)?;
        let pem: String = row.try_get(3)?;
        if let Some(opened) =
            password::derive_key(password_input, &salt).await.and_then(|k| KeyPair::unseal(&sealed, &k).ok())
        {
            return Ok((key_id, opened, pem));
        }
        sqlx::query("UPDATE user_keys SET active = 0 WHERE key_id = $1").bind(&key_id).execute(&mut **tx).await?;
        tracing::info!(user_id, key_id, "signing key retired: the password no longer opens it");
    }
    let pair = KeyPair::generate();
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let sealing = password::derive_key(password_input, &salt)
        .await
        .ok_or_else(|| IdentityError::Conflict("could not derive a sealing key".into()))?;
    let pem = pair.public_pem();
    let key_id = store_ledger::key_id(&pem);
    sqlx::query(
        "INSERT INTO user_keys (key_id, user_id, public_pem, sealed_private, kdf_salt, created_at, active) \
         VALUES ($1, $2, $3, $4, $5, $6, 1)",
    )
    .bind(&key_id)
    .bind(user_id)
    .bind(&pem)
    .bind(pair.seal(&sealing))
    .bind(salt.to_vec())
    .bind(Timestamp::now().0)
    .execute(&mut **tx)
    .await?;
    Ok((key_id, pair, pem))
}

fn view(id: i64, s: &ESignature, valid: bool, on_current: bool) -> SignatureView {
    let c = &s.content;
    let (zh, en) = esign::meaning(&c.meaning).unwrap_or(("", ""));
    SignatureView {
        id,
        version: c.version,
        signer: c.signer.clone(),
        name: c.name.clone(),
        meaning: c.meaning.clone(),
        meaning_zh: zh.into(),
        meaning_en: en.into(),
        at: Timestamp(c.time),
        // China time carries its offset (+08:00), the zone the signature was made in.
        at_text: Timestamp(c.time).to_china_string(),
        key_id: s.key_id.clone(),
        signature: s.signature.clone(),
        valid,
        on_current,
    }
}

/// Every signature on a record, oldest first, each checked: the signature over its content
/// under the signer's stored public key, and its data hash against the stored version.
pub async fn signatures_of(
    store: &Store,
    principal: &Principal,
    entity: &str,
    entity_id: &str,
    client: &ClientInfo,
) -> Result<Vec<SignatureView>> {
    let history = history::history(store, principal, entity, entity_id, client).await?;
    signatures_for(store, &history).await
}

/// The signatures on a history already read (and access-checked) by the caller.
pub async fn signatures_for(store: &Store, history: &[yaolian_store::RecordVersion]) -> Result<Vec<SignatureView>> {
    let Some(current) = history.last() else { return Ok(Vec::new()) };
    let rows = sqlx::query(
        "SELECT s.id, s.version, s.signer_username, s.signer_name, s.meaning, s.at, s.hash_alg, s.data_hash, \
         s.key_id, s.signature, k.public_pem FROM signatures s JOIN user_keys k ON k.key_id = s.key_id \
         WHERE s.entity = $1 AND s.entity_id = $2 ORDER BY s.id",
    )
    .bind(&current.entity)
    .bind(&current.entity_id)
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let version: i64 = r.try_get(1)?;
        let alg: String = r.try_get(6)?;
        let alg = yaolian_ledger::HashAlg::parse(&alg)
            .ok_or_else(|| IdentityError::Conflict(format!("unknown hash {alg} on a signature")))?;
        let hash: Vec<u8> = r.try_get(7)?;
        let data_hash = Hash(hash.try_into().unwrap_or([0u8; 32]));
        let der: Vec<u8> = r.try_get(9)?;
        let signature = ESignature {
            content: SignedContent {
                entity: current.entity.clone(),
                id: current.entity_id.clone(),
                version,
                hash_alg: alg,
                data_hash,
                meaning: r.try_get(4)?,
                signer: r.try_get(2)?,
                name: r.try_get(3)?,
                time: r.try_get(5)?,
                zone: "+08:00".into(),
            },
            key_id: r.try_get(8)?,
            public_key: r.try_get(10)?,
            signature: hex::encode(&der),
        };
        let data = history.iter().find(|v| v.version == version).map(|v| &v.data);
        let valid = data.is_some() && signature.verify(data).is_ok();
        let id: i64 = r.try_get(0)?;
        out.push(view(id, &signature, valid, version == current.version));
    }
    Ok(out)
}

/// A kind of record in Chinese (what a signature signs, a history page names).
pub fn entity_zh(entity: &str) -> Option<&'static str> {
    Some(match entity {
        "license" => "证照",
        "application" => "许可申请",
        "service_type" => "办理事项",
        "calendar_day" => "工作日历",
        "company" => "企业档案",
        "product" => "药品档案",
        "person" => "人员档案",
        "user" => "用户",
        "org" => "机构",
        "role" => "角色",
        "role_request" => "角色申请",
        "audit" => "审计事件",
        "alert_rule" => "告警规则",
        "signature" => "电子签名",
        "trace_recall" => "召回",
        "trace_anomaly" => "追溯异常",
        "trace_anomaly_answer" => "异常答复",
        "trace_pack_code" => "包装层级码",
        "trace_batch" => "追溯数据批次",
        "trace_error_declaration" => "追溯错误声明",
        "lab_template_version" => "实验记录模板",
        "lab_record" => "实验记录",
        "lab_room" => "实验室房间",
        "lab_env_reading" => "环境监测记录",
        "lab_project" => "研发项目",
        "sup_case" => "风险处置",
        "sup_model" => "风险模型",
        "sup_score" => "风险评分",
        "sup_plan" => "年度检查计划",
        "sup_inspection" => "检查",
        "sup_onsite" => "现场检查记录",
        "sup_finding" => "检查缺陷",
        "sup_sampling_plan" => "抽检计划",
        "sup_sample" => "抽检样品",
        "sup_enforcement" => "行政处罚案件",
        "sup_complaint" => "投诉举报",
        _ => return None,
    })
}

/// The field catalogue of an electronic signature's record (`ESignature::to_json`).
pub fn labels(data: &serde_json::Value) -> yaolian_core::diff::Catalogue {
    use yaolian_core::diff::{Catalogue, Shown};
    fn meaning_zh(code: &str) -> Option<&'static str> {
        esign::meaning(code).map(|(zh, _)| zh)
    }
    let name = data["content"]["name"].as_str().unwrap_or_default();
    Catalogue::new(&[
        ("content", ""),
        ("content.name", "签名人"),
        ("content.signer", "签名人账号"),
        ("content.meaning", "签名含义"),
        ("content.time", "签名时间"),
        ("content.zone", "显示时区"),
        ("content.entity", "所签记录类别"),
        ("content.id", "所签记录编号"),
        ("content.version", "所签版本"),
        ("content.hash_alg", "摘要算法"),
        ("content.data_hash", "版本内容摘要"),
        ("key_id", "签名人公钥标识"),
        ("public_key", "签名人公钥"),
        ("signature", "SM2 签名值"),
    ])
    .shown("content.meaning", Shown::Code(meaning_zh))
    .shown("content.time", Shown::Time)
    .shown("content.entity", Shown::Code(entity_zh))
    .value_name("content.hash_alg", "sm3", "SM3")
    .value_name("content.hash_alg", "sha256", "SHA-256")
    .named(format!("电子签名 {name}").trim().to_string())
}
