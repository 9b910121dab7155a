//! The security audit table (安全审计): logins, logouts, failures, lockouts, denied requests and
//! every administrative change, with actor, IP, user agent and time. Read only by holders of
//! `audit.read` (the audit administrator, 审计管理员).

use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_access::error::Result;
use yaolian_access::{perm, AccessError, ClientInfo, Principal};
use yaolian_core::time::{CHINA_MS, DAY_MS};
use yaolian_core::Timestamp;
use yaolian_store::ledger;
use yaolian_store::sql::Params;
use yaolian_store::versions::{self, NewVersion};
use yaolian_store::{Store, Tx};

pub mod alerts;
pub mod labels;

/// Audit actions with a stable name.
pub mod action {
    pub const LOGIN: &str = "login";
    pub const LOGIN_FAILED: &str = "login_failed";
    pub const LOCKOUT: &str = "lockout";
    pub const LOGOUT: &str = "logout";
    pub const MFA_FAILED: &str = "mfa_failed";
    pub const MFA_ENROLLED: &str = "mfa_enrolled";
    pub const PERMISSION_DENIED: &str = "permission_denied";
    pub const ORG_CREATE: &str = "org_create";
    pub const USER_CREATE: &str = "user_create";
    pub const USER_UPDATE: &str = "user_update";
    pub const USER_DISABLE: &str = "user_disable";
    pub const USER_ENABLE: &str = "user_enable";
    pub const USER_UNLOCK: &str = "user_unlock";
    pub const PASSWORD_RESET: &str = "password_reset";
    pub const PASSWORD_CHANGE: &str = "password_change";
    pub const ROLES_ASSIGN: &str = "roles_assign";
    pub const ROLE_UPDATE: &str = "role_update";
    /// A role change touching the three administrators, proposed (two-person rule).
    pub const ROLE_REQUEST: &str = "role_request";
    pub const ROLE_REQUEST_APPROVE: &str = "role_request_approve";
    pub const ROLE_REQUEST_REFUSE: &str = "role_request_refuse";
    pub const TOKEN_CREATE: &str = "token_create";
    pub const TOKEN_REVOKE: &str = "token_revoke";
    pub const EXPORT: &str = "export";
    pub const ALERT_RULE_UPDATE: &str = "alert_rule_update";
    pub const PRODUCT_CREATE: &str = "product_create";
    pub const PRODUCT_UPDATE: &str = "product_update";
    pub const COMPANY_UPDATE: &str = "company_update";
    pub const PERSON_CREATE: &str = "person_create";
    pub const SIGN: &str = "sign";
    pub const LICENSE_ISSUE: &str = "license_issue";
    pub const LICENSE_CHANGE: &str = "license_change";
    pub const LICENSE_RENEW: &str = "license_renew";
    pub const LICENSE_SUSPEND: &str = "license_suspend";
    pub const LICENSE_REINSTATE: &str = "license_reinstate";
    pub const LICENSE_REVOKE: &str = "license_revoke";
    pub const LICENSE_EXPORT: &str = "license_export";
    pub const APPLICATION_SUBMIT: &str = "application_submit";
    pub const APPLICATION_STEP: &str = "application_step";
    pub const SERVICE_TYPE_UPDATE: &str = "service_type_update";
    pub const SIGN_FAILED: &str = "sign_failed";
    pub const TRACE_CAPTURE: &str = "trace_capture";
    pub const TRACE_SITE: &str = "trace_site";
    pub const TRACE_PACK_CODE: &str = "trace_pack_code";
    pub const RECALL_OPEN: &str = "recall_open";
    pub const RECALL_CLOSE: &str = "recall_close";
    pub const ANOMALY_CLOSE: &str = "anomaly_close";
    /// A company's answer (异常说明) to an anomaly that concerns it.
    pub const ANOMALY_ANSWER: &str = "anomaly_answer";
    /// An anomaly withdrawn by the system (自动撤销) when the missing earlier event arrived.
    pub const ANOMALY_WITHDRAW: &str = "anomaly_withdraw";
    pub const INVENTORY_ITEM: &str = "inventory_item";
    pub const INVENTORY_RECEIVE: &str = "inventory_receive";
    pub const INVENTORY_ISSUE: &str = "inventory_issue";
    pub const INVENTORY_RETURN: &str = "inventory_return";
    pub const INVENTORY_COUNT: &str = "inventory_count";
    /// A count's adjustment approved or rejected (库存调整审批).
    pub const INVENTORY_ADJUST: &str = "inventory_adjust";
    pub const INVENTORY_DISPOSE: &str = "inventory_dispose";
    /// A lot moved to another room, cabinet or shelf (移库).
    pub const INVENTORY_TRANSFER: &str = "inventory_transfer";
    /// A deviation reported, investigated, extended or approved (偏差).
    pub const QUALITY_DEVIATION: &str = "quality_deviation";
    /// A CAPA opened, an action done, closed, or its effectiveness checked (纠正预防措施).
    pub const QUALITY_CAPA: &str = "quality_capa";
    /// A controlled document drafted, submitted, approved, made obsolete, or a training recorded.
    pub const QUALITY_DOCUMENT: &str = "quality_document";
    /// A change requested, assessed, approved, implemented or closed (变更控制).
    pub const QUALITY_CHANGE: &str = "quality_change";
    /// An instrument registered or calibrated (仪器设备).
    pub const LAB_INSTRUMENT: &str = "lab_instrument";
    /// An instrument used (仪器使用).
    pub const LAB_INSTRUMENT_USE: &str = "lab_instrument_use";
    /// An instrument result delivered by the capture agent, or delivered again (仪器数据接收).
    pub const LAB_RESULT: &str = "lab_result";
    /// A lab record template version drafted, edited or approved (实验记录模板).
    pub const LAB_TEMPLATE: &str = "lab_template";
    /// A lab record created, filled, corrected, submitted, reviewed or approved (实验记录).
    pub const LAB_RECORD: &str = "lab_record";
    /// A laboratory room set up, or an environment reading recorded (环境监测).
    pub const LAB_ENVIRONMENT: &str = "lab_environment";
    /// An R&D project proposed, decided, planned, progressed or closed (研发项目).
    pub const LAB_PROJECT: &str = "lab_project";
    /// A risk case raised, assigned, disposed, verified or closed (风险处置).
    pub const SUP_CASE: &str = "sup_case";
    /// A bureau's risk model and credit scheme changed (风险模型).
    pub const SUP_MODEL: &str = "sup_model";
    /// Risk scores and credit grades recomputed (风险评分).
    pub const SUP_SCORE: &str = "sup_score";
    /// An annual inspection plan generated or published (年度检查计划).
    pub const SUP_PLAN: &str = "sup_plan";
    /// An inspection planned, moved, cancelled or carried out (检查).
    pub const SUP_INSPECTION: &str = "sup_inspection";
    /// A sampling plan made or a sample taken, handed over, tested or reported (抽检).
    pub const SUP_SAMPLE: &str = "sup_sample";
    /// An enforcement case (行政处罚案件) opened, filed, investigated, reviewed, noticed, decided,
    /// served, executed or closed, or a pause of its clock.
    pub const SUP_ENFORCEMENT: &str = "sup_enforcement";
    /// A complaint or report (投诉举报) registered, triaged, answered or turned into a case.
    pub const SUP_COMPLAINT: &str = "sup_complaint";
    /// A sealed enforcement document exported as a file (执法文书导出).
    pub const SUP_DOCUMENT_EXPORT: &str = "sup_document_export";
    /// An adverse drug reaction report submitted (不良反应报告).
    pub const ADR_REPORT: &str = "adr_report";
    /// Signal detection run over the reports in a bureau's region (信号检测).
    pub const ADR_RUN: &str = "adr_run";
    /// A signal found, re-measured or decided, or raised as a case (信号评价).
    pub const ADR_SIGNAL: &str = "adr_signal";
    /// A production line or one of its parameters defined (生产黑匣子).
    pub const BB_LINE: &str = "bb_line";
    /// Process points received from a company's systems (生产数据上传).
    pub const BB_INGEST: &str = "bb_ingest";
    /// A black-box warning raised by a rule, or decided (生产预警).
    pub const BB_WARNING: &str = "bb_warning";
    /// An eCTD sequence's transfer step, sent or received: manifest, chunks complete,
    /// acknowledgement (电子申报传输).
    pub const SUBMISSION_TRANSFER: &str = "submission_transfer";
    /// An eCTD application or sequence drafted or built (电子申报编制).
    pub const SUBMISSION: &str = "submission";

