//! The sending side of a transfer, over HTTP to a receiver's `/api/v1/submission/…`: the
//! manifest, then the chunks the receiver is missing (the next one sealed while one is on the
//! wire), each refused chunk sent again, a cut connection resumed by asking the receiver what
//! it holds; then the acknowledgements, each checked against the receiver's key and the
//! manifest and kept as a step of the sender's own record.

use crate::error::{invalid, Result, SubmissionError};
use crate::transfer::{self, Acknowledgement, Outgoing};
use crate::transfers::{self, ReceiverInfo, Transfer, ENTITY};
use serde::Serialize;
use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use yaolian_access::{perm, ClientInfo, Principal};
use yaolian_identity::IdentityError;
use yaolian_ledger::sign::{KeyPair, Sealing};
use yaolian_store::Store;

/// The receiver: its base URL, the API token of the applicant's account there, and the
/// receiver's signing key the sender trusts.
#[derive(Clone)]
pub struct Remote {
    pub base_url: String,
    pub token: String,
    /// The receiver's signing key id (SM3 of its PEM, as the regulator publishes it). The
    /// acknowledgements and the encryption key must be signed by it. `None` trusts the key the
    /// receiver presents, which only a loopback address allows.
    pub pinned_key: Option<String>,
}

impl Remote {
    /// Refused when the link could be tampered with and no key is pinned.
    fn check(&self) -> Result<()> {
        let url = reqwest::Url::parse(&self.base_url).map_err(|e| invalid("to", "url", format!("not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("to", "url", "an http(s) URL"));
        }
        let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
        let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|a| a.is_loopback());
        if self.pinned_key.is_none() && !loopback {
            return Err(invalid(
                "receiver_key",
                "required",
                "name the receiver's signing key id (as the regulator publishes it) for a receiver that is not on this machine",
            ));
        }
        Ok(())
    }
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("base_url", &self.base_url)
            .field("token", &yaolian_core::REDACTED)
            .field("pinned_key", &self.pinned_key)
            .finish()
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
    code: String,
    rule: String,
    detail: String,
}

/// The largest answer a sender reads: a transfer's record with its missing chunks' indices
/// and three acknowledgements is far smaller.
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

/// An answer's JSON read up to [`MAX_ANSWER_BYTES`]; `None` when the connection failed on the
/// way, `Some(Err)` when the answer is too long or not the expected JSON.
async fn bounded<T: serde::de::DeserializeOwned>(mut r: reqwest::Response) -> Option<Result<T, String>> {
    let mut body = Vec::new();
    loop {
        match r.chunk().await {
            Ok(Some(part)) => {
                if body.len() + part.len() > MAX_ANSWER_BYTES {
                    return Some(Err(format!("longer than {MAX_ANSWER_BYTES} bytes")));
                }
                body.extend_from_slice(&part);
            }
            Ok(None) => break,
            Err(_) => return None,
        }
    }
    Some(serde_json::from_slice(&body).map_err(|e| e.to_string()))
}

async fn refusal(r: reqwest::Response) -> Refusal {
    let status = r.status().as_u16();
    let v: serde_json::Value = bounded(r).await.and_then(Result::ok).unwrap_or_default();
    let code = v["code"].as_str().unwrap_or_default().to_string();
    let rule = v["errors"][0]["rule"].as_str().unwrap_or_default().to_string();
    let detail = v["detail"].as_str().unwrap_or("no detail").to_string();
    Refusal { status, code, rule, detail }
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

impl<'a> Link<'a> {
    fn new(remote: &'a Remote) -> Result<Link<'a>> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(600))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(peer)?;
        Ok(Link { http, remote, report: SendReport::default(), failures: 0 })
    }

    /// The receiver's keys, the encryption key signed by the signing key, the signing key the
    /// one pinned.
    async fn receiver(&mut self) -> Result<ReceiverInfo> {
        let url = self.url("/api/v1/submission/receiver");
        let info: ReceiverInfo = self.until(|h| h.get(&url)).await?;
        if info.format != transfer::FORMAT {
            return Err(peer(format!("speaks {}, not {}", info.format, transfer::FORMAT)));
        }
        if let Some(pinned) = &self.remote.pinned_key {
            if info.signing_key_id() != *pinned {
                return Err(peer(format!("signs with key {}, not the pinned {pinned}", info.signing_key_id())));
            }
        }
        let signature = hex::decode(&info.encryption_key_signature).unwrap_or_default();
        if !matches!(
            yaolian_ledger::sign::verify(&info.signing_public_pem, &info.key_statement(), &signature),
            Ok(true)
        ) {
            return Err(peer("its encryption key is not signed by its signing key"));
        }
        Ok(info)
    }

    /// The chunks `missing`, the next sealed while one is on the wire; a refused chunk is sent
    /// again, a cut ends the round (the caller asks what the receiver holds).
    async fn upload(
        &mut self,
        out: &Arc<Outgoing>,
        missing: &[u64],
        refusals: &mut std::collections::HashMap<u64, u32>,
    ) -> Result<()> {
        let id = out.manifest().transfer_id.clone();
        let mut pending: VecDeque<u64> = missing.iter().copied().collect();
        let mut ahead: Option<(u64, tokio::task::JoinHandle<std::io::Result<Vec<u8>>>)> = None;
        while let Some(i) = pending.pop_front() {
            let sealed = match ahead.take() {
                Some((j, h)) if j == i => h.await,
                _ => seal(out, i).await,
            }
            .map_err(peer)?
            .map_err(|e| peer(format!("reading the package: {e}")))?;
            if let Some(&n) = pending.front() {
                ahead = Some((n, seal(out, n)));
            }
            let url = self.url(&format!("/api/v1/submission/transfers/{id}/chunks/{i}"));
            let len = sealed.len() as u64;
            let req = self.http.put(&url).header("content-type", "application/octet-stream").body(sealed);
            match self.call::<transfers::ChunkReceipt>(req).await? {
                Answer::Done(_) => {
                    self.report.chunks_sent += 1;
                    self.report.bytes += len;
                }
                Answer::Refused(r)
                    if r.status == 422 && ["sm4_gcm_tag", "sm3", "length"].contains(&r.rule.as_str()) =>
                {
                    let n = refusals.entry(i).or_default();
                    *n += 1;
                    if *n > MAX_REFUSALS {
                        return Err(peer(format!("chunk {i} refused {MAX_REFUSALS} times: {}", r.detail)));
                    }
                    self.report.resent += 1;
                    pending.push_front(i);
                }
                // The transfer moved on (completed by another call, cancelled): ask its state.
                Answer::Refused(r) if r.status == 409 => break,
                Answer::Refused(r) => return Err(peer(format!("chunk {i}: {} {}", r.status, r.detail))),
                Answer::Cut => break,
            }
        }
        Ok(())
    }

    /// Asks the receiver to complete until it answers the transfer validated: while another
    /// call completes it (busy) or the connection is cut, it waits and asks again.
    async fn acknowledged(&mut self, url: &str) -> Result<Transfer> {
        for poll in 0..MAX_POLLS {
            match self.call::<Transfer>(self.http.post(url)).await? {
                Answer::Done(t) if t.status == "validated" => return Ok(t),
                Answer::Done(_) | Answer::Cut => {}
                Answer::Refused(r) if r.status == 409 && r.code == "busy" => {}
                Answer::Refused(r) => return Err(peer(format!("{} {}", r.status, r.detail))),
            }
            tokio::time::sleep(Duration::from_millis(200 * u64::from(poll.min(10) + 1))).await;
        }
        Err(peer(format!("no acknowledgements after asking {MAX_POLLS} times")))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.remote.base_url.trim_end_matches('/'))
    }

