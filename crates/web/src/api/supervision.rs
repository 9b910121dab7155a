//! Supervision over HTTP: the bureau's risk cases (风险处置) — raised by hand or from a trace
//! anomaly, assigned, disposed, verified, closed — and their figures.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::ToSchema;
use yaolian_supervision::cases::{self, Case, Disposal, NewCase, Statistics, Verification};
use yaolian_supervision::models::{self, ModelChange, Stored};
use yaolian_supervision::onsite::{
    self, CapaResponse, CapaVerification, CompanyFinding, EvidenceCheck, Finding, NewFinding, OnSite, Progress,
};
use yaolian_supervision::plans::{self, Figures, Generated, Inspection, NewVisit, Plan, VisitChange};
use yaolian_supervision::scores::{self, Distribution, Kept, Outcome, Portrait, ScoreFilter};

use super::IdPath;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, Auth, Client};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/supervision/cases", get(list_cases).post(raise_case))
        .route("/api/v1/supervision/cases/statistics", get(case_statistics))
        .route("/api/v1/supervision/cases/{id}", get(get_case))
        .route("/api/v1/supervision/cases/{id}/assignment", post(assign_case))
        .route("/api/v1/supervision/cases/{id}/disposal", post(dispose_case))
        .route("/api/v1/supervision/cases/{id}/verification", post(verify_case))
        .route("/api/v1/supervision/cases/{id}/closure", post(close_case))
        .route("/api/v1/supervision/anomaly-cases", post(case_from_anomaly))
        .route("/api/v1/supervision/scores", get(list_scores))
        .route("/api/v1/supervision/scores/distribution", get(score_distribution))
        .route("/api/v1/supervision/scores/recompute", post(recompute_scores))
        .route("/api/v1/supervision/companies/{id}/portrait", get(company_portrait))
        .route("/api/v1/supervision/model", get(get_model).put(change_model))
        .route("/api/v1/supervision/plans", get(list_plans).post(generate_plan))
        .route("/api/v1/supervision/plans/{id}", get(get_plan))
        .route("/api/v1/supervision/plans/{id}/inspections", get(plan_inspections).post(add_inspection))
        .route("/api/v1/supervision/plans/{id}/publication", post(publish_plan))
        .route("/api/v1/supervision/inspections/{id}", get(get_inspection))
        .route("/api/v1/supervision/inspections/{id}/schedule", post(change_inspection))
        .route("/api/v1/supervision/inspections/{id}/start", post(start_inspection))
        .route("/api/v1/supervision/inspections/{id}/onsite", get(get_onsite))
        .route("/api/v1/supervision/inspections/{id}/progress", post(record_progress))
        .route("/api/v1/supervision/inspections/{id}/findings", post(add_finding))
        .route("/api/v1/supervision/inspections/{id}/signatures/inspector", post(sign_as_inspector))
        .route("/api/v1/supervision/inspections/{id}/signatures/company", post(sign_for_company))
        .route("/api/v1/supervision/findings/{id}/evidence", post(add_evidence))
        .route("/api/v1/supervision/findings/{id}/evidence-check", get(check_evidence))
        .route("/api/v1/supervision/findings/{id}/capa", post(respond_to_finding))
        .route("/api/v1/supervision/findings/{id}/capa-verification", post(verify_finding_capa))
        .route("/api/v1/supervision/company-findings", get(list_company_findings))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CaseParams {
    /// A state, `active` (not closed) or `overdue`.
    pub status: Option<String>,
    pub company_id: Option<i64>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// The bureau's risk cases in the caller's scope, newest first (`supervision.read`).
#[utoipa::path(get, path = "/api/v1/supervision/cases", tag = "supervision", params(CaseParams),
    responses((status = 200, body = Vec<Case>), (status = 403, body = Problem)))]
pub async fn list_cases(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    super::ApiQuery(q): super::ApiQuery<CaseParams>,
) -> ApiResult<Json<Vec<Case>>> {
    let filter = cases::Filter { status: q.status.unwrap_or_default(), company_id: q.company_id };
    let (limit, offset) = (q.limit.unwrap_or(50), q.offset.unwrap_or(0));
    Ok(Json(cases::list(state.store(), &p, &filter, limit, offset, &client).await?.0))
}

