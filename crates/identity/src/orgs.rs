//! Organizations (机构): the regulator hierarchy and the companies and sites under it.

use crate::audit::{self, action};
use crate::error::Result;
use crate::model::{perm, scope_filter, Org, OrgKind};
use crate::{ClientInfo, IdentityError, Principal};
use serde::Deserialize;
use serde_json::json;
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};
use yaolian_core::{Timestamp, Uscc, ValidationError};
use yaolian_store::sql::Params;
use yaolian_store::{versions, NewVersion, Store, Tx};

/// Input for a new organization.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewOrg {
    pub kind: OrgKind,
    pub name: String,
    /// 统一社会信用代码 (GB 32100-2015) for regulators and companies; for sites a site code.
    pub code: String,
    pub parent_id: Option<i64>,
    #[serde(default)]
    pub region: String,
}

pub(crate) const ORG_COLUMNS: &str = "o.id, o.kind, o.name, o.code, o.parent_id, o.path, o.region, o.status, o.version";

pub(crate) fn org_from_row(r: &sqlx::any::AnyRow) -> std::result::Result<Org, sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    Ok(Org {
        id: r.try_get("id")?,
        kind: OrgKind::parse(&kind).unwrap_or(OrgKind::Company),
        name: r.try_get("name")?,
        code: r.try_get("code")?,
        parent_id: r.try_get("parent_id")?,
        path: r.try_get("path")?,
        region: r.try_get("region")?,
        status: r.try_get("status")?,
        version: r.try_get("version")?,
    })
}

