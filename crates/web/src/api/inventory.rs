//! The reagent and material inventory over HTTP: items and search, receipts, issues (FEFO),
//! returns, counts and their approval, disposals, expiry warnings and the waste report.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yaolian_inventory::items::{self, Item, ItemQuery, NewItem};
use yaolian_inventory::stock::{self, Issue, Lot, Movement, Receipt, TwoPerson, Waste};

use super::{ApiQuery, IdPath};
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, Auth, Client};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/inventory/items", get(list_items).post(create_item))
        .route("/api/v1/inventory/items/{id}", get(get_item))
        .route("/api/v1/inventory/lots", post(receive_lot))
        .route("/api/v1/inventory/lots/{id}", get(get_lot))
        .route("/api/v1/inventory/lots/{id}/return", post(return_to_lot))
        .route("/api/v1/inventory/lots/{id}/count", post(count_lot))
        .route("/api/v1/inventory/lots/{id}/dispose", post(dispose_lot))
        .route("/api/v1/inventory/issues", post(issue_stock))
        .route("/api/v1/inventory/adjustments", get(list_adjustments))
        .route("/api/v1/inventory/adjustments/{id}/decision", post(decide_adjustment))
        .route("/api/v1/inventory/expiring", get(expiring_lots))
        .route("/api/v1/inventory/waste", get(waste_report))
        .route("/api/v1/inventory/lots/{id}/transfer", post(transfer_lot))
        .route("/api/v1/inventory/usage", get(usage_log))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ItemListParams {
    /// Any name, synonym, part of one, CAS number, formula or code.
    pub q: Option<String>,
    /// toxic, precursor, explosive; `any` for every controlled item.
    pub control: Option<String>,
    pub org_id: Option<i64>,
    /// code, name, updated_at.
    pub sort: Option<String>,
    pub desc: Option<bool>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemPage {
    pub items: Vec<Item>,
    /// The rows the filter selects, counted up to 10,000; 10,001 means more than that.
    pub total: i64,
}

/// Items of the caller's stockrooms (`inventory.read`), found by any name or a part of one.
#[utoipa::path(get, path = "/api/v1/inventory/items", tag = "inventory", params(ItemListParams),
    responses((status = 200, body = ItemPage), (status = 403, body = Problem)))]
pub async fn list_items(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ItemListParams>,
) -> ApiResult<Json<ItemPage>> {
    let query = ItemQuery {
        q: q.q,
        control: q.control,
        org_id: q.org_id,
        sort: q.sort,
        desc: q.desc.unwrap_or(false),
        limit: q.limit.unwrap_or(50),
        offset: q.offset.unwrap_or(0),
    };
    let (items, total) = items::list(state.store(), &p, &query, &client).await?;
    Ok(Json(ItemPage { items, total }))
}

