//! Licenses as stored: issue, change, renew, suspend, reinstate and revoke, each a versioned,
//! ledgered record (entity `license`) in one transaction with the signed document it produces,
//! the dossier timeline event and the audit event.
//!
//! A change or renewal issues a new 证照版本: a new document with the next identifier, signed
//! again; the previous document is then *superseded*. Suspension and revocation change the
//! license's state, not its document: every version's identifier then verifies as suspended or
//! revoked, with the reason.
//!
//! Who may do what: `license.read` over the holder (a bureau its jurisdiction, a company its
//! own); `license.manage` over the holder, by a regulator, whose organization is the issuing
//! authority. The public verification needs no login.

use crate::error::{LicenseError, Result};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use yaolian_access::{perm, scope_filter, OrgKind};
use yaolian_access::{ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::IdentityError;
use yaolian_ledger::sign::KeyPair;
use yaolian_registry::timeline::{self, NewEvent};
use yaolian_store::sql::Params;
use yaolian_store::{versions, NewVersion, Store, Tx};

use crate::document::{LicenseDocument, LicenseSignature, SignedLicense, SIGNATURE_ALG};
use crate::identifier::LicenseId;
use crate::kinds::Kind;

mod read;

use read::get_unchecked;
pub use read::{
    drifts, export, get, list, revocations, seal, signature_holds, summary, table, to_csv, verify_public, Revoked,
    Seal, Summary, Verification, EXPIRING_DAYS,
};

/// The versioned-record entity of licenses.
pub const ENTITY: &str = "license";

/// The site's SM4 sealing key: authority keys are kept sealed under it.
pub use yaolian_ledger::sign::Sealing;

/// Input for a new license.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewLicense {
    /// drug_manufacturing, drug_wholesale, drug_retail or preparation.
    pub kind: String,
    /// The holder (a company).
    pub holder_org_id: i64,
    /// 许可证编号; generated in the provincial form when absent.
    #[serde(default)]
    pub number: Option<String>,
    /// YYYY-MM-DD; today when absent.
    #[serde(default)]
    pub valid_from: Option<String>,
    /// YYYY-MM-DD; five years less a day after `valid_from` when absent.
    #[serde(default)]
    pub valid_until: Option<String>,
    /// The license's fields (照面信息) by key.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

/// A change of a license's printed fields (许可事项变更) or a renewal (延续).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Reissue {
    /// Fields to set; others keep their value. An empty value clears an optional field.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// New expiry (renewal); for a renewal five more years when absent.
    #[serde(default)]
    pub valid_until: Option<String>,
    pub reason: String,
    pub expected_version: i64,
}

/// A license as shown.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct License {
    pub id: i64,
    pub kind: String,
    pub kind_zh: String,
    pub kind_en: String,
    pub holder_org_id: i64,
    pub issuer_org_id: i64,
    /// Stored status (证照状态).
    pub status: Status,
    /// What a verifier sees today.
    pub state: State,
    pub status_reason: String,
    #[schema(value_type = Option<i64>)]
    pub status_at: Option<Timestamp>,
    /// Days until expiry (negative once expired).
    pub days_left: i64,
    pub document: LicenseDocument,
    pub key_id: String,
    pub version: i64,
    #[schema(value_type = i64)]
    pub updated_at: Timestamp,
}

/// Filters of the license list.
#[derive(Debug, Clone, Default)]
pub struct LicenseQuery {
    /// Substring of number, holder name or identifier.
    pub q: Option<String>,
    pub kind: Option<String>,
    /// valid, suspended, revoked, expired, expiring (within 90 days).
    pub state: Option<String>,
    pub holder_org_id: Option<i64>,
    /// number, kind, holder, valid_until; anything else: updated_at (default, newest first).
    pub sort: Option<String>,
    pub desc: bool,
    pub limit: i64,
    pub offset: i64,
}

