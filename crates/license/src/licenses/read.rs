//! Reading licenses: one and a scoped list (with CSV), the signed export, the public
//! verification of an identifier, and the revocation list.

use super::*;

const COLUMNS: &str = "l.id, l.kind, l.holder_org_id, l.issuer_org_id, l.status, l.status_reason, l.status_at, \
    l.valid_from, l.valid_until, l.version, l.updated_at, d.document, d.key_id";
const FROM: &str = "licenses l JOIN license_documents d ON d.license_id = l.id AND d.doc_version = l.doc_version \
    JOIN orgs o ON o.id = l.holder_org_id";
/// A license's current document, after a list's own join of the holder (`access::scoped_join`).
const DOCUMENT: &str = "JOIN license_documents d ON d.license_id = l.id AND d.doc_version = l.doc_version";

fn from_row(r: &sqlx::any::AnyRow, today: chrono::NaiveDate) -> Result<License> {
    let kind_code: String = r.try_get("kind")?;
    let kind = Kind::parse(&kind_code);
    let text: String = r.try_get("document")?;
    let document: LicenseDocument = serde_json::from_str(&text).map_err(LicenseError::unreadable)?;
    let status = Status::parse(&r.try_get::<String, _>("status")?)?;
    let valid_from: String = r.try_get("valid_from")?;
    let valid_until: String = r.try_get("valid_until")?;
    let state = state_on(status, &valid_from, &valid_until, &today.to_string());
    let days_left =
        chrono::NaiveDate::parse_from_str(&valid_until, "%Y-%m-%d").map(|d| (d - today).num_days()).unwrap_or(0);
    Ok(License {
        id: r.try_get("id")?,
        kind_zh: kind.map(Kind::label_zh).unwrap_or("").into(),
        kind_en: kind.map(Kind::label_en).unwrap_or("").into(),
        kind: kind_code,
        holder_org_id: r.try_get("holder_org_id")?,
        issuer_org_id: r.try_get("issuer_org_id")?,
        state,
        status,
        status_reason: r.try_get("status_reason")?,
        status_at: r.try_get::<Option<i64>, _>("status_at")?.map(Timestamp),
        days_left,
        document,
        key_id: r.try_get("key_id")?,
        version: r.try_get("version")?,
        updated_at: Timestamp(r.try_get("updated_at")?),
    })
}

pub(super) async fn get_unchecked(store: &Store, id: i64) -> Result<License> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE l.id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or(IdentityError::NotFound("license"))?;
    from_row(&row, today())
}

/// One license (`license.read` over the holder).
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<License> {
    let row = sqlx::query(&format!("SELECT {COLUMNS}, o.path FROM {FROM} WHERE l.id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or(IdentityError::NotFound("license"))?;
    let path: String = row.try_get("path")?;
    if !principal.reaches(perm::LICENSE_READ, &path) {
        return Err(audit::deny(store, principal, perm::LICENSE_READ, &format!("license:{id}"), client).await);
    }
    from_row(&row, today())
}

/// Licenses whose holder is in the caller's scope, with the total.
pub async fn list(
    store: &Store,
    principal: &Principal,
    q: &LicenseQuery,
    client: &ClientInfo,
) -> Result<(Vec<License>, i64)> {
    let mut p = Params::new();
    let Some(filter) = scope_filter(principal, perm::LICENSE_READ, &mut p) else {
        return Err(audit::deny(store, principal, perm::LICENSE_READ, "licenses", client).await);
    };
    let (from, joined) =
        yaolian_access::scoped_join(store, principal, perm::LICENSE_READ, "licenses l", "l.holder_org_id").await?;
    let from = format!("{from} {DOCUMENT}");
    let mut wheres = vec![joined, filter];
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        wheres.push(p.like_any(&["l.number", "l.holder_name", "l.identifier"], text));
    }
    if let Some(kind) = q.kind.as_deref().filter(|s| !s.is_empty()) {
        wheres.push(format!("l.kind = {}", p.push(kind)));
    }
    if let Some(org) = q.holder_org_id {
        wheres.push(format!("l.holder_org_id = {}", p.push(org)));
    }
    let today = today();
    let day = today.to_string();
    match q.state.as_deref().unwrap_or("") {
        "" => {}
        "suspended" | "revoked" => {
            let s = q.state.clone().unwrap_or_default();
            wheres.push(format!("l.status = {}", p.push(s)));
        }
        "valid" => wheres.push(format!("l.status = 'valid' AND l.valid_until >= {}", p.push(day.as_str()))),
        "expired" => wheres.push(format!("l.status = 'valid' AND l.valid_until < {}", p.push(day.as_str()))),
        "expiring" => {
            let soon = (today + chrono::Duration::days(EXPIRING_DAYS)).to_string();
            wheres.push(format!(
                "l.status = 'valid' AND l.valid_until >= {} AND l.valid_until <= {}",
                p.push(day.as_str()),
                p.push(soon)
            ))
        }
        other => {
            return Err(ValidationError::single(
                "state",
                "one_of:valid,expiring,expired,suspended,revoked",
                format!("unknown state {other:?}"),
            )
            .into())
        }
    }
    let order = match q.sort.as_deref() {
        Some("number") => "l.number",
        Some("kind") => "l.kind",
        Some("holder") => "l.holder_name",
        Some("valid_until") => "l.valid_until",
        _ => "l.updated_at",
    };
    let dir = if q.desc || q.sort.is_none() { "DESC" } else { "ASC" };
    let (rows, total) = yaolian_store::sql::page(
        store.pool(),
        &mut p,
        COLUMNS,
        &from,
        &wheres.join(" AND "),
        &format!("{order} {dir}, l.id {dir}"),
        q.limit.clamp(1, 10_000),
        q.offset,
    )
    .await?;
    let items = rows.iter().map(|r| from_row(r, today)).collect::<Result<Vec<_>>>()?;
    Ok((items, total))
}

/// A valid license counts as 即将到期 when it expires within this many days (the list's
/// `state=expiring`).
pub const EXPIRING_DAYS: i64 = 90;

/// The 工作台's figures of licenses: how many in each state, and how many 即将到期.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// (state, count), in the order of [`State`], states with none left out.
    pub by_state: Vec<(State, i64)>,
    /// Valid and expiring within [`EXPIRING_DAYS`] days (`/licenses?state=expiring`).
    pub expiring: i64,
}

