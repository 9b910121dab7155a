//! The validator: reads an eCTD package on disk — ours or another tool's — and reports each
//! finding with its rule id, severity, location and message, under a rule set
//! ([`crate::rules`]). It reads files (this module does I/O) but no database.
//!
//! The path given is a sequence folder (it holds `index.xml`) or an application folder holding
//! sequence folders (`0000`, `0001` …), each validated in order. Lifecycle checks read the
//! earlier sequences beside the one checked (`modified-file="../0000/index.xml#id"`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};
use serde::Serialize;

use crate::ctd;
use crate::dtd::Dtd;
use crate::naming::{self, NameFault};
use crate::pdf;
use crate::regional;
use crate::rules::{Check, RuleSet, Severity};
use yaolian_core::xml::{self, Element};

/// A folder with more entries than this is refused (a package of 5,000 files has about 6,000).
pub const MAX_ENTRIES: usize = 500_000;
/// index.xml and the regional file larger than this are not parsed.
pub const MAX_XML_BYTES: u64 = 64 * 1024 * 1024;
/// At most this many findings per rule and sequence are listed (the count is kept).
pub const MAX_PER_RULE: usize = 200;
/// PDFs larger than this are checksummed but not opened.
pub const MAX_PDF_BYTES: u64 = 512 * 1024 * 1024;

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    /// `0001/m3/32-body-data/spec.pdf`, with `:line` for a place in an XML file.
    pub location: String,
    pub message: String,
}

/// A sequence's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SequenceSummary {
    pub sequence: String,
    pub files: usize,
    pub bytes: u64,
    pub leaves: usize,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub rule_set: String,
    pub rule_set_version: String,
    pub basis: String,
    pub package: String,
    pub sequences: Vec<SequenceSummary>,
    pub findings: Vec<Finding>,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Findings counted but not listed (more than [`MAX_PER_RULE`] of one rule).
    pub omitted: usize,
}

impl Report {
    /// Whether the package passes (no finding of severity error).
    pub fn passes(&self) -> bool {
        self.errors == 0
    }

    /// The rule ids found, each once, sorted.
    pub fn rule_ids(&self) -> Vec<String> {
        let mut v: Vec<String> = self.findings.iter().map(|f| f.rule.clone()).collect();
        v.sort();
        v.dedup();
        v
    }
}

/// Why validation could not run at all (the path is not there, too many entries).
#[derive(Debug, Clone, PartialEq)]
pub struct CannotValidate(pub String);

impl std::fmt::Display for CannotValidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A leaf as read from a backbone or the regional file.
#[derive(Debug, Clone)]
struct Leaf {
    id: String,
    operation: String,
    href: Option<String>,
    checksum: String,
    checksum_type: String,
    modified: Option<String>,
    title: String,
    /// The XML file it is in, relative to the sequence (`index.xml`, `m1/cn/cn-regional.xml`).
    file: String,
    line: usize,
    /// Whether it sits in Module 1.
    m1: bool,
    /// Its CTD node: the elements above it with their attributes (substance, manufacturer,
    /// product name …), node extensions left out.
    node: String,
}

fn is_sequence_name(s: &str) -> bool {
    s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A finding's particulars at most 300 characters, control characters shown as spaces (a title
/// or a name from the package may be anything).
fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(300).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if s.chars().count() > 300 {
        out.push('…');
    }
    out
}

struct Collector<'a> {
    rules: &'a RuleSet,
    findings: Vec<Finding>,
    per_rule: HashMap<String, usize>,
    omitted: usize,
}

impl Collector<'_> {
    fn add(&mut self, check: Check, location: impl Into<String>, detail: impl AsRef<str>) {
        let Some(rule) = self.rules.rule(check) else { return };
        let n = self.per_rule.entry(rule.id.clone()).or_default();
        *n += 1;
        if *n > MAX_PER_RULE {
            self.omitted += 1;
            return;
        }
        self.findings.push(Finding {
            rule: rule.id.clone(),
            severity: rule.severity,
            location: location.into(),
            message: rule.message.replace("{detail}", &clip(detail.as_ref())),
        });
    }

    fn limit(&self, check: Check, default: u64) -> u64 {
        self.rules.rule(check).and_then(|r| r.limit).unwrap_or(default)
    }
}

