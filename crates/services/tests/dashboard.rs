//! The 工作台's figures, on SQLite and PostgreSQL: a bureau's 待受理 / 即将超期 / 超期 counts
//! are what its filtered application lists hold, submissions are counted in their week, a 秒办
//! filing's working days to decision are averaged, licenses are counted by state with those
//! expiring; a company gets no bureau figures, and its own licenses only.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use yaolian_access::{ClientInfo, Principal};
use yaolian_core::Timestamp;
use yaolian_identity::{auth, fixtures};
use yaolian_license::licenses::{self, NewLicense, Sealing, State};
use yaolian_services::applications::{self, dashboard, ApplicationQuery, NewApplication, Upload};
use yaolian_services::{types, Calendar};
use yaolian_store::testing::each_backend;
use yaolian_store::Store;

async fn user(store: &Store, org: i64, name: &str, roles: &[&str]) -> Principal {
    let sys = yaolian_access::run_as_system::principal();
    let id = fixtures::user(store, &sys, org, name, false, roles).await.unwrap();
    auth::principal_for_user(store, id).await.unwrap()
}

fn form(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn retail_issue() -> NewApplication {
    use base64::Engine;
    let files = ["营业执照", "质量负责人执业药师注册证", "经营场所和仓库平面布置图", "质量管理文件目录"]
        .iter()
        .map(|label| Upload {
            label: label.to_string(),
            name: "f.txt".into(),
            content_type: "text/plain".into(),
            content_base64: base64::engine::general_purpose::STANDARD.encode(label.as_bytes()),
        })
        .collect();
    NewApplication {
        type_code: "drug_retail_issue".into(),
        form: form(&[
            ("enterprise_name", "甲药房有限公司"),
            ("legal_representative", "张明"),
            ("principal", "李华"),
            ("quality_head", "王芳（执业药师）"),
            ("registered_address", "杭州市西湖区文三路 100 号"),
            ("business_scope", "处方药、非处方药：化学药"),
            ("contact_phone", "0571-87654321"),
        ]),
        files,
        ..Default::default()
    }
}

fn license_fields() -> BTreeMap<String, String> {
    form(&[
        ("legal_representative", "张明"),
        ("principal", "李华"),
        ("quality_head", "王芳"),
        ("registered_address", "杭州市西湖区文三路 100 号"),
        ("business_scope", "处方药、非处方药：化学药"),
    ])
}

/// Noon (China time) `days` calendar days before today.
fn days_ago(days: i64) -> Timestamp {
    let day = Timestamp::now().china_date() - chrono::Duration::days(days);
    Timestamp::china_day_start(day).plus_seconds(12 * 3600)
}

async fn listed(store: &Store, p: &Principal, status: &str) -> i64 {
    let q = ApplicationQuery { status: Some(status.into()), limit: 100, ..Default::default() };
    applications::list(store, p, &q, &ClientInfo::default()).await.unwrap().1
}

const ROLLUP: &str = "SELECT region_org_id, sday, dday, type_code, accepted_on, limit_days, is_open, n, paused, auto \
     FROM application_rollup ORDER BY 1, 2, 3, 4, 5, 6, 7";

/// The rollup the bureau's figures are summed from (`application_rollup`) holds exactly the
/// groups of the applications as they stand: every step moved its application between groups.
async fn rollup_is_a_grouping_of_the_applications(store: &Store) {
    use sqlx::Row;
    let read = |sql: &'static str| async move {
        let rows = sqlx::query(sql).fetch_all(store.pool()).await.unwrap();
        rows.iter()
            .map(|r| {
                let ints: Vec<i64> = [0, 1, 2, 5, 6, 7, 8, 9].iter().map(|&i| r.try_get(i).unwrap()).collect();
                (ints, r.try_get::<String, _>(3).unwrap(), r.try_get::<String, _>(4).unwrap())
            })
            .collect::<Vec<_>>()
    };
    let rollup = read(ROLLUP).await;
    let grouped = read(
        "SELECT o.parent_id, (a.submitted_at + 28800000) / 86400000, \
           COALESCE((a.decided_at + 28800000) / 86400000, -1), a.type_code, COALESCE(a.accepted_on, ''), \
           CAST(a.limit_days AS BIGINT), CAST(CASE WHEN a.status IN ('submitted', 'correction', 'accepted') \
           THEN 1 ELSE 0 END AS BIGINT), COUNT(*), CAST(SUM(a.paused_days) AS BIGINT), \
           CAST(SUM(a.auto_decided) AS BIGINT) \
         FROM applications a JOIN orgs o ON o.id = a.applicant_org_id GROUP BY 1, 2, 3, 4, 5, 6, 7 \
         ORDER BY 1, 2, 3, 4, 5, 6, 7",
    )
    .await;
    assert!(!grouped.is_empty());
    assert_eq!(rollup, grouped);
    // The migration's backfill (the applications held before it) groups them the same way.
    let migration = match store.backend() {
        yaolian_store::Backend::Sqlite => include_str!("../../store/migrations/sqlite/0021_application_rollup.sql"),
        yaolian_store::Backend::Postgres => include_str!("../../store/migrations/postgres/0021_application_rollup.sql"),
    };
    let (_, backfill) = migration.split_once("counted once.").unwrap();
    let mut tx = store.pool().begin().await.unwrap();
    sqlx::query("DELETE FROM application_rollup").execute(&mut *tx).await.unwrap();
    sqlx::query(backfill).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(read(ROLLUP).await, grouped);
}

