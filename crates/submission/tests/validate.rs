//! A package built by yaolian validates with no errors; broken packages — each with one fault,
//! made by editing the built package on disk as another tool might have left it — each produce
//! the rule id expected of that fault (ICH eCTD Specification v3.2.2 and CDE's regional schema;
//! the rule set is `data/rules-yaolian-1.1.toml`).

use std::path::{Path, PathBuf};

use yaolian_submission::package;
use yaolian_submission::rules::{RuleSet, Severity};
use yaolian_submission::samples::{self, pdf};
use yaolian_submission::validate::{self, md5_hex, Report};

/// The sample application of three sequences: 0000 new, 0001 replace, 0002 append (and a
/// delete).
fn build(dir: &Path) {
    for s in samples::application() {
        package::write(dir, &s).unwrap_or_else(|e| panic!("{e}"));
    }
}

fn run(path: &Path) -> Report {
    validate::validate(path, &RuleSet::shipped()).unwrap_or_else(|e| panic!("{e}"))
}

fn errors(r: &Report) -> Vec<String> {
    r.findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("{} {} {}", f.rule, f.location, f.message))
        .collect()
}

/// A fresh copy of the good package to break.
fn good() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let app = tmp.path().join("x202612345");
    build(&app);
    (tmp, app)
}

