//! 一员一档: licensed persons — 执业药师 (licensed pharmacists), and the key persons a company
//! must name (质量负责人, 质量受权人, 生产负责人, 企业负责人) — with their registration certificate,
//! employer and validity. Scoped, like products, by the employer's place in the org tree.

use crate::error::Result;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_access::{perm, scope_filter};
use yaolian_access::{ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::IdentityError;
use yaolian_store::sql::Params;
use yaolian_store::{versions, NewVersion, Store, Tx};

use crate::timeline::{self, NewEvent};

/// The versioned-record entity of persons.
pub const ENTITY: &str = "person";

/// Qualifications (资格 / 岗位): code, Chinese, English.
pub const QUALIFICATIONS: &[(&str, &str, &str)] = &[
    ("licensed_pharmacist", "执业药师", "Licensed pharmacist"),
    ("quality_head", "质量负责人", "Head of quality"),
    ("qualified_person", "质量受权人", "Qualified person"),
    ("production_head", "生产负责人", "Head of production"),
    ("enterprise_head", "企业负责人", "Head of enterprise"),
];

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewPerson {
    pub name: String,
    /// One of the codes in [`QUALIFICATIONS`].
    pub qualification: String,
    /// Registration certificate number (注册证编号).
    pub cert_number: String,
    /// The employer (a company).
    pub employer_org_id: i64,
    /// `YYYY-MM-DD`.
    pub valid_from: String,
    /// `YYYY-MM-DD`.
    pub valid_until: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub qualification: String,
    pub qualification_zh: String,
    pub cert_number: String,
    pub employer_org_id: i64,
    pub employer_name: String,
    pub valid_from: String,
    pub valid_until: String,
    /// `valid`, `expiring` (within 90 days), `expired` or `revoked`.
    pub standing: String,
    pub version: i64,
}

fn parse_date(errors: &mut ValidationError, field: &str, value: &str) -> Option<chrono::NaiveDate> {
    match chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(field, "date", format!("{field} must be a date YYYY-MM-DD"));
            None
        }
    }
}

fn validate(p: &NewPerson) -> Result<(), ValidationError> {
    let mut errors = ValidationError::new();
    let n = p.name.trim().chars().count();
    if !(1..=50).contains(&n) {
        errors.push("name", "length:1..50", "name must have 1 to 50 characters");
    }
    if !QUALIFICATIONS.iter().any(|q| q.0 == p.qualification) {
        let codes: Vec<&str> = QUALIFICATIONS.iter().map(|q| q.0).collect();
        errors.push("qualification", format!("one_of:{}", codes.join(",")), "choose a qualification");
    }
    let cert = p.cert_number.trim();
    if cert.is_empty() || cert.chars().count() > 50 || !cert.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        errors.push("cert_number", "cert_number", "certificate number: 1 to 50 letters, digits or -");
    }
    let from = parse_date(&mut errors, "valid_from", &p.valid_from);
    let until = parse_date(&mut errors, "valid_until", &p.valid_until);
    if let (Some(f), Some(u)) = (from, until) {
        if u < f {
            errors.push("valid_until", "after:valid_from", "valid until must not be before valid from");
        }
    }
    errors.into_result()
}

/// Standing on `today` (China date).
pub fn standing(status: &str, valid_until: &str, today: chrono::NaiveDate) -> &'static str {
    if status == "revoked" {
        return "revoked";
    }
    match chrono::NaiveDate::parse_from_str(valid_until, "%Y-%m-%d") {
        Ok(u) if u < today => "expired",
        Ok(u) if u <= today + chrono::Days::new(90) => "expiring",
        Ok(_) => "valid",
        Err(_) => "expired",
    }
}

fn today() -> chrono::NaiveDate {
    Timestamp::now().to_utc().with_timezone(&yaolian_core::time::china_offset()).date_naive()
}