/// Suspend, reinstate or revoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusAction {
    Suspend,
    Reinstate,
    Revoke,
}

/// The stored status of a license (证照状态): what the issuing authority decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Valid,
    Suspended,
    Revoked,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Suspended => "suspended",
            Status::Revoked => "revoked",
        }
    }

    /// The status in its stored form; anything else is a damaged row.
    pub fn parse(s: &str) -> Result<Status> {
        Ok(match s {
            "valid" => Status::Valid,
            "suspended" => Status::Suspended,
            "revoked" => Status::Revoked,
            other => return Err(LicenseError::unreadable(format!("status {other:?}"))),
        })
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a verifier sees on a day (核验结果): the stored status, then the validity dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Valid,
    NotYetValid,
    Expired,
    Suspended,
    Revoked,
    /// A later version of the license replaced this document (only for an identifier).
    Superseded,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Valid => "valid",
            State::NotYetValid => "not_yet_valid",
            State::Expired => "expired",
            State::Suspended => "suspended",
            State::Revoked => "revoked",
            State::Superseded => "superseded",
        }
    }

    /// zh-CN label.
    pub fn label_zh(self) -> &'static str {
        match self {
            State::Valid => "有效",
            State::NotYetValid => "尚未生效",
            State::Expired => "已过期",
            State::Suspended => "已暂停",
            State::Revoked => "已吊销",
            State::Superseded => "已被新版本替代",
        }
    }

    /// Suspended or revoked: the authority's reason and date are shown.
    pub fn is_withdrawn(self) -> bool {
        matches!(self, State::Suspended | State::Revoked)
    }
}

impl StatusAction {
    fn apply(self, from: Status) -> Option<Status> {
        match (self, from) {
            (StatusAction::Suspend, Status::Valid) => Some(Status::Suspended),
            (StatusAction::Reinstate, Status::Suspended) => Some(Status::Valid),
            (StatusAction::Revoke, Status::Valid | Status::Suspended) => Some(Status::Revoked),
            _ => None,
        }
    }
    fn code(self) -> &'static str {
        match self {
            StatusAction::Suspend => "suspend",
            StatusAction::Reinstate => "reinstate",
            StatusAction::Revoke => "revoke",
        }
    }
    fn zh(self) -> &'static str {
        match self {
            StatusAction::Suspend => "暂停",
            StatusAction::Reinstate => "恢复",
            StatusAction::Revoke => "吊销",
        }
    }
    fn audit_action(self) -> &'static str {
        match self {
            StatusAction::Suspend => audit::action::LICENSE_SUSPEND,
            StatusAction::Reinstate => audit::action::LICENSE_REINSTATE,
            StatusAction::Revoke => audit::action::LICENSE_REVOKE,
        }
    }
}

/// The state a verifier sees on `today` (dates as `YYYY-MM-DD`, which order as text).
pub fn state_on(status: Status, valid_from: &str, valid_until: &str, today: &str) -> State {
    match status {
        Status::Revoked => State::Revoked,
        Status::Suspended => State::Suspended,
        Status::Valid if today < valid_from => State::NotYetValid,
        Status::Valid if today > valid_until => State::Expired,
        Status::Valid => State::Valid,
    }
}

fn today() -> chrono::NaiveDate {
    Timestamp::now().china_date()
}

fn date(field: &str, value: &str) -> std::result::Result<chrono::NaiveDate, ValidationError> {
    chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
        ValidationError::single(field, "date:YYYY-MM-DD", format!("{field} must be a date like 2026-01-31"))
    })
}

/// The day before the same date `years` later (29 February maps to 28 February).
fn plus_years_less_a_day(from: chrono::NaiveDate, years: i32) -> chrono::NaiveDate {
    let months = chrono::Months::new(12 * years.unsigned_abs());
    let same_day = from.checked_add_months(months).unwrap_or(from);
    same_day.pred_opt().unwrap_or(same_day)
}