    /// Every action, in the order the audit page offers them as a filter.
    pub const ALL: &[&str] = &[
        LOGIN,
        LOGIN_FAILED,
        LOCKOUT,
        LOGOUT,
        MFA_FAILED,
        MFA_ENROLLED,
        PERMISSION_DENIED,
        ORG_CREATE,
        USER_CREATE,
        USER_UPDATE,
        USER_DISABLE,
        USER_ENABLE,
        USER_UNLOCK,
        PASSWORD_RESET,
        PASSWORD_CHANGE,
        ROLES_ASSIGN,
        ROLE_UPDATE,
        ROLE_REQUEST,
        ROLE_REQUEST_APPROVE,
        ROLE_REQUEST_REFUSE,
        TOKEN_CREATE,
        TOKEN_REVOKE,
        EXPORT,
        ALERT_RULE_UPDATE,
        PRODUCT_CREATE,
        PRODUCT_UPDATE,
        COMPANY_UPDATE,
        PERSON_CREATE,
        SIGN,
        LICENSE_ISSUE,
        LICENSE_CHANGE,
        LICENSE_RENEW,
        LICENSE_SUSPEND,
        LICENSE_REINSTATE,
        LICENSE_REVOKE,
        LICENSE_EXPORT,
        APPLICATION_SUBMIT,
        APPLICATION_STEP,
        SERVICE_TYPE_UPDATE,
        SIGN_FAILED,
        TRACE_CAPTURE,
        TRACE_SITE,
        TRACE_PACK_CODE,
        RECALL_OPEN,
        RECALL_CLOSE,
        ANOMALY_CLOSE,
        ANOMALY_ANSWER,
        ANOMALY_WITHDRAW,
        INVENTORY_ITEM,
        INVENTORY_RECEIVE,
        INVENTORY_ISSUE,
        INVENTORY_RETURN,
        INVENTORY_COUNT,
        INVENTORY_ADJUST,
        INVENTORY_DISPOSE,
        INVENTORY_TRANSFER,
        QUALITY_DEVIATION,
        QUALITY_CAPA,
        QUALITY_DOCUMENT,
        QUALITY_CHANGE,
        LAB_INSTRUMENT,
        LAB_INSTRUMENT_USE,
        LAB_RESULT,
        LAB_TEMPLATE,
        LAB_RECORD,
        LAB_ENVIRONMENT,
        LAB_PROJECT,
        SUP_CASE,
        SUP_MODEL,
        SUP_SCORE,
        SUP_PLAN,
        SUP_INSPECTION,
        SUP_SAMPLE,
        SUP_ENFORCEMENT,
        SUP_COMPLAINT,
        SUP_DOCUMENT_EXPORT,
        ADR_REPORT,
        ADR_RUN,
        ADR_SIGNAL,
        BB_LINE,
        BB_INGEST,
        BB_WARNING,
        SUBMISSION,
        SUBMISSION_TRANSFER,
    ];

