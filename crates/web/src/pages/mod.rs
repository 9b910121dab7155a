//! Server-rendered pages (askama). zh-CN by default with an English switch; every form post
//! carries the session's CSRF token; forms re-render with the user's input and the field
//! errors when the domain refuses them.

// Handlers return a finished page as the error of a `Result`: the axum idiom for "stop here
// and show this", not a value passed around; its size does not matter.
#![allow(clippy::result_large_err)]

mod account;
mod admin;
mod changes;
mod enforcement;

mod blackbox;
mod explain;
mod export;
mod home;
mod inventory;
mod lab;
mod lab_environment;
mod lab_projects;
mod lab_records;
mod lab_reports;
mod license;
mod login;
mod overview;
mod plans;
mod quality;
mod records;
mod rectification;
mod registry;
mod risk;
mod sampling;
mod services;
mod signals;
mod submission;
mod supervision;
mod trace;

use askama::Template;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use yaolian_access::Principal;
use yaolian_access::{perm, AuthVia};
use yaolian_core::FieldError;
use yaolian_identity::auth::Stage;
use yaolian_identity::IdentityError;

use crate::extract::{client_info, resolve};
use crate::i18n::Lang;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(login::routes())
        .merge(admin::routes())
        .merge(account::routes())
        .merge(records::routes())
        .merge(explain::routes())
        .merge(registry::routes())
        .merge(license::routes())
        .merge(services::routes())
        .merge(trace::routes())
        .merge(inventory::routes())
        .merge(quality::routes())
        .merge(changes::routes())
        .merge(lab::routes())
        .merge(lab_records::routes())
        .merge(lab_environment::routes())
        .merge(lab_projects::routes())
        .merge(lab_reports::routes())
        .merge(supervision::routes())
        .merge(risk::routes())
        .merge(plans::routes())
        .merge(sampling::routes())
        .merge(enforcement::routes())
        .merge(signals::routes())
        .merge(blackbox::routes())
        .merge(submission::routes())
        .merge(overview::routes())
        .merge(rectification::routes())
        .route("/", get(home::home))
        .route("/api/docs", get(crate::openapi::browse))
}

