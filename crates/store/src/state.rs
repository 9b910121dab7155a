//! Current state against the ledger (现状可由台账复现): every current-state row that matters
//! must equal its record's latest version, which the ledger authenticates. A domain says what a
//! row's after-image is ([`Image`], built from the row as it is stored now); [`compare`] names
//! each row whose image differs from the latest version, each row without a version and each
//! versioned record whose row is gone. `ledger verify` and `restore` run it for every domain
//! after the ledger itself checked out, so an edit of a table behind the system's back (a
//! granted role, a swapped password hash, a revoked license set back to valid) is named.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::Row;

use crate::{Store, StoreError};

/// A row's after-image as stored now: the same shape the write path gives the version log.
/// Only the image's own keys are compared, so a version may carry more (who, when) than the
/// row can show.
#[derive(Debug, Clone)]
pub struct Image {
    pub entity_id: String,
    pub data: serde_json::Value,
}

/// One difference between current state and the ledger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drift {
    pub entity: String,
    pub entity_id: String,
    /// The field that differs; `*` when the whole row or the whole version is missing.
    pub field: String,
    /// The ledgered value (`null` when there is no version).
    pub ledgered: serde_json::Value,
    /// The value in the current-state table (`null` when the row is gone).
    pub current: serde_json::Value,
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {} is {} in the table but {} in the ledger",
            self.entity, self.entity_id, self.field, self.current, self.ledgered
        )
    }
}

/// The latest version's data of every record of `entity`, by record id.
pub async fn latest(store: &Store, entity: &str) -> Result<HashMap<String, serde_json::Value>, StoreError> {
    let rows = sqlx::query(
        "SELECT v.entity_id, v.data FROM record_versions v \
         JOIN (SELECT entity_id, MAX(version) AS version FROM record_versions WHERE entity = $1 GROUP BY entity_id) m \
           ON m.entity_id = v.entity_id AND m.version = v.version \
         WHERE v.entity = $2",
    )
    .bind(entity)
    .bind(entity)
    .fetch_all(store.pool())
    .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in rows {
        let id: String = r.try_get(0)?;
        let data: String = r.try_get(1)?;
        let value = serde_json::from_str(&data)
            .map_err(|e| StoreError::Corrupt(format!("{entity} {id}: version data is not JSON: {e}")))?;
        out.insert(id, value);
    }
    Ok(out)
}

/// Compares the images of `entity`'s rows with their latest versions; every difference, in
/// record order.
pub fn compare(entity: &str, images: Vec<Image>, mut latest: HashMap<String, serde_json::Value>) -> Vec<Drift> {
    let mut drifts = Vec::new();
    let drift = |id: &str, field: &str, ledgered: serde_json::Value, current: serde_json::Value| Drift {
        entity: entity.to_string(),
        entity_id: id.to_string(),
        field: field.to_string(),
        ledgered,
        current,
    };
    for image in images {
        let Some(version) = latest.remove(&image.entity_id) else {
            drifts.push(drift(&image.entity_id, "*", serde_json::Value::Null, image.data));
            continue;
        };
        let serde_json::Value::Object(fields) = &image.data else {
            if image.data != version {
                drifts.push(drift(&image.entity_id, "*", version, image.data));
            }
            continue;
        };
        for (key, current) in fields {
            let ledgered = version.get(key).cloned().unwrap_or(serde_json::Value::Null);
            if &ledgered != current {
                drifts.push(drift(&image.entity_id, key, ledgered, current.clone()));
            }
        }
    }
    let mut gone: Vec<(String, serde_json::Value)> = latest.into_iter().collect();
    gone.sort_by(|a, b| a.0.cmp(&b.0));
    for (id, version) in gone {
        drifts.push(drift(&id, "*", version, serde_json::Value::Null));
    }
    drifts.sort_by(|a, b| natural(&a.entity_id).cmp(&natural(&b.entity_id)).then(a.field.cmp(&b.field)));
    drifts
}

/// Numeric ids sort as numbers.
fn natural(id: &str) -> (usize, &str) {
    (id.len(), id)
}

/// Loads `entity`'s latest versions and compares `images` with them.
pub async fn check(store: &Store, entity: &str, images: Vec<Image>) -> Result<Vec<Drift>, StoreError> {
    let latest = latest(store, entity).await?;
    Ok(compare(entity, images, latest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn image(id: &str, data: serde_json::Value) -> Image {
        Image { entity_id: id.into(), data }
    }

    #[test]
    fn names_each_changed_field_missing_version_and_missing_row() {
        let latest: HashMap<String, serde_json::Value> = [
            ("1".to_string(), json!({"status": "revoked", "who": "x"})),
            ("2".to_string(), json!({"status": "valid"})),
            ("9".to_string(), json!({"status": "valid"})),
        ]
        .into();
        let images = vec![
            image("1", json!({"status": "valid"})),
            image("2", json!({"status": "valid"})),
            image("3", json!({"status": "valid"})),
        ];
        let drifts = compare("license", images, latest);
        let named: Vec<(&str, &str)> = drifts.iter().map(|d| (d.entity_id.as_str(), d.field.as_str())).collect();
        assert_eq!(named, [("1", "status"), ("3", "*"), ("9", "*")]);
        assert_eq!((drifts[0].ledgered.clone(), drifts[0].current.clone()), (json!("revoked"), json!("valid")));
        assert!(drifts[0].to_string().contains("license 1: status"), "{}", drifts[0]);
    }
}