    /// Administrative changes: outside working hours they raise an alert.
    pub const ADMINISTRATIVE: &[&str] = &[
        ORG_CREATE,
        USER_CREATE,
        USER_UPDATE,
        USER_DISABLE,
        USER_ENABLE,
        USER_UNLOCK,
        PASSWORD_RESET,
        ROLES_ASSIGN,
        ROLE_UPDATE,
        ROLE_REQUEST,
        ROLE_REQUEST_APPROVE,
        ROLE_REQUEST_REFUSE,
        TOKEN_CREATE,
        TOKEN_REVOKE,
        ALERT_RULE_UPDATE,
    ];
}

/// One audit event to record.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub actor_id: Option<i64>,
    pub actor_name: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    /// `ok`, `denied` or `failed`.
    pub outcome: &'a str,
    pub client: &'a ClientInfo,
    pub detail: &'a str,
}

impl<'a> Event<'a> {
    /// An event done by `principal`.
    pub fn by(principal: &'a Principal, action: &'a str, target: &'a str, client: &'a ClientInfo) -> Self {
        Event {
            actor_id: (!principal.is_system()).then_some(principal.user_id()),
            actor_name: principal.username(),
            action,
            target,
            outcome: "ok",
            client,
            detail: "",
        }
    }
}

/// Writes an event inside the caller's transaction and returns its id. The event is also a
/// ledger entry (entity `audit`), so the audit trail is as tamper-evident as the records it
/// describes; alert rules that the action can trip are evaluated in the same transaction.
pub async fn record(tx: &mut Tx<'_>, event: Event<'_>) -> Result<i64> {
    let at = Timestamp::now();
    let ip = truncate(&event.client.ip, 64);
    let user_agent = truncate(&event.client.user_agent, 256);
    let actor_name = truncate(event.actor_name, 64);
    let id: i64 = sqlx::query(
        "INSERT INTO audit_events (at, actor_id, actor_name, action, target, outcome, ip, user_agent, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(at.0)
    .bind(event.actor_id)
    .bind(&actor_name)
    .bind(event.action)
    .bind(event.target)
    .bind(event.outcome)
    .bind(&ip)
    .bind(&user_agent)
    .bind(event.detail)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    let data = ledger::audit_event_json(&ledger::AuditEventData {
        at: at.0,
        actor_id: event.actor_id,
        actor_name: &actor_name,
        action: event.action,
        target: event.target,
        outcome: event.outcome,
        ip: &ip,
        user_agent: &user_agent,
        detail: event.detail,
    });
    versions::append(
        tx,
        NewVersion {
            entity: AUDIT_ENTITY,
            entity_id: &id.to_string(),
            actor: &actor_name,
            action: event.action,
            // Never empty: should a deleted row's id be reused (SQLite reuses the highest id),
            // the new event becomes version 2 and the deleted one stays visible to `verify`.
            reason: "安全审计事件",
            data: &data,
            expected_version: None,
        },
    )
    .await?;
    // The daily rollups that the audit page counts from (`summary`, `per_day`), kept exactly in
    // step with audit_events by being written here, in the same transaction. After the ledger
    // entry on purpose: on PostgreSQL the transaction then already holds the ledger head (every
    // ledger writer's serialization point) when it locks a rollup row, so two transactions can
    // never each hold one and wait for the other.
    let day = china_day(at.0);
    sqlx::query(
        "INSERT INTO audit_daily_actions (day, action, outcome, n) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (day, action, outcome) DO UPDATE SET n = audit_daily_actions.n + excluded.n",
    )
    .bind(day)
    .bind(event.action)
    .bind(event.outcome)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO audit_daily_actors (day, actor_name, n) VALUES ($1, $2, 1) \
         ON CONFLICT (day, actor_name) DO UPDATE SET n = audit_daily_actors.n + excluded.n",
    )
    .bind(day)
    .bind(&actor_name)
    .execute(&mut **tx)
    .await?;
    alerts::evaluate(tx, &event, &actor_name, &ip, at).await?;
    Ok(id)
}