/// What every page around its content needs: language, the user, the navigation.
pub struct Chrome {
    pub lang: Lang,
    pub title: String,
    pub nav: &'static str,
    pub user: Option<(String, String)>,
    pub csrf: String,
    pub links: Vec<(&'static str, &'static str, &'static str)>,
    pub path: String,
}

impl Chrome {
    /// A list's total as shown: a count past `sql::COUNT_CAP` reads "10000+".
    pub fn count(&self, total: &i64) -> String {
        if *total > yaolian_store::sql::COUNT_CAP {
            format!("{}+", yaolian_store::sql::COUNT_CAP)
        } else {
            total.to_string()
        }
    }
    /// "+" after a page count when the total was capped (there are more pages than it says).
    pub fn more(&self, total: &i64) -> &'static str {
        if *total > yaolian_store::sql::COUNT_CAP {
            "+"
        } else {
            ""
        }
    }
    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    /// The name of a module (`Lang::module`).
    pub fn module(&self, code: &str) -> &'static str {
        self.lang.module(code)
    }

    /// A license state (valid, expired, suspended …) in the page's language.
    pub fn license_state(&self, state: &yaolian_license::licenses::State) -> String {
        if self.lang.code() == "en" {
            state.as_str().replace('_', " ")
        } else {
            state.label_zh().to_string()
        }
    }

    /// The badge class of a license state: ok, warn or danger.
    pub fn license_badge(&self, state: &yaolian_license::licenses::State) -> &'static str {
        use yaolian_license::licenses::State;
        match state {
            State::Valid => "ok",
            State::Suspended | State::Expired => "warn",
            _ => "danger",
        }
    }

    /// Inline text in both languages, for page-specific wording.
    pub fn tr<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.lang.code() == "en" {
            en
        } else {
            zh
        }
    }

    /// The attributes of an upload form whose route refuses a body over `route_limit` (its
    /// `DefaultBodyLimit`): the files may take that less 64 KiB for the form's text fields and
    /// the multipart framing. app.js adds up the chosen files before sending and, over the
    /// allowance, says so above the form instead of sending it, so nothing typed is lost
    /// (docs/ui.md §3).
    pub fn upload_limit(&self, route_limit: usize) -> String {
        let allowance = route_limit.saturating_sub(64 * 1024);
        let text = self.tr(
            "所选文件共 {size}，超过上限 {max}，请压缩文件或减少文件后再上传。",
            "The files chosen come to {size}, over the limit of {max}: compress them or choose fewer, then upload again.",
        );
        let text = text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;");
        format!(r#" data-max-bytes="{allowance}" data-too-large="{text}""#)
    }

    pub fn is_active(&self, key: &str) -> bool {
        self.nav == key
    }

    pub fn other_lang(&self) -> &'static str {
        self.lang.other().short()
    }

    /// For logged-out pages.
    pub fn anonymous(lang: Lang, title: &str, path: &str) -> Chrome {
        Chrome {
            lang,
            title: title.to_string(),
            nav: "",
            user: None,
            csrf: String::new(),
            links: Vec::new(),
            path: path.to_string(),
        }
    }

    fn for_user(p: &Principal, lang: Lang, nav: &'static str, path: &str) -> Chrome {
        let mut links = vec![("home", "/", "nav.home")];
        if p.has(perm::ORG_READ) {
            links.push(("orgs", "/admin/orgs", "nav.orgs"));
        }
        if p.has(perm::USER_READ) {
            links.push(("users", "/admin/users", "nav.users"));
        }
        if p.has(perm::ROLE_READ) || p.has(perm::ROLE_ASSIGN) {
            links.push(("roles", "/admin/roles", "nav.roles"));
        }
        if yaolian_identity::role_requests::may_propose(p) || yaolian_identity::role_requests::is_approver(p) {
            links.push(("role_requests", "/admin/role-requests", "nav.role_requests"));
        }
        if p.has(perm::REGISTRY_READ) {
            links.push(("registry", "/registry", "nav.registry"));
            links.push(("products", "/registry/products", "nav.products"));
        }
        if p.has(perm::LICENSE_READ) {
            links.push(("licenses", "/licenses", "nav.licenses"));
        }
        if [perm::SERVICE_APPLY, perm::SERVICE_HANDLE, perm::SERVICE_DECIDE, perm::SERVICE_CONFIGURE]
            .iter()
            .any(|x| p.has(x))
        {
            links.push(("services", "/services", "nav.services"));
        }
        if p.has(perm::TRACE_READ) {
            let target = if p.org_kind().is_regulator() {
                "/trace"
            } else if p.has(perm::TRACE_CAPTURE) {
                "/trace/report"
            } else {
                "/trace/verify"
            };
            links.push(("trace", target, "nav.trace"));
        }
        if p.has(perm::SUPERVISION_READ) {
            if p.org_kind().is_regulator() {
                links.push(("overview", "/overview", "nav.overview"));
            }
            links.push(("supervision", "/supervision/cases", "nav.supervision"));
            links.push(("risk", "/supervision/scores", "nav.risk"));
            links.push(("plans", "/supervision/plans", "nav.plans"));
            links.push(("sampling", "/supervision/sampling", "nav.sampling"));
            links.push(("enforcement", "/supervision/enforcements", "nav.enforcement"));
            links.push(("complaints", "/supervision/complaints", "nav.complaints"));
        }
        if p.has(perm::SIGNALS_READ) {
            if p.org_kind().is_regulator() {
                links.push(("signals", "/signals", "nav.signals"));
            }
            links.push(("adr", "/signals/reports", "nav.adr"));
            links.push(("blackbox", "/signals/blackbox", "nav.blackbox"));
        }
        if p.has(perm::QUALITY_READ) {
            links.push(("quality", "/quality", "nav.quality"));
        }
        if p.has(perm::SUBMISSION_READ) {
            links.push(("submission", "/submission", "nav.submission"));
        }
        if p.has(perm::INVENTORY_READ) {
            links.push(("inventory", "/inventory", "nav.inventory"));
        }
        if p.has(perm::LAB_READ) {
            links.push(("lab", "/lab/records", "nav.lab"));
        }
        if p.has(perm::AUDIT_READ) {
            links.push(("audit", "/admin/audit", "nav.audit"));
        }
        links.push(("account", "/account", "nav.account"));
        links.push(("api", "/api/docs", "nav.api"));
        let csrf = match &p.via() {
            AuthVia::Session { csrf_token } => csrf_token.clone(),
            _ => String::new(),
        };
        Chrome {
            lang,
            title: lang.t(links.iter().find(|l| l.0 == nav).map(|l| l.2).unwrap_or("app.name")).to_string(),
            nav,
            user: Some((p.display_name().to_string(), p.org_name().to_string())),
            csrf,
            links,
            path: path.to_string(),
        }
    }
}

