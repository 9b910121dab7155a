//! 实验室统计 page: records per analyst, per project and per month (a chart of the last twelve
//! months), and each instrument's uses and delivered results — all counted from the data, in
//! the reader's scope; exported to Excel or CSV, and printable (print CSS) as the lab's report.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use yaolian_lab::reports::{self, Statistics};

use super::{failure_page, Chrome, PageUser};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/lab/reports", get(page))
        .route("/lab/reports.csv", get(export))
        .route("/lab/reports.xlsx", get(export))
}

#[derive(Template)]
#[template(path = "lab_reports.html")]
struct ReportsPage {
    chrome: Chrome,
    s: Statistics,
    chart: String,
    printed_at: String,
}

async fn page(State(state): State<AppState>, user: PageUser) -> Response {
    let s = match reports::statistics(state.store(), &user.principal, &user.client).await {
        Ok(s) => s,
        Err(e) => return failure_page(user.lang, e),
    };
    let chart = serde_json::json!({
        "x": s.months.iter().map(|m| m.name.clone()).collect::<Vec<_>>(),
        "series": [
            {"name": "实验记录", "data": s.months.iter().map(|m| m.records).collect::<Vec<_>>()},
            {"name": "已批准", "data": s.months.iter().map(|m| m.approved).collect::<Vec<_>>()},
            {"name": "超标", "data": s.months.iter().map(|m| m.oos).collect::<Vec<_>>()},
        ],
        "colors": ["#2e90fa", "#0b6e4f", "#d92d20"],
        "grouped": true,
    })
    .to_string();
    let mut chrome = user.chrome("lab");
    chrome.title = "实验室统计".into();
    let printed_at = yaolian_core::Timestamp::now().to_china_string();
    super::render(&ReportsPage { chrome, s, chart, printed_at })
}

async fn export(State(state): State<AppState>, user: PageUser, format: super::export::Format) -> Response {
    match reports::statistics(state.store(), &user.principal, &user.client).await {
        Ok(s) => super::export::send(&state, &user, "lab-statistics", format, reports::table(&s)).await,
        Err(e) => failure_page(user.lang, e),
    }
}
