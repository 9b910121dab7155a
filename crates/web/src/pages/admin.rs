//! The portal home and the administration pages: organizations, users, roles, audit log.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use yaolian_access::{perm, OrgKind};
use yaolian_audit::{self as audit, AuditRecord};
use yaolian_core::{FieldError, Timestamp};
use yaolian_identity::role_requests::{self, RoleRequest};
use yaolian_identity::{orgs, orgs::NewOrg};
use yaolian_identity::{roles, Org, Role, User};
use yaolian_identity::{users, users::NewUser, users::UserQuery};

use super::{error_page, failure_page, field_error, form_errors, render, Chrome, PageUser};
use crate::api::{parse_time, AuditParams, IdPath};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/todos/{id}/done", post(super::home::todo_done))
        .route("/messages/{id}/read", post(super::home::message_read))
        .route("/admin/orgs", get(orgs_page).post(org_create))
        .route("/admin/users", get(users_page))
        .route("/admin/users.csv", get(users_export))
        .route("/admin/users.xlsx", get(users_export))
        .route("/admin/users/new", get(user_new_form).post(user_create))
        .route("/admin/users/{id}", get(user_detail))
        .route("/admin/users/{id}/roles", post(user_roles))
        .route("/admin/users/{id}/status", post(user_status))
        .route("/admin/users/{id}/unlock", post(user_unlock))
        .route("/admin/users/{id}/password", post(user_password))
        .route("/admin/role-requests", get(role_requests_page))
        .route("/admin/role-requests/{id}/decision", post(role_request_decide))
        .route("/admin/roles", get(roles_page))
        .route("/admin/roles/{code}/mfa", post(role_mfa))
        .route("/admin/audit", get(audit_page))
        .route("/admin/audit.csv", get(audit_export))
        .route("/admin/audit.xlsx", get(audit_export))
}

/// Any form post with only the CSRF token and an optional reason.
#[derive(Deserialize, Default)]
pub struct SimpleForm {
    #[serde(default, rename = "_csrf")]
    pub csrf: String,
}

// ---------------------------------------------------------------- organizations

#[derive(Template)]
#[template(path = "orgs.html")]
struct OrgsPage {
    chrome: Chrome,
    /// A page of the tree: each organization with its depth below the user's own.
    orgs: Vec<(usize, Org)>,
    filter: OrgsFilter,
    /// The next page's link, when this one is full.
    next: Option<String>,
    /// The parent picker's first offers.
    parents: Vec<Org>,
    can_create: bool,
    form: OrgForm,
    errors: Vec<FieldError>,
    kinds: Vec<(&'static str, &'static str)>,
}

impl OrgsPage {
    fn err(&self, field: &str) -> Option<&str> {
        field_error(&self.errors, field)
    }
}

/// The tree's filter: part of a name or code, a kind, and the page's start.
#[derive(Deserialize, Default, Clone)]
pub struct OrgsFilter {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    after: String,
}

/// Organizations per page of the tree.
const ORGS_PAGE: i64 = 200;

#[derive(Deserialize, Default, Clone)]
pub struct OrgForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    region: String,
}

async fn orgs_render(
    state: &AppState,
    user: &PageUser,
    filter: OrgsFilter,
    mut form: OrgForm,
    errors: Vec<FieldError>,
) -> Response {
    let query = orgs::OrgQuery {
        q: filter.q.clone(),
        kind: OrgKind::parse(&filter.kind),
        after: filter.after.clone(),
        limit: Some(ORGS_PAGE),
    };
    let list = match orgs::find(state.store(), &user.principal, &query, &user.client).await {
        Ok(l) => l,
        Err(e) => return failure_page(user.lang, e),
    };
    let next = (list.len() as i64 == ORGS_PAGE).then(|| list.last()).flatten().map(|last| {
        format!(
            "?q={}&kind={}&after={}",
            urlencoding::encode(&filter.q),
            urlencoding::encode(&filter.kind),
            urlencoding::encode(&last.path)
        )
    });
    let base = user.principal.org_path().matches('/').count();
    let orgs = list.into_iter().map(|o| (o.path.matches('/').count().saturating_sub(base), o)).collect();
    let kinds = [OrgKind::National, OrgKind::Provincial, OrgKind::Municipal, OrgKind::Company, OrgKind::Site]
        .iter()
        .map(|k| (k.as_str(), k.label_zh()))
        .collect();
    let parents = super::org_picks(state, user, None).await;
    form.parent_id = super::picker_text(state, user, &form.parent_id).await;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let mut resp = render(&OrgsPage {
        chrome: user.chrome("orgs"),
        orgs,
        filter,
        next,
        parents,
        can_create: user.principal.has(perm::ORG_MANAGE),
        form,
        errors,
        kinds,
    });
    *resp.status_mut() = status;
    resp
}

