//! The 工作台 (`/`): what the user must act on, above anything else — cards with counts that
//! link to the filtered list they count, the to-dos with their working-day countdown and the
//! messages — then how things trend (charts). A bureau sees its cards (待受理, 即将超期, 超期,
//! 待处置异常, 召回中, 即将到期证照) and charts; a company its licenses' expiry, its open
//! applications' progress, its open anomalies and recalls.
//!
//! Each card and chart comes from one summary function of its domain (one GROUP BY query,
//! scoped as that domain's list is), which answers `None` when the user does not reach that
//! list: the card is then not shown. A module adds its card or chart here by calling its
//! summary function; see docs/ui.md, "工作台".

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use yaolian_access::perm;
use yaolian_core::Timestamp;
use yaolian_license::licenses::{self, License, LicenseQuery};
use yaolian_portal::{self as portal, Message, Todo};
use yaolian_services::applications::{self, dashboard, ApplicationQuery, ApplicationView};
use yaolian_trace::recall::Recall;

use super::admin::SimpleForm;
use super::{failure_page, form_errors, render, Chrome, PageUser};
use crate::api::IdPath;
use crate::i18n::Lang;
use crate::AppState;
use yaolian_identity::IdentityError;

/// A count on the 工作台 that links to the list it counts.
pub struct Card {
    /// The element id (`card-to-accept`), for tests.
    pub id: &'static str,
    pub label: &'static str,
    pub count: i64,
    pub href: String,
    /// Badge tone when the count is not zero: `warn`, `danger` or empty.
    pub tone: &'static str,
}

/// A chart on the 工作台: its title and the `data-chart` JSON `app.js` draws.
pub struct Chart {
    pub id: &'static str,
    pub title: &'static str,
    pub data: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    roles: Vec<String>,
    /// Refusal of the last action on this page (a timed to-do marked done), shown in place.
    errors: Vec<String>,
    cards: Vec<Card>,
    charts: Vec<Chart>,
    todos: Vec<Todo>,
    messages: Vec<Message>,
    calendar: yaolian_services::Calendar,
    today: chrono::NaiveDate,
    /// A company's view: its licenses soonest to expire, its open applications, its recalls.
    company: Option<CompanyView>,
}

struct CompanyView {
    licenses: Vec<License>,
    applications: Option<Vec<ApplicationView>>,
    recalls: Vec<Recall>,
}

impl HomePage {
    /// A to-do's countdown in working days: (text, badge class).
    fn countdown(&self, due: &Timestamp) -> (String, &'static str) {
        let left = self.calendar.working_days_between(self.today, due.china_date());
        let en = self.chrome.lang.code() == "en";
        match (left, en) {
            (l, false) if l < 0 => (format!("已超期 {} 个工作日", -l), "danger"),
            (l, true) if l < 0 => (format!("overdue by {} working days", -l), "danger"),
            (0, false) => ("今日到期".into(), "warn"),
            (0, true) => ("due today".into(), "warn"),
            (l, false) => (format!("剩余 {l} 个工作日"), if l <= 3 { "warn" } else { "ok" }),
            (l, true) => (format!("{l} working days left"), if l <= 3 { "warn" } else { "ok" }),
        }
    }

    /// A license's days to expiry: (text, badge class).
    fn expiry(&self, l: &License) -> (String, &'static str) {
        let en = self.chrome.lang.code() == "en";
        let d = l.days_left;
        match (d, en) {
            (d, false) if d < 0 => (format!("已过期 {} 天", -d), "danger"),
            (d, true) if d < 0 => (format!("expired {} days ago", -d), "danger"),
            (d, false) => (format!("剩余 {d} 天"), if d <= licenses::EXPIRING_DAYS { "warn" } else { "ok" }),
            (d, true) => (format!("{d} days left"), if d <= licenses::EXPIRING_DAYS { "warn" } else { "ok" }),
        }
    }

    /// The day (China time) of a time in milliseconds.
    fn day(&self, ms: &i64) -> String {
        Timestamp(*ms).china_date().to_string()
    }
}

pub async fn home(State(state): State<AppState>, user: PageUser) -> Response {
    home_render(&state, &user, Vec::new()).await
}