/// Edits a sequence's index.xml and writes its new MD5, so that only the edit is a fault.
fn edit_index(seq: &Path, f: impl Fn(String) -> String) {
    let text = std::fs::read_to_string(seq.join("index.xml")).unwrap_or_default();
    let text = f(text);
    std::fs::write(seq.join("index.xml"), &text).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(seq.join("index-md5.txt"), md5_hex(text.as_bytes())).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_built_package_validates_with_no_errors() {
    let (_tmp, app) = good();
    let r = run(&app);
    assert_eq!(errors(&r), Vec::<String>::new());
    assert_eq!(r.sequences.iter().map(|s| s.sequence.as_str()).collect::<Vec<_>>(), vec!["0000", "0001", "0002"]);
    // 6 + 2 + 3 leaves, and each sequence's regional leaf in index.xml.
    assert_eq!(r.sequences.iter().map(|s| s.leaves).sum::<usize>(), 14);
    // The ICH DTD and stylesheet are the published files (ESTRI MD5s).
    let dtd = std::fs::read(app.join("0000/util/dtd/ich-ectd-3-2.dtd")).unwrap_or_default();
    assert_eq!(md5_hex(&dtd), "1d6f631cc6b6357f0f4fe378e5f79a27");
    // Names were normalized: "Cover Letter.pdf" → cover-letter.pdf.
    assert!(app.join("0000/m1/cn/1-0/cover-letter.pdf").exists());
    // One sequence alone validates too, reading its predecessors beside it.
    assert_eq!(errors(&run(&app.join("0002"))), Vec::<String>::new());
    // A byte-order mark before index-md5.txt's hex is no mismatch.
    let md5 = std::fs::read_to_string(app.join("0001/index-md5.txt")).unwrap_or_default();
    std::fs::write(app.join("0001/index-md5.txt"), format!("\u{feff}{md5}\r\n")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(errors(&run(&app)), Vec::<String>::new());
}

/// Each fault and the rule it must raise.
#[test]
fn each_broken_package_names_its_rule() {
    type Break = fn(&Path);
    let cases: Vec<(&str, &str, Break)> = vec![
        ("wrong MD5 of a file", "YL-205", |app| {
            let f = app.join("0000/m2/2-3/qos.pdf");
            let mut b = std::fs::read(&f).unwrap_or_default();
            let at = b.len() / 2;
            b[at] ^= 0x20;
            std::fs::write(f, b).unwrap_or_else(|e| panic!("{e}"));
        }),
        ("index.xml changed after its MD5", "YL-104", |app| {
            let f = app.join("0001/index.xml");
            let t = std::fs::read_to_string(&f).unwrap_or_default().replace("Specification v2", "Specification v3");
            std::fs::write(f, t).unwrap_or_else(|e| panic!("{e}"));
        }),
        ("unreferenced file", "YL-204", |app| {
            std::fs::write(app.join("0000/m2/2-3/notes.pdf"), pdf("notes", &["x"], false))
                .unwrap_or_else(|e| panic!("{e}"));
        }),
        ("missing file", "YL-203", |app| {
            std::fs::remove_file(app.join("0001/m3/3-2/3-2-s/3-2-s-4/3-2-s-4-1/specification.pdf"))
                .unwrap_or_else(|e| panic!("{e}"));
        }),
        ("bad operation: replace in 0000", "YL-301", |app| {
            edit_index(&app.join("0000"), |t| {
                t.replace("ID=\"l0000-qos\" operation=\"new\"", "ID=\"l0000-qos\" operation=\"replace\"")
            });
        }),
        ("bad modified-file", "YL-303", |app| {
            edit_index(&app.join("0001"), |t| t.replace("index.xml#l0000-spec", "index.xml#l0000-nothing"));
        }),
        ("a delete leaf with a file", "YL-305", |app| {
            let regional = app.join("0002/m1/cn/cn-regional.xml");
            let t = std::fs::read_to_string(&regional).unwrap_or_default().replace(
                "operation=\"delete\" modified-file",
                "operation=\"delete\" xlink:href=\"1-0/cover.pdf\" modified-file",
            );
            std::fs::write(&regional, &t).unwrap_or_else(|e| panic!("{e}"));
            edit_index(&app.join("0002"), |x| {
                let old = x.split("checksum=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or("").to_string();
                x.replacen(&old, &md5_hex(t.as_bytes()), 1)
            });
        }),
        ("too long a name", "YL-403", |app| {
            let long = format!("{}.pdf", "a".repeat(70));
            rename_leaf_file(app, "0000", "m2/2-3/qos.pdf", &format!("m2/2-3/{long}"));
        }),
        ("uppercase name", "YL-401", |app| rename_leaf_file(app, "0000", "m2/2-3/qos.pdf", "m2/2-3/QOS.pdf")),
        ("encrypted PDF (AES-256, no user password)", "YL-505", |app| {
            swap_file(app, "0000", "m2/2-3/qos.pdf", "l0000-qos", QPDF_AES256)
        }),
        ("password-protected PDF (AES-128)", "YL-505", |app| {
            swap_file(app, "0000", "m2/2-3/qos.pdf", "l0000-qos", QPDF_AES128_PASSWORD)
        }),
        ("a PDF of version 2.0", "YL-504", |app| {
            let b = pdf("qos", &["x"], false);
            let b = [b"%PDF-2.0".as_slice(), &b[8..]].concat();
            swap_file(app, "0000", "m2/2-3/qos.pdf", "l0000-qos", &b)
        }),
        ("a PDF of 8 pages without bookmarks", "YL-506", |app| {
            let b = pdf("qos", &["1", "2", "3", "4", "5", "6", "7", "8"], false);
            swap_file(app, "0000", "m2/2-3/qos.pdf", "l0000-qos", &b)
        }),
        ("a symbolic link to a file outside the package", "YL-207", |app| {
            std::os::unix::fs::symlink("/etc/hostname", app.join("0000/m2/2-3/link.pdf"))
                .unwrap_or_else(|e| panic!("{e}"));
        }),
        ("empty folder", "YL-106", |app| {
            std::fs::create_dir_all(app.join("0001/m4")).unwrap_or_else(|e| panic!("{e}"));
        }),
        ("envelope sequence differs from its folder", "YL-604", |app| {
            let regional = app.join("0001/m1/cn/cn-regional.xml");
            let t = std::fs::read_to_string(&regional)
                .unwrap_or_default()
                .replace("<sequence-number>0001</sequence-number>", "<sequence-number>0007</sequence-number>");
            std::fs::write(&regional, &t).unwrap_or_else(|e| panic!("{e}"));
            edit_index(&app.join("0001"), |x| {
                let old = x.split("checksum=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or("").to_string();
                x.replacen(&old, &md5_hex(t.as_bytes()), 1)
            });
        }),
        ("backbone against the DTD: a fixed attribute changed", "YL-202", |app| {
            edit_index(&app.join("0000"), |t| t.replace("dtd-version=\"3.2\"", "dtd-version=\"3.3\""));
        }),
    ];
    for (what, rule, break_it) in cases {
        let (_tmp, app) = good();
        break_it(&app);
        let r = run(&app);
        let ids = r.rule_ids();
        assert!(ids.contains(&rule.to_string()), "{what}: expected {rule}, found {ids:?}: {:?}", errors(&r));
        let severity = RuleSet::shipped().rules.iter().find(|x| x.id == rule).map(|x| x.severity);
        if severity == Some(Severity::Error) {
            assert!(!r.passes(), "{what}: the package still passes");
        }
    }
}

/// Moves a leaf's file and points its leaf (and index-md5) at the new name.
fn rename_leaf_file(app: &Path, seq: &str, from: &str, to: &str) {
    let dir = app.join(seq);
    std::fs::rename(dir.join(from), dir.join(to)).unwrap_or_else(|e| panic!("{e}"));
    edit_index(&dir, |t| t.replace(&format!("xlink:href=\"{from}\""), &format!("xlink:href=\"{to}\"")));
}

/// A leaf's file replaced by `bytes`, its checksum in index.xml (and index-md5) updated, so that
/// the file's content is the only fault.
fn swap_file(app: &Path, seq: &str, rel: &str, leaf_id: &str, bytes: &[u8]) {
    let dir = app.join(seq);
    std::fs::write(dir.join(rel), bytes).unwrap_or_else(|e| panic!("{e}"));
    let md5 = md5_hex(bytes);
    edit_index(&dir, |t| {
        let line = t.lines().find(|l| l.contains(&format!("ID=\"{leaf_id}\""))).unwrap_or("").to_string();
        let old = line.split("checksum=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or("").to_string();
        t.replace(&line, &line.replace(&old, &md5))
    });
}

/// PDFs encrypted by qpdf 11.3.0 (`qpdf --encrypt "" owner-secret 256` and `qpdf --encrypt
/// user-secret owner-secret 128 --use-aes=y`) from a PDF of `samples::pdf`.
const QPDF_AES256: &[u8] = include_bytes!("data/qpdf-aes256.pdf");
const QPDF_AES128_PASSWORD: &[u8] = include_bytes!("data/qpdf-aes128-user-password.pdf");

/// Hostile packages end with findings, never hang or read outside: a FIFO (opening it would block
/// forever), a `modified-file` naming a FIFO, a sequence folder that is a link to /etc.
#[test]
fn hostile_packages_end_with_findings() {
    let (_tmp, app) = good();
    let fifo = |p: &Path| {
        let ok = std::process::Command::new("mkfifo").arg(p).status().map(|s| s.success()).unwrap_or(false);
        assert!(ok, "mkfifo {}", p.display());
    };
    fifo(&app.join("0000/m2/2-3/pipe.pdf"));
    fifo(&app.join("0000/pipe.xml"));
    edit_index(&app.join("0001"), |t| t.replace("../0000/index.xml#l0000-spec", "../0000/pipe.xml#l0000-spec"));
    std::os::unix::fs::symlink("/etc", app.join("0003")).unwrap_or_else(|e| panic!("{e}"));
    let r = run(&app);
    let ids = r.rule_ids();
    assert!(ids.contains(&"YL-207".to_string()) && ids.contains(&"YL-303".to_string()), "{ids:?}");
    assert_eq!(r.sequences.iter().map(|s| s.sequence.as_str()).collect::<Vec<_>>(), vec!["0000", "0001", "0002"]);
    assert!(!r.findings.iter().any(|f| f.location.contains("passwd") || f.message.contains("passwd")));
}

/// Two documents of the same long name in one section get two names, each within 64
/// characters (the writer never loops on a name it cut).
#[test]
fn the_same_long_name_twice_in_a_section_gets_two_names() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut seq = samples::application().remove(0);
    let long = format!("{}.pdf", "a very long document title ".repeat(4));
    for l in seq.leaves.iter_mut().filter(|l| l.element == "m2-3-quality-overall-summary") {
        if let Some(f) = l.file.as_mut() {
            f.0 = long.clone();
        }
    }
    let mut extra = seq
        .leaves
        .iter()
        .find(|l| l.element == "m2-3-quality-overall-summary")
        .cloned()
        .unwrap_or_else(|| panic!("no qos leaf"));
    extra.id = "l0000-qos-2".into();
    if let Some(f) = extra.file.as_mut() {
        f.1 = pdf("another", &["another"], false);
    }
    seq.leaves.push(extra);
    let w = package::write(tmp.path(), &seq).unwrap_or_else(|e| panic!("{e}"));
    let a = &w.files["l0000-qos"].0;
    let b = &w.files["l0000-qos-2"].0;
    assert_ne!(a, b);
    for p in [a, b] {
        assert!(p.rsplit('/').next().is_some_and(|n| n.len() <= 64), "{p}");
    }
    assert_eq!(errors(&run(tmp.path())), Vec::<String>::new());
}

/// A leaf may point at a file of an earlier sequence (ICH eCTD v3.2.2 Table 6-8 and "File
/// Reuse"; EU validation criterion 11.6): no finding when it is there with the leaf's MD5, a
/// checksum finding when it is not, and a reference to a later sequence is outside the package.
#[test]
fn a_file_of_an_earlier_sequence_may_be_referenced_again() {
    let (_tmp, app) = good();
    let reused = std::fs::read(app.join("0000/m2/2-3/qos.pdf")).unwrap_or_default();
    let point = |href: &str, md5: &str| {
        edit_index(&app.join("0001"), |t| {
            let at = t.find("ID=\"l0001-spec\"").unwrap_or_else(|| panic!("no leaf l0001-spec in 0001"));
            let start = t[..at].rfind("<leaf").unwrap_or(0);
            let end = start + t[start..].find('>').unwrap_or(0);
            let leaf = &t[start..end];
            let old_sum = leaf.split("checksum=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or("");
            let old_href = leaf.split("xlink:href=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or("");
            let new_leaf = leaf.replace(old_sum, md5).replace(old_href, href);
            t.replacen(leaf, &new_leaf, 1)
        });
    };
    point("../0000/m2/2-3/qos.pdf", &md5_hex(&reused));
    std::fs::remove_dir_all(app.join("0001/m3")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(errors(&run(&app)), Vec::<String>::new());
    point("../0000/m2/2-3/qos.pdf", &"0".repeat(32));
    assert!(run(&app).rule_ids().contains(&"YL-205".to_string()));
    point("../0002/m1/cn/1-0/cover-letter.pdf", &md5_hex(&reused));
    assert!(run(&app).rule_ids().contains(&"YL-207".to_string()));
    point("../0000/m2/2-3/no-such.pdf", &md5_hex(&reused));
    assert!(run(&app).rule_ids().contains(&"YL-203".to_string()));
}

/// The lifecycle across sequences, each case written by the package writer so that only the
/// lifecycle is at fault: a leaf replaced before cannot be modified again (YL-307), the
/// modifying leaf sits in the modified leaf's node with its attributes (YL-308), two leaves of
/// one sequence do not replace the same leaf (YL-309); appending to the current leaf is fine.
#[test]
fn the_lifecycle_across_sequences() {
    use yaolian_submission::package::{LeafSpec, Operation, Target};
    let base = samples::application();
    let leaf = |id: &str, element: &str, op: Operation, target: (&str, &str)| LeafSpec {
        id: id.into(),
        element: element.into(),
        title: format!("Leaf {id}"),
        operation: op,
        target: Some(Target { sequence: target.0.into(), leaf_id: target.1.into() }),
        file: Some((format!("{id}.pdf"), pdf(id, &["x"], false))),
    };
    let spec_node = "m3-2-s-4-1-specification";
    let cases: Vec<(&str, Option<&str>, Vec<LeafSpec>)> = vec![
        // 0001 replaced l0000-spec; 0002 replaces it again.
        ("replaced before", Some("YL-307"), vec![leaf("x1", spec_node, Operation::Replace, ("0000", "l0000-spec"))]),
        // The current leaf (0001's) may be appended to.
        ("append to the current", None, vec![leaf("x2", spec_node, Operation::Append, ("0001", "l0001-spec"))]),
        // A replacement placed in another node.
        (
            "another node",
            Some("YL-308"),
            vec![leaf("x3", "m2-3-quality-overall-summary", Operation::Replace, ("0001", "l0001-spec"))],
        ),
        // Two replacements of one leaf in one sequence.
        (
            "twice",
            Some("YL-309"),
            vec![
                leaf("x4", spec_node, Operation::Replace, ("0001", "l0001-spec")),
                leaf("x5", spec_node, Operation::Replace, ("0001", "l0001-spec")),
            ],
        ),
    ];
    for (what, rule, leaves) in cases {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let app = tmp.path().join("x202612345");
        for s in &base[..2] {
            package::write(&app, s).unwrap_or_else(|e| panic!("{e}"));
        }
        let mut third = base[2].clone();
        third.leaves = leaves;
        package::write(&app, &third).unwrap_or_else(|e| panic!("{what}: {e}"));
        let r = run(&app);
        match rule {
            Some(rule) => assert!(r.rule_ids().contains(&rule.to_string()), "{what}: {:?}", errors(&r)),
            None => assert_eq!(errors(&r), Vec::<String>::new(), "{what}"),
        }
    }
    // Other attributes on the node (another manufacturer of the substance) are another node.
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let app = tmp.path().join("x202612345");
    package::write(&app, &base[0]).unwrap_or_else(|e| panic!("{e}"));
    let mut second = base[1].clone();
    second.attributes.manufacturer = "另一生产商".into();
    package::write(&app, &second).unwrap_or_else(|e| panic!("{e}"));
    assert!(run(&app).rule_ids().contains(&"YL-308".to_string()));
}
