//! License pages: the list, one license with its actions, the printable A4 license with its QR
//! code, and the public verification page the QR code opens (no login).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use yaolian_license::kinds::{self, Kind};
use yaolian_license::licenses::{self, License, LicenseQuery, StatusAction, Verification};

use super::{error_page, failure_page, render, Chrome, PageUser};
use crate::api::IdPath;
use crate::i18n::Lang;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/licenses", get(list_page))
        .route("/licenses.csv", get(list_export))
        .route("/licenses.xlsx", get(list_export))
        .route("/licenses/{id}", get(detail))
        .route("/licenses/{id}/print", get(print))
        .route("/licenses/{id}/status", post(status))
        .route("/v/{identifier}", get(verify_page))
}

const PAGE_SIZE: i64 = 25;

#[derive(Deserialize, Default)]
pub struct Filter {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    desc: String,
    #[serde(default)]
    page: Option<i64>,
}

impl Filter {
    fn page(&self) -> i64 {
        self.page.unwrap_or(1).max(1)
    }
    fn sorting(&self) -> super::Sorting<'_> {
        super::Sorting { key: &self.sort, desc: &self.desc }
    }
    /// Whether the list is narrowed (an empty result then says so, not 暂无电子证照).
    fn is_set(&self) -> bool {
        !self.q.trim().is_empty() || !self.kind.is_empty() || !self.state.is_empty()
    }
    fn link(&self, page: i64, sort: Option<&str>) -> String {
        let (sort, desc) = self.sorting().toggle(sort);
        format!(
            "?q={}&kind={}&state={}&sort={}&desc={}&page={page}",
            urlencoding::encode(&self.q),
            urlencoding::encode(&self.kind),
            urlencoding::encode(&self.state),
            urlencoding::encode(&sort),
            desc
        )
    }
}

#[derive(Template)]
#[template(path = "licenses.html")]
struct ListPage {
    chrome: Chrome,
    filter: Filter,
    items: Vec<License>,
    total: i64,
    pages: i64,
    kinds: &'static [Kind],
}

impl Filter {
    /// The query of this filter: one page, or everything (up to 10,000) for an export.
    fn query(&self, all: bool) -> LicenseQuery {
        LicenseQuery {
            q: Some(self.q.clone()),
            kind: Some(self.kind.clone()),
            state: Some(self.state.clone()),
            holder_org_id: None,
            sort: Some(self.sort.clone()).filter(|s| !s.is_empty()),
            desc: self.desc == "1",
            limit: if all { 10_000 } else { PAGE_SIZE },
            offset: if all { 0 } else { (self.page() - 1) * PAGE_SIZE },
        }
    }
}

/// The licenses the filter selects as `licenses.csv` or `licenses.xlsx`; the export is audited.
async fn list_export(
    State(state): State<AppState>,
    user: PageUser,
    format: super::export::Format,
    Query(filter): Query<Filter>,
) -> Response {
    match licenses::list(state.store(), &user.principal, &filter.query(true), &user.client).await {
        Ok((items, _)) => super::export::send(&state, &user, "licenses", format, licenses::table(&items)).await,
        Err(e) => failure_page(user.lang, e),
    }
}

async fn list_page(State(state): State<AppState>, user: PageUser, Query(filter): Query<Filter>) -> Response {
    let q = filter.query(false);
    match licenses::list(state.store(), &user.principal, &q, &user.client).await {
        Ok((items, total)) => {
            let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
            render(&ListPage { chrome: user.chrome("licenses"), filter, items, total, pages, kinds: kinds::ALL })
        }
        Err(e) => failure_page(user.lang, e),
    }
}

/// The public address of a license's verification page, from the request's host.
fn verify_url(state: &AppState, headers: &HeaderMap, identifier: &str) -> String {
    site_url(state, headers, &format!("/v/{}", urlencoding::encode(identifier)))
}

/// The full address of a path on this site, from the request's host (for a QR code that a
/// phone opens).
pub(super) fn site_url(state: &AppState, headers: &HeaderMap, path: &str) -> String {
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = if crate::extract::came_over_https(headers, state.config()) { "https" } else { "http" };
    format!("{scheme}://{host}{path}")
}

/// An SVG QR code (error correction M) for `text`.
pub(super) fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M) {
        Ok(code) => code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(180, 180).quiet_zone(true).build(),
        Err(_) => String::new(),
    }
}