/// Registers a person.
pub async fn create(store: &Store, principal: &Principal, new: &NewPerson, client: &ClientInfo) -> Result<Person> {
    // Permission before the body: a caller without `registry.manage`, or without it over the
    // employer, gets 403 whatever the body says; only the employer is looked at first.
    if !principal.has(perm::REGISTRY_MANAGE) {
        return Err(audit::deny(store, principal, perm::REGISTRY_MANAGE, "persons", client).await);
    }
    let path = crate::products::company_path(store, "employer_org_id", new.employer_org_id).await?;
    if !principal.reaches(perm::REGISTRY_MANAGE, &path) {
        return Err(audit::deny(store, principal, perm::REGISTRY_MANAGE, "persons", client).await);
    }
    validate(new)?;
    let mut tx = store.begin().await?;
    let id = insert(&mut tx, principal, new, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Registers many persons in one transaction (批量登记): each checked and written as [`create`]
/// writes one (row, record version with ledger entry, dossier event, audit event), one commit
/// for all; the first refusal refuses the batch. The province-scale demo seeds through here.
pub async fn create_many(
    store: &Store,
    principal: &Principal,
    news: &[NewPerson],
    client: &ClientInfo,
) -> Result<Vec<i64>> {
    if !principal.has(perm::REGISTRY_MANAGE) {
        return Err(audit::deny(store, principal, perm::REGISTRY_MANAGE, "persons", client).await);
    }
    let mut paths: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
    for new in news {
        if let std::collections::hash_map::Entry::Vacant(e) = paths.entry(new.employer_org_id) {
            e.insert(crate::products::company_path(store, "employer_org_id", new.employer_org_id).await?);
        }
        let path = paths.get(&new.employer_org_id).map(String::as_str).unwrap_or("");
        if !principal.reaches(perm::REGISTRY_MANAGE, path) {
            return Err(audit::deny(store, principal, perm::REGISTRY_MANAGE, "persons", client).await);
        }
        validate(new)?;
    }
    let mut tx = store.begin().await?;
    let mut ids = Vec::with_capacity(news.len());
    for new in news {
        ids.push(insert(&mut tx, principal, new, client).await?);
    }
    tx.commit().await?;
    Ok(ids)
}

/// The writes of one new person inside the caller's transaction.
async fn insert(tx: &mut Tx<'_>, principal: &Principal, new: &NewPerson, client: &ClientInfo) -> Result<i64> {
    let inserted = sqlx::query(
        "INSERT INTO persons (name, qualification, cert_number, employer_org_id, valid_from, valid_until, version, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, 1, $7) RETURNING id",
    )
    .bind(new.name.trim())
    .bind(&new.qualification)
    .bind(new.cert_number.trim())
    .bind(new.employer_org_id)
    .bind(new.valid_from.trim())
    .bind(new.valid_until.trim())
    .bind(Timestamp::now().0)
    .fetch_one(&mut **tx)
    .await;
    let Some(id) = yaolian_store::returned_id(inserted)? else {
        return Err(ValidationError::single(
            "cert_number",
            "unique",
            "a person with this qualification and certificate number is registered",
        )
        .into());
    };
    let data = serde_json::json!({
        "id": id, "name": new.name.trim(), "qualification": new.qualification,
        "cert_number": new.cert_number.trim(), "employer_org_id": new.employer_org_id,
        "valid_from": new.valid_from.trim(), "valid_until": new.valid_until.trim(), "status": "active",
    });
    let version = NewVersion {
        entity: ENTITY,
        entity_id: &id.to_string(),
        actor: principal.username(),
        action: "create",
        reason: "",
        data: &data,
        expected_version: Some(0),
    };
    versions::append(tx, version).await?;
    let zh = QUALIFICATIONS.iter().find(|q| q.0 == new.qualification).map(|q| q.1).unwrap_or("");
    let title = format!("人员登记：{} {zh}", new.name.trim());
    let link = format!("/records/person/{id}");
    let event = NewEvent {
        org_id: new.employer_org_id,
        product_id: None,
        module: "registry",
        kind: "person_registered",
        title: &title,
        link: &link,
    };
    timeline::add(tx, &event).await?;
    let target = format!("person:{id} {}", new.name.trim());
    audit::record(tx, audit::Event::by(principal, audit::action::PERSON_CREATE, &target, client)).await?;
    Ok(id)
}

const COLUMNS: &str = "p.id, p.name, p.qualification, p.cert_number, p.employer_org_id, o.name AS employer_name, \
     p.valid_from, p.valid_until, p.status, p.version";

fn from_row(r: &sqlx::any::AnyRow, today: chrono::NaiveDate) -> std::result::Result<Person, sqlx::Error> {
    let qualification: String = r.try_get("qualification")?;
    let status: String = r.try_get("status")?;
    let valid_until: String = r.try_get("valid_until")?;
    Ok(Person {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        qualification_zh: QUALIFICATIONS.iter().find(|q| q.0 == qualification).map(|q| q.1).unwrap_or("").into(),
        qualification,
        cert_number: r.try_get("cert_number")?,
        employer_org_id: r.try_get("employer_org_id")?,
        employer_name: r.try_get("employer_name")?,
        valid_from: r.try_get("valid_from")?,
        standing: standing(&status, &valid_until, today).into(),
        valid_until,
        version: r.try_get("version")?,
    })
}

/// One person, if the principal may read it.
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Person> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS}, o.path AS employer_path FROM persons p JOIN orgs o ON o.id = p.employer_org_id WHERE p.id = $1"
    ))
    .bind(id)
    .fetch_optional(store.pool())
    .await?
    .ok_or(IdentityError::NotFound("person"))?;
    let path: String = row.try_get("employer_path")?;
    if !principal.reaches(perm::REGISTRY_READ, &path) {
        return Err(audit::deny(store, principal, perm::REGISTRY_READ, &format!("person:{id}"), client).await);
    }
    Ok(from_row(&row, today())?)
}