/// Files and folders below a sequence folder, relative, in sorted order.
struct Tree {
    files: BTreeMap<String, u64>,
    /// Symbolic links and special files (FIFOs, devices), with what they are: never followed or
    /// opened (a package carries its files).
    links: Vec<String>,
    empty_dirs: Vec<String>,
    dirs: Vec<String>,
}

fn walk(root: &Path) -> Result<Tree, CannotValidate> {
    let mut tree = Tree { files: BTreeMap::new(), links: Vec::new(), empty_dirs: Vec::new(), dirs: Vec::new() };
    let mut stack = vec![(root.to_path_buf(), String::new())];
    let mut count = 0usize;
    while let Some((dir, rel)) = stack.pop() {
        let entries =
            std::fs::read_dir(&dir).map_err(|e| CannotValidate(format!("cannot read {}: {e}", dir.display())))?;
        let mut any = false;
        for entry in entries {
            let entry = entry.map_err(|e| CannotValidate(format!("cannot read {}: {e}", dir.display())))?;
            count += 1;
            if count > MAX_ENTRIES {
                return Err(CannotValidate(format!("more than {MAX_ENTRIES} files and folders")));
            }
            any = true;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
            // Symbolic links are not followed: metadata of the link itself.
            let meta = std::fs::symlink_metadata(entry.path())
                .map_err(|e| CannotValidate(format!("cannot read {}: {e}", entry.path().display())))?;
            // Only regular files are ever opened: a FIFO or a device would block or never end.
            let kind = meta.file_type();
            if kind.is_symlink() {
                tree.links.push(format!("{path} 是符号链接"));
            } else if kind.is_dir() {
                tree.dirs.push(path.clone());
                stack.push((entry.path(), path));
            } else if kind.is_file() {
                tree.files.insert(path, meta.len());
            } else {
                tree.links.push(format!("{path} 不是普通文件"));
            }
        }
        if !any && !rel.is_empty() {
            tree.empty_dirs.push(rel);
        }
    }
    tree.empty_dirs.sort();
    tree.dirs.sort();
    Ok(tree)
}

/// The bytes of a regular file of at most `max` bytes; `None` otherwise (the size is checked on
/// the open handle and the read is bounded, whatever the file claims).
fn read_limited(path: &Path, max: u64) -> Option<Vec<u8>> {
    let f = std::fs::File::open(path).ok()?;
    let meta = f.metadata().ok()?;
    if !meta.is_file() || meta.len() > max {
        return None;
    }
    let mut out = Vec::with_capacity(meta.len() as usize);
    f.take(max + 1).read_to_end(&mut out).ok()?;
    (out.len() as u64 <= max).then_some(out)
}

/// The MD5 of a file's contents, lowercase hex, read in 1 MiB blocks.
pub fn md5_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// The MD5 of `bytes`, lowercase hex.
pub fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