async fn orgs_page(State(state): State<AppState>, user: PageUser, Query(filter): Query<OrgsFilter>) -> Response {
    orgs_render(&state, &user, filter, OrgForm::default(), Vec::new()).await
}

async fn org_create(State(state): State<AppState>, user: PageUser, Form(f): Form<OrgForm>) -> Response {
    if let Err(r) = user.check_csrf(&f.csrf) {
        return r;
    }
    let mut errors = Vec::new();
    let kind = OrgKind::parse(&f.kind);
    if kind.is_none() {
        errors.push(FieldError::new("kind", "enum", "choose a kind"));
    }
    let parent_id = if f.parent_id.trim().is_empty() {
        None
    } else {
        match super::picked_org(&state, &user, "parent_id", &f.parent_id, None).await {
            Ok(id) => Some(id),
            Err(Ok(refused)) => {
                errors.extend(refused);
                None
            }
            Err(Err(page)) => return page,
        }
    };
    if let (Some(kind), true) = (kind, errors.is_empty()) {
        let new = NewOrg { kind, name: f.name.clone(), code: f.code.clone(), parent_id, region: f.region.clone() };
        match orgs::create(state.store(), &user.principal, &new, &user.client).await {
            Ok(_) => return Redirect::to("/admin/orgs").into_response(),
            Err(e) => match super::refusals(user.lang, e) {
                Ok(list) => errors = list,
                Err(page) => return page,
            },
        }
    }
    orgs_render(&state, &user, OrgsFilter::default(), f, errors).await
}

// ---------------------------------------------------------------- users

#[derive(Deserialize, Default, Clone)]
pub struct UserFilter {
    #[serde(default)]
    q: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    desc: String,
    #[serde(default)]
    page: String,
}

const PAGE_SIZE: i64 = 25;

impl UserFilter {
    fn query(&self, all: bool) -> UserQuery {
        let page = self.page.parse::<i64>().unwrap_or(1).max(1);
        UserQuery {
            // An organization the picker could not resolve narrows to none (its error shows).
            org_id: match self.org_id.trim() {
                "" => None,
                id => Some(id.parse().unwrap_or(0)),
            },
            q: Some(self.q.clone()),
            status: Some(self.status.clone()),
            sort: Some(self.sort.clone()),
            desc: self.desc == "1",
            limit: if all { 100_000 } else { PAGE_SIZE },
            offset: if all { 0 } else { (page - 1) * PAGE_SIZE },
        }
    }

    fn page(&self) -> i64 {
        self.page.parse::<i64>().unwrap_or(1).max(1)
    }

    fn sorting(&self) -> super::Sorting<'_> {
        super::Sorting { key: &self.sort, desc: &self.desc }
    }

    /// Whether the list is narrowed (an empty result then says so, not 暂无用户).
    fn is_set(&self) -> bool {
        !self.q.trim().is_empty() || !self.org_id.is_empty() || !self.status.is_empty()
    }

    /// The query string for this filter with changes.
    fn link(&self, sort: Option<&str>, page: Option<i64>) -> String {
        let (sort_key, desc) = self.sorting().toggle(sort);
        let page = page.unwrap_or(1);
        format!(
            "?q={}&org_id={}&status={}&sort={}&desc={}&page={page}",
            urlencoding::encode(&self.q),
            urlencoding::encode(&self.org_id),
            urlencoding::encode(&self.status),
            urlencoding::encode(&sort_key),
            desc
        )
    }
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<User>,
    total: i64,
    filter: UserFilter,
    /// The organization picker: its first offers, its text (名称 代码) and its refusal.
    orgs: Vec<Org>,
    org_text: String,
    org_error: String,
    can_create: bool,
    pages: i64,
    /// Every role, for its name (role names are no secret; the codes are not shown).
    all_roles: Vec<Role>,
}