/// Raise a case by hand (`supervision.manage`; the company under the caller's bureau).
#[utoipa::path(post, path = "/api/v1/supervision/cases", tag = "supervision", request_body = NewCase,
    responses((status = 201, body = Case), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn raise_case(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(new): ApiJson<NewCase>,
) -> ApiResult<(StatusCode, Json<Case>)> {
    Ok((StatusCode::CREATED, Json(cases::raise(state.store(), &p, &new, &client).await?)))
}

/// The trace anomaly a case is raised from.
#[derive(Debug, Deserialize, ToSchema)]
pub struct FromAnomaly {
    pub anomaly_id: i64,
}

/// Raise the case of a trace anomaly (`supervision.manage`): 201 when raised now, 200 with the
/// case raised before.
#[utoipa::path(post, path = "/api/v1/supervision/anomaly-cases", tag = "supervision", request_body = FromAnomaly,
    responses((status = 201, body = Case), (status = 200, body = Case), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn case_from_anomaly(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(a): ApiJson<FromAnomaly>,
) -> ApiResult<(StatusCode, Json<Case>)> {
    let (case, raised) = cases::from_trace_anomaly(state.store(), &p, a.anomaly_id, &client).await?;
    Ok((if raised { StatusCode::CREATED } else { StatusCode::OK }, Json(case)))
}

/// The closed loop's figures in the caller's scope (`supervision.read`).
#[utoipa::path(get, path = "/api/v1/supervision/cases/statistics", tag = "supervision",
    responses((status = 200, body = Statistics), (status = 403, body = Problem)))]
pub async fn case_statistics(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<Json<Statistics>> {
    Ok(Json(cases::statistics(state.store(), &p, &client).await?))
}

/// One case (`supervision.read` in its bureau).
#[utoipa::path(get, path = "/api/v1/supervision/cases/{id}", tag = "supervision", params(("id" = i64, Path)),
    responses((status = 200, body = Case), (status = 404, body = Problem)))]
pub async fn get_case(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Case>> {
    Ok(Json(cases::get(state.store(), &p, id, &client).await?))
}

/// Who handles the case, and the version it was read at.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CaseAssignment {
    pub assignee: String,
    pub version: i64,
}

/// Assign (or reassign) an open case to an officer who may handle it (`supervision.manage`).
#[utoipa::path(post, path = "/api/v1/supervision/cases/{id}/assignment", tag = "supervision", params(("id" = i64, Path)),
    request_body = CaseAssignment, responses((status = 200, body = Case), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn assign_case(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(a): ApiJson<CaseAssignment>,
) -> ApiResult<Json<Case>> {
    Ok(Json(cases::assign(state.store(), &p, id, &a.assignee, a.version, &client).await?))
}

/// Dispose an assigned case: findings and measures (its officer).
#[utoipa::path(post, path = "/api/v1/supervision/cases/{id}/disposal", tag = "supervision", params(("id" = i64, Path)),
    request_body = Disposal, responses((status = 200, body = Case), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn dispose_case(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(d): ApiJson<Disposal>,
) -> ApiResult<Json<Case>> {
    Ok(Json(cases::dispose(state.store(), &p, id, &d, &client).await?))
}

/// Verify a disposal (`supervision.manage`, not its officer); not passed sends it back.
#[utoipa::path(post, path = "/api/v1/supervision/cases/{id}/verification", tag = "supervision", params(("id" = i64, Path)),
    request_body = Verification, responses((status = 200, body = Case), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn verify_case(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(v): ApiJson<Verification>,
) -> ApiResult<Json<Case>> {
    Ok(Json(cases::verify(state.store(), &p, id, &v, &client).await?))
}

/// A closing note, and the version it was read at.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CaseClosure {
    #[serde(default)]
    pub note: String,
    pub version: i64,
}

/// Close a verified case (`supervision.manage`).
#[utoipa::path(post, path = "/api/v1/supervision/cases/{id}/closure", tag = "supervision", params(("id" = i64, Path)),
    request_body = CaseClosure, responses((status = 200, body = Case), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn close_case(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(c): ApiJson<CaseClosure>,
) -> ApiResult<Json<Case>> {
    Ok(Json(cases::close(state.store(), &p, id, &c.note, c.version, &client).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ScoreParams {
    /// `high`, `medium` or `low`.
    pub level: Option<String>,
    /// A credit grade (A, B …).
    pub grade: Option<String>,
    /// Part of the company's name.
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Companies' risk scores and credit grades in the caller's scope, highest risk first
/// (`supervision.read`).
#[utoipa::path(get, path = "/api/v1/supervision/scores", tag = "supervision", params(ScoreParams),
    responses((status = 200, body = Vec<Kept>), (status = 403, body = Problem)))]
pub async fn list_scores(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    super::ApiQuery(q): super::ApiQuery<ScoreParams>,
) -> ApiResult<Json<Vec<Kept>>> {
    let filter = ScoreFilter {
        level: q.level.unwrap_or_default(),
        grade: q.grade.unwrap_or_default(),
        q: q.q.unwrap_or_default(),
    };
    let (limit, offset) = (q.limit.unwrap_or(50), q.offset.unwrap_or(0));
    Ok(Json(scores::list(state.store(), &p, &filter, limit, offset, &client).await?.0))
}

/// Companies per risk level and per credit grade in the caller's scope (`supervision.read`).
#[utoipa::path(get, path = "/api/v1/supervision/scores/distribution", tag = "supervision",
    responses((status = 200, body = Distribution), (status = 403, body = Problem)))]
pub async fn score_distribution(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<Json<Distribution>> {
    Ok(Json(scores::distribution(state.store(), &p, &client).await?))
}

/// Recompute the scores of the companies in the caller's scope and of their products
/// (`supervision.manage`); only what changed is written, each with its reason.
#[utoipa::path(post, path = "/api/v1/supervision/scores/recompute", tag = "supervision",
    responses((status = 200, body = Outcome), (status = 403, body = Problem)))]
pub async fn recompute_scores(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<Json<Outcome>> {
    Ok(Json(scores::recompute(state.store(), &p, None, "", &client).await?))
}

/// A company's portrait (企业画像): its score with the explanation, its products' scores and
/// its score's history (`supervision.read`).
#[utoipa::path(get, path = "/api/v1/supervision/companies/{id}/portrait", tag = "supervision",
    params(("id" = i64, Path)), responses((status = 200, body = Portrait), (status = 404, body = Problem)))]
pub async fn company_portrait(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Portrait>> {
    Ok(Json(scores::portrait(state.store(), &p, id, &client).await?))
}

/// The risk model and credit scheme in force for the caller's bureau (`supervision.read`).
#[utoipa::path(get, path = "/api/v1/supervision/model", tag = "supervision",
    responses((status = 200, body = Stored), (status = 403, body = Problem)))]
