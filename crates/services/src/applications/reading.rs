//! Reading applications: one, a scoped list with its CSV, the overdue sweep and statistics.

use super::flow;
use super::*;

/// One application (applicant side or bureau side, in scope).
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<ApplicationView> {
    let cal = Calendar::load(store).await?;
    let mut tx = store.begin().await?;
    let (app, path) = load(&mut tx, id).await?;
    tx.commit().await?;
    if !may_view(principal, &path) {
        return Err(audit::deny(store, principal, perm::SERVICE_APPLY, &format!("application:{id}"), client).await);
    }
    let actions = Actions {
        handle: flow::handler_refusal(principal, perm::SERVICE_HANDLE, &app, &path).is_none(),
        decide: flow::handler_refusal(principal, perm::SERVICE_DECIDE, &app, &path).is_none(),
        review: app.reviewers.iter().any(|r| r.user_id == principal.user_id() && r.opinion.is_none()),
        resubmit: app.status == "correction" && flow::applicant_may(principal, &path),
        withdraw: is_open(&app.status) && flow::applicant_may(principal, &path),
    };
    let mut view = [ApplicationView::new(app, &cal, today())];
    with_signatures(store, &mut view).await?;
    let [mut view] = view;
    view.actions = Some(actions);
    Ok(view)
}

/// A person who may be assigned to review an application (审查人员).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReviewerChoice {
    pub user_id: i64,
    pub username: String,
    pub name: String,
    pub org_name: String,
    /// The person's roles, by their Chinese names.
    pub roles: Vec<String>,
    /// Reviews the person has open (assigned, no opinion yet): their workload.
    pub workload: i64,
}

/// Who may review application `id`, for whoever assigns reviewers (`service.handle`): the
/// active users of the bureaus over the applicant whom the assignment would accept.
pub async fn reviewer_choices(
    store: &Store,
    principal: &Principal,
    id: i64,
    client: &ClientInfo,
) -> Result<Vec<ReviewerChoice>> {
    let mut tx = store.begin().await?;
    let (app, path) = load(&mut tx, id).await?;
    tx.commit().await?;
    flow::check_handler(store, principal, perm::SERVICE_HANDLE, &app, &path, client).await?;
    // The bureaus over the applicant are the organizations whose path begins the applicant's.
    let mut p = Params::new();
    let prefixes: Vec<String> = path.match_indices('/').skip(1).map(|(i, _)| p.push(path[..=i].to_string())).collect();
    if prefixes.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT u.id FROM users u JOIN orgs o ON o.id = u.org_id \
         WHERE o.path IN ({}) AND u.status = 'active' ORDER BY o.path, u.display_name LIMIT 500",
        prefixes.join(", ")
    );
    let ids: Vec<i64> = p
        .bind(sqlx::query(&sql))
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    let eligible = flow::eligible_reviewers(store, &app, &path, &ids).await?;
    // Workload in one query: the open review to-dos of the eligible (a review to-do is the one
    // services raises for a person, `raise_todos`), by the (user_id, status) index.
    let mut p = Params::new();
    let marks: Vec<String> = eligible.iter().map(|e| p.push(e.user_id())).collect();
    let mut workload = std::collections::HashMap::new();
    if !marks.is_empty() {
        let sql = format!(
            "SELECT user_id, COUNT(*) FROM todos WHERE user_id IN ({}) AND status = 'open' AND module = 'services' \
             GROUP BY user_id",
            marks.join(", ")
        );
        for r in p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await? {
            workload.insert(r.try_get::<i64, _>(0)?, r.try_get::<i64, _>(1)?);
        }
    }
    let mut out: Vec<ReviewerChoice> = eligible
        .iter()
        .map(|p| ReviewerChoice {
            user_id: p.user_id(),
            username: p.username().to_string(),
            name: p.display_name().to_string(),
            org_name: p.org_name().to_string(),
            roles: p.roles().iter().map(|r| r.name_zh.clone()).collect(),
            workload: workload.get(&p.user_id()).copied().unwrap_or(0),
        })
        .collect();
    // The least loaded first: whom to pick is whom the list offers first.
    out.sort_by(|a, b| a.workload.cmp(&b.workload).then_with(|| a.name.cmp(&b.name)));
    Ok(out)
}