impl UsersPage {
    fn role_label(&self, code: &str) -> String {
        role_label(&self.all_roles, self.chrome.lang, code)
    }
    fn sort_link(&self, key: &str) -> String {
        self.filter.link(Some(key), None)
    }
    fn sort_class(&self, key: &str) -> &'static str {
        self.filter.sorting().class(key)
    }
    fn sort_aria(&self, key: &str) -> &'static str {
        self.filter.sorting().aria(key)
    }
    fn page_link(&self, page: impl std::borrow::Borrow<i64>) -> String {
        self.filter.link(None, Some(*page.borrow()))
    }
    fn export_link(&self, extension: &str) -> String {
        format!("/admin/users.{extension}{}", self.filter.link(None, None))
    }
}

impl UserFilter {
    /// Resolves the organization picker's value — an id from a link, or the text typed — to an
    /// id in place, with one lookup. Returns what the picker shows (`名称 代码` for an
    /// organization the user may see, else the value as given) and the refusal's message when
    /// typed text names none.
    async fn resolve_org(&mut self, state: &AppState, user: &PageUser) -> (String, String) {
        let value = self.org_id.trim().to_string();
        let is_id = value.parse::<i64>().is_ok();
        if value.is_empty() || (is_id && !user.principal.has(perm::ORG_READ)) {
            return (self.org_id.clone(), String::new());
        }
        match orgs::resolve(state.store(), &user.principal, "org_id", &value, None, &user.client).await {
            Ok(o) => {
                self.org_id = o.id.to_string();
                (super::picker_label(&o), String::new())
            }
            Err(_) if is_id => (self.org_id.clone(), String::new()),
            Err(e) => {
                let message = super::refusals(user.lang, e)
                    .ok()
                    .and_then(|errors| errors.into_iter().next())
                    .map(|e| e.message)
                    .unwrap_or_default();
                (self.org_id.clone(), message)
            }
        }
    }
}

async fn users_page(State(state): State<AppState>, user: PageUser, Query(mut filter): Query<UserFilter>) -> Response {
    let (org_text, org_error) = filter.resolve_org(&state, &user).await;
    let result = users::list(state.store(), &user.principal, &filter.query(false), &user.client).await;
    let (list, total) = match result {
        Ok(r) => r,
        Err(e) => return failure_page(user.lang, e),
    };
    let orgs = super::org_picks(&state, &user, None).await;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    render(&UsersPage {
        chrome: user.chrome("users"),
        users: list,
        total,
        filter,
        orgs,
        org_text,
        org_error,
        can_create: user.principal.has(perm::USER_MANAGE),
        pages,
        all_roles: roles::all(state.store()).await.unwrap_or_default(),
    })
}

