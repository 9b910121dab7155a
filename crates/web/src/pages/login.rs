//! Login, the TOTP step, enrollment during login, logout and the language switch.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use yaolian_access::Principal;
use yaolian_identity::{auth, auth::Stage};
use yaolian_identity::{totp, IdentityError};

use super::{error_page, redirect_with_cookie, render, safe_next, Chrome};
use crate::extract::{
    clear_session_cookie, client_info, cookie, resolve, session_cookie, LANG_COOKIE, LOGIN_CSRF_COOKIE,
};
use crate::i18n::Lang;
use crate::{AppState, DemoAccount};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login_submit))
        .route("/login/totp", get(totp_form).post(totp_submit))
        .route("/login/enroll", get(enroll_form).post(enroll_submit))
        .route("/logout", post(logout))
        .route("/lang/{lang}", get(switch_lang))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf: String,
    next: String,
    username: String,
    error: String,
    demo: Option<(Vec<DemoAccount>, String)>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// The pre-session CSRF token (double-submit cookie) for the login form.
fn login_csrf(parts: &Parts) -> Option<String> {
    cookie(parts, LOGIN_CSRF_COOKIE).map(str::to_string)
}

fn login_page(state: &AppState, lang: Lang, csrf: String, next: String, username: String, error: String) -> Response {
    let page = LoginPage {
        chrome: Chrome::anonymous(lang, lang.t("login.title"), "/login"),
        csrf: csrf.clone(),
        next,
        username,
        error,
        demo: state.config().demo.clone(),
    };
    let cookie = format!(
        "{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600{}",
        if state.config().secure_cookies { "; Secure" } else { "" }
    );
    let mut resp = render(&page);
    if let Ok(v) = axum::http::HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(axum::http::header::SET_COOKIE, v);
    }
    resp
}

async fn login_form(State(state): State<AppState>, parts: Parts) -> Response {
    let lang = Lang::from_parts(&parts);
    let next = Query::<NextQuery>::try_from_uri(&parts.uri).ok().and_then(|q| q.0.next);
    let csrf = login_csrf(&parts).unwrap_or_else(auth::random_token);
    login_page(&state, lang, csrf, safe_next(next.as_deref()), String::new(), String::new())
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    next: String,
}

async fn login_submit(
    State(state): State<AppState>,
    parts: Parts,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let lang = Lang::from_parts(&parts);
    let form = match form {
        Ok(Form(f)) => f,
        Err(e) => return error_page(lang, StatusCode::BAD_REQUEST, &e.body_text()),
    };
    let expected = login_csrf(&parts);
    let next = safe_next(Some(&form.next));
    if expected.as_deref() != Some(form.csrf.as_str()) || form.csrf.is_empty() {
        let csrf = auth::random_token();
        let msg = lang.t("err.generic").to_string() + " (CSRF)";
        return login_page(&state, lang, csrf, next, form.username, msg);
    }
    let client = client_info(&parts, state.config().trust_proxy);
    match auth::login(state.store(), state.identity(), &form.username, &form.password, &client).await {
        Ok(s) => {
            let cookie =
                session_cookie(&s.token, state.identity().session_absolute.as_secs(), state.config().secure_cookies);
            let to = match s.stage {
                Stage::Full => next,
                Stage::Mfa => "/login/totp".to_string(),
                Stage::Enroll => "/login/enroll".to_string(),
            };
            redirect_with_cookie(&to, &cookie)
        }
        Err(e) => {
            let msg = login_error(lang, &e);
            let csrf = expected.unwrap_or_else(auth::random_token);
            let mut resp = login_page(&state, lang, csrf, next, form.username, msg);
            *resp.status_mut() = match e {
                IdentityError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
                IdentityError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::UNAUTHORIZED,
            };
            resp
        }
    }
}

fn login_error(lang: Lang, e: &IdentityError) -> String {
    match (lang, e) {
        (Lang::Zh, IdentityError::InvalidCredentials) => "用户名或密码错误".into(),
        (Lang::Zh, IdentityError::AccountLocked { until }) => {
            format!("连续登录失败次数过多，账号已锁定至 {}", until.to_china_string())
        }
        (Lang::Zh, IdentityError::AccountDisabled) => "账号已停用".into(),
        (Lang::Zh, IdentityError::InvalidTotp) => "验证码错误或已使用".into(),
        (_, IdentityError::Store(_)) => lang.t("err.generic").into(),
        (_, other) => other.to_string(),
    }
}

#[derive(Template)]
#[template(path = "totp.html")]
struct TotpPage {
    chrome: Chrome,
    csrf: String,
    error: String,
}

/// A session waiting at a login step.
struct Pending {
    principal: Principal,
    stage: Stage,
    token: String,
    lang: Lang,
    parts: Parts,
}

