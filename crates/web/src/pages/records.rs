//! The record history page (版本记录) for any versioned record: every version with who, when
//! and why, a field-by-field diff between any two versions with the entity's own Chinese field
//! labels and read values (its module's catalogue, `yaolian_core::diff::Catalogue`), the ledger
//! anchoring of each version with a link to the page that explains its inclusion proof, a
//! license's seal (颁证机关签章), and personal electronic signatures (电子签名) with their
//! manifestation and a form to sign the current version.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;
use yaolian_core::diff::{Catalogue, Change};
use yaolian_core::FieldError;
use yaolian_identity::IdentityError;
use yaolian_records::esign::SignRequest;
use yaolian_records::{history::RecordView, history::VersionView};

use super::{failure_page, render, Chrome, PageUser};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/records/{entity}/{id}", get(record_page).post(sign))
}

#[derive(Deserialize, Default)]
pub struct DiffParams {
    a: Option<i64>,
    b: Option<i64>,
}

#[derive(Deserialize, Default)]
pub struct SignForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    meaning: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    totp: String,
}

#[derive(Template)]
#[template(path = "record.html")]
struct RecordPage {
    chrome: Chrome,
    view: RecordView,
    /// The record by its business identity (证照 浙CB20260007, 申请 SQ…).
    name: String,
    /// The record's own page, when it has one.
    back: Option<String>,
    catalogue: Catalogue,
    /// A license's seal (颁证机关签章).
    seal: Option<SealFacts>,
    a: i64,
    b: i64,
    changes: Vec<Change>,
    meanings: &'static [(&'static str, &'static str, &'static str)],
    meaning: String,
    needs_totp: bool,
    errors: Vec<FieldError>,
    signed_ok: bool,
}

impl RecordPage {
    fn current(&self) -> i64 {
        self.view.versions.last().map(|v| v.version).unwrap_or(0)
    }

    fn action(&self, v: &VersionView) -> String {
        self.catalogue.action(&v.action)
    }

    fn proof_link(&self, v: &VersionView) -> String {
        match (v.ledger_index, v.anchored_in) {
            (Some(i), Some(size)) => format!(
                "{}&entity={}&id={}",
                proof_page_link(i, size),
                urlencoding::encode(&self.view.entity),
                urlencoding::encode(&self.view.id)
            ),
            _ => String::new(),
        }
    }

    fn meaning_of(&self, s: &yaolian_records::esign::SignatureView) -> String {
        match self.chrome.lang {
            crate::i18n::Lang::Zh => s.meaning_zh.clone(),
            crate::i18n::Lang::En => s.meaning_en.clone(),
        }
    }

    fn meaning_label(&self, m: &(&str, &str, &str)) -> String {
        match self.chrome.lang {
            crate::i18n::Lang::Zh => m.1.to_string(),
            crate::i18n::Lang::En => format!("{} ({})", m.2, m.1),
        }
    }

    fn err(&self, field: &str) -> Option<&str> {
        super::field_error(&self.errors, field)
    }

    fn signed_versions(&self, version: impl std::borrow::Borrow<i64>) -> usize {
        let version = *version.borrow();
        self.view.signatures.iter().filter(|s| s.version == version).count()
    }
}

/// The page that explains the inclusion proof of ledger entry `index` in the tree of `size`.
pub fn proof_page_link(index: u64, size: u64) -> String {
    format!("/ledger/proof?index={index}&tree_size={size}")
}

/// What the history page says of a license's seal.
struct SealFacts {
    id: i64,
    authority: String,
    key_id: String,
    signed_at: String,
    doc_version: u16,
    holds: bool,
}

/// The record's own page (the back link), for the entities that have one.
fn record_page_of(entity: &str, id: &str) -> Option<String> {
    let path = match entity {
        yaolian_license::licenses::ENTITY => "/licenses/",
        yaolian_services::applications::ENTITY => "/services/applications/",
        yaolian_registry::companies::ENTITY => "/registry/companies/",
        yaolian_registry::products::ENTITY => "/registry/products/",
        "user" => "/admin/users/",
        yaolian_trace::recall::ENTITY => "/trace/recalls/",
        _ => return None,
    };
    Some(format!("{path}{}", urlencoding::encode(id)))
}

/// The side-navigation section a record belongs to.
fn nav_of(entity: &str) -> &'static str {
    match entity {
        yaolian_license::licenses::ENTITY => "licenses",
        yaolian_services::applications::ENTITY | "service_type" | "calendar_day" => "services",
        yaolian_registry::companies::ENTITY | yaolian_registry::persons::ENTITY => "registry",
        yaolian_registry::products::ENTITY => "products",
        "user" => "users",
        "org" => "orgs",
        "role" => "roles",
        "role_request" => "role_requests",
        "audit" | "alert_rule" => "audit",
        e if e.starts_with("trace_") => "trace",
        _ => "records",
    }
}