/// The users the filter selects as `users.csv` or `users.xlsx`; the export is audited.
async fn users_export(
    State(state): State<AppState>,
    user: PageUser,
    format: super::export::Format,
    Query(mut filter): Query<UserFilter>,
) -> Response {
    filter.resolve_org(&state, &user).await;
    match users::list(state.store(), &user.principal, &filter.query(true), &user.client).await {
        Ok((list, _)) => {
            let all_roles = roles::all(state.store()).await.unwrap_or_default();
            super::export::send(&state, &user, "users", format, users::table(&list, &all_roles)).await
        }
        Err(e) => failure_page(user.lang, e),
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct UserForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    is_master: String,
    /// Comma-joined role codes (checkboxes arrive as repeated `roles` keys; see `roles_from`).
    #[serde(default)]
    roles: Vec<String>,
}

#[derive(Template)]
#[template(path = "user_new.html")]
struct UserNewPage {
    chrome: Chrome,
    form: UserForm,
    errors: Vec<FieldError>,
    orgs: Vec<Org>,
    roles: Vec<Role>,
}

impl UserNewPage {
    fn err(&self, field: &str) -> Option<&str> {
        field_error(&self.errors, field)
    }
    fn role_checked(&self, code: &str) -> bool {
        self.form.roles.iter().any(|r| r == code)
    }
    fn role_name(&self, r: &Role) -> String {
        if self.chrome.lang == crate::i18n::Lang::Zh {
            r.name_zh.clone()
        } else {
            r.name_en.clone()
        }
    }
}

async fn user_new_render(state: &AppState, user: &PageUser, mut form: UserForm, errors: Vec<FieldError>) -> Response {
    let orgs = super::org_picks(state, user, None).await;
    form.org_id = super::picker_text(state, user, &form.org_id).await;
    let roles = roles::list(state.store(), &user.principal, &user.client).await.unwrap_or_default();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let mut resp = render(&UserNewPage { chrome: user.chrome("users"), form, errors, orgs, roles });
    *resp.status_mut() = status;
    resp
}

async fn user_new_form(State(state): State<AppState>, user: PageUser) -> Response {
    let form = UserForm { org_id: user.principal.org_id().to_string(), ..Default::default() };
    user_new_render(&state, &user, form, Vec::new()).await
}

/// Form bodies with repeated keys (`roles=a&roles=b`), which `serde_urlencoded` cannot put in a Vec.
pub(super) fn parse_repeated(body: &str) -> (Vec<(String, String)>, Vec<String>) {
    let pairs: Vec<(String, String)> = url_pairs(body);
    let roles = pairs.iter().filter(|(k, _)| k == "roles").map(|(_, v)| v.clone()).collect();
    (pairs.into_iter().filter(|(k, _)| k != "roles").collect(), roles)
}

pub(super) fn url_pairs(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let dec = |s: &str| urlencoding::decode(&s.replace('+', " ")).map(|c| c.into_owned()).unwrap_or_default();
            (dec(k), dec(v))
        })
        .collect()
}

pub(super) fn field(pairs: &[(String, String)], key: &str) -> String {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default()
}

async fn user_create(State(state): State<AppState>, user: PageUser, body: String) -> Response {
    let (pairs, roles) = parse_repeated(&body);
    let form = UserForm {
        csrf: field(&pairs, "_csrf"),
        org_id: field(&pairs, "org_id"),
        username: field(&pairs, "username"),
        display_name: field(&pairs, "display_name"),
        password: field(&pairs, "password"),
        email: field(&pairs, "email"),
        phone: field(&pairs, "phone"),
        is_master: field(&pairs, "is_master"),
        roles,
    };
    if let Err(r) = user.check_csrf(&form.csrf) {
        return r;
    }
    let org_id = match super::picked_org(&state, &user, "org_id", &form.org_id, None).await {
        Ok(id) => id,
        Err(Ok(errors)) => {
            return user_new_render(&state, &user, UserForm { password: String::new(), ..form }, errors).await
        }
        Err(Err(page)) => return page,
    };
    let new = NewUser {
        org_id,
        username: form.username.clone(),
        display_name: form.display_name.clone(),
        password: form.password.clone(),
        email: form.email.clone(),
        phone: form.phone.clone(),
        is_master: form.is_master == "1",
        roles: form.roles.clone(),
    };
    match users::create(state.store(), state.identity(), &user.principal, &new, &user.client).await {
        Ok(u) => Redirect::to(&format!("/admin/users/{}", u.id)).into_response(),
        Err(e) => match super::refusals(user.lang, e) {
            // Keep what was typed, except the password.
            Ok(errors) => user_new_render(&state, &user, UserForm { password: String::new(), ..form }, errors).await,
            Err(page) => page,
        },
    }
}

