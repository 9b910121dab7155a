//! 试剂物料库存 pages: the item list (search by any name, part of one or CAS number; filter,
//! sort, page, export), a new item, an item with its lots in FEFO order and the issue and
//! receipt forms, a lot with its label (QR code), stock card and count, return and disposal
//! forms, the adjustments awaiting approval, and the expiry warning with the waste report.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use yaolian_access::perm;
use yaolian_core::FieldError;
use yaolian_inventory::items::{self, Item, ItemQuery, NewItem, CATEGORIES, CONTROLS, PICTOGRAMS};
use yaolian_inventory::stock::{self, Issue, Lot, Movement, Receipt, TwoPerson, Waste};
use yaolian_inventory::{qty, InventoryError};

use super::{failure_page, field_error, render, Chrome, PageUser};
use crate::api::IdPath;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/inventory", get(list_page))
        .route("/inventory.csv", get(list_export))
        .route("/inventory.xlsx", get(list_export))
        .route("/inventory/items/new", get(new_form).post(create))
        .route("/inventory/items/{id}", get(item_page))
        .route("/inventory/items/{id}/issue", post(issue_submit))
        .route("/inventory/items/{id}/receive", post(receive_submit))
        .route("/inventory/lots/{id}", get(lot_page))
        .route("/inventory/lots/{id}/{step}", post(lot_step))
        .route("/inventory/adjustments", get(adjustments_page))
        .route("/inventory/adjustments/{id}", post(adjustment_decide))
        .route("/inventory/expiry", get(expiry_page))
        .route("/inventory/usage", get(usage_page))
        .route("/inventory/usage.csv", get(usage_export))
        .route("/inventory/usage.xlsx", get(usage_export))
}

const PAGE_SIZE: i64 = 25;

/// Labels of the inventory's fields, for refusals said in Chinese.
fn field_label(field: &str) -> Option<String> {
    let base = field.split('[').next().unwrap_or(field);
    Some(
        match base {
            "org_id" => "库房",
            "code" => "物料编码",
            "name_zh" => "中文名称",
            "name_en" => "英文名称",
            "synonyms" => "别名",
            "cas" => "CAS 号",
            "formula" => "分子式",
            "category" => "类别",
            "unit" => "计量单位",
            "control" => "管制类别",
            "ghs" => "危险象形图",
            "hazards" => "危险说明与防范说明代码",
            "storage" => "储存条件",
            "requisition_limit" => "单次领用限量",
            "lot_no" => "批号",
            "supplier" => "供应商",
            "expires_on" => "有效期至",
            "retest_on" => "复验期",
            "room" => "房间",
            "cabinet" => "柜",
            "shelf" => "层位",
            "container" => "包装规格",
            "qty" => "数量",
            "purpose" => "用途",
            "fefo_reason" => "改领此批的原因",
            "signatures" => "双人签名",
            "signatures.witness" => "复核人",
            "counted" => "实盘数量",
            "reason" => "原因",
            "note" => "审批意见",
            "lot_id" => "批次",
            _ => return None,
        }
        .to_string(),
    )
}

/// A refusal as the form's errors: the inventory's own refusals in their Chinese sentence, the
/// shared ones by field label and rule.
fn refusals(user: &PageUser, e: InventoryError) -> Result<Vec<FieldError>, Response> {
    super::domain_refusals(user.lang, e.zh(), e.code(), e, field_label)
}

/// What the inventory's templates show of codes and quantities.
trait Shows {
    fn control_label(&self, code: &str) -> &'static str {
        items::label(CONTROLS, code)
    }
    fn category_label(&self, code: &str) -> &'static str {
        items::label(CATEGORIES, code)
    }
    fn pictogram_label(&self, code: &str) -> &'static str {
        items::label(PICTOGRAMS, code)
    }
    fn kind_label(&self, code: &str) -> &'static str {
        items::label(stock::KINDS, code)
    }
    fn status_label(&self, code: &str) -> &'static str {
        items::label(stock::STATUSES, code)
    }
    fn amount(&self, thousandths: &i64) -> String {
        qty::format(*thousandths)
    }
    /// A lot's expiry as a badge: disposed, expired, within 30 days, or fine.
    fn expiry_badge(&self, lot: &Lot) -> (&'static str, String) {
        if lot.status == "disposed" {
            ("danger", "已报废".into())
        } else if lot.expired() {
            ("danger", format!("已过期 {} 天", -lot.days_left))
        } else if lot.days_left <= 30 {
            ("warn", format!("{} 天后到期", lot.days_left))
        } else {
            ("ok", format!("剩 {} 天", lot.days_left))
        }
    }
}