/// Licenses by state and the 即将到期 count over the licenses the [`list`] would show: one
/// GROUP BY query. `None` when the principal reads no licenses (the 工作台 asks what to show;
/// nothing is audited).
pub async fn summary(store: &Store, principal: &Principal) -> Result<Option<Summary>> {
    let mut p = Params::new();
    let Some(scope) = scope_filter(principal, perm::LICENSE_READ, &mut p) else { return Ok(None) };
    let today = today();
    let day = p.push(today.to_string());
    let soon = p.push((today + chrono::Duration::days(EXPIRING_DAYS)).to_string());
    // The state as `state_on` tells it, in SQL (dates order as text).
    let sql = format!(
        "SELECT state, COUNT(*), COALESCE(SUM(soon), 0) FROM ( \
           SELECT CASE WHEN l.status = 'revoked' THEN 'revoked' WHEN l.status = 'suspended' THEN 'suspended' \
             WHEN l.valid_from > {day} THEN 'not_yet_valid' WHEN l.valid_until < {day} THEN 'expired' \
             ELSE 'valid' END AS state, \
             CASE WHEN l.status = 'valid' AND l.valid_until >= {day} AND l.valid_until <= {soon} THEN 1 ELSE 0 END AS soon \
           FROM licenses l JOIN orgs o ON o.id = l.holder_org_id WHERE {scope}) x \
         GROUP BY state"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let mut summary = Summary::default();
    let order = [State::Valid, State::NotYetValid, State::Expired, State::Suspended, State::Revoked];
    let mut counts = [0i64; 5];
    for r in rows {
        let state: String = r.try_get(0)?;
        if let Some(i) = order.iter().position(|s| s.as_str() == state) {
            counts[i] += r.try_get::<i64, _>(1)?;
        }
        summary.expiring += r.try_get::<i64, _>(2)?;
    }
    summary.by_state = order.into_iter().zip(counts).filter(|(_, n)| *n > 0).collect();
    Ok(Some(summary))
}

/// A license version as exported, for offline verification (`license.read`; audited).
pub async fn export(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<SignedLicense> {
    let license = get(store, principal, id, client).await?;
    let signed =
        signed_document(store, &license.document.identifier).await?.ok_or(IdentityError::NotFound("license"))?;
    audit::record_now(
        store,
        audit::Event::by(principal, audit::action::LICENSE_EXPORT, &format!("license:{id}"), client),
    )
    .await?;
    Ok(signed.0)
}

/// The issuing authority's seal on a license's current document (颁证机关签章), for the pages
/// that explain it: the signed document, the authority's public key, and whether the seal
/// holds. The reader's access is the license's own; reading the seal is not an export (the
/// download of the file is, and is audited by [`export`]).
#[derive(Debug, Clone)]
pub struct Seal {
    pub license: License,
    pub signed: SignedLicense,
    pub public_pem: String,
    /// The SM2 signature verifies over the document under the authority's key.
    pub holds: bool,
}

/// The seal of license `id` (see [`Seal`]).
pub async fn seal(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Seal> {
    let license = get(store, principal, id, client).await?;
    let (signed, public_pem) =
        signed_document(store, &license.document.identifier).await?.ok_or(IdentityError::NotFound("license"))?;
    let holds = signed.verify(&public_pem).is_ok();
    Ok(Seal { license, signed, public_pem, holds })
}

/// The stored signed document of an identifier and the public key that signed it.
async fn signed_document(store: &Store, identifier: &str) -> Result<Option<(SignedLicense, String)>> {
    let row = sqlx::query(
        "SELECT d.document, d.key_id, d.signature, d.signed_at, k.public_pem FROM license_documents d \
         JOIN authority_keys k ON k.key_id = d.key_id WHERE d.identifier = $1",
    )
    .bind(identifier)
    .fetch_optional(store.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let text: String = row.try_get(0)?;
    let license: LicenseDocument = serde_json::from_str(&text).map_err(LicenseError::unreadable)?;
    let signature: Vec<u8> = row.try_get(2)?;
    let signed = SignedLicense {
        license,
        signature: LicenseSignature {
            alg: SIGNATURE_ALG.into(),
            key_id: row.try_get(1)?,
            signed_at: Timestamp(row.try_get(3)?).to_rfc3339(),
            value: hex::encode(signature),
        },
    };
    Ok(Some((signed, row.try_get(4)?)))
}

/// What the public verification tells anyone holding an identifier (no login).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Verification {
    pub identifier: String,
    pub state: State,
    pub state_zh: String,
    /// The authority's reason for a suspension or revocation.
    pub reason: String,
    #[schema(value_type = Option<i64>)]
    pub state_since: Option<Timestamp>,
    /// The authority's SM2 signature verifies over the document.
    pub signature_valid: bool,
    pub key_id: String,
    /// The identifier of the license's current version (differs when superseded).
    pub current_identifier: String,
    pub document: LicenseDocument,
    /// When this answer was made, RFC 3339.
    pub checked_at: String,
}

/// Verifies an identifier: the stored signature under the authority's key, and the license's
/// state today. `NotFound` when no license has that identifier. The document comes without
/// the fields that name persons (`kinds::PERSONAL_FIELDS`).
pub async fn verify_public(store: &Store, identifier: &str) -> Result<Verification> {
    let row = sqlx::query(
        "SELECT d.document, d.key_id, d.signature, k.public_pem, d.license_id \
         FROM license_documents d JOIN authority_keys k ON k.key_id = d.key_id WHERE d.identifier = $1",
    )
    .bind(identifier.trim())
    .fetch_optional(store.pool())
    .await?
    .ok_or(IdentityError::NotFound("license"))?;
    let text: String = row.try_get(0)?;
    let key_id: String = row.try_get(1)?;
    let signature: Vec<u8> = row.try_get(2)?;
    let pem: String = row.try_get(3)?;
    let license_id: i64 = row.try_get(4)?;
    // The license's state as the ledger has it (its latest version), not as its table row says:
    // an edited row cannot make a revoked license answer "valid".
    let ledgered = versions::latest(store.pool(), ENTITY, &license_id.to_string())
        .await?
        .ok_or_else(|| LicenseError::unreadable(format!("license {license_id} has no ledgered version")))?;
    let status = Status::parse(ledgered.data["status"].as_str().unwrap_or_default())?;
    let reason = ledgered.data["status_reason"].as_str().unwrap_or_default().to_string();
    let status_at = Some(ledgered.at.0);
    let current_identifier = ledgered.data["document"]["identifier"].as_str().unwrap_or_default().to_string();
    let mut document: LicenseDocument = serde_json::from_str(&text).map_err(LicenseError::unreadable)?;
    // The stored text is the canonical JSON that was signed: check those bytes as they are.
    let signature_valid = signature_holds(&pem, text.as_bytes(), &signature);
    // An anonymous verifier learns whether the license holds, not who runs the company.
    document.fields.retain(|k, _| !crate::kinds::PERSONAL_FIELDS.contains(&k.as_str()));
    let now = Timestamp::now();
    let mut state = state_on(status, &document.valid_from, &document.valid_until, &today().to_string());
    if state != State::Revoked && current_identifier != document.identifier {
        state = State::Superseded;
    }
    let shown_reason = if state.is_withdrawn() { reason } else { String::new() };
    Ok(Verification {
        identifier: document.identifier.clone(),
        state,
        state_zh: state.label_zh().into(),
        reason: shown_reason,
        state_since: status_at.filter(|_| state.is_withdrawn()).map(Timestamp),
        signature_valid,
        key_id,
        current_identifier,
        document,
        checked_at: now.to_rfc3339(),
    })
}

/// Whether `signature` verifies `message` under `pem`. The answer is a pure function of the
/// three, so it is remembered under their SM3 digest: a later request for the same bytes costs a
/// hash instead of an SM2 verification, and any changed byte (a tampered row) misses the memo
/// and is verified afresh.
pub fn signature_holds(pem: &str, message: &[u8], signature: &[u8]) -> bool {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    const MAX_REMEMBERED: usize = 250_000;
    static MEMO: OnceLock<Mutex<HashMap<[u8; 32], bool>>> = OnceLock::new();
    let len = |b: &[u8]| (b.len() as u64).to_be_bytes();
    let key = yaolian_ledger::HashAlg::Sm3
        .digest(&[&len(pem.as_bytes()), pem.as_bytes(), &len(message), message, signature])
        .0;
    let memo = MEMO.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(known) = memo.lock().ok().and_then(|m| m.get(&key).copied()) {
        return known;
    }
    let holds = yaolian_ledger::sign::verify(pem, message, signature).unwrap_or(false);
    if let Ok(mut m) = memo.lock() {
        if m.len() >= MAX_REMEMBERED {
            m.clear();
        }
        m.insert(key, holds);
    }
    holds
}

/// Every license whose row (state, reason, current document) differs from its latest ledgered
/// version (现状与台账比对).
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} ORDER BY l.id")).fetch_all(store.pool()).await?;
    let today = today();
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let l = from_row(r, today)?;
        let data = state_json(l.id, &l.document, l.status, &l.status_reason);
        images.push(yaolian_store::state::Image { entity_id: l.id.to_string(), data });
    }
    Ok(yaolian_store::state::check(store, ENTITY, images).await?)
}