/// Filters of the application list.
#[derive(Debug, Clone, Default)]
pub struct ApplicationQuery {
    pub q: Option<String>,
    pub type_code: Option<String>,
    /// A status, or `open`, `due_soon` (即将超期: a timed phase due within
    /// [`dashboard::DUE_SOON_DAYS`] working days) or `overdue` (超期).
    pub status: Option<String>,
    /// Sort key: `number`, `type`, `status`, `due` (办理时限) or `submitted` (default: newest
    /// submitted first).
    pub sort: Option<String>,
    pub desc: bool,
    pub limit: i64,
    pub offset: i64,
}

/// The workflow order of the statuses (待受理, 待补正, 审查中, 准予许可, 不予许可, 不予受理,
/// 已撤回): the expression of index `applications_status_order` (migration 0022), which the
/// list's ORDER BY must repeat exactly to be served by it.
const STATUS_ORDER: &str = "CASE a.status WHEN 'submitted' THEN 1 WHEN 'correction' THEN 2 WHEN 'accepted' THEN 3 \
     WHEN 'approved' THEN 4 WHEN 'rejected' THEN 5 WHEN 'refused' THEN 6 WHEN 'withdrawn' THEN 7 ELSE 8 END";

impl ApplicationQuery {
    /// The ORDER BY of the sort key, from an allow-list (the key never reaches the SQL); the id
    /// last, so that pages do not overlap.
    fn order_by(&self) -> String {
        let dir = if self.desc { "DESC" } else { "ASC" };
        let column = match self.sort.as_deref() {
            Some("number") => "a.number",
            Some("type") => "a.type_code",
            Some("status") => STATUS_ORDER,
            Some("due") => "a.phase_due_on",
            Some("submitted") => "a.submitted_at",
            _ => return "a.submitted_at DESC, a.id DESC".into(),
        };
        format!("{column} {dir}, a.id {dir}")
    }
}

fn scope_sql(principal: &Principal, p: &mut Params) -> Option<String> {
    if principal.org_kind().is_regulator() {
        yaolian_access::scope_filter_any(
            principal,
            &[perm::SERVICE_APPLY, perm::SERVICE_HANDLE, perm::SERVICE_DECIDE],
            p,
        )
    } else {
        scope_filter(principal, perm::SERVICE_APPLY, p)
    }
}

/// Applications in the caller's view, newest first or as `q.sort` says, with the total.
pub async fn list(
    store: &Store,
    principal: &Principal,
    q: &ApplicationQuery,
    client: &ClientInfo,
) -> Result<(Vec<ApplicationView>, i64)> {
    let cal = Calendar::load(store).await?;
    let mut p = Params::new();
    let Some(filter) = scope_sql(principal, &mut p) else {
        return Err(audit::deny(store, principal, perm::SERVICE_APPLY, "applications", client).await);
    };
    let mut wheres = vec![filter];
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        wheres.push(p.like_any(&["a.number", "o.name"], text));
    }
    if let Some(t) = q.type_code.as_deref().filter(|s| !s.is_empty()) {
        wheres.push(format!("a.type_code = {}", p.push(t)));
    }
    let day = today().to_string();
    match q.status.as_deref().unwrap_or("") {
        "" => {}
        "open" => wheres.push("a.status IN ('submitted', 'correction', 'accepted')".into()),
        "overdue" => {
            wheres.push(format!("a.status IN ('submitted', 'accepted') AND a.phase_due_on < {}", p.push(day.as_str())))
        }
        "due_soon" => {
            let soon = super::dashboard::due_soon_until(&cal, today()).to_string();
            wheres.push(format!(
                "a.status IN ('submitted', 'accepted') AND a.phase_due_on >= {} AND a.phase_due_on <= {}",
                p.push(day.as_str()),
                p.push(soon)
            ))
        }
        s @ ("submitted" | "correction" | "accepted" | "approved" | "rejected" | "refused" | "withdrawn") => {
            wheres.push(format!("a.status = {}", p.push(s)))
        }
        other => {
            return Err(ValidationError::single(
                "status",
                "one_of:open,due_soon,overdue,submitted,correction,accepted,approved,rejected,refused,withdrawn",
                format!("unknown status {other:?}"),
            )
            .into())
        }
    }
    let from = "applications a JOIN orgs o ON o.id = a.applicant_org_id";
    let order = q.order_by();
    let (rows, total) = yaolian_store::sql::page(
        store.pool(),
        &mut p,
        "a.data",
        from,
        &wheres.join(" AND "),
        &order,
        q.limit.clamp(1, 1000),
        q.offset,
    )
    .await?;
    let today = today();
    let mut items = rows
        .iter()
        .map(|r| Ok(ApplicationView::new(parse(&r.try_get::<String, _>(0)?)?, &cal, today)))
        .collect::<Result<Vec<_>>>()?;
    with_signatures(store, &mut items).await?;
    Ok((items, total))
}