/// Persons the principal may read whose name or certificate number contains `q` (all when
/// empty), by name; `limit` rows at most.
pub async fn list(
    store: &Store,
    principal: &Principal,
    q: &str,
    limit: i64,
    client: &ClientInfo,
) -> Result<Vec<Person>> {
    let mut p = Params::new();
    let Some(filter) = scope_filter(principal, perm::REGISTRY_READ, &mut p) else {
        return Err(audit::deny(store, principal, perm::REGISTRY_READ, "persons", client).await);
    };
    let (from, joined) =
        yaolian_access::scoped_join(store, principal, perm::REGISTRY_READ, "persons p", "p.employer_org_id").await?;
    let mut sql = format!("SELECT {COLUMNS} FROM {from} WHERE {joined} AND {filter}");
    let q = q.trim();
    if !q.is_empty() {
        let like = format!("%{}%", q.replace(['%', '_'], ""));
        let a = p.push(like.as_str());
        let b = p.push(like.as_str());
        sql.push_str(&format!(" AND (p.name LIKE {a} OR p.cert_number LIKE {b})"));
    }
    sql.push_str(&format!(" ORDER BY p.name, p.id LIMIT {}", p.push(limit.clamp(1, 10_000))));
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let today = today();
    rows.iter().map(|r| from_row(r, today)).collect::<std::result::Result<_, sqlx::Error>>().map_err(Into::into)
}

#[cfg(test)]
mod tests {
    use super::standing;
    use chrono::NaiveDate;

    #[test]
    fn standing_follows_the_dates() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(standing("active", "2026-11-22", today), "expired");
        assert_eq!(standing("active", "2026-11-23", today), "expiring");
        assert_eq!(standing("active", "2027-02-21", today), "expiring");
        assert_eq!(standing("active", "2027-02-22", today), "valid");
        assert_eq!(standing("revoked", "2030-01-01", today), "revoked");
    }
}