/// A URI reference's %XX escapes decoded (RFC 3986 §2.1: `%20` is a space in the file's name);
/// `None` for a broken escape or bytes that are not UTF-8.
fn percent_decode(reference: &str) -> Option<String> {
    if !reference.contains('%') {
        return Some(reference.to_string());
    }
    let b = reference.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Joins a relative reference (%-escapes decoded) to the folder it is written in (both
/// relative to the package root, '/'-separated); `None` when it climbs above the root, is
/// absolute or its escapes are broken.
fn resolve(base_dir: &str, reference: &str) -> Option<String> {
    let reference = percent_decode(reference)?;
    let reference = reference.as_str();
    if reference.starts_with('/') || reference.contains(':') || reference.contains('\\') {
        return None;
    }
    let mut parts: Vec<&str> = base_dir.split('/').filter(|p| !p.is_empty()).collect();
    for p in reference.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

fn leaves_of(root: &Element, file: &str, m1_root: bool) -> Vec<Leaf> {
    let mut out = Vec::new();
    fn visit(e: &Element, file: &str, m1: bool, node: &str, out: &mut Vec<Leaf>) {
        let m1 = m1 || e.name.starts_with("m1-");
        for c in &e.children {
            if c.name == "leaf" {
                out.push(Leaf {
                    id: c.attr("ID").unwrap_or("").to_string(),
                    operation: c.attr("operation").unwrap_or("").to_string(),
                    href: c.attr("xlink:href").map(str::to_string),
                    checksum: c.attr("checksum").unwrap_or("").to_string(),
                    checksum_type: c.attr("checksum-type").unwrap_or("").to_string(),
                    modified: c.attr("modified-file").filter(|m| !m.trim().is_empty()).map(str::to_string),
                    title: c.child("title").map(|t| t.text.trim().to_string()).unwrap_or_default(),
                    file: file.to_string(),
                    line: c.line,
                    m1,
                    node: node.to_string(),
                });
            } else if c.name == "node-extension" || c.name == "title" {
                visit(c, file, m1, node, out);
            } else {
                let mut attrs: Vec<String> = c.attrs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                attrs.sort();
                let below = format!("{node}/{}[{}]", c.name, attrs.join(";"));
                visit(c, file, m1, &below, out);
            }
        }
    }
    visit(root, file, m1_root, "", &mut out);
    out
}

/// The leaves of an earlier sequence's XML files, read once per file, and what each earlier
/// sequence modified.
struct Earlier<'a> {
    root: &'a Path,
    cache: HashMap<String, Option<Vec<Leaf>>>,
}

impl Earlier<'_> {
    /// The leaves of `rel` (a backbone or regional file, relative to the root), `None` when it
    /// is not a plain readable XML file.
    fn leaves(&mut self, rel: &str) -> Option<&Vec<Leaf>> {
        if !self.cache.contains_key(rel) {
            let path = self.root.join(rel);
            // Every component below the root a real folder or file, never a link or a FIFO.
            let mut at = self.root.to_path_buf();
            let plain = rel.split('/').all(|part| {
                at.push(part);
                std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_dir() || m.file_type().is_file())
            }) && std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file());
            let file = rel.split_once('/').map_or(rel, |(_, f)| f);
            let leaves = plain
                .then(|| read_limited(&path, MAX_XML_BYTES))
                .flatten()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|t| xml::parse(&t).ok())
                .map(|d| leaves_of(&d.root, file, file == regional::PATH));
            self.cache.insert(rel.to_string(), leaves);
        }
        self.cache.get(rel).and_then(|o| o.as_ref())
    }

    fn leaf(&mut self, rel: &str, id: &str) -> Option<&Leaf> {
        self.leaves(rel).and_then(|ls| ls.iter().find(|l| l.id == id))
    }

    /// The leaves (file relative to the root, ID) that sequences before `seq` replaced or
    /// deleted: no longer current, so nothing may modify them again.
    fn retired(&mut self, seq: &str) -> HashSet<(String, String)> {
        let mut earlier: Vec<String> = std::fs::read_dir(self.root)
            .map(|rd| rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        earlier.retain(|s| is_sequence_name(s) && s.as_str() < seq);
        let mut out = HashSet::new();
        for s in earlier {
            for file in ["index.xml", regional::PATH] {
                let rel = format!("{s}/{file}");
                let Some(leaves) = self.leaves(&rel) else { continue };
                for l in leaves.iter().filter(|l| matches!(l.operation.as_str(), "replace" | "delete")) {
                    if let Some(target) = l.modified.as_deref().and_then(|m| modified_target(&s, l, m)) {
                        out.insert(target);
                    }
                }
            }
        }
        out
    }
}

/// The (file relative to the root, ID) a leaf's `modified-file` names.
fn modified_target(seq: &str, l: &Leaf, m: &str) -> Option<(String, String)> {
    let base = format!("{seq}/{}", l.file.rsplit_once('/').map(|(d, _)| d).unwrap_or(""));
    let (file, id) = m.split_once('#')?;
    Some((resolve(&base, file)?, id.to_string()))
}