/// The entity's field catalogue: its module's, trace's for trace records, audit's with the
/// action's name for audit events.
async fn catalogue_of(state: &AppState, lang: crate::i18n::Lang, entity: &str, data: &serde_json::Value) -> Catalogue {
    if entity == yaolian_store::ledger::AUDIT_ENTITY {
        let action = lang.action(data["action"].as_str().unwrap_or_default());
        return yaolian_audit::labels::event(data, &action);
    }
    match yaolian_services::records::catalogue(state.store(), entity, data).await {
        Some(c) => c,
        None => yaolian_trace::labels::record(entity, data),
    }
}

async fn render_record(
    state: &AppState,
    user: &PageUser,
    entity: &str,
    id: &str,
    diff: DiffParams,
    form: Option<(String, Vec<FieldError>)>,
    signed_ok: bool,
) -> Response {
    let view = match yaolian_services::records::view(state.store(), &user.principal, entity, id, &user.client).await {
        Ok(v) => v,
        Err(e) => return failure_page(user.lang, e),
    };
    let current = view.versions.last().map(|v| v.version).unwrap_or(0);
    let b = diff.b.filter(|b| (1..=current).contains(b)).unwrap_or(current);
    let a = diff.a.filter(|a| (0..=current).contains(a)).unwrap_or(b - 1);
    let data_of =
        |n: i64| view.versions.iter().find(|v| v.version == n).map(|v| v.data.clone()).unwrap_or(serde_json::json!({}));
    let catalogue = catalogue_of(state, user.lang, entity, &data_of(current)).await;
    let changes = catalogue.diff(&data_of(a), &data_of(b));
    let needs_totp = user_has_totp(state, user.principal.user_id()).await;
    let (meaning, errors) = form.unwrap_or_default();
    let name = if catalogue.name.is_empty() {
        let kind = yaolian_records::esign::entity_zh(entity).unwrap_or("记录");
        format!("{kind} {id}")
    } else {
        catalogue.name.clone()
    };
    let seal = match (entity, id.parse::<i64>()) {
        (yaolian_license::licenses::ENTITY, Ok(n)) => {
            yaolian_license::licenses::seal(state.store(), &user.principal, n, &user.client).await.ok().map(|s| {
                SealFacts {
                    id: n,
                    authority: s.signed.license.issuer.clone(),
                    key_id: s.signed.signature.key_id.clone(),
                    signed_at: yaolian_core::diff::time_text(&serde_json::json!(s.signed.signature.signed_at)),
                    doc_version: s.signed.license.version,
                    holds: s.holds,
                }
            })
        }
        _ => None,
    };
    let mut chrome = user.chrome(nav_of(entity));
    chrome.title = format!("{name} · {}", user.lang.t("records.title"));
    render(&RecordPage {
        chrome,
        view,
        name,
        back: record_page_of(entity, id),
        catalogue,
        seal,
        a,
        b,
        changes,
        meanings: yaolian_ledger::esign::MEANINGS,
        meaning,
        needs_totp,
        errors,
        signed_ok,
    })
}

async fn user_has_totp(state: &AppState, user_id: i64) -> bool {
    yaolian_identity::users::totp_enabled(state.store(), user_id).await.unwrap_or(false)
}

#[derive(Deserialize, Default)]
pub struct Flash {
    signed: Option<String>,
    a: Option<i64>,
    b: Option<i64>,
}

async fn record_page(
    State(state): State<AppState>,
    user: PageUser,
    Path((entity, id)): Path<(String, String)>,
    Query(q): Query<Flash>,
) -> Response {
    render_record(&state, &user, &entity, &id, DiffParams { a: q.a, b: q.b }, None, q.signed.is_some()).await
}

async fn sign(
    State(state): State<AppState>,
    user: PageUser,
    Path((entity, id)): Path<(String, String)>,
    Form(f): Form<SignForm>,
) -> Response {
    if let Err(page) = user.check_csrf(&f.csrf) {
        return page;
    }
    let request = SignRequest {
        entity: &entity,
        entity_id: &id,
        version: f.version,
        meaning: &f.meaning,
        password: &f.password,
        totp: Some(f.totp.as_str()).filter(|t| !t.is_empty()),
    };
    let errors =
        match yaolian_services::records::sign(state.store(), state.identity(), &user.principal, &request, &user.client)
            .await
            .map_err(IdentityError::from)
        {
            Ok(_) => {
                let to = format!("/records/{}/{}?signed=1", urlencoding::encode(&entity), urlencoding::encode(&id));
                return Redirect::to(&to).into_response();
            }
            Err(IdentityError::InvalidCredentials) => {
                vec![FieldError::new("password", "invalid_credentials", user.lang.t("records.wrong_password"))]
            }
            Err(IdentityError::InvalidTotp) => {
                vec![FieldError::new("totp", "invalid_totp", user.lang.t("records.wrong_totp"))]
            }
            Err(e) => match super::refusals(user.lang, e) {
                Ok(errors) => errors,
                Err(page) => return page,
            },
        };
    render_record(&state, &user, &entity, &id, DiffParams::default(), Some((f.meaning, errors)), false).await
}
