//! 执法办案 and 投诉举报 pages: the bureau's enforcement cases with their figures (chart),
//! filters, pages and export and the form to open a clue; a case with what its state asks for
//! next — 立案, evidence, the investigation report, 法制审核, the sealed notice, the party's
//! statement or hearing, the sealed decision, service, execution, 结案 — its statutory clocks with
//! their pauses, its evidence checked against the ledger, its documents, signatures and history;
//! a sealed document's A4 print with its QR and the public page the QR opens; complaints and
//! reports registered, accepted, answered or turned into a case.

use askama::Template;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use yaolian_access::perm;
use yaolian_core::FieldError;
use yaolian_supervision::complaints::{self, Complaint, NewComplaint};
use yaolian_supervision::documents::{self, Penalty, PENALTY_KINDS};
use yaolian_supervision::enforcement::{self, CaseClock, Dated, Enforcement, SealedView, Statistics};
use yaolian_supervision::onsite::EvidenceCheck;
use yaolian_supervision::plans::zh;
use yaolian_supervision::SupervisionError;

use super::{failure_page, render, Chrome, Names, PageUser};
use crate::api::IdPath;
use crate::i18n::Lang;
use crate::AppState;

/// Cases and complaints per page.
const PAGE_SIZE: i64 = 50;
/// Penalty rows the report form offers.
const PENALTY_ROWS: usize = 3;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/supervision/enforcements", get(list_page).post(open))
        .route("/supervision/enforcements.csv", get(export))
        .route("/supervision/enforcements.xlsx", get(export))
        .route("/supervision/enforcements/{id}", get(case_page))
        .route(
            "/supervision/enforcements/{id}/evidence",
            post(evidence).layer(DefaultBodyLimit::max(enforcement::MAX_FILE_BYTES * 2 + 64 * 1024)),
        )
        .route("/supervision/enforcements/{id}/evidence/{file}", get(evidence_file))
        .route("/supervision/enforcements/{id}/{step}", post(case_step))
        .route("/supervision/enforcement-documents/{id}/print", get(print))
        .route("/supervision/enforcement-documents/{id}/file", get(download))
        .route("/v/d/{code}", get(verify_page))
        .route("/supervision/complaints", get(complaints_page).post(register))
        .route("/supervision/complaints.csv", get(export_complaints))
        .route("/supervision/complaints.xlsx", get(export_complaints))
        .route("/supervision/complaints/{id}", get(complaint_page))
        .route("/supervision/complaints/{id}/{step}", post(complaint_step))
        .route("/supervision/cases/{id}/enforcement", post(from_case))
}

fn field_label(field: &str) -> Option<String> {
    Some(
        match field {
            "company_id" | "company" => "当事人",
            "title" | "subject" => "案由",
            "facts" => "违法事实",
            "clue_on" => "线索日期",
            "handlers" => "办案人员",
            "reason" => "理由",
            "files" => "证据材料",
            "legal_basis" => "违反的规定",
            "penalty_basis" => "处罚依据",
            "penalties" => "行政处罚",
            "opinion" => "审核意见",
            "on" => "日期",
            "text" => "内容",
            "hearing" => "听证",
            "kind" => "类别",
            "from" => "开始日期",
            "note" => "说明",
            "limit" => "期限",
            "outcome" => "决定",
            "consideration" => "采纳情况",
            "statement" => "陈述申辩",
            "method" => "送达方式",
            "paid_fen" => "缴纳金额",
            "channel" => "来源渠道",
            "content" => "内容",
            "reporter" => "投诉举报人",
            "contact" => "联系方式",
            "received_on" => "登记日期",
            "password" => "登录密码",
            "totp" => "动态验证码",
            f if f.starts_with("handlers[") => "办案人员",
            f if f.starts_with("penalties[") => "行政处罚",
            f if f.starts_with("files[") => "证据材料",
            _ => return None,
        }
        .to_string(),
    )
}

fn refusals(user: &PageUser, e: SupervisionError) -> Result<Vec<FieldError>, Response> {
    super::domain_refusals(user.lang, e.zh(), e.code(), e, field_label)
}

/// Every form's fields, kept to fill a refused form again.
#[derive(Default, Clone)]
pub struct CaseForm {
    company: String,
    title: String,
    facts: String,
    clue_on: String,
    handlers: Vec<String>,
    reason: String,
    legal_basis: String,
    penalty_basis: String,
    hearing_right: bool,
    penalties: Vec<(String, String, String)>,
    passed: String,
    opinion: String,
    on: String,
    text: String,
    method: String,
    paid: String,
    kind: String,
    from: String,
    note: String,
    limit: String,
    outcome: String,
    consideration: String,
    channel: String,
    reporter: String,
    contact: String,
    real_name: bool,
    version: i64,
}