const ALLOWED_TYPES: &[&str] = &["pdf", "xml", "xpt", "jpg", "jpeg", "png", "gif", "svg", "dtd", "xsl", "xsd", "txt"];

/// Validates the package at `path` under `rules`.
pub fn validate(path: &Path, rules: &RuleSet) -> Result<Report, CannotValidate> {
    // "." and "x/.." name their folder.
    let path = &path.canonicalize().map_err(|e| CannotValidate(format!("{}: {e}", path.display())))?;
    let meta = std::fs::metadata(path).map_err(|e| CannotValidate(format!("{}: {e}", path.display())))?;
    if !meta.is_dir() {
        return Err(CannotValidate(format!("{} is not a folder", path.display())));
    }
    let mut c = Collector { rules, findings: Vec::new(), per_rule: HashMap::new(), omitted: 0 };
    // A sequence folder, or an application folder of sequences.
    let (root, sequences): (PathBuf, Vec<String>) = if path.join("index.xml").exists() {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        (path.parent().map(Path::to_path_buf).unwrap_or_default(), vec![name])
    } else {
        let mut seqs: Vec<String> = std::fs::read_dir(path)
            .map_err(|e| CannotValidate(format!("{}: {e}", path.display())))?
            .flatten()
            // A linked folder is not followed (it would show another folder's files).
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        seqs.sort();
        if seqs.is_empty() {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            (path.parent().map(Path::to_path_buf).unwrap_or_default(), vec![name])
        } else {
            (path.to_path_buf(), seqs)
        }
    };
    let ich = ctd::ich_dtd();
    let cn = ctd::regional_dtd();
    let mut summaries = Vec::new();
    let mut earlier = Earlier { root: &root, cache: HashMap::new() };
    for seq in &sequences {
        summaries.push(sequence(&root, seq, &mut c, ich, cn, &mut earlier)?);
    }
    let count = |s: Severity| {
        c.per_rule
            .iter()
            .filter(|(id, _)| rules.rules.iter().any(|r| &r.id == *id && r.severity == s))
            .map(|(_, n)| *n)
            .sum()
    };
    Ok(Report {
        rule_set: rules.name.clone(),
        rule_set_version: rules.version.clone(),
        basis: rules.basis.clone(),
        package: path.display().to_string(),
        sequences: summaries,
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        infos: count(Severity::Info),
        omitted: c.omitted,
        findings: c.findings,
    })
}

