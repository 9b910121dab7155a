//! The portal's to-dos (待办) and messages (消息): every module raises them through
//! [`add_todo`] and [`send_message`]; the home page and `/api/v1/portal/…` read them. Raising
//! a to-do for another organization over the API checks its place in the tree, so that door is
//! `identity::notify::raise`.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_access::error::Result;
use yaolian_access::{AccessError, Principal};
use yaolian_core::{Timestamp, ValidationError};
use yaolian_store::Store;

/// A to-do for one user or for everyone in an organization.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewTodo {
    pub user_id: Option<i64>,
    pub org_id: Option<i64>,
    /// Module raising it, e.g. `identity`, `services`, `trace`.
    pub module: String,
    pub title: String,
    #[serde(default)]
    pub link: String,
    #[schema(value_type = Option<i64>)]
    pub due_at: Option<Timestamp>,
    /// A to-do that a legal time limit governs (受理, 审查, 决定): it closes when its action is
    /// done, never by [`complete_todo`]. Only the module that closes it raises one, so the API
    /// cannot set it.
    #[serde(skip)]
    pub statutory: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Todo {
    pub id: i64,
    pub module: String,
    pub title: String,
    pub link: String,
    #[schema(value_type = Option<i64>)]
    pub due_at: Option<Timestamp>,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    /// Closes when its action is done (受理, 审查, 决定); [`complete_todo`] refuses it.
    pub statutory: bool,
}

/// The rule [`complete_todo`] names when it refuses a to-do that a legal time limit governs.
pub const CLOSES_WITH_ACTION: &str = "closes_with_action";

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Message {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub link: String,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    pub read: bool,
}

/// Raises a to-do. Runs inside the caller's transaction when given one.
pub async fn add_todo<'e, E>(executor: E, todo: &NewTodo) -> Result<i64>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let mut errors = ValidationError::new();
    if todo.user_id.is_none() && todo.org_id.is_none() {
        errors.push("user_id", "one_of:user_id,org_id", "a to-do needs a user or an organization");
    }
    if todo.title.trim().is_empty() || todo.title.chars().count() > 200 {
        errors.push("title", "length:1..200", "title must have 1 to 200 characters");
    }
    if todo.module.trim().is_empty() {
        errors.push("module", "required", "module is required");
    }
    errors.into_result()?;
    Ok(sqlx::query(
        "INSERT INTO todos (user_id, org_id, module, title, link, due_at, status, created_at, statutory) \
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8) RETURNING id",
    )
    .bind(todo.user_id)
    .bind(todo.org_id)
    .bind(todo.module.trim())
    .bind(todo.title.trim())
    .bind(&todo.link)
    .bind(todo.due_at.map(|t| t.0))
    .bind(Timestamp::now().0)
    .bind(i64::from(todo.statutory))
    .fetch_one(executor)
    .await?
    .try_get(0)?)
}

/// Sends a message to a user.
pub async fn send_message<'e, E>(executor: E, user_id: i64, title: &str, body: &str, link: &str) -> Result<i64>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    if title.trim().is_empty() {
        return Err(ValidationError::single("title", "required", "a message needs a title").into());
    }
    Ok(sqlx::query(
        "INSERT INTO messages (user_id, title, body, link, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(user_id)
    .bind(title.trim())
    .bind(body)
    .bind(link)
    .bind(Timestamp::now().0)
    .fetch_one(executor)
    .await?
    .try_get(0)?)
}

/// An API token reaches the portal only when `portal.use` is among its scopes (a session
/// always reaches its own to-dos and messages).
fn check_token(principal: &Principal) -> Result<()> {
    if principal.is_token() && !principal.has(yaolian_access::perm::PORTAL_USE) {
        return Err(AccessError::Forbidden { permission: yaolian_access::perm::PORTAL_USE.into() });
    }
    Ok(())
}

/// Open to-dos of the principal: its own and its organization's, soonest due first.
pub async fn todos(store: &Store, principal: &Principal, limit: i64) -> Result<Vec<Todo>> {
    check_token(principal)?;
    let rows = sqlx::query(
        "SELECT id, module, title, link, due_at, created_at, statutory FROM todos \
         WHERE status = 'open' AND (user_id = $1 OR org_id = $2) \
         ORDER BY CASE WHEN due_at IS NULL THEN 1 ELSE 0 END, due_at, id DESC LIMIT $3",
    )
    .bind(principal.user_id())
    .bind(principal.org_id())
    .bind(limit.clamp(1, 500))
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Todo {
                id: r.try_get("id")?,
                module: r.try_get("module")?,
                title: r.try_get("title")?,
                link: r.try_get("link")?,
                due_at: r.try_get::<Option<i64>, _>("due_at")?.map(Timestamp),
                created_at: Timestamp(r.try_get("created_at")?),
                statutory: r.try_get::<i64, _>("statutory")? == 1,
            })
        })
        .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
        .map_err(Into::into)
}

/// Marks one of the principal's to-dos done. A to-do that a legal time limit governs
/// ([`Todo::statutory`]: 受理, 审查, 决定) is refused with rule [`CLOSES_WITH_ACTION`]: it closes
/// when its action is done, in the same transaction as the action.
pub async fn complete_todo(store: &Store, principal: &Principal, id: i64) -> Result<()> {
    check_token(principal)?;
    let done = sqlx::query(
        "UPDATE todos SET status = 'done', done_at = $1 \
         WHERE id = $2 AND status = 'open' AND statutory = 0 AND (user_id = $3 OR org_id = $4)",
    )
    .bind(Timestamp::now().0)
    .bind(id)
    .bind(principal.user_id())
    .bind(principal.org_id())
    .execute(store.pool())
    .await?;
    if done.rows_affected() == 1 {
        return Ok(());
    }
    let statutory = sqlx::query(
        "SELECT 1 FROM todos WHERE id = $1 AND status = 'open' AND statutory = 1 AND (user_id = $2 OR org_id = $3)",
    )
    .bind(id)
    .bind(principal.user_id())
    .bind(principal.org_id())
    .fetch_optional(store.pool())
    .await?;
    if statutory.is_some() {
        return Err(ValidationError::single(
            "todo",
            CLOSES_WITH_ACTION,
            "a to-do governed by a legal time limit closes when its action is done, not by marking it done",
        )
        .into());
    }
    Err(AccessError::NotFound("to-do"))
}

/// The principal's newest messages.
pub async fn messages(store: &Store, principal: &Principal, limit: i64) -> Result<Vec<Message>> {
    check_token(principal)?;
    let rows = sqlx::query(
        "SELECT id, title, body, link, created_at, read_at FROM messages WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(principal.user_id())
    .bind(limit.clamp(1, 500))
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Message {
                id: r.try_get("id")?,
                title: r.try_get("title")?,
                body: r.try_get("body")?,
                link: r.try_get("link")?,
                created_at: Timestamp(r.try_get("created_at")?),
                read: r.try_get::<Option<i64>, _>("read_at")?.is_some(),
            })
        })
        .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
        .map_err(Into::into)
}

/// Marks one of the principal's messages read.
pub async fn mark_read(store: &Store, principal: &Principal, id: i64) -> Result<()> {
    check_token(principal)?;
    let done = sqlx::query("UPDATE messages SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS NULL")
        .bind(Timestamp::now().0)
        .bind(id)
        .bind(principal.user_id())
        .execute(store.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(AccessError::NotFound("message"));
    }
    Ok(())
}
