//! The registry over HTTP: 一品一档 products and 一企一档 company dossiers.

use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yaolian_registry::companies::{self, Dossier, Profile};
use yaolian_registry::import::{self, ImportReport};
use yaolian_registry::persons::{self, NewPerson, Person};
use yaolian_registry::products::{self, NewProduct, Product, ProductQuery};
use yaolian_registry::search;
use yaolian_registry::table;

use super::{ApiQuery, IdPath};
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, Auth, Client};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/products", get(list_products).post(create_product))
        .route("/api/v1/products/{id}", get(get_product).put(update_product))
        .route(
            "/api/v1/products/import",
            axum::routing::post(import_products).layer(DefaultBodyLimit::max(table::MAX_UPLOAD_BYTES)),
        )
        .route("/api/v1/products.xlsx", get(export_products_xlsx))
        .route("/api/v1/companies/{id}/dossier", get(company_dossier))
        .route("/api/v1/registry/search", get(registry_search))
        .route("/api/v1/persons", get(list_persons).post(create_person))
        .route("/api/v1/companies/{id}/profile", axum::routing::put(update_company_profile))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ProductListParams {
    /// Substring of generic or trade name, 批准文号 or 药品标识码.
    pub q: Option<String>,
    pub mah_org_id: Option<i64>,
    pub dosage_form: Option<String>,
    /// approval_number, generic_name, mah, updated_at (default, newest first).
    pub sort: Option<String>,
    pub desc: Option<bool>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductPage {
    pub items: Vec<Product>,
    /// The rows the filter selects, counted up to 10,000; 10,001 means more than that.
    pub total: i64,
}

/// Products whose MAH is in the caller's data scope (`registry.read`).
#[utoipa::path(get, path = "/api/v1/products", tag = "registry", params(ProductListParams),
    responses((status = 200, body = ProductPage), (status = 403, body = Problem)))]
pub async fn list_products(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ProductListParams>,
) -> ApiResult<Json<ProductPage>> {
    let query = ProductQuery {
        q: q.q,
        mah_org_id: q.mah_org_id,
        dosage_form: q.dosage_form,
        sort: q.sort,
        desc: q.desc.unwrap_or(false),
        limit: q.limit.unwrap_or(50),
        offset: q.offset.unwrap_or(0),
    };
    let (items, total) = products::list(state.store(), &p, &query, &client).await?;
    Ok(Json(ProductPage { items, total }))
}

