//! 检查缺陷整改 page: the findings of the company's signed inspections, those waiting for its
//! rectification first, each with the form to answer it (the quality head) and, once answered,
//! what the bureau decided.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use yaolian_access::perm;
use yaolian_core::FieldError;
use yaolian_supervision::onsite::{self, CapaResponse, CompanyFinding};

use super::plans::OnSiteShows;
use super::{failure_page, Chrome, PageUser};
use crate::api::IdPath;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/quality/inspection-findings", get(findings_page))
        .route("/quality/inspection-findings/{id}", post(respond))
}

fn field_label(field: &str) -> Option<String> {
    (field == "capa").then(|| "整改报告".to_string())
}

/// The answer a refused form sent, to fill it again.
#[derive(Default, Clone)]
pub struct Kept {
    finding: i64,
    capa: String,
}

type Failed = super::Failed<Kept>;

#[derive(Template)]
#[template(path = "inspection_findings.html")]
struct FindingsPage {
    chrome: Chrome,
    findings: Vec<CompanyFinding>,
    can_respond: bool,
    failed: Failed,
    done: bool,
}

impl OnSiteShows for FindingsPage {}

impl FindingsPage {
    fn kept_for(&self, id: &i64) -> String {
        let k = self.failed.kept("respond");
        if k.finding == *id {
            k.capa
        } else {
            String::new()
        }
    }
    fn refused_here(&self, id: &i64) -> bool {
        self.failed.kept("respond").finding == *id
    }
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

async fn render(state: &AppState, user: &PageUser, failed: Failed, done: bool) -> Response {
    let findings = match onsite::company_findings(state.store(), &user.principal, &user.client).await {
        Ok(l) => l,
        Err(e) => return failure_page(user.lang, e),
    };
    let refused = failed.refused();
    let page = FindingsPage {
        chrome: user.chrome("quality"),
        findings,
        can_respond: user.principal.has(perm::QUALITY_MANAGE),
        failed,
        done,
    };
    super::render_form(&page, refused)
}

async fn findings_page(State(state): State<AppState>, user: PageUser, Query(d): Query<Done>) -> Response {
    render(&state, &user, Failed::default(), d.done == "responded").await
}

async fn respond(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let one = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    if let Err(page) = user.check_csrf(&one("_csrf")) {
        return page;
    }
    let r = CapaResponse { capa: one("capa"), version: one("version").trim().parse().unwrap_or(0) };
    match onsite::respond(state.store(), &user.principal, id, &r, &user.client).await {
        Ok(_) => Redirect::to("/quality/inspection-findings?done=responded").into_response(),
        Err(e) => {
            let refused: Result<Vec<FieldError>, Response> =
                super::domain_refusals(user.lang, e.zh(), e.code(), e, field_label);
            match refused {
                Ok(errors) => {
                    let failed = Failed { form: "respond", kept: Kept { finding: id, capa: r.capa }, errors };
                    render(&state, &user, failed, false).await
                }
                Err(page) => page,
            }
        }
    }
}
