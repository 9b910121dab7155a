//! Repository conventions checked in `cargo test`: the architecture invariants that a grep
//! can see.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions may unwrap too

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "target" || n == "node_modules" || n == ".git") {
                continue;
            }
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn workspace_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    rust_files(&root.join("crates"), &mut files);
    assert!(files.len() > 10, "tidy found the sources");
    files
}

/// `record_versions` is append-only, and only `store::versions` writes to it.
#[test]
fn record_versions_is_written_only_by_the_versioning_helper() {
    // Tests under `tests/` may tamper with the table on purpose, to show that it is caught.
    for f in workspace_files().into_iter().filter(|f| !f.components().any(|c| c.as_os_str() == "tests")) {
        let text = std::fs::read_to_string(&f).unwrap_or_default().to_ascii_lowercase();
        let compact: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for forbidden in ["update record_versions", "delete from record_versions"] {
            assert!(!compact.contains(forbidden), "{} contains {forbidden:?}", f.display());
        }
        if compact.contains("insert into record_versions") {
            // The ledger benchmark's baseline inserts raw rows into a throwaway database.
            let allowed = f.ends_with("store/src/versions.rs") || f.ends_with("yaolian/src/bench.rs");
            assert!(allowed, "{} inserts into record_versions directly", f.display());
        }
    }
}

/// The ledger's tables and the anchored trace tables are append-only, each written by its one
/// module: no `UPDATE` or `DELETE` anywhere (the ledger head's size only through the write path),
/// and `INSERT` only from the files named (outside tests, which tamper on purpose).
#[test]
fn ledger_and_anchored_trace_tables_are_written_only_by_their_module() {
    let ledger = "store/src/ledger.rs";
    let ingest = "trace/src/ingest/mod.rs";
    // (table, files that may insert; the ledger benchmark's baseline writes a throwaway database)
    let tables: &[(&str, &[&str])] = &[
        ("ledger_entries", &[ledger, "yaolian/src/bench.rs"]),
        ("ledger_nodes", &[ledger]),
        ("ledger_checkpoints", &[ledger]),
        ("trace_events", &[ingest]),
        ("trace_event_epcs", &[ingest]),
        ("trace_batches", &[ingest]),
        ("trace_event_declarations", &[ingest]),
    ];
    for f in workspace_files().into_iter().filter(|f| !f.components().any(|c| c.as_os_str() == "tests")) {
        let text = std::fs::read_to_string(&f).unwrap_or_default().to_ascii_lowercase();
        let compact: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for (table, writers) in tables {
            for verb in ["update", "delete from"] {
                let forbidden = format!("{verb} {table} ");
                assert!(!compact.contains(&forbidden), "{} contains {forbidden:?}", f.display());
            }
            if compact.contains(&format!("insert into {table} ")) {
                let allowed = writers.iter().any(|w| f.ends_with(w));
                assert!(allowed, "{} inserts into {table}, which only {writers:?} may", f.display());
            }
        }
        if compact.contains("update ledger_head ") {
            let allowed = f.ends_with("store/src/exec.rs") || f.ends_with(ledger);
            assert!(allowed, "{} changes the ledger head", f.display());
        }
    }
}

/// The web crate stays thin: no SQL of its own.
#[test]
fn web_crate_has_no_sql() {
    for f in workspace_files().into_iter().filter(|f| f.to_string_lossy().contains("crates/web/src")) {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        assert!(!text.contains("sqlx::query"), "{} runs SQL; move it into a domain crate", f.display());
    }
}

/// Every migration exists for both backends, with the same numbered names.
#[test]
fn migrations_exist_for_both_backends() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let names = |b: &str| {
        let mut v: Vec<String> = std::fs::read_dir(dir.join(b))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names("sqlite"), names("postgres"));
}

