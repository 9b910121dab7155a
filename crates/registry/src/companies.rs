//! 一企一档: a company's dossier — its organization record (name, 统一社会信用代码, place in the
//! tree), its profile (法定代表人, 注册地址, 经营范围, contact), its products and its timeline.

use crate::error::Result;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_access::{perm, OrgKind};
use yaolian_access::{ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::{orgs, IdentityError, Org};
use yaolian_store::{versions, NewVersion, Store};

use crate::products::{self, Product, ProductQuery};
use crate::timeline::{self, Event, NewEvent};

/// The versioned-record entity of company profiles (id = the organization id).
pub const ENTITY: &str = "company";

/// A company's profile, as entered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Profile {
    /// 法定代表人.
    #[serde(default)]
    pub legal_rep: String,
    /// 注册地址.
    #[serde(default)]
    pub address: String,
    /// 经营范围.
    #[serde(default)]
    pub business_scope: String,
    #[serde(default)]
    pub contact_phone: String,
}

/// Everything the dossier page shows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dossier {
    #[schema(value_type = Object)]
    pub org: Org,
    pub profile: Profile,
    /// 0 until the profile is first saved.
    pub profile_version: i64,
    pub products: Vec<Product>,
    pub products_total: i64,
    pub timeline: Vec<Event>,
}

async fn company(
    store: &Store,
    principal: &Principal,
    org_id: i64,
    permission: &str,
    client: &ClientInfo,
) -> Result<Org> {
    let org = orgs::get_unchecked(store, org_id).await?;
    if org.kind != OrgKind::Company {
        return Err(IdentityError::NotFound("company").into());
    }
    if !principal.reaches(permission, &org.path) {
        return Err(audit::deny(store, principal, permission, &format!("company:{org_id}"), client).await);
    }
    Ok(org)
}

/// A company's dossier (`registry.read` over the company).
pub async fn dossier(store: &Store, principal: &Principal, org_id: i64, client: &ClientInfo) -> Result<Dossier> {
    let org = company(store, principal, org_id, perm::REGISTRY_READ, client).await?;
    let (profile, profile_version) = profile_of(store, org_id).await?;
    let q = ProductQuery { mah_org_id: Some(org_id), limit: 100, ..ProductQuery::default() };
    let (products, products_total) = products::list(store, principal, &q, client).await?;
    let timeline = timeline::of_company(store, org_id, 100).await?;
    Ok(Dossier { org, profile, profile_version, products, products_total, timeline })
}

async fn profile_of(store: &Store, org_id: i64) -> Result<(Profile, i64)> {
    let row = sqlx::query(
        "SELECT legal_rep, address, business_scope, contact_phone, version FROM company_profiles WHERE org_id = $1",
    )
    .bind(org_id)
    .fetch_optional(store.pool())
    .await?;
    Ok(match row {
        None => (Profile::default(), 0),
        Some(r) => (
            Profile {
                legal_rep: r.try_get(0)?,
                address: r.try_get(1)?,
                business_scope: r.try_get(2)?,
                contact_phone: r.try_get(3)?,
            },
            r.try_get(4)?,
        ),
    })
}

fn validate(p: &Profile) -> Result<(), ValidationError> {
    let mut errors = ValidationError::new();
    for (field, value, max) in [
        ("legal_rep", &p.legal_rep, 50),
        ("address", &p.address, 200),
        ("business_scope", &p.business_scope, 2000),
        ("contact_phone", &p.contact_phone, 30),
    ] {
        if value.trim().chars().count() > max {
            errors.push(field, format!("length:0..{max}"), format!("{field} must have at most {max} characters"));
        }
    }
    if !p.contact_phone.trim().chars().all(|c| c.is_ascii_digit() || "-+ ()".contains(c)) {
        errors.push("contact_phone", "phone", "digits, spaces, +, - and parentheses only");
    }
    errors.into_result()
}

/// Saves a company's profile (a new version; a reason is required after the first).
pub async fn update_profile(
    store: &Store,
    principal: &Principal,
    org_id: i64,
    profile: &Profile,
    reason: &str,
    expected_version: i64,
    client: &ClientInfo,
) -> Result<Dossier> {
    validate(profile)?;
    let org = company(store, principal, org_id, perm::REGISTRY_MANAGE, client).await?;
    let trimmed = Profile {
        legal_rep: profile.legal_rep.trim().into(),
        address: profile.address.trim().into(),
        business_scope: profile.business_scope.trim().into(),
        contact_phone: profile.contact_phone.trim().into(),
    };
    let mut tx = store.begin().await?;
    let data = serde_json::json!({
        "org_id": org_id, "name": org.name, "code": org.code,
        "legal_rep": trimmed.legal_rep, "address": trimmed.address,
        "business_scope": trimmed.business_scope, "contact_phone": trimmed.contact_phone,
    });
    let written = versions::append(
        &mut tx,
        NewVersion {
            entity: ENTITY,
            entity_id: &org_id.to_string(),
            actor: principal.username(),
            action: if expected_version == 0 { "create" } else { "update" },
            reason,
            data: &data,
            expected_version: Some(expected_version),
        },
    )
    .await?;
    let now = Timestamp::now();
    sqlx::query(
        "INSERT INTO company_profiles (org_id, legal_rep, address, business_scope, contact_phone, version, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (org_id) DO UPDATE SET legal_rep = excluded.legal_rep, \
         address = excluded.address, business_scope = excluded.business_scope, \
         contact_phone = excluded.contact_phone, version = excluded.version, updated_at = excluded.updated_at",
    )
    .bind(org_id)
    .bind(&trimmed.legal_rep)
    .bind(&trimmed.address)
    .bind(&trimmed.business_scope)
    .bind(&trimmed.contact_phone)
    .bind(written.version)
    .bind(now.0)
    .execute(&mut *tx)
    .await?;
    let title = if expected_version == 0 {
        "建立企业档案".to_string()
    } else {
        format!("企业档案变更：{}", reason.trim())
    };
    let link = format!("/records/company/{org_id}");
    let event =
        NewEvent { org_id, product_id: None, module: "registry", kind: "profile_changed", title: &title, link: &link };
    timeline::add(&mut tx, &event).await?;
    let target = format!("company:{org_id} {}", org.name);
    audit::record(&mut tx, audit::Event::by(principal, audit::action::COMPANY_UPDATE, &target, client)).await?;
    tx.commit().await?;
    dossier(store, principal, org_id, client).await
}

/// Whether the principal may read a company record's history (for `records::view`).
pub(crate) async fn check_read(store: &Store, principal: &Principal, org_id: i64, client: &ClientInfo) -> Result<()> {
    company(store, principal, org_id, perm::REGISTRY_READ, client).await.map(|_| ())
}