/// Checks a license's fields against its type: required ones present, no unknown keys.
fn check_fields(
    kind: Kind,
    fields: &BTreeMap<String, String>,
) -> std::result::Result<BTreeMap<String, String>, ValidationError> {
    let mut errors = ValidationError::new();
    let mut out = BTreeMap::new();
    for spec in kind.fields() {
        let value = fields.get(spec.key).map(|v| v.trim()).unwrap_or("");
        if spec.required && value.is_empty() {
            errors.push(format!("fields.{}", spec.key), "required", format!("{} is required", spec.zh));
        } else if value.chars().count() > 500 {
            errors.push(
                format!("fields.{}", spec.key),
                "length:0..500",
                format!("{} has at most 500 characters", spec.zh),
            );
        } else if !value.is_empty() {
            out.insert(spec.key.to_string(), value.to_string());
        }
    }
    for key in fields.keys() {
        if !kind.fields().iter().any(|s| s.key == key) {
            let known: Vec<&str> = kind.fields().iter().map(|s| s.key).collect();
            errors.push(
                format!("fields.{key}"),
                format!("one_of:{}", known.join(",")),
                format!("{} has no field {key}", kind.label_zh()),
            );
        }
    }
    errors.into_result()?;
    Ok(out)
}

/// An organization as a license needs it.
struct OrgFacts {
    name: String,
    code: String,
    path: String,
    kind: String,
    region: String,
}

async fn org_facts(tx: &mut Tx<'_>, field: &str, id: i64) -> Result<OrgFacts> {
    let row = sqlx::query("SELECT name, code, path, kind, region FROM orgs WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| ValidationError::single(field, "exists", format!("no organization {id}")))?;
    Ok(OrgFacts {
        name: row.try_get(0)?,
        code: row.try_get(1)?,
        path: row.try_get(2)?,
        kind: row.try_get(3)?,
        region: row.try_get(4)?,
    })
}

impl OrgFacts {
    /// The 6-digit administrative-division code: the organization's region, else the
    /// registration-authority part of its USCC (characters 3 to 8).
    fn division(&self) -> String {
        if self.region.len() >= 6 && self.region.bytes().take(6).all(|b| b.is_ascii_digit()) {
            return self.region[..6].to_string();
        }
        self.code.get(2..8).unwrap_or("000000").to_string()
    }
}

/// The authority's active SM2 key, created at its first signature.
pub async fn authority_key(tx: &mut Tx<'_>, org_id: i64, sealing: &Sealing) -> Result<(String, KeyPair)> {
    let row = sqlx::query("SELECT key_id, sealed_private FROM authority_keys WHERE org_id = $1 AND active = 1")
        .bind(org_id)
        .fetch_optional(&mut **tx)
        .await?;
    if let Some(row) = row {
        let id: String = row.try_get(0)?;
        let sealed: Vec<u8> = row.try_get(1)?;
        let key = KeyPair::unseal(&sealed, &sealing.0)
            .map_err(|e| LicenseError::SealingKey { key_id: id.clone(), detail: e.to_string() })?;
        return Ok((id, key));
    }
    let key = KeyPair::generate();
    let pem = key.public_pem();
    let id = yaolian_store::ledger::key_id(&pem);
    sqlx::query(
        "INSERT INTO authority_keys (key_id, org_id, public_pem, sealed_private, created_at, active) \
         VALUES ($1, $2, $3, $4, $5, 1)",
    )
    .bind(&id)
    .bind(org_id)
    .bind(&pem)
    .bind(key.seal(&sealing.0))
    .bind(Timestamp::now().0)
    .execute(&mut **tx)
    .await?;
    Ok((id, key))
}

/// An authority public key by id (PEM), for offline verification.
pub async fn authority_public_key(store: &Store, key_id: &str) -> Result<String> {
    sqlx::query("SELECT public_pem FROM authority_keys WHERE key_id = $1")
        .bind(key_id)
        .fetch_optional(store.pool())
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
        .ok_or(IdentityError::NotFound("authority key").into())
}

/// Signs a document with the issuer's key and stores it.
async fn sign_and_store(
    tx: &mut Tx<'_>,
    sealing: &Sealing,
    issuer_org_id: i64,
    license_id: i64,
    doc: &LicenseDocument,
) -> Result<String> {
    let (key_id, key) = authority_key(tx, issuer_org_id, sealing).await?;
    let message = doc.message();
    let signature = key.sign(&message);
    sqlx::query(
        "INSERT INTO license_documents (identifier, license_id, doc_version, document, key_id, signature, signed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&doc.identifier)
    .bind(license_id)
    .bind(i64::from(doc.version))
    .bind(String::from_utf8_lossy(&message).into_owned())
    .bind(&key_id)
    .bind(signature)
    .bind(Timestamp::now().0)
    .execute(&mut **tx)
    .await?;
    Ok(key_id)
}

/// The record's after-image: the document and the state.
fn state_json(id: i64, doc: &LicenseDocument, status: Status, reason: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "document": doc,
        "status": status.as_str(),
        "status_reason": reason,
    })
}