/// Migrations that have landed on `main`, with the SHA-256 of their text (hex, as
/// `sha256sum` prints it). Whoever lands a new migration appends both of its files here, in the
/// same commit.
const LANDED_MIGRATIONS: &[(&str, &str)] = &[
    ("sqlite/0001_foundation.sql", "b810d2cbdca595b7b48dd090c506e224a1f6533012e0fc882950d79033bb1748"),
    ("sqlite/0002_ledger.sql", "2c530a0f81fc5fe86d131f39e449efdc8fa1eb09bc9776112a0fb0015c71d81f"),
    ("sqlite/0003_trust.sql", "aeead1ad754b73882a945b22cd5fbc68b293a5c73b731a13f73ecb4c9eee9d13"),
    ("sqlite/0004_registry.sql", "9656529c35beedfb8e4fc33f10fcf874db3119d1ed3dc7c4e1bf542ff55ddae6"),
    ("sqlite/0005_dossiers.sql", "5ae24a9b761a9ea53dca271e1d7194fb4f9e04ad67f5e1a8dfd7354d441e194e"),
    ("sqlite/0006_persons.sql", "aeee7451434ce79f304d2c99f45253c3860218393e0be82c0c1a8eb485967d45"),
    ("sqlite/0007_licenses.sql", "aa9dce04bf931581f67e6d2e528807bbff686492d6ba16a2d1afbe6b55261e1c"),
    ("sqlite/0008_services.sql", "7a2f7cff1996449e7d487f6fb541b4b6882720e4888029a7afaa92d981b7ee41"),
    ("sqlite/0009_trace.sql", "716fbe332f9db7a9de3e429c636269e3e4286d4258ffe40e4d6b73626e8f7e1f"),
    ("sqlite/0010_trace_epc_order.sql", "b11b283a72d9b145967883377741a79e619fab8e97147d6e6d4e1245361d531a"),
    ("sqlite/0011_trace_batches.sql", "0254efc89736d774a2e287cafac2ed7533b4fdaa6168e00594a5e4eddacc0921"),
    ("sqlite/0012_login_throttle.sql", "e8ea6db82f23de9dd18ee91f95f5df73b13d6aa6219a4b1755e65a2f51218c43"),
    ("sqlite/0013_role_requests.sql", "144c409119d77abb80e783b6814ed43bd5cfcd1e60f936b48e352fa9f195ca94"),
    ("sqlite/0014_trace_answers.sql", "220acaa84b152b49753a4f1382545c60be445d9e071bca4480a206b78ed5fa72"),
    ("sqlite/0015_trace_error_declarations.sql", "f2e8cc9ce9ee8e9462a44efa45c1f2aeef5f8b153bec1d9a7f37385a648b92a9"),
    ("sqlite/0016_dashboard.sql", "d55a1385f00b2a9ea37816dd4eabc09eed666f1689180234905ec7fbea86d2fc"),
    ("sqlite/0017_scale_indexes.sql", "cbe7a7213a7a4ae063d42eac72797f5a88db76b2de49c170ae4c26c599b78a94"),
    ("sqlite/0018_list_sort_indexes.sql", "c7f84d6707d68d5b4e82c540ea944ab709f0447d2cee7acd1ff02720b1d66754"),
    ("sqlite/0019_audit_daily.sql", "5cc63e2d8604f35d78a0a459cf95080d301f8f5df5f185cc97b454eb1655b684"),
    ("sqlite/0020_application_stats_index.sql", "d44c98a53083277d87c6f8338c474553380b4c0c238d8221e653aee130eb228c"),
    ("sqlite/0021_application_rollup.sql", "e9d06c36ab74efefb50c5f3f13ad22e51f70599f5342d498fa12bc6defa770b4"),
    ("sqlite/0022_application_status_order.sql", "f138716ba2ea3a8abe2769af005aef094f9a362786a096a313a1bc8ebd05555e"),
    ("sqlite/0023_inventory.sql", "acd3442da560f80ddc0870e2b854d4fa1af951425cdf9a53645c6e1fdaf2067b"),
    ("sqlite/0024_quality.sql", "b2e446f29d3711a5682290dfead3f34b43cc79d6b84ff0b5aa289d410ee266fb"),
    ("sqlite/0025_documents.sql", "3082d5894e8f3ab83b6957b47c57bcf3d340624ca444a9398db935e8f1fe61ae"),
    ("sqlite/0026_changes.sql", "4807773afcf1a929be1564b9d76e4ecafa5bc0ef100733c48628f8e4993e4449"),
    ("sqlite/0027_lab_instruments.sql", "cb03577193631ea0cb698a1f51b1686f90d20d72073a88bfdfb8e7fa7a6f8910"),
    ("sqlite/0028_lab_results.sql", "5990013fd0a7cde67d20c85752f10178580a453867e6ae1dd0f67f70902ea0da"),
    ("sqlite/0029_lab_records.sql", "396d9a6d66393801bb2e4b00041022c7733b4aa4a7041e8d99e5162d2458f103"),
    ("sqlite/0030_lab_environment.sql", "cc77295d11fd70a4cc6a665e14aa70a54887a28227d08e69484cf5b2062ee95a"),
    ("sqlite/0031_lab_projects.sql", "13fbb31e5ecc25c4844c016da038fc0e21566067d593621672098c8ac15d5c43"),
    ("sqlite/0032_lab_returns_files.sql", "5b247116465c45d36cd4c10a5830d78c655b2ed419d345d57e8a4230c6f8f31f"),
    ("sqlite/0033_supervision_cases.sql", "8b9dcdee16cfbf2d15198f34cae9c5f93b5f4306aac7321dc49025bb358ae9b3"),
    ("sqlite/0034_supervision_scores.sql", "1c62d91c9e37a77425260873cf919f7af94dcb675e921e31444b9cfc932f9a0d"),
    ("sqlite/0035_supervision_plans.sql", "4a2cc6161b5f0ca8364a4e9c7f3ab6dcc4364ab3eb33b4998edaf337c150c1b0"),
    ("sqlite/0036_supervision_onsite.sql", "75d736d5e6c1b1fbbcd125432e414b49ca861b0814dbc868f7c7323b546ea5d4"),
    ("sqlite/0037_supervision_sampling.sql", "eef94e0909200d4c2a80738e2cf82349473a934794f56746ed42c71e556ef0a3"),
    ("sqlite/0038_supervision_enforcement.sql", "3399df0be7bd9e3999bf7c0388a4abe1005be59612621e9cd7b8497cc35e804a"),
    ("sqlite/0039_signals_adr.sql", "874acfc5dedbdeae1823e231b34049834066a51ac3de0b4548be8b1be28a323a"),
    ("sqlite/0040_signals_blackbox.sql", "d003e19c09d71b8279bb9fde777864719b0525727a58aacd9c9f66a9df2ec22b"),
    ("sqlite/0041_submission.sql", "849a0f708c5cd40759e72ebd8a3d6c949653a6a9e7839921e1e320ba6068edc7"),
    ("sqlite/0042_submission_transfer_claims.sql", "186a6c83543b25c4d2d598f4fcb1642ae4c5c8f43827553f186f6395f9ea067c"),
    (
        "sqlite/0043_submission_transfer_refusals.sql",
        "0f948ffa271ad1de610df8fe5c3125d0586a584bb6bfad639fb03da09c1e4efd",
    ),
    ("postgres/0001_foundation.sql", "82139c00b5b7a3edb216e98d34be7764f733af2b6c1171cbb7e566811788ccdb"),
    ("postgres/0002_ledger.sql", "f5cf135b692fbc9d9723a257e98cfca89cde058a67654e10c875b4414b83d477"),
    ("postgres/0003_trust.sql", "9f57ba4060ffc1a526dba940a3d03301f0dc1a27f170dde618ecf9b6dffa2031"),
    ("postgres/0004_registry.sql", "a6fe93e3ec2fc69d7085f9bd2fda2f3718119c6793d09e9d0ac32e622c497c65"),
    ("postgres/0005_dossiers.sql", "7bff18de2e8d495e96808b05cb307f3ecb82621d8364cebc16802c4f0f2d5512"),
    ("postgres/0006_persons.sql", "605c8963d234c387eeb8a7e46f42315aa533766cbcfd11cc427cedb0b0d8f0bd"),
    ("postgres/0007_licenses.sql", "df44a3bfb69296a63837a6310612402be9f300ce75ac004dfec94b49166646cf"),
    ("postgres/0008_services.sql", "56e9fe1380cc87ba5c9e5c29bf62fa71472c4a5f256b72d5042fcc93db0f1e82"),
    ("postgres/0009_trace.sql", "cc881a36c6a4fdf4e691e8b154533ae53118b93cdbe751340a3f66119db1710f"),
    ("postgres/0010_trace_epc_order.sql", "b2ce95b5a49258516faed3630a81a13e1e9a5f1f5012f93c7c5b3bae8c761c25"),
    ("postgres/0011_trace_batches.sql", "a049e244318b6f9f26bb43cffd3998d07001dcae3b9460c83d2211c2a26cde31"),
    ("postgres/0012_login_throttle.sql", "4bccaed47dbc6f9660d65ed9aaaf6807eedbdff889543f08c3365d8912daad5d"),
    ("postgres/0013_role_requests.sql", "9288bdfcbaf7031ce1c140b59b8b93afddddc33c80abd83b717f7228b02cb2d4"),
    ("postgres/0014_trace_answers.sql", "cd183199136b6140b4dc49ff61e436744a9497959eda5f29c64552253d339776"),
    ("postgres/0015_trace_error_declarations.sql", "556bae6b2b656d237281653bea66df9b373be90990d9b9d2fec2bcc1346ba7ed"),
    ("postgres/0016_dashboard.sql", "33de916da4e5a1191393533bd25d92e28bc01e478ec12acdd70055983e4b49fc"),
    ("postgres/0017_scale_indexes.sql", "a5939fda399ce643483610fc0054dd7a886788c19649dab4f7a99d2bc8bc0790"),
    ("postgres/0018_list_sort_indexes.sql", "c7f84d6707d68d5b4e82c540ea944ab709f0447d2cee7acd1ff02720b1d66754"),
    ("postgres/0019_audit_daily.sql", "c6e2b601b8a28a37f02d4d30165a7aa978d8e830363d17f6104e5fd479b1d551"),
    ("postgres/0020_application_stats_index.sql", "d44c98a53083277d87c6f8338c474553380b4c0c238d8221e653aee130eb228c"),
    ("postgres/0021_application_rollup.sql", "9b9997ada8a1f4e0f2682cb5931d0f77c537f7b63656b2805d3c13984029d49f"),
    ("postgres/0022_application_status_order.sql", "f138716ba2ea3a8abe2769af005aef094f9a362786a096a313a1bc8ebd05555e"),
    ("postgres/0023_inventory.sql", "7d089ea3b51842ccf14540395d71b0ad258b0d291817546d346c805691bd294b"),
    ("postgres/0024_quality.sql", "ed0031390a8d580c51c60c802bcaac0b8f774cfbd06fbd62a54b45506bcde337"),
    ("postgres/0025_documents.sql", "3a840563d720ec6632272d2fae07ade96979c61ed197c0d7e54b7d279df036c4"),
    ("postgres/0026_changes.sql", "48957ff759df706072de90108b08a2985308ac6f724561fc9636e5389e81cae6"),
    ("postgres/0027_lab_instruments.sql", "99cca53d6f1f38424b9848d6a8df24212ac750d40f7b4460ac52e22d9ec669d2"),
    ("postgres/0028_lab_results.sql", "b3fcf43d699cbb8eb59b5a1f25745cb8452456a959ba627f0120ac00bcda4376"),
    ("postgres/0029_lab_records.sql", "403096e51c4c4fdde1536656bf4570d1d50aaecf91b4dbff1b60e1e1319abdb2"),
    ("postgres/0030_lab_environment.sql", "a8af0082f78d4e632e1d4ee97e5e268d5741da6f831b0cccdf0bfa49a07b3abc"),
    ("postgres/0031_lab_projects.sql", "d9ee2329d5436d263d6d3afb322480082c7d55fa14a281d956a1e1abe9ff7d26"),
    ("postgres/0032_lab_returns_files.sql", "3aa67adb6c8ace9de05ba7f0f2baf88c494b7ad7cbaed284c46377819046804b"),
    ("postgres/0033_supervision_cases.sql", "ccb343ab234776f3d3240cd97c8f194b4504206ddb6b3a6a7eae02cf886f150d"),
    ("postgres/0034_supervision_scores.sql", "09913f0965d8f238f4c270fa808456071138543fcb5f544744c6bf4d70891f18"),
    ("postgres/0035_supervision_plans.sql", "c36e22302a8c3a6d4709741c73aee13e774db967d8d072e2bf11f69e033e2029"),
    ("postgres/0036_supervision_onsite.sql", "6097d119b0cdc8ddd9055e0f8b4f78de79477e8d7c69f567cb05e3e87bfad102"),
    ("postgres/0037_supervision_sampling.sql", "f8ef3b7dcd6daf41144b5efd44ff22738d116dcf922ba677d4a176f979cc8542"),
    ("postgres/0038_supervision_enforcement.sql", "6ed35d6f095dbc8ff10613f5823cae29d07ebab3310bd269ebd40fa4062488c1"),
    ("postgres/0039_signals_adr.sql", "e88dda8d67670bcd1b69cddf609f7a08344200a384d0e47f8b2362db437dee4d"),
    ("postgres/0040_signals_blackbox.sql", "f719f1de3cd3ff372047a802cf36248b6ec71adf10fd829a20aba1c98df390b1"),
    ("postgres/0041_submission.sql", "26b051979551cbeb221474c6889c2a69dc4966c5111d9efa4dc6bf74609ac49a"),
    (
        "postgres/0042_submission_transfer_claims.sql",
        "634f71081c0bf4d58237384f61a4640c7e18fbd1fdacbc148f0480dea495a93a",
    ),
    (
        "postgres/0043_submission_transfer_refusals.sql",
        "0f948ffa271ad1de610df8fe5c3125d0586a584bb6bfad639fb03da09c1e4efd",
    ),
];