type Failed = super::Failed<CaseForm>;

/// The form a page posted, once its CSRF token checks.
fn posted(user: &PageUser, pairs: &[(String, String)]) -> Result<CaseForm, Response> {
    let one = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    user.check_csrf(&one("_csrf"))?;
    Ok(form_of(
        &|name: &str| one(name),
        pairs.iter().filter(|(k, _)| k == "handlers").map(|(_, v)| v.clone()).collect(),
    ))
}

fn form_of(one: &dyn Fn(&str) -> String, handlers: Vec<String>) -> CaseForm {
    let penalties = (0..PENALTY_ROWS)
        .map(|n| (one(&format!("pkind.{n}")), one(&format!("pamount.{n}")), one(&format!("pnote.{n}"))))
        .collect();
    CaseForm {
        company: one("company"),
        title: one("title"),
        facts: one("facts"),
        clue_on: one("clue_on"),
        handlers,
        reason: one("reason"),
        legal_basis: one("legal_basis"),
        penalty_basis: one("penalty_basis"),
        hearing_right: one("hearing_right") == "1",
        penalties,
        passed: one("passed"),
        opinion: one("opinion"),
        on: one("on"),
        text: one("text"),
        method: one("method"),
        paid: one("paid"),
        kind: one("kind"),
        from: one("from"),
        note: one("note"),
        limit: one("limit"),
        outcome: one("outcome"),
        consideration: one("consideration"),
        channel: one("channel"),
        reporter: one("reporter"),
        contact: one("contact"),
        real_name: one("real_name") == "1",
        version: one("version").trim().parse().unwrap_or(0),
    }
}

/// Yuan as typed (`50000`, `50000.5`, `1,200.00`) in fen, or a refusal under `field`.
fn fen(field: &str, text: &str) -> Result<i64, Vec<FieldError>> {
    let t: String = text.trim().chars().filter(|c| *c != ',' && *c != '，').collect();
    if t.is_empty() {
        return Ok(0);
    }
    let refuse = || vec![FieldError::new(field, "amount", "金额：请填写以元为单位的数字，最多两位小数")];
    let (whole, part) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty()
        || whole.len() > 11
        || part.len() > 2
        || !(whole.bytes().chain(part.bytes())).all(|b| b.is_ascii_digit())
    {
        return Err(refuse());
    }
    let whole: i64 = whole.parse().map_err(|_| refuse())?;
    let cents: i64 = format!("{part:0<2}").parse().map_err(|_| refuse())?;
    Ok(whole * 100 + cents)
}

trait Shows {
    fn status_label(&self, code: &str) -> &'static str {
        zh(enforcement::STATUSES, code)
    }
    fn source_label(&self, code: &str) -> &'static str {
        zh(enforcement::SOURCES, code)
    }
    fn pause_label(&self, code: &str) -> &'static str {
        zh(yaolian_supervision::clock::PAUSE_KINDS, code)
    }
    fn penalty_label(&self, code: &str) -> &'static str {
        zh(PENALTY_KINDS, code)
    }
    fn yuan(&self, fen: &i64) -> String {
        documents::yuan(*fen)
    }
    fn tone(&self, code: &str) -> &'static str {
        match code {
            "closed" | "replied" => "ok",
            "not_filed" | "terminated" | "rejected" => "",
            "hearing" | "review" | "notified" | "received" => "warn",
            _ => "info",
        }
    }
}

#[derive(Deserialize, Default)]
pub struct Filter {
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: String,
}

impl Filter {
    fn page(&self) -> i64 {
        self.page.parse::<i64>().unwrap_or(1).max(1)
    }
    fn query(&self) -> String {
        format!("status={}&q={}", urlencoding::encode(&self.status), urlencoding::encode(&self.q))
    }
    fn page_link(&self, page: impl std::borrow::Borrow<i64>) -> String {
        format!("?{}&page={}", self.query(), page.borrow())
    }
    fn filtered(&self) -> bool {
        !self.status.is_empty() || !self.q.is_empty()
    }
}

#[derive(Template)]
#[template(path = "supervision_enforcements.html")]
struct ListPage {
    chrome: Chrome,
    filter: Filter,
    cases: Vec<Enforcement>,
    total: i64,
    pages: i64,
    stats: Statistics,
    chart: String,
    can_open: bool,
    orgs: Vec<yaolian_identity::Org>,
    statuses: &'static [(&'static str, &'static str)],
    failed: Failed,
}

impl Shows for ListPage {}