#[derive(Template)]
#[template(path = "license.html")]
struct DetailPage {
    chrome: Chrome,
    l: License,
    kind_fields: &'static [kinds::FieldSpec],
    url: String,
    qr: String,
    can_manage: bool,
}

fn field_list(l: &License) -> &'static [kinds::FieldSpec] {
    Kind::parse(&l.kind).map(Kind::fields).unwrap_or(&[])
}

async fn detail(State(state): State<AppState>, user: PageUser, headers: HeaderMap, IdPath(id): IdPath) -> Response {
    match licenses::get(state.store(), &user.principal, id, &user.client).await {
        Ok(l) => {
            let url = verify_url(&state, &headers, &l.document.identifier);
            let can_manage = licenses::manages_any(&user.principal);
            render(&DetailPage {
                chrome: user.chrome("licenses"),
                kind_fields: field_list(&l),
                qr: qr_svg(&url),
                url,
                l,
                can_manage,
            })
        }
        Err(e) => failure_page(user.lang, e),
    }
}

#[derive(Template)]
#[template(path = "license_print.html")]
struct PrintPage {
    chrome: Chrome,
    l: License,
    kind_fields: &'static [kinds::FieldSpec],
    url: String,
    qr: String,
}

async fn print(State(state): State<AppState>, user: PageUser, headers: HeaderMap, IdPath(id): IdPath) -> Response {
    match licenses::get(state.store(), &user.principal, id, &user.client).await {
        Ok(l) => {
            let url = verify_url(&state, &headers, &l.document.identifier);
            render(&PrintPage {
                chrome: user.chrome("licenses"),
                kind_fields: field_list(&l),
                qr: qr_svg(&url),
                url,
                l,
            })
        }
        Err(e) => failure_page(user.lang, e),
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    expected_version: i64,
}

async fn status(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Form(form): Form<StatusForm>,
) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let action = match form.action.as_str() {
        "suspend" => StatusAction::Suspend,
        "reinstate" => StatusAction::Reinstate,
        "revoke" => StatusAction::Revoke,
        _ => {
            return error_page(user.lang, StatusCode::UNPROCESSABLE_ENTITY, "action: one of suspend, reinstate, revoke")
        }
    };
    match licenses::set_status(
        state.store(),
        &user.principal,
        id,
        action,
        &form.reason,
        form.expected_version,
        &user.client,
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("/licenses/{id}")).into_response(),
        Err(e) => failure_page(user.lang, e),
    }
}

#[derive(Template)]
#[template(path = "license_verify.html")]
struct VerifyPage {
    chrome: Chrome,
    v: Option<Verification>,
    identifier: String,
}

impl VerifyPage {
    /// When the answer was made, in China time (the answer carries it as UTC RFC 3339).
    fn checked_at(&self, v: &Verification) -> String {
        chrono::DateTime::parse_from_rfc3339(&v.checked_at)
            .map(|t| yaolian_core::Timestamp(t.timestamp_millis()).to_china_string())
            .unwrap_or_else(|_| v.checked_at.clone())
    }
}

/// The page a license's QR code opens: anyone, no login, a phone-sized answer.
async fn verify_page(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    Path(identifier): Path<String>,
) -> Response {
    let lang = Lang::from_parts(&parts);
    let chrome = Chrome::anonymous(lang, lang.t("nav.licenses"), &format!("/v/{identifier}"));
    match licenses::verify_public(state.store(), &identifier).await {
        Ok(v) => render(&VerifyPage { chrome, v: Some(v), identifier }),
        Err(yaolian_license::LicenseError::Shared(yaolian_identity::IdentityError::NotFound(_))) => {
            let mut r = render(&VerifyPage { chrome, v: None, identifier });
            *r.status_mut() = StatusCode::NOT_FOUND;
            r
        }
        Err(e) => failure_page(lang, e),
    }
}

impl DetailPage {
    fn field(&self, key: &str) -> Option<&str> {
        self.l.document.fields.get(key).map(String::as_str)
    }
}

impl PrintPage {
    fn field(&self, key: &str) -> Option<&str> {
        self.l.document.fields.get(key).map(String::as_str)
    }
}

impl VerifyPage {
    fn mode(&self) -> Option<&str> {
        self.v.as_ref().and_then(|v| v.document.fields.get("mode")).map(String::as_str)
    }
}