impl Shows for ListPage {}
impl Shows for ItemPage {}
impl Shows for LotPage {}
impl Shows for AdjustmentsPage {}
impl Shows for ExpiryPage {}

#[derive(Deserialize, Default, Clone)]
pub struct Filter {
    #[serde(default)]
    q: String,
    #[serde(default)]
    control: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    desc: String,
    #[serde(default)]
    page: String,
}

impl Filter {
    fn page(&self) -> i64 {
        self.page.parse::<i64>().unwrap_or(1).max(1)
    }

    fn query(&self, all: bool) -> ItemQuery {
        ItemQuery {
            q: Some(self.q.clone()),
            control: Some(self.control.clone()).filter(|c| !c.is_empty()),
            org_id: None,
            sort: Some(self.sort.clone()).filter(|s| !s.is_empty()),
            desc: self.desc == "1",
            limit: if all { 10_000 } else { PAGE_SIZE },
            offset: if all { 0 } else { (self.page() - 1) * PAGE_SIZE },
        }
    }

    fn is_set(&self) -> bool {
        !self.q.trim().is_empty() || !self.control.is_empty()
    }

    fn link(&self, sort: Option<&str>, page: Option<i64>) -> String {
        let (key, desc) = super::Sorting { key: &self.sort, desc: &self.desc }.toggle(sort);
        format!(
            "?q={}&control={}&sort={}&desc={desc}&page={}",
            urlencoding::encode(&self.q),
            urlencoding::encode(&self.control),
            urlencoding::encode(&key),
            page.unwrap_or(1)
        )
    }
}

#[derive(Template)]
#[template(path = "inventory.html")]
struct ListPage {
    chrome: Chrome,
    items: Vec<Item>,
    total: i64,
    pages: i64,
    filter: Filter,
    controls: &'static [(&'static str, &'static str)],
    can_create: bool,
    /// Lots expiring within 30 days or expired, and adjustments awaiting this user's decision.
    expiring: usize,
    waiting: Option<usize>,
}

impl ListPage {
    fn sort_link(&self, key: &str) -> String {
        self.filter.link(Some(key), None)
    }
    fn sort_class(&self, key: &str) -> &'static str {
        super::Sorting { key: &self.filter.sort, desc: &self.filter.desc }.class(key)
    }
    fn sort_aria(&self, key: &str) -> &'static str {
        super::Sorting { key: &self.filter.sort, desc: &self.filter.desc }.aria(key)
    }
    fn page_link(&self, page: impl std::borrow::Borrow<i64>) -> String {
        self.filter.link(None, Some(*page.borrow()))
    }
}

async fn list_page(State(state): State<AppState>, user: PageUser, Query(filter): Query<Filter>) -> Response {
    let store = state.store();
    let (items, total) = match items::list(store, &user.principal, &filter.query(false), &user.client).await {
        Ok(r) => r,
        Err(e) => return failure_page(user.lang, e),
    };
    let expiring = stock::expiring(store, &user.principal, 30, &user.client).await.map(|l| l.len()).unwrap_or(0);
    let waiting = if user.principal.has(perm::INVENTORY_APPROVE) {
        stock::pending(store, &user.principal, &user.client).await.ok().map(|l| l.len())
    } else {
        None
    };
    render(&ListPage {
        chrome: user.chrome("inventory"),
        items,
        total,
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        filter,
        controls: CONTROLS,
        can_create: user.principal.has(perm::INVENTORY_MANAGE),
        expiring,
        waiting,
    })
}

/// Every item the filter selects as `inventory.csv` or `inventory.xlsx`; the export is audited.
async fn list_export(
    State(state): State<AppState>,
    user: PageUser,
    format: super::export::Format,
    Query(filter): Query<Filter>,
) -> Response {
    match items::list(state.store(), &user.principal, &filter.query(true), &user.client).await {
        Ok((items, _)) => super::export::send(&state, &user, "inventory", format, items::table(&items)).await,
        Err(e) => failure_page(user.lang, e),
    }
}