/// Who issues, changes, renews, suspends and revokes: a regulator with `license.manage` over
/// the holder (at `holder_path`).
pub fn may_manage(principal: &Principal, holder_path: &str) -> bool {
    principal.org_kind().is_regulator() && principal.reaches(perm::LICENSE_MANAGE, holder_path)
}

/// Whether the principal manages licenses of anyone at all (the list page's issuing form).
pub fn manages_any(principal: &Principal) -> bool {
    principal.org_kind().is_regulator() && principal.has(perm::LICENSE_MANAGE)
}

/// Who issues: a regulator with `license.manage` over the holder.
async fn check_manage(
    store: &Store,
    principal: &Principal,
    holder_path: &str,
    target: &str,
    client: &ClientInfo,
) -> Result<()> {
    if !may_manage(principal, holder_path) {
        return Err(audit::deny(store, principal, perm::LICENSE_MANAGE, target, client).await);
    }
    Ok(())
}

/// Issues a license (by a regulator with `license.manage` over the holder; the issuer is the
/// regulator's organization).
pub async fn issue(
    store: &Store,
    sealing: &Sealing,
    principal: &Principal,
    new: &NewLicense,
    client: &ClientInfo,
) -> Result<License> {
    let mut tx = store.begin().await?;
    let holder = org_facts(&mut tx, "holder_org_id", new.holder_org_id).await?;
    check_manage(store, principal, &holder.path, "licenses", client).await?;
    let id = issue_in_tx(&mut tx, sealing, principal, principal.org_id(), new, "issue").await?;
    audit::record(&mut tx, audit::Event::by(principal, audit::action::LICENSE_ISSUE, &format!("license:{id}"), client))
        .await?;
    tx.commit().await?;
    get_unchecked(store, id).await
}

