//! Search across the three dossiers: companies by name or 统一社会信用代码, products by name,
//! 批准文号 or 药品标识码, persons by name or certificate number — each within the reader's scope.

use crate::error::Result;
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_access::{perm, scope_filter};
use yaolian_access::{ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_store::sql::Params;
use yaolian_store::Store;

use crate::persons::{self, Person};
use crate::products::{self, Product, ProductQuery};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CompanyHit {
    pub id: i64,
    pub name: String,
    pub code: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Results {
    pub companies: Vec<CompanyHit>,
    pub products: Vec<Product>,
    pub products_total: i64,
    pub persons: Vec<Person>,
}

/// Up to `limit` hits of each kind for `q` (substring; empty `q` lists the first of each).
pub async fn search(store: &Store, principal: &Principal, q: &str, limit: i64, client: &ClientInfo) -> Result<Results> {
    let mut p = Params::new();
    let Some(filter) = scope_filter(principal, perm::REGISTRY_READ, &mut p) else {
        return Err(audit::deny(store, principal, perm::REGISTRY_READ, "registry", client).await);
    };
    let like = format!("%{}%", q.trim().replace(['%', '_'], "").to_uppercase());
    let like_name = format!("%{}%", q.trim().replace(['%', '_'], ""));
    let a = p.push(like_name.as_str());
    let b = p.push(like.as_str());
    let lim = p.push(limit.clamp(1, 200));
    let sql = format!(
        "SELECT o.id, o.name, o.code FROM orgs o WHERE o.kind = 'company' AND {filter} \
         AND (o.name LIKE {a} OR o.code LIKE {b}) ORDER BY o.name LIMIT {lim}"
    );
    let companies = p
        .bind(sqlx::query(&sql))
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|r| Ok(CompanyHit { id: r.try_get(0)?, name: r.try_get(1)?, code: r.try_get(2)? }))
        .collect::<std::result::Result<_, sqlx::Error>>()?;
    let pq = ProductQuery { q: Some(q.to_string()), limit, ..ProductQuery::default() };
    let (products, products_total) = products::list(store, principal, &pq, client).await?;
    let persons = persons::list(store, principal, q, limit, client).await?;
    Ok(Results { companies, products, products_total, persons })
}