#[tokio::test]
async fn the_dashboard_counts_what_the_filtered_lists_hold() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let sealing = Sealing([7; 16]);
        let clerk = user(&store, w.province, "clerk", &["window_clerk"]).await;
        let leader = user(&store, w.province, "leader", &["regulator_leader"]).await;
        let company = user(&store, w.company_a, "master", &["company_master"]).await;
        let other = user(&store, w.company_b, "other", &["company_master"]).await;

        // Nothing yet: zeros for the bureau, no bureau figures for a company.
        assert_eq!(dashboard::pending(&store, &clerk).await.unwrap(), Some(Default::default()));
        assert_eq!(dashboard::pending(&store, &company).await.unwrap(), None);
        assert_eq!(dashboard::trends(&store, &company).await.unwrap(), None);

        // Three applications: one today, one 40 days ago (超期), one whose 受理 is due within
        // three working days (即将超期).
        let cal = Calendar::load(&store).await.unwrap();
        let accept_days = u32::try_from(types::get(&store, "drug_retail_issue").await.unwrap().accept_days).unwrap();
        let today = Timestamp::now().china_date();
        let soon = cal.add_working_days(today, dashboard::DUE_SOON_DAYS);
        let back = (1..20)
            .find(|k| {
                let due = cal.add_working_days(today - chrono::Duration::days(*k), accept_days);
                due >= today && due <= soon
            })
            .unwrap();
        for at in [Timestamp::now(), days_ago(40), days_ago(back)] {
            applications::submit_at(&store, &sealing, &company, &retail_issue(), &c, at).await.unwrap();
        }

        let pending = dashboard::pending(&store, &clerk).await.unwrap().unwrap();
        assert_eq!(pending, dashboard::Pending { to_accept: 3, due_soon: 1, overdue: 1 });
        assert_eq!(listed(&store, &clerk, "submitted").await, pending.to_accept);
        assert_eq!(listed(&store, &clerk, "due_soon").await, pending.due_soon);
        assert_eq!(listed(&store, &clerk, "overdue").await, pending.overdue);
        // The leader of the same bureau sees the same; the company's list has no bureau's view.
        assert_eq!(dashboard::pending(&store, &leader).await.unwrap(), Some(pending));

        // A 秒办 filing, decided at once, needs a valid license: issue one expiring in 30 days,
        // and one for the other company, which the first one's master never sees.
        let day = |d: chrono::NaiveDate| Some(d.to_string());
        let new = NewLicense {
            kind: "drug_retail".into(),
            holder_org_id: w.company_a,
            number: None,
            valid_from: day(today - chrono::Duration::days(1800)),
            valid_until: day(today + chrono::Duration::days(30)),
            fields: license_fields(),
        };
        licenses::issue(&store, &sealing, &leader, &new, &c).await.unwrap();
        let theirs = NewLicense { holder_org_id: w.company_b, valid_from: None, valid_until: None, ..new.clone() };
        let theirs = licenses::issue(&store, &sealing, &leader, &theirs, &c).await.unwrap();
        licenses::set_status(
            &store,
            &leader,
            theirs.id,
            licenses::StatusAction::Suspend,
            "停业整顿",
            theirs.version,
            &c,
        )
        .await
        .unwrap();
        let filing = NewApplication {
            type_code: "contact_change_filing".into(),
            form: form(&[("contact_person", "李华"), ("contact_phone", "13800138000")]),
            ..Default::default()
        };
        let filed = applications::submit(&store, &sealing, &company, &filing, &c).await.unwrap();
        assert!(filed.application.decision.is_some(), "decided at once: {:?}", filed.application.status);

        let trends = dashboard::trends(&store, &clerk).await.unwrap().unwrap();
        assert_eq!(trends.weeks.len() as i64, dashboard::WEEKS);
        let issue = trends.per_week.iter().find(|t| t.type_code == "drug_retail_issue").unwrap();
        assert_eq!(issue.counts.iter().sum::<i64>(), 3, "{issue:?}");
        assert!(issue.counts[issue.counts.len() - 1] >= 1, "today's is in this week: {issue:?}");
        let filings = trends.average_days.iter().find(|t| t.type_code == "contact_change_filing").unwrap();
        assert_eq!((filings.decided, filings.average_days), (1, 0.0));
        assert!(!filings.type_name.is_empty());
        rollup_is_a_grouping_of_the_applications(&store).await;

        // Licenses: the bureau counts both (one valid and expiring, one suspended); each
        // company only its own.
        let all = licenses::summary(&store, &leader).await.unwrap().unwrap();
        assert_eq!(all.by_state, vec![(State::Valid, 1), (State::Suspended, 1)]);
        assert_eq!(all.expiring, 1);
        let own = licenses::summary(&store, &company).await.unwrap().unwrap();
        assert_eq!((own.by_state, own.expiring), (vec![(State::Valid, 1)], 1));
        let theirs = licenses::summary(&store, &other).await.unwrap().unwrap();
        assert_eq!((theirs.by_state, theirs.expiring), (vec![(State::Suspended, 1)], 0));
        let q = licenses::LicenseQuery { state: Some("expiring".into()), limit: 10, ..Default::default() };
        assert_eq!(licenses::list(&store, &leader, &q, &c).await.unwrap().1, all.expiring);
    })
    .await;
}