/// The China calendar day of a time, as a day number (the `day` of the rollups
/// `audit_daily_actions` and `audit_daily_actors`; their migration's backfill computes the same
/// `(at + 8 h) / 1 day`).
fn china_day(at: i64) -> i64 {
    Timestamp(at).china_day_number()
}

/// When China day `day` starts, in ms since the epoch.
fn day_start(day: i64) -> i64 {
    Timestamp::china_day_number_start(day).0
}

/// A period `[from, to)` as the counts read it: the whole China days in it from the daily
/// rollups (`days`), and what is left at either end — less than a day each — from
/// `audit_events` by its `at` index (`edges`; empty ranges when the period starts or ends at a
/// day's start). The audit page asks from a day's start until now, so it reads the rollup alone;
/// the API may pass any time and still gets exact counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    /// China day numbers, `start..end`.
    days: (i64, i64),
    /// Time ranges `[start, end)` in ms, each shorter than a day.
    edges: [(i64, i64); 2],
}

impl Span {
    /// Without `to`, the period runs on past now (the rollup's newest day included).
    fn new(from: i64, to: Option<i64>) -> Span {
        let mut first = china_day(from);
        if day_start(first) < from {
            first += 1;
        }
        let end = to.map_or(i64::MAX, china_day);
        if first >= end {
            // Within a day (or two partial ones): no whole day to read from the rollup.
            return Span { days: (0, 0), edges: [(from, to.unwrap_or(i64::MAX)), (0, 0)] };
        }
        let head = (from, day_start(first));
        let tail = to.map_or((0, 0), |to| (day_start(end), to));
        Span { days: (first, end), edges: [head, tail] }
    }
}

