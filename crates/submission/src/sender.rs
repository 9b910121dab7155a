//! The sending side of a transfer, over HTTP to a receiver's `/api/v1/submission/…`: the
//! manifest, then the chunks the receiver is missing (the next one sealed while one is on the
//! wire), each refused chunk sent again, a cut connection resumed by asking the receiver what
//! it holds; then the acknowledgements, each checked against the receiver's key and the
//! manifest and kept as a step of the sender's own record.

use crate::error::{Result, SubmissionError};
use crate::transfer::{self, Acknowledgement, Outgoing};
use crate::transfers::{self, ReceiverInfo, Transfer, ENTITY};
use serde::Serialize;
use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use yaolian_access::{perm, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_identity::IdentityError;
use yaolian_ledger::sign::KeyPair;
use yaolian_store::Store;

/// The receiver: its base URL and the API token of the applicant's account there.
pub struct Remote {
    pub base_url: String,
    pub token: String,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote").field("base_url", &self.base_url).field("token", &yaolian_core::REDACTED).finish()
    }
}

/// What a send took.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SendReport {
    pub chunks_sent: u64,
    /// Chunks the receiver refused (tag or SM3) and that were sent again.
    pub resent: u64,
    /// Requests that failed on the connection and were resumed.
    pub reconnects: u64,
    pub bytes: u64,
    /// From the manifest to the last chunk received.
    pub upload_seconds: f64,
    /// The whole send: hashing, chunks, rebuilding and validation at the receiver, the
    /// acknowledgements.
    pub seconds: f64,
}

/// Consecutive connection failures after which a send gives up.
const MAX_RECONNECTS: u64 = 30;
/// Times one chunk may be refused before the send gives up.
const MAX_REFUSALS: u32 = 5;

fn peer(e: impl std::fmt::Display) -> SubmissionError {
    SubmissionError::Peer(e.to_string())
}

/// A receiver's answer that is not a success: its problem's rule (the first field error's)
/// and its text.
struct Refusal {
    status: u16,
    rule: String,
    detail: String,
}

async fn refusal(r: reqwest::Response) -> Refusal {
    let status = r.status().as_u16();
    let v: serde_json::Value = r.json().await.unwrap_or_default();
    let rule = v["errors"][0]["rule"].as_str().unwrap_or_default().to_string();
    let detail = v["detail"].as_str().unwrap_or("no detail").to_string();
    Refusal { status, rule, detail }
}

struct Link<'a> {
    http: reqwest::Client,
    remote: &'a Remote,
    report: SendReport,
    failures: u64,
}

enum Answer<T> {
    Done(T),
    Refused(Refusal),
    /// The connection failed: try again.
    Cut,
}

impl Link<'_> {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.remote.base_url.trim_end_matches('/'))
    }

    async fn call<T: serde::de::DeserializeOwned>(&mut self, req: reqwest::RequestBuilder) -> Result<Answer<T>> {
        match req.bearer_auth(&self.remote.token).send().await {
            Ok(r) if r.status().is_success() => match r.json::<T>().await {
                Ok(v) => {
                    self.failures = 0;
                    Ok(Answer::Done(v))
                }
                Err(_) => self.cut().await,
            },
            Ok(r) => Ok(Answer::Refused(refusal(r).await)),
            Err(_) => self.cut().await,
        }
    }

    async fn cut<T>(&mut self) -> Result<Answer<T>> {
        self.report.reconnects += 1;
        self.failures += 1;
        if self.failures > MAX_RECONNECTS {
            return Err(peer(format!("no answer after {MAX_RECONNECTS} attempts")));
        }
        tokio::time::sleep(Duration::from_millis((100 * self.failures).min(2_000))).await;
        Ok(Answer::Cut)
    }

    /// `req` until it is answered (a refusal is an error).
    async fn until<T: serde::de::DeserializeOwned>(
        &mut self,
        req: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<T> {
        loop {
            let r = req(&self.http);
            match self.call(r).await? {
                Answer::Done(v) => return Ok(v),
                Answer::Refused(r) => return Err(peer(format!("{} {}", r.status, r.detail))),
                Answer::Cut => continue,
            }
        }
    }
}

fn seal(out: &Arc<Outgoing>, i: u64) -> tokio::task::JoinHandle<std::io::Result<Vec<u8>>> {
    let out = out.clone();
    tokio::task::spawn_blocking(move || out.sealed_chunk(i))
}