/// A logged-in page visitor. Anyone else is sent to the login page (and back afterwards).
pub struct PageUser {
    pub principal: Principal,
    pub lang: Lang,
    pub path: String,
    pub client: yaolian_access::ClientInfo,
}

impl PageUser {
    pub fn chrome(&self, nav: &'static str) -> Chrome {
        Chrome::for_user(&self.principal, self.lang, nav, &self.path)
    }

    /// Checks the CSRF token a form sent.
    pub fn check_csrf(&self, sent: &str) -> Result<(), Response> {
        match &self.principal.via() {
            AuthVia::Session { csrf_token } if !sent.is_empty() && sent == csrf_token => Ok(()),
            _ => Err(error_page(self.lang, StatusCode::FORBIDDEN, self.lang.t("err.csrf"))),
        }
    }
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = Lang::from_parts(parts);
        let path = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
        match resolve(parts, state).await {
            Ok((principal, Stage::Full, _)) => {
                Ok(PageUser { principal, lang, path, client: client_info(parts, state.config().trust_proxy) })
            }
            Ok((_, Stage::Mfa, _)) => Err(Redirect::to("/login/totp").into_response()),
            Ok((_, Stage::Enroll, _)) => Err(Redirect::to("/login/enroll").into_response()),
            Err(_) => {
                let next = if parts.method == axum::http::Method::GET {
                    urlencoding::encode(&path).into_owned()
                } else {
                    "%2F".into()
                };
                Err(Redirect::to(&format!("/login?next={next}")).into_response())
            }
        }
    }
}

/// Renders a template into a response, or a plain 500 if rendering fails.
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// [`render`], with status 422 when the page shows a refused form (the refusal in place, the
/// input kept).
pub fn render_form<T: Template>(t: &T, refused: bool) -> Response {
    let page = render(t);
    if refused && page.status().is_success() {
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    } else {
        page
    }
}

/// A refused form on a page that carries several (a record's step forms): which form, what it
/// sent — kept to fill it again; the caller leaves passwords out — and the refusals. The
/// template asks `failed.err(form, field)`, `failed.messages(form)` and `failed.kept(form)`.
#[derive(Default)]
pub struct Failed<T> {
    pub form: &'static str,
    pub kept: T,
    pub errors: Vec<FieldError>,
}

impl<T: Default + Clone> Failed<T> {
    /// The refusal of `field` when `form` is the refused one.
    pub fn err(&self, form: &str, field: &str) -> Option<&str> {
        (self.form == form).then(|| field_error(&self.errors, field)).flatten()
    }

    /// Every refusal's sentence when `form` is the refused one.
    pub fn messages(&self, form: &str) -> Vec<&str> {
        if self.form == form {
            self.errors.iter().map(|e| e.message.as_str()).collect()
        } else {
            Vec::new()
        }
    }

    /// What `form` sent when it was the refused one; empty otherwise.
    pub fn kept(&self, form: &str) -> T {
        if self.form == form {
            self.kept.clone()
        } else {
            T::default()
        }
    }

