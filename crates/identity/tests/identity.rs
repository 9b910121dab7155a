//! Identity story tests on SQLite and (with `YAOLIAN_TEST_PG`) PostgreSQL.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions may unwrap too

use yaolian_access::OrgKind;
use yaolian_access::{ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_identity::role_requests::{self, RoleChange};
use yaolian_identity::{auth, auth::Stage};
use yaolian_identity::{orgs, orgs::NewOrg};
use yaolian_identity::{roles, totp, IdentityConfig, IdentityError};
use yaolian_identity::{users, users::UserQuery};
use yaolian_store::testing::each_backend;
use yaolian_store::{versions, Store};

use yaolian_identity::{fixtures, fixtures::PASSWORD as PW};

struct World {
    nat: i64,
    prov: i64,
    co_a: i64,
    co_b: i64,
}

async fn world(store: &Store) -> World {
    let w = fixtures::world(store).await.unwrap();
    World { nat: w.national, prov: w.province, co_a: w.company_a, co_b: w.company_b }
}

async fn user(
    store: &Store,
    by: &Principal,
    org: i64,
    name: &str,
    master: bool,
    roles: &[&str],
) -> Result<i64, IdentityError> {
    fixtures::user(store, by, org, name, master, roles).await
}

#[tokio::test]
async fn org_hierarchy_rules_and_paths() {
    each_backend(|store| async move {
        let w = world(&store).await;
        let sys = yaolian_access::run_as_system::principal();
        let c = ClientInfo::default();
        let a = orgs::get_unchecked(&store, w.co_a).await.unwrap();
        assert_eq!(a.path, format!("/{}/{}/{}/", w.nat, w.prov, w.co_a));
        // A site under a province is refused: sites belong to companies.
        let bad = NewOrg {
            kind: OrgKind::Site,
            name: "一号仓".into(),
            code: "S1".into(),
            parent_id: Some(w.prov),
            region: String::new(),
        };
        let err = orgs::create(&store, &sys, &bad, &c).await.unwrap_err();
        match err {
            IdentityError::Validation(v) => assert_eq!(v.errors[0].rule, "parent_kind"),
            other => panic!("{other:?}"),
        }
        // A wrong check character is named.
        let bad = NewOrg {
            kind: OrgKind::Company,
            name: "丙".into(),
            code: "91350100M000100Y44".into(),
            parent_id: Some(w.prov),
            region: String::new(),
        };
        match orgs::create(&store, &sys, &bad, &c).await.unwrap_err() {
            IdentityError::Validation(v) => {
                assert_eq!((v.errors[0].field.as_str(), v.errors[0].rule.as_str()), ("code", "uscc_check"))
            }
            other => panic!("{other:?}"),
        }
        // Duplicate codes are refused.
        let dup = NewOrg {
            kind: OrgKind::Company,
            name: "重复".into(),
            code: "91350100M000100Y43".into(),
            parent_id: Some(w.prov),
            region: String::new(),
        };
        match orgs::create(&store, &sys, &dup, &c).await.unwrap_err() {
            IdentityError::Validation(v) => assert_eq!(v.errors[0].rule, "unique"),
            other => panic!("{other:?}"),
        }
        // Every creation left a version.
        assert_eq!(versions::history(store.pool(), "org", &w.co_a.to_string()).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn orgs_come_a_page_at_a_time_and_a_picker_names_one() {
    each_backend(|store| async move {
        let w = world(&store).await;
        let sys = yaolian_access::run_as_system::principal();
        let c = ClientInfo::default();
        let find = |q: &str, kind: Option<OrgKind>, after: &str, limit: i64| orgs::OrgQuery {
            q: q.into(),
            kind,
            after: after.into(),
            limit: Some(limit),
        };
        // Tree order, a page at a time: the next page starts after the last path.
        let first = orgs::find(&store, &sys, &find("", None, "", 3), &c).await.unwrap();
        assert_eq!(first.iter().map(|o| o.id).collect::<Vec<_>>(), vec![w.nat, w.prov, w.co_a]);
        let rest = orgs::find(&store, &sys, &find("", None, &first[2].path, 3), &c).await.unwrap();
        assert_eq!(rest.iter().map(|o| o.id).collect::<Vec<_>>(), vec![w.co_b]);
        // Part of the name, part of the code (any case), one kind.
        let by_name = orgs::find(&store, &sys, &find("医药", None, "", 20), &c).await.unwrap();
        assert_eq!(by_name.iter().map(|o| o.id).collect::<Vec<_>>(), vec![w.co_b]);
        let by_code = orgs::find(&store, &sys, &find("m000100y", None, "", 20), &c).await.unwrap();
        assert_eq!(by_code.iter().map(|o| o.id).collect::<Vec<_>>(), vec![w.co_a]);
        let companies = orgs::find(&store, &sys, &find("", Some(OrgKind::Company), "", 20), &c).await.unwrap();
        assert_eq!(companies.iter().map(|o| o.id).collect::<Vec<_>>(), vec![w.co_a, w.co_b]);
        // LIKE's wildcards are text, not patterns.
        assert!(orgs::find(&store, &sys, &find("%", None, "", 20), &c).await.unwrap().len() == 4);

        // A picker's value: 名称 代码 as offered, the code, the exact name, or the id.
        let company = Some(OrgKind::Company);
        for value in
            ["甲制药有限公司 91350100M000100Y43", "91350100m000100y43", " 甲制药有限公司 ", &w.co_a.to_string()]
        {
            let org = orgs::resolve(&store, &sys, "mah_org_id", value, company, &c).await.unwrap();
            assert_eq!(org.id, w.co_a, "{value}");
        }
        // Names none, names one of another kind, or is empty: refused on the field.
        for (value, rule) in [("甲制药", "org_pick"), ("浙江省药品监督管理局", "org_pick"), ("  ", "required")]
        {
            match orgs::resolve(&store, &sys, "mah_org_id", value, company, &c).await.unwrap_err() {
                IdentityError::Validation(v) => {
                    assert_eq!((v.errors[0].field.as_str(), v.errors[0].rule.as_str()), ("mah_org_id", rule), "{value}")
                }
                other => panic!("{value}: {other:?}"),
            }
        }
        // A company's master account sees and picks only its own company.
        let master = user(&store, &sys, w.co_a, "pick.master", true, &["company_master"]).await.unwrap();
        let master = auth::principal_for_user(&store, master).await.unwrap();
        let seen = orgs::find(&store, &master, &find("", None, "", 20), &c).await.unwrap();
        assert_eq!(seen.iter().map(|o| o.id).collect::<Vec<_>>(), vec![w.co_a]);
        let other = orgs::resolve(&store, &master, "org_id", "乙医药有限公司", None, &c).await.unwrap_err();
        assert!(matches!(other, IdentityError::Validation(_)), "{other:?}");
    })
    .await;
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account() {
    each_backend(|store| async move {
        let w = world(&store).await;
        user(&store, &yaolian_access::run_as_system::principal(), w.co_a, "zhangsan", false, &["lab_analyst"])
            .await
            .unwrap();
        let cfg = IdentityConfig::default();
        let c = ClientInfo { ip: "10.0.0.9".into(), user_agent: "test".into() };
        for i in 1..=4 {
            let e = auth::login(&store, &cfg, "zhangsan", "wrong-Pass1", &c).await.unwrap_err();
            assert_eq!(e.code(), "invalid_credentials", "attempt {i}");
        }
        let e = auth::login(&store, &cfg, "zhangsan", "wrong-Pass1", &c).await.unwrap_err();
        assert_eq!(e.code(), "account_locked", "the fifth failure locks");
        let e = auth::login(&store, &cfg, "zhangsan", "wrong-Pass1", &c).await.unwrap_err();
        assert_eq!(e.code(), "account_locked");
        let e = auth::login(&store, &cfg, "zhangsan", PW, &c).await.unwrap_err();
        assert_eq!(e.code(), "account_locked", "right password while locked");
        let log = audit::query(
            &store,
            &yaolian_access::run_as_system::principal(),
            &audit::AuditQuery { actor: Some("zhangsan".into()), limit: 100, ..Default::default() },
            &c,
        )
        .await
        .unwrap();
        let failures = log.iter().filter(|e| e.action == "login_failed").count();
        assert_eq!(failures, 7, "every refused attempt is audited");
        assert_eq!(log.iter().filter(|e| e.action == "lockout").count(), 1);
        assert!(log.iter().all(|e| e.ip == "10.0.0.9"));
    })
    .await;
}

/// Item 16: five wrong passwords from one address locked the account everywhere, so anyone
/// could lock out a known user (an administrator included). Now the lock holds for that
/// address only: from another one the right password still logs in, from the first it is
/// refused until the lock ends or a security administrator lifts it.
#[tokio::test]
async fn a_lockout_holds_only_for_the_source_that_failed() {
    each_backend(|store| async move {
        let w = world(&store).await;
        let sys = yaolian_access::run_as_system::principal();
        let id = user(&store, &sys, w.co_a, "wangwu", false, &["lab_analyst"]).await.unwrap();
        let sec = user(&store, &sys, w.nat, "sec", false, &["sec_admin"]).await.unwrap();
        let cfg = IdentityConfig::default();
        let a = ClientInfo { ip: "10.0.0.1".into(), user_agent: "attacker".into() };
        let b = ClientInfo { ip: "10.0.0.2".into(), user_agent: "owner".into() };
        // The owner's session from before the attack.
        let before = auth::login(&store, &cfg, "wangwu", PW, &b).await.unwrap();
        for _ in 1..=5 {
            auth::login(&store, &cfg, "wangwu", "wrong-Pass1", &a).await.unwrap_err();
        }
        let e = auth::login(&store, &cfg, "wangwu", PW, &a).await.unwrap_err();
        assert_eq!(e.code(), "account_locked", "locked from the failing source");
        auth::login(&store, &cfg, "wangwu", PW, &b).await.expect("another source still logs in");
        auth::session_principal(&store, &cfg, &before.token).await.expect("the lock ends no session");
        // The users page shows the lock; the security administrator lifts it for every source.
        let p = auth::principal_for_user(&store, sec).await.unwrap();
        let shown = users::get(&store, &p, id, &b).await.unwrap();
        assert!(shown.locked_until.is_some(), "the users page tells of the lock");
        users::unlock(&store, &p, id, &b).await.unwrap();
        assert!(users::get(&store, &p, id, &b).await.unwrap().locked_until.is_none());
        auth::login(&store, &cfg, "wangwu", PW, &a).await.expect("unlocked from the first source too");
    })
    .await;
}

/// Item 16: a name that matches no account is counted and locked like a real one, so the
/// answers (wrong password, then locked with a time) never tell which names exist; the audit
/// trail says what really happened.
#[tokio::test]
async fn an_unknown_name_is_answered_as_a_known_one() {
    each_backend(|store| async move {
        let w = world(&store).await;
        user(&store, &yaolian_access::run_as_system::principal(), w.co_a, "zhaoliu", false, &["lab_analyst"])
            .await
            .unwrap();
        let cfg = IdentityConfig::default();
        let c = ClientInfo { ip: "10.0.0.3".into(), user_agent: "test".into() };
        for i in 1..=6 {
            let known = auth::login(&store, &cfg, "zhaoliu", "wrong-Pass1", &c).await.unwrap_err();
            let unknown = auth::login(&store, &cfg, "nobody", "wrong-Pass1", &c).await.unwrap_err();
            assert_eq!(known.code(), unknown.code(), "attempt {i}");
            assert_eq!(known.code(), if i < 5 { "invalid_credentials" } else { "account_locked" }, "attempt {i}");
        }
        let lockouts: Vec<(Option<i64>, String)> = sqlx::query_as(
            "SELECT actor_id, detail FROM audit_events WHERE action = 'lockout' AND actor_name = 'nobody'",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        assert_eq!(lockouts.len(), 1);
        assert!(lockouts[0].0.is_none() && lockouts[0].1.contains("no such user"), "{lockouts:?}");
    })
    .await;
}

/// A new password (an administrator's reset) lifts the login locks of the account.
#[tokio::test]
async fn a_password_reset_lifts_the_login_locks() {
    each_backend(|store| async move {
        let w = world(&store).await;
        let sys = yaolian_access::run_as_system::principal();
        let id = user(&store, &sys, w.co_a, "sunqi", false, &["lab_analyst"]).await.unwrap();
        let cfg = IdentityConfig::default();
        let c = ClientInfo { ip: "10.0.0.4".into(), user_agent: "test".into() };
        for _ in 1..=5 {
            auth::login(&store, &cfg, "sunqi", "wrong-Pass1", &c).await.unwrap_err();
        }
        users::reset_password(&store, &cfg, &sys, id, "New-Passw0rd!x", &c).await.unwrap();
        auth::login(&store, &cfg, "sunqi", "New-Passw0rd!x", &c).await.expect("the reset lifted the lock");
    })
    .await;
}

/// A failed login and what it sets off (the count, the lock, the lockout event) is one
/// transaction: when the lockout event cannot be written, the fifth failure leaves no trace
/// at all (no event, no count, no lock), rather than a lock nobody audited.
#[tokio::test]
async fn a_failed_login_commits_with_its_count_and_lockout_or_not_at_all() {
    each_backend(|store| async move {
        let w = world(&store).await;
        user(&store, &yaolian_access::run_as_system::principal(), w.co_a, "lisi", false, &["lab_analyst"])
            .await
            .unwrap();
        let cfg = IdentityConfig::default();
        let c = ClientInfo { ip: "10.0.0.8".into(), user_agent: "test".into() };
        for _ in 1..=4 {
            auth::login(&store, &cfg, "lisi", "wrong-Pass1", &c).await.unwrap_err();
        }
        // The audit table refuses lockout events from now on.
        let refuse: &[&str] = match store.backend() {
            yaolian_store::Backend::Sqlite => &["CREATE TRIGGER refuse_lockout BEFORE INSERT ON audit_events \
                 WHEN NEW.action = 'lockout' BEGIN SELECT RAISE(ABORT, 'lockout refused'); END"],
            yaolian_store::Backend::Postgres => &[
                "CREATE FUNCTION refuse_lockout() RETURNS trigger AS $$ BEGIN \
                 IF NEW.action = 'lockout' THEN RAISE EXCEPTION 'lockout refused'; END IF; RETURN NEW; END $$ \
                 LANGUAGE plpgsql",
                "CREATE TRIGGER refuse_lockout BEFORE INSERT ON audit_events FOR EACH ROW \
                 EXECUTE FUNCTION refuse_lockout()",
            ],
        };
        for sql in refuse {
            sqlx::query(sql).execute(store.pool()).await.unwrap();
        }
        let e = auth::login(&store, &cfg, "lisi", "wrong-Pass1", &c).await.unwrap_err();
        assert_ne!(e.code(), "account_locked", "the lock did not commit: {e:?}");
        let row = sqlx::query("SELECT failures, locked_until FROM login_throttle WHERE username = 'lisi'")
            .fetch_one(store.pool())
            .await
            .unwrap();
        use sqlx::Row;
        assert_eq!(row.get::<i64, _>(0), 4, "the fifth failure was not counted");
        assert_eq!(row.get::<i64, _>(1), 0, "the account is not locked");
        let failed: i64 =
            sqlx::query("SELECT COUNT(*) FROM audit_events WHERE actor_name = 'lisi' AND action = 'login_failed'")
                .fetch_one(store.pool())
                .await
                .unwrap()
                .get(0);
        assert_eq!(failed, 4, "the fifth failure's event went with it");
        // The right password still logs in.
        auth::login(&store, &cfg, "lisi", PW, &c).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn login_opens_a_session_that_resolves_to_the_principal() {
    each_backend(|store| async move {
        let w = world(&store).await;
        user(&store, &yaolian_access::run_as_system::principal(), w.co_a, "lisi", false, &["quality_head"])
            .await
            .unwrap();
        let cfg = IdentityConfig::default();
        let s = auth::login(&store, &cfg, "lisi", PW, &ClientInfo::default()).await.unwrap();
        assert_eq!(s.stage, Stage::Full);
        let (p, stage) = auth::session_principal(&store, &cfg, &s.token).await.unwrap();
        assert_eq!(stage, Stage::Full);
        assert_eq!(p.username(), "lisi");
        assert_eq!(p.org_id(), w.co_a);
        assert_eq!(p.role_codes(), vec!["quality_head"]);
        // The database keeps only the hash.
        let raw: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE token_hash = $1")
            .bind(&s.token)
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(raw, 0);
        auth::logout(&store, &p, &s.token, &ClientInfo::default()).await.unwrap();
        assert!(matches!(auth::session_principal(&store, &cfg, &s.token).await, Err(IdentityError::Unauthenticated)));
        // An idle session expires.
        let short = IdentityConfig { session_idle: std::time::Duration::from_millis(0), ..cfg.clone() };
        let s = auth::login(&store, &cfg, "lisi", PW, &ClientInfo::default()).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        assert!(matches!(auth::session_principal(&store, &short, &s.token).await, Err(IdentityError::Unauthenticated)));
    })
    .await;
}

#[tokio::test]
async fn a_cached_session_follows_role_changes_disabling_and_logout() {
    each_backend(|store| async move {
        let w = world(&store).await;
        let sys = yaolian_access::run_as_system::principal();
        let c = ClientInfo::default();
        let u = user(&store, &sys, w.co_a, "wangwu", false, &["quality_head"]).await.unwrap();
        let cfg = IdentityConfig::default();
        let cache = auth::SessionCache::default();
        let s = auth::login(&store, &cfg, "wangwu", PW, &c).await.unwrap();
        let (p, _) = auth::cached_session_principal(&cache, &store, &cfg, &s.token).await.unwrap();
        assert_eq!(p.role_codes(), vec!["quality_head"]);
        // A role change is seen at the next request, not after the cache's lifetime.
        users::assign_roles(&store, &sys, u, &["lab_analyst".to_string()], "调岗", &c).await.unwrap();
        let (p, _) = auth::cached_session_principal(&cache, &store, &cfg, &s.token).await.unwrap();
        assert_eq!(p.role_codes(), vec!["lab_analyst"]);
        // So is disabling the account (which ends its sessions).
        users::set_status(&store, &sys, u, false, "离职", &c).await.unwrap();
        let r = auth::cached_session_principal(&cache, &store, &cfg, &s.token).await;
        assert!(matches!(r, Err(IdentityError::Unauthenticated)), "{r:?}");
        // And a logout.
        users::set_status(&store, &sys, u, true, "复职", &c).await.unwrap();
        let s = auth::login(&store, &cfg, "wangwu", PW, &c).await.unwrap();
        let (p, _) = auth::cached_session_principal(&cache, &store, &cfg, &s.token).await.unwrap();
        auth::logout(&store, &p, &s.token, &c).await.unwrap();
        let r = auth::cached_session_principal(&cache, &store, &cfg, &s.token).await;
        assert!(matches!(r, Err(IdentityError::Unauthenticated)), "{r:?}");
    })
    .await;
}

#[tokio::test]
async fn three_administrators_stay_separate() {
    each_backend(|store| async move {
        let w = world(&store).await;
        let sys = yaolian_access::run_as_system::principal();
        let c = ClientInfo::default();
        let admin = user(&store, &sys, w.nat, "admin", false, &["sys_admin"]).await.unwrap();
        let sec = user(&store, &sys, w.nat, "secadmin", false, &["sec_admin"]).await.unwrap();
        let sec_p = auth::principal_for_user(&store, sec).await.unwrap();
        let err = users::assign_roles(&store, &sec_p, admin, &["sys_admin".into(), "audit_admin".into()], "test", &c)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "separation_of_duties");
        assert!(err.to_string().contains("审计管理员"), "{err}");
        let u = users::get(&store, &sys, admin, &c).await.unwrap();
        assert_eq!(u.roles, vec!["sys_admin"], "nothing changed");
        // Creating a user with two administrator roles is refused too.
        let err = user(&store, &sys, w.nat, "both", false, &["sec_admin", "audit_admin"]).await.unwrap_err();
        assert_eq!(err.code(), "separation_of_duties");
        // The audit administrator reads the audit log and changes nothing else.
        let aud = user(&store, &sys, w.nat, "auditor", false, &["audit_admin"]).await.unwrap();
        let aud_p = auth::principal_for_user(&store, aud).await.unwrap();
        assert!(audit::query(&store, &aud_p, &audit::AuditQuery { limit: 10, ..Default::default() }, &c).await.is_ok());
        let err = user(&store, &aud_p, w.co_a, "sneaky", false, &[]).await.unwrap_err();
        assert_eq!(err.code(), "forbidden");
        let err = users::set_status(&store, &aud_p, admin, false, "x", &c).await.unwrap_err();
        assert_eq!(err.code(), "forbidden");
        // The system administrator cannot read the audit log.
        let admin_p = auth::principal_for_user(&store, admin).await.unwrap();
        assert_eq!(
            audit::query(&store, &admin_p, &audit::AuditQuery::default(), &c).await.unwrap_err().code(),
            "forbidden"
        );
    })
    .await;
}

#[tokio::test]
async fn master_accounts_manage_only_their_own_subtree() {
    each_backend(|store| async move {
        let w = world(&store).await;
        let sys = yaolian_access::run_as_system::principal();
        let c = ClientInfo::default();
        let master_a = user(&store, &sys, w.co_a, "master.a", true, &["company_master", "quality_head"]).await.unwrap();
        user(&store, &sys, w.co_b, "master.b", true, &["company_master"]).await.unwrap();
        let b_sub = user(&store, &sys, w.co_b, "b.analyst", false, &["lab_analyst"]).await.unwrap();
        let ma = auth::principal_for_user(&store, master_a).await.unwrap();
        // Creates a sub-account in its company with a role it holds.
        let sub = user(&store, &ma, w.co_a, "a.qa", false, &["quality_head"]).await.unwrap();
        // Not in another company, not a master account, not a role it does not hold.
        assert_eq!(user(&store, &ma, w.co_b, "xa.one", false, &[]).await.unwrap_err().code(), "forbidden");
        assert_eq!(user(&store, &ma, w.co_a, "xa.two", true, &[]).await.unwrap_err().code(), "forbidden");
        assert_eq!(user(&store, &ma, w.co_a, "xa.three", false, &["inspector"]).await.unwrap_err().code(), "forbidden");
        // Lists only its company's users and cannot read the other company's.
        let (list, total) =
            users::list(&store, &ma, &UserQuery { limit: 100, ..Default::default() }, &c).await.unwrap();
        assert_eq!(total, 2);
        assert!(list.iter().all(|u| u.org_id == w.co_a));
        assert_eq!(users::get(&store, &ma, b_sub, &c).await.unwrap_err().code(), "forbidden");
        // A sub-account cannot list users at all.
        let sub_p = auth::principal_for_user(&store, sub).await.unwrap();
        assert_eq!(users::list(&store, &sub_p, &UserQuery::default(), &c).await.unwrap_err().code(), "forbidden");
        assert_eq!(users::get(&store, &sub_p, b_sub, &c).await.unwrap_err().code(), "forbidden");
        // It disables its sub-account, whose sessions end.
        let s = auth::login(&store, &IdentityConfig::default(), "a.qa", PW, &c).await.unwrap();
        users::set_status(&store, &ma, sub, false, "离职", &c).await.unwrap();
        assert!(auth::session_principal(&store, &IdentityConfig::default(), &s.token).await.is_err());
        assert_eq!(
            auth::login(&store, &IdentityConfig::default(), "a.qa", PW, &c).await.unwrap_err().code(),
            "account_disabled"
        );
        // Disabling needs a reason: it is a change to a regulated record.
        let err = users::set_status(&store, &ma, sub, true, " ", &c).await.unwrap_err();
        assert_eq!(err.code(), "validation_failed");
        let denied = audit::query(
            &store,
            &sys,
            &audit::AuditQuery { action: Some("permission_denied".into()), limit: 100, ..Default::default() },
            &c,
        )
        .await
        .unwrap();
        assert!(denied.len() >= 5, "denials are audited: {}", denied.len());
    })
    .await;
}

#[tokio::test]
async fn totp_enrollment_and_login_step() {
    each_backend(|store| async move {
        let w = world(&store).await;
        let sys = yaolian_access::run_as_system::principal();
        let c = ClientInfo::default();
        let cfg = IdentityConfig::default();
        let sec = user(&store, &sys, w.nat, "secadmin", false, &["sec_admin"]).await.unwrap();
        let sec_p = auth::principal_for_user(&store, sec).await.unwrap();
        roles::set_requires_mfa(&store, &sec_p, "inspector", true, "检查员需双因素", &c).await.unwrap();
        user(&store, &sys, w.prov, "wangwu", false, &["inspector"]).await.unwrap();
        // Password alone is not enough: enrollment is required.
        let s = auth::login(&store, &cfg, "wangwu", PW, &c).await.unwrap();
        assert_eq!(s.stage, Stage::Enroll);
        let (p, _) = auth::session_principal(&store, &cfg, &s.token).await.unwrap();
        let e = totp::begin_enrollment(&store, &cfg, &p).await.unwrap();
        assert!(e.otpauth_uri.starts_with("otpauth://totp/yaolian:wangwu?secret="));
        assert!(e.qr_svg.contains("<svg"));
        // The secret is stored sealed (SM4-GCM under the site key), never in clear.
        let stored: String = sqlx::query_scalar("SELECT totp_secret FROM users WHERE username = 'wangwu'")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert!(stored.starts_with("sm4:") && !stored.contains(&e.secret), "sealed: {stored}");
        let now = (yaolian_core::Timestamp::now().0 / 1000) as u64;
        assert_eq!(
            totp::confirm_enrollment(&store, &cfg, &p, "000000x", Some(&s.token), &c).await.unwrap_err().code(),
            "invalid_totp"
        );
        let code = totp::code_at(&e.secret, now).unwrap();
        totp::confirm_enrollment(&store, &cfg, &p, &code, Some(&s.token), &c).await.unwrap();
        assert_eq!(auth::session_principal(&store, &cfg, &s.token).await.unwrap().1, Stage::Full);
        // Next login asks for a code; the code already used is refused (replay), a fresh one works.
        let s2 = auth::login(&store, &cfg, "wangwu", PW, &c).await.unwrap();
        assert_eq!(s2.stage, Stage::Mfa);
        assert_eq!(auth::complete_mfa(&store, &cfg, &s2.token, &code, &c).await.unwrap_err().code(), "invalid_totp");
        let next = totp::code_at(&e.secret, now + 30).unwrap();
        auth::complete_mfa(&store, &cfg, &s2.token, &next, &c).await.unwrap();
        assert_eq!(auth::session_principal(&store, &cfg, &s2.token).await.unwrap().1, Stage::Full);
        // Another site key does not open the secret: a storage error, neither a panic nor a pass.
        let other = IdentityConfig { sealing: yaolian_ledger::sign::Sealing([9; 16]), ..cfg.clone() };
        let s3 = auth::login(&store, &other, "wangwu", PW, &c).await.unwrap();
        // (The steps up to now + 30 s are used; as if time had passed, the test frees them.)
        let later = totp::code_at(&e.secret, now).unwrap();
        let refused = auth::complete_mfa(&store, &other, &s3.token, &later, &c).await.unwrap_err();
        assert_eq!(refused.code(), "storage_error");
        // A secret stored in clear (before secrets were sealed) is sealed at the next start and
        // still opens.
        sqlx::query("UPDATE users SET totp_secret = $1, totp_last_step = 0 WHERE username = 'wangwu'")
            .bind(&e.secret)
            .execute(store.pool())
            .await
            .unwrap();
        assert_eq!(totp::seal_clear_secrets(&store, &cfg.sealing).await.unwrap(), 1);
        assert_eq!(totp::seal_clear_secrets(&store, &cfg.sealing).await.unwrap(), 0, "once");
        let stored: String = sqlx::query_scalar("SELECT totp_secret FROM users WHERE username = 'wangwu'")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert!(stored.starts_with("sm4:") && !stored.contains(&e.secret), "sealed: {stored}");
        auth::complete_mfa(&store, &cfg, &s3.token, &later, &c).await.unwrap();
    })
    .await;
}

/// 三员分立 (等保 2.0 8.1.4.2, 8.1.5): no one of the three administrators resets, disables or
/// changes the roles of another, every ordered pair tried; nobody changes their own roles; and
/// granting or removing one of the three roles takes two administrators (role requests). API
/// tokens are issued only to oneself (`tokens::create` takes no user), so no pair can issue one
/// for another.
#[tokio::test]
async fn no_administrator_acts_alone_on_another() {
    each_backend(|store| async move {
        let w = world(&store).await;
        let sys = yaolian_access::run_as_system::principal();
        let c = ClientInfo::default();
        let cfg = IdentityConfig::default();
        let admins = [("admin", "sys_admin"), ("secadmin", "sec_admin"), ("auditor", "audit_admin")];
        let mut ids = Vec::new();
        for (name, role) in admins {
            ids.push(user(&store, &sys, w.nat, name, false, &[role]).await.unwrap());
        }
        let principal = |i: usize| {
            let store = store.clone();
            let id = ids[i];
            async move { auth::principal_for_user(&store, id).await.unwrap() }
        };
        for actor in 0..3 {
            let p = principal(actor).await;
            for target in 0..3 {
                let (name, role) = admins[target];
                let id = ids[target];
                let pair = format!("{} → {name}", admins[actor].0);
                let denied = |e: IdentityError| {
                    assert!(["separation_of_duties", "forbidden"].contains(&e.code()), "{pair}: {} {e}", e.code())
                };
                if actor != target {
                    denied(users::reset_password(&store, &cfg, &p, id, "Another@2026x", &c).await.unwrap_err());
                    denied(users::set_status(&store, &p, id, false, "试图停用", &c).await.unwrap_err());
                }
                // Not even a harmless role beside the administrator role, and not one's own.
                let more = vec![role.to_string(), "reviewer".to_string()];
                denied(users::assign_roles(&store, &p, id, &more, "试图变更", &c).await.unwrap_err());
                denied(users::assign_roles(&store, &p, id, &[], "试图撤销", &c).await.unwrap_err());
                // The account is as it was: same roles, active, the old password still works.
                let u = users::get(&store, &sys, id, &c).await.unwrap();
                assert_eq!((u.roles.clone(), u.status.as_str()), (vec![role.to_string()], "active"), "{pair}");
                auth::login(&store, &cfg, name, PW, &c).await.unwrap_or_else(|e| panic!("{pair}: {e}"));
            }
            // Nor grants itself a bureau role.
            let own = vec![admins[actor].1.to_string(), "regulator_leader".to_string()];
            let err = users::assign_roles(&store, &p, ids[actor], &own, "自我授权", &c).await.unwrap_err();
            assert!(["separation_of_duties", "forbidden"].contains(&err.code()), "{err}");
        }
        // The operator at the command line still manages them (and is audited).
        users::reset_password(&store, &cfg, &sys, ids[2], "Operator@2026x", &c).await.unwrap();

        // Two-person rule: the security administrator proposes, a second administrator approves.
        let sec = principal(1).await;
        let admin = principal(0).await;
        let auditor = principal(2).await;
        let clerk = user(&store, &sys, w.nat, "clerk", false, &["reviewer"]).await.unwrap();
        let want = vec!["audit_admin".to_string()];
        // Applied directly it is refused; through `change_roles` it becomes a request.
        let err = users::assign_roles(&store, &sec, clerk, &want, "新任审计管理员", &c).await.unwrap_err();
        assert_eq!(err.code(), "separation_of_duties");
        let change = role_requests::change_roles(&store, &sec, clerk, &want, "新任审计管理员", &c).await.unwrap();
        let RoleChange::Requested(req) = change else { panic!("not a request: {change:?}") };
        assert_eq!((req.status.as_str(), req.roles.clone()), ("pending", want.clone()));
        assert_eq!(users::get(&store, &sys, clerk, &c).await.unwrap().roles, vec!["reviewer"], "not yet");
        // A second open request for the same account is refused.
        let again = role_requests::propose(&store, &sec, clerk, &want, "再次", &c).await.unwrap_err();
        assert_eq!(again.code(), "conflict");
        // The proposer cannot approve; the audit administrator is no approver; the approval
        // needs a reason.
        let err = role_requests::decide(&store, &sec, req.id, true, "同意", &c).await.unwrap_err();
        assert_eq!(err.code(), "separation_of_duties");
        let err = role_requests::decide(&store, &auditor, req.id, true, "同意", &c).await.unwrap_err();
        assert_eq!(err.code(), "forbidden");
        let err = role_requests::decide(&store, &admin, req.id, true, " ", &c).await.unwrap_err();
        assert_eq!(err.code(), "validation_failed");
        let done = role_requests::decide(&store, &admin, req.id, true, "经党组会研究同意", &c).await.unwrap();
        assert_eq!((done.status.as_str(), done.decided_by_name.as_deref()), ("approved", Some("测试admin")));
        assert_eq!(users::get(&store, &sys, clerk, &c).await.unwrap().roles, want, "approved roles in force");
        let err = role_requests::decide(&store, &admin, req.id, false, "重复处理", &c).await.unwrap_err();
        assert_eq!(err.code(), "conflict");
        // A request that would make one person two of the three is refused at once.
        let two = vec!["audit_admin".to_string(), "sec_admin".to_string()];
        let err = role_requests::propose(&store, &sec, clerk, &two, "兼任", &c).await.unwrap_err();
        assert_eq!(err.code(), "separation_of_duties");
        // No request for oneself, and the person concerned never approves their own change:
        // removing the system administrator role is approved by a second security administrator.
        let err = role_requests::propose(&store, &sec, ids[1], &[], "自己", &c).await.unwrap_err();
        assert_eq!(err.code(), "separation_of_duties");
        let sec2 = user(&store, &sys, w.nat, "secadmin2", false, &["sec_admin"]).await.unwrap();
        let sec2 = auth::principal_for_user(&store, sec2).await.unwrap();
        let removal = role_requests::propose(&store, &sec, ids[0], &[], "调离", &c).await.unwrap();
        let err = role_requests::decide(&store, &admin, removal.id, true, "同意", &c).await.unwrap_err();
        assert_eq!(err.code(), "separation_of_duties");
        role_requests::decide(&store, &sec2, removal.id, true, "同意调离", &c).await.unwrap();
        assert!(users::get(&store, &sys, ids[0], &c).await.unwrap().roles.is_empty());
        // A request goes stale when the account changes before the decision.
        let stale = role_requests::propose(&store, &sec, clerk, &[], "撤销审计管理员", &c).await.unwrap();
        users::set_status(&store, &sys, clerk, false, "停用", &c).await.unwrap();
        let err = role_requests::decide(&store, &sec2, stale.id, true, "同意", &c).await.unwrap_err();
        assert_eq!(err.code(), "conflict");
        role_requests::decide(&store, &sec2, stale.id, false, "账号已变更，驳回", &c).await.unwrap();
        // Every step is in the audit log and the requests' history.
        let events =
            audit::query(&store, &sys, &audit::AuditQuery { limit: 500, ..Default::default() }, &c).await.unwrap();
        let count = |a: &str| events.iter().filter(|e| e.action == a).count();
        assert_eq!((count("role_request"), count("role_request_approve"), count("role_request_refuse")), (3, 2, 1));
        assert!(events.iter().any(|e| e.action == "permission_denied" && e.detail.starts_with("三员分立")));
        let history = versions::history(store.pool(), "role_request", &req.id.to_string()).await.unwrap();
        assert_eq!(history.iter().map(|v| v.action.as_str()).collect::<Vec<_>>(), ["create", "approve"]);
        let listed = role_requests::list(&store, &sec, false, &c).await.unwrap();
        assert_eq!(listed.len(), 3);
        assert_eq!(role_requests::list(&store, &auditor, false, &c).await.unwrap_err().code(), "forbidden");
    })
    .await;
}

/// A database from before credentials were fingerprinted: its users' latest versions carry no
/// `password_sm3`, so `ledger verify` would name every user; the start-up baseline versions
/// them once, and then current state matches the ledger again.
#[tokio::test]
async fn accounts_from_before_fingerprints_get_a_ledgered_baseline_once() {
    each_backend(|store| async move {
        let w = world(&store).await;
        let sys = yaolian_access::run_as_system::principal();
        let id = user(&store, &sys, w.co_a, "old.timer", false, &["lab_analyst"]).await.unwrap();
        assert!(yaolian_identity::state::drifts(&store).await.unwrap().is_empty());
        // The kind of version an older release wrote: no fingerprints.
        let old = serde_json::json!({"id": id, "username": "old.timer", "status": "active"});
        let mut tx = store.begin().await.unwrap();
        let version = versions::NewVersion {
            entity: "user",
            entity_id: &id.to_string(),
            actor: "system",
            action: "update",
            reason: "旧版本",
            data: &old,
            expected_version: None,
        };
        let written = versions::append(&mut tx, version).await.unwrap();
        sqlx::query("UPDATE users SET version = $1 WHERE id = $2")
            .bind(written.version)
            .bind(id)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let named = yaolian_identity::state::drifts(&store).await.unwrap();
        assert!(named.iter().any(|d| d.entity_id == id.to_string() && d.field == "password_sm3"), "{named:?}");
        assert_eq!(yaolian_identity::state::baseline_fingerprints(&store).await.unwrap(), 1);
        assert!(yaolian_identity::state::drifts(&store).await.unwrap().is_empty());
        assert_eq!(yaolian_identity::state::baseline_fingerprints(&store).await.unwrap(), 0, "once");
    })
    .await;
}