/// The new-item form's fields as typed (kept on error).
#[derive(Deserialize, Default, Clone)]
pub struct ItemForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name_zh: String,
    #[serde(default)]
    name_en: String,
    /// One per line.
    #[serde(default)]
    synonyms: String,
    #[serde(default)]
    cas: String,
    #[serde(default)]
    formula: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    control: String,
    /// Pictogram codes, separated by spaces or commas.
    #[serde(default)]
    ghs: String,
    #[serde(default)]
    hazards: String,
    #[serde(default)]
    storage: String,
    #[serde(default)]
    requisition_limit: String,
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == ',' || c == '，' || c == '、')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[derive(Template)]
#[template(path = "inventory_item_form.html")]
struct ItemFormPage {
    chrome: Chrome,
    form: ItemForm,
    errors: Vec<FieldError>,
    orgs: Vec<yaolian_identity::Org>,
    categories: &'static [(&'static str, &'static str)],
    controls: &'static [(&'static str, &'static str)],
    pictograms: &'static [(&'static str, &'static str)],
    units: &'static [&'static str],
}

impl ItemFormPage {
    fn err(&self, field: &str) -> Option<&str> {
        field_error(&self.errors, field).or_else(|| {
            let prefix = format!("{field}[");
            self.errors.iter().find(|e| e.field.starts_with(&prefix)).map(|e| e.message.as_str())
        })
    }
}

async fn render_item_form(state: &AppState, user: &PageUser, mut form: ItemForm, errors: Vec<FieldError>) -> Response {
    let orgs = super::org_picks(state, user, None).await;
    form.org = super::picker_text(state, user, &form.org).await;
    let refused = !errors.is_empty();
    super::render_form(
        &ItemFormPage {
            chrome: user.chrome("inventory"),
            form,
            errors,
            orgs,
            categories: CATEGORIES,
            controls: CONTROLS,
            pictograms: PICTOGRAMS,
            units: qty::UNITS,
        },
        refused,
    )
}

async fn new_form(State(state): State<AppState>, user: PageUser) -> Response {
    let form = ItemForm {
        org: user.principal.org_id().to_string(),
        category: "reagent".into(),
        unit: "g".into(),
        ..ItemForm::default()
    };
    render_item_form(&state, &user, form, Vec::new()).await
}

async fn create(State(state): State<AppState>, user: PageUser, Form(form): Form<ItemForm>) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let org_id = match super::picked_org(&state, &user, "org_id", &form.org, None).await {
        Ok(id) => id,
        Err(Ok(errors)) => return render_item_form(&state, &user, form, errors).await,
        Err(Err(page)) => return page,
    };
    let new = NewItem {
        org_id,
        code: form.code.clone(),
        name_zh: form.name_zh.clone(),
        name_en: form.name_en.clone(),
        synonyms: form.synonyms.lines().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect(),
        cas: Some(form.cas.clone()),
        formula: form.formula.clone(),
        category: form.category.clone(),
        unit: form.unit.clone(),
        control: form.control.clone(),
        ghs: words(&form.ghs),
        hazards: words(&form.hazards),
        storage: form.storage.clone(),
        requisition_limit: Some(form.requisition_limit.clone()),
    };
    match items::create(state.store(), &user.principal, &new, &user.client).await {
        Ok(item) => Redirect::to(&format!("/inventory/items/{}?done=created", item.id)).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_item_form(&state, &user, form, errors).await,
            Err(page) => page,
        },
    }
}

/// The fields of every stock form on the item and lot pages (each form sends its own); what
/// a refused form sent is kept to fill it again, passwords excepted.
#[derive(Deserialize, Default, Clone)]
pub struct StockForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    qty: String,
    #[serde(default)]
    lot_id: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    fefo_reason: String,
    #[serde(default)]
    lot_no: String,
    #[serde(default)]
    supplier: String,
    #[serde(default)]
    expires_on: String,
    #[serde(default)]
    retest_on: String,
    #[serde(default)]
    room: String,
    #[serde(default)]
    cabinet: String,
    #[serde(default)]
    shelf: String,
    #[serde(default)]
    container: String,
    #[serde(default)]
    counted: String,
    /// `1`: the books' opening (期初建账).
    #[serde(default)]
    opening: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    approve: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    totp: String,
    #[serde(default)]
    witness: String,
    #[serde(default)]
    witness_password: String,
    #[serde(default)]
    witness_totp: String,
}