    pub fn refused(&self) -> bool {
        !self.errors.is_empty()
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    status: u16,
    message: String,
}

/// A multipart form as read: its text fields by name and its non-empty files in order, once the
/// CSRF token (`_csrf`) is checked.
pub struct MultipartForm {
    pub texts: std::collections::BTreeMap<String, String>,
    pub files: Vec<FormFile>,
}

/// One file of a multipart form: the field it came in, its name and type as sent, its bytes.
pub struct FormFile {
    pub field: String,
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl FormFile {
    /// As an attachment of a record (`yaolian_records::files`), under `label`.
    pub fn upload(self, label: &str) -> yaolian_records::files::Upload {
        yaolian_records::files::Upload {
            label: label.to_string(),
            name: self.name,
            content_type: self.content_type,
            content_base64: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &self.bytes),
        }
    }
}

/// People's names for a page that knows them by login: `of` gives the display name (姓名), or
/// the login when the person is unknown (a workstation, a removed account).
#[derive(Debug, Default, Clone)]
pub struct Names(std::collections::BTreeMap<String, String>);

impl Names {
    /// The names of `logins`, in one query; none when it fails (the logins are shown instead).
    pub async fn of_logins<'a>(state: &AppState, logins: impl IntoIterator<Item = &'a str>) -> Names {
        Names(yaolian_identity::users::display_names(state.store(), logins).await.unwrap_or_default())
    }

    pub fn of(&self, login: &str) -> String {
        self.0.get(login).cloned().unwrap_or_else(|| login.to_string())
    }

    /// An optional person, `—` when none.
    pub fn of_opt(&self, login: &Option<String>) -> String {
        login.as_deref().map(|l| self.of(l)).unwrap_or_else(|| "—".to_string())
    }
}

/// Reads a multipart form (the body limit of the route applies) and checks its CSRF token: the
/// form, or the page that refuses it.
pub async fn multipart_form(user: &PageUser, mut form: axum::extract::Multipart) -> Result<MultipartForm, Response> {
    let mut out = MultipartForm { texts: std::collections::BTreeMap::new(), files: Vec::new() };
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                let file_name = field.file_name().map(str::to_string);
                let content_type = field.content_type().unwrap_or("application/octet-stream").to_string();
                let bytes = field.bytes().await.map_err(|e| multipart_refusal(user.lang, e))?;
                match file_name {
                    Some(file_name) => {
                        if !bytes.is_empty() {
                            out.files.push(FormFile {
                                field: name,
                                name: file_name,
                                content_type,
                                bytes: bytes.to_vec(),
                            });
                        }
                    }
                    None => {
                        out.texts.insert(name, String::from_utf8_lossy(&bytes).into_owned());
                    }
                }
            }
            Ok(None) => break,
            Err(e) => return Err(multipart_refusal(user.lang, e)),
        }
    }
    user.check_csrf(out.texts.get("_csrf").map_or("", String::as_str))?;
    Ok(out)
}

/// A multipart body that could not be read, in the page's language: over the route's limit
/// (413), or malformed.
fn multipart_refusal(lang: Lang, e: axum::extract::multipart::MultipartError) -> Response {
    let status = e.status();
    let key = if status == StatusCode::PAYLOAD_TOO_LARGE { "err.too_large" } else { "err.bad_form" };
    error_page(lang, status, lang.t(key))
}

/// A one-file upload form (`_csrf` and `file`): the file's name and bytes (empty when none was
/// chosen), or the page that refuses the form.
pub async fn file_form(user: &PageUser, form: axum::extract::Multipart) -> Result<(String, Vec<u8>), Response> {
    let form = multipart_form(user, form).await?;
    Ok(form.files.into_iter().find(|f| f.field == "file").map(|f| (f.name, f.bytes)).unwrap_or_default())
}

pub fn error_page(lang: Lang, status: StatusCode, message: &str) -> Response {
    let chrome = Chrome::anonymous(lang, lang.t("err.generic"), "/");
    let mut resp = render(&ErrorPage { chrome, status: status.as_u16(), message: message.to_string() });
    *resp.status_mut() = status;
    resp
}

pub fn not_found_page(req: &Request) -> Response {
    let (parts, ()) = {
        let mut b = axum::http::Request::builder().uri(req.uri().clone());
        for (k, v) in req.headers() {
            b = b.header(k, v);
        }
        match b.body(()) {
            Ok(r) => r.into_parts(),
            Err(_) => return (StatusCode::NOT_FOUND, "not found").into_response(),
        }
    };
    let lang = Lang::from_parts(&parts);
    error_page(lang, StatusCode::NOT_FOUND, lang.t("err.not_found"))
}

