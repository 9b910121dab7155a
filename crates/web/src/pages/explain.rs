//! Pages that explain a raw file before offering it (说明页): the signed license file, an
//! issuing authority's public key, the revocation list and a ledger inclusion proof. A person
//! never lands on JSON or PEM: each page says in Chinese what the file is, how an outsider checks
//! it, shows its key facts in a table, and offers the raw file as a download (the API routes,
//! unchanged, serve it).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use yaolian_core::Timestamp;
use yaolian_license::kinds::Kind;
use yaolian_license::licenses::{self, Revoked, Seal};
use yaolian_store::ledger;

use super::{error_page, failure_page, render, Chrome, PageUser};
use crate::api::IdPath;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/licenses/{id}/file", get(license_file))
        .route("/licenses/revoked", get(revoked))
        .route("/licenses/keys/{key_id}", get(authority_key))
        .route("/ledger/proof", get(proof))
}

#[derive(Template)]
#[template(path = "license_file.html")]
struct LicenseFilePage {
    chrome: Chrome,
    seal: Seal,
    signed_at: String,
    file_name: String,
}

/// The signed license file (电子证照文件) of license `id`: what it holds and how to check it.
async fn license_file(State(state): State<AppState>, user: PageUser, IdPath(id): IdPath) -> Response {
    match licenses::seal(state.store(), &user.principal, id, &user.client).await {
        Ok(seal) => {
            let mut chrome = user.chrome("licenses");
            chrome.title = format!("{} {} · 电子证照文件", seal.license.document.name, seal.license.document.number);
            let signed_at = yaolian_core::diff::time_text(&serde_json::json!(seal.signed.signature.signed_at));
            let file_name = format!("license-{id}-v{}.json", seal.signed.license.version);
            render(&LicenseFilePage { chrome, seal, signed_at, file_name })
        }
        Err(e) => failure_page(user.lang, e),
    }
}

#[derive(Template)]
#[template(path = "authority_key.html")]
struct KeyPage {
    chrome: Chrome,
    key_id: String,
    file_name: String,
}

/// An issuing authority's public key (颁证机关公钥): what it is for, with the PEM to download.
async fn authority_key(State(state): State<AppState>, user: PageUser, Path(key_id): Path<String>) -> Response {
    match licenses::authority_public_key(state.store(), &key_id).await {
        Ok(_) => {
            let mut chrome = user.chrome("licenses");
            chrome.title = "颁证机关公钥".into();
            let file_name = format!("authority-key-{key_id}.pem");
            render(&KeyPage { chrome, key_id, file_name })
        }
        Err(e) => failure_page(user.lang, e),
    }
}

#[derive(Template)]
#[template(path = "licenses_revoked.html")]
struct RevokedPage {
    chrome: Chrome,
    items: Vec<Revoked>,
}

impl RevokedPage {
    fn kind(&self, r: &Revoked) -> &'static str {
        Kind::parse(&r.kind).map(Kind::label_zh).unwrap_or("证照")
    }
    fn status(&self, r: &Revoked) -> &'static str {
        yaolian_license::labels::status_zh(r.status.as_str()).unwrap_or("其他")
    }
    fn since(&self, r: &Revoked) -> String {
        r.since.to_china_string()
    }
}

/// The revocation list (吊销/暂停清单) as a table, with the JSON to download.
async fn revoked(State(state): State<AppState>, user: PageUser) -> Response {
    match licenses::revocations(state.store()).await {
        Ok(items) => {
            let mut chrome = user.chrome("licenses");
            chrome.title = "吊销/暂停清单".into();
            render(&RevokedPage { chrome, items })
        }
        Err(e) => failure_page(user.lang, e),
    }
}

#[derive(Deserialize, Default)]
pub struct ProofQuery {
    #[serde(default)]
    index: String,
    #[serde(default)]
    tree_size: String,
    /// The record the proof was opened from (for the back link).
    #[serde(default)]
    entity: String,
    #[serde(default)]
    id: String,
}

/// The checkpoint of a tree size as the proof page shows it.
struct CheckpointFacts {
    root: String,
    at: String,
    key_id: String,
    /// Its signature verifies under the site's active key.
    holds: bool,
}

#[derive(Template)]
#[template(path = "ledger_proof.html")]
struct ProofPage {
    chrome: Chrome,
    index: u64,
    tree_size: u64,
    hash_alg: String,
    proof: Vec<String>,
    checkpoint: Option<CheckpointFacts>,
    raw: String,
    back: Option<String>,
}

/// The inclusion proof of ledger entry `index` in the tree of `tree_size` entries (包含证明).
async fn proof(State(state): State<AppState>, user: PageUser, Query(q): Query<ProofQuery>) -> Response {
    let (Ok(index), Ok(tree_size)) = (q.index.trim().parse::<u64>(), q.tree_size.trim().parse::<u64>()) else {
        return error_page(user.lang, StatusCode::UNPROCESSABLE_ENTITY, "证明的条目位置和账本规模应为数字");
    };
    let proof = match ledger::inclusion_proof(state.store(), index, tree_size).await {
        Ok(p) => p,
        Err(yaolian_store::StoreError::NotFound) => {
            return error_page(user.lang, StatusCode::NOT_FOUND, "账本中没有这样的条目或检查点")
        }
        Err(e) => {
            tracing::warn!(error = %e, index, tree_size, "inclusion proof page");
            return error_page(user.lang, StatusCode::UNPROCESSABLE_ENTITY, "无法为该条目和账本规模生成包含证明");
        }
    };
    let hash_alg = match ledger::head(state.store().pool()).await {
        Ok((alg, _)) => alg.name().to_uppercase(),
        Err(e) => return failure_page(user.lang, e),
    };
    let key = ledger::active_public_key(state.store()).await.ok();
    let checkpoint = ledger::checkpoint_at(state.store(), tree_size).await.ok().map(|c| {
        let holds = key
            .as_ref()
            .filter(|(id, _)| *id == c.key_id)
            .and_then(|(_, pem)| yaolian_ledger::sign::verify(pem, &c.head.message(), &c.signature).ok())
            .unwrap_or(false);
        CheckpointFacts {
            root: c.head.root_hash.to_hex(),
            at: Timestamp(c.head.time).to_china_string(),
            key_id: c.key_id.clone(),
            holds,
        }
    });
    let back = (!q.entity.is_empty() && !q.id.is_empty())
        .then(|| format!("/records/{}/{}", urlencoding::encode(&q.entity), urlencoding::encode(&q.id)));
    let mut chrome = user.chrome("records");
    chrome.title = format!("账本包含证明 · 第 {index} 条");
    render(&ProofPage {
        chrome,
        index,
        tree_size,
        hash_alg,
        proof: proof.iter().map(|h| h.to_hex()).collect(),
        checkpoint,
        raw: format!("/api/v1/ledger/proof/inclusion?index={index}&tree_size={tree_size}"),
        back,
    })
}