/// The number a migration file name starts with (`0007` in `0007_licenses.sql`).
fn migration_number(name: &str) -> Option<u32> {
    name.split_once('_')?.0.parse().ok()
}

/// A landed migration is never edited: a database that applied it would not apply it again
/// (and sqlx refuses to start on a changed checksum), so a change to the schema is a new
/// numbered file in both folders. Every file listed in [`LANDED_MIGRATIONS`] must exist with
/// its recorded hash; a file not listed must be numbered above every listed one (a migration
/// on its way to landing). Whoever lands a new migration appends its two hashes to the list.
/// Line endings are read as `\n`, so a Windows checkout hashes the same.
#[test]
fn landed_migrations_are_never_edited() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for (file, expected) in LANDED_MIGRATIONS {
        let text = std::fs::read_to_string(dir.join(file))
            .unwrap_or_else(|e| panic!("migrations/{file} is missing ({e}); landed migrations are never removed"));
        let got = hex::encode(Sha256::digest(text.replace("\r\n", "\n").as_bytes()));
        assert_eq!(
            &got, expected,
            "migrations/{file} changed; landed migrations are never edited: add a new numbered file in both \
             folders (sqlite/ and postgres/) instead"
        );
    }
    let last_landed =
        LANDED_MIGRATIONS.iter().filter_map(|(f, _)| migration_number(f.split('/').nth(1)?)).max().unwrap_or(0);
    for backend in ["sqlite", "postgres"] {
        for e in std::fs::read_dir(dir.join(backend)).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let path = format!("{backend}/{name}");
            if LANDED_MIGRATIONS.iter().any(|(f, _)| *f == path) {
                continue;
            }
            let number = migration_number(&name)
                .unwrap_or_else(|| panic!("migrations/{path}: a migration is named NNNN_what.sql"));
            assert!(
                number > last_landed,
                "migrations/{path} is not in LANDED_MIGRATIONS but numbered at or below the last landed \
                 migration; landed migrations are never edited or inserted between: number it after \
                 {last_landed:04}, in both folders"
            );
        }
    }
}

