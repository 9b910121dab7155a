//! The record history page (版本记录) for any versioned record: every version with who, when
//! and why, a field-by-field diff between any two versions, the ledger anchoring of each
//! version with a link to its inclusion proof, and electronic signatures with their
//! manifestation and a form to sign the current version.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;
use yaolian_core::diff::{object_diff, FieldChange};
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
    a: i64,
    b: i64,
    changes: Vec<FieldChange>,
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

    fn value_text(&self, v: &Option<serde_json::Value>) -> String {
        match v {
            None => "—".into(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        }
    }

    fn proof_link(&self, v: &VersionView) -> String {
        match (v.ledger_index, v.anchored_in) {
            (Some(i), Some(size)) => format!("/api/v1/ledger/proof/inclusion?index={i}&tree_size={size}"),
            _ => String::new(),
        }
    }

    fn meaning_label(&self, m: &(&str, &str, &str)) -> String {
        match self.chrome.lang {
            crate::i18n::Lang::Zh => format!("{}（{}）", m.1, m.2),
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
    let changes = object_diff(&data_of(a), &data_of(b));
    let needs_totp = user_has_totp(state, user.principal.user_id()).await;
    let (meaning, errors) = form.unwrap_or_default();
    let mut chrome = user.chrome("records");
    chrome.title = format!("{} {} · {}", entity, id, user.lang.t("records.title"));
    render(&RecordPage {
        chrome,
        view,
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
