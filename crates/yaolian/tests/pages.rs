//! Every page of the demo, for each demo role, in Chromium as a 375 × 812 phone (issue 17):
//! no page is wider than the screen (`document.documentElement.scrollWidth <= 375`), and no
//! zh-CN page shows an English word or an internal code outside the allow-list. The crawl
//! starts at each role's 工作台 and follows the links it finds (one page per route pattern),
//! so a new page is checked as soon as something links to it. A screenshot of every page is
//! written to the folder the test prints (`YAOLIAN_SCREENSHOTS`, else a temporary folder).
//!
//! Needs `chromedriver` (skipped with a note unless `YAOLIAN_REQUIRE_BROWSER=1`).

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions may unwrap too

#[path = "../../web/tests/driver/mod.rs"]
mod driver;
// `links` serves the benchmark; this crawl reads links in the browser.
#[allow(dead_code)]
#[path = "../src/crawl.rs"]
mod crawl;

use crawl::{followable, pattern};
use fantoccini::{Client, Locator};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Words a zh-CN page may show: the brand, the language switch, and the names of codes and
/// formats a person uses (GS1 keys, the national cryptography, file types).
const ALLOWED: &[&str] = &[
    "yaolian", "English", "GLN", "GTIN", "SSCC", "SGTIN", "EPC", "EPCIS", "CBV", "GS1", "SM2", "SM3", "CSV", "Excel",
    "PDF", "RFC", "MiB", "KB", "QR", "URL", "URI", "API", "JSON", "LD", "PEM", "TOTP", "CA", "ID", "IP", "GMP", "GSP",
    "OTC", "CN", "UTF", "CAS", "GHS", "mL", "mg", "kg", "FMEA", "RSD", "USP", "HPLC", "min", "nm", "RH",
    // The electrocardiogram's QT interval keeps its Latin letters in Chinese (心电图QT间期延长).
    "QT", // CDE's Chinese texts name the Common Technical Document CTD (CTD 格式申报资料); sizes.
    "CTD", "MB", "GB",
];

/// Demo accounts, one per role the demo has.
const ROLES: &[&str] = &[
    "admin",
    "secadmin",
    "auditor",
    "nmpa.leader",
    "zj.leader",
    "zj.reviewer",
    "zj.clerk",
    "zj.inspector",
    "kc.master",
    "kc.qa",
    "kc.analyst",
    "kc.keeper",
    "ms.master",
    "ms.pharmacist",
    "zjph.master",
    "hk.pharmacist",
];

/// Pages per role, at most (one per route pattern).
const MAX_PAGES: usize = 45;

/// What a page says about itself: its width, its text outside codes, its links.
const PROBE: &str = r#"
const skip = 'script,style,.mono,code,pre,kbd,samp,textarea,[data-ascii]';
const parts = [document.title];
const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walk.nextNode()) {
  const n = walk.currentNode;
  if (n.parentElement && !n.parentElement.closest(skip)) parts.push(n.nodeValue);
}
document.querySelectorAll('[placeholder],[title],[aria-label],img[alt]').forEach(e => {
  if (!e.closest(skip)) ['placeholder', 'title', 'aria-label', 'alt'].forEach(a => e.hasAttribute(a) && parts.push(e.getAttribute(a)));
});
const width = document.documentElement.scrollWidth;
const wide = [];
if (width > window.innerWidth) {
  document.querySelectorAll('body *').forEach(e => {
    const r = e.getBoundingClientRect();
    if (r.right > window.innerWidth + 1 && wide.length < 4 && !e.closest('.table-wrap')) {
      wide.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + String(e.className).split(' ').join('.') : ''));
    }
  });
}
const links = [...document.querySelectorAll('a[href]')].filter(a => !a.hasAttribute('download')).map(a => a.getAttribute('href'));
return {width: width, text: parts.join(' '), links: links, wide: wide};
"#;

/// The English words and internal codes in a page's text: runs of letters standing alone
/// (`submitted`, `License`), or snake_case codes (`not_holder`). Identifiers with dots, `@`,
/// colons or digits (user names, e-mail addresses, URNs, numbers) are codes a person uses.
fn english(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let is_code_char = |c: char| c.is_ascii_alphanumeric() || "._@:/-+#=".contains(c);
    for run in text.split(|c: char| !is_code_char(c)) {
        // A file's extension after its Chinese name (营业执照.pdf) is part of the name.
        let extension =
            run.strip_prefix('.').is_some_and(|e| e.len() <= 5 && e.chars().all(|c| c.is_ascii_alphanumeric()));
        if extension {
            continue;
        }
        let run = run.trim_matches(|c: char| ".:-/+#=".contains(c));
        let letters = run.len() >= 2 && run.chars().all(|c| c.is_ascii_alphabetic());
        let snake = run.contains('_') && run.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        if (letters || snake) && !ALLOWED.contains(&run) {
            out.insert(run.to_string());
        }
    }
    out
}