/// Issues a license inside the caller's transaction (the caller has authorized it, e.g. a
/// signed decision on an application). Returns the license id.
pub async fn issue_in_tx(
    tx: &mut Tx<'_>,
    sealing: &Sealing,
    actor: &Principal,
    issuer_org_id: i64,
    new: &NewLicense,
    reason: &str,
) -> Result<i64> {
    let kind = Kind::parse(new.kind.trim()).ok_or_else(|| {
        let codes: Vec<&str> = crate::kinds::ALL.iter().map(|k| k.code()).collect();
        ValidationError::single("kind", format!("one_of:{}", codes.join(",")), "unknown license type")
    })?;
    let fields = check_fields(kind, &new.fields)?;
    let holder = org_facts(tx, "holder_org_id", new.holder_org_id).await?;
    if holder.kind != OrgKind::Company.as_str() {
        return Err(ValidationError::single("holder_org_id", "kind:company", "a license is held by a company").into());
    }
    let issuer = org_facts(tx, "issuer_org_id", issuer_org_id).await?;
    if !OrgKind::parse(&issuer.kind).is_some_and(OrgKind::is_regulator) {
        return Err(
            ValidationError::single("issuer_org_id", "kind:regulator", "licenses are issued by a regulator").into()
        );
    }
    let today = today();
    let valid_from = match new.valid_from.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => date("valid_from", s)?,
        None => today,
    };
    let valid_until = match new.valid_until.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => date("valid_until", s)?,
        None => plus_years_less_a_day(valid_from, kind.validity_years()),
    };
    if valid_until < valid_from {
        return Err(
            ValidationError::single("valid_until", "after:valid_from", "expiry must not be before the start").into()
        );
    }
    let year = chrono::Datelike::year(&today);
    // Serials run per authority and year: YYYY + 7 digits (both ranges use an index).
    let (lo, hi) = (format!("{year}"), format!("{}", year + 1));
    let last: Option<String> =
        sqlx::query("SELECT MAX(serial) FROM licenses WHERE issuer_org_id = $1 AND serial >= $2 AND serial < $3")
            .bind(issuer_org_id)
            .bind(&lo)
            .bind(&hi)
            .fetch_one(&mut **tx)
            .await?
            .try_get(0)?;
    let next = last.and_then(|s| s.get(4..).and_then(|n| n.parse::<u64>().ok())).unwrap_or(0) + 1;
    let serial = format!("{year}{next:07}");
    let number = match new.number.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(n) if n.chars().count() <= 40 => n.to_string(),
        Some(_) => {
            return Err(ValidationError::single("number", "length:1..40", "许可证编号 has at most 40 characters").into())
        }
        // The authority's sequence of the year serves the number too: unique without a count.
        None => kind.number(&issuer.division(), year, u32::try_from(next).unwrap_or(u32::MAX)),
    };
    let taken = sqlx::query("SELECT 1 FROM licenses WHERE kind = $1 AND issuer_org_id = $2 AND number = $3")
        .bind(kind.code())
        .bind(issuer_org_id)
        .bind(&number)
        .fetch_optional(&mut **tx)
        .await?;
    if taken.is_some() {
        return Err(ValidationError::single(
            "number",
            "unique",
            format!("{number} is already a {} of this authority", kind.label_zh()),
        )
        .into());
    }
    let identifier = LicenseId::generate(&kind.type_code(), &issuer.code, &serial, 1)
        .map_err(|e| ValidationError::single(e.field, e.rule, e.message))?;
    let mut all_fields = fields;
    if let Some(mode) = kind.mode_zh() {
        all_fields.insert("mode".into(), mode.into());
    }
    let doc = LicenseDocument {
        name: kind.license_name().into(),
        kind: kind.code().into(),
        type_code: kind.type_code(),
        number: number.clone(),
        identifier: identifier.to_string(),
        version: 1,
        holder: holder.name.clone(),
        holder_code: holder.code.clone(),
        holder_code_type: "统一社会信用代码".into(),
        issuer: issuer.name.clone(),
        issuer_code: issuer.code.clone(),
        issued_on: today.to_string(),
        valid_from: valid_from.to_string(),
        valid_until: valid_until.to_string(),
        jurisdiction: issuer.division(),
        fields: all_fields,
    };
    let now = Timestamp::now();
    let id: i64 = sqlx::query(
        "INSERT INTO licenses (kind, number, serial, identifier, doc_version, holder_org_id, holder_name, issuer_org_id, \
         issued_on, valid_from, valid_until, status, version, updated_at) \
         VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8, $9, $10, 'valid', 1, $11) RETURNING id",
    )
    .bind(kind.code())
    .bind(&number)
    .bind(&serial)
    .bind(&doc.identifier)
    .bind(new.holder_org_id)
    .bind(&holder.name)
    .bind(issuer_org_id)
    .bind(&doc.issued_on)
    .bind(&doc.valid_from)
    .bind(&doc.valid_until)
    .bind(now.0)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    sign_and_store(tx, sealing, issuer_org_id, id, &doc).await?;
    versions::append(
        tx,
        NewVersion {
            entity: ENTITY,
            entity_id: &id.to_string(),
            actor: actor.username(),
            action: "issue",
            reason,
            data: &state_json(id, &doc, Status::Valid, ""),
            expected_version: None,
        },
    )
    .await?;
    let title = format!("核发{} {number}", kind.label_zh());
    let link = format!("/licenses/{id}");
    let event = NewEvent {
        org_id: new.holder_org_id,
        product_id: None,
        module: "license",
        kind: "license_issued",
        title: &title,
        link: &link,
    };
    timeline::add(tx, &event).await?;
    Ok(id)
}