async fn render_list(state: &AppState, user: &PageUser, filter: Filter, failed: Failed) -> Response {
    let store = state.store();
    let (p, c) = (&user.principal, &user.client);
    let f = enforcement::Filter { status: filter.status.clone(), q: filter.q.clone() };
    let (list, total) = match enforcement::list(store, p, &f, (PAGE_SIZE, (filter.page() - 1) * PAGE_SIZE), c).await {
        Ok(x) => x,
        Err(e) => return failure_page(user.lang, e),
    };
    let stats = enforcement::statistics(store, p, c).await.unwrap_or_default();
    let chart = serde_json::json!({
        "x": stats.by_status.iter().map(|(code, _)| zh(enforcement::STATUSES, code)).collect::<Vec<_>>(),
        "series": [{"name": "案件", "data": stats.by_status.iter().map(|(_, n)| *n).collect::<Vec<_>>()}],
        "colors": ["#2e90fa"],
    })
    .to_string();
    let can_open = p.has(perm::SUPERVISION_MANAGE);
    let orgs =
        if can_open { super::org_picks(state, user, Some(yaolian_access::OrgKind::Company)).await } else { Vec::new() };
    let refused = failed.refused();
    let page = ListPage {
        chrome: user.chrome("enforcement"),
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        filter,
        cases: list,
        total,
        stats,
        chart,
        can_open,
        orgs,
        statuses: enforcement::STATUSES,
        failed,
    };
    super::render_form(&page, refused)
}

async fn list_page(State(state): State<AppState>, user: PageUser, Query(filter): Query<Filter>) -> Response {
    render_list(&state, &user, filter, Failed::default()).await
}

async fn export(
    State(state): State<AppState>,
    user: PageUser,
    format: super::export::Format,
    Query(filter): Query<Filter>,
) -> Response {
    let f = enforcement::Filter { status: filter.status.clone(), q: filter.q.clone() };
    match enforcement::list(state.store(), &user.principal, &f, (10_000, 0), &user.client).await {
        Ok((list, _)) => {
            super::export::send(&state, &user, "enforcement-cases", format, enforcement::table(&list)).await
        }
        Err(e) => failure_page(user.lang, e),
    }
}

async fn open(State(state): State<AppState>, user: PageUser, Form(pairs): Form<Vec<(String, String)>>) -> Response {
    let form = match posted(&user, &pairs) {
        Ok(f) => f,
        Err(page) => return page,
    };
    let refuse = |errors: Vec<FieldError>, kept: CaseForm| Failed { form: "open", kept, errors };
    let company = yaolian_access::OrgKind::Company;
    let company_id = match super::picked_org(&state, &user, "company_id", &form.company, Some(company)).await {
        Ok(id) => id,
        Err(Ok(errors)) => return render_list(&state, &user, Filter::default(), refuse(errors, form)).await,
        Err(Err(page)) => return page,
    };
    let new = enforcement::NewClue {
        company_id,
        title: form.title.clone(),
        facts: form.facts.clone(),
        clue_on: form.clue_on.clone(),
    };
    match enforcement::open(state.store(), &user.principal, &new, &user.client).await {
        Ok(e) => Redirect::to(&format!("/supervision/enforcements/{}?done=opened", e.id)).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_list(&state, &user, Filter::default(), refuse(errors, form)).await,
            Err(page) => page,
        },
    }
}

#[derive(Template)]
#[template(path = "supervision_enforcement.html")]
struct CasePage {
    chrome: Chrome,
    e: Enforcement,
    clocks: Vec<CaseClock>,
    checks: Vec<EvidenceCheck>,
    history: Vec<yaolian_store::RecordVersion>,
    signatures: Vec<yaolian_records::esign::SignatureView>,
    names: Names,
    officers: Vec<(String, String)>,
    is_head: bool,
    is_officer: bool,
    me: String,
    penalty_kinds: &'static [(&'static str, &'static str)],
    pause_kinds: Vec<(&'static str, &'static str)>,
    methods: &'static [(&'static str, &'static str)],
    failed: Failed,
    done: &'static str,
}

impl Shows for CasePage {}

