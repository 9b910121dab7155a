//! Trusted records on SQLite and (with `YAOLIAN_TEST_PG`) PostgreSQL: electronic signatures,
//! record views, audit events as ledger entries, audit alert rules.

#![allow(clippy::unwrap_used)]

use yaolian_access::{ClientInfo, Principal};
use yaolian_audit::{self as audit, alerts, AuditQuery};
use yaolian_identity::{auth, users, IdentityConfig, IdentityError};
use yaolian_identity::{fixtures, fixtures::PASSWORD as PW};
use yaolian_portal as portal;
use yaolian_records::history as records;
use yaolian_records::{esign, esign::SignRequest};
use yaolian_store::testing::each_backend;
use yaolian_store::{ledger, Store};

async fn principal(store: &Store, org: i64, name: &str, roles: &[&str]) -> Principal {
    let id = fixtures::user(store, &yaolian_access::run_as_system::principal(), org, name, true, roles).await.unwrap();
    auth::principal_for_user(store, id).await.unwrap()
}

fn request<'a>(id: &'a str, version: i64, meaning: &'a str, password: &'a str) -> SignRequest<'a> {
    SignRequest { entity: "user", entity_id: id, version, meaning, password, totp: None }
}

#[tokio::test]
async fn signatures_reauthenticate_bind_the_version_and_travel_in_bundles() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let cfg = IdentityConfig::default();
        let c = ClientInfo { ip: "10.1.1.1".into(), user_agent: "test".into() };
        let admin = principal(&store, w.national, "admin1", &["sys_admin"]).await;
        let target = fixtures::user(&store, &admin, w.company_a, "staff1", true, &[]).await.unwrap();
        let id = target.to_string();

        // Wrong password: refused, audited as sign_failed, counted towards lockout.
        let err = esign::sign(&store, &cfg, &admin, &request(&id, 1, "approve", "wrong"), &c).await.unwrap_err();
        assert!(matches!(err, IdentityError::InvalidCredentials), "{err:?}");
        let auditor = principal(&store, w.national, "auditor1", &["audit_admin"]).await;
        let q = AuditQuery { action: Some("sign_failed".into()), limit: 10, ..Default::default() };
        let failed = audit::query(&store, &auditor, &q, &c).await.unwrap();
        assert_eq!(failed.len(), 1);
        assert_eq!((failed[0].actor_name.as_str(), failed[0].outcome.as_str()), ("admin1", "failed"));
        assert_eq!(failed[0].target, format!("user:{id} v1"));

        // Unknown meaning and an old version are refused with the field and the rule.
        match esign::sign(&store, &cfg, &admin, &request(&id, 1, "bless", PW), &c).await.unwrap_err() {
            IdentityError::Validation(v) => assert_eq!(v.errors[0].field, "meaning"),
            other => panic!("{other:?}"),
        }
        let err = esign::sign(&store, &cfg, &admin, &request(&id, 2, "approve", PW), &c).await.unwrap_err();
        assert!(matches!(err, IdentityError::Conflict(_)), "{err:?}");

        // The manifestation: printed name, time with zone, meaning.
        let sig = esign::sign(&store, &cfg, &admin, &request(&id, 1, "approve", PW), &c).await.unwrap();
        assert_eq!(sig.name, "测试admin1");
        assert_eq!((sig.meaning_zh.as_str(), sig.meaning_en.as_str()), ("批准", "Approved"));
        assert!(sig.at_text.ends_with(" +08:00") && !sig.at_text.contains("+08:00 +08:00"), "{}", sig.at_text);
        assert!(sig.valid && sig.on_current);
        let view = records::view(&store, &admin, "user", &id, &c).await.unwrap();
        assert_eq!(view.signatures.len(), 1);
        assert!(view.signatures[0].valid);
        assert!(!view.current_unsigned_after_signing);
        assert!(view.versions[0].ledger_index.is_some());

        // A change after signing: the signature stays on version 1, the current one is unsigned.
        users::set_status(&store, &admin, target, false, "离职", &c).await.unwrap();
        let view = records::view(&store, &admin, "user", &id, &c).await.unwrap();
        assert_eq!(view.versions.len(), 2);
        assert!(view.current_unsigned_after_signing);
        assert_eq!(view.signatures[0].version, 1);
        assert!(view.signatures[0].valid && !view.signatures[0].on_current);

        // The signature is a ledger entry and travels in the record's bundle.
        let (kid, site) = ledger::site_key(&store, &[9u8; 16]).await.unwrap();
        let bundle = ledger::export_bundle(&store, "user", &id, &site, &kid).await.unwrap();
        assert_eq!(bundle.signatures.len(), 1);
        let summary = yaolian_ledger::bundle::verify(&bundle, None).unwrap();
        assert_eq!(summary.signatures, 1);
        let mut forged = bundle.clone();
        forged.signatures[0].signature.content.meaning = "author".into();
        assert!(yaolian_ledger::bundle::verify(&forged, None).unwrap_err().contains("does not verify"));
        let mut moved = bundle.clone();
        moved.signatures[0].signature.content.version = 2;
        assert!(yaolian_ledger::bundle::verify(&moved, None).is_err());
        assert!(ledger::verify(&store).await.unwrap().is_ok());

        // Changing the stored signature behind the system's back shows it as not verifying.
        sqlx::query("UPDATE signatures SET meaning = 'author'").execute(store.pool()).await.unwrap();
        let list = esign::signatures_of(&store, &admin, "user", &id, &c).await.unwrap();
        assert!(!list[0].valid);
        sqlx::query("UPDATE signatures SET meaning = 'approve'").execute(store.pool()).await.unwrap();

        // After a password reset the old key cannot be opened: a new pair signs, the old
        // signature still verifies under the retired key.
        // (Another of the three administrators may not reset it: the operator does.)
        let operator = yaolian_access::run_as_system::principal();
        users::reset_password(&store, &cfg, &operator, admin.user_id(), "Neuer@Pass2026", &c).await.unwrap();
        let sig2 = esign::sign(&store, &cfg, &admin, &request(&id, 2, "review", "Neuer@Pass2026"), &c).await.unwrap();
        assert_ne!(sig2.key_id, sig.key_id);
        let list = esign::signatures_of(&store, &admin, "user", &id, &c).await.unwrap();
        assert_eq!(list.len(), 2);
        assert!(list.iter().all(|s| s.valid), "{list:?}");
        let keys: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM user_keys WHERE user_id = $1 AND active = 1")
            .bind(admin.user_id())
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(keys, 1);
    })
    .await;
}