/// The page; `errors` (a refused to-do) make it a 422 with the refusal above the to-dos.
async fn home_render(state: &AppState, user: &PageUser, errors: Vec<String>) -> Response {
    let mut resp = match home_page(state, user, errors.clone()).await {
        Ok(page) => render(&page),
        Err(e) => return failure_page(user.lang, e),
    };
    if !errors.is_empty() {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    resp
}

async fn home_page(
    state: &AppState,
    user: &PageUser,
    errors: Vec<String>,
) -> Result<HomePage, yaolian_identity::IdentityError> {
    let store = state.store();
    let p = &user.principal;
    let zh = user.lang == Lang::Zh;
    let tr = |zh_text: &'static str, en: &'static str| if zh { zh_text } else { en };
    let todos = portal::todos(store, p, 50).await?;
    let messages = portal::messages(store, p, 20).await?;
    let roles = p.roles().iter().map(|r| if zh { r.name_zh.clone() } else { r.name_en.clone() }).collect();
    let calendar = yaolian_services::Calendar::load(store).await?;
    let today = Timestamp::now().china_date();
    let company = !p.org_kind().is_regulator() && !p.is_system();

    let mut cards = Vec::new();
    let mut charts = Vec::new();
    if let Some(n) = dashboard::pending(store, p).await? {
        cards.push(Card {
            id: "card-to-accept",
            label: tr("待受理", "To accept"),
            count: n.to_accept,
            href: "/services?status=submitted".into(),
            tone: "warn",
        });
        cards.push(Card {
            id: "card-due-soon",
            label: tr("即将超期", "Due soon"),
            count: n.due_soon,
            href: "/services?status=due_soon".into(),
            tone: "warn",
        });
        cards.push(Card {
            id: "card-overdue",
            label: tr("超期", "Overdue"),
            count: n.overdue,
            href: "/services?status=overdue".into(),
            tone: "danger",
        });
    }
    let anomalies = yaolian_trace::anomalies::open_by_kind(store, p).await?;
    if let Some(kinds) = &anomalies {
        cards.push(Card {
            id: "card-anomalies",
            label: tr("待处置异常", "Open anomalies"),
            count: kinds.iter().map(|k| k.count).sum(),
            href: "/trace/anomalies?status=open".into(),
            tone: "danger",
        });
    }
    let recalls = yaolian_trace::recall::in_progress(store, p, 20).await?;
    if let Some((count, _)) = &recalls {
        // A bureau has the recall list; a company the recalls listed below.
        let href = if company { "#recalls".into() } else { "/trace/recalls?status=open".into() };
        cards.push(Card {
            id: "card-recalls", label: tr("召回中", "Recalls open"), count: *count, href, tone: "warn"
        });
    }
    let license_summary = licenses::summary(store, p).await?;
    if let Some(s) = &license_summary {
        cards.push(Card {
            id: "card-expiring",
            label: tr("即将到期证照", "Licenses expiring"),
            count: s.expiring,
            href: "/licenses?state=expiring".into(),
            tone: "warn",
        });
    }

    if let Some(s) = yaolian_inventory::stock::summary(store, p).await.map_err(IdentityError::from)? {
        cards.push(Card {
            id: "card-lots-expiring",
            label: tr("近效期与过期批次", "Lots expiring"),
            count: s.expiring,
            href: "/inventory/expiry?days=30".into(),
            tone: "warn",
        });
        if let Some(waiting) = s.waiting {
            cards.push(Card {
                id: "card-adjustments",
                label: tr("待审批库存调整", "Adjustments to approve"),
                count: waiting,
                href: "/inventory/adjustments".into(),
                tone: "warn",
            });
        }
    }
    let due = yaolian_quality::documents::reviews_due(store, p, super::quality::REVIEW_AHEAD_DAYS).await;
    if let Some(ids) = due.map_err(IdentityError::from)? {
        cards.push(Card {
            id: "card-reviews-due",
            label: tr("到期需定期审核的文件", "Documents due for review"),
            count: i64::try_from(ids.len()).unwrap_or(i64::MAX),
            href: "/quality/documents?review=due".into(),
            tone: "warn",
        });
    }
    if let Some(n) = yaolian_quality::deviations::open_count(store, p).await.map_err(IdentityError::from)? {
        cards.push(Card {
            id: "card-deviations",
            label: tr("待调查偏差", "Deviations to investigate"),
            count: n,
            href: "/quality?status=open".into(),
            tone: "warn",
        });
    }

    if !company {
        if let Some(t) = dashboard::trends(store, p).await? {
            let weeks: Vec<String> = t.weeks.iter().map(|w| w.get(5..).unwrap_or(w).to_string()).collect();
            let series: Vec<serde_json::Value> =
                t.per_week.iter().map(|w| serde_json::json!({"name": w.type_name, "data": w.counts})).collect();
            charts.push(Chart {
                id: "chart-per-week",
                title: tr("每周申请量（按事项，近 12 周）", "Applications per week by type (12 weeks)"),
                data: serde_json::json!({"x": weeks, "series": series, "colors": KIND_COLORS}).to_string(),
            });
            charts.push(Chart {
                id: "chart-average-days",
                title: tr("平均办理用时（工作日，近 12 周办结）", "Average working days to decision (12 weeks)"),
                data: bars(
                    t.average_days.iter().map(|d| (d.type_name.clone(), serde_json::json!(d.average_days))),
                    tr("工作日", "working days"),
                ),
            });
        }
        if let Some(kinds) = &anomalies {
            charts.push(Chart {
                id: "chart-anomalies",
                title: tr("待处置异常（按类型）", "Open anomalies by kind"),
                data: bars(kinds.iter().map(|k| (k.label.clone(), serde_json::json!(k.count))), tr("条", "anomalies")),
            });
        }
        if let Some(s) = &license_summary {
            charts.push(Chart {
                id: "chart-licenses",
                title: tr("证照状态分布", "Licenses by state"),
                data: bars(
                    s.by_state.iter().map(|(state, n)| {
                        let label = if zh { state.label_zh().to_string() } else { state.as_str().replace('_', " ") };
                        (label, serde_json::json!(n))
                    }),
                    tr("张", "licenses"),
                ),
            });
        }
    }

    let company = if company {
        let licenses = match license_summary {
            Some(_) => {
                let q = LicenseQuery { sort: Some("valid_until".into()), limit: 10, ..Default::default() };
                licenses::list(store, p, &q, &user.client).await?.0
            }
            None => Vec::new(),
        };
        let applications = if p.has(perm::SERVICE_APPLY) {
            let q = ApplicationQuery { status: Some("open".into()), limit: 10, ..Default::default() };
            Some(applications::list(store, p, &q, &user.client).await?.0)
        } else {
            None
        };
        Some(CompanyView { licenses, applications, recalls: recalls.map(|r| r.1).unwrap_or_default() })
    } else {
        None
    };

    Ok(HomePage {
        chrome: user.chrome("home"),
        roles,
        errors,
        cards,
        charts,
        todos,
        messages,
        calendar,
        today,
        company,
    })
}

/// Colours of series that are kinds (application types), none of them the red of a failure.
const KIND_COLORS: [&str; 6] = ["#0b6e4f", "#2e90fa", "#b54708", "#7a5af8", "#667085", "#12b76a"];

/// Horizontal bars: one label and value each, in the given order (top first).
fn bars(items: impl DoubleEndedIterator<Item = (String, serde_json::Value)>, name: &str) -> String {
    let (x, y): (Vec<String>, Vec<serde_json::Value>) = items.rev().unzip();
    serde_json::json!({"horizontal": true, "x": x, "y": y, "name": name}).to_string()
}

pub async fn todo_done(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Form(f): Form<SimpleForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&f.csrf) {
        return r;
    }
    match portal::complete_todo(state.store(), &user.principal, id).await {
        Ok(()) => Redirect::to("/").into_response(),
        Err(e) => match super::refusals(user.lang, e) {
            Ok(errors) => home_render(&state, &user, errors.into_iter().map(|e| e.message).collect()).await,
            Err(page) => page,
        },
    }
}

pub async fn message_read(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Form(f): Form<SimpleForm>,
) -> Response {
    if let Err(r) = user.check_csrf(&f.csrf) {
        return r;
    }
    match portal::mark_read(state.store(), &user.principal, id).await {
        Ok(()) => Redirect::to("/").into_response(),
        Err(e) => form_errors(user.lang, e).err().unwrap_or_else(|| Redirect::to("/").into_response()),
    }
}