/// The statistics page's figures per type, summed by the database from the columns each step
/// writes: counts, open, overdue (open past due, or decided after the decision phase's due
/// date), decided, 秒办, and working days to decision.
#[tokio::test]
async fn statistics_count_open_overdue_late_and_working_days_per_type() {
    each_backend(|store| async move {
        use applications::{Act, Decide};
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let sealing = Sealing([7; 16]);
        let clerk = user(&store, w.province, "clerk", &["window_clerk"]).await;
        let reviewer = user(&store, w.province, "reviewer", &["reviewer"]).await;
        let leader = user(&store, w.province, "leader", &["regulator_leader"]).await;
        let company = user(&store, w.company_a, "master", &["company_master"]).await;
        let cal = Calendar::load(&store).await.unwrap();

        // Open: one today, one 40 days ago (超期).
        for at in [Timestamp::now(), days_ago(40)] {
            applications::submit_at(&store, &sealing, &company, &retail_issue(), &c, at).await.unwrap();
        }
        // Decided today, accepted 60 days ago: long after the decision phase's due date.
        let late =
            applications::submit_at(&store, &sealing, &company, &retail_issue(), &c, days_ago(61)).await.unwrap();
        let id = late.application.id;
        applications::act_at(&store, &clerk, id, &Act::Accept { opinion: String::new() }, 1, &c, days_ago(60))
            .await
            .unwrap();
        let assign = Act::Assign { reviewer_ids: vec![reviewer.user_id()] };
        applications::act_at(&store, &clerk, id, &assign, 2, &c, days_ago(60)).await.unwrap();
        let review = Act::Review { opinion: "符合".into(), conclusion: "approve".into() };
        applications::act(&store, &reviewer, id, &review, 3, &c).await.unwrap();
        let decide = Decide {
            outcome: "approve".into(),
            opinion: "准予许可".into(),
            password: fixtures::PASSWORD.into(),
            totp: None,
            expected_version: 4,
        };
        let config = yaolian_identity::IdentityConfig::default();
        applications::decide(&store, &config, &sealing, &leader, id, &decide, &c).await.unwrap();

        let stats = applications::statistics(&store, &clerk, &c).await.unwrap();
        let issue = stats.types.iter().find(|t| t.type_code == "drug_retail_issue").unwrap();
        assert_eq!((issue.count, issue.open, issue.decided, issue.auto_decided), (3, 2, 1, 0), "{issue:?}");
        assert_eq!(issue.overdue, 2, "one open past due, one decided late: {issue:?}");
        let worked = cal.working_days_between(days_ago(61).china_date(), Timestamp::now().china_date());
        assert_eq!(issue.average_days, worked as f64, "{issue:?}");
        assert_eq!(stats.per_month.iter().map(|m| m.1).sum::<i64>(), 3);
        assert!(stats.types.iter().all(|t| t.type_code == "drug_retail_issue"));
        // The applicant's own view counts its own applications, the same three.
        let own = applications::statistics(&store, &company, &c).await.unwrap();
        assert_eq!(own.types.iter().map(|t| t.count).collect::<Vec<_>>(), vec![3]);
        rollup_is_a_grouping_of_the_applications(&store).await;
        // A bureau above counts them (the companies' region is in its subtree); a sibling bureau
        // does not.
        let national = user(&store, w.national, "national.clerk", &["window_clerk"]).await;
        let above = applications::statistics(&store, &national, &c).await.unwrap();
        assert_eq!(above.types.iter().map(|t| (t.count, t.open, t.overdue)).collect::<Vec<_>>(), vec![(3, 2, 2)]);
        let sys = yaolian_access::run_as_system::principal();
        let sibling = yaolian_identity::orgs::NewOrg {
            kind: yaolian_access::OrgKind::Provincial,
            name: "江苏省药品监督管理局".into(),
            code: "11320000014000111W".into(),
            parent_id: Some(w.national),
            region: String::new(),
        };
        let sibling = yaolian_identity::orgs::create(&store, &sys, &sibling, &c).await.unwrap().id;
        let beside = user(&store, sibling, "js.clerk", &["window_clerk"]).await;
        assert!(applications::statistics(&store, &beside, &c).await.unwrap().types.is_empty());
        let trends = dashboard::trends(&store, &beside).await.unwrap().unwrap();
        assert!(trends.per_week.is_empty() && trends.average_days.is_empty(), "{trends:?}");

        // Withdrawn: no longer open, never decided; the bureau's figures follow, and so does the
        // rollup they are summed from.
        let open = applications::list(
            &store,
            &company,
            &ApplicationQuery { status: Some("open".into()), limit: 10, ..Default::default() },
            &c,
        )
        .await
        .unwrap()
        .0;
        let gone = &open[0].application;
        applications::withdraw(&store, &company, gone.id, gone.version, &c).await.unwrap();
        let after = applications::statistics(&store, &clerk, &c).await.unwrap();
        let issue = after.types.iter().find(|t| t.type_code == "drug_retail_issue").unwrap();
        assert_eq!((issue.count, issue.open, issue.decided), (3, 1, 1), "{issue:?}");
        rollup_is_a_grouping_of_the_applications(&store).await;

        // Sorted by 状态, the list follows the workflow (待受理 … 准予许可 … 已撤回), not the
        // alphabet of the codes (approved would come first); descending reverses it.
        for (desc, expected) in
            [(false, ["submitted", "approved", "withdrawn"]), (true, ["withdrawn", "approved", "submitted"])]
        {
            let q = ApplicationQuery { sort: Some("status".into()), desc, limit: 10, ..Default::default() };
            let statuses: Vec<String> = applications::list(&store, &clerk, &q, &c)
                .await
                .unwrap()
                .0
                .into_iter()
                .map(|v| v.application.status)
                .collect();
            assert_eq!(statuses, expected.map(String::from).to_vec(), "desc {desc}");
        }
    })
    .await;
}