/// The stored row a change starts from.
struct Current {
    doc: LicenseDocument,
    status: Status,
    status_reason: String,
    version: i64,
    issuer_org_id: i64,
    holder_org_id: i64,
    holder_path: String,
}

impl Current {
    /// Optimistic concurrency: the change was made on the version still stored.
    fn check_version(&self, expected: i64) -> Result<()> {
        if self.version != expected {
            return Err(LicenseError::StaleVersion { current: self.version, expected });
        }
        Ok(())
    }
}

async fn current(tx: &mut Tx<'_>, id: i64) -> Result<Current> {
    let row = sqlx::query(
        "SELECT d.document, l.status, l.status_reason, l.version, l.issuer_org_id, l.holder_org_id, o.path \
         FROM licenses l JOIN license_documents d ON d.license_id = l.id AND d.doc_version = l.doc_version \
         JOIN orgs o ON o.id = l.holder_org_id WHERE l.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(IdentityError::NotFound("license"))?;
    let text: String = row.try_get(0)?;
    Ok(Current {
        doc: serde_json::from_str(&text).map_err(|e| LicenseError::unreadable(format!("{id}: {e}")))?,
        status: Status::parse(&row.try_get::<String, _>(1)?)?,
        status_reason: row.try_get(2)?,
        version: row.try_get(3)?,
        issuer_org_id: row.try_get(4)?,
        holder_org_id: row.try_get(5)?,
        holder_path: row.try_get(6)?,
    })
}

fn check_reason(reason: &str) -> std::result::Result<(), ValidationError> {
    let n = reason.trim().chars().count();
    if n == 0 || n > 500 {
        return Err(ValidationError::single("reason", "length:1..500", "give the reason (1 to 500 characters)"));
    }
    Ok(())
}

/// Whether a reissue is a change of fields or a renewal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReissueKind {
    Change,
    Renew,
}

/// Changes a license's fields or renews it: a new signed document version (by a regulator with
/// `license.manage` over the holder).
pub async fn reissue(
    store: &Store,
    sealing: &Sealing,
    principal: &Principal,
    id: i64,
    what: ReissueKind,
    change: &Reissue,
    client: &ClientInfo,
) -> Result<License> {
    check_reason(&change.reason)?;
    let mut tx = store.begin().await?;
    let cur = current(&mut tx, id).await?;
    let target = format!("license:{id}");
    check_manage(store, principal, &cur.holder_path, &target, client).await?;
    reissue_in_tx(&mut tx, sealing, principal, id, what, change).await?;
    let action = match what {
        ReissueKind::Change => audit::action::LICENSE_CHANGE,
        ReissueKind::Renew => audit::action::LICENSE_RENEW,
    };
    audit::record(&mut tx, audit::Event::by(principal, action, &target, client)).await?;
    tx.commit().await?;
    get_unchecked(store, id).await
}