#[derive(Template)]
#[template(path = "user_detail.html")]
struct UserDetailPage {
    chrome: Chrome,
    u: User,
    roles: Vec<Role>,
    /// Every role, for its name.
    all_roles: Vec<Role>,
    /// A role change waiting for a second administrator, if any.
    pending: Option<RoleRequest>,
    can_manage: bool,
    can_assign: bool,
    can_unlock: bool,
    errors: Vec<FieldError>,
}

impl UserDetailPage {
    fn has_role(&self, code: &str) -> bool {
        self.u.roles.iter().any(|r| r == code)
    }
    /// A role's name for a code.
    fn role_label(&self, code: &str) -> String {
        role_label(&self.all_roles, self.chrome.lang, code)
    }
    fn role_name(&self, r: &Role) -> String {
        if self.chrome.lang == crate::i18n::Lang::Zh {
            r.name_zh.clone()
        } else {
            r.name_en.clone()
        }
    }
}

async fn user_detail_render(state: &AppState, user: &PageUser, id: i64, errors: Vec<FieldError>) -> Response {
    let u = match users::get(state.store(), &user.principal, id, &user.client).await {
        Ok(u) => u,
        Err(e) => return failure_page(user.lang, e),
    };
    let roles = roles::list(state.store(), &user.principal, &user.client).await.unwrap_or_default();
    let p = &user.principal;
    let pending = if role_requests::may_propose(p) || role_requests::is_approver(p) {
        let open = role_requests::list(state.store(), p, true, &user.client).await.unwrap_or_default();
        open.into_iter().find(|q| q.user_id == id)
    } else {
        None
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let mut resp = render(&UserDetailPage {
        pending,
        chrome: user.chrome("users"),
        can_manage: p.has(perm::USER_MANAGE) && u.id != p.user_id(),
        can_assign: p.has(perm::ROLE_ASSIGN),
        can_unlock: p.has(perm::SECURITY_MANAGE),
        u,
        roles,
        all_roles: roles::all(state.store()).await.unwrap_or_default(),
        errors,
    });
    *resp.status_mut() = status;
    resp
}

async fn user_detail(State(state): State<AppState>, user: PageUser, IdPath(id): IdPath) -> Response {
    user_detail_render(&state, &user, id, Vec::new()).await
}

/// Runs a user action and shows the detail page again, with errors or a notice.
async fn after_action(
    state: &AppState,
    user: &PageUser,
    id: i64,
    result: Result<(), yaolian_identity::IdentityError>,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/admin/users/{id}")).into_response(),
        Err(e) => match super::refusals(user.lang, e) {
            Ok(errors) => user_detail_render(state, user, id, errors).await,
            Err(page) => page,
        },
    }
}

async fn user_roles(State(state): State<AppState>, user: PageUser, IdPath(id): IdPath, body: String) -> Response {
    let (pairs, roles) = parse_repeated(&body);
    if let Err(r) = user.check_csrf(&field(&pairs, "_csrf")) {
        return r;
    }
    let reason = field(&pairs, "reason");
    let result = role_requests::change_roles(state.store(), &user.principal, id, &roles, &reason, &user.client).await;
    after_action(&state, &user, id, result.map(|_| ())).await
}

async fn user_status(State(state): State<AppState>, user: PageUser, IdPath(id): IdPath, body: String) -> Response {
    let pairs = url_pairs(&body);
    if let Err(r) = user.check_csrf(&field(&pairs, "_csrf")) {
        return r;
    }
    let active = field(&pairs, "active") == "1";
    let result =
        users::set_status(state.store(), &user.principal, id, active, &field(&pairs, "reason"), &user.client).await;
    after_action(&state, &user, id, result.map(|_| ())).await
}

async fn user_unlock(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Form(f): Form<SimpleForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&f.csrf) {
        return r;
    }
    let result = users::unlock(state.store(), &user.principal, id, &user.client).await;
    after_action(&state, &user, id, result).await
}