/// The list as CSV (opens in Excel).
pub fn to_csv(items: &[ApplicationView]) -> String {
    table(items).to_csv()
}

/// The list as an exported table (CSV or Excel), the columns of [`to_csv`].
pub fn table(items: &[ApplicationView]) -> audit::Table {
    let header = ["申请编号", "事项", "申请人", "受理机关", "状态", "提交时间", "办理时限", "剩余工作日", "是否超期"];
    audit::Table::new(
        "办件",
        &header,
        items.iter().map(|v| {
            let a = &v.application;
            vec![
                a.number.clone(),
                a.type_name.clone(),
                a.applicant_name.clone(),
                a.authority_name.clone(),
                v.status_zh.clone(),
                Timestamp(a.submitted_at).to_china_string(),
                a.clock.due_on.clone().unwrap_or_default(),
                v.remaining_days.map(|d| d.to_string()).unwrap_or_default(),
                if v.overdue { "是".into() } else { String::new() },
            ]
        }),
    )
}

/// Raises an alert to the authority's deciders (supervisors) for every open application past
/// its phase's due date, once per application and phase. Returns how many were raised.
pub async fn sweep_overdue(store: &Store) -> Result<usize> {
    let day = today().to_string();
    let rows = sqlx::query(
        "SELECT a.id, a.data FROM applications a WHERE a.status IN ('submitted', 'accepted') AND a.phase_due_on < $1 \
         AND NOT EXISTS (SELECT 1 FROM application_alerts x WHERE x.application_id = a.id AND x.phase = a.status)",
    )
    .bind(&day)
    .fetch_all(store.pool())
    .await?;
    let mut raised = 0;
    for r in rows {
        let app = parse(&r.try_get::<String, _>(1)?)?;
        let mut tx = store.begin().await?;
        let inserted = sqlx::query("INSERT INTO application_alerts (application_id, phase, raised_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(app.id)
            .bind(&app.status)
            .bind(Timestamp::now().0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if inserted == 0 {
            continue;
        }
        let supervisors = sqlx::query(
            "SELECT DISTINCT u.id FROM users u JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id \
             WHERE u.org_id = $1 AND u.status = 'active' AND r.permissions LIKE $2",
        )
        .bind(app.authority_org_id)
        .bind(format!("%{}%", perm::SERVICE_DECIDE))
        .fetch_all(&mut *tx)
        .await?;
        let title = format!(
            "超期告警：{} {}（{}）{}已超过期限 {}",
            app.type_name,
            app.number,
            app.applicant_name,
            status_zh(&app.status),
            app.clock.due_on.clone().unwrap_or_default()
        );
        let targets: Vec<(Option<i64>, Option<i64>)> = if supervisors.is_empty() {
            vec![(None, Some(app.authority_org_id))]
        } else {
            supervisors.iter().map(|s| Ok((Some(s.try_get::<i64, _>(0)?), None))).collect::<Result<Vec<_>>>()?
        };
        for (user_id, org_id) in targets {
            let todo = NewTodo {
                user_id,
                org_id,
                module: "services".into(),
                title: title.clone(),
                link: link(&app),
                due_at: None,
                statutory: false,
            };
            portal::add_todo(&mut *tx, &todo).await?;
        }
        tx.commit().await?;
        raised += 1;
    }
    Ok(raised)
}

/// Figures for one application type.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TypeStats {
    pub type_code: String,
    pub type_name: String,
    pub count: i64,
    pub open: i64,
    pub decided: i64,
    /// Working days from submission to decision, 补正 excluded, averaged over decided ones.
    pub average_days: f64,
    /// Applications overdue now or decided after their due date.
    pub overdue: i64,
    /// overdue / count.
    pub overdue_rate: f64,
    pub auto_decided: i64,
}

/// Statistics per type, and submissions per month, over the applications the caller sees.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Statistics {
    pub types: Vec<TypeStats>,
    /// (YYYY-MM, count), oldest first.
    pub per_month: Vec<(String, i64)>,
}

