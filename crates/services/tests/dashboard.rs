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
    })
    .await;
}