/// Register a product (`registry.manage` over its MAH).
#[utoipa::path(post, path = "/api/v1/products", tag = "registry", request_body = NewProduct,
    responses((status = 201, body = Product), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_product(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(new): ApiJson<NewProduct>,
) -> ApiResult<(StatusCode, Json<Product>)> {
    Ok((StatusCode::CREATED, Json(products::create(state.store(), &p, &new, &client).await?)))
}

/// One product.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "registry", params(("id" = i64, Path)),
    responses((status = 200, body = Product), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_product(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Product>> {
    Ok(Json(products::get(state.store(), &p, id, &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ProductChange {
    #[serde(flatten)]
    pub product: NewProduct,
    /// Why (修改原因).
    pub reason: String,
    /// The version the change was made on.
    pub expected_version: i64,
}

/// Change a product: a new version with a reason (409 when it changed meanwhile).
#[utoipa::path(put, path = "/api/v1/products/{id}", tag = "registry", params(("id" = i64, Path)),
    request_body = ProductChange,
    responses((status = 200, body = Product), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update_product(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(c): ApiJson<ProductChange>,
) -> ApiResult<Json<Product>> {
    let product = products::update(state.store(), &p, id, &c.product, &c.reason, c.expected_version, &client).await?;
    Ok(Json(product))
}

/// A company's dossier: organization, profile, products, timeline (`registry.read`).
#[utoipa::path(get, path = "/api/v1/companies/{id}/dossier", tag = "registry", params(("id" = i64, Path)),
    responses((status = 200, body = Dossier), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn company_dossier(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Dossier>> {
    Ok(Json(companies::dossier(state.store(), &p, id, &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ProfileChange {
    #[serde(flatten)]
    pub profile: Profile,
    /// Why (修改原因); not needed for the first version.
    #[serde(default)]
    pub reason: String,
    /// The profile version the change was made on (0 before the first).
    pub expected_version: i64,
}

/// Save a company's profile (`registry.manage` over the company; versioned).
#[utoipa::path(put, path = "/api/v1/companies/{id}/profile", tag = "registry", params(("id" = i64, Path)),
    request_body = ProfileChange,
    responses((status = 200, body = Dossier), (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn update_company_profile(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(c): ApiJson<ProfileChange>,
) -> ApiResult<Json<Dossier>> {
    let d =
        companies::update_profile(state.store(), &p, id, &c.profile, &c.reason, c.expected_version, &client).await?;
    Ok(Json(d))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchParams {
    /// Substring of a name, 统一社会信用代码, 批准文号, 药品标识码 or certificate number.
    #[serde(default)]
    pub q: String,
    pub limit: Option<i64>,
}

/// Search companies, products and persons at once (`registry.read`, in the caller's scope).
#[utoipa::path(get, path = "/api/v1/registry/search", tag = "registry", params(SearchParams),
    responses((status = 200, body = search::Results), (status = 403, body = Problem)))]
pub async fn registry_search(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<SearchParams>,
) -> ApiResult<Json<search::Results>> {
    Ok(Json(search::search(state.store(), &p, &q.q, q.limit.unwrap_or(20), &client).await?))
}

/// Persons whose name or certificate number contains `q`.
#[utoipa::path(get, path = "/api/v1/persons", tag = "registry", params(SearchParams),
    responses((status = 200, body = Vec<Person>), (status = 403, body = Problem)))]
pub async fn list_persons(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<SearchParams>,
) -> ApiResult<Json<Vec<Person>>> {
    Ok(Json(persons::list(state.store(), &p, &q.q, q.limit.unwrap_or(100), &client).await?))
}

/// Register a licensed person (`registry.manage` over the employer).
#[utoipa::path(post, path = "/api/v1/persons", tag = "registry", request_body = NewPerson,
    responses((status = 201, body = Person), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_person(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(new): ApiJson<NewPerson>,
) -> ApiResult<(StatusCode, Json<Person>)> {
    Ok((StatusCode::CREATED, Json(persons::create(state.store(), &p, &new, &client).await?)))
}

/// Import a product list: the request body is the file itself (xlsx, xls or CSV UTF-8; at most
/// 10 MiB, 10,000 rows below the header, 100 columns — `registry::table::Limits::UPLOAD`). Good
/// rows are registered; each refused row is reported with its row number, field and rule. A
/// file over a limit is refused whole: 413 for its size, 422 naming the limit otherwise
/// (`file`, `max_rows:10000`).
#[utoipa::path(post, path = "/api/v1/products/import", tag = "registry",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the spreadsheet"),
    responses((status = 200, body = ImportReport), (status = 403, body = Problem), (status = 413, body = Problem),
        (status = 422, body = Problem)))]
pub async fn import_products(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Json<ImportReport>> {
    let body = super::upload_body(body, table::MAX_UPLOAD_BYTES)?;
    Ok(Json(import::import_products(state.store(), &p, &body, &client).await?))
}

/// Products in the caller's scope as an Excel workbook (the import's columns).
#[utoipa::path(get, path = "/api/v1/products.xlsx", tag = "registry",
    responses((status = 200, description = "xlsx workbook"), (status = 403, body = Problem)))]
pub async fn export_products_xlsx(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<axum::response::Response> {
    let query = ProductQuery { limit: 100_000, ..ProductQuery::default() };
    let (items, _) = products::list(state.store(), &p, &query, &client).await?;
    yaolian_audit::record_export(state.store(), &p, "products.xlsx", items.len(), &client).await?;
    Ok(xlsx_response("products.xlsx", import::products_xlsx(&items)?))
}

/// An Excel download.
pub fn xlsx_response(filename: &str, body: Vec<u8>) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    (
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        body,
    )
        .into_response()
}
