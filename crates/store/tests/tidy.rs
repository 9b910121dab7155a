//! Repository conventions checked in `cargo test`: the architecture invariants that a grep
//! can see.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions may unwrap too

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

/// The web crate stays thin: no SQL of its own.
#[test]
fn web_crate_has_no_sql() {
    for f in workspace_files().into_iter().filter(|f| f.to_string_lossy().contains("crates/web/src")) {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        assert!(!text.contains("sqlx::query"), "{} runs SQL; move it into a domain crate", f.display());
    }
}

/// Every migration exists for both backends, with the same names.
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