/// One entry of the revocation list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Revoked {
    pub identifier: String,
    pub number: String,
    pub kind: String,
    pub holder: String,
    /// Revoked or suspended.
    pub status: Status,
    pub reason: String,
    #[schema(value_type = i64)]
    pub since: Timestamp,
}

/// Every identifier of every revoked or suspended license (all its versions), newest first.
pub async fn revocations(store: &Store) -> Result<Vec<Revoked>> {
    let rows = sqlx::query(
        "SELECT d.identifier, l.number, l.kind, l.holder_name, l.status, l.status_reason, l.status_at \
         FROM licenses l JOIN license_documents d ON d.license_id = l.id \
         WHERE l.status IN ('revoked', 'suspended') ORDER BY l.status_at DESC, d.identifier",
    )
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Revoked {
                identifier: r.try_get(0)?,
                number: r.try_get(1)?,
                kind: r.try_get(2)?,
                holder: r.try_get(3)?,
                status: Status::parse(&r.try_get::<String, _>(4)?)?,
                reason: r.try_get(5)?,
                since: Timestamp(r.try_get::<Option<i64>, _>(6)?.unwrap_or(0)),
            })
        })
        .collect()
}

/// The list as CSV (opens in Excel): number, type, holder and code, issuer, dates, version,
/// state and reason, identifier.
pub fn to_csv(items: &[License]) -> String {
    table(items).to_csv()
}

/// The list as an exported table (CSV or Excel), the columns of [`to_csv`].
pub fn table(items: &[License]) -> audit::Table {
    let header = [
        "许可证编号",
        "证照类型",
        "持证主体",
        "统一社会信用代码",
        "颁证单位",
        "颁证日期",
        "有效期起",
        "有效期至",
        "版本",
        "状态",
        "原因",
        "证照标识",
    ];
    audit::Table::new(
        "电子证照",
        &header,
        items.iter().map(|l| {
            let d = &l.document;
            vec![
                d.number.clone(),
                l.kind_zh.clone(),
                d.holder.clone(),
                d.holder_code.clone(),
                d.issuer.clone(),
                d.issued_on.clone(),
                d.valid_from.clone(),
                d.valid_until.clone(),
                d.version.to_string(),
                l.state.label_zh().to_string(),
                l.status_reason.clone(),
                d.identifier.clone(),
            ]
        }),
    )
}