async fn pending(parts: Parts, state: &AppState) -> Result<Pending, Response> {
    let lang = Lang::from_parts(&parts);
    match resolve(&parts, state).await {
        Ok((principal, stage, Some(token))) => Ok(Pending { principal, stage, token, lang, parts }),
        _ => Err(Redirect::to("/login").into_response()),
    }
}

fn session_csrf(p: &Principal) -> String {
    match &p.via() {
        yaolian_access::AuthVia::Session { csrf_token } => csrf_token.clone(),
        _ => String::new(),
    }
}

async fn totp_form(State(state): State<AppState>, parts: Parts) -> Response {
    let p = match pending(parts, &state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if p.stage != Stage::Mfa {
        return Redirect::to("/").into_response();
    }
    render(&TotpPage {
        chrome: Chrome::anonymous(p.lang, p.lang.t("login.totp_title"), "/login/totp"),
        csrf: session_csrf(&p.principal),
        error: String::new(),
    })
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

async fn totp_submit(State(state): State<AppState>, parts: Parts, Form(form): Form<CodeForm>) -> Response {
    let p = match pending(parts, &state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if p.stage != Stage::Mfa || form.csrf != session_csrf(&p.principal) {
        return Redirect::to("/login").into_response();
    }
    let client = client_info(&p.parts, state.config().trust_proxy);
    match auth::complete_mfa(state.store(), state.identity(), &p.token, &form.code, &client).await {
        Ok(()) => Redirect::to("/").into_response(),
        Err(IdentityError::AccountLocked { .. }) => Redirect::to("/login").into_response(),
        Err(e) => {
            let mut resp = render(&TotpPage {
                chrome: Chrome::anonymous(p.lang, p.lang.t("login.totp_title"), "/login/totp"),
                csrf: session_csrf(&p.principal),
                error: login_error(p.lang, &e),
            });
            *resp.status_mut() = StatusCode::UNAUTHORIZED;
            resp
        }
    }
}

#[derive(Template)]
#[template(path = "enroll.html")]
pub struct EnrollPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub error: String,
    pub qr_svg: String,
    pub secret: String,
    pub action: String,
}

async fn enroll_form(State(state): State<AppState>, parts: Parts) -> Response {
    let p = match pending(parts, &state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if p.stage != Stage::Enroll {
        return Redirect::to("/").into_response();
    }
    enroll_page(&state, &p.principal, p.lang, "/login/enroll", String::new()).await
}

pub async fn enroll_page(state: &AppState, principal: &Principal, lang: Lang, action: &str, error: String) -> Response {
    match totp::begin_enrollment(state.store(), state.identity(), principal).await {
        Ok(e) => render(&EnrollPage {
            chrome: Chrome::anonymous(lang, lang.t("login.enroll_title"), action),
            csrf: session_csrf(principal),
            error,
            qr_svg: e.qr_svg,
            secret: e.secret,
            action: action.to_string(),
        }),
        Err(_) => error_page(lang, StatusCode::INTERNAL_SERVER_ERROR, lang.t("err.generic")),
    }
}

async fn enroll_submit(State(state): State<AppState>, parts: Parts, Form(form): Form<CodeForm>) -> Response {
    let p = match pending(parts, &state).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if p.stage != Stage::Enroll || form.csrf != session_csrf(&p.principal) {
        return Redirect::to("/login").into_response();
    }
    let client = client_info(&p.parts, state.config().trust_proxy);
    match totp::confirm_enrollment(state.store(), state.identity(), &p.principal, &form.code, Some(&p.token), &client)
        .await
    {
        Ok(()) => Redirect::to("/").into_response(),
        Err(e) => {
            let msg = login_error(p.lang, &e);
            enroll_retry(&state, &p.principal, p.lang, msg).await
        }
    }
}

/// Shows the enrollment page again with the pending secret kept (no new secret on a typo).
async fn enroll_retry(state: &AppState, principal: &Principal, lang: Lang, error: String) -> Response {
    let mut resp = enroll_page(state, principal, lang, "/login/enroll", error).await;
    *resp.status_mut() = StatusCode::UNAUTHORIZED;
    resp
}

async fn logout(State(state): State<AppState>, parts: Parts, Form(form): Form<CodeForm>) -> Response {
    let secure = state.config().secure_cookies;
    if let Ok(p) = pending(parts, &state).await {
        if form.csrf == session_csrf(&p.principal) {
            let client = client_info(&p.parts, state.config().trust_proxy);
            if let Err(e) = auth::logout(state.store(), &p.principal, &p.token, &client).await {
                tracing::warn!(error = %e, "logout failed");
            }
        }
    }
    redirect_with_cookie("/login", &clear_session_cookie(secure))
}

async fn switch_lang(Path(lang): Path<String>, Query(q): Query<NextQuery>) -> Response {
    let lang = if lang == "en" { "en" } else { "zh" };
    let cookie = format!("{LANG_COOKIE}={lang}; Path=/; SameSite=Lax; Max-Age=31536000");
    redirect_with_cookie(&safe_next(q.next.as_deref()), &cookie)
}