impl StockForm {
    /// The two signatures, when the form carried a password.
    fn signatures(&self) -> Option<TwoPerson> {
        let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        (!self.password.is_empty() || !self.witness.trim().is_empty()).then(|| TwoPerson {
            password: self.password.clone(),
            totp: some(&self.totp),
            witness: self.witness.trim().to_string(),
            witness_password: self.witness_password.clone(),
            witness_totp: some(&self.witness_totp),
        })
    }

    /// The form as kept for showing again: no passwords or codes.
    fn kept(self) -> StockForm {
        StockForm {
            csrf: String::new(),
            password: String::new(),
            totp: String::new(),
            witness_password: String::new(),
            witness_totp: String::new(),
            ..self
        }
    }
}

type Failed = super::Failed<StockForm>;

#[derive(Template)]
#[template(path = "inventory_item.html")]
struct ItemPage {
    chrome: Chrome,
    item: Item,
    lots: Vec<Lot>,
    failed: Failed,
    done: String,
    can_issue: bool,
    can_receive: bool,
}

impl ItemPage {
    fn qty_label(&self) -> String {
        let unit = &self.item.unit;
        if self.chrome.lang.code() == "en" {
            format!("Quantity ({unit}) *")
        } else {
            format!("数量（{unit}） *")
        }
    }
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

/// The success message of a finished step.
fn notice(done: &str) -> String {
    match done {
        "created" => "物料已登记",
        "received" => "已入库",
        "issued" => "已领用出库",
        "returned" => "已退还入库",
        "counted" => "盘点已记录，差异调整待审批",
        "agrees" => "盘点数量与账面一致",
        "disposed" => "已报废",
        "moved" => "已移库",
        "approved" => "调整已批准，库存已更新",
        "rejected" => "调整已驳回",
        _ => "",
    }
    .to_string()
}

async fn render_item(state: &AppState, user: &PageUser, id: i64, failed: Failed, done: &str) -> Response {
    let store = state.store();
    let item = match items::get(store, &user.principal, id, &user.client).await {
        Ok(i) => i,
        Err(e) => return failure_page(user.lang, e),
    };
    let lots = match stock::lots_of(store, &user.principal, id, &user.client).await {
        Ok(l) => l,
        Err(e) => return failure_page(user.lang, e),
    };
    let offers = stock::offers(store, &user.principal, item.org_id).await.unwrap_or_default();
    let mut chrome = user.chrome("inventory");
    chrome.title = format!("{} · {}", item.name_zh, item.code);
    let refused = !failed.errors.is_empty();
    super::render_form(
        &ItemPage {
            chrome,
            can_issue: offers.issue,
            can_receive: offers.manage,
            item,
            lots,
            failed,
            done: notice(done),
        },
        refused,
    )
}

async fn item_page(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(d): Query<Done>,
) -> Response {
    render_item(&state, &user, id, Failed::default(), &d.done).await
}

async fn issue_submit(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Form(form): Form<StockForm>,
) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let req = Issue {
        item_id: id,
        qty: form.qty.clone(),
        lot_id: form.lot_id.parse().ok(),
        purpose: form.purpose.clone(),
        fefo_reason: form.fefo_reason.clone(),
        signatures: form.signatures(),
    };
    match stock::issue(state.store(), state.identity(), &user.principal, &req, &user.client).await {
        Ok(_) => Redirect::to(&format!("/inventory/items/{id}?done=issued")).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_item(&state, &user, id, Failed { form: "issue", kept: form.kept(), errors }, "").await,
            Err(page) => page,
        },
    }
}

async fn receive_submit(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Form(form): Form<StockForm>,
) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let r = Receipt {
        item_id: id,
        lot_no: form.lot_no.clone(),
        supplier: form.supplier.clone(),
        expires_on: form.expires_on.clone(),
        retest_on: Some(form.retest_on.clone()),
        room: form.room.clone(),
        cabinet: form.cabinet.clone(),
        shelf: form.shelf.clone(),
        container: form.container.clone(),
        qty: form.qty.clone(),
        signatures: form.signatures(),
        opening: form.opening == "1",
    };
    match stock::receive(state.store(), state.identity(), &user.principal, &r, &user.client).await {
        Ok(lot) => Redirect::to(&format!("/inventory/lots/{}?done=received", lot.id)).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => {
                render_item(&state, &user, id, Failed { form: "receive", kept: form.kept(), errors }, "").await
            }
            Err(page) => page,
        },
    }
}

#[derive(Template)]
#[template(path = "inventory_lot.html")]
struct LotPage {
    chrome: Chrome,
    lot: Lot,
    controlled: bool,
    movements: Vec<Movement>,
    qr: String,
    url: String,
    failed: Failed,
    done: String,
    can_use: bool,
    can_manage: bool,
}

