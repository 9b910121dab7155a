//! The `yaolian` command line: admin commands on a fresh SQLite data directory, and bad input
//! answered with a non-zero exit and one readable line.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions may unwrap too

use std::process::{Command, Output};

fn yaolian(data_dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_yaolian"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("YAOLIAN_DATABASE_URL")
        .env_remove("YAOLIAN_CONFIG")
        .env("YAOLIAN_LOG", "error")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn admin_commands_create_and_list_and_refuse_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = yaolian(d, &["migrate"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("migrated (sqlite)"));

    // A wrong check character: exit 1, one line naming the field and the rule.
    let o = yaolian(
        d,
        &["admin", "create-org", "--kind", "national", "--name", "国家药品监督管理局", "--code", "11100000MB0341032X"],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("code (uscc_check)") && err.contains("expected Y, found X"), "{err}");

    let o = yaolian(
        d,
        &["admin", "create-org", "--kind", "national", "--name", "国家药品监督管理局", "--code", "11100000MB0341032Y"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = yaolian(d, &["admin", "create-org", "--kind", "bureau", "--name", "x", "--code", "x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--kind"));

    let o = yaolian(
        d,
        &[
            "admin",
            "create-user",
            "--org",
            "1",
            "--username",
            "admin",
            "--name",
            "王建国",
            "--password",
            "Yaolian@2026",
            "--roles",
            "sys_admin",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // Weak password: the rule is named.
    let o =
        yaolian(d, &["admin", "create-user", "--org", "1", "--username", "weak", "--name", "弱", "--password", "abc"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("min_length:8"), "{}", stderr(&o));
    // Two administrator roles for one person are refused.
    let o = yaolian(
        d,
        &[
            "admin",
            "create-user",
            "--org",
            "1",
            "--username",
            "both",
            "--name",
            "两员",
            "--password",
            "Yaolian@2026",
            "--roles",
            "sys_admin,audit_admin",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("三员分立"), "{}", stderr(&o));

    let o = yaolian(d, &["admin", "list-users"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains("admin") && out.contains("sys_admin") && out.contains("1 users"), "{out}");

    let o = yaolian(d, &["admin", "reset-password", "--username", "admin", "--password", "Another#2026"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = yaolian(d, &["admin", "reset-password", "--username", "nobody", "--password", "Another#2026"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("nobody"));
}

#[test]
fn unsupported_database_url_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let o = yaolian(dir.path(), &["--database-url", "mysql://u:secret@h/db", "migrate"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("mysql://u:***@h/db") && !err.contains("secret"), "{err}");
}

#[test]
fn config_file_with_unknown_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("yaolian.toml");
    std::fs::write(&cfg, "adress = \"0.0.0.0:1\"\n").unwrap();
    let o = yaolian(dir.path(), &["--config", cfg.to_str().unwrap(), "migrate"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("adress"), "{}", stderr(&o));
}

#[tokio::test]
async fn ledger_verify_export_and_tamper_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = yaolian(d, &["demo", "--no-serve"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = yaolian(d, &["ledger", "checkpoint"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = yaolian(d, &["ledger", "verify"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("ledger OK") && stdout(&o).contains("1 checkpoints verified"), "{}", stdout(&o));
    assert!(stdout(&o).contains("state OK"), "{}", stdout(&o));
    // The sealing key file is private to its owner.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("ledger-seal.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A bundle for the admin account verifies offline, with no database.
    let bundle = d.join("bundle.json");
    let o = yaolian(d, &["ledger", "export", "--entity", "user", "--id", "1", "-o", bundle.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let empty = tempfile::tempdir().unwrap();
    let o = yaolian(empty.path(), &["ledger", "verify", "--bundle", bundle.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!empty.path().join("yaolian.db").exists(), "offline verification opened no database");
    let text = std::fs::read_to_string(&bundle).unwrap().replacen("王建国", "王建图", 1);
    std::fs::write(&bundle, text).unwrap();
    let o = yaolian(empty.path(), &["ledger", "verify", "--bundle", bundle.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("data does not match"), "{}", stderr(&o));

    // Item 3: current state is compared with the latest ledgered versions. Edit three tables
    // behind the system's back — a role granted, a password hash swapped for another user's, a
    // revoked license set back to valid — and verify names each row and field.
    {
        sqlx::any::install_default_drivers();
        let url = format!("sqlite://{}", d.join("yaolian.db").display());
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        for sql in [
            "INSERT INTO user_roles (user_id, role_id) SELECT u.id, r.id FROM users u, roles r \
             WHERE u.username = 'zj.reviewer' AND r.code = 'sec_admin'",
            "UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE username = 'auditor') \
             WHERE username = 'admin'",
            "UPDATE licenses SET status = 'valid', status_reason = '' WHERE status = 'revoked'",
        ] {
            assert_eq!(sqlx::query(sql).execute(&pool).await.unwrap().rows_affected(), 1, "{sql}");
        }
        pool.close().await;
    }
    let o = yaolian(d, &["ledger", "verify"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("current state differs from the ledger in 4 places"), "{err}");
    for named in ["user 1: password_sm3", ": roles is [\"sec_admin\",\"reviewer\"] in the table but [\"reviewer\"]"] {
        assert!(err.contains(named), "{named} in {err}");
    }
    assert!(err.contains(": status is \"valid\" in the table but \"revoked\" in the ledger"), "{err}");
    // A backup of the edited database is signed (the site signs what it has), and restoring it
    // still refuses: the copy's state does not match its ledger.
    let backup = d.join("edited.db");
    let o = yaolian(d, &["backup", "-o", backup.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let fresh = tempfile::tempdir().unwrap();
    std::fs::copy(d.join("ledger-seal.key"), fresh.path().join("ledger-seal.key")).unwrap();
    let o = yaolian(fresh.path(), &["restore", backup.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("nothing was restored") && stderr(&o).contains("password_sm3"), "{}", stderr(&o));
    assert!(!fresh.path().join("yaolian.db").exists());

    // Change a record behind the application's back: verify exits 1 and names the entry.
    {
        sqlx::any::install_default_drivers();
        let url = format!("sqlite://{}", d.join("yaolian.db").display());
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        sqlx::query("UPDATE record_versions SET data = replace(data, '黄志强', '黄某') WHERE entity = 'user'")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
    let o = yaolian(d, &["ledger", "verify"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("ledger verification failed at entry") && err.contains("(user "), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[tokio::test]
async fn backup_and_restore_check_the_checksum_and_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = yaolian(d, &["demo", "--no-serve"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let backup = d.join("backup.db");
    let b = backup.to_str().unwrap();
    let o = yaolian(d, &["backup", "-o", b]);
    assert!(o.status.success(), "{}", stderr(&o));
    let sum = std::fs::read_to_string(d.join("backup.db.sm3")).unwrap();
    assert_eq!(sum.split_whitespace().nth(1), Some("backup.db"));
    assert_eq!(sum.split_whitespace().next().unwrap().len(), 64);
    // A second backup to the same name is refused rather than overwriting.
    let o = yaolian(d, &["backup", "-o", b]);
    assert_eq!(o.status.code(), Some(1));

    // Beside it, the manifest signed with the site key (issue 15 item 4).
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("backup.db.manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["sm3"].as_str(), sum.split_whitespace().next());
    assert_eq!(manifest["format"], "yaolian-backup/1");

    // Restoring needs this site's sealing key (it checks the signature); never makes one.
    let fresh = tempfile::tempdir().unwrap();
    let o = yaolian(fresh.path(), &["restore", b]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("ledger-seal.key"), "{}", stderr(&o));
    assert!(!fresh.path().join("ledger-seal.key").exists() && !fresh.path().join("yaolian.db").exists());
    // With the site's key: signature, checksum and ledger verified, database in place.
    std::fs::copy(d.join("ledger-seal.key"), fresh.path().join("ledger-seal.key")).unwrap();
    let o = yaolian(fresh.path(), &["restore", b]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("ledger OK"), "{}", stdout(&o));
    let o = yaolian(fresh.path(), &["admin", "list-users"]);
    assert!(stdout(&o).contains("王建国"), "{}", stdout(&o));
    // An existing database is replaced only with --force, and kept beside.
    let o = yaolian(fresh.path(), &["restore", b]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    let o = yaolian(fresh.path(), &["restore", "--force", b]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(fresh.path().join("yaolian.db.before-restore").exists());

    // One changed byte: the signed SM3 names the change and nothing is restored.
    let empty = tempfile::tempdir().unwrap();
    std::fs::copy(d.join("ledger-seal.key"), empty.path().join("ledger-seal.key")).unwrap();
    let damaged = d.join("damaged.db");
    let mut bytes = std::fs::read(&backup).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&damaged, &bytes).unwrap();
    std::fs::copy(d.join("backup.db.manifest.json"), d.join("damaged.db.manifest.json")).unwrap();
    let o = yaolian(empty.path(), &["restore", damaged.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("SM3 mismatch"), "{}", stderr(&o));
    assert!(!empty.path().join("yaolian.db").exists());

    // A backup whose records were edited, with its checksum recomputed (independently, with
    // OpenSSL 3) into the manifest: the checksum matches, the signature does not (before, the
    // `.sm3` was the only check and anyone could recompute it).
    let edited = d.join("edited.db");
    std::fs::copy(&backup, &edited).unwrap();
    {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&format!("sqlite://{}", edited.display())).await.unwrap();
        sqlx::query("UPDATE users SET password_hash = 'swapped' WHERE username = 'admin'")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
    let digest = Command::new("openssl").args(["dgst", "-sm3", "-r"]).arg(&edited).output().unwrap();
    let hex = String::from_utf8_lossy(&digest.stdout).split_whitespace().next().unwrap().to_string();
    let mut forged = manifest.clone();
    forged["sm3"] = serde_json::Value::String(hex);
    forged["file"] = serde_json::Value::String("edited.db".into());
    std::fs::write(d.join("edited.db.manifest.json"), forged.to_string()).unwrap();
    let o = yaolian(empty.path(), &["restore", edited.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not signed by this site's key"), "{}", stderr(&o));
    assert!(!empty.path().join("yaolian.db").exists(), "nothing restored");

    // Another site's backup restores with --trust-key naming that site's public key, and only
    // with that key.
    let other = tempfile::tempdir().unwrap();
    let pem = d.join("site.pem");
    std::fs::write(&pem, manifest["public_pem"].as_str().unwrap()).unwrap();
    let o = yaolian(other.path(), &["restore", "--trust-key", pem.to_str().unwrap(), b]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stranger = d.join("stranger.pem");
    std::fs::write(&stranger, yaolian_ledger::sign::KeyPair::generate().public_pem()).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let o = yaolian(elsewhere.path(), &["restore", "--trust-key", stranger.to_str().unwrap(), b]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not signed by the key --trust-key names"), "{}", stderr(&o));
}

#[test]
fn an_exported_license_verifies_offline_and_a_changed_byte_fails() {
    use yaolian_ledger::sign::KeyPair;
    use yaolian_license::document::{LicenseDocument, LicenseSignature, SignedLicense, SIGNATURE_ALG};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = KeyPair::generate();
    let license = LicenseDocument {
        name: "药品经营许可证".into(),
        kind: "drug_retail".into(),
        type_code: "11100000MB0341032Y002".into(),
        number: "浙CB20260001".into(),
        identifier: yaolian_license::LicenseId::generate(
            "11100000MB0341032Y002",
            "113300000024870444",
            "20260000001",
            1,
        )
        .unwrap()
        .to_string(),
        version: 1,
        holder: "民生大药房".into(),
        holder_code: "91350100M000100Y43".into(),
        holder_code_type: "统一社会信用代码".into(),
        issuer: "浙江省药品监督管理局".into(),
        issuer_code: "113300000024870444".into(),
        issued_on: "2026-11-28".into(),
        valid_from: "2026-11-28".into(),
        valid_until: "2031-11-27".into(),
        jurisdiction: "330000".into(),
        fields: [("business_scope".to_string(), "处方药".to_string())].into_iter().collect(),
    };
    let value = hex::encode(key.sign(&license.message()));
    let signed = SignedLicense {
        license,
        signature: LicenseSignature {
            alg: SIGNATURE_ALG.into(),
            key_id: "k1".into(),
            signed_at: "2026-11-28T10:00:00+08:00".into(),
            value,
        },
    };
    let file = d.join("license.json");
    let text = serde_json::to_string_pretty(&signed).unwrap();
    std::fs::write(&file, &text).unwrap();
    let pem = d.join("authority.pem");
    std::fs::write(&pem, key.public_pem()).unwrap();
    let args = |f: &std::path::Path| {
        vec![
            "license".to_string(),
            "verify".into(),
            f.display().to_string(),
            "--public-key".into(),
            pem.display().to_string(),
        ]
    };
    let run = |f: &std::path::Path| {
        let a = args(f);
        yaolian(d, &a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let o = run(&file);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("valid signature: 药品经营许可证 浙CB20260001"), "{}", stdout(&o));

    // One changed character of the holder's name: exit 1, one line.
    let changed = d.join("changed.json");
    std::fs::write(&changed, text.replacen("民生大药房", "民生大药店", 1)).unwrap();
    let o = run(&changed);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("signature"), "{err}");

    // Not a license file at all.
    let garbage = d.join("garbage.json");
    std::fs::write(&garbage, "{\"license\": 1}").unwrap();
    let o = run(&garbage);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not a license file"), "{}", stderr(&o));
}

#[test]
fn an_exported_decision_verifies_offline_and_a_changed_byte_fails() {
    use yaolian_ledger::sign::KeyPair;
    use yaolian_license::document::{LicenseSignature, SIGNATURE_ALG};
    use yaolian_supervision::documents::{self, Facts, Penalty, SealHeader, Sealed, SignedDocument};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = KeyPair::generate();
    let penalties = [Penalty { kind: "fine".into(), amount_fen: 5_000_000, note: String::new() }];
    let document = documents::build(&Facts {
        kind: "decision",
        number: "浙药监罚〔2026〕1号",
        case_number: "CF-2026-00001",
        party: ("民生大药房", "91350100M000100Y43"),
        issuer: ("浙江省药品监督管理局", "113300000024870444"),
        jurisdiction: "330000",
        issued_on: "2026-12-02",
        facts: "经查，当事人销售超过有效期的药品。",
        legal_basis: "《中华人民共和国药品管理法》第九十八条第三款",
        penalty_basis: "《中华人民共和国药品管理法》第一百一十七条第一款",
        penalties: &penalties,
        hearing_right: true,
        statement: "当事人未提出陈述、申辩。",
        no_penalty: false,
    });
    let header =
        SealHeader { alg: SIGNATURE_ALG.into(), key_id: "k1".into(), signed_at: "2026-12-02T10:00:00+08:00".into() };
    let sealed = Sealed { document, signature: header.clone() };
    let value = hex::encode(key.sign(&sealed.message()));
    let signed = SignedDocument {
        document: sealed.document,
        signature: LicenseSignature { alg: header.alg, key_id: header.key_id, signed_at: header.signed_at, value },
    };
    let file = d.join("decision.json");
    let bytes = signed.to_file();
    std::fs::write(&file, &bytes).unwrap();
    let pem = d.join("bureau.pem");
    std::fs::write(&pem, key.public_pem()).unwrap();
    let run = |f: &std::path::Path| {
        let a = [
            "document".to_string(),
            "verify".into(),
            f.display().to_string(),
            "--public-key".into(),
            pem.display().to_string(),
        ];
        yaolian(d, &a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let o = run(&file);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("valid seal: 行政处罚决定书 浙药监罚〔2026〕1号"), "{}", stdout(&o));

    // One changed digit of the fine: exit 1, one line naming the seal.
    let text = String::from_utf8(bytes.clone()).unwrap();
    let changed = d.join("changed.json");
    std::fs::write(&changed, text.replacen("50000.00", "5000.00", 1)).unwrap();
    let o = run(&changed);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("seal"), "{err}");
    // Pretty-printed, the same content is no longer the exported file.
    let pretty = d.join("pretty.json");
    std::fs::write(&pretty, serde_json::to_string_pretty(&signed).unwrap()).unwrap();
    let o = run(&pretty);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("canonical"), "{}", stderr(&o));
}

#[test]
fn trace_import_keeps_good_lines_names_bad_ones_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = yaolian(d, &["demo", "--no-serve"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let chain = d.join("chain.jsonl");
    let o = yaolian(
        d,
        &["trace", "generate", "--packs", "400", "--clean", "--start", "2026-09-01", "-o", chain.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&chain).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 300, "{}", lines.len());

    // Pretend an earlier run stopped after the first 100 lines: only the rest is read.
    let size = std::fs::metadata(&chain).unwrap().len();
    std::fs::write(d.join("chain.jsonl.progress"), format!("{{\"size\": {size}, \"done\": 100}}")).unwrap();
    let o = yaolian(d, &["trace", "import", chain.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains(&format!("{} events stored, 0 already there", lines.len() - 100)), "{}", stdout(&o));
    assert!(!d.join("chain.jsonl.progress").exists(), "finished imports leave no progress file");
    // From the start again: the first 100 are new, the rest already stored (by event hash).
    let o = yaolian(d, &["trace", "import", chain.to_str().unwrap()]);
    assert!(stdout(&o).contains(&format!("100 events stored, {} already there", lines.len() - 100)), "{}", stdout(&o));

    // A file with a broken line between good ones: the good ones are stored, exit 1, the bad
    // line named with its reason in FILE.errors.jsonl.
    let mixed = d.join("mixed.jsonl");
    let mut bad = serde_json::from_str::<serde_json::Value>(lines[0]).unwrap();
    bad["eventTime"] = serde_json::json!("2026-11-28T10:00:00+08:00");
    bad["action"] = serde_json::json!("JUMP");
    let mut good = serde_json::from_str::<serde_json::Value>(lines[1]).unwrap();
    good["eventTime"] = serde_json::json!("2026-11-28T11:00:00+08:00");
    std::fs::write(&mixed, format!("{good}\n{bad}\nnot json\n")).unwrap();
    let o = yaolian(d, &["trace", "import", mixed.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("1 events stored"), "{}", stdout(&o));
    let errors = std::fs::read_to_string(d.join("mixed.jsonl.errors.jsonl")).unwrap();
    assert!(errors.contains("\"line\":2") && errors.contains("line 2: action"), "{errors}");
    assert!(errors.contains("\"line\":3") && errors.contains("json"), "{errors}");
    assert!(stderr(&o).trim().lines().last().unwrap().starts_with("error: 2 lines refused"), "{}", stderr(&o));
}

/// Issue 15 item 14: SIGTERM (what systemd and container stops send) drains like Ctrl-C: the
/// server stops taking connections and exits with status 0, not killed by the signal.
#[cfg(unix)]
#[test]
fn sigterm_stops_the_server_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let o = yaolian(dir.path(), &["migrate"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_yaolian"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--addr", &addr])
        .env_remove("YAOLIAN_DATABASE_URL")
        .env_remove("YAOLIAN_CONFIG")
        .env("YAOLIAN_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(std::time::Instant::now() < deadline, "the server did not start listening");
        assert!(child.try_wait().unwrap().is_none(), "the server exited before listening");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "SIGTERM must end the server cleanly, got {:?}: {log}", out.status);
    assert!(log.contains("shutting down"), "{log}");
}

/// `demo` seeds an empty PostgreSQL database when given one (the production backend, tried
/// with the demo's data), and refuses one that holds any table, before writing anything: the
/// demo's accounts and their shared password never land beside real data.
#[tokio::test]
async fn demo_seeds_an_empty_postgres_database_and_refuses_a_used_one() {
    use yaolian_store::testing::with_database;
    let Some(admin_url) = yaolian_store::testing::postgres_url() else { return };
    let admin = yaolian_store::Store::connect(&admin_url, &Default::default()).await.unwrap();
    // Two bare databases (no migrations): one for the demo, one holding another application's
    // table.
    let names = [format!("yaolian_demo_{}", std::process::id()), format!("yaolian_other_{}", std::process::id())];
    for name in &names {
        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\"")).execute(admin.pool()).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE \"{name}\"")).execute(admin.pool()).await.unwrap();
    }
    let (url, other_url) = (with_database(&admin_url, &names[0]), with_database(&admin_url, &names[1]));
    let dir = tempfile::tempdir().unwrap();
    let o = yaolian(dir.path(), &["--database-url", &url, "demo", "--no-serve"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("seeded in"), "{}", stdout(&o));
    assert!(!stdout(&o).contains("yaolian.db"), "the database is PostgreSQL's: {}", stdout(&o));
    let seeded = yaolian_store::Store::connect(&url, &Default::default()).await.unwrap();
    let count = |store: &yaolian_store::Store, sql: &'static str| {
        let pool = store.pool().clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.unwrap() }
    };
    let orgs = count(&seeded, "SELECT COUNT(*) FROM orgs").await;
    assert!(orgs > 10, "{orgs}");
    // Seeded once, it is no longer empty: refused, nothing added.
    let again = yaolian(dir.path(), &["--database-url", &url, "demo", "--no-serve"]);
    assert!(!again.status.success());
    let line = stderr(&again);
    assert!(line.contains("demo seeds an empty database") && line.contains("tables"), "{line}");
    assert!(!line.contains("password"), "{line}");
    assert_eq!(count(&seeded, "SELECT COUNT(*) FROM orgs").await, orgs, "nothing was added");
    seeded.close().await;
    // A database with any table at all is refused before a migration or a role touches it.
    let other = yaolian_store::Store::connect(&other_url, &Default::default()).await.unwrap();
    sqlx::query("CREATE TABLE customers (id BIGINT)").execute(other.pool()).await.unwrap();
    let refused = yaolian(dir.path(), &["--database-url", &other_url, "demo", "--no-serve"]);
    assert!(!refused.status.success() && stderr(&refused).contains("demo seeds an empty database"));
    let tables = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()";
    assert_eq!(count(&other, tables).await, 1, "only its own table: no migration ran");
    other.close().await;
    for name in &names {
        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\"")).execute(admin.pool()).await.unwrap();
    }
    admin.close().await;
}

/// `yaolian ectd`: the sample application validates (exit 0); a broken copy exits 1 naming its
/// rules, as text and as JSON; an unreadable rule file or a missing folder is one line and exit 1.
#[test]
fn ectd_validate_passes_a_sample_and_fails_a_broken_package() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("x202612345");
    let app_s = app.to_string_lossy().into_owned();
    let out = yaolian(dir.path(), &["ectd", "sample", &app_s]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = yaolian(dir.path(), &["ectd", "validate", &app_s]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("0 errors"), "{}", stdout(&out));
    // Break it: an uppercase name (its leaf now points nowhere) and an empty folder.
    std::fs::rename(app.join("0000/m2/2-3/qos.pdf"), app.join("0000/m2/2-3/QOS.pdf")).unwrap();
    std::fs::create_dir_all(app.join("0001/m4")).unwrap();
    let out = yaolian(dir.path(), &["ectd", "validate", &app_s]);
    assert_eq!(out.status.code(), Some(1));
    for rule in ["YL-401", "YL-203", "YL-204", "YL-106"] {
        assert!(stdout(&out).contains(rule), "{rule} missing from {}", stdout(&out));
    }
    assert_eq!(stderr(&out).lines().filter(|l| l.starts_with("error:")).count(), 1, "{}", stderr(&out));
    let out = yaolian(dir.path(), &["ectd", "validate", &app_s, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["errors"], 4);
    assert!(report["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "YL-401" && f["severity"] == "error"));
    let xlsx = dir.path().join("report.xlsx");
    let out = yaolian(dir.path(), &["ectd", "validate", &app_s, "--format", "xlsx", "-o", &xlsx.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK\x03\x04"));
    // A rule file that names an unknown check, and a folder that is not there.
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, "name = \"x\"\nversion = \"1\"\nbasis = \"\"\n[[rule]]\nid = \"A\"\ncheck = \"nope\"\nseverity = \"error\"\nmessage = \"m\"\nsource = \"s\"\npublished = false\n").unwrap();
    let out = yaolian(dir.path(), &["ectd", "validate", &app_s, "--rules", &rules.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nope"), "{}", stderr(&out));
    let out = yaolian(dir.path(), &["ectd", "validate", &dir.path().join("nothing").to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out).trim().lines().count(), 1, "{}", stderr(&out));
}
