//! 仪器设备 pages: the instruments with their calibration state (due ones first) and the
//! registration form; an instrument with its calibration and use forms and its usage log.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use yaolian_access::perm;
use yaolian_core::FieldError;
use yaolian_lab::instruments::{self, Calibration, Instrument, NewInstrument, Use};
use yaolian_lab::LabError;

use super::{failure_page, Chrome, Names, PageUser};
use crate::api::IdPath;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/lab", get(list_page).post(register))
        .route("/lab/instruments/{id}", get(instrument_page))
        .route("/lab/instruments/{id}/{step}", post(instrument_step))
}

fn field_label(field: &str) -> Option<String> {
    Some(
        match field {
            "org_id" => "所属机构",
            "code" => "仪器编号",
            "name" => "仪器名称",
            "model" => "型号",
            "serial_no" => "出厂编号",
            "location" => "存放地点",
            "calibration_interval_days" => "校准周期",
            "performed_on" => "校准日期",
            "certificate" => "校准证书编号",
            "purpose" => "用途",
            "record_ref" => "相关记录",
            _ => return None,
        }
        .to_string(),
    )
}

fn refusals(user: &PageUser, e: LabError) -> Result<Vec<FieldError>, Response> {
    super::domain_refusals(user.lang, e.zh(), e.code(), e, field_label)
}

/// What the templates show of codes.
trait Shows {
    fn state_label(&self, code: &str) -> &'static str {
        instruments::STATES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("")
    }
    fn tone(&self, code: &str) -> &'static str {
        match code {
            "current" => "ok",
            "due_soon" => "warn",
            _ => "danger",
        }
    }
}

impl Shows for ListPage {}
impl Shows for InstrumentPage {}

/// Every form's fields, kept to fill a refused form again.
#[derive(Deserialize, Default, Clone)]
pub struct LabForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    serial_no: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    calibration_interval_days: String,
    #[serde(default)]
    performed_on: String,
    #[serde(default)]
    certificate: String,
    #[serde(default)]
    passed: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    record_ref: String,
}

type Failed = super::Failed<LabForm>;

#[derive(Template)]
#[template(path = "lab.html")]
struct ListPage {
    chrome: Chrome,
    instruments: Vec<Instrument>,
    failed: Failed,
    can_manage: bool,
    orgs: Vec<yaolian_identity::Org>,
}

async fn render_list(state: &AppState, user: &PageUser, failed: Failed) -> Response {
    let list = match instruments::list(state.store(), &user.principal, &user.client).await {
        Ok(l) => l,
        Err(e) => return failure_page(user.lang, e),
    };
    let can_manage = user.principal.has(perm::LAB_MANAGE);
    let orgs = if can_manage { super::org_picks(state, user, None).await } else { Vec::new() };
    let refused = failed.refused();
    super::render_form(&ListPage { chrome: user.chrome("lab"), instruments: list, failed, can_manage, orgs }, refused)
}

async fn list_page(State(state): State<AppState>, user: PageUser) -> Response {
    render_list(&state, &user, Failed::default()).await
}

async fn register(State(state): State<AppState>, user: PageUser, Form(form): Form<LabForm>) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let refuse = |errors: Vec<FieldError>, form: LabForm| Failed { form: "register", kept: form, errors };
    let org_id = match super::picked_org(&state, &user, "org_id", &form.org, None).await {
        Ok(id) => id,
        Err(Ok(errors)) => return render_list(&state, &user, refuse(errors, form)).await,
        Err(Err(page)) => return page,
    };
    let new = NewInstrument {
        org_id,
        code: form.code.clone(),
        name: form.name.clone(),
        model: form.model.clone(),
        serial_no: form.serial_no.clone(),
        location: form.location.clone(),
        calibration_interval_days: form.calibration_interval_days.trim().parse().unwrap_or(0),
    };
    match instruments::register(state.store(), &user.principal, &new, &user.client).await {
        Ok(i) => Redirect::to(&format!("/lab/instruments/{}?done=registered", i.id)).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_list(&state, &user, refuse(errors, form)).await,
            Err(page) => page,
        },
    }
}

#[derive(Template)]
#[template(path = "lab_instrument.html")]
struct InstrumentPage {
    chrome: Chrome,
    i: Instrument,
    uses: Vec<Use>,
    failed: Failed,
    done: &'static str,
    can_manage: bool,
    can_use: bool,
    today: String,
    names: Names,
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

fn notice(done: &str) -> &'static str {
    match done {
        "registered" => "仪器已登记，校准合格后方可使用",
        "calibrate" => "校准已记录",
        "use" => "使用已记录",
        _ => "",
    }
}

async fn render_instrument(state: &AppState, user: &PageUser, id: i64, failed: Failed, done: &str) -> Response {
    let store = state.store();
    let i = match instruments::get(store, &user.principal, id, &user.client).await {
        Ok(i) => i,
        Err(e) => return failure_page(user.lang, e),
    };
    let uses = instruments::uses_of(store, &user.principal, id, &user.client).await.unwrap_or_default();
    let path = yaolian_identity::orgs::path_of(store, "org_id", i.org_id).await.unwrap_or_default();
    let can_manage = user.principal.reaches(perm::LAB_MANAGE, &path);
    let can_use = user.principal.reaches(perm::LAB_USE, &path);
    let mut chrome = user.chrome("lab");
    chrome.title = format!("{} · {}", i.code, i.name);
    let refused = failed.refused();
    let today = yaolian_core::Timestamp::now().china_date().to_string();
    let names = Names::of_logins(state, uses.iter().map(|u| u.user_name.as_str())).await;
    let page = InstrumentPage { chrome, i, uses, names, failed, done: notice(done), can_manage, can_use, today };
    super::render_form(&page, refused)
}

async fn instrument_page(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(d): Query<Done>,
) -> Response {
    render_instrument(&state, &user, id, Failed::default(), &d.done).await
}

/// A step on an instrument: `calibrate` or `use`.
async fn instrument_step(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Path((id, step)): axum::extract::Path<(String, String)>,
    Form(form): Form<LabForm>,
) -> Response {
    let not_found =
        || super::error_page(user.lang, axum::http::StatusCode::NOT_FOUND, user.lang.t("err.record_not_found"));
    let Ok(id) = id.parse::<i64>() else { return not_found() };
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let (store, p, c) = (state.store(), &user.principal, &user.client);
    let (name, result): (&'static str, Result<(), LabError>) = match step.as_str() {
        "calibrate" => {
            let cal = Calibration {
                performed_on: form.performed_on.clone(),
                certificate: form.certificate.clone(),
                passed: form.passed != "0",
            };
            ("calibrate", instruments::calibrate(store, p, id, &cal, c).await.map(|_| ()))
        }
        "use" => {
            ("use", instruments::use_instrument(store, p, id, &form.purpose, &form.record_ref, c).await.map(|_| ()))
        }
        _ => return not_found(),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/lab/instruments/{id}?done={name}")).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => {
                let kept = LabForm { csrf: String::new(), ..form };
                render_instrument(&state, &user, id, Failed { form: name, kept, errors }, "").await
            }
            Err(page) => page,
        },
    }
}
