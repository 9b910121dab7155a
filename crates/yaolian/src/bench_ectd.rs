//! `yaolian bench ectd`: validation of a large eCTD sequence (5,000 PDF leaves, 2 GB by default)
//! against a baseline measured in the same run — reading every file of the package and taking
//! its MD5, the least any validator must do; then the same sequence's transfer on loopback
//! (sealed chunks, signed manifest, acknowledgements, both sides' ledgers) against a plain TCP
//! copy of the same bytes into a file.

use crate::bench::Local;
use anyhow::{anyhow, Result};
use std::path::{Path, PathBuf};
use std::time::Instant;
use yaolian_identity::fixtures;
use yaolian_ledger::sign::{KeyPair, Sealing};
use yaolian_store::Store;
use yaolian_submission::transfers::{self, Remote};
use yaolian_submission::{ctd, rules::RuleSet, samples, validate};
use yaolian_submission::{package, transfer};
use yaolian_web::{AppState, WebConfig};

/// Reads every file under `dir` and takes its MD5: the baseline.
fn read_and_hash(dir: &Path) -> Result<(u64, usize)> {
    let files = files_in_order(dir)?;
    let mut bytes = 0u64;
    for f in &files {
        bytes += std::fs::metadata(f)?.len();
        std::hint::black_box(validate::md5_file(f)?);
    }
    Ok((bytes, files.len()))
}

pub async fn run(files: usize, megabytes: u64) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let app = tmp.path().join("x202612345");
    let nodes = ctd::nodes().iter().filter(|n| n.leaves && n.module >= 2).count();
    println!(
        "eCTD validation: {files} PDF leaves of about {} KB ({megabytes} MB) over {nodes} nodes",
        megabytes * 1024 / files.max(1) as u64
    );
    let started = Instant::now();
    let spec = samples::large_sequence(files, megabytes * 1024 * 1024);
    let written = package::write(&app, &spec).map_err(|e| anyhow!("{e}"))?;
    println!(
        "  built in {:.1} s: {} files, {:.2} GB",
        started.elapsed().as_secs_f64(),
        written.files.len(),
        written.bytes as f64 / 1e9
    );
    let set = RuleSet::shipped();
    for round in 1..=2 {
        let t = Instant::now();
        let (bytes, n) = read_and_hash(&app)?;
        let base = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let report = validate::validate(&app, &set).map_err(|e| anyhow!("{e}"))?;
        let took = t.elapsed().as_secs_f64();
        let mb = bytes as f64 / 1e6;
        println!(
            "  round {round}: baseline read + MD5 of {n} files {base:.2} s ({:.0} MB/s); validation {took:.2} s ({:.0} MB/s, {:.1}× the baseline); {} errors, {} warnings",
            mb / base,
            mb / took,
            took / base,
            report.errors,
            report.warnings
        );
        if !report.passes() {
            return Err(anyhow!("the generated package does not validate: {:?}", report.findings.first()));
        }
    }
    transfer(&app.join("0000"), tmp.path()).await
}

/// The files under `dir` in the transfer's order, as paths.
fn files_in_order(dir: &Path) -> Result<Vec<PathBuf>> {
    Ok(transfer::files_under(dir)?.into_iter().map(|(rel, _)| dir.join(rel)).collect())
}

/// The baseline: every file read in order and written to a loopback socket, whose other end
/// writes it into one file and syncs it.
async fn plain_copy(dir: &Path, into: &Path) -> Result<(u64, f64)> {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let target = into.to_path_buf();
    let receiving = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await?;
        let mut file = tokio::fs::File::create(&target).await?;
        let n = tokio::io::copy(&mut sock, &mut file).await?;
        file.sync_all().await?;
        Ok::<u64, std::io::Error>(n)
    });
    let files = files_in_order(dir)?;
    let t = Instant::now();
    let mut sock = tokio::net::TcpStream::connect(addr).await?;
    for f in files {
        let mut file = tokio::fs::File::open(f).await?;
        tokio::io::copy(&mut file, &mut sock).await?;
    }
    sock.shutdown().await?;
    let n = receiving.await??;
    Ok((n, t.elapsed().as_secs_f64()))
}