#[tokio::test]
async fn audit_events_are_ledger_entries_and_rules_raise_alerts() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let cfg = IdentityConfig::default();
        let sec = principal(&store, w.national, "sec1", &["sec_admin"]).await;
        let auditor = principal(&store, w.national, "auditor1", &["audit_admin"]).await;
        let c = ClientInfo { ip: "10.0.0.9".into(), user_agent: "scanner".into() };
        // The system created the world's organizations (administrative actions) at whatever
        // hour this runs; the off-hours rule is about people, so it raised nothing.
        let raised = alerts::recent(&store, &auditor, 10, &c).await.unwrap();
        assert!(raised.iter().all(|a| a.rule != alerts::ADMIN_OFF_HOURS), "{raised:?}");
        let org_creates = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_events WHERE action = 'org_create'")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert!(org_creates > 0);

        // Five failed logins from one address within ten minutes trip the rule once.
        for _ in 0..6 {
            let err = auth::login(&store, &cfg, "nobody", "guess", &c).await.unwrap_err();
            // The sixth is refused as locked for this source, as a real name would be.
            assert!(matches!(err, IdentityError::InvalidCredentials | IdentityError::AccountLocked { .. }), "{err:?}");
        }
        let raised = alerts::recent(&store, &auditor, 10, &c).await.unwrap();
        let ip_alerts: Vec<_> = raised.iter().filter(|a| a.rule == alerts::FAILED_LOGINS_IP).collect();
        assert_eq!(ip_alerts.len(), 1, "{raised:?}");
        assert_eq!(ip_alerts[0].key, "10.0.0.9");
        let todos = portal::todos(&store, &sec, 20).await.unwrap();
        assert!(todos.iter().any(|t| t.module == "audit" && t.title.contains("10.0.0.9")), "{todos:?}");
        // Only the security administrator gets it.
        assert!(portal::todos(&store, &auditor, 20).await.unwrap().iter().all(|t| t.module != "audit"));

        // Every audit event is a ledger entry whose data is the event.
        let events =
            audit::query(&store, &auditor, &AuditQuery { limit: 100, ..Default::default() }, &c).await.unwrap();
        let failed = events.iter().find(|e| e.action == "login_failed").unwrap();
        let entries = ledger::entries_of(&store, audit::AUDIT_ENTITY, &failed.id.to_string()).await.unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].action, "login_failed");
        assert!(ledger::verify(&store).await.unwrap().is_ok());
        // The audit table is checked against the ledger: an edited or deleted row is named.
        let edit = "UPDATE audit_events SET detail = $1 WHERE id = $2";
        sqlx::query(edit).bind("nothing happened").bind(failed.id).execute(store.pool()).await.unwrap();
        let failure = ledger::verify(&store).await.unwrap().unwrap_err();
        assert_eq!((failure.entity.as_str(), failure.id.clone()), ("audit", failed.id.to_string()));
        assert!(failure.problem.contains("differs"), "{}", failure.problem);
        sqlx::query(edit).bind(&failed.detail).bind(failed.id).execute(store.pool()).await.unwrap();
        assert!(ledger::verify(&store).await.unwrap().is_ok());
        let last = events.first().unwrap();
        sqlx::query("DELETE FROM audit_events WHERE id = $1").bind(last.id).execute(store.pool()).await.unwrap();
        let failure = ledger::verify(&store).await.unwrap().unwrap_err();
        assert!(failure.problem.contains("deleted"), "{}", failure.problem);
        assert_eq!(failure.id, last.id.to_string());
        // Editing an audit event's ledgered copy behind the system's back is caught.
        sqlx::query("UPDATE record_versions SET data = REPLACE(data, 'nobody', 'someone') WHERE entity = 'audit'")
            .execute(store.pool())
            .await
            .unwrap();
        let failure = ledger::verify(&store).await.unwrap().unwrap_err();
        assert_eq!(failure.entity, "audit");

        // Counts by action and user. They count what was recorded (the daily rollup written
        // with each event), so the row deleted above behind the system's back is still counted:
        // finding such a deletion is the ledger's job (`verify`, above), not the summary's.
        let summary = audit::summary(&store, &auditor, yaolian_core::Timestamp(0), None, &c).await.unwrap();
        let by_action = |a: &str| summary.by_action.iter().find(|x| x.key == a).map(|x| x.count);
        // Six failed logins, the newest one's row deleted above included.
        assert_eq!(last.action, "login_failed");
        assert_eq!(by_action("login_failed"), Some(6));
        // For the name: those six and the lockout they caused (unknown names lock like real ones).
        assert_eq!(summary.by_user.iter().find(|x| x.key == "nobody").map(|x| x.count), Some(7));
        assert_eq!(summary.total, events.len() as i64);
        assert!(audit::summary(&store, &sec, yaolian_core::Timestamp(0), None, &c).await.is_err());

        // Three exports by one user within ten minutes trip the bulk-export rule.
        for _ in 0..3 {
            audit::record_export(&store, &auditor, "audit.csv", 5000, &c).await.unwrap();
        }
        let raised = alerts::recent(&store, &auditor, 10, &c).await.unwrap();
        assert!(raised.iter().any(|a| a.rule == alerts::BULK_EXPORT && a.key == "auditor1"), "{raised:?}");

        // Rules: only the audit administrator changes them, with a reason, as a versioned record.
        let mut rule = alerts::rules(&store, &auditor, &c).await.unwrap().into_iter().next().unwrap();
        rule.threshold = 10;
        let err = alerts::update_rule(&store, &sec, &rule, "收紧", &c).await.unwrap_err();
        assert!(matches!(err, yaolian_access::AccessError::Forbidden { .. }));
        match alerts::update_rule(&store, &auditor, &rule, " ", &c).await.unwrap_err() {
            yaolian_access::AccessError::Validation(v) => assert_eq!(v.errors[0].field, "reason"),
            other => panic!("{other:?}"),
        }
        rule.window_minutes = 0;
        match alerts::update_rule(&store, &auditor, &rule, "收紧", &c).await.unwrap_err() {
            yaolian_access::AccessError::Validation(v) => assert_eq!(v.errors[0].field, "window_minutes"),
            other => panic!("{other:?}"),
        }
        rule.window_minutes = 30;
        alerts::update_rule(&store, &auditor, &rule, "误报太多", &c).await.unwrap();
        let history = records::history(&store, &auditor, "alert_rule", &rule.code, &c).await.unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[1].reason, "误报太多");
        assert_eq!(history[1].data["threshold"], 10);
    })
    .await;
}

