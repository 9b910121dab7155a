//! The user's own account: password, second factor, API tokens.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use yaolian_core::FieldError;
use yaolian_identity::{tokens, tokens::ApiToken};
use yaolian_identity::{totp, users};

use super::admin::{field, parse_repeated, url_pairs};
use super::{failure_page, render, Chrome, PageUser};
use crate::api::IdPath;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account", get(account_page))
        .route("/account/password", post(change_password))
        .route("/account/totp", get(totp_form).post(totp_confirm))
        .route("/account/tokens", post(create_token))
        .route("/account/tokens/{id}/revoke", post(revoke_token))
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    totp_enabled: bool,
    tokens: Vec<ApiToken>,
    scopes: Vec<String>,
    new_secret: String,
    errors: Vec<FieldError>,
    notice: String,
}

async fn account_render(
    state: &AppState,
    user: &PageUser,
    errors: Vec<FieldError>,
    notice: &str,
    new_secret: String,
) -> Response {
    let me = match users::get(state.store(), &user.principal, user.principal.user_id(), &user.client).await {
        Ok(u) => u,
        Err(e) => return failure_page(user.lang, e),
    };
    let tokens = tokens::list(state.store(), &user.principal).await.unwrap_or_default();
    let mut scopes: Vec<String> = user.principal.roles().iter().flat_map(|r| r.permissions.iter().cloned()).collect();
    scopes.sort();
    scopes.dedup();
    let status =
        if errors.is_empty() { axum::http::StatusCode::OK } else { axum::http::StatusCode::UNPROCESSABLE_ENTITY };
    let mut resp = render(&AccountPage {
        chrome: user.chrome("account"),
        totp_enabled: me.totp_enabled,
        tokens,
        scopes,
        new_secret,
        errors,
        notice: notice.to_string(),
    });
    *resp.status_mut() = status;
    resp
}

async fn account_page(State(state): State<AppState>, user: PageUser) -> Response {
    account_render(&state, &user, Vec::new(), "", String::new()).await
}

async fn change_password(State(state): State<AppState>, user: PageUser, body: String) -> Response {
    let pairs = url_pairs(&body);
    if let Err(r) = user.check_csrf(&field(&pairs, "_csrf")) {
        return r;
    }
    let result = users::change_own_password(
        state.store(),
        state.identity(),
        &user.principal,
        &field(&pairs, "current_password"),
        &field(&pairs, "new_password"),
        &user.client,
    )
    .await;
    match result {
        Ok(()) => account_render(&state, &user, Vec::new(), user.lang.t("account.saved"), String::new()).await,
        Err(e) => match super::refusals(user.lang, e) {
            Ok(errors) => account_render(&state, &user, errors, "", String::new()).await,
            Err(page) => page,
        },
    }
}

async fn totp_form(State(state): State<AppState>, user: PageUser) -> Response {
    super::login::enroll_page(&state, &user.principal, user.lang, "/account/totp", String::new()).await
}

async fn totp_confirm(State(state): State<AppState>, user: PageUser, body: String) -> Response {
    let pairs = url_pairs(&body);
    if let Err(r) = user.check_csrf(&field(&pairs, "_csrf")) {
        return r;
    }
    match totp::confirm_enrollment(
        state.store(),
        state.identity(),
        &user.principal,
        &field(&pairs, "code"),
        None,
        &user.client,
    )
    .await
    {
        Ok(()) => Redirect::to("/account").into_response(),
        Err(e) => super::login::enroll_page(&state, &user.principal, user.lang, "/account/totp", e.to_string()).await,
    }
}

async fn create_token(State(state): State<AppState>, user: PageUser, body: String) -> Response {
    let (pairs, _) = parse_repeated(&body);
    if let Err(r) = user.check_csrf(&field(&pairs, "_csrf")) {
        return r;
    }
    let scopes: Vec<String> = url_pairs(&body).into_iter().filter(|(k, _)| k == "scopes").map(|(_, v)| v).collect();
    let days = field(&pairs, "valid_days").parse::<i64>().unwrap_or(0);
    match tokens::create(state.store(), &user.principal, &field(&pairs, "name"), &scopes, days, &user.client).await {
        Ok((_, secret)) => account_render(&state, &user, Vec::new(), "", secret).await,
        Err(e) => match super::refusals(user.lang, e) {
            Ok(errors) => account_render(&state, &user, errors, "", String::new()).await,
            Err(page) => page,
        },
    }
}

async fn revoke_token(State(state): State<AppState>, user: PageUser, IdPath(id): IdPath, body: String) -> Response {
    let pairs = url_pairs(&body);
    if let Err(r) = user.check_csrf(&field(&pairs, "_csrf")) {
        return r;
    }
    match tokens::revoke(state.store(), &user.principal, id, &user.client).await {
        Ok(()) => Redirect::to("/account").into_response(),
        Err(e) => failure_page(user.lang, e),
    }
}
