//! Debian's Chromium through ChromeDriver (WebDriver) with fantoccini, for the browser suites
//! of `yaolian-web` (`tests/browser.rs`) and of the demo (`crates/yaolian/tests/pages.rs`,
//! which includes this file by path).

#![allow(dead_code)]

use fantoccini::{Client, ClientBuilder};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn find(cmd: &str) -> Option<String> {
    std::env::var("PATH").ok()?.split(':').map(|d| format!("{d}/{cmd}")).find(|p| std::path::Path::new(p).exists())
}

pub async fn start_driver() -> Option<Driver> {
    let Some(bin) = find("chromedriver") else {
        if std::env::var("YAOLIAN_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("YAOLIAN_REQUIRE_BROWSER=1 but chromedriver is not installed");
        }
        eprintln!(
            "note: chromedriver not found: skipping the browser smoke test (apt install chromium chromium-driver)"
        );
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let child =
        Command::new(bin).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().ok()?;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Some(Driver { child, port });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start");
}

pub async fn browser(driver: &Driver, width: u32) -> Client {
    let profile = std::env::temp_dir().join(format!("yaolian-chromium-{}-{}", std::process::id(), driver.port));
    let mut caps = serde_json::Map::new();
    let mut options = serde_json::json!({
            "binary": find("chromium").unwrap_or_else(|| "/usr/bin/chromium".into()),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", format!("--window-size={width},900"),
                format!("--user-data-dir={}", profile.display()), "--lang=zh-CN",
            ]
    });
    if width < 500 {
        // Desktop Chromium will not make a window this narrow; emulate a phone instead.
        options["mobileEmulation"] =
            serde_json::json!({"deviceMetrics": {"width": width, "height": 812, "pixelRatio": 1.0}});
    }
    caps.insert("goog:chromeOptions".into(), options);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("connect to chromedriver")
}