    async fn call<T: serde::de::DeserializeOwned>(&mut self, req: reqwest::RequestBuilder) -> Result<Answer<T>> {
        match req.bearer_auth(&self.remote.token).send().await {
            Ok(r) if r.status().is_success() => match bounded(r).await {
                Some(Ok(v)) => {
                    self.failures = 0;
                    Ok(Answer::Done(v))
                }
                Some(Err(e)) => Err(peer(format!("an answer that is not the protocol's: {e}"))),
                None => self.cut().await,
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

/// Rounds of "what do you still lack?" a send asks before it gives up.
const MAX_ROUNDS: u32 = 50;
/// Times a send asks for the acknowledgements while the receiver is still completing.
const MAX_POLLS: u32 = 600;

/// The sender's keys: the SM2 key that signs the manifest, and the site's sealing key under
/// which the transfer's SM4 key is kept for resuming after a restart.
#[derive(Clone, Copy)]
pub struct SenderKeys<'a> {
    pub signer: &'a KeyPair,
    pub sealing: &'a Sealing,
}

/// Sends the sequence folder `sequence_dir` to `remote` as `principal` (`submission.send`),
/// signing the manifest with the sender's key; returns the sender's record with the receiver's
/// three acknowledgements and what the send took. A send of the same sequence to the same
/// receiver that stopped (a cut, a crash, a restart) is resumed: the same transfer, the
/// chunks the receiver lacks.
pub async fn send(
    store: &Store,
    principal: &Principal,
    sequence_dir: &Path,
    remote: &Remote,
    keys: SenderKeys<'_>,
    client: &ClientInfo,
) -> Result<(Transfer, SendReport)> {
    transfers::require(store, principal, perm::SUBMISSION_SEND, ENTITY, client).await?;
    remote.check()?;
    let started = Instant::now();
    let mut link = Link::new(remote)?;
    let info = link.receiver().await?;
    let (application, sequence) = transfer::names(sequence_dir)?;
    let mut kept = transfers::sending(store, principal.org_id(), (&application, &sequence)).await?;
    if kept.as_ref().is_some_and(|k| k.own_key.is_empty() && k.transfer.acks.is_empty()) {
        // A send begun before its key was kept cannot be resumed: it is cancelled at both ends
        // and the sequence sent anew.
        cancel(store, principal, sequence_dir, remote, client).await?;
        kept = None;
    }
    let (out, mut mine) = match kept {
        Some(kept) => {
            if kept.peer != remote.base_url {
                return Err(IdentityError::Conflict(format!(
                    "{application} {sequence} is being sent to {}; cancel that transfer first",
                    kept.peer
                ))
                .into());
            }
            let key: [u8; 16] =
                keys.sealing.open(&kept.own_key).ok().and_then(|k| k.try_into().ok()).ok_or_else(|| {
                    invalid("transfer", "own_key", "the kept key does not open with this site's sealing key")
                })?;
            let (dir, signed) = (sequence_dir.to_path_buf(), kept.signed.clone());
            let out = tokio::task::spawn_blocking(move || transfer::Outgoing::resume(&dir, signed, key))
                .await
                .map_err(peer)??;
            (out, kept.transfer)
        }
        None => {
            let chunk_size = info.chunk_size.clamp(transfer::MIN_CHUNK_SIZE, transfer::MAX_CHUNK_SIZE);
            let (dir, key, signing) = (
                sequence_dir.to_path_buf(),
                (info.encryption_key_id.clone(), info.encryption_public_pem.clone()),
                keys.signer.clone(),
            );
            let out =
                tokio::task::spawn_blocking(move || transfer::prepare(&dir, (&key.0, &key.1), &signing, chunk_size))
                    .await
                    .map_err(peer)??;
            let sealed_key = keys.sealing.seal(out.key());
            let mine =
                transfers::record_sent(store, principal, &out.signed, (&remote.base_url, &sealed_key), client).await?;
            (out, mine)
        }
    };
    let out = Arc::new(out);
    let m = out.manifest().clone();

    // The manifest, then the chunks the receiver lacks, until it lacks none.
    let uploading = Instant::now();
    let open_url = link.url("/api/v1/submission/transfers");
    let body = out.signed.clone();
    let mut theirs: Transfer = loop {
        match link.call(link.http.post(&open_url).json(&body)).await? {
            Answer::Done(t) => break t,
            Answer::Cut => continue,
            // Refused for good (a sequence received before, a manifest it does not take): a
            // record not yet acknowledged ends so. Any other refusal (an expired token, a
            // server's failure) leaves it to be resumed.
            Answer::Refused(r)
                if mine.acks.is_empty() && ((r.status == 409 && r.code == "sequence_used") || r.status == 422) =>
            {
                mine.status = "refused".into();
                transfers::advance(store, principal, &mut mine, ("refused", &r.detail), client, None).await?;
                return Err(peer(format!("{} {}", r.status, r.detail)));
            }
            Answer::Refused(r) => return Err(peer(format!("{} {}", r.status, r.detail))),
        }
    };
    let status_url = link.url(&format!("/api/v1/submission/transfers/{}", m.transfer_id));
    let mut refusals = std::collections::HashMap::<u64, u32>::new();
    let mut rounds = 0;
    while theirs.status == "receiving" && !theirs.missing.is_empty() {
        rounds += 1;
        if rounds > MAX_ROUNDS {
            return Err(peer(format!("still missing {} chunks after {MAX_ROUNDS} rounds", theirs.missing.len())));
        }
        if theirs.missing.len() as u64 > m.chunk_count() || theirs.missing.iter().any(|&i| i >= m.chunk_count()) {
            return Err(peer(format!("asks for chunks the manifest does not have (it has {})", m.chunk_count())));
        }
        link.upload(&out, &theirs.missing, &mut refusals).await?;
        theirs = link.until(|h| h.get(&status_url)).await?;
    }
    if theirs.status == "cancelled" {
        // Cancelled at the receiver: the record ends so, and the sequence may be sent anew.
        mine.status = "cancelled".into();
        transfers::advance(store, principal, &mut mine, ("cancel", "接收方已撤回"), client, None).await?;
        return Err(peer(format!("transfer {} was cancelled", m.transfer_id)));
    }
    link.report.upload_seconds = uploading.elapsed().as_secs_f64();
    let theirs = link.acknowledged(&format!("{status_url}/complete")).await?;

    // The acknowledgements, levels 1 to 3, each checked and kept.
    let manifest_sm3 = m.sm3();
    for level in 1..=3u8 {
        let mut of_level = theirs.acks.iter().filter(|a| a.level == level);
        let (Some(ack), None) = (of_level.next(), of_level.next()) else {
            return Err(peer(format!("answered without exactly one level-{level} acknowledgement")));
        };
        check_ack(ack, &info.signing_public_pem, &manifest_sm3, &m.package_sm3)?;
        if mine.acks.iter().any(|a| a.level == level) {
            continue;
        }
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

/// Cancels the sending of the sequence at `sequence_dir` (`submission.send`): the receiver
/// drops what it holds, and the sender's record is closed, so the sequence may be sent anew.
pub async fn cancel(
    store: &Store,
    principal: &Principal,
    sequence_dir: &Path,
    remote: &Remote,
    client: &ClientInfo,
) -> Result<Transfer> {
    transfers::require(store, principal, perm::SUBMISSION_SEND, ENTITY, client).await?;
    remote.check()?;
    let (application, sequence) = transfer::names(sequence_dir)?;
    let kept = transfers::sending(store, principal.org_id(), (&application, &sequence))
        .await?
        .ok_or(IdentityError::NotFound("transfer"))?;
    let mut link = Link::new(remote)?;
    let url = link.url(&format!("/api/v1/submission/transfers/{}/cancel", kept.transfer.transfer_id));
    let theirs: Result<Transfer> = link.until(|h| h.post(&url)).await;
    match theirs {
        Ok(t) if t.status == "cancelled" => {}
        Ok(t) => return Err(peer(format!("the transfer is {} there", t.status))),
        // Never opened there: nothing to drop.
        Err(SubmissionError::Peer(m)) if m.starts_with("404") => {}
        Err(e) => return Err(e),
    }
    let mut mine = kept.transfer;
    mine.status = "cancelled".into();
    transfers::advance(store, principal, &mut mine, ("cancel", "申请人撤回"), client, None).await?;
    Ok(mine)
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