/// A change or renewal inside the caller's transaction (the caller has authorized it).
pub async fn reissue_in_tx(
    tx: &mut Tx<'_>,
    sealing: &Sealing,
    actor: &Principal,
    id: i64,
    what: ReissueKind,
    change: &Reissue,
) -> Result<()> {
    check_reason(&change.reason)?;
    let cur = current(tx, id).await?;
    cur.check_version(change.expected_version)?;
    if cur.status == Status::Revoked {
        return Err(LicenseError::Revoked);
    }
    let kind = Kind::parse(&cur.doc.kind).ok_or(IdentityError::NotFound("license type"))?;
    let mut fields = cur.doc.fields.clone();
    fields.remove("mode");
    for (k, v) in &change.fields {
        fields.insert(k.clone(), v.clone());
    }
    let mut fields = check_fields(kind, &fields)?;
    if let Some(mode) = kind.mode_zh() {
        fields.insert("mode".into(), mode.into());
    }
    let today = today();
    let old_until = date("valid_until", &cur.doc.valid_until)?;
    let (valid_from, valid_until) = match (what, change.valid_until.as_deref().filter(|s| !s.trim().is_empty())) {
        (ReissueKind::Change, None) => (cur.doc.valid_from.clone(), cur.doc.valid_until.clone()),
        (ReissueKind::Change, Some(_)) => {
            return Err(ValidationError::single(
                "valid_until",
                "renewal_only",
                "only a renewal (延续) changes the expiry",
            )
            .into())
        }
        (ReissueKind::Renew, given) => {
            let until = match given {
                Some(s) => date("valid_until", s)?,
                None => plus_years_less_a_day(old_until.succ_opt().unwrap_or(old_until), kind.validity_years()),
            };
            if until <= old_until {
                return Err(ValidationError::single(
                    "valid_until",
                    "after:current_expiry",
                    "a renewal extends the expiry",
                )
                .into());
            }
            (today.to_string(), until.to_string())
        }
    };
    let prev = LicenseId::parse("identifier", &cur.doc.identifier)
        .map_err(|e| ValidationError::single(e.field, e.rule, e.message))?;
    let next = prev.next_version().map_err(|e| ValidationError::single(e.field, e.rule, e.message))?;
    let doc = LicenseDocument {
        identifier: next.to_string(),
        version: next.version,
        issued_on: today.to_string(),
        valid_from,
        valid_until,
        fields,
        ..cur.doc.clone()
    };
    sign_and_store(tx, sealing, cur.issuer_org_id, id, &doc).await?;
    let version = cur.version + 1;
    sqlx::query(
        "UPDATE licenses SET identifier = $1, doc_version = $2, issued_on = $3, valid_from = $4, valid_until = $5, \
         version = $6, updated_at = $7 WHERE id = $8",
    )
    .bind(&doc.identifier)
    .bind(i64::from(doc.version))
    .bind(&doc.issued_on)
    .bind(&doc.valid_from)
    .bind(&doc.valid_until)
    .bind(version)
    .bind(Timestamp::now().0)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    let action = match what {
        ReissueKind::Change => "change",
        ReissueKind::Renew => "renew",
    };
    versions::append(
        tx,
        NewVersion {
            entity: ENTITY,
            entity_id: &id.to_string(),
            actor: actor.username(),
            action,
            reason: change.reason.trim(),
            data: &state_json(id, &doc, cur.status, &cur.status_reason),
            expected_version: Some(cur.version),
        },
    )
    .await?;
    let verb = if what == ReissueKind::Change { "变更" } else { "延续" };
    let title = format!("{verb}{} {}（第{}版）", kind.label_zh(), doc.number, doc.version);
    let link = format!("/licenses/{id}");
    let event = NewEvent {
        org_id: cur.holder_org_id,
        product_id: None,
        module: "license",
        kind: "license_reissued",
        title: &title,
        link: &link,
    };
    timeline::add(tx, &event).await?;
    Ok(())
}