/// True for a field that holds a secret by this rule: its name has a `_`-separated word
/// `password`, `secret`, `private` or `sealing`, or contains `token_plain`; it does not end in
/// `_hash` (a stored one-way hash may be shown); and its type holds text or bytes (`str`,
/// `String`, `u8`), so settings about secrets (`password_min_length: Option<usize>`,
/// `password: PasswordPolicy`) and wrapper types with their own redacting `Debug` pass.
fn is_secret_field(name: &str, ty: &str) -> bool {
    let named = name.split('_').any(|w| matches!(w, "password" | "secret" | "private" | "sealing"))
        || name.contains("token_plain");
    let text_or_bytes = ["str", "String", "u8"]
        .iter()
        .any(|t| ty.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|word| word == *t));
    named && !name.ends_with("_hash") && text_or_bytes
}

/// `name: Type` of a field line (`pub`, `pub(crate)` allowed), or `None`.
fn field_of(line: &str) -> Option<(&str, &str)> {
    let line = line.trim();
    let line = line.strip_prefix("pub(crate) ").or_else(|| line.strip_prefix("pub ")).unwrap_or(line);
    let (name, ty) = line.split_once(':')?;
    let name = name.trim();
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !ty.starts_with(':'))
        .then_some((name, ty.trim()))
}