impl CasePage {
    fn handler(&self) -> bool {
        self.e.is_handler(&self.me)
    }
    fn may(&self, step: &str) -> bool {
        let s = self.e.status.as_str();
        match step {
            "file" => self.is_head && s == "clue",
            "end" => self.is_head && ["clue", "filed", "review", "reviewed", "notified", "hearing"].contains(&s),
            "evidence" | "report" => self.handler() && s == "filed",
            "review" => self.is_officer && !self.handler() && s == "review",
            "notify" => self.is_head && s == "reviewed",
            "statement" => self.handler() && s == "notified",
            "hearing" => self.handler() && s == "notified" && self.e.hearing_right,
            "hearing_report" => self.handler() && s == "hearing",
            "decide" => self.is_head && s == "notified",
            "serve" => self.handler() && s == "decided",
            "execute" => self.handler() && s == "served",
            "close" => self.is_head && s == "executed",
            "pause" => self.handler() && !self.e.ended() && s != "hearing",
            "extend" => self.is_head && !self.e.ended() && s != "hearing",
            _ => false,
        }
    }
    fn picked(&self, login: &str) -> bool {
        self.failed.kept("file").handlers.iter().any(|m| m == login)
    }
    fn rows(&self) -> Vec<(String, String, String)> {
        let mut rows = if self.failed.form == "report" {
            self.failed.kept.penalties.clone()
        } else {
            self.e
                .penalties
                .iter()
                .map(|p| {
                    let amount =
                        if p.amount_fen > 0 { format!("{:.2}", p.amount_fen as f64 / 100.0) } else { String::new() };
                    (p.kind.clone(), amount, p.note.clone())
                })
                .collect()
        };
        rows.resize(PENALTY_ROWS, (String::new(), String::new(), String::new()));
        rows
    }
    fn check_of(&self, file_id: &i64) -> Option<&EvidenceCheck> {
        self.checks.iter().find(|c| c.locked.as_ref().is_some_and(|l| l.id == *file_id))
    }
    fn kept_or<'a>(&'a self, form: &str, kept: &'a str, stored: &'a str) -> &'a str {
        if self.failed.form == form {
            kept
        } else {
            stored
        }
    }
    fn doc_label(&self, kind: &str) -> &'static str {
        zh(documents::KINDS, kind)
    }
    fn action_label(&self, action: &str) -> &'static str {
        match action {
            "open" => "登记线索",
            "file" => "立案",
            "decline" => "不予立案",
            "terminate" => "终止调查",
            "evidence" => "调查取证",
            "report" => "调查终结",
            "review" => "法制审核",
            "notify" => "告知",
            "statement" => "陈述申辩",
            "hearing" => "要求听证",
            "hearing_report" => "听证报告",
            "pause" => "期限中止",
            "resume" => "期限恢复",
            "extend" => "延长期限",
            "decide" => "作出决定",
            "serve" => "送达",
            "execute" => "执行",
            "close" => "结案",
            _ => "变更",
        }
    }
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

async fn render_case(state: &AppState, user: &PageUser, id: i64, failed: Failed, done: &str) -> Response {
    let store = state.store();
    let (p, c) = (&user.principal, &user.client);
    let e = match enforcement::get(store, p, id, c).await {
        Ok(e) => e,
        Err(e) => return failure_page(user.lang, e),
    };
    let today = yaolian_core::Timestamp::now().china_date();
    let cal = yaolian_services::Calendar::load(store).await.unwrap_or_default();
    let clocks = enforcement::clocks(&e, &cal, today);
    let checks = enforcement::evidence_check(store, p, id, c).await.unwrap_or_default();
    let history =
        yaolian_store::versions::history(store.pool(), enforcement::ENTITY, &id.to_string()).await.unwrap_or_default();
    let signatures = enforcement::signatures(store, id).await.unwrap_or_default();
    let bureau = yaolian_identity::orgs::path_of(store, "org_id", e.org_id).await.unwrap_or_default();
    let is_officer = !bureau.is_empty() && p.reaches(perm::SUPERVISION_MANAGE, &bureau);
    let is_head = !bureau.is_empty() && p.reaches(perm::SUPERVISION_CONFIGURE, &bureau);
    let officers = if is_head { enforcement::officers(store, &e).await.unwrap_or_default() } else { Vec::new() };
    let mut logins: Vec<&str> = history.iter().map(|v| v.actor.as_str()).collect();
    logins.extend(e.handlers.iter().map(String::as_str));
    logins.extend(e.reviewer.as_deref());
    let names = Names::of_logins(state, logins).await;
    let mut chrome = user.chrome("enforcement");
    chrome.title = format!("{} {}", e.number, e.title);
    let done = match done {
        "opened" => "线索已登记，请在十五个工作日内核查并决定是否立案",
        "file" => "已批准立案",
        "end" => "案件已办结（不予立案或终止调查）",
        "evidence" => "证据已上传，SM3 已固化",
        "report" => "调查终结报告已提交，待法制审核",
        "review" => "法制审核意见已签署",
        "notify" => "行政处罚事先告知书已签章送达，当事人陈述申辩期开始计算",
        "statement" => "当事人陈述、申辩已记录",
        "hearing" => "已记录听证要求，决定期限中止计算",
        "hearing_report" => "听证报告已记录，决定期限恢复计算",
        "pause" => "期限中止已记录",
        "resume" => "期限已恢复计算",
        "extend" => "期限已延长",
        "decide" => "行政处罚决定书已签章，请在七个工作日内送达",
        "serve" => "送达已记录",
        "execute" => "执行情况已记录",
        "close" => "案件已结案",
        _ => "",
    };
    let refused = failed.refused();
    let page = CasePage {
        chrome,
        e,
        clocks,
        checks,
        history,
        signatures,
        names,
        officers,
        is_head,
        is_officer,
        me: p.username().to_string(),
        penalty_kinds: PENALTY_KINDS,
        pause_kinds: yaolian_supervision::clock::PAUSE_KINDS.iter().copied().filter(|(c, _)| *c != "hearing").collect(),
        methods: enforcement::SERVICE_METHODS,
        failed,
        done,
    };
    super::render_form(&page, refused)
}