fn sequence(
    root: &Path,
    seq: &str,
    c: &mut Collector<'_>,
    ich: &Dtd,
    cn: &Dtd,
    earlier: &mut Earlier<'_>,
) -> Result<SequenceSummary, CannotValidate> {
    let dir = root.join(seq);
    if !is_sequence_name(seq) {
        c.add(Check::SequenceFolder, seq, seq);
    }
    let tree = walk(&dir)?;
    let bytes: u64 = tree.files.values().sum();
    let mut summary = SequenceSummary { sequence: seq.to_string(), files: tree.files.len(), bytes, leaves: 0 };
    if bytes > c.limit(Check::PackageSize, u64::MAX) {
        c.add(Check::PackageSize, seq, format!("{:.2} GB", bytes as f64 / 1e9));
    }
    for d in &tree.empty_dirs {
        c.add(Check::EmptyFolder, format!("{seq}/{d}"), d);
    }
    for l in &tree.links {
        let at = l.split(' ').next().unwrap_or(l);
        c.add(Check::HrefOutside, format!("{seq}/{at}"), l);
    }
    // Names and path lengths of everything below the sequence folder.
    let max_path = c.limit(Check::PathLength, naming::MAX_PATH as u64) as usize;
    let max_name = c.limit(Check::NameLength, naming::MAX_NAME as u64) as usize;
    let entries = tree.dirs.iter().map(|d| (d, false)).chain(tree.files.keys().map(|f| (f, true)));
    for (rel, is_file) in entries {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        let full = format!("{seq}/{rel}");
        for f in naming::faults(name, is_file) {
            match f {
                NameFault::Uppercase => c.add(Check::NameUppercase, &full, name),
                NameFault::Character(ch) => c.add(Check::NameCharacters, &full, format!("{name}（“{ch}”）")),
                NameFault::Dots => c.add(Check::NameCharacters, &full, format!("{name}（点号）")),
                NameFault::Length(_) => {}
            }
        }
        let n = name.chars().count();
        if n > max_name {
            c.add(Check::NameLength, &full, format!("{name}（{n} 个字符）"));
        }
        let p = full.chars().count();
        if p > max_path {
            c.add(Check::PathLength, &full, format!("{p} 个字符"));
        }
    }
    // The backbone and its checksum.
    let index_path = dir.join("index.xml");
    let index_bytes = match tree.files.get("index.xml") {
        None => {
            c.add(Check::IndexMissing, format!("{seq}/index.xml"), "");
            None
        }
        Some(n) if *n > MAX_XML_BYTES => {
            c.add(Check::BackboneXml, format!("{seq}/index.xml"), format!("larger than {MAX_XML_BYTES} bytes"));
            None
        }
        Some(_) => read_limited(&index_path, MAX_XML_BYTES),
    };
    match (tree.files.get("index-md5.txt"), &index_bytes) {
        (None, _) => c.add(Check::IndexMd5Missing, format!("{seq}/index-md5.txt"), ""),
        (Some(n), Some(b)) => {
            // A byte-order mark before the hex (some editors write one) is not a mismatch.
            let given = if *n <= 1024 {
                read_limited(&dir.join("index-md5.txt"), 1024)
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default()
            } else {
                String::new()
            };
            let given = given.trim_start_matches('\u{feff}').trim().to_ascii_lowercase();
            let actual = md5_hex(b);
            if given != actual {
                c.add(Check::IndexMd5, format!("{seq}/index-md5.txt"), format!("记载 {given}，实为 {actual}"));
            }
        }
        _ => {}
    }
    // The util folder's DTD, as ICH publishes it.
    let dtd_rel = "util/dtd/ich-ectd-3-2.dtd";
    match tree.files.get(dtd_rel) {
        None => c.add(Check::UtilDtd, format!("{seq}/{dtd_rel}"), "缺失"),
        Some(_) => {
            let given = md5_file(&dir.join(dtd_rel)).unwrap_or_default();
            if given != md5_hex(ctd::ICH_DTD.as_bytes()) {
                c.add(Check::UtilDtd, format!("{seq}/{dtd_rel}"), format!("MD5 {given}"));
            }
        }
    }
    let mut leaves = Vec::new();
    let mut regional_ref = false;
    if let Some(b) = &index_bytes {
        match std::str::from_utf8(b).map_err(|e| e.to_string()).and_then(|t| xml::parse(t).map_err(|e| e.to_string())) {
            Err(e) => c.add(Check::BackboneXml, format!("{seq}/index.xml"), e),
            Ok(doc) => {
                let doctype = doc.doctype.as_deref().and_then(|d| d.split_whitespace().next());
                for inv in ich.validate(&doc.root, doctype, MAX_PER_RULE) {
                    c.add(Check::BackboneDtd, format!("{seq}/index.xml:{}", inv.line), inv.message);
                }
                leaves = leaves_of(&doc.root, "index.xml", false);
                regional_ref = leaves.iter().any(|l| l.m1 && l.href.as_deref() == Some(regional::PATH));
            }
        }
    }
    // The regional file: its envelope and its Module 1 leaves.
    match tree.files.get(regional::PATH) {
        None => c.add(Check::RegionalMissing, format!("{seq}/{}", regional::PATH), ""),
        Some(n) if *n > MAX_XML_BYTES => c.add(Check::RegionalXml, format!("{seq}/{}", regional::PATH), "too large"),
        Some(_) => {
            if !regional_ref && index_bytes.is_some() {
                c.add(Check::RegionalMissing, format!("{seq}/index.xml"), "");
            }
            let text = read_limited(&dir.join(regional::PATH), MAX_XML_BYTES).and_then(|b| String::from_utf8(b).ok());
            match text.as_deref().map(xml::parse) {
                None => c.add(Check::RegionalXml, format!("{seq}/{}", regional::PATH), "not UTF-8"),
                Some(Err(e)) => c.add(Check::RegionalXml, format!("{seq}/{}", regional::PATH), e.to_string()),
                Some(Ok(doc)) => {
                    let doctype = doc.doctype.as_deref().and_then(|d| d.split_whitespace().next());
                    for inv in cn.validate(&doc.root, doctype, MAX_PER_RULE) {
                        c.add(Check::RegionalXml, format!("{seq}/{}:{}", regional::PATH, inv.line), inv.message);
                    }
                    for (field, problem) in regional::envelope_faults(&doc.root) {
                        c.add(
                            Check::RegionalEnvelope,
                            format!("{seq}/{}", regional::PATH),
                            format!("{field}：{problem}"),
                        );
                    }
                    if let Some(s) = regional::sequence_number(&doc.root) {
                        if s != seq {
                            c.add(
                                Check::RegionalSequence,
                                format!("{seq}/{}", regional::PATH),
                                format!("信封为 {s}，文件夹为 {seq}"),
                            );
                        }
                    }
                    leaves.extend(leaves_of(&doc.root, regional::PATH, true));
                }
            }
        }
    }
    summary.leaves = leaves.len();
    // Every leaf: operation, file, checksum, lifecycle.
    let mut referenced: HashSet<String> = HashSet::new();
    referenced.insert("index.xml".into());
    referenced.insert("index-md5.txt".into());
    referenced.insert(regional::PATH.into());
    let first = seq == "0000";
    let mut jobs: Vec<FileJob> = Vec::new();
    let retired = if first { HashSet::new() } else { earlier.retired(seq) };
    let mut modified_here: HashSet<(String, String)> = HashSet::new();
    for l in &leaves {
        let at = format!("{seq}/{}:{}", l.file, l.line);
        let what = format!("{}（{}）", l.id, if l.title.is_empty() { "无标题" } else { &l.title });
        if first && l.operation != "new" {
            c.add(Check::FirstSequenceNew, &at, format!("{what} 为 {}", l.operation));
        }
        match (l.operation.as_str(), &l.modified) {
            ("new", Some(m)) => c.add(Check::NewWithModifiedFile, &at, format!("{what}：{m}")),
            ("append" | "replace" | "delete", None) => c.add(Check::ModifiedFileMissing, &at, &what),
            ("append" | "replace" | "delete", Some(m)) => {
                let target = modified_target(seq, l, m).filter(|(t, id)| {
                    let tseq = t.split('/').next().unwrap_or("");
                    is_sequence_name(tseq) && tseq < seq && !id.is_empty()
                });
                let found = target.as_ref().and_then(|(t, id)| earlier.leaf(t, id).map(|x| x.node.clone()));
                match (target, found) {
                    (Some(target), Some(node)) => {
                        // Lifecycle: a leaf replaced or deleted before is no longer current (ICH
                        // eCTD v3.2.2 ch. 6; EU criterion 11.12); the modifying leaf sits in the
                        // modified leaf's node, attributes included (EU criterion 11.10); one
                        // leaf of a sequence replaces or deletes a given leaf.
                        if retired.contains(&target) {
                            c.add(Check::LifecycleRetired, &at, format!("{what}：{m}"));
                        }
                        if node != l.node {
                            c.add(Check::LifecycleNode, &at, format!("{what}：{m}"));
                        }
                        if l.operation != "append" && !modified_here.insert(target) {
                            c.add(Check::LifecycleTwice, &at, format!("{what}：{m}"));
                        }
                    }
                    _ => c.add(Check::ModifiedFileTarget, &at, format!("{what}：{m}")),
                }
            }
            _ => {}
        }
        if l.m1 && !l.title.is_empty() && !l.title.chars().any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch)) {
            c.add(Check::RegionalTitle, &at, &what);
        }
        match (&l.href, l.operation.as_str()) {
            (Some(h), "delete") => c.add(Check::DeleteWithFile, &at, format!("{what}：{h}")),
            (None, op) if op != "delete" && !op.is_empty() => c.add(Check::LeafWithoutFile, &at, &what),
            (Some(h), _) => {
                let base = format!("{seq}/{}", l.file.rsplit_once('/').map(|(d, _)| d).unwrap_or(""));
                let Some(target) = resolve(&base, h) else {
                    c.add(Check::HrefOutside, &at, format!("{what}：{h}"));
                    continue;
                };
                let tseq = target.split('/').next().unwrap_or("");
                if tseq != seq {
                    // A file of an earlier sequence may be referenced again (ICH eCTD v3.2.2
                    // Table 6-8 and "File Reuse"; EU validation criterion 11.6: the file exists
                    // in the same or a previously submitted sequence): it must be there, a
                    // regular file, with the MD5 this leaf gives.
                    if !(is_sequence_name(tseq) && tseq < seq) {
                        c.add(Check::HrefOutside, &at, format!("{what}：{h}"));
                        continue;
                    }
                    match std::fs::symlink_metadata(root.join(&target)) {
                        Ok(m) if m.is_file() => jobs.push(FileJob {
                            rel: target.clone(),
                            size: m.len(),
                            checksum: l.checksum.clone(),
                            what,
                            earlier: true,
                        }),
                        _ => c.add(Check::MissingFile, &at, format!("{what}：{h}")),
                    }
                    continue;
                }
                let rel = target[seq.len() + 1..].to_string();
                if !tree.files.contains_key(&rel) {
                    c.add(Check::MissingFile, &at, format!("{what}：{h}"));
                    continue;
                }
                referenced.insert(rel.clone());
                if !l.checksum_type.eq_ignore_ascii_case("md5") {
                    c.add(Check::ChecksumType, &at, format!("{what}：{}", l.checksum_type));
                }
                let size = tree.files.get(&rel).copied().unwrap_or(0);
                jobs.push(FileJob { rel, size, checksum: l.checksum.clone(), what, earlier: false });
            }
            _ => {}
        }
    }
    // The referenced files' own checks (checksum, type, PDF) on every core, reported in order.
    let limits = FileLimits { size: c.limit(Check::FileSize, u64::MAX), bookmarks: c.limit(Check::PdfBookmarks, 5) };
    for (check, at, detail) in check_files(&dir, seq, &jobs, &limits) {
        c.add(check, at, detail);
    }
    for rel in tree.files.keys() {
        if rel.starts_with("util/") || referenced.contains(rel) {
            continue;
        }
        c.add(Check::UnreferencedFile, format!("{seq}/{rel}"), rel);
    }
    Ok(summary)
}