/// Counts of `audit_events` grouped by `column` over `[from, to)`, most first, as the summary
/// orders them: what the summary must equal, read straight from the raw table.
async fn raw_counts(store: &Store, column: &str, from: i64, to: i64, limit: i64) -> Vec<audit::Count> {
    let sql = format!(
        "SELECT {column} AS k, COUNT(*) AS n FROM audit_events WHERE at >= $1 AND at < $2 \
         GROUP BY {column} ORDER BY n DESC, k LIMIT $3"
    );
    let rows: Vec<(String, i64)> =
        sqlx::query_as(&sql).bind(from).bind(to).bind(limit).fetch_all(store.pool()).await.unwrap();
    rows.into_iter().map(|(key, count)| audit::Count { key, count }).collect()
}

#[tokio::test]
async fn the_audit_summary_counts_from_its_daily_rollup_what_the_log_holds() {
    each_backend(|store| async move {
        use yaolian_core::Timestamp;
        let w = fixtures::world(&store).await.unwrap();
        let cfg = IdentityConfig::default();
        let sec = principal(&store, w.national, "sec1", &["sec_admin"]).await;
        let auditor = principal(&store, w.national, "auditor1", &["audit_admin"]).await;
        let c = ClientInfo { ip: "10.0.0.7".into(), user_agent: "test".into() };
        // A mix of actions, actors and outcomes: failed logins and a lockout, a login, refusals,
        // exports; the world's organizations and users were created by the system before.
        for _ in 0..3 {
            auth::login(&store, &cfg, "sec1", "wrong", &c).await.unwrap_err();
        }
        auth::login(&store, &cfg, "auditor1", PW, &c).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let middle = Timestamp::now();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        assert!(audit::query(&store, &sec, &AuditQuery { limit: 1, ..Default::default() }, &c).await.is_err());
        assert!(audit::summary(&store, &sec, Timestamp(0), None, &c).await.is_err());
        audit::record_export(&store, &auditor, "audit.csv", 10, &c).await.unwrap();
        audit::record_export(&store, &auditor, "products.csv", 20, &c).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let end = Timestamp::now();
        auth::login(&store, &cfg, "nobody", "guess", &c).await.unwrap_err();

        // The rollups hold exactly the log grouped by China day and action and outcome, and by
        // China day and actor.
        type Row = (i64, String, String, i64);
        let read = |sql: &'static str| {
            let store = store.clone();
            async move { sqlx::query_as::<_, Row>(sql).fetch_all(store.pool()).await.unwrap() }
        };
        let actions =
            read("SELECT day, action, outcome, n FROM audit_daily_actions ORDER BY day, action, outcome").await;
        let grouped = read(
            "SELECT (at + 28800000) / 86400000 AS day, action, outcome, COUNT(*) AS n FROM audit_events \
             GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        )
        .await;
        assert_eq!(actions, grouped);
        assert!(grouped.iter().any(|r| r.2 == "denied") && grouped.iter().any(|r| r.2 == "failed"), "{grouped:?}");
        let actors = read("SELECT day, actor_name, '', n FROM audit_daily_actors ORDER BY day, actor_name").await;
        let grouped = read(
            "SELECT (at + 28800000) / 86400000 AS day, actor_name, '', COUNT(*) AS n FROM audit_events \
             GROUP BY 1, 2 ORDER BY 1, 2",
        )
        .await;
        assert_eq!(actors, grouped);
        assert!(grouped.len() > 3, "{grouped:?}");

        // The summary equals a GROUP BY over the events, whether the period starts at a day's
        // start (the page: the rollup alone), at any time (the API: the rest of the day read
        // from the events) or lies within a day.
        let today_start = {
            let day = (Timestamp::now().0 + 28_800_000) / 86_400_000;
            day * 86_400_000 - 28_800_000
        };
        let periods = [
            (Timestamp(0), None),
            (Timestamp(today_start), None),
            (middle, None),
            (middle, Some(end)),
            (Timestamp(0), Some(end)),
            (Timestamp(today_start), Some(Timestamp(today_start + 86_400_000))),
        ];
        for (from, to) in periods {
            let summary = audit::summary(&store, &auditor, from, to, &c).await.unwrap();
            let to_ms = to.map_or(i64::MAX, |t| t.0);
            let by_action = raw_counts(&store, "action", from.0, to_ms, 100).await;
            assert_eq!(summary.by_action, by_action, "from {from:?} to {to:?}");
            assert_eq!(summary.by_user, raw_counts(&store, "actor_name", from.0, to_ms, 20).await);
            assert_eq!(summary.total, by_action.iter().map(|c| c.count).sum::<i64>());
            assert!(summary.total > 0);
            // Per day (until now): ok and refused as the events' outcomes say.
            let (ok, refused): (i64, i64) = sqlx::query_as(
                "SELECT CAST(COALESCE(SUM(CASE WHEN outcome = 'ok' THEN 1 ELSE 0 END), 0) AS BIGINT), \
                 CAST(COALESCE(SUM(CASE WHEN outcome = 'ok' THEN 0 ELSE 1 END), 0) AS BIGINT) \
                 FROM audit_events WHERE at >= $1",
            )
            .bind(from.0)
            .fetch_one(store.pool())
            .await
            .unwrap();
            let days = &summary.by_day;
            assert_eq!(
                (days.iter().map(|d| d.ok).sum::<i64>(), days.iter().map(|d| d.refused).sum::<i64>()),
                (ok, refused)
            );
        }
        let within = audit::summary(&store, &auditor, middle, Some(end), &c).await.unwrap();
        let by_action = |a: &str| within.by_action.iter().find(|x| x.key == a).map(|x| x.count);
        assert_eq!(
            (by_action("export"), by_action("permission_denied"), by_action("login_failed")),
            (Some(2), Some(2), None)
        );
    })
    .await;
}