async fn user_password(State(state): State<AppState>, user: PageUser, IdPath(id): IdPath, body: String) -> Response {
    let pairs = url_pairs(&body);
    if let Err(r) = user.check_csrf(&field(&pairs, "_csrf")) {
        return r;
    }
    let result = users::reset_password(
        state.store(),
        state.identity(),
        &user.principal,
        id,
        &field(&pairs, "password"),
        &user.client,
    )
    .await;
    after_action(&state, &user, id, result).await
}

// ---------------------------------------------------------------- roles

#[derive(Template)]
#[template(path = "roles.html")]
struct RolesPage {
    chrome: Chrome,
    roles: Vec<Role>,
    can_manage: bool,
}

impl RolesPage {
    fn role_name(&self, r: &Role) -> String {
        if self.chrome.lang == crate::i18n::Lang::Zh {
            r.name_zh.clone()
        } else {
            r.name_en.clone()
        }
    }
    fn scope_label(&self, r: &Role) -> &'static str {
        self.chrome.t(match r.scope {
            yaolian_access::Scope::Own => "roles.scope.own",
            yaolian_access::Scope::Subtree => "roles.scope.subtree",
            yaolian_access::Scope::All => "roles.scope.all",
        })
    }
    fn admin_label(&self, r: &Role) -> &'static str {
        r.admin_kind.map(|k| k.label_zh()).unwrap_or("")
    }
}

async fn roles_page(State(state): State<AppState>, user: PageUser) -> Response {
    match roles::list(state.store(), &user.principal, &user.client).await {
        Ok(list) => render(&RolesPage {
            chrome: user.chrome("roles"),
            roles: list,
            can_manage: user.principal.has(perm::ROLE_MANAGE),
        }),
        Err(e) => failure_page(user.lang, e),
    }
}

async fn role_mfa(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Path(code): axum::extract::Path<String>,
    body: String,
) -> Response {
    let pairs = url_pairs(&body);
    if let Err(r) = user.check_csrf(&field(&pairs, "_csrf")) {
        return r;
    }
    let on = field(&pairs, "requires_mfa") == "1";
    let reason = if on { "要求双因素认证" } else { "取消双因素认证要求" };
    match roles::set_requires_mfa(state.store(), &user.principal, &code, on, reason, &user.client).await {
        Ok(_) => Redirect::to("/admin/roles").into_response(),
        Err(e) => form_errors(user.lang, e).err().unwrap_or_else(|| Redirect::to("/admin/roles").into_response()),
    }
}

/// A role's name in the page's language, found by code.
fn role_label(roles: &[Role], lang: crate::i18n::Lang, code: &str) -> String {
    match roles.iter().find(|r| r.code == code) {
        Some(r) if lang == crate::i18n::Lang::Zh => r.name_zh.clone(),
        Some(r) => r.name_en.clone(),
        None => code.to_string(),
    }
}

// ---------------------------------------------------------------- role requests (two-person rule)

#[derive(Template)]
#[template(path = "role_requests.html")]
struct RoleRequestsPage {
    chrome: Chrome,
    /// The reader: which requests it may decide.
    decider: yaolian_access::Principal,
    requests: Vec<RoleRequest>,
    roles: Vec<Role>,
    /// The request a refused decision was about, and what was typed, to show in place.
    failed: Option<(i64, String)>,
    errors: Vec<FieldError>,
}

impl RoleRequestsPage {
    fn role_label(&self, code: &str) -> String {
        role_label(&self.roles, self.chrome.lang, code)
    }
    fn may_decide(&self, q: &RoleRequest) -> bool {
        role_requests::may_decide(&self.decider, q)
    }
    fn is_failed(&self, id: &i64) -> bool {
        self.failed.as_ref().is_some_and(|(failed, _)| failed == id)
    }
    fn typed(&self, id: &i64) -> &str {
        match &self.failed {
            Some((failed, text)) if failed == id => text,
            _ => "",
        }
    }
    fn status_label(&self, q: &RoleRequest) -> &'static str {
        self.chrome.t(match q.status.as_str() {
            "approved" => "rr.approved",
            "refused" => "rr.refused",
            _ => "rr.pending",
        })
    }
}