/// Maps a domain refusal to a page: field errors go back into the form (`Ok`), anything else
/// becomes an error page (`Err`).
pub fn form_errors(lang: Lang, e: impl Into<IdentityError>) -> Result<Vec<FieldError>, Response> {
    match e.into() {
        IdentityError::Validation(v) => Ok(v.errors),
        IdentityError::SeparationOfDuties(m) => Ok(vec![FieldError::new("", "separation_of_duties", m)]),
        IdentityError::Conflict(m) => Ok(vec![FieldError::new("", "conflict", m)]),
        IdentityError::Forbidden { permission } => {
            Err(error_page(lang, StatusCode::FORBIDDEN, &format!("{} ({permission})", lang.t("err.forbidden"))))
        }
        IdentityError::NotFound(what) => {
            let text =
                if lang == Lang::Zh { lang.t("err.record_not_found").to_string() } else { format!("{what} not found") };
            Err(error_page(lang, StatusCode::NOT_FOUND, &text))
        }
        IdentityError::Store(inner) => {
            tracing::error!(error = %inner, "storage error");
            Err(error_page(lang, StatusCode::INTERNAL_SERVER_ERROR, lang.t("err.generic")))
        }
        other => Ok(vec![FieldError::new("", other.code(), other.to_string())]),
    }
}

/// A domain refusal as a form's errors in the page's language (`Err` as [`form_errors`]). In
/// Chinese each field's rule is said about the field's label — the catalogue's `field.<name>`
/// (`Lang::field`) — and a refusal of no field by its code from the catalogue
/// (`Lang::refusal`); never the English message, which stays for English pages, logs and the
/// API. A page whose labels are data (an application type's form) uses [`refusals_labelled`].
pub fn refusals(lang: Lang, e: impl Into<IdentityError>) -> Result<Vec<FieldError>, Response> {
    refusals_labelled(lang, e, |_| None)
}

/// A domain's refusal as a form shows it: on a Chinese page the domain's own sentence for its
/// own refusals (`zh`, with its `code`), else the shared refusals under the form's labels
/// ([`refusals_labelled`]).
pub fn domain_refusals(
    lang: Lang,
    zh: Option<String>,
    code: &'static str,
    e: impl Into<IdentityError>,
    label: impl Fn(&str) -> Option<String>,
) -> Result<Vec<FieldError>, Response> {
    match zh.filter(|_| lang == Lang::Zh) {
        Some(zh) => Ok(vec![FieldError::new("", code, zh)]),
        None => refusals_labelled(lang, e, label),
    }
}

/// [`refusals`] with the page's own labels first (`label`), then the catalogue's; 填写内容 for a
/// field neither knows.
pub fn refusals_labelled(
    lang: Lang,
    e: impl Into<IdentityError>,
    label: impl Fn(&str) -> Option<String>,
) -> Result<Vec<FieldError>, Response> {
    let errors = form_errors(lang, e)?;
    if lang != Lang::Zh {
        return Ok(errors);
    }
    Ok(errors
        .into_iter()
        .map(|e| {
            // A rule with its own sentence (`refusal.<rule>`) says it whatever the field; else a
            // field's refusal is built from its label and rule.
            let message = if let Some(sentence) = lang.refusal(&e.rule) {
                sentence.to_string()
            } else if e.field.is_empty() {
                lang.t("err.generic").to_string()
            } else {
                let name = label(&e.field)
                    .or_else(|| lang.field(&e.field).map(str::to_string))
                    .unwrap_or_else(|| "填写内容".to_string());
                yaolian_core::refusal::sentence(&name, &e.rule)
            };
            FieldError { message, ..e }
        })
        .collect())
}

/// A page for a refusal outside a form: field errors listed, anything else as `form_errors`.
pub fn failure_page(lang: Lang, e: impl Into<IdentityError>) -> Response {
    match form_errors(lang, e.into()) {
        Ok(errors) => {
            let text: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
            error_page(lang, StatusCode::UNPROCESSABLE_ENTITY, &text.join("; "))
        }
        Err(page) => page,
    }
}

/// The error message for one field, if any (templates mark the input and show the text).
pub fn field_error<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a str> {
    errors.iter().find(|e| e.field == field).map(|e| e.message.as_str())
}

/// Sorting state of a list page: the column sorted by and whether descending (`desc=1`).
pub struct Sorting<'a> {
    pub key: &'a str,
    pub desc: &'a str,
}

