//! A bureau's risk model (风险模型) as stored: the [`Model`] a bureau scores the companies under it
//! with, versioned (entity `sup_model`, id the bureau's). A company is scored with the model of
//! the nearest bureau above it that has one, else the shipped default (version 0).
//!
//! Who may do what: `supervision.read` reads a model; `supervision.configure` changes its own
//! bureau's, with a reason.

use crate::error::Result;
use crate::risk::Model;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_access::{perm, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::IdentityError;
use yaolian_store::Store;

pub const ENTITY: &str = "sup_model";

/// A model as one bureau holds it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Stored {
    /// The bureau whose model it is; `None` for the shipped default.
    pub org_id: Option<i64>,
    pub org_name: String,
    /// 0 for the shipped default.
    pub version: i64,
    pub model: Model,
    pub updated_by: String,
    #[schema(value_type = Option<i64>)]
    pub updated_at: Option<Timestamp>,
}

impl Stored {
    fn default_model() -> Stored {
        Stored {
            org_id: None,
            org_name: "系统默认".into(),
            version: 0,
            model: Model::default(),
            updated_by: String::new(),
            updated_at: None,
        }
    }
}

/// A change of the model.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ModelChange {
    /// The whole model (read after the caller's permission, so a malformed one is refused as
    /// `model` only to who may change it).
    #[schema(value_type = Model)]
    pub model: serde_json::Value,
    /// Why (修改原因), 1–500 characters.
    pub reason: String,
    /// The version it replaces (0 when the bureau had none).
    pub version: i64,
}

/// Every stored model with its bureau's path, deepest path last.
pub async fn all(store: &Store) -> Result<Vec<(String, Stored)>> {
    let rows = sqlx::query(
        "SELECT m.org_id, o.name, o.path, m.config, m.version, m.updated_by, m.updated_at \
         FROM sup_models m JOIN orgs o ON o.id = m.org_id ORDER BY LENGTH(o.path), o.path",
    )
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let config: String = r.try_get("config")?;
            let model: Model = serde_json::from_str(&config)
                .map_err(|e| IdentityError::Store(yaolian_store::StoreError::Corrupt(format!("risk model: {e}"))))?;
            Ok((
                r.try_get("path")?,
                Stored {
                    org_id: Some(r.try_get("org_id")?),
                    org_name: r.try_get("name")?,
                    version: r.try_get("version")?,
                    model,
                    updated_by: r.try_get("updated_by")?,
                    updated_at: Some(Timestamp(r.try_get("updated_at")?)),
                },
            ))
        })
        .collect()
}

/// The models a batch scores with: the stored ones by path and the default.
pub struct Models {
    by_path: Vec<(String, Stored)>,
    default: Stored,
}

impl Models {
    pub async fn load(store: &Store) -> Result<Models> {
        Ok(Models { by_path: all(store).await?, default: Stored::default_model() })
    }

    /// The model that scores an organization at `path`: the deepest bureau above it (or it).
    pub fn for_path(&self, path: &str) -> &Stored {
        self.by_path.iter().rev().find(|(p, _)| path.starts_with(p.as_str())).map(|(_, s)| s).unwrap_or(&self.default)
    }
}

/// The model in force for the principal's bureau (`supervision.read`).
pub async fn current(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<Stored> {
    if !principal.has(perm::SUPERVISION_READ) {
        return Err(audit::deny(store, principal, perm::SUPERVISION_READ, ENTITY, client).await);
    }
    Ok(Models::load(store).await?.for_path(principal.org_path()).clone())
}

/// Whether the principal changes its bureau's model.
pub fn may_configure(principal: &Principal) -> bool {
    principal.reaches(perm::SUPERVISION_CONFIGURE, principal.org_path())
}

/// Stores a new version of the principal's bureau's model (`supervision.configure`); the next
/// recompute scores with it.
pub async fn change(store: &Store, principal: &Principal, c: &ModelChange, client: &ClientInfo) -> Result<Stored> {
    if !may_configure(principal) {
        return Err(audit::deny(store, principal, perm::SUPERVISION_CONFIGURE, ENTITY, client).await);
    }
    let model: Model = serde_json::from_value(c.model.clone()).map_err(|e| {
        let what: String = e.to_string().chars().take(200).collect();
        ValidationError::single("model", "shape", format!("a whole risk model: {what}"))
    })?;
    let mut errors = match model.validate() {
        Ok(()) => ValidationError::new(),
        Err(e) => e,
    };
    errors.length("reason", &c.reason, 1, 500);
    errors.into_result()?;
    let org_id = principal.org_id();
    let config = serde_json::to_string(&model)
        .map_err(|e| IdentityError::Store(yaolian_store::StoreError::Corrupt(e.to_string())))?;
    let now = Timestamp::now();
    let mut tx = store.begin().await?;
    let done = if c.version == 0 {
        sqlx::query(
            "INSERT INTO sup_models (org_id, config, version, updated_by, updated_at) VALUES ($1, $2, 1, $3, $4) \
             ON CONFLICT (org_id) DO NOTHING",
        )
        .bind(org_id)
        .bind(&config)
        .bind(principal.username())
        .bind(now.0)
        .execute(&mut *tx)
        .await?
    } else {
        sqlx::query(
            "UPDATE sup_models SET config = $1, version = version + 1, updated_by = $2, updated_at = $3 \
             WHERE org_id = $4 AND version = $5",
        )
        .bind(&config)
        .bind(principal.username())
        .bind(now.0)
        .bind(org_id)
        .bind(c.version)
        .execute(&mut *tx)
        .await?
    };
    if done.rows_affected() == 0 {
        return Err(IdentityError::Conflict("the risk model changed meanwhile; reload".into()).into());
    }
    let data = serde_json::json!({ "org_id": org_id, "model": model });
    let step = yaolian_records::step::Step {
        entity: ENTITY,
        id: org_id,
        version: c.version + 1,
        data,
        action: if c.version == 0 { "create" } else { "update" },
        reason: c.reason.trim(),
        audit: audit::action::SUP_MODEL,
        target: format!("sup_model:{org_id}"),
    };
    yaolian_records::step::record(&mut tx, principal, step, client).await?;
    tx.commit().await?;
    current(store, principal, client).await
}

/// Every stored model whose row differs from its latest ledgered version.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let images = all(store)
        .await?
        .into_iter()
        .filter_map(|(_, s)| {
            let id = s.org_id?;
            Some(yaolian_store::state::Image {
                entity_id: id.to_string(),
                data: serde_json::json!({ "org_id": id, "model": s.model }),
            })
        })
        .collect();
    Ok(yaolian_store::state::check(store, ENTITY, images).await?)
}
