//! 监管大屏 (`/overview`): a bureau's area at a glance — figures that link to their lists, the
//! risk distribution by region as tiles and a stacked chart, the closed loop's cases by source,
//! open trace anomalies, sampling per month, adverse-reaction signals and black-box warnings.
//! The page refreshes its body from `/overview?part=body` every 30 s (`app.js`, `data-live`).
//! Everything comes from one domain function, [`yaolian_signals::overview::overview`].

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::json;
use yaolian_signals::overview::{self, Overview};

use super::{failure_page, render, PageUser};
use crate::AppState;

/// Seconds between live refreshes.
pub const REFRESH_SECONDS: u32 = 30;

pub fn routes() -> Router<AppState> {
    Router::new().route("/overview", get(overview_page))
}

#[derive(Deserialize, Default)]
pub struct Part {
    #[serde(default)]
    part: String,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    chrome: super::Chrome,
    o: Overview,
}

#[derive(Template)]
#[template(path = "overview_body.html")]
struct OverviewBody {
    o: Overview,
}

/// What the body shows, shared by the page and its live refresh.
trait Figures {
    fn o(&self) -> &Overview;

    fn at(&self) -> String {
        self.o().at.to_china_string().chars().take(19).collect()
    }

    fn refresh(&self) -> u32 {
        REFRESH_SECONDS
    }

    fn rate(&self) -> String {
        self.o().pass_rate().map(|r| format!("{r:.1}%")).unwrap_or_else(|| "—".into())
    }

    /// Companies per risk level per region, stacked.
    fn risk_chart(&self) -> String {
        let r = &self.o().regions;
        let x: Vec<&str> = r.iter().map(|r| r.name.as_str()).collect();
        let series = [
            ("高风险", r.iter().map(|r| r.high).collect::<Vec<_>>()),
            ("中风险", r.iter().map(|r| r.medium).collect()),
            ("低风险", r.iter().map(|r| r.low).collect()),
        ];
        let series: Vec<_> = series.iter().map(|(name, data)| json!({"name": name, "data": data})).collect();
        json!({"x": x, "series": series, "colors": ["#b42318", "#b54708", "#0b6e4f"]}).to_string()
    }

    /// Cases per source (all states).
    fn source_chart(&self) -> String {
        let by = &self.o().cases.by_source;
        let label = |code: &str| yaolian_supervision::plans::zh(yaolian_supervision::cases::SOURCES, code);
        let (x, y): (Vec<&str>, Vec<i64>) = by.iter().rev().map(|(c, n)| (label(c), *n)).unzip();
        json!({"horizontal": true, "x": x, "y": y, "name": "件"}).to_string()
    }

    fn anomaly_chart(&self, kinds: &[(String, i64)]) -> String {
        let (x, y): (Vec<&str>, Vec<i64>) = kinds.iter().rev().map(|(k, n)| (k.as_str(), *n)).unzip();
        json!({"horizontal": true, "x": x, "y": y, "name": "条"}).to_string()
    }

    /// Passed and failed samples per month, stacked.
    fn sampling_chart(&self) -> String {
        let m = &self.o().sampling;
        let x: Vec<&str> = m.iter().map(|m| m.month.as_str()).collect();
        let passed: Vec<i64> = m.iter().map(|m| m.passed).collect();
        let failed: Vec<i64> = m.iter().map(|m| m.tested - m.passed).collect();
        json!({"x": x, "series": [{"name": "合格", "data": passed}, {"name": "不合格", "data": failed}]}).to_string()
    }

    fn warnings_chart(&self, s: &overview::Signals) -> String {
        let (x, y): (Vec<&str>, Vec<i64>) =
            s.warnings_per_day.iter().map(|(d, n)| (d.get(5..).unwrap_or(d), *n)).unzip();
        json!({"x": x, "y": y, "name": "条预警", "colors": ["#b54708"]}).to_string()
    }
}

impl Figures for OverviewPage {
    fn o(&self) -> &Overview {
        &self.o
    }
}

impl Figures for OverviewBody {
    fn o(&self) -> &Overview {
        &self.o
    }
}

pub async fn overview_page(State(state): State<AppState>, user: PageUser, Query(q): Query<Part>) -> Response {
    let o = match overview::overview(state.store(), &user.principal, &user.client).await {
        Ok(o) => o,
        Err(e) => return failure_page(user.lang, e),
    };
    if q.part == "body" {
        render(&OverviewBody { o })
    } else {
        render(&OverviewPage { chrome: user.chrome("overview"), o })
    }
}