pub use yaolian_store::ledger::AUDIT_ENTITY;

/// Writes an event in a transaction of its own.
pub async fn record_now(store: &Store, event: Event<'_>) -> Result<i64> {
    let mut tx = store.begin().await?;
    let id = record(&mut tx, event).await?;
    tx.commit().await?;
    Ok(id)
}

/// Records a bulk export (导出) of `rows` rows of `what`; repeated exports trip an alert rule.
pub async fn record_export(
    store: &Store,
    principal: &Principal,
    what: &str,
    rows: usize,
    client: &ClientInfo,
) -> Result<()> {
    let detail = format!("{rows} rows");
    record_now(store, Event { detail: &detail, ..Event::by(principal, action::EXPORT, what, client) }).await?;
    Ok(())
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Records a refused request and returns the error to give the caller, in the caller's own
/// error type.
pub async fn deny<E: From<AccessError>>(
    store: &Store,
    principal: &Principal,
    permission: &str,
    target: &str,
    client: &ClientInfo,
) -> E {
    let detail = format!("missing permission {permission}");
    let event =
        Event { outcome: "denied", detail: &detail, ..Event::by(principal, action::PERMISSION_DENIED, target, client) };
    if let Err(e) = record_now(store, event).await {
        tracing::error!(error = %e, "could not record a permission_denied audit event");
    }
    AccessError::Forbidden { permission: permission.to_string() }.into()
}

/// A stored audit event.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditRecord {
    pub id: i64,
    #[schema(value_type = i64)]
    pub at: Timestamp,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub ip: String,
    pub user_agent: String,
    pub detail: String,
}

/// Filters for reading the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// Return events with `id < before` (keyset paging, newest first).
    pub before: Option<i64>,
    /// Oldest first instead of newest first (the log page's 时间 header, clicked).
    pub oldest_first: bool,
    /// Return events with `id > after` (keyset paging, oldest first).
    pub after: Option<i64>,
    pub limit: i64,
}