/// The figures of a bureau are sums over the rollup of its applications (`application_rollup`,
/// kept by every step: groups by region, type, day submitted, day decided, day accepted, time
/// limit and open — 20,413 for a province's 100,000 applications in 12 regions), plus one count of
/// the open ones past their phase's due date, which changes with the day and so is counted from
/// the applications (index `applications_status_due`). A company's figures group its own
/// applications (index `applications_stats`). Working days need the calendar, so it is applied to
/// each group here.
pub async fn statistics(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<Statistics> {
    use super::rollup::{key_sql, region_filter, OPEN};
    use yaolian_core::time::date_of_day_number;
    let cal = Calendar::load(store).await?;
    let perms = [perm::SERVICE_APPLY, perm::SERVICE_HANDLE, perm::SERVICE_DECIDE];
    let mut p = Params::new();
    let sums = "COUNT(*), CAST(SUM(a.paused_days) AS BIGINT), CAST(SUM(a.auto_decided) AS BIGINT)";
    let groups = if let Some(region) = region_filter(principal, &perms, &mut p) {
        format!(
            "SELECT r.type_code, r.sday, r.dday, r.accepted_on, r.limit_days, r.is_open, CAST(SUM(r.n) AS BIGINT), \
               CAST(SUM(r.paused) AS BIGINT), CAST(SUM(r.auto) AS BIGINT) \
             FROM application_rollup r JOIN orgs o ON o.id = r.region_org_id WHERE {region} \
             GROUP BY r.type_code, r.sday, r.dday, r.accepted_on, r.limit_days, r.is_open"
        )
    } else if let Some(filter) = scope_sql(principal, &mut p) {
        format!(
            "SELECT {}, {sums} FROM applications a JOIN orgs o ON o.id = a.applicant_org_id WHERE {filter} \
             GROUP BY 1, 2, 3, 4, 5, 6",
            key_sql()
        )
    } else {
        return Err(audit::deny(store, principal, perm::SERVICE_HANDLE, "applications", client).await);
    };
    let mut late = Params::new();
    let Some(filter) = scope_sql(principal, &mut late) else {
        return Err(audit::deny(store, principal, perm::SERVICE_HANDLE, "applications", client).await);
    };
    let day = late.push(today().to_string());
    let late_sql = format!(
        "SELECT a.type_code, COUNT(*) FROM applications a CROSS JOIN orgs o \
         WHERE o.id = a.applicant_org_id AND a.status IN {OPEN} AND a.phase_due_on < {day} AND {filter} \
         GROUP BY a.type_code"
    );
    let late: BTreeMap<String, i64> = late
        .bind(sqlx::query(&late_sql))
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<std::result::Result<_, sqlx::Error>>()?;
    let names: BTreeMap<String, String> = sqlx::query("SELECT code, name_zh FROM service_types")
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<std::result::Result<_, sqlx::Error>>()?;
    let mut by_type: BTreeMap<String, (TypeStats, i64)> = BTreeMap::new();
    let mut months: BTreeMap<String, i64> = BTreeMap::new();
    for r in p.bind(sqlx::query(&groups)).fetch_all(store.pool()).await? {
        let code: String = r.try_get(0)?;
        let submitted = date_of_day_number(r.try_get(1)?);
        let decided = Some(r.try_get::<i64, _>(2)?).filter(|d| *d >= 0).and_then(date_of_day_number);
        let accepted: String = r.try_get(3)?;
        let limit: i64 = r.try_get(4)?;
        let is_open: i64 = r.try_get(5)?;
        let count: i64 = r.try_get(6)?;
        let paused: i64 = r.try_get::<Option<i64>, _>(7)?.unwrap_or(0);
        let auto: i64 = r.try_get::<Option<i64>, _>(8)?.unwrap_or(0);
        if let Some(d) = submitted {
            *months.entry(d.format("%Y-%m").to_string()).or_insert(0) += count;
        }
        let (s, total_days) = by_type.entry(code.clone()).or_insert_with(|| {
            let type_name = names.get(&code).cloned().unwrap_or_else(|| code.clone());
            let s = TypeStats {
                type_code: code.clone(),
                type_name,
                count: 0,
                open: 0,
                overdue: 0,
                decided: 0,
                auto_decided: 0,
                average_days: 0.0,
                overdue_rate: 0.0,
            };
            (s, 0)
        });
        s.count += count;
        s.auto_decided += auto;
        if is_open == 1 {
            s.open += count;
        }
        // Decisions: working days to decision, 补正 excluded, and decisions after the decision
        // phase's due date.
        let (Some(submitted), Some(decided)) = (submitted, decided) else { continue };
        s.decided += count;
        *total_days += count * cal.working_days_between(submitted, decided) - paused;
        if let Ok(accepted) = NaiveDate::parse_from_str(&accepted, "%Y-%m-%d") {
            if decided > cal.add_working_days(accepted, u32::try_from(limit).unwrap_or(0)) {
                s.overdue += count;
            }
        }
    }
    let types = by_type
        .into_values()
        .map(|(mut s, days)| {
            s.overdue += late.get(&s.type_code).copied().unwrap_or(0);
            if s.decided > 0 {
                s.average_days = days as f64 / s.decided as f64;
            }
            if s.count > 0 {
                s.overdue_rate = s.overdue as f64 / s.count as f64;
            }
            s
        })
        .collect();
    Ok(Statistics { types, per_month: months.into_iter().collect() })
}

/// The application form as the company's 一企一档 profile fills it: its name, legal
/// representative, address, business scope and phone under the type's own keys, for the
/// applicant's organization (`service.apply` over it). Keys the type's form lacks are left out;
/// the applicant sees and may change every value before submitting.
pub async fn prefill(store: &Store, principal: &Principal, t: &ServiceType) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    if !principal.has(perm::SERVICE_APPLY) || principal.is_system() || t.action != "issue" && t.action != "file" {
        return Ok(out);
    }
    let r = sqlx::query(
        "SELECT o.name, o.path, p.legal_rep, p.address, p.business_scope, p.contact_phone FROM orgs o \
         LEFT JOIN company_profiles p ON p.org_id = o.id WHERE o.id = $1 AND o.kind = 'company'",
    )
    .bind(principal.org_id())
    .fetch_optional(store.pool())
    .await?;
    let Some(r) = r else {
        return Ok(out);
    };
    let path: String = r.try_get(1)?;
    if !flow::applicant_may(principal, &path) {
        return Ok(out);
    }
    let text = |i: usize| -> Result<String> { Ok(r.try_get::<Option<String>, _>(i)?.unwrap_or_default()) };
    let known = [
        ("enterprise_name", text(0)?),
        ("legal_representative", text(2)?),
        ("registered_address", text(3)?),
        ("business_scope", text(4)?),
        ("contact_phone", text(5)?),
    ];
    for (key, value) in known {
        if !value.trim().is_empty() && t.form.iter().any(|f| f.key == key) {
            out.insert(key.to_string(), value);
        }
    }
    Ok(out)
}
