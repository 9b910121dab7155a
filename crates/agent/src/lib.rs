//! The instrument capture agent (仪器数据采集代理, `yaolian-agent`), for the instrument
//! workstation. It watches a folder where the instrument software exports its results; each new
//! file is captured into a local SQLite outbox — content, SM3, acquisition metadata and the
//! idempotency key — in one statement, so a file is either wholly captured or not at all, and
//! the raw file stays where the instrument wrote it. A delivery loop posts what waits to the
//! server (`POST /api/v1/lab/results`) with the key; the server keeps each key once, so a retry
//! after a lost answer is harmless. Failures wait and retry with jittered exponential backoff —
//! 30 s doubling up to one day, for as long as it takes; a refusal that no retry can change (the
//! server says the file cannot be read, or the key was used for another file) is set aside with
//! its reason for a person to look at. `status` shows the queue. A balance or pH meter on a
//! serial port is read line by line ([`serial`]) into the same outbox.

pub mod outbox;
pub mod serial;

/// The wait before the first retry: 30 s.
pub const FIRST_RETRY_MS: i64 = 30_000;

/// How long to wait before attempt `attempts + 1` after `attempts` failures: 30 s × 2^(n−1),
/// at most one day, scattered by `jitter` (a fraction in −0.2..0.2) so that many agents coming
/// back after an outage do not all retry at once. In milliseconds.
pub fn backoff_ms(attempts: u32, jitter: f64) -> i64 {
    backoff_from(FIRST_RETRY_MS, attempts, jitter)
}

/// [`backoff_ms`] from another first wait (`first_ms`, e.g. a test's or a lab network's).
pub fn backoff_from(first_ms: i64, attempts: u32, jitter: f64) -> i64 {
    const DAY_MS: f64 = 86_400_000.0;
    let exponent = attempts.saturating_sub(1).min(32);
    let plain = (first_ms.max(1) as f64 * 2f64.powi(exponent as i32)).min(DAY_MS);
    let jitter = jitter.clamp(-0.2, 0.2);
    (plain * (1.0 + jitter)).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_thirty_seconds_to_a_day() {
        let plain: Vec<i64> = (1..=14).map(|n| backoff_ms(n, 0.0)).collect();
        assert_eq!(&plain[..4], &[30_000, 60_000, 120_000, 240_000]);
        assert_eq!(backoff_ms(12, 0.0), 61_440_000, "about 17 hours after 12 failures");
        assert_eq!(backoff_ms(13, 0.0), 86_400_000, "then daily");
        assert_eq!(backoff_ms(u32::MAX, 0.0), 86_400_000);
        assert_eq!(backoff_ms(1, 0.2), 36_000);
        assert_eq!(backoff_ms(1, -5.0), 24_000, "jitter is bounded");
    }
}

/// Where and as whom the agent delivers.
#[derive(Clone)]
pub struct Target {
    /// e.g. `http://yaolian.lab.local:8080`.
    pub server: String,
    /// A scoped API token (`lab.use`); never logged.
    pub token: String,
    pub org_id: i64,
    pub instrument: String,
    /// The workstation's user, sent as who acquired the results.
    pub operator: String,
    /// The wait before the first retry ([`FIRST_RETRY_MS`] unless configured).
    pub first_retry_ms: i64,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("server", &self.server)
            .field("token", &"[redacted]")
            .field("org_id", &self.org_id)
            .field("instrument", &self.instrument)
            .finish()
    }
}

/// The kind of result a file holds, by its extension (`csv`/`txt` peak tables, `astm`/`lis`
/// analyzer messages, `sics` balance lines); anything else is kept unread on the server.
pub fn kind_of(path: &std::path::Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("csv" | "txt" | "tsv") => "peaks",
        Some("astm" | "lis") => "astm",
        Some("animl") => "animl",
        Some("sics") => "balance",
        _ => "raw",
    }
}

/// Captures every file of `dir` not captured before (oldest name first); returns how many were new.
pub async fn scan(outbox: &outbox::Outbox, dir: &std::path::Path, instrument: &str) -> anyhow::Result<usize> {
    let mut paths: Vec<std::path::PathBuf> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .collect();
    paths.sort();
    let mut new = 0;
    for p in paths {
        if outbox.capture(instrument, &p, kind_of(&p)).await? {
            new += 1;
        }
    }
    Ok(new)
}

/// What one delivery round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub delivered: usize,
    pub failed: usize,
    pub rejected: usize,
}

/// Delivers what is due, up to `limit` rows: 200/201 delivered; 409 `key_reused` or 422 set
/// aside; anything else (no answer, 5xx, 401) retried after its backoff.
pub async fn deliver_due(
    outbox: &outbox::Outbox,
    http: &reqwest::Client,
    target: &Target,
    limit: i64,
) -> anyhow::Result<Round> {
    use base64::Engine;
    let mut round = Round::default();
    for w in outbox.due(limit).await? {
        let body = serde_json::json!({
            "org_id": target.org_id,
            "idempotency_key": w.key,
            "instrument": target.instrument,
            "kind": w.kind,
            "acquired_at": w.acquired_at,
            "acquired_by": target.operator,
            "source_path": w.path,
            "raw": {
                "label": "原始文件",
                "name": w.name,
                "content_base64": base64::engine::general_purpose::STANDARD.encode(&w.content),
            },
        });
        let url = format!("{}/api/v1/lab/results", target.server.trim_end_matches('/'));
        let sent = http.post(&url).bearer_auth(&target.token).json(&body).send().await;
        match sent {
            Ok(r) if r.status().is_success() => {
                outbox.delivered(&w.key).await?;
                round.delivered += 1;
            }
            Ok(r) if r.status().as_u16() == 409 || r.status().as_u16() == 422 => {
                let status = r.status();
                let text = r.text().await.unwrap_or_default();
                outbox.rejected(&w.key, &format!("{status}: {}", text.chars().take(500).collect::<String>())).await?;
                round.rejected += 1;
            }
            Ok(r) => {
                let delay = backoff_from(target.first_retry_ms, w.attempts + 1, rand::random::<f64>() * 0.4 - 0.2);
                outbox.failed(&w.key, &format!("server answered {}", r.status()), delay).await?;
                round.failed += 1;
            }
            Err(e) => {
                let delay = backoff_from(target.first_retry_ms, w.attempts + 1, rand::random::<f64>() * 0.4 - 0.2);
                let what = if e.is_connect() { "server not reachable".to_string() } else { format!("{e}") };
                outbox.failed(&w.key, &what, delay).await?;
                round.failed += 1;
            }
        }
    }
    Ok(round)
}