#[tokio::test]
async fn enrolled_signers_also_give_a_fresh_one_time_code() {
    each_backend(|store| async move {
        use yaolian_identity::totp;
        let w = fixtures::world(&store).await.unwrap();
        let cfg = IdentityConfig::default();
        let c = ClientInfo::default();
        let qa = principal(&store, w.company_a, "qa1", &["quality_head"]).await;
        let enrollment = totp::begin_enrollment(&store, &cfg, &qa).await.unwrap();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        // Enroll with the previous step's code, so that the current step is still unused.
        let code = totp::code_at(&enrollment.secret, now - 30).unwrap();
        totp::confirm_enrollment(&store, &cfg, &qa, &code, None, &c).await.unwrap();
        let id = qa.user_id().to_string();
        // Enrolling versioned the account (the second factor's fingerprint): version 2 is current.
        let no_code = esign::sign(&store, &cfg, &qa, &request(&id, 2, "author", PW), &c).await.unwrap_err();
        assert!(matches!(no_code, IdentityError::InvalidTotp), "{no_code:?}");
        let current = totp::code_at(&enrollment.secret, now).unwrap();
        let req = SignRequest { totp: Some(&current), ..request(&id, 2, "author", PW) };
        let sig = esign::sign(&store, &cfg, &qa, &req, &c).await.unwrap();
        assert_eq!(sig.meaning_zh, "编写");
        // The same code cannot sign twice.
        let again = esign::sign(&store, &cfg, &qa, &SignRequest { meaning: "confirm", ..req }, &c).await.unwrap_err();
        assert!(matches!(again, IdentityError::InvalidTotp), "{again:?}");
        let auditor = principal(&store, w.national, "auditor9", &["audit_admin"]).await;
        let q = AuditQuery { action: Some("sign_failed".into()), limit: 10, ..Default::default() };
        assert_eq!(audit::query(&store, &auditor, &q, &c).await.unwrap().len(), 2);
    })
    .await;
}