async fn role_requests_render(
    state: &AppState,
    user: &PageUser,
    failed: Option<(i64, String)>,
    errors: Vec<FieldError>,
) -> Response {
    let requests = match role_requests::list(state.store(), &user.principal, false, &user.client).await {
        Ok(list) => list,
        Err(e) => return failure_page(user.lang, e),
    };
    let roles = roles::all(state.store()).await.unwrap_or_default();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let mut resp = render(&RoleRequestsPage {
        chrome: user.chrome("role_requests"),
        decider: user.principal.clone(),
        requests,
        roles,
        failed,
        errors,
    });
    *resp.status_mut() = status;
    resp
}

async fn role_requests_page(State(state): State<AppState>, user: PageUser) -> Response {
    role_requests_render(&state, &user, None, Vec::new()).await
}

async fn role_request_decide(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    body: String,
) -> Response {
    let pairs = url_pairs(&body);
    if let Err(r) = user.check_csrf(&field(&pairs, "_csrf")) {
        return r;
    }
    let approve = field(&pairs, "approve") == "1";
    let reason = field(&pairs, "reason");
    match role_requests::decide(state.store(), &user.principal, id, approve, &reason, &user.client).await {
        Ok(_) => Redirect::to("/admin/role-requests").into_response(),
        Err(e) => match super::refusals(user.lang, e) {
            Ok(errors) => role_requests_render(&state, &user, Some((id, reason)), errors).await,
            Err(page) => page,
        },
    }
}

// ---------------------------------------------------------------- audit

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    records: Vec<AuditRecord>,
    user: String,
    action: String,
    from: String,
    to: String,
    /// The next page's key: `before=…` (newest first) or `after=…` (oldest first).
    next: Option<String>,
    /// Oldest first (`order=oldest`), else newest first.
    oldest: bool,
    chart: String,
    action_chart: String,
    user_chart: String,
    alerts: Vec<audit::alerts::Alert>,
    rules: Vec<audit::alerts::Rule>,
    error: String,
    actions: Vec<&'static str>,
}

impl AuditPage {
    fn action_name(&self, code: &str) -> String {
        self.chrome.lang.action(code)
    }
    fn outcome_name(&self, outcome: &str) -> &'static str {
        match outcome {
            "ok" | "denied" | "failed" => self.chrome.t(&format!("audit.outcome.{outcome}")),
            _ => "",
        }
    }
    fn rule_name(&self, code: &str) -> &'static str {
        self.chrome.t(&format!("audit.rule.{code}"))
    }
    /// The events behind an alert: that day's log, narrowed to the user (or, for an address,
    /// to failed logins), where each action shows by name.
    fn alert_events(&self, alert: &audit::alerts::Alert) -> String {
        let day = alert.at.china_date().to_string();
        let who = if alert.rule == audit::alerts::FAILED_LOGINS_IP {
            format!("action={}", audit::action::LOGIN_FAILED)
        } else {
            format!("user={}", urlencoding::encode(&alert.key))
        };
        format!("/admin/audit?{who}&from={day}&to={day}")
    }

    /// The filter and order as a query string.
    fn query(&self) -> String {
        self.query_ordered(self.oldest)
    }

    fn query_ordered(&self, oldest: bool) -> String {
        format!(
            "user={}&action={}&from={}&to={}{}",
            urlencoding::encode(&self.user),
            urlencoding::encode(&self.action),
            urlencoding::encode(&self.from),
            urlencoding::encode(&self.to),
            if oldest { "&order=oldest" } else { "" }
        )
    }

    /// The log is sorted by time only (it is paged by key): newest first, or oldest first.
    fn sorting(&self) -> super::Sorting<'static> {
        super::Sorting { key: "time", desc: if self.oldest { "" } else { "1" } }
    }
    /// The 时间 header's link: the other order, from the first page.
    fn time_link(&self) -> String {
        format!("?{}", self.query_ordered(!self.oldest))
    }

    /// Whether the log is narrowed (an empty result then says so, not 暂无审计记录).
    fn is_set(&self) -> bool {
        !(self.user.trim().is_empty() && self.action.is_empty() && self.from.is_empty() && self.to.is_empty())
    }
}