pub async fn get_model(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<Json<Stored>> {
    Ok(Json(models::current(state.store(), &p, &client).await?))
}

/// Change the caller's bureau's risk model (`supervision.configure`), with a reason; the next
/// recompute scores with it.
#[utoipa::path(put, path = "/api/v1/supervision/model", tag = "supervision", request_body = ModelChange,
    responses((status = 200, body = Stored), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn change_model(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(c): ApiJson<ModelChange>,
) -> ApiResult<Json<Stored>> {
    Ok(Json(models::change(state.store(), &p, &c, &client).await?))
}

/// The annual inspection plans in the caller's scope, newest year first (`supervision.read`).
#[utoipa::path(get, path = "/api/v1/supervision/plans", tag = "supervision",
    responses((status = 200, body = Vec<Plan>), (status = 403, body = Problem)))]
pub async fn list_plans(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<Plan>>> {
    Ok(Json(plans::plans(state.store(), &p, &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    pub year: i64,
}

/// Generate the caller's bureau's plan for a year from the risk model and the companies' kept
/// scores (`supervision.manage`); one plan per bureau and year.
#[utoipa::path(post, path = "/api/v1/supervision/plans", tag = "supervision", request_body = NewPlan,
    responses((status = 201, body = Generated), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn generate_plan(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(n): ApiJson<NewPlan>,
) -> ApiResult<(StatusCode, Json<Generated>)> {
    Ok((StatusCode::CREATED, Json(plans::generate(state.store(), &p, n.year, &client).await?)))
}

/// A plan and its figures.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct PlanView {
    pub plan: Plan,
    pub figures: Figures,
}

/// A plan with its visits per month, risk level and kind (`supervision.read`).
#[utoipa::path(get, path = "/api/v1/supervision/plans/{id}", tag = "supervision", params(("id" = i64, Path)),
    responses((status = 200, body = PlanView), (status = 404, body = Problem)))]
pub async fn get_plan(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<PlanView>> {
    let plan = plans::get(state.store(), &p, id, &client).await?;
    let figures = plans::figures(state.store(), &p, id, &client).await?;
    Ok(Json(PlanView { plan, figures }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct VisitParams {
    pub month: Option<i64>,
    pub level: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    /// Part of the company's name or the inspection's number.
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// A plan's visits by month (`supervision.read`).
#[utoipa::path(get, path = "/api/v1/supervision/plans/{id}/inspections", tag = "supervision",
    params(("id" = i64, Path), VisitParams), responses((status = 200, body = Vec<Inspection>), (status = 404, body = Problem)))]
pub async fn plan_inspections(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    super::ApiQuery(q): super::ApiQuery<VisitParams>,
) -> ApiResult<Json<Vec<Inspection>>> {
    let filter = plans::Filter {
        month: q.month,
        level: q.level.unwrap_or_default(),
        kind: q.kind.unwrap_or_default(),
        status: q.status.unwrap_or_default(),
        q: q.q.unwrap_or_default(),
    };
    let (limit, offset) = (q.limit.unwrap_or(50), q.offset.unwrap_or(0));
    Ok(Json(plans::visits_of(state.store(), &p, id, &filter, limit, offset, &client).await?.0))
}

/// Add a visit to a plan (`supervision.manage` in its bureau), with the reason.
#[utoipa::path(post, path = "/api/v1/supervision/plans/{id}/inspections", tag = "supervision", params(("id" = i64, Path)),
    request_body = NewVisit, responses((status = 201, body = Inspection), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn add_inspection(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(v): ApiJson<NewVisit>,
) -> ApiResult<(StatusCode, Json<Inspection>)> {
    Ok((StatusCode::CREATED, Json(plans::add(state.store(), &p, id, &v, &client).await?)))
}

/// Publish a draft plan under the publisher's electronic signature (`supervision.configure`).
#[utoipa::path(post, path = "/api/v1/supervision/plans/{id}/publication", tag = "supervision", params(("id" = i64, Path)),
    request_body = SignedVersion, responses((status = 200, body = Plan), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn publish_plan(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(s): ApiJson<SignedVersion>,
) -> ApiResult<Json<Plan>> {
    let signature = (s.password.as_str(), s.totp.as_deref());
    Ok(Json(plans::publish(state.store(), state.identity(), &p, id, s.version, signature, &client).await?))
}

/// One inspection (`supervision.read`).
#[utoipa::path(get, path = "/api/v1/supervision/inspections/{id}", tag = "supervision", params(("id" = i64, Path)),
    responses((status = 200, body = Inspection), (status = 404, body = Problem)))]
pub async fn get_inspection(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Inspection>> {
    Ok(Json(plans::inspection(state.store(), &p, id, &client).await?))
}

/// Move a planned visit to another month or cancel it (`supervision.manage`), with the reason.
#[utoipa::path(post, path = "/api/v1/supervision/inspections/{id}/schedule", tag = "supervision", params(("id" = i64, Path)),
    request_body = VisitChange, responses((status = 200, body = Inspection), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn change_inspection(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(c): ApiJson<VisitChange>,
) -> ApiResult<Json<Inspection>> {
    Ok(Json(plans::change(state.store(), &p, id, &c, &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Start {
    /// Logins of the bureau's inspectors who join the caller's team.
    pub members: Vec<String>,
    pub version: i64,
}

/// Start a planned visit on site (`supervision.manage`): the caller leads a team of at least two.
#[utoipa::path(post, path = "/api/v1/supervision/inspections/{id}/start", tag = "supervision", params(("id" = i64, Path)),
    request_body = Start, responses((status = 200, body = OnSite), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn start_inspection(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(s): ApiJson<Start>,
) -> ApiResult<Json<OnSite>> {
    Ok(Json(onsite::start(state.store(), &p, id, &s.members, s.version, &client).await?))
}

/// The on-site record of an inspection: team, checklist, findings with their evidence
/// (`supervision.read`); 404 before the visit starts.
#[utoipa::path(get, path = "/api/v1/supervision/inspections/{id}/onsite", tag = "supervision", params(("id" = i64, Path)),
    responses((status = 200, body = OnSite), (status = 404, body = Problem)))]
pub async fn get_onsite(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<OnSite>> {
    match onsite::get(state.store(), &p, id, &client).await? {
        Some(o) => Ok(Json(o)),
        None => Err(yaolian_identity::IdentityError::NotFound("on-site record").into()),
    }
}

/// Record the checklist's results and the conclusion (a team member, on site).
#[utoipa::path(post, path = "/api/v1/supervision/inspections/{id}/progress", tag = "supervision", params(("id" = i64, Path)),
    request_body = Progress, responses((status = 200, body = OnSite), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn record_progress(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(g): ApiJson<Progress>,
) -> ApiResult<Json<OnSite>> {
    Ok(Json(onsite::progress(state.store(), &p, id, &g, &client).await?))
}

/// Record a finding with its evidence (a team member, on site); the evidence's SM3 is locked in
/// the ledger as it is stored.
#[utoipa::path(post, path = "/api/v1/supervision/inspections/{id}/findings", tag = "supervision", params(("id" = i64, Path)),
    request_body = NewFinding, responses((status = 201, body = Finding), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_finding(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(n): ApiJson<NewFinding>,
) -> ApiResult<(StatusCode, Json<Finding>)> {
    Ok((StatusCode::CREATED, Json(onsite::add_finding(state.store(), &p, id, &n, &client).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub files: Vec<yaolian_records::files::Upload>,
}

/// Add evidence to a finding (a team member, on site), locked as it is stored.
#[utoipa::path(post, path = "/api/v1/supervision/findings/{id}/evidence", tag = "supervision", params(("id" = i64, Path)),
    request_body = Evidence, responses((status = 200, body = Finding), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_evidence(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(e): ApiJson<Evidence>,
) -> ApiResult<Json<Finding>> {
    Ok(Json(onsite::add_evidence(state.store(), &p, id, &e.files, &client).await?))
}

/// Check a finding's evidence files against the SM3 the ledger locked (`supervision.read`).
#[utoipa::path(get, path = "/api/v1/supervision/findings/{id}/evidence-check", tag = "supervision", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<EvidenceCheck>), (status = 404, body = Problem)))]
pub async fn check_evidence(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Vec<EvidenceCheck>>> {
    Ok(Json(onsite::evidence_check(state.store(), &p, id, &client).await?))
}

/// An electronic signature on the version of a record the signer read: the signer's password
/// (and code). No `Debug`: it carries a password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedVersion {
    /// The record's version the signer read.
    pub version: i64,
    pub password: String,
    #[serde(default)]
    pub totp: Option<String>,
}

/// The inspector signs the on-site record (a team member, on site), which closes it to changes.
#[utoipa::path(post, path = "/api/v1/supervision/inspections/{id}/signatures/inspector", tag = "supervision",
    params(("id" = i64, Path)), request_body = SignedVersion,
    responses((status = 200, body = OnSite), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn sign_as_inspector(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(s): ApiJson<SignedVersion>,
) -> ApiResult<Json<OnSite>> {
    let signature = (s.password.as_str(), s.totp.as_deref());
    Ok(Json(onsite::sign_inspector(state.store(), state.identity(), &p, id, s.version, signature, &client).await?))
}

/// No `Debug`: it carries a password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanySignature {
    pub version: i64,
    /// The company representative's login; the password and code are theirs.
    pub representative: String,
    pub password: String,
    #[serde(default)]
    pub totp: Option<String>,
}

/// The company's representative signs the record the inspector signed, on the team's device.
#[utoipa::path(post, path = "/api/v1/supervision/inspections/{id}/signatures/company", tag = "supervision",
    params(("id" = i64, Path)), request_body = CompanySignature,
    responses((status = 200, body = OnSite), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn sign_for_company(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(s): ApiJson<CompanySignature>,
) -> ApiResult<Json<OnSite>> {
    let signature = (s.password.as_str(), s.totp.as_deref());
    let signed =
        onsite::sign_company(state.store(), state.identity(), &p, id, s.version, &s.representative, signature, &client);
    Ok(Json(signed.await?))
}

/// The company answers a finding of its signed inspection with its rectification (整改报告;
/// `quality.manage` over the company).
#[utoipa::path(post, path = "/api/v1/supervision/findings/{id}/capa", tag = "supervision", params(("id" = i64, Path)),
    request_body = CapaResponse, responses((status = 200, body = Finding), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn respond_to_finding(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<CapaResponse>,
) -> ApiResult<Json<Finding>> {
    Ok(Json(onsite::respond(state.store(), &p, id, &r, &client).await?))
}

/// The bureau verifies a rectification (`supervision.manage`): passed closes the finding, not
/// passed sends it back with the note.
#[utoipa::path(post, path = "/api/v1/supervision/findings/{id}/capa-verification", tag = "supervision",
    params(("id" = i64, Path)), request_body = CapaVerification,
    responses((status = 200, body = Finding), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn verify_finding_capa(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(v): ApiJson<CapaVerification>,
) -> ApiResult<Json<Finding>> {
    Ok(Json(onsite::verify_capa(state.store(), &p, id, &v, &client).await?))
}

/// The findings of the caller's company's signed inspections, those waiting for its
/// rectification first (`quality.read`).
#[utoipa::path(get, path = "/api/v1/supervision/company-findings", tag = "supervision",
    responses((status = 200, body = Vec<CompanyFinding>), (status = 403, body = Problem)))]
pub async fn list_company_findings(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<CompanyFinding>>> {
    Ok(Json(onsite::company_findings(state.store(), &p, &client).await?))
}