/// Reads one organization without an access check (for internal use by other modules).
pub async fn get_unchecked(store: &Store, id: i64) -> Result<Org> {
    let row = sqlx::query(&format!("SELECT {ORG_COLUMNS} FROM orgs o WHERE o.id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or(IdentityError::NotFound("organization"))?;
    Ok(org_from_row(&row)?)
}

/// The materialized path of organization `id` — what a domain's scope check compares — or a
/// refusal of the input `field` that named it (`exists`). Reads no more than the path.
pub async fn path_of(store: &Store, field: &str, id: i64) -> Result<String> {
    let path: Option<String> =
        sqlx::query_scalar("SELECT path FROM orgs WHERE id = $1").bind(id).fetch_optional(store.pool()).await?;
    path.ok_or_else(|| ValidationError::single(field, "exists", format!("no organization {id}")).into())
}

/// Reads one organization the principal may see.
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Org> {
    let org = get_unchecked(store, id).await?;
    if !principal.reaches(perm::ORG_READ, &org.path) {
        return Err(audit::deny(store, principal, perm::ORG_READ, &format!("org:{id}"), client).await);
    }
    Ok(org)
}

/// Every organization the principal may see, ordered by path (a depth-first tree walk).
pub async fn list(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<Vec<Org>> {
    let mut p = Params::new();
    let Some(filter) = scope_filter(principal, perm::ORG_READ, &mut p) else {
        return Err(audit::deny(store, principal, perm::ORG_READ, "orgs", client).await);
    };
    let sql = format!("SELECT {ORG_COLUMNS} FROM orgs o WHERE {filter} ORDER BY o.path");
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    Ok(rows.iter().map(org_from_row).collect::<std::result::Result<_, _>>()?)
}

/// What a list or a picker (机构选择) asks for: a page of the organizations the principal may
/// see, in tree order.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgQuery {
    /// Part of the name, or part of the code (统一社会信用代码 or site code).
    #[serde(default)]
    pub q: String,
    /// Only organizations of this kind.
    pub kind: Option<OrgKind>,
    /// The page after this path (the last row's `path` of the page before).
    #[serde(default)]
    pub after: String,
    /// At most this many (default and maximum [`MAX_PAGE`]).
    pub limit: Option<i64>,
}

/// The largest page [`find`] returns.
pub const MAX_PAGE: i64 = 500;

/// A page of the organizations the principal may see that match `query`, ordered by path (a
/// depth-first tree walk); the next page starts after the last row's path.
pub async fn find(store: &Store, principal: &Principal, query: &OrgQuery, client: &ClientInfo) -> Result<Vec<Org>> {
    let mut p = Params::new();
    let Some(filter) = scope_filter(principal, perm::ORG_READ, &mut p) else {
        return Err(audit::deny(store, principal, perm::ORG_READ, "orgs", client).await);
    };
    let mut sql = format!("SELECT {ORG_COLUMNS} FROM orgs o WHERE {filter}");
    let q = query.q.trim().replace(['%', '_'], "");
    if !q.is_empty() {
        let name = p.push(format!("%{q}%"));
        let code = p.push(format!("%{}%", q.to_uppercase()));
        sql.push_str(&format!(" AND (o.name LIKE {name} OR o.code LIKE {code})"));
    }
    if let Some(kind) = query.kind {
        sql.push_str(&format!(" AND o.kind = {}", p.push(kind.as_str())));
    }
    if !query.after.is_empty() {
        sql.push_str(&format!(" AND o.path > {}", p.push(query.after.clone())));
    }
    let limit = query.limit.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
    sql.push_str(&format!(" ORDER BY o.path LIMIT {}", p.push(limit)));
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    Ok(rows.iter().map(org_from_row).collect::<std::result::Result<_, _>>()?)
}

/// The organization a form's picker names: its id, `名称 代码` as the picker offers it, its code,
/// or its exact name; it must be visible to the principal and, when `kind` is given, of that kind.
/// A value that names none (or several) is a validation error on `field`.
pub async fn resolve(
    store: &Store,
    principal: &Principal,
    field: &str,
    value: &str,
    kind: Option<OrgKind>,
    client: &ClientInfo,
) -> Result<Org> {
    let value = value.trim();
    let unknown = || {
        let mut e = ValidationError::new();
        if value.is_empty() {
            e.push(field, "required", "choose an organization");
        } else {
            e.push(field, "org_pick", "no such organization: type part of its name or code and pick one");
        }
        IdentityError::Validation(e)
    };
    if value.is_empty() {
        return Err(unknown());
    }
    let mut p = Params::new();
    let Some(filter) = scope_filter(principal, perm::ORG_READ, &mut p) else {
        return Err(audit::deny(store, principal, perm::ORG_READ, "orgs", client).await);
    };
    // The code is the last word of `名称 代码`, or the whole value.
    let last = value.rsplit(char::is_whitespace).next().unwrap_or(value);
    let by = match value.parse::<i64>() {
        Ok(id) => format!("o.id = {}", p.push(id)),
        Err(_) => {
            let code = p.push(last.to_uppercase());
            let name = p.push(value.to_string());
            format!("(o.code = {code} OR o.name = {name})")
        }
    };
    let mut sql = format!("SELECT {ORG_COLUMNS} FROM orgs o WHERE {filter} AND {by}");
    if let Some(kind) = kind {
        sql.push_str(&format!(" AND o.kind = {}", p.push(kind.as_str())));
    }
    sql.push_str(" LIMIT 2");
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    match rows.as_slice() {
        [one] => Ok(org_from_row(one)?),
        _ => Err(unknown()),
    }
}

fn validate(new: &NewOrg) -> std::result::Result<String, ValidationError> {
    let mut errors = ValidationError::new();
    let name = new.name.trim();
    if name.is_empty() {
        errors.push("name", "required", "organization name is required");
    } else if name.chars().count() > 200 {
        errors.push("name", "max_length:200", "organization name must have at most 200 characters");
    }
    let code = match new.kind {
        OrgKind::Site => {
            let c = new.code.trim().to_string();
            if c.is_empty() || c.chars().count() > 64 {
                errors.push("code", "site_code", "site code must have 1 to 64 characters");
            }
            c
        }
        _ => match Uscc::parse("code", &new.code) {
            Ok(u) => u.as_str().to_string(),
            Err(e) => {
                errors.errors.push(e);
                String::new()
            }
        },
    };
    if new.kind == OrgKind::National && new.parent_id.is_some() {
        errors.push("parent_id", "must_be_empty", "the national regulator has no parent");
    }
    if new.kind != OrgKind::National && new.parent_id.is_none() {
        errors.push("parent_id", "required", "every organization but the national regulator has a parent");
    }
    errors.into_result().map(|()| code)
}

/// The checks of a new organization before it is written: its fields, its parent's kind, the
/// principal's `org.manage` over the parent, one national regulator. Returns the normalized code and
/// the parent's path.
async fn check_new(
    store: &Store,
    principal: &Principal,
    new: &NewOrg,
    client: &ClientInfo,
) -> Result<(String, String)> {
    let code = validate(new)?;
    let parent = match new.parent_id {
        Some(pid) => {
            let parent = get_unchecked(store, pid).await.map_err(|_| {
                ValidationError::single("parent_id", "exists", format!("no organization with id {pid}"))
            })?;
            if !new.kind.allowed_parents().contains(&parent.kind) {
                let allowed: Vec<&str> = new.kind.allowed_parents().iter().map(|k| k.as_str()).collect();
                return Err(ValidationError::single(
                    "parent_id",
                    "parent_kind",
                    format!(
                        "a {} must sit under {}, not a {}",
                        new.kind.as_str(),
                        allowed.join(" or "),
                        parent.kind.as_str()
                    ),
                )
                .into());
            }
            Some(parent)
        }
        None => None,
    };
    let target_path = parent.as_ref().map(|p| p.path.clone()).unwrap_or_else(|| "/".to_string());
    if !principal.reaches(perm::ORG_MANAGE, &target_path) {
        return Err(audit::deny(store, principal, perm::ORG_MANAGE, &format!("org:{}", new.name), client).await);
    }
    if new.kind == OrgKind::National {
        let exists: i64 = sqlx::query("SELECT COUNT(*) FROM orgs WHERE kind = 'national'")
            .fetch_one(store.pool())
            .await?
            .try_get(0)?;
        if exists > 0 {
            return Err(ValidationError::single("kind", "unique", "there is already a national regulator").into());
        }
    }
    Ok((code, target_path))
}

/// Creates an organization under a parent the principal manages (`org.manage`).
pub async fn create(store: &Store, principal: &Principal, new: &NewOrg, client: &ClientInfo) -> Result<Org> {
    let (code, target_path) = check_new(store, principal, new, client).await?;
    let mut tx = store.begin().await?;
    let org = insert(&mut tx, principal, new, code, &target_path, client).await?;
    tx.commit().await?;
    Ok(org)
}

/// Creates many organizations in one transaction (批量建档): each checked and written as
/// [`create`] writes one (row, record version with ledger entry, audit event), one commit for
/// all; the first refusal refuses the batch. Parents must exist before the batch. The
/// province-scale demo seeds its 30,000 companies and sites through here.
pub async fn create_many(
    store: &Store,
    principal: &Principal,
    news: &[NewOrg],
    client: &ClientInfo,
) -> Result<Vec<Org>> {
    let mut checked = Vec::with_capacity(news.len());
    for new in news {
        checked.push(check_new(store, principal, new, client).await?);
    }
    let mut tx = store.begin().await?;
    let mut out = Vec::with_capacity(news.len());
    for (new, (code, path)) in news.iter().zip(checked) {
        out.push(insert(&mut tx, principal, new, code, &path, client).await?);
    }
    tx.commit().await?;
    Ok(out)
}

/// The writes of one new organization inside the caller's transaction.
async fn insert(
    tx: &mut Tx<'_>,
    principal: &Principal,
    new: &NewOrg,
    code: String,
    target_path: &str,
    client: &ClientInfo,
) -> Result<Org> {
    let now = Timestamp::now();
    let inserted = sqlx::query(
        "INSERT INTO orgs (kind, name, code, parent_id, path, region, status, created_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, 1) RETURNING id",
    )
    .bind(new.kind.as_str())
    .bind(new.name.trim())
    .bind(&code)
    .bind(new.parent_id)
    .bind(format!("pending:{code}"))
    .bind(new.region.trim())
    .bind(now.0)
    .fetch_one(&mut **tx)
    .await;
    let Some(id) = yaolian_store::returned_id(inserted)? else {
        return Err(ValidationError::single("code", "unique", format!("code {code} is already registered")).into());
    };
    let path = format!("{target_path}{id}/");
    sqlx::query("UPDATE orgs SET path = $1 WHERE id = $2").bind(&path).bind(id).execute(&mut **tx).await?;
    let org = Org {
        id,
        kind: new.kind,
        name: new.name.trim().to_string(),
        code,
        parent_id: new.parent_id,
        path,
        region: new.region.trim().to_string(),
        status: "active".into(),
        version: 1,
    };
    versions::append(
        tx,
        NewVersion {
            entity: "org",
            entity_id: &id.to_string(),
            actor: principal.username(),
            action: "create",
            reason: "",
            data: &json!(org),
            expected_version: None,
        },
    )
    .await?;
    audit::record(tx, audit::Event::by(principal, action::ORG_CREATE, &format!("org:{id} {}", org.name), client))
        .await?;
    Ok(org)
}