/// Sends the sequence folder `sequence_dir` to `remote` as `principal` (`submission.send`),
/// signing the manifest with `signer`; returns the sender's record with the receiver's
/// acknowledgements and what the send took.
pub async fn send(
    store: &Store,
    principal: &Principal,
    sequence_dir: &Path,
    remote: &Remote,
    signer: &KeyPair,
    client: &ClientInfo,
) -> Result<(Transfer, SendReport)> {
    if !principal.has(perm::SUBMISSION_SEND) {
        let denied = audit::deny::<IdentityError>(store, principal, perm::SUBMISSION_SEND, ENTITY, client).await;
        return Err(denied.into());
    }
    let started = Instant::now();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(peer)?;
    let mut link = Link { http, remote, report: SendReport::default(), failures: 0 };
    let info_url = link.url("/api/v1/submission/receiver");
    let info: ReceiverInfo = link.until(|h| h.get(&info_url)).await?;
    if info.format != transfer::FORMAT {
        return Err(peer(format!("speaks {}, not {}", info.format, transfer::FORMAT)));
    }
    let chunk_size = info.chunk_size.clamp(64 * 1024, transfer::MAX_CHUNK_SIZE);
    let (dir, key, signing) = (
        sequence_dir.to_path_buf(),
        (info.encryption_key_id.clone(), info.encryption_public_pem.clone()),
        signer.clone(),
    );
    let out = tokio::task::spawn_blocking(move || transfer::prepare(&dir, (&key.0, &key.1), &signing, chunk_size))
        .await
        .map_err(peer)??;
    let out = Arc::new(out);
    let m = out.manifest().clone();
    let mut mine = record_sent(store, principal, &out, &remote.base_url, client).await?;

    // The manifest, then the chunks the receiver lacks, until it lacks none.
    let open_url = link.url("/api/v1/submission/transfers");
    let body = out.signed.clone();
    let uploading = Instant::now();
    let mut theirs: Transfer = link.until(|h| h.post(&open_url).json(&body)).await?;
    let status_url = link.url(&format!("/api/v1/submission/transfers/{}", m.transfer_id));
    let mut refusals = std::collections::HashMap::<u64, u32>::new();
    while theirs.status == "receiving" && !theirs.missing.is_empty() {
        let mut pending: VecDeque<u64> = theirs.missing.iter().copied().collect();
        let mut ahead: Option<(u64, tokio::task::JoinHandle<std::io::Result<Vec<u8>>>)> = None;
        while let Some(i) = pending.pop_front() {
            let sealed = match ahead.take() {
                Some((j, h)) if j == i => h.await,
                _ => seal(&out, i).await,
            }
            .map_err(peer)?
            .map_err(|e| peer(format!("reading the package: {e}")))?;
            if let Some(&n) = pending.front() {
                ahead = Some((n, seal(&out, n)));
            }
            let url = link.url(&format!("/api/v1/submission/transfers/{}/chunks/{i}", m.transfer_id));
            let len = sealed.len() as u64;
            let req = link.http.put(&url).header("content-type", "application/octet-stream").body(sealed);
            match link.call::<transfers::ChunkReceipt>(req).await? {
                Answer::Done(_) => {
                    link.report.chunks_sent += 1;
                    link.report.bytes += len;
                }
                Answer::Refused(r)
                    if r.status == 422 && ["sm4_gcm_tag", "sm3", "length"].contains(&r.rule.as_str()) =>
                {
                    let n = refusals.entry(i).or_default();
                    *n += 1;
                    if *n > MAX_REFUSALS {
                        return Err(peer(format!("chunk {i} refused {MAX_REFUSALS} times: {}", r.detail)));
                    }
                    link.report.resent += 1;
                    pending.push_front(i);
                }
                Answer::Refused(r) => return Err(peer(format!("chunk {i}: {} {}", r.status, r.detail))),
                // Resume: ask what the receiver holds.
                Answer::Cut => break,
            }
        }
        theirs = link.until(|h| h.get(&status_url)).await?;
    }
    link.report.upload_seconds = uploading.elapsed().as_secs_f64();
    let complete_url = format!("{status_url}/complete");
    let theirs: Transfer = link.until(|h| h.post(&complete_url)).await?;

    // The acknowledgements, each checked and kept.
    let manifest_sm3 = m.sm3();
    for ack in &theirs.acks {
        check_ack(ack, &info.signing_public_pem, &manifest_sm3, &m.package_sm3)?;
    }
    for level in 1..=3u8 {
        let Some(ack) = theirs.acks.iter().find(|a| a.level == level) else { continue };
        mine.acks.push(ack.clone());
        mine.package_sm3 = ack.package_sm3.clone();
        mine.receipt_number = ack.receipt_number.clone().unwrap_or_default();
        mine.received_at = ack.received_at;
        mine.errors = ack.errors.map(|e| e as i64);
        mine.warnings = ack.warnings.map(|e| e as i64);
        mine.status = ["received", "queued", "validated"][usize::from(level - 1)].into();
        let action = ["ack-1", "ack-2", "ack-3"][usize::from(level - 1)];
        transfers::advance(store, principal, &mut mine, (action, "接收方回执"), client, None).await?;
    }
    link.report.seconds = started.elapsed().as_secs_f64();
    Ok((mine, link.report))
}

/// An acknowledgement the sender accepts: signed by the receiver's key, answering this
/// manifest, and (level 1 on) carrying the package's own SM3.
fn check_ack(ack: &Acknowledgement, signing_pem: &str, manifest_sm3: &str, package_sm3: &str) -> Result<()> {
    if !ack.verify(signing_pem) {
        return Err(peer(format!("level-{} acknowledgement is not signed by the receiver's key", ack.level)));
    }
    if ack.manifest_sm3 != manifest_sm3 || ack.package_sm3 != package_sm3 {
        return Err(peer(format!(
            "level-{} acknowledgement answers SM3 {} for the package sent as {package_sm3}",
            ack.level, ack.package_sm3
        )));
    }
    Ok(())
}

/// The sender's record: opened with the manifest it signed, in its own ledger.
async fn record_sent(
    store: &Store,
    principal: &Principal,
    out: &Outgoing,
    peer_url: &str,
    client: &ClientInfo,
) -> Result<Transfer> {
    let mut tx = store.begin().await?;
    let t = transfers::insert(&mut tx, principal, ("sent", "sending", peer_url), &out.signed, client).await?;
    tx.commit().await?;
    Ok(t)
}