struct DemoServer {
    child: std::process::Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_demo() -> DemoServer {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_yaolian"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["demo", "--addr", &addr])
        .env_remove("YAOLIAN_DATABASE_URL")
        .env_remove("YAOLIAN_CONFIG")
        .env("YAOLIAN_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(Instant::now() < deadline, "the demo did not start listening");
        assert!(child.try_wait().unwrap().is_none(), "the demo exited before listening");
        std::thread::sleep(Duration::from_millis(200));
    }
    DemoServer { child, addr, _dir: dir }
}

async fn log_in(c: &Client, base: &str, username: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    c.delete_all_cookies().await.unwrap();
    c.goto(&format!("{base}/lang/zh?next=/login")).await.unwrap();
    c.find(Locator::Css("#username")).await.unwrap().send_keys(username).await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys(DEMO_PASSWORD).await.unwrap();
    c.find(Locator::Css("form[action='/login'] button[type=submit]")).await.unwrap().click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while c.current_url().await.unwrap().path().starts_with("/login") {
        assert!(Instant::now() < deadline, "{username} could not log in");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The demo's password (`yaolian demo` prints it; `demo::DEFAULT_PASSWORD`).
const DEMO_PASSWORD: &str = "Yaolian@2026";

#[tokio::test]
async fn every_demo_page_fits_a_phone_and_speaks_chinese() {
    let Some(driver) = driver::start_driver().await else {
        return;
    };
    let demo = start_demo();
    let base = format!("http://{}", demo.addr);
    let shots = std::env::var_os("YAOLIAN_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join(format!("yaolian-pages-{}", std::process::id())));
    std::fs::create_dir_all(&shots).unwrap();
    println!("screenshots of every demo page at 375 px: {}", shots.display());
    let c = driver::browser(&driver, 375).await;
    let mut problems: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut seen_pages = 0;
    let mut seen: Vec<(&str, String, String)> = Vec::new();
    for role in ROLES {
        log_in(&c, &base, role).await;
        let mut queue = VecDeque::from([c.current_url().await.unwrap().path().to_string()]);
        let mut patterns = BTreeSet::new();
        let mut visited = 0;
        while let Some(path) = queue.pop_front() {
            if visited >= MAX_PAGES || !patterns.insert(pattern(&path)) {
                continue;
            }
            visited += 1;
            c.goto(&format!("{base}{path}")).await.unwrap();
            let probe = c.execute(PROBE, vec![]).await.unwrap();
            let width = probe["width"].as_f64().unwrap_or(0.0);
            let name = format!("{role} {path}");
            if width > 375.0 {
                let wide: Vec<String> =
                    probe["wide"].as_array().unwrap().iter().map(|v| v.as_str().unwrap_or("").to_string()).collect();
                problems.entry(name.clone()).or_default().push(format!("{width} px wide: {}", wide.join(", ")));
            }
            let words = english(probe["text"].as_str().unwrap_or(""));
            if !words.is_empty() {
                let words: Vec<String> = words.into_iter().collect();
                problems.entry(name.clone()).or_default().push(format!("English: {}", words.join(" ")));
            }
            let file = format!("{role}{}", pattern(&path).replace(['/', '*'], "_"));
            std::fs::write(shots.join(format!("{file}-phone.png")), c.screenshot().await.unwrap()).unwrap();
            seen.push((role, path.clone(), file));
            for href in probe["links"].as_array().unwrap() {
                let href = href.as_str().unwrap_or("");
                if followable(href) && !patterns.contains(&pattern(href)) {
                    queue.push_back(href.to_string());
                }
            }
        }
        seen_pages += visited;
    }
    c.close().await.unwrap();
    // The same pages on a desk (1280 px), for the screenshots.
    let c = driver::browser(&driver, 1280).await;
    let mut current = "";
    for (role, path, file) in &seen {
        if *role != current {
            log_in(&c, &base, role).await;
            current = role;
        }
        c.goto(&format!("{base}{path}")).await.unwrap();
        std::fs::write(shots.join(format!("{file}-desktop.png")), c.screenshot().await.unwrap()).unwrap();
    }
    c.close().await.unwrap();
    println!("{seen_pages} pages checked for {} roles", ROLES.len());
    let report: Vec<String> = problems.iter().map(|(page, p)| format!("{page}: {}", p.join("; "))).collect();
    assert!(report.is_empty(), "{} pages fail:\n{}", report.len(), report.join("\n"));
    assert!(seen_pages > 100, "the crawl saw only {seen_pages} pages");
}

#[test]
fn the_word_scan_flags_words_and_codes_not_identifiers() {
    let found =
        english("状态 submitted 证照 浙CB20260007 用户 zj.clerk ms@example.cn 规则 one_of 英文 English SM3 校验");
    assert_eq!(found.into_iter().collect::<Vec<_>>(), vec!["one_of".to_string(), "submitted".to_string()]);
    assert_eq!(pattern("/services/applications/12?done=accepted"), "/services/applications/*");
    assert!(followable("/trace/anomalies?status=open") && !followable("/services/applications.csv?q="));
}