/// A site's database in `dir` with the fixture organizations and a company account.
async fn site(dir: &Path, user: &str) -> Result<(Store, i64)> {
    let store = Store::open_data_dir(dir, &Default::default()).await?;
    store.migrate().await?;
    let w = fixtures::world(&store).await?;
    let sys = yaolian_access::run_as_system::principal();
    let id = fixtures::user(&store, &sys, w.company_a, user, true, &["company_master"]).await?;
    Ok((store, id))
}

/// The sequence sent to a receiver on loopback, against the plain copy.
async fn transfer(sequence: &Path, tmp: &Path) -> Result<()> {
    let (sending, uid) = site(&tmp.join("company"), "kc.sender").await?;
    let principal = yaolian_identity::auth::principal_for_user(&sending, uid).await?;
    println!("eCTD transfer on loopback (SM4-GCM chunks of {} MiB, SQLite at both ends):", transfer::CHUNK_SIZE >> 20);
    for round in 1..=2 {
        let copy = tmp.join(format!("plain-{round}.bin"));
        let (bytes, base_s) = plain_copy(sequence, &copy).await?;
        std::fs::remove_file(&copy)?;
        // A fresh receiving site each round: a sequence number is received once.
        let here = tmp.join(format!("regulator-{round}"));
        let (receiving, _) = site(&here, "kc.sender").await?;
        let key = KeyPair::generate();
        let key_id = yaolian_store::ledger::key_id(&key.public_pem());
        let config = WebConfig { submission_dir: here.join("submission"), ..WebConfig::default() };
        let state = AppState::with_signer(receiving, Default::default(), config, key_id, key, Sealing(rand_key()));
        let local = Local::start(state).await?;
        let base = format!("http://{}", local.addr);
        let remote = Remote { base_url: base.clone(), token: api_token(&base, "kc.sender").await?, pinned_key: None };
        let (signer, sealing) = (KeyPair::generate(), Sealing(rand_key()));
        let keys = transfers::SenderKeys { signer: &signer, sealing: &sealing };
        let sent = transfers::send(&sending, &principal, sequence, &remote, keys, &Default::default()).await;
        local.stop().await;
        let (mine, took) = sent.map_err(|e| anyhow!("{e}"))?;
        let mb = bytes as f64 / 1e6;
        println!(
            "  round {round}: plain copy {base_s:.2} s ({:.0} MB/s); transfer of the chunks {:.2} s ({:.0} MB/s, {:.1}× the copy); \
             with rebuilding, validation and 3 acknowledgements {:.2} s; {} errors at the receiver",
            mb / base_s,
            took.upload_seconds,
            mb / took.upload_seconds,
            took.upload_seconds / base_s,
            took.seconds,
            mine.errors.unwrap_or(-1)
        );
        if mine.acks.len() != 3 || mine.errors != Some(0) {
            return Err(anyhow!("the transfer was not acknowledged at three levels without errors"));
        }
    }
    Ok(())
}

fn rand_key() -> [u8; 16] {
    let mut k = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut k);
    k
}

/// An API token for `user` at `base` (login, then a token with the submission scopes).
async fn api_token(base: &str, user: &str) -> Result<String> {
    let c = reqwest::Client::builder().cookie_store(true).build()?;
    let r: serde_json::Value = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": user, "password": fixtures::PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    let csrf = r["csrf_token"].as_str().ok_or_else(|| anyhow!("login refused: {r}"))?.to_string();
    let r: serde_json::Value = c
        .post(format!("{base}/api/v1/tokens"))
        .header("x-csrf-token", csrf)
        .json(&serde_json::json!({"name": "bench", "scopes": ["submission.send", "submission.read"], "valid_days": 1}))
        .send()
        .await?
        .json()
        .await?;
    Ok(r["secret"].as_str().ok_or_else(|| anyhow!("no token: {r}"))?.to_string())
}