async fn render_lot(
    state: &AppState,
    user: &PageUser,
    headers: &HeaderMap,
    id: i64,
    failed: Failed,
    done: &str,
) -> Response {
    let store = state.store();
    let lot = match stock::lot(store, &user.principal, id, &user.client).await {
        Ok(l) => l,
        Err(e) => return failure_page(user.lang, e),
    };
    let movements = match stock::movements_of(store, &user.principal, id, &user.client).await {
        Ok(m) => m,
        Err(e) => return failure_page(user.lang, e),
    };
    let offers = stock::offers(store, &user.principal, lot.org_id).await.unwrap_or_default();
    let url = super::license::site_url(state, headers, &format!("/inventory/lots/{id}"));
    let mut chrome = user.chrome("inventory");
    chrome.title = format!("{} · 批号 {}", lot.item_name, lot.lot_no);
    let refused = !failed.errors.is_empty();
    super::render_form(
        &LotPage {
            chrome,
            controlled: !lot.control.is_empty(),
            qr: super::license::qr_svg(&url),
            url,
            movements,
            failed,
            done: notice(done),
            can_use: offers.issue && lot.status == "active",
            can_manage: offers.manage && lot.status == "active",
            lot,
        },
        refused,
    )
}

async fn lot_page(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    IdPath(id): IdPath,
    Query(d): Query<Done>,
) -> Response {
    render_lot(&state, &user, &headers, id, Failed::default(), &d.done).await
}

/// A step on a lot: `count`, `return` or `dispose`.
async fn lot_step(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    axum::extract::Path((id, step)): axum::extract::Path<(String, String)>,
    Form(form): Form<StockForm>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return super::error_page(user.lang, axum::http::StatusCode::NOT_FOUND, user.lang.t("err.record_not_found"));
    };
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let store = state.store();
    let (name, result): (&'static str, Result<&'static str, InventoryError>) = match step.as_str() {
        "count" => (
            "count",
            stock::count(store, &user.principal, id, &form.counted, &form.reason, &user.client).await.map(|m| {
                if m.is_some() {
                    "counted"
                } else {
                    "agrees"
                }
            }),
        ),
        "return" => (
            "return",
            stock::give_back(
                store,
                state.identity(),
                &user.principal,
                id,
                &form.qty,
                &form.purpose,
                form.signatures().as_ref(),
                &user.client,
            )
            .await
            .map(|_| "returned"),
        ),
        "transfer" => {
            let to = stock::Transfer {
                room: form.room.clone(),
                cabinet: form.cabinet.clone(),
                shelf: form.shelf.clone(),
                reason: form.reason.clone(),
                signatures: form.signatures(),
            };
            (
                "transfer",
                stock::transfer(store, state.identity(), &user.principal, id, &to, &user.client).await.map(|_| "moved"),
            )
        }
        "dispose" => (
            "dispose",
            stock::dispose(
                store,
                state.identity(),
                &user.principal,
                id,
                &form.reason,
                form.signatures().as_ref(),
                &user.client,
            )
            .await
            .map(|_| "disposed"),
        ),
        _ => {
            return super::error_page(user.lang, axum::http::StatusCode::NOT_FOUND, user.lang.t("err.record_not_found"))
        }
    };
    match result {
        Ok(done) => Redirect::to(&format!("/inventory/lots/{id}?done={done}")).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => {
                render_lot(&state, &user, &headers, id, Failed { form: name, kept: form.kept(), errors }, "").await
            }
            Err(page) => page,
        },
    }
}

#[derive(Template)]
#[template(path = "inventory_adjustments.html")]
struct AdjustmentsPage {
    chrome: Chrome,
    waiting: Vec<Movement>,
    failed_id: i64,
    failed: Failed,
    done: String,
    me: String,
}

impl AdjustmentsPage {
    fn is_failed(&self, id: &i64) -> bool {
        self.failed_id == *id
    }
}

async fn render_adjustments(state: &AppState, user: &PageUser, failed_id: i64, failed: Failed, done: &str) -> Response {
    let waiting = match stock::pending(state.store(), &user.principal, &user.client).await {
        Ok(w) => w,
        Err(e) => return failure_page(user.lang, e),
    };
    let refused = !failed.errors.is_empty();
    super::render_form(
        &AdjustmentsPage {
            chrome: user.chrome("inventory"),
            waiting,
            failed_id,
            failed,
            done: notice(done),
            me: user.principal.username().to_string(),
        },
        refused,
    )
}