/// A referenced file to check.
struct FileJob {
    /// Relative to the sequence; for a file of an earlier sequence, to the package root.
    rel: String,
    size: u64,
    checksum: String,
    what: String,
    /// A file of an earlier sequence referenced again: its checksum only (its own sequence
    /// checked the rest).
    earlier: bool,
}

struct FileLimits {
    size: u64,
    bookmarks: u64,
}

type Found = (Check, String, String);

/// Runs [`check_file`] over `jobs` on the machine's cores; the findings in the jobs' order.
fn check_files(dir: &Path, seq: &str, jobs: &[FileJob], limits: &FileLimits) -> Vec<Found> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 8);
    if threads == 1 || jobs.len() < 16 {
        return jobs.iter().flat_map(|j| check_file(dir, seq, j, limits)).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut per_job: Vec<(usize, Vec<Found>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(j) = jobs.get(i) else { break };
                        out.push((i, check_file(dir, seq, j, limits)));
                    }
                    out
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join().unwrap_or_else(|_| {
                    vec![(usize::MAX, vec![(Check::PdfUnreadable, seq.to_string(), "文件检查中断".to_string())])]
                })
            })
            .collect()
    });
    per_job.sort_by_key(|(i, _)| *i);
    per_job.into_iter().flat_map(|(_, f)| f).collect()
}