async fn audit_page(State(state): State<AppState>, user: PageUser, Query(q): Query<AuditParams>) -> Response {
    let p = &user.principal;
    let (query, error) = match q.to_query(50) {
        Ok(query) => (query, String::new()),
        Err(e) => (yaolian_audit::AuditQuery { limit: 50, ..Default::default() }, e.detail),
    };
    let records = match audit::query(state.store(), p, &query, &user.client).await {
        Ok(r) => r,
        Err(e) => return failure_page(user.lang, e),
    };
    let since = Timestamp::now().plus_seconds(-13 * 86_400);
    let since = parse_time(
        "from",
        &since.to_utc().with_timezone(&yaolian_core::time::china_offset()).format("%Y-%m-%d").to_string(),
        false,
    )
    .unwrap_or(since);
    let summary = match audit::summary(state.store(), p, since, None, &user.client).await {
        Ok(s) => s,
        Err(e) => return failure_page(user.lang, e),
    };
    let alerts = audit::alerts::recent(state.store(), p, 20, &user.client).await.unwrap_or_default();
    let rules = audit::alerts::rules(state.store(), p, &user.client).await.unwrap_or_default();
    let (ok_name, bad_name) =
        if user.lang == crate::i18n::Lang::Zh { ("成功", "失败/拒绝") } else { ("ok", "failed / denied") };
    let chart = serde_json::json!({
        "x": summary.by_day.iter().map(|d| d.day[5..].to_string()).collect::<Vec<_>>(),
        "series": [
            {"name": ok_name, "data": summary.by_day.iter().map(|d| d.ok).collect::<Vec<_>>()},
            {"name": bad_name, "data": summary.by_day.iter().map(|d| d.refused).collect::<Vec<_>>()},
        ]
    })
    .to_string();
    let bars = |counts: &[audit::Count], name: &dyn Fn(&str) -> String| {
        serde_json::json!({
            "horizontal": true,
            "x": counts.iter().rev().map(|c| name(&c.key)).collect::<Vec<_>>(),
            "y": counts.iter().rev().map(|c| c.count).collect::<Vec<_>>(),
        })
        .to_string()
    };
    let action_chart = bars(&summary.by_action[..summary.by_action.len().min(12)], &|code| user.lang.action(code));
    let user_chart = bars(&summary.by_user[..summary.by_user.len().min(12)], &|name| name.to_string());
    let full = records.len() as i64 == query.limit;
    let oldest = query.oldest_first;
    let next = records.last().filter(|_| full).map(|r| {
        if oldest {
            format!("after={}", r.id)
        } else {
            format!("before={}", r.id)
        }
    });
    use yaolian_audit::action as a;
    render(&AuditPage {
        chrome: user.chrome("audit"),
        records,
        user: q.user.unwrap_or_default(),
        action: q.action.unwrap_or_default(),
        from: q.from.unwrap_or_default(),
        to: q.to.unwrap_or_default(),
        next,
        oldest,
        chart,
        action_chart,
        user_chart,
        alerts,
        rules,
        error,
        actions: a::ALL.to_vec(),
    })
}

/// The events the filter selects (up to 100,000) as `audit.csv` or `audit.xlsx`; the export is
/// audited.
async fn audit_export(
    State(state): State<AppState>,
    user: PageUser,
    format: super::export::Format,
    Query(q): Query<AuditParams>,
) -> Response {
    let query = match q.to_query(100_000) {
        Ok(query) => query,
        Err(e) => return error_page(user.lang, StatusCode::UNPROCESSABLE_ENTITY, &e.detail),
    };
    match audit::query(state.store(), &user.principal, &query, &user.client).await {
        Ok(records) => {
            let table = if user.lang == crate::i18n::Lang::Zh {
                audit::table_zh(&records, &|code| user.lang.action(code))
            } else {
                audit::table(&records)
            };
            super::export::send(&state, &user, "audit", format, table).await
        }
        Err(e) => failure_page(user.lang, e),
    }
}