async fn case_page(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(d): Query<Done>,
) -> Response {
    render_case(&state, &user, id, Failed::default(), &d.done).await
}

fn path_id(user: &PageUser, raw: &str) -> Result<i64, Response> {
    raw.parse::<i64>()
        .map_err(|_| super::error_page(user.lang, StatusCode::NOT_FOUND, user.lang.t("err.record_not_found")))
}

/// One step of a case, by the path's last segment.
async fn case_step(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, step)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let id = match path_id(&user, &id) {
        Ok(id) => id,
        Err(page) => return page,
    };
    let f = match posted(&user, &pairs) {
        Ok(f) => f,
        Err(page) => return page,
    };
    let one = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let (password, totp) = (one("password"), one("totp"));
    let signing = (password.as_str(), Some(totp.as_str()).filter(|t| !t.trim().is_empty()));
    let (store, identity, sealing) = (state.store(), state.identity(), state.sealing());
    let (p, c) = (&user.principal, &user.client);
    let dated = |f: &CaseForm, paid_fen: i64| Dated {
        on: f.on.clone(),
        text: f.text.clone(),
        method: f.method.clone(),
        paid_fen,
        version: f.version,
    };
    let name: &'static str = match step.as_str() {
        "file" => "file",
        "end" => "end",
        "report" => "report",
        "review" => "review",
        "notify" => "notify",
        "statement" => "statement",
        "hearing" => "hearing",
        "hearing_report" => "hearing_report",
        "pause" => "pause",
        "resume" => "resume",
        "extend" => "extend",
        "decide" => "decide",
        "serve" => "serve",
        "execute" => "execute",
        "close" => "close",
        _ => return super::error_page(user.lang, StatusCode::NOT_FOUND, user.lang.t("err.record_not_found")),
    };
    let result = match name {
        "file" => {
            let filing = enforcement::Filing { handlers: f.handlers.clone(), version: f.version };
            enforcement::file(store, identity, p, id, &filing, signing, c).await
        }
        "end" | "close" => {
            let x = enforcement::Ending { reason: f.reason.clone(), version: f.version };
            if name == "end" {
                enforcement::end(store, identity, p, id, &x, signing, c).await
            } else {
                enforcement::close(store, identity, p, id, &x, signing, c).await
            }
        }
        "report" => {
            let mut penalties = Vec::new();
            let mut errors = Vec::new();
            for (n, (kind, amount, note)) in f.penalties.iter().enumerate() {
                if kind.is_empty() {
                    continue;
                }
                match fen(&format!("penalties[{n}].amount_fen"), amount) {
                    Ok(amount_fen) => penalties.push(Penalty { kind: kind.clone(), amount_fen, note: note.clone() }),
                    Err(mut e) => errors.append(&mut e),
                }
            }
            if !errors.is_empty() {
                return render_case(&state, &user, id, Failed { form: name, kept: f, errors }, "").await;
            }
            let r = enforcement::Investigation {
                facts: f.facts.clone(),
                legal_basis: f.legal_basis.clone(),
                penalty_basis: f.penalty_basis.clone(),
                penalties,
                hearing_right: f.hearing_right,
                version: f.version,
            };
            enforcement::submit_report(store, p, id, &r, c).await
        }
        "review" => {
            let r = enforcement::Review { passed: f.passed == "1", opinion: f.opinion.clone(), version: f.version };
            enforcement::review(store, identity, p, id, &r, signing, c).await
        }
        "notify" => enforcement::notify(store, identity, sealing, p, id, &dated(&f, 0), signing, c).await,
        "statement" => enforcement::record_statement(store, p, id, &dated(&f, 0), c).await,
        "hearing" => enforcement::request_hearing(store, p, id, &dated(&f, 0), c).await,
        "hearing_report" => enforcement::hearing_report(store, p, id, &dated(&f, 0), c).await,
        "pause" => {
            let n = enforcement::NewPause {
                kind: f.kind.clone(),
                from: f.from.clone(),
                note: f.note.clone(),
                version: f.version,
            };
            enforcement::pause(store, p, id, &n, c).await
        }
        "resume" => {
            let pause_id = one("pause_id").trim().parse::<i64>().unwrap_or(0);
            enforcement::resume(store, p, id, pause_id, &dated(&f, 0), c).await
        }
        "extend" => {
            let x = enforcement::Extension { limit: f.limit.clone(), reason: f.reason.clone(), version: f.version };
            enforcement::extend(store, identity, p, id, &x, signing, c).await
        }
        "decide" => {
            let d = enforcement::Decision {
                outcome: f.outcome.clone(),
                consideration: f.consideration.clone(),
                version: f.version,
            };
            enforcement::decide(store, identity, sealing, p, id, &d, signing, c).await
        }
        "serve" => enforcement::serve(store, p, id, &dated(&f, 0), c).await,
        _ => match fen("paid_fen", &f.paid) {
            Ok(paid) => enforcement::execute(store, p, id, &dated(&f, paid), c).await,
            Err(errors) => return render_case(&state, &user, id, Failed { form: name, kept: f, errors }, "").await,
        },
    };
    match result {
        Ok(_) => Redirect::to(&format!("/supervision/enforcements/{id}?done={name}")).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_case(&state, &user, id, Failed { form: name, kept: f, errors }, "").await,
            Err(page) => page,
        },
    }
}

