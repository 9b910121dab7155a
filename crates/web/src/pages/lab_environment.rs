//! 环境监测 pages: the laboratory's rooms with their limits and latest reading, the form that
//! sets a room up; a room with its reading form, the trend of its last readings against its
//! limits, and every reading with its excursion and deviation.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use yaolian_access::perm;
use yaolian_core::FieldError;
use yaolian_lab::environment::{self, NewReading, NewRoom, Reading, Room};
use yaolian_lab::LabError;

use super::{failure_page, Chrome, Names, PageUser};
use crate::api::IdPath;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/lab/environment", get(rooms_page).post(create_room))
        .route("/lab/environment/{id}", get(room_page))
        .route("/lab/environment/{id}/reading", post(record_reading))
}

fn field_label(field: &str) -> Option<String> {
    Some(
        match field {
            "org_id" => "所属机构",
            "code" => "房间编号",
            "name" => "房间名称",
            "temp_low" => "温度下限",
            "temp_high" => "温度上限",
            "rh_low" => "相对湿度下限",
            "rh_high" => "相对湿度上限",
            "at" => "读数时间",
            "temperature" => "温度",
            "humidity" => "相对湿度",
            _ => return None,
        }
        .to_string(),
    )
}

fn refusals(user: &PageUser, e: LabError) -> Result<Vec<FieldError>, Response> {
    super::domain_refusals(user.lang, e.zh(), e.code(), e, field_label)
}

#[derive(Deserialize, Default, Clone)]
pub struct EnvForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    temp_low: String,
    #[serde(default)]
    temp_high: String,
    #[serde(default)]
    rh_low: String,
    #[serde(default)]
    rh_high: String,
    #[serde(default)]
    at: String,
    #[serde(default)]
    temperature: String,
    #[serde(default)]
    humidity: String,
}

type Failed = super::Failed<EnvForm>;

#[derive(Template)]
#[template(path = "lab_environment.html")]
struct RoomsPage {
    chrome: Chrome,
    rooms: Vec<Room>,
    can_manage: bool,
    orgs: Vec<yaolian_identity::Org>,
    failed: Failed,
}

async fn render_rooms(state: &AppState, user: &PageUser, failed: Failed) -> Response {
    let rooms = match environment::rooms(state.store(), &user.principal, &user.client).await {
        Ok(r) => r,
        Err(e) => return failure_page(user.lang, e),
    };
    let can_manage = user.principal.has(perm::LAB_MANAGE);
    let orgs = if can_manage { super::org_picks(state, user, None).await } else { Vec::new() };
    let refused = failed.refused();
    super::render_form(&RoomsPage { chrome: user.chrome("lab"), rooms, can_manage, orgs, failed }, refused)
}

async fn rooms_page(State(state): State<AppState>, user: PageUser) -> Response {
    render_rooms(&state, &user, Failed::default()).await
}

async fn create_room(State(state): State<AppState>, user: PageUser, Form(form): Form<EnvForm>) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let refuse = |errors: Vec<FieldError>, form: EnvForm| Failed { form: "create", kept: form, errors };
    let org_id = match super::picked_org(&state, &user, "org_id", &form.org, None).await {
        Ok(id) => id,
        Err(Ok(errors)) => return render_rooms(&state, &user, refuse(errors, form)).await,
        Err(Err(page)) => return page,
    };
    let new = NewRoom {
        org_id,
        code: form.code.clone(),
        name: form.name.clone(),
        temp_low: form.temp_low.clone(),
        temp_high: form.temp_high.clone(),
        rh_low: form.rh_low.clone(),
        rh_high: form.rh_high.clone(),
    };
    match environment::create_room(state.store(), &user.principal, &new, &user.client).await {
        Ok(r) => Redirect::to(&format!("/lab/environment/{}?done=created", r.id)).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_rooms(&state, &user, refuse(errors, form)).await,
            Err(page) => page,
        },
    }
}

#[derive(Template)]
#[template(path = "lab_room.html")]
struct RoomPage {
    chrome: Chrome,
    room: Room,
    readings: Vec<Reading>,
    chart: String,
    can_record: bool,
    failed: Failed,
    done: &'static str,
    names: Names,
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

async fn render_room(state: &AppState, user: &PageUser, id: i64, failed: Failed, done: &str) -> Response {
    let store = state.store();
    let room = match environment::get_room(store, &user.principal, id, &user.client).await {
        Ok(r) => r,
        Err(e) => return failure_page(user.lang, e),
    };
    let readings = environment::readings(store, &user.principal, id, 200, &user.client).await.unwrap_or_default();
    // The last 60 readings, oldest first, against the limits.
    let trend: Vec<&Reading> = readings.iter().take(60).rev().collect();
    let value = |v: i64| v as f64 / 10.0;
    let chart = if trend.is_empty() {
        String::new()
    } else {
        serde_json::json!({
            "line": true,
            "x": trend.iter().map(|r| r.at.to_china_string().chars().skip(5).take(11).collect::<String>()).collect::<Vec<_>>(),
            "series": [
                {"name": "温度（℃）", "data": trend.iter().map(|r| value(r.temperature)).collect::<Vec<_>>(),
                 "limits": [value(room.temp_low), value(room.temp_high)]},
                {"name": "相对湿度（%RH）", "axis": 1, "data": trend.iter().map(|r| value(r.humidity)).collect::<Vec<_>>(),
                 "limits": [value(room.rh_low), value(room.rh_high)]},
            ],
        })
        .to_string()
    };
    let path = yaolian_identity::orgs::path_of(store, "org_id", room.org_id).await.unwrap_or_default();
    let can_record = user.principal.reaches(perm::LAB_USE, &path);
    let mut chrome = user.chrome("lab");
    chrome.title = format!("{} {}", room.code, room.name);
    let done = match done {
        "created" => "房间已建立",
        "reading" => "读数已记录",
        "excursion" => "读数已记录：超出限度，已自动生成偏差记录",
        _ => "",
    };
    let refused = failed.refused();
    let names = Names::of_logins(state, readings.iter().map(|r| r.recorded_by.as_str())).await;
    super::render_form(&RoomPage { chrome, room, readings, chart, can_record, names, failed, done }, refused)
}

async fn room_page(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(d): Query<Done>,
) -> Response {
    render_room(&state, &user, id, Failed::default(), &d.done).await
}

async fn record_reading(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Form(form): Form<EnvForm>,
) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let new =
        NewReading { at: form.at.clone(), temperature: form.temperature.clone(), humidity: form.humidity.clone() };
    let cfg = &state.config().quality;
    match environment::record(state.store(), cfg, &user.principal, id, &new, &user.client).await {
        Ok(r) => {
            let done = if r.excursion { "excursion" } else { "reading" };
            Redirect::to(&format!("/lab/environment/{id}?done={done}")).into_response()
        }
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_room(&state, &user, id, Failed { form: "reading", kept: form, errors }, "").await,
            Err(page) => page,
        },
    }
}

impl RoomPage {
    /// A reading's time to the minute, China time, e.g. 2026-11-28 15:00.
    fn minute(&self, at: &yaolian_core::Timestamp) -> String {
        at.to_china_string().chars().take(16).collect()
    }
}