/// The checks of one referenced file: size, type, checksum, PDF.
fn check_file(dir: &Path, seq: &str, job: &FileJob, limits: &FileLimits) -> Vec<Found> {
    let mut out: Vec<Found> = Vec::new();
    let rel = job.rel.as_str();
    if job.earlier {
        let path = dir.parent().unwrap_or(dir).join(rel);
        match md5_file(&path) {
            Err(_) => out.push((Check::Checksum, rel.to_string(), format!("{}：文件无法读取", job.what))),
            Ok(md5) if !job.checksum.eq_ignore_ascii_case(&md5) => {
                out.push((Check::Checksum, rel.to_string(), format!("{}：记载 {}，实为 {md5}", job.what, job.checksum)))
            }
            Ok(_) => {}
        }
        return out;
    }
    let at = format!("{seq}/{rel}");
    let mut add = |check: Check, detail: String| out.push((check, at.clone(), detail));
    if job.size > limits.size {
        add(Check::FileSize, format!("{:.1} MB", job.size as f64 / 1e6));
    }
    let ext = rel.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    if !ALLOWED_TYPES.contains(&ext.as_str()) {
        add(Check::FileType, if ext.is_empty() { "无扩展名".to_string() } else { ext.clone() });
    }
    let path = dir.join(rel);
    let is_pdf = ext == "pdf" && job.size <= MAX_PDF_BYTES;
    let (md5, bytes) = if is_pdf {
        match read_limited(&path, MAX_PDF_BYTES) {
            Some(b) => (Some(md5_hex(&b)), Some(b)),
            None => (None, None),
        }
    } else {
        (md5_file(&path).ok(), None)
    };
    match md5 {
        None => add(Check::Checksum, format!("{}：文件无法读取", job.what)),
        Some(md5) if !job.checksum.eq_ignore_ascii_case(&md5) => {
            add(Check::Checksum, format!("{}：记载 {}，实为 {md5}", job.what, job.checksum))
        }
        Some(_) => {}
    }
    let Some(bytes) = bytes else { return out };
    // A reader that fails on a hostile file fails this file, not the run.
    let facts = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pdf::facts(&bytes)))
        .unwrap_or_else(|_| Err("the PDF reader failed on this file".into()));
    match facts {
        Err(e) => add(Check::PdfUnreadable, e),
        Ok(f) => {
            if f.encrypted {
                add(Check::PdfEncrypted, rel.to_string());
            }
            let version_ok = matches!(f.version.as_str(), "1.4" | "1.5" | "1.6" | "1.7") || f.pdfa.is_some();
            if !version_ok {
                add(Check::PdfVersion, format!("PDF {}", f.version));
            }
            if f.pages as u64 > limits.bookmarks && !f.bookmarks && !f.encrypted {
                add(Check::PdfBookmarks, format!("{} 页", f.pages));
            }
            if f.text == Some(false) && f.pages > 0 {
                add(Check::PdfText, rel.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_within_the_package() {
        assert_eq!(resolve("0001", "m3/a.pdf").as_deref(), Some("0001/m3/a.pdf"));
        assert_eq!(resolve("0001", "../0000/index.xml").as_deref(), Some("0000/index.xml"));
        assert_eq!(
            resolve("0001/m1/cn", "../../../0000/m1/cn/cn-regional.xml").as_deref(),
            Some("0000/m1/cn/cn-regional.xml")
        );
        assert_eq!(resolve("0001", "../../etc/passwd"), None);
        assert_eq!(resolve("0001", "/etc/passwd"), None);
        assert_eq!(resolve("0001", "file:///etc/passwd"), None);
        assert_eq!(resolve("0001", "m3/a%20b.pdf").as_deref(), Some("0001/m3/a b.pdf"));
        assert_eq!(resolve("0001", "m3/a%2.pdf"), None);
        assert_eq!(resolve("0001", "%2e%2e/%2e%2e/etc/passwd"), None);
    }
}