/// Reads the audit log, newest first (or oldest first). Requires `audit.read`. The log only
/// grows, so it is paged by key (`before` / `after` the last id seen), never by offset, and
/// ordered by `id` alone: its primary key serves the order with the limit on any size of log.
pub async fn query(
    store: &Store,
    principal: &Principal,
    q: &AuditQuery,
    client: &ClientInfo,
) -> Result<Vec<AuditRecord>> {
    if !principal.has(perm::AUDIT_READ) {
        return Err(deny(store, principal, perm::AUDIT_READ, "audit_events", client).await);
    }
    let mut p = Params::new();
    let mut sql = String::from(
        "SELECT id, at, actor_id, actor_name, action, target, outcome, ip, user_agent, detail FROM audit_events WHERE 1 = 1",
    );
    if let Some(actor) = q.actor.as_deref().filter(|s| !s.is_empty()) {
        sql.push_str(&format!(" AND actor_name = {}", p.push(actor)));
    }
    if let Some(a) = q.action.as_deref().filter(|s| !s.is_empty()) {
        sql.push_str(&format!(" AND action = {}", p.push(a)));
    }
    if let Some(from) = q.from {
        sql.push_str(&format!(" AND at >= {}", p.push(from.0)));
    }
    if let Some(to) = q.to {
        sql.push_str(&format!(" AND at < {}", p.push(to.0)));
    }
    if let Some(before) = q.before {
        sql.push_str(&format!(" AND id < {}", p.push(before)));
    }
    if let Some(after) = q.after {
        sql.push_str(&format!(" AND id > {}", p.push(after)));
    }
    let limit = q.limit.clamp(1, 100_000);
    let dir = if q.oldest_first { "ASC" } else { "DESC" };
    sql.push_str(&format!(" ORDER BY id {dir} LIMIT {}", p.push(limit)));
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    rows.iter()
        .map(|r| {
            Ok(AuditRecord {
                id: r.try_get("id")?,
                at: Timestamp(r.try_get("at")?),
                actor_id: r.try_get("actor_id")?,
                actor_name: r.try_get("actor_name")?,
                action: r.try_get("action")?,
                target: r.try_get("target")?,
                outcome: r.try_get("outcome")?,
                ip: r.try_get("ip")?,
                user_agent: r.try_get("user_agent")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
        .map_err(AccessError::from)
}

/// Events per China calendar day since `from`: (day as `YYYY-MM-DD`, ok count, refused count),
/// from the first day (counted from `from` on) to today. Reads the rollup `audit_daily_actions`,
/// and the events themselves only for the rest of the first day when `from` is not a day's
/// start (see [`Span`]).
pub async fn per_day(
    store: &Store,
    principal: &Principal,
    from: Timestamp,
    client: &ClientInfo,
) -> Result<Vec<(String, i64, i64)>> {
    if !principal.has(perm::AUDIT_READ) {
        return Err(deny(store, principal, perm::AUDIT_READ, "audit_events", client).await);
    }
    let span = Span::new(from.0, None);
    let rows = sqlx::query(
        "SELECT day, outcome, CAST(SUM(c) AS BIGINT) AS n FROM (\
         SELECT day, outcome, n AS c FROM audit_daily_actions WHERE day >= $1 AND day < $2 \
         UNION ALL SELECT (at + $3) / $4 AS day, outcome, 1 AS c FROM audit_events WHERE at >= $5 AND at < $6\
         ) t GROUP BY day, outcome",
    )
    .bind(span.days.0)
    .bind(span.days.1)
    .bind(CHINA_MS)
    .bind(DAY_MS)
    .bind(span.edges[0].0)
    .bind(span.edges[0].1)
    .fetch_all(store.pool())
    .await?;
    let first = china_day(from.0);
    let last = china_day(Timestamp::now().0);
    let mut days: Vec<(String, i64, i64)> =
        (first..=last).map(|d| (Timestamp(d * DAY_MS).to_utc().format("%Y-%m-%d").to_string(), 0, 0)).collect();
    for r in rows {
        let day: i64 = r.try_get("day")?;
        let outcome: String = r.try_get("outcome")?;
        let n: i64 = r.try_get("n")?;
        if let Some(slot) = days.get_mut((day - first).max(0) as usize) {
            if outcome == "ok" {
                slot.1 += n;
            } else {
                slot.2 += n;
            }
        }
    }
    Ok(days)
}

/// A count under a label.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Count {
    pub key: String,
    pub count: i64,
}

/// Events of one China calendar day.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DayCount {
    pub day: String,
    pub ok: i64,
    pub refused: i64,
}

/// Counts over a period for the unified audit view (统一审计).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Summary {
    pub by_action: Vec<Count>,
    /// The 20 most active users.
    pub by_user: Vec<Count>,
    pub by_day: Vec<DayCount>,
    pub total: i64,
}

/// Counts of events by action, by user and by day since `from` (until `to`). `audit.read`.
/// The counts by action and user are exact for any `from` and `to`: whole China days come from
/// the daily rollups, the parts of a day at either end from the events (see [`Span`]).
/// `by_day` runs from `from`'s day to today whatever `to` is, as [`per_day`].
pub async fn summary(
    store: &Store,
    principal: &Principal,
    from: Timestamp,
    to: Option<Timestamp>,
    client: &ClientInfo,
) -> Result<Summary> {
    let by_day = per_day(store, principal, from, client).await?;
    let span = Span::new(from.0, to.map(|t| t.0));
    // Whole days from the rollup that has the column, the partial days from the events.
    let count = |rollup: &'static str, column: &'static str, limit: i64| {
        let sql = format!(
            "SELECT k, CAST(SUM(c) AS BIGINT) AS n FROM (\
             SELECT {column} AS k, n AS c FROM {rollup} WHERE day >= $1 AND day < $2 \
             UNION ALL SELECT {column} AS k, 1 AS c FROM audit_events WHERE at >= $3 AND at < $4 \
             UNION ALL SELECT {column} AS k, 1 AS c FROM audit_events WHERE at >= $5 AND at < $6\
             ) t GROUP BY k ORDER BY n DESC, k LIMIT $7"
        );
        async move {
            let rows = sqlx::query(&sql)
                .bind(span.days.0)
                .bind(span.days.1)
                .bind(span.edges[0].0)
                .bind(span.edges[0].1)
                .bind(span.edges[1].0)
                .bind(span.edges[1].1)
                .bind(limit)
                .fetch_all(store.pool())
                .await?;
            rows.iter()
                .map(|r| Ok(Count { key: r.try_get("k")?, count: r.try_get("n")? }))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
                .map_err(AccessError::from)
        }
    };
    let by_action = count("audit_daily_actions", "action", 100).await?;
    let by_user = count("audit_daily_actors", "actor_name", 20).await?;
    let total = by_action.iter().map(|c| c.count).sum();
    let by_day = by_day.into_iter().map(|(day, ok, refused)| DayCount { day, ok, refused }).collect();
    Ok(Summary { by_action, by_user, by_day, total })
}

/// Writes events as CSV (UTF-8 with BOM so that Excel opens Chinese text correctly).
pub fn to_csv(records: &[AuditRecord]) -> String {
    table(records).to_csv()
}

/// Events as an exported table (CSV or Excel) for programs: the columns' and the actions' codes.
pub fn table(records: &[AuditRecord]) -> Table {
    let header = ["id", "time", "actor", "action", "target", "outcome", "ip", "user_agent", "detail"];
    table_with(records, &header, &|a| a.to_string(), &|o| o.to_string())
}

/// Events as an exported table for people: Chinese headings, each action by its name
/// (`action_zh`, the web layer's catalogue) and each outcome in Chinese.
pub fn table_zh(records: &[AuditRecord], action_zh: &dyn Fn(&str) -> String) -> Table {
    let header = ["编号", "时间", "操作人", "操作", "对象", "结果", "IP 地址", "浏览器", "详情"];
    table_with(records, &header, action_zh, &|o| labels::outcome(o).unwrap_or(o).to_string())
}

fn table_with(
    records: &[AuditRecord],
    header: &[&str],
    action: &dyn Fn(&str) -> String,
    outcome: &dyn Fn(&str) -> String,
) -> Table {
    Table::new(
        "审计日志",
        header,
        records.iter().map(|r| {
            vec![
                r.id.to_string(),
                r.at.to_china_string(),
                r.actor_name.clone(),
                action(&r.action),
                r.target.clone(),
                outcome(&r.outcome),
                r.ip.clone(),
                r.user_agent.clone(),
                r.detail.clone(),
            ]
        }),
    )
}

/// A list as it is exported: the sheet's name, the column headings and the rows as text. One
/// table is written as CSV ([`Table::to_csv`]) or as an Excel workbook (the web layer hands it to
/// `yaolian_registry::table::write_xlsx`), so both files of a list hold the same columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The sheet's name in a workbook (at most 31 characters).
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(title: &str, header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Table {
        Table {
            title: title.to_string(),
            header: header.iter().map(|h| (*h).to_string()).collect(),
            rows: rows.collect(),
        }
    }

    /// As CSV, the way [`csv_table`] writes it.
    pub fn to_csv(&self) -> String {
        let header: Vec<&str> = self.header.iter().map(String::as_str).collect();
        csv_table(&header, self.rows.iter().cloned())
    }
}

/// A CSV document (UTF-8 with BOM, so that Excel reads Chinese; CRLF lines; RFC 4180 quoting
/// and formula defusing by [`csv_field`]) from a header and rows.
pub fn csv_table(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut out = String::from("\u{feff}");
    let head: Vec<String> = header.iter().map(|h| csv_field(h)).collect();
    out.push_str(&head.join(","));
    out.push_str("\r\n");
    for row in rows {
        let line: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Quotes a CSV field (RFC 4180) and defuses spreadsheet formulas (CWE-1236).
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::{csv_field, day_start, Span, DAY_MS};

    /// 2026-11-30 00:00 China time (2026-11-29 16:00 UTC), China day 20,787.
    const DAY: i64 = 20_787;
    const START: i64 = 1_795_968_000_000;

    fn check(from: i64, to: Option<i64>, expected: Span) {
        assert_eq!(Span::new(from, to), expected, "from {from} to {to:?}");
    }

    #[test]
    fn a_period_reads_whole_days_from_the_rollup_and_the_rest_from_the_events() {
        assert_eq!(day_start(DAY), START);
        let empty = (0, 0);
        // The page: from a day's start until now, the rollup alone.
        check(START, None, Span { days: (DAY, i64::MAX), edges: [(START, START), empty] });
        // Whole days.
        check(
            START,
            Some(START + 2 * DAY_MS),
            Span { days: (DAY, DAY + 2), edges: [(START, START), (START + 2 * DAY_MS, START + 2 * DAY_MS)] },
        );
        // From any time (an API caller's): the rest of that day from the events.
        check(START + 5, None, Span { days: (DAY + 1, i64::MAX), edges: [(START + 5, START + DAY_MS), empty] });
        check(
            START - 5,
            Some(START + DAY_MS + 7),
            Span { days: (DAY, DAY + 1), edges: [(START - 5, START), (START + DAY_MS, START + DAY_MS + 7)] },
        );
        // Within a day, or across one midnight without a whole day: the events alone.
        check(START + 5, Some(START + 9), Span { days: empty, edges: [(START + 5, START + 9), empty] });
        check(START - 5, Some(START + 9), Span { days: empty, edges: [(START - 5, START + 9), empty] });
        // Backwards: nothing.
        check(START + 9, Some(START + 5), Span { days: empty, edges: [(START + 9, START + 5), empty] });
    }

    #[test]
    fn csv_quotes_and_defuses() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
    }
}