async fn adjustments_page(State(state): State<AppState>, user: PageUser, Query(d): Query<Done>) -> Response {
    render_adjustments(&state, &user, 0, Failed::default(), &d.done).await
}

async fn adjustment_decide(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Form(form): Form<StockForm>,
) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let approve = form.approve == "1";
    match stock::decide(state.store(), &user.principal, id, approve, &form.note, &user.client).await {
        Ok(_) => {
            let done = if approve { "approved" } else { "rejected" };
            Redirect::to(&format!("/inventory/adjustments?done={done}")).into_response()
        }
        Err(e) => match refusals(&user, e) {
            Ok(errors) => {
                render_adjustments(&state, &user, id, Failed { form: "decide", kept: form.kept(), errors }, "").await
            }
            Err(page) => page,
        },
    }
}

#[derive(Deserialize, Default)]
pub struct ExpiryFilter {
    #[serde(default)]
    days: String,
}

#[derive(Template)]
#[template(path = "inventory_expiry.html")]
struct ExpiryPage {
    chrome: Chrome,
    days: i64,
    lots: Vec<Lot>,
    waste: Vec<Waste>,
    /// Unused quantity by unit, for the chart.
    chart: String,
}

async fn expiry_page(State(state): State<AppState>, user: PageUser, Query(f): Query<ExpiryFilter>) -> Response {
    let days = f.days.parse::<i64>().unwrap_or(30).clamp(0, 3650);
    let store = state.store();
    let lots = match stock::expiring(store, &user.principal, days, &user.client).await {
        Ok(l) => l,
        Err(e) => return failure_page(user.lang, e),
    };
    let waste = match stock::waste(store, &user.principal, &user.client).await {
        Ok(w) => w,
        Err(e) => return failure_page(user.lang, e),
    };
    // Expired-unused lots per month of expiry: how waste trends.
    let mut months: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
    for w in &waste {
        *months.entry(w.lot.expires_on.chars().take(7).collect()).or_default() += 1;
    }
    let chart = serde_json::json!({
        "x": months.keys().collect::<Vec<_>>(),
        "y": months.values().collect::<Vec<_>>(),
        "name": "过期未用完的批次",
    })
    .to_string();
    render(&ExpiryPage { chrome: user.chrome("inventory"), days, lots, waste, chart })
}

#[derive(Deserialize, Default)]
pub struct UsageQuery {
    /// YYYY-MM-DD: from this day on; the last two years when empty (the precursor rule).
    #[serde(default)]
    from: String,
}

impl UsageQuery {
    /// The first day, and the text the form shows.
    fn first_day(&self) -> (i64, String) {
        let today = yaolian_core::Timestamp::now().china_date();
        let day = chrono::NaiveDate::parse_from_str(self.from.trim(), "%Y-%m-%d")
            .ok()
            .unwrap_or_else(|| today - chrono::Duration::days(730));
        (yaolian_core::time::day_number(day), day.to_string())
    }
}

#[derive(Template)]
#[template(path = "inventory_usage.html")]
struct UsagePage {
    chrome: Chrome,
    from: String,
    lines: Vec<stock::Usage>,
}

impl UsagePage {
    fn control_label(&self, code: &str) -> &'static str {
        yaolian_inventory::items::CONTROLS.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("")
    }
}

/// 管制化学品使用台账: per person and lot, issued against returned and used.
async fn usage_page(State(state): State<AppState>, user: PageUser, Query(q): Query<UsageQuery>) -> Response {
    let (day, from) = q.first_day();
    match stock::usage_log(state.store(), &user.principal, Some(day), &user.client).await {
        Ok(lines) => render(&UsagePage { chrome: user.chrome("inventory"), from, lines }),
        Err(e) => failure_page(user.lang, e),
    }
}

async fn usage_export(
    State(state): State<AppState>,
    user: PageUser,
    format: super::export::Format,
    Query(q): Query<UsageQuery>,
) -> Response {
    let (day, _) = q.first_day();
    match stock::usage_log(state.store(), &user.principal, Some(day), &user.client).await {
        Ok(lines) => super::export::send(&state, &user, "inventory-usage", format, stock::usage_table(&lines)).await,
        Err(e) => failure_page(user.lang, e),
    }
}
