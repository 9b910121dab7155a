//! The portal's to-dos and messages.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use yaolian_portal::{self as portal, Message, NewTodo, Todo};

use super::IdPath;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, Auth, Client};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/portal/todos", get(list_todos).post(create_todo))
        .route("/api/v1/portal/todos/{id}/done", post(complete_todo))
        .route("/api/v1/portal/messages", get(list_messages))
        .route("/api/v1/portal/messages/{id}/read", post(read_message))
}

/// The caller's open to-dos (its own and its organization's), soonest due first.
#[utoipa::path(get, path = "/api/v1/portal/todos", tag = "portal", responses((status = 200, body = Vec<Todo>)))]
pub async fn list_todos(State(state): State<AppState>, Auth(p): Auth) -> ApiResult<Json<Vec<Todo>>> {
    Ok(Json(portal::todos(state.store(), &p, 100).await?))
}

/// Raise a to-do for a user or an organization (modules and integrations; needs `portal.notify`).
#[utoipa::path(post, path = "/api/v1/portal/todos", tag = "portal", request_body = NewTodo,
    responses((status = 201, body = i64), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_todo(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(todo): ApiJson<NewTodo>,
) -> ApiResult<(StatusCode, Json<i64>)> {
    let id = yaolian_identity::notify::raise(state.store(), &p, &todo, &client).await?;
    Ok((StatusCode::CREATED, Json(id)))
}

/// Mark a to-do done.
#[utoipa::path(post, path = "/api/v1/portal/todos/{id}/done", tag = "portal", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn complete_todo(State(state): State<AppState>, Auth(p): Auth, IdPath(id): IdPath) -> ApiResult<StatusCode> {
    portal::complete_todo(state.store(), &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's newest messages.
#[utoipa::path(get, path = "/api/v1/portal/messages", tag = "portal", responses((status = 200, body = Vec<Message>)))]
pub async fn list_messages(State(state): State<AppState>, Auth(p): Auth) -> ApiResult<Json<Vec<Message>>> {
    Ok(Json(portal::messages(state.store(), &p, 100).await?))
}

/// Mark a message read.
#[utoipa::path(post, path = "/api/v1/portal/messages/{id}/read", tag = "portal", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn read_message(State(state): State<AppState>, Auth(p): Auth, IdPath(id): IdPath) -> ApiResult<StatusCode> {
    portal::mark_read(state.store(), &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