/// Where a derived `Debug` would print a secret: `file:line` of each struct or enum whose
/// `#[derive(…Debug…)]` (attributes and doc comments may sit between) precedes a body with a
/// field [`is_secret_field`] flags.
fn derived_debug_secrets(file: &str, text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let start = i;
        i += 1;
        if !lines[start].trim_start().starts_with("#[derive(") {
            continue;
        }
        // The derive list, over several lines when rustfmt split it.
        let mut derive = lines[start].to_string();
        let mut j = start + 1;
        while !derive.contains(")]") && j < lines.len() {
            derive.push_str(lines[j]);
            j += 1;
        }
        if !derive.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| w == "Debug") {
            continue;
        }
        while j < lines.len() && {
            let t = lines[j].trim_start();
            t.is_empty() || t.starts_with("#[") || t.starts_with("//")
        } {
            j += 1;
        }
        let Some(decl) = lines.get(j) else { break };
        let is_item = ["struct ", "enum "].iter().any(|k| decl.contains(k)) && decl.trim_end().ends_with('{');
        if !is_item {
            continue;
        }
        let mut depth = 0i32;
        for (k, line) in lines.iter().enumerate().skip(j) {
            depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
            if k > j {
                // Pieces between `{`, `,` and `}`: one field each, also in `Variant { a: A, b: B }`.
                let code = line.split("//").next().unwrap_or(line);
                for (name, ty) in code.split(['{', ',', '}']).filter_map(field_of) {
                    if is_secret_field(name, ty) {
                        found.push(format!("{file}:{} ({name})", start + 1));
                    }
                }
            }
            if depth <= 0 {
                break;
            }
        }
    }
    found
}