impl Sorting<'_> {
    /// The CSS class of a column header: `sorted`, `sorted desc` or nothing.
    pub fn class(&self, column: &str) -> &'static str {
        match (self.key == column, self.desc == "1") {
            (true, true) => "sorted desc",
            (true, false) => "sorted",
            _ => "",
        }
    }

    /// The `aria-sort` attribute of a column header — ` aria-sort="ascending"` or
    /// ` aria-sort="descending"` on the sorted column, nothing on the others — for `<th{{ … |safe }}>`.
    pub fn aria(&self, column: &str) -> &'static str {
        match (self.key == column, self.desc == "1") {
            (true, true) => r#" aria-sort="descending""#,
            (true, false) => r#" aria-sort="ascending""#,
            _ => "",
        }
    }

    /// Sort key and direction of a link: clicking the sorted column flips its direction,
    /// another column sorts ascending, `None` keeps the current order.
    pub fn toggle(&self, column: Option<&str>) -> (String, &'static str) {
        let current = if self.desc == "1" { "1" } else { "" };
        match column {
            Some(c) if c == self.key => (c.to_string(), if self.desc == "1" { "" } else { "1" }),
            Some(c) => (c.to_string(), ""),
            None => (self.key.to_string(), current),
        }
    }
}

/// A redirect that also sets a cookie.
pub fn redirect_with_cookie(to: &str, cookie: &str) -> Response {
    let mut resp = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// Only same-site absolute paths are followed after login or a language switch (no open
/// redirect): `/` then visible ASCII only. Browsers drop tabs and line breaks from a URL, so
/// `/\t/evil.example` would become `//evil.example`; control characters, DEL, spaces, backslashes
/// and non-ASCII are refused (a real path from this site is percent-encoded), and so is a second
/// `/` or `\` at the start. Anything else goes to `/`.
pub fn safe_next(next: Option<&str>) -> String {
    let ok = |n: &str| {
        let b = n.as_bytes();
        b.first() == Some(&b'/')
            && !matches!(b.get(1), Some(b'/') | Some(b'\\'))
            && b.iter().all(|c| (0x21..=0x7e).contains(c) && *c != b'\\')
    };
    match next {
        Some(n) if ok(n) => n.to_string(),
        _ => "/".to_string(),
    }
}

/// The first organizations of `kind` a picker (`macros.html`, `org_picker`) offers before the
/// user types; typing asks the API for more.
pub async fn org_picks(
    state: &AppState,
    user: &PageUser,
    kind: Option<yaolian_access::OrgKind>,
) -> Vec<yaolian_identity::Org> {
    let query = yaolian_identity::orgs::OrgQuery { kind, limit: Some(20), ..Default::default() };
    yaolian_identity::orgs::find(state.store(), &user.principal, &query, &user.client).await.unwrap_or_default()
}

/// The organization a form's picker field names (`orgs::resolve`): its id, or the refusal to
/// show beside the field (`Err` as [`form_errors`]).
pub async fn picked_org(
    state: &AppState,
    user: &PageUser,
    field: &str,
    value: &str,
    kind: Option<yaolian_access::OrgKind>,
) -> Result<i64, Result<Vec<FieldError>, Response>> {
    yaolian_identity::orgs::resolve(state.store(), &user.principal, field, value, kind, &user.client)
        .await
        .map(|o| o.id)
        .map_err(|e| refusals(user.lang, e))
}

/// What a picker field shows: `名称 代码` for the id of an organization the user may see (a
/// form filled from a record), else the text as it is.
pub async fn picker_text(state: &AppState, user: &PageUser, value: &str) -> String {
    if value.trim().parse::<i64>().is_err() || !user.principal.has(yaolian_access::perm::ORG_READ) {
        return value.to_string();
    }
    match yaolian_identity::orgs::resolve(state.store(), &user.principal, "", value, None, &user.client).await {
        Ok(o) => picker_label(&o),
        Err(_) => value.to_string(),
    }
}

/// An organization as a picker offers and shows it: `名称 代码` (`app.js` builds the same).
pub fn picker_label(o: &yaolian_identity::Org) -> String {
    format!("{} {}", o.name, o.code)
}
