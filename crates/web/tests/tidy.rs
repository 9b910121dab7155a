//! The web layer is thin: it never calls a domain function that skips its access check
//! (`*_unchecked`, `*_checked` doors meant for a module's own access check), never acts as the
//! system (`run_as_system`) and never makes a principal itself (`Principal::authenticated`,
//! identity's door): every rule lives in a domain crate, where a handler cannot forget it.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// True when `line` calls a function named `*_unchecked` / `*_checked`, acts as the system or
/// makes a principal.
fn forbidden_call(line: &str) -> Option<&'static str> {
    let code = line.split("//").next().unwrap_or("");
    if code.contains("run_as_system") {
        return Some("run_as_system");
    }
    if code.contains("Principal::authenticated(") || code.contains("Authenticated {") {
        return Some("Principal::authenticated");
    }
    for (suffix, what) in [("_unchecked(", "an *_unchecked function"), ("_checked(", "a *_checked door")] {
        let mut rest = code;
        while let Some(at) = rest.find(suffix) {
            // A call (`x::get_unchecked(`, `.view_checked(`), not a method of the web crate's own
            // (`fn role_checked(`).
            let before = rest[..at].trim_end_matches(|c: char| c.is_alphanumeric() || c == '_');
            if !before.trim_end().ends_with("fn") {
                return Some(what);
            }
            rest = &rest[at + suffix.len()..];
        }
    }
    None
}

#[test]
fn web_calls_no_unchecked_domain_function_and_never_acts_as_the_system() {
    let mut files = Vec::new();
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    assert!(files.len() > 10, "found the web sources");
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            if let Some(what) = forbidden_call(line) {
                found.push(format!("{}:{}: calls {what}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "the web layer must call a domain function that checks access:\n{}", found.join("\n"));
}

#[test]
fn the_rule_tells_calls_from_definitions() {
    assert_eq!(
        forbidden_call("    let org = orgs::get_unchecked(state.store(), org).await?;"),
        Some("an *_unchecked function")
    );
    assert_eq!(forbidden_call("records::view_checked(store, e, id)"), Some("a *_checked door"));
    assert_eq!(forbidden_call("    let p = yaolian_access::run_as_system::principal();"), Some("run_as_system"));
    assert_eq!(forbidden_call("use yaolian_access::run_as_system;"), Some("run_as_system"));
    assert_eq!(forbidden_call("    Principal::authenticated(parts)"), Some("Principal::authenticated"));
    assert_eq!(forbidden_call("    fn role_checked(&self, code: &str) -> bool {"), None);
    assert_eq!(forbidden_call("    // never call get_unchecked( here"), None);
}