/// Evidence files (multipart), locked as they are stored.
async fn evidence(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    form: axum::extract::Multipart,
) -> Response {
    let form = match super::multipart_form(&user, form).await {
        Ok(f) => f,
        Err(page) => return page,
    };
    let text = |k: &str| form.texts.get(k).cloned().unwrap_or_default();
    let label =
        if text("label").trim().is_empty() { "证据材料".to_string() } else { text("label").trim().to_string() };
    let version = text("version").trim().parse().unwrap_or(0);
    let kept = CaseForm { note: label.clone(), version, ..CaseForm::default() };
    let uploads: Vec<_> = form.files.into_iter().map(|f| f.upload(&label)).collect();
    match enforcement::add_evidence(state.store(), &user.principal, id, &uploads, version, &user.client).await {
        Ok(_) => Redirect::to(&format!("/supervision/enforcements/{id}?done=evidence")).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_case(&state, &user, id, Failed { form: "evidence", kept, errors }, "").await,
            Err(page) => page,
        },
    }
}

async fn evidence_file(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    let (Ok(id), Ok(file)) = (id.parse::<i64>(), file.parse::<i64>()) else {
        return super::error_page(user.lang, StatusCode::NOT_FOUND, user.lang.t("err.record_not_found"));
    };
    match enforcement::evidence_file(state.store(), &user.principal, id, file, &user.client).await {
        Ok(f) => crate::api::file_response(&f.name, f.content_type, f.sm3, f.bytes),
        Err(e) => failure_page(user.lang, e),
    }
}

/// A risk case whose measures include 立案 opens (or shows) its enforcement case.
async fn from_case(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(page) = posted(&user, &pairs) {
        return page;
    }
    match enforcement::from_case(state.store(), &user.principal, id, &user.client).await {
        Ok(e) => Redirect::to(&format!("/supervision/enforcements/{}", e.id)).into_response(),
        Err(e) => failure_page(user.lang, e),
    }
}

#[derive(Template)]
#[template(path = "enforcement_print.html")]
struct PrintPage {
    chrome: Chrome,
    v: SealedView,
    url: String,
    qr: String,
}

async fn print(State(state): State<AppState>, user: PageUser, headers: HeaderMap, IdPath(id): IdPath) -> Response {
    match enforcement::document(state.store(), &user.principal, id, &user.client).await {
        Ok(v) => {
            let url = super::license::site_url(&state, &headers, &format!("/v/d/{}", v.verify_code));
            render(&PrintPage { chrome: user.chrome("enforcement"), qr: super::license::qr_svg(&url), url, v })
        }
        Err(e) => failure_page(user.lang, e),
    }
}

/// The export file of a sealed document (audited), as the browser downloads it.
async fn download(State(state): State<AppState>, user: PageUser, IdPath(id): IdPath) -> Response {
    match enforcement::export_document(state.store(), &user.principal, id, &user.client).await {
        Ok(signed) => {
            let disposition = format!("attachment; filename=\"enforcement-document-{id}.json\"");
            (
                [(header::CONTENT_TYPE, "application/json".to_string()), (header::CONTENT_DISPOSITION, disposition)],
                signed.to_file(),
            )
                .into_response()
        }
        Err(e) => failure_page(user.lang, e),
    }
}

#[derive(Template)]
#[template(path = "enforcement_verify.html")]
struct VerifyPage {
    chrome: Chrome,
    v: Option<enforcement::DocumentVerification>,
    code: String,
}

impl VerifyPage {
    fn checked_at(&self, v: &enforcement::DocumentVerification) -> String {
        chrono::DateTime::parse_from_rfc3339(&v.checked_at)
            .map(|t| yaolian_core::Timestamp(t.timestamp_millis()).to_china_string())
            .unwrap_or_else(|_| v.checked_at.clone())
    }
}

