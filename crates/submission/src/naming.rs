//! File and folder names in an eCTD package (ICH eCTD Specification v3.2.2, Appendix 2, "File
//! Names and Directory Structure"; Appendix 6 "Name Length"): lowercase letters `a`–`z`, digits
//! and the hyphen, one dot before a lowercase extension, at most 64 characters per name and 180
//! per path counted from the sequence folder. Pure.

/// At most this many characters in one file or folder name (extension included).
pub const MAX_NAME: usize = 64;
/// At most this many characters in a path from the sequence folder's first digit.
pub const MAX_PATH: usize = 180;

/// What is wrong with a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameFault {
    /// An uppercase letter (`Protocol.PDF`).
    Uppercase,
    /// A character outside a–z, 0–9, '-' (and the extension's dot): a space, '_', Chinese …
    Character(char),
    /// More than one dot, a leading or trailing dot, or a file without an extension.
    Dots,
    /// More than [`MAX_NAME`] characters.
    Length(usize),
}

/// The faults of one file (`is_file`) or folder name, each once, in a stable order.
pub fn faults(name: &str, is_file: bool) -> Vec<NameFault> {
    let mut out = Vec::new();
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        out.push(NameFault::Uppercase);
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.')) {
        out.push(NameFault::Character(c));
    }
    let dots = name.matches('.').count();
    let dot_ok = if is_file { dots == 1 && !name.starts_with('.') && !name.ends_with('.') } else { dots == 0 };
    if !dot_ok {
        out.push(NameFault::Dots);
    }
    let n = name.chars().count();
    if n > MAX_NAME {
        out.push(NameFault::Length(n));
    }
    out
}

/// A name made to follow the rules: lowercase, every run of other characters one hyphen, no
/// hyphen at either end, cut to fit [`MAX_NAME`] with its extension kept. `fallback` is used
/// when nothing of `stem` survives (a Chinese title): the builder gives the node's section.
pub fn normalize(stem: &str, extension: &str, fallback: &str) -> String {
    let slug = |s: &str| {
        let mut out = String::new();
        for c in s.chars() {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                out.push(c);
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        out.trim_end_matches('-').to_string()
    };
    let mut ext = slug(extension).replace('-', "");
    // An extension is short (pdf, xml, xpt); a long one is cut so that the name keeps a stem.
    ext.truncate(16);
    let mut s = slug(stem);
    if s.is_empty() {
        s = slug(fallback);
    }
    if s.is_empty() {
        s = "document".into();
    }
    let room = MAX_NAME - if ext.is_empty() { 0 } else { ext.len() + 1 };
    if s.len() > room {
        s.truncate(room);
        s = s.trim_end_matches('-').to_string();
    }
    if ext.is_empty() {
        s
    } else {
        format!("{s}.{ext}")
    }
}

/// `name` (already normalized) with `-n` before its extension, the stem cut so that the whole
/// stays within [`MAX_NAME`]: `qos.pdf` → `qos-2.pdf`.
pub fn numbered(name: &str, n: usize) -> String {
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    let suffix = format!("-{n}");
    let ext_len = if ext.is_empty() { 0 } else { ext.len() + 1 };
    let room = MAX_NAME.saturating_sub(ext_len + suffix.len()).max(1);
    let mut stem: String = stem.chars().take(room).collect();
    while stem.ends_with('-') {
        stem.pop();
    }
    if ext.is_empty() {
        format!("{stem}{suffix}")
    } else {
        format!("{stem}{suffix}.{ext}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ich_rules() {
        assert_eq!(faults("introduction.pdf", true), vec![]);
        assert_eq!(faults("32s-drug-sub", false), vec![]);
        assert_eq!(faults("Protocol.pdf", true), vec![NameFault::Uppercase]);
        assert_eq!(faults("my file.pdf", true), vec![NameFault::Character(' ')]);
        assert_eq!(faults("a_b.pdf", true), vec![NameFault::Character('_')]);
        assert_eq!(faults("说明.pdf", true), vec![NameFault::Character('说')]);
        assert_eq!(faults("a.b.pdf", true), vec![NameFault::Dots]);
        assert_eq!(faults("noext", true), vec![NameFault::Dots]);
        let long = format!("{}.pdf", "a".repeat(61));
        assert_eq!(faults(&long, true), vec![NameFault::Length(65)]);
        assert_eq!(faults(&format!("{}.pdf", "a".repeat(60)), true), vec![]);
    }

    #[test]
    fn normalizing_keeps_the_extension_and_fits() {
        assert_eq!(normalize("Drug Substance_Spec (v2)", "PDF", "x"), "drug-substance-spec-v2.pdf");
        assert_eq!(normalize("说明函", "pdf", "1.0 cover"), "1-0-cover.pdf");
        let n = normalize(&"word ".repeat(30), "pdf", "x");
        assert!(n.len() <= MAX_NAME && n.ends_with(".pdf") && !n.contains("-.") && faults(&n, true).is_empty(), "{n}");
        // Numbered names keep their number however long the stem, and differ.
        let long = normalize(&"x".repeat(80), "pdf", "x");
        let (a, b) = (numbered(&long, 2), numbered(&long, 3));
        assert!(a != b && a.ends_with("-2.pdf") && a.len() <= MAX_NAME && faults(&a, true).is_empty(), "{a}");
        assert_eq!(numbered("qos.pdf", 2), "qos-2.pdf");
        // An absurd extension does not underflow.
        assert!(normalize("a", &"e".repeat(100), "x").len() <= MAX_NAME);
    }
}