/// Secrets never reach `Debug` output or logs: a struct or enum holding a password, secret,
/// private or sealing key or plain token (by [`is_secret_field`]'s rule) does not derive
/// `Debug`; it implements it by hand and prints `yaolian_core::REDACTED` for the secret.
#[test]
fn secrets_never_derive_debug() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut found = Vec::new();
    for f in workspace_files().into_iter().filter(|f| f.components().any(|c| c.as_os_str() == "src")) {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        found.extend(derived_debug_secrets(&f.strip_prefix(&root).unwrap_or(&f).display().to_string(), &text));
    }
    assert!(
        found.is_empty(),
        "derived Debug would print a secret; implement Debug by hand and print yaolian_core::REDACTED \
         for it:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_secret_field_rule() {
    let check = |src: &str, expected: &[&str]| assert_eq!(derived_debug_secrets("f.rs", src), expected, "{src}");
    check("#[derive(Debug, Clone)]\npub struct A {\n    pub password: String,\n}\n", &["f.rs:1 (password)"]);
    check(
        "#[derive(Clone,\n    Debug)]\n/// Doc.\n#[serde(default)]\nstruct B<'a> {\n    totp_secret: Option<&'a str>,\n}\n",
        &["f.rs:1 (totp_secret)"],
    );
    check(
        "#[derive(Debug)]\nenum C {\n    Sign { at: i64, private_key: Vec<u8> },\n    Other,\n}\n",
        &["f.rs:1 (private_key)"],
    );
    check(
        "#[derive(Debug)]\nenum C {\n    Sign {\n        private_key: Vec<u8>,\n    },\n}\n",
        &["f.rs:1 (private_key)"],
    );
    // Stored hashes, settings about passwords, and types without a derived Debug pass.
    check("#[derive(Debug)]\nstruct D {\n    password_hash: String,\n    password_min_length: usize,\n}\n", &[]);
    check("#[derive(Debug)]\nstruct E {\n    password: PasswordPolicy,\n}\n", &[]);
    check("#[derive(Clone)]\nstruct F {\n    password: String,\n}\n", &[]);
    check(
        "#[derive(Debug)]\nstruct G {\n    token_plain: String,\n    sealing: [u8; 16],\n}\n",
        &["f.rs:1 (token_plain)", "f.rs:1 (sealing)"],
    );
}