/// The page a document's QR code opens: anyone, no login, a phone-sized answer.
async fn verify_page(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    Path(code): Path<String>,
) -> Response {
    let lang = Lang::from_parts(&parts);
    let chrome = Chrome::anonymous(lang, "执法文书核验", &format!("/v/d/{code}"));
    match enforcement::verify_public(state.store(), &code).await {
        Ok(v) => render(&VerifyPage { chrome, v: Some(v), code }),
        Err(SupervisionError::Shared(yaolian_identity::IdentityError::NotFound(_))) => {
            let mut r = render(&VerifyPage { chrome, v: None, code });
            *r.status_mut() = StatusCode::NOT_FOUND;
            r
        }
        Err(e) => failure_page(lang, e),
    }
}

#[derive(Template)]
#[template(path = "supervision_complaints.html")]
struct ComplaintsPage {
    chrome: Chrome,
    filter: Filter,
    list: Vec<Complaint>,
    total: i64,
    pages: i64,
    today: String,
    can_register: bool,
    orgs: Vec<yaolian_identity::Org>,
    statuses: &'static [(&'static str, &'static str)],
    kinds: &'static [(&'static str, &'static str)],
    channels: &'static [(&'static str, &'static str)],
    failed: Failed,
}

impl Shows for ComplaintsPage {}

impl ComplaintsPage {
    fn complaint_status(&self, code: &str) -> &'static str {
        zh(complaints::STATUSES, code)
    }
    fn kind_label(&self, code: &str) -> &'static str {
        zh(complaints::KINDS, code)
    }
    fn channel_label(&self, code: &str) -> &'static str {
        zh(complaints::CHANNELS, code)
    }
}

async fn render_complaints(state: &AppState, user: &PageUser, filter: Filter, failed: Failed) -> Response {
    let store = state.store();
    let (p, c) = (&user.principal, &user.client);
    let f = complaints::Filter { status: filter.status.clone(), q: filter.q.clone() };
    let (list, total) = match complaints::list(store, p, &f, (PAGE_SIZE, (filter.page() - 1) * PAGE_SIZE), c).await {
        Ok(x) => x,
        Err(e) => return failure_page(user.lang, e),
    };
    let can_register = p.has(perm::SUPERVISION_MANAGE);
    let orgs = if can_register {
        super::org_picks(state, user, Some(yaolian_access::OrgKind::Company)).await
    } else {
        Vec::new()
    };
    let refused = failed.refused();
    let page = ComplaintsPage {
        chrome: user.chrome("complaints"),
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        filter,
        list,
        total,
        today: yaolian_core::Timestamp::now().china_date().to_string(),
        can_register,
        orgs,
        statuses: complaints::STATUSES,
        kinds: complaints::KINDS,
        channels: complaints::CHANNELS,
        failed,
    };
    super::render_form(&page, refused)
}

async fn complaints_page(State(state): State<AppState>, user: PageUser, Query(filter): Query<Filter>) -> Response {
    render_complaints(&state, &user, filter, Failed::default()).await
}

async fn export_complaints(
    State(state): State<AppState>,
    user: PageUser,
    format: super::export::Format,
    Query(filter): Query<Filter>,
) -> Response {
    let f = complaints::Filter { status: filter.status.clone(), q: filter.q.clone() };
    match complaints::list(state.store(), &user.principal, &f, (10_000, 0), &user.client).await {
        Ok((list, _)) => super::export::send(&state, &user, "complaints", format, complaints::table(&list)).await,
        Err(e) => failure_page(user.lang, e),
    }
}

async fn register(State(state): State<AppState>, user: PageUser, Form(pairs): Form<Vec<(String, String)>>) -> Response {
    let form = match posted(&user, &pairs) {
        Ok(f) => f,
        Err(page) => return page,
    };
    let refuse = |errors: Vec<FieldError>, kept: CaseForm| Failed { form: "register", kept, errors };
    let company_id = if form.company.trim().is_empty() {
        None
    } else {
        let company = yaolian_access::OrgKind::Company;
        match super::picked_org(&state, &user, "company_id", &form.company, Some(company)).await {
            Ok(id) => Some(id),
            Err(Ok(errors)) => return render_complaints(&state, &user, Filter::default(), refuse(errors, form)).await,
            Err(Err(page)) => return page,
        }
    };
    let n = NewComplaint {
        kind: form.kind.clone(),
        channel: form.channel.clone(),
        company_id,
        subject: form.title.clone(),
        content: form.facts.clone(),
        reporter: form.reporter.clone(),
        contact: form.contact.clone(),
        real_name: form.real_name,
        received_on: form.on.clone(),
    };
    match complaints::register(state.store(), &user.principal, &n, &user.client).await {
        Ok(t) => Redirect::to(&format!("/supervision/complaints/{}?done=registered", t.id)).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_complaints(&state, &user, Filter::default(), refuse(errors, form)).await,
            Err(page) => page,
        },
    }
}