/// Register an item (`inventory.manage` over its stockroom).
#[utoipa::path(post, path = "/api/v1/inventory/items", tag = "inventory", request_body = NewItem,
    responses((status = 201, body = Item), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_item(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(new): ApiJson<NewItem>,
) -> ApiResult<(StatusCode, Json<Item>)> {
    Ok((StatusCode::CREATED, Json(items::create(state.store(), &p, &new, &client).await?)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemDetail {
    pub item: Item,
    /// Earliest expiry first: the order FEFO issues them in.
    pub lots: Vec<Lot>,
}

/// One item with its lots.
#[utoipa::path(get, path = "/api/v1/inventory/items/{id}", tag = "inventory", params(("id" = i64, Path)),
    responses((status = 200, body = ItemDetail), (status = 404, body = Problem)))]
pub async fn get_item(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<ItemDetail>> {
    let item = items::get(state.store(), &p, id, &client).await?;
    let lots = stock::lots_of(state.store(), &p, id, &client).await?;
    Ok(Json(ItemDetail { item, lots }))
}

/// Receive a lot (入库, `inventory.manage`); a controlled chemical needs `signatures`.
#[utoipa::path(post, path = "/api/v1/inventory/lots", tag = "inventory", request_body = Receipt,
    responses((status = 201, body = Lot), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn receive_lot(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(r): ApiJson<Receipt>,
) -> ApiResult<(StatusCode, Json<Lot>)> {
    Ok((StatusCode::CREATED, Json(stock::receive(state.store(), state.identity(), &p, &r, &client).await?)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LotDetail {
    pub lot: Lot,
    /// The lot's stock card, oldest first.
    pub movements: Vec<Movement>,
}

/// One lot with its movements (the stock card).
#[utoipa::path(get, path = "/api/v1/inventory/lots/{id}", tag = "inventory", params(("id" = i64, Path)),
    responses((status = 200, body = LotDetail), (status = 404, body = Problem)))]
pub async fn get_lot(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<LotDetail>> {
    let lot = stock::lot(state.store(), &p, id, &client).await?;
    let movements = stock::movements_of(state.store(), &p, id, &client).await?;
    Ok(Json(LotDetail { lot, movements }))
}

/// Issue stock (领用, `inventory.use`): FEFO unless a lot is named.
#[utoipa::path(post, path = "/api/v1/inventory/issues", tag = "inventory", request_body = Issue,
    responses((status = 201, body = Vec<Movement>), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn issue_stock(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<Issue>,
) -> ApiResult<(StatusCode, Json<Vec<Movement>>)> {
    Ok((StatusCode::CREATED, Json(stock::issue(state.store(), state.identity(), &p, &req, &client).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnRequest {
    pub qty: String,
    /// 退还说明.
    pub purpose: String,
    #[serde(default)]
    pub signatures: Option<TwoPerson>,
}

/// Give back part of what was issued from a lot (退还, `inventory.use`).
#[utoipa::path(post, path = "/api/v1/inventory/lots/{id}/return", tag = "inventory", params(("id" = i64, Path)),
    request_body = ReturnRequest, responses((status = 201, body = Movement), (status = 422, body = Problem)))]
pub async fn return_to_lot(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<ReturnRequest>,
) -> ApiResult<(StatusCode, Json<Movement>)> {
    let m =
        stock::give_back(state.store(), state.identity(), &p, id, &r.qty, &r.purpose, r.signatures.as_ref(), &client)
            .await?;
    Ok((StatusCode::CREATED, Json(m)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountRequest {
    /// The quantity found on the shelf.
    pub counted: String,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CountResult {
    /// The adjustment awaiting approval; none when the count agrees with the stock.
    pub adjustment: Option<Movement>,
}

/// Record a count (盘点, `inventory.manage`): a difference waits for approval.
#[utoipa::path(post, path = "/api/v1/inventory/lots/{id}/count", tag = "inventory", params(("id" = i64, Path)),
    request_body = CountRequest, responses((status = 200, body = CountResult), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn count_lot(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<CountRequest>,
) -> ApiResult<Json<CountResult>> {
    Ok(Json(CountResult { adjustment: stock::count(state.store(), &p, id, &r.counted, &r.reason, &client).await? }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisposeRequest {
    pub reason: String,
    #[serde(default)]
    pub signatures: Option<TwoPerson>,
}

/// Dispose of what is left of a lot (报废, `inventory.manage`).
#[utoipa::path(post, path = "/api/v1/inventory/lots/{id}/dispose", tag = "inventory", params(("id" = i64, Path)),
    request_body = DisposeRequest, responses((status = 200, body = Movement), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn dispose_lot(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<DisposeRequest>,
) -> ApiResult<Json<Movement>> {
    Ok(Json(stock::dispose(state.store(), state.identity(), &p, id, &r.reason, r.signatures.as_ref(), &client).await?))
}

/// Adjustments awaiting a decision (`inventory.approve`).
#[utoipa::path(get, path = "/api/v1/inventory/adjustments", tag = "inventory",
    responses((status = 200, body = Vec<Movement>), (status = 403, body = Problem)))]
pub async fn list_adjustments(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<Movement>>> {
    Ok(Json(stock::pending(state.store(), &p, &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentDecision {
    pub approve: bool,
    /// 审批意见.
    pub note: String,
}

/// Approve or reject an adjustment (`inventory.approve`; not one's own count).
#[utoipa::path(post, path = "/api/v1/inventory/adjustments/{id}/decision", tag = "inventory", params(("id" = i64, Path)),
    request_body = AdjustmentDecision, responses((status = 200, body = Movement), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn decide_adjustment(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(d): ApiJson<AdjustmentDecision>,
) -> ApiResult<Json<Movement>> {
    Ok(Json(stock::decide(state.store(), &p, id, d.approve, &d.note, &client).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ExpiringParams {
    /// Days ahead (default 30).
    pub days: Option<i64>,
}

/// Lots in stock expiring within `days` or expired (近效期预警).
#[utoipa::path(get, path = "/api/v1/inventory/expiring", tag = "inventory", params(ExpiringParams),
    responses((status = 200, body = Vec<Lot>), (status = 403, body = Problem)))]
pub async fn expiring_lots(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ExpiringParams>,
) -> ApiResult<Json<Vec<Lot>>> {
    Ok(Json(stock::expiring(state.store(), &p, q.days.unwrap_or(30), &client).await?))
}

/// Expired lots with what was left unused (过期报废统计).
#[utoipa::path(get, path = "/api/v1/inventory/waste", tag = "inventory",
    responses((status = 200, body = Vec<Waste>), (status = 403, body = Problem)))]
pub async fn waste_report(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<Waste>>> {
    Ok(Json(stock::waste(state.store(), &p, &client).await?))
}

/// Move a lot to another room, cabinet or shelf (`inventory.manage`; a controlled chemical
/// under two signatures).
#[utoipa::path(post, path = "/api/v1/inventory/lots/{id}/transfer", tag = "inventory", params(("id" = i64, Path)),
    request_body = stock::Transfer, responses((status = 200, body = stock::Movement), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn transfer_lot(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(to): ApiJson<stock::Transfer>,
) -> ApiResult<Json<stock::Movement>> {
    Ok(Json(stock::transfer(state.store(), state.identity(), &p, id, &to, &client).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct UsageParams {
    /// YYYY-MM-DD: from this day on (China time); everything when absent.
    pub from: Option<String>,
}

/// The controlled-chemical usage log: per person and lot, issued against returned and used
/// (`inventory.read`).
#[utoipa::path(get, path = "/api/v1/inventory/usage", tag = "inventory", params(UsageParams),
    responses((status = 200, body = Vec<stock::Usage>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn usage_log(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<UsageParams>,
) -> ApiResult<Json<Vec<stock::Usage>>> {
    let from = match q.from.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        None => None,
        Some(f) => match chrono::NaiveDate::parse_from_str(f, "%Y-%m-%d") {
            Ok(d) => Some(yaolian_core::time::day_number(d)),
            Err(_) => return Err(yaolian_core::ValidationError::single("from", "date", "a date as YYYY-MM-DD").into()),
        },
    };
    Ok(Json(stock::usage_log(state.store(), &p, from, &client).await?))
}