/// The crates form floors: a crate depends only on crates below it, and the pure ones (`core`,
/// `ledger`) on no database, HTTP or async crate at all. A new crate gets its floor here.
#[test]
fn crates_depend_only_on_crates_below_them() {
    let floors: &[(&str, u32)] = &[
        ("core", 0),
        ("ledger", 1),
        ("store", 2),
        ("access", 3),
        ("portal", 4),
        ("audit", 5),
        ("identity", 6),
        ("records", 7),
        ("registry", 8),
        ("license", 9),
        ("trace", 9),
        ("inventory", 8),
        ("quality", 8),
        ("lab", 9),
        ("submission", 9),
        ("services", 10),
        ("supervision", 11),
        ("signals", 12),
        ("web", 13),
        ("agent", 14),
        ("yaolian", 15),
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let floor_of = |name: &str| floors.iter().find(|(n, _)| *n == name).map(|(_, f)| *f);
    let mut crates: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    crates.sort();
    for name in &crates {
        let floor = floor_of(name).unwrap_or_else(|| panic!("crate {name} has no floor in this test: give it one"));
        let manifest = std::fs::read_to_string(root.join(name).join("Cargo.toml")).unwrap();
        // Dependencies proper (dev-dependencies may reach anywhere below the binary).
        let deps = manifest.split("[dev-dependencies]").next().unwrap_or("");
        for line in deps.lines() {
            let Some(dep) = line.trim().strip_prefix("yaolian-") else { continue };
            let dep = dep.split(|c: char| !c.is_ascii_alphanumeric()).next().unwrap_or("");
            let dep_floor = floor_of(dep).unwrap_or_else(|| panic!("{name} depends on unknown crate yaolian-{dep}"));
            assert!(dep_floor < floor, "yaolian-{name} (floor {floor}) depends on yaolian-{dep} (floor {dep_floor})");
        }
        if floor <= 1 {
            for io in ["sqlx", "tokio", "axum", "reqwest", "rusqlite", "hyper"] {
                let named = deps
                    .lines()
                    .any(|l| l.trim().starts_with(&format!("{io} ")) || l.trim().starts_with(&format!("{io}.")));
                assert!(!named, "yaolian-{name} is pure (no I/O) but depends on {io}");
            }
        }
    }
}

/// The pure modules do no I/O: `core` and `ledger` throughout, and trace's `codes`, `epcis`,
/// `hash`, `ops` and `generate` touch no database, file or network.
#[test]
fn pure_modules_do_no_io() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    rust_files(&root.join("core/src"), &mut files);
    rust_files(&root.join("ledger/src"), &mut files);
    rust_files(&root.join("trace/src/codes"), &mut files);
    rust_files(&root.join("signals/src/stats"), &mut files);
    for m in ["ctd.rs", "dtd.rs", "naming.rs", "pdf.rs", "regional.rs", "report.rs", "rules.rs", "samples.rs"] {
        files.push(root.join("submission/src").join(m));
    }
    for m in ["epcis.rs", "hash.rs", "ops.rs", "generate.rs", "labels.rs", "schema.rs"] {
        files.push(root.join("trace/src").join(m));
    }
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        // The code, not its tests (which may write files to compare with OpenSSL) or comments.
        let code: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or("")
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for io in ["sqlx", "std::fs", "std::net", "tokio", "yaolian_store", "rusqlite"] {
            assert!(!code.contains(io), "{} is pure but uses {io}", f.display());
        }
    }
}

/// Only `identity` makes an authenticated principal, and only code that states it runs as the
/// system does so: the command line, the demo and benches (`yaolian`), the test fixtures, and the
/// rule that decides an application automatically (智能秒办). Tests may act as the system.
#[test]
fn principals_come_from_identity_or_a_stated_system_door() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let system_callers =
        ["yaolian/src/", "identity/src/fixtures.rs", "services/src/applications/flow.rs", "access/src/"];
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap().flatten() {
        if entry.path().join("src").is_dir() {
            rust_files(&entry.path().join("src"), &mut files);
        }
    }
    assert!(files.len() > 50, "found the sources");
    let mut found = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let makes = code.contains("Principal::authenticated(") || code.contains("Authenticated {");
            if makes && !rel.starts_with("identity/src/") && !rel.starts_with("access/src/") {
                found.push(format!("{rel}:{}: makes a principal outside identity", n + 1));
            }
            if code.contains("run_as_system") && !system_callers.iter().any(|c| rel.starts_with(c)) {
                found.push(format!("{rel}:{}: acts as the system", n + 1));
            }
        }
    }
    assert!(found.is_empty(), "principals come from identity or a stated system door:\n{}", found.join("\n"));
}