/// Suspends, reinstates or revokes a license, with the reason (by a regulator with
/// `license.manage` over the holder).
pub async fn set_status(
    store: &Store,
    principal: &Principal,
    id: i64,
    action: StatusAction,
    reason: &str,
    expected_version: i64,
    client: &ClientInfo,
) -> Result<License> {
    check_reason(reason)?;
    let mut tx = store.begin().await?;
    let cur = current(&mut tx, id).await?;
    let target = format!("license:{id}");
    check_manage(store, principal, &cur.holder_path, &target, client).await?;
    cur.check_version(expected_version)?;
    let Some(to) = action.apply(cur.status) else {
        return Err(LicenseError::WrongState { status: cur.status.as_str(), action: action.code() });
    };
    let now = Timestamp::now();
    let version = cur.version + 1;
    sqlx::query("UPDATE licenses SET status = $1, status_reason = $2, status_at = $3, version = $4, updated_at = $3 WHERE id = $5")
        .bind(to.as_str())
        .bind(reason.trim())
        .bind(now.0)
        .bind(version)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    versions::append(
        &mut tx,
        NewVersion {
            entity: ENTITY,
            entity_id: &id.to_string(),
            actor: principal.username(),
            action: action.code(),
            reason: reason.trim(),
            data: &state_json(id, &cur.doc, to, reason.trim()),
            expected_version: Some(cur.version),
        },
    )
    .await?;
    let title = format!("{}{} {}：{}", action.zh(), cur.doc.name, cur.doc.number, reason.trim());
    let link = format!("/licenses/{id}");
    let event = NewEvent {
        org_id: cur.holder_org_id,
        product_id: None,
        module: "license",
        kind: "license_status",
        title: &title,
        link: &link,
    };
    timeline::add(&mut tx, &event).await?;
    audit::record(
        &mut tx,
        audit::Event { detail: reason.trim(), ..audit::Event::by(principal, action.audit_action(), &target, client) },
    )
    .await?;
    tx.commit().await?;
    get_unchecked(store, id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_follow_status_then_dates() {
        assert_eq!(state_on(Status::Valid, "2026-01-01", "2030-12-31", "2026-11-28"), State::Valid);
        assert_eq!(state_on(Status::Valid, "2026-01-01", "2026-11-27", "2026-11-28"), State::Expired);
        assert_eq!(state_on(Status::Valid, "2026-12-01", "2030-12-31", "2026-11-28"), State::NotYetValid);
        assert_eq!(state_on(Status::Suspended, "2026-01-01", "2030-12-31", "2026-11-28"), State::Suspended);
        assert_eq!(state_on(Status::Revoked, "2026-01-01", "2026-01-02", "2026-11-28"), State::Revoked);
    }

    #[test]
    fn validity_is_five_years_less_a_day() {
        let d = |s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        assert_eq!(plus_years_less_a_day(d("2026-11-28"), 5), d("2031-11-27"));
        // From a leap day the same day does not exist: 28 February, less a day.
        assert_eq!(plus_years_less_a_day(d("2028-02-29"), 5), d("2033-02-27"));
    }

    #[test]
    fn status_moves_are_the_allowed_ones() {
        assert_eq!(StatusAction::Suspend.apply(Status::Valid), Some(Status::Suspended));
        assert_eq!(StatusAction::Reinstate.apply(Status::Suspended), Some(Status::Valid));
        assert_eq!(StatusAction::Revoke.apply(Status::Suspended), Some(Status::Revoked));
        assert_eq!(StatusAction::Revoke.apply(Status::Revoked), None);
        assert_eq!(StatusAction::Reinstate.apply(Status::Revoked), None);
        assert_eq!(StatusAction::Suspend.apply(Status::Suspended), None);
    }

    #[test]
    fn fields_are_checked_against_the_type() {
        let mut f = BTreeMap::new();
        f.insert("legal_representative".to_string(), "张三".to_string());
        f.insert("colour".to_string(), "red".to_string());
        let err = check_fields(Kind::DrugRetail, &f).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("fields.principal"), "{err}");
        assert!(err.contains("fields.colour"), "{err}");
    }
}