#[derive(Template)]
#[template(path = "supervision_complaint.html")]
struct ComplaintPage {
    chrome: Chrome,
    t: Complaint,
    history: Vec<yaolian_store::RecordVersion>,
    names: Names,
    can_handle: bool,
    today: String,
    failed: Failed,
    done: &'static str,
}

impl Shows for ComplaintPage {}

impl ComplaintPage {
    fn complaint_status(&self, code: &str) -> &'static str {
        zh(complaints::STATUSES, code)
    }
    fn kind_label(&self, code: &str) -> &'static str {
        zh(complaints::KINDS, code)
    }
    fn channel_label(&self, code: &str) -> &'static str {
        zh(complaints::CHANNELS, code)
    }
    fn action_label(&self, action: &str) -> &'static str {
        match action {
            "register" => "登记",
            "accept" => "受理",
            "reject" => "不予受理",
            "reply" => "答复",
            "convert" => "转立案",
            _ => "变更",
        }
    }
}

async fn render_complaint(state: &AppState, user: &PageUser, id: i64, failed: Failed, done: &str) -> Response {
    let store = state.store();
    let (p, c) = (&user.principal, &user.client);
    let t = match complaints::get(store, p, id, c).await {
        Ok(t) => t,
        Err(e) => return failure_page(user.lang, e),
    };
    let history =
        yaolian_store::versions::history(store.pool(), complaints::ENTITY, &id.to_string()).await.unwrap_or_default();
    let bureau = yaolian_identity::orgs::path_of(store, "org_id", t.org_id).await.unwrap_or_default();
    let can_handle = !bureau.is_empty() && p.reaches(perm::SUPERVISION_MANAGE, &bureau);
    let names = Names::of_logins(state, history.iter().map(|v| v.actor.as_str())).await;
    let mut chrome = user.chrome("complaints");
    chrome.title = format!("{} {}", t.number, t.subject);
    let done = match done {
        "registered" => "已登记",
        "triage" => "受理意见已记录",
        "reply" => "答复已记录",
        _ => "",
    };
    let refused = failed.refused();
    let page = ComplaintPage {
        chrome,
        t,
        history,
        names,
        can_handle,
        today: yaolian_core::Timestamp::now().china_date().to_string(),
        failed,
        done,
    };
    super::render_form(&page, refused)
}

async fn complaint_page(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(d): Query<Done>,
) -> Response {
    render_complaint(&state, &user, id, Failed::default(), &d.done).await
}

async fn complaint_step(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, step)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let id = match path_id(&user, &id) {
        Ok(id) => id,
        Err(page) => return page,
    };
    let f = match posted(&user, &pairs) {
        Ok(f) => f,
        Err(page) => return page,
    };
    let (store, p, c) = (state.store(), &user.principal, &user.client);
    let (name, result): (&'static str, Result<i64, SupervisionError>) = match step.as_str() {
        "triage" => {
            let t = complaints::Triage { accept: f.passed == "1", note: f.note.clone(), version: f.version };
            ("triage", complaints::triage(store, p, id, &t, c).await.map(|_| 0))
        }
        "reply" => {
            let r = complaints::Reply { text: f.text.clone(), version: f.version };
            ("reply", complaints::reply(store, p, id, &r, c).await.map(|_| 0))
        }
        "enforcement" => {
            ("enforcement", complaints::to_enforcement(store, p, id, f.version, c).await.map(|(_, e)| e.id))
        }
        _ => return super::error_page(user.lang, StatusCode::NOT_FOUND, user.lang.t("err.record_not_found")),
    };
    match result {
        Ok(case_id) if name == "enforcement" => {
            Redirect::to(&format!("/supervision/enforcements/{case_id}?done=opened")).into_response()
        }
        Ok(_) => Redirect::to(&format!("/supervision/complaints/{id}?done={name}")).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_complaint(&state, &user, id, Failed { form: name, kept: f, errors }, "").await,
            Err(page) => page,
        },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn yuan_as_typed_reads_as_fen() {
        assert_eq!(fen("x", "50000").unwrap(), 5_000_000);
        assert_eq!(fen("x", "1,200.5").unwrap(), 120_050);
        assert_eq!(fen("x", "").unwrap(), 0);
        for bad in ["-1", "1.234", "abc", ".5", "99999999999999"] {
            assert_eq!(fen("x", bad).unwrap_err()[0].field, "x", "{bad}");
        }
    }
}
