//! The eCTD transfer end to end over real sockets: a company's site sends a sequence to the
//! regulator's site through a proxy that cuts the connection twice and flips one byte in a
//! chunk on the way. The send resumes, the flipped chunk is refused by its GCM tag and sent
//! again, and the receiver's level-1 acknowledgement carries the SM3 of the package the sender
//! hashed; both sides hold each step in their ledgers, every row equal to its ledgered image.
//! The acceptance's package is 1 GB (on PostgreSQL, the production backend); SQLite receives a
//! 96 MB one through the same faults.

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::{json, Value};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use yaolian_access::ClientInfo;
use yaolian_identity::{auth, fixtures, IdentityConfig};
use yaolian_ledger::sign::{KeyPair, Sealing};
use yaolian_store::testing::{each_backend, TestDb};
use yaolian_submission::transfers::{self, Remote};
use yaolian_submission::{package, samples, transfer};
use yaolian_web::{AppState, WebConfig};

/// A TCP proxy that counts the bytes going to the server over all connections, cuts the
/// connection that carries byte `cuts[k]`, and flips the byte at `flip`.
struct Proxy {
    addr: std::net::SocketAddr,
    cuts_done: Arc<AtomicU64>,
    flipped: Arc<AtomicU64>,
}

impl Proxy {
    async fn start(upstream: std::net::SocketAddr, cuts: Vec<u64>, flip: u64) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let sent = Arc::new(AtomicU64::new(0));
        let cuts = Arc::new(Mutex::new(cuts));
        let (cuts_done, flipped) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let (cd, fl) = (cuts_done.clone(), flipped.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = TcpStream::connect(upstream).await.unwrap();
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let back = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut sr, &mut cw).await;
                });
                let (sent, cuts, cd, fl) = (sent.clone(), cuts.clone(), cd.clone(), fl.clone());
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = match cr.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        let start = sent.fetch_add(n as u64, Ordering::SeqCst);
                        let end = start + n as u64;
                        if (start..end).contains(&flip) {
                            buf[(flip - start) as usize] ^= 0x20;
                            fl.fetch_add(1, Ordering::SeqCst);
                        }
                        let cut = {
                            let mut c = cuts.lock().unwrap();
                            match c.first().copied() {
                                Some(at) if at < end => {
                                    c.remove(0);
                                    Some(at.saturating_sub(start) as usize)
                                }
                                _ => None,
                            }
                        };
                        if let Some(keep) = cut {
                            let _ = sw.write_all(&buf[..keep]).await;
                            cd.fetch_add(1, Ordering::SeqCst);
                            back.abort();
                            break;
                        }
                        if sw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    // Dropping both halves closes the connection on both sides.
                });
            }
        });
        Proxy { addr, cuts_done, flipped }
    }
}

/// The regulator's site: a server with its signing key and a folder for packages; its
/// address, its stop switch and its signing key's id (what a sender pins).
async fn receiver(
    store: yaolian_store::Store,
    dir: &Path,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>, String) {
    let key = KeyPair::generate();
    let id = yaolian_store::ledger::key_id(&key.public_pem());
    let config = WebConfig { submission_dir: dir.to_path_buf(), ..WebConfig::default() };
    let state = AppState::with_signer(store, IdentityConfig::default(), config, id.clone(), key, Sealing([4; 16]));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(yaolian_web::serve(listener, state, async move {
        let _ = rx.await;
    }));
    (addr, tx, id)
}

/// The company's own site (SQLite) and its account that sends.
async fn sender_site() -> (TestDb, yaolian_access::Principal) {
    let db = TestDb::sqlite().await;
    let w = fixtures::world(&db.store).await.unwrap();
    let sys = yaolian_access::run_as_system::principal();
    let uid = fixtures::user(&db.store, &sys, w.company_a, "zhang.reg", false, &["company_master"]).await.unwrap();
    let sender = auth::principal_for_user(&db.store, uid).await.unwrap();
    (db, sender)
}

/// A client logged in as `user` at `base`, with its CSRF token.
async fn login_at(base: &str, user: &str) -> (reqwest::Client, String) {
    let c = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let r = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": common::PW}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let csrf = r.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
    (c, csrf)
}

/// An API token of the company's account at the regulator's site.
async fn token(base: &str) -> String {
    token_as(base, "a.master").await
}

/// An API token of `user`'s account at `base`.
async fn token_as(base: &str, user: &str) -> String {
    let (c, csrf) = login_at(base, user).await;
    let r = c
        .post(format!("{base}/api/v1/tokens"))
        .header("x-csrf-token", csrf)
        .json(&json!({"name": "申报发送", "scopes": ["submission.send", "submission.read"], "valid_days": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["secret"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_goes_through_two_cuts_and_a_flipped_byte() {
    each_backend(|store| async move {
        let pg = store.backend() == yaolian_store::Backend::Postgres;
        // 1 GB where production runs; 96 MB on SQLite through the same faults.
        let (files, bytes) = if pg { (64, 1024 * 1024 * 1024) } else { (12, 96 * 1024 * 1024) };
        let tmp = tempfile::tempdir().unwrap();
        let app = tmp.path().join("x202612345");
        let built = package::write(&app, &samples::large_sequence(files, bytes)).unwrap();
        assert!(built.bytes >= bytes);

        // The regulator's site, with the company's account on it.
        common::seed(&store).await;
        let (addr, stop, receiver_key) = receiver(store.clone(), &tmp.path().join("regulator")).await;
        let base = format!("http://{addr}");
        let secret = token(&base).await;

        // The company's own site and its sender.
        let (sender_db, sender) = sender_site().await;
        let sender_store = sender_db.store.clone();
        let signing = KeyPair::generate();
        let sealing = Sealing([9; 16]);
        let keys = || transfers::SenderKeys { signer: &signing, sealing: &sealing };

        // Cut twice (a third and two thirds of the way), flip a byte in between.
        let total = built.bytes;
        let proxy = Proxy::start(addr, vec![total / 3, total * 2 / 3], total / 2 + 12_345).await;
        let remote = Remote {
            base_url: format!("http://{}", proxy.addr),
            token: secret.clone(),
            pinned_key: Some(receiver_key.clone()),
        };
        let client = ClientInfo::default();
        let (mine, took) =
            transfers::send(&sender_store, &sender, &app.join("0000"), &remote, keys(), &client).await.unwrap();
        assert_eq!(proxy.cuts_done.load(Ordering::SeqCst), 2, "both cuts happened");
        assert_eq!(proxy.flipped.load(Ordering::SeqCst), 1, "one byte was flipped");
        assert!(took.reconnects >= 2, "resumed after each cut: {took:?}");
        assert!(took.resent >= 1, "the flipped chunk was refused and sent again: {took:?}");
        eprintln!(
            "{}: {:.0} MB in {:.1} s ({:.0} MB/s), {took:?}",
            if pg { "PostgreSQL" } else { "SQLite" },
            total as f64 / 1e6,
            took.seconds,
            total as f64 / 1e6 / took.seconds
        );

        // The receiver's level-1 hash is the sender's, and the files are the sender's files.
        let manifest_package_sm3 = {
            let sent: Vec<u8> = std::fs::read(app.join("0000/index.xml")).unwrap();
            let received =
                tmp.path().join(format!("regulator/received/{}/x202612345/0000/index.xml", w_company(&store).await));
            assert_eq!(std::fs::read(received).unwrap(), sent);
            mine.acks[0].package_sm3.clone()
        };
        assert_eq!(mine.status, "validated");
        assert_eq!(mine.acks.iter().map(|a| a.level).collect::<Vec<_>>(), vec![1, 2, 3]);
        let theirs: Value = reqwest::Client::new()
            .get(format!("{base}/api/v1/submission/transfers/{}", mine.transfer_id))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(theirs["package_sm3"], manifest_package_sm3);
        assert_eq!(theirs["status"], "validated");
        assert_eq!(theirs["errors"], 0, "the package validates at the receiver");
        assert_eq!(theirs["chunks_received"], theirs["chunk_count"]);
        assert!(theirs["receipt_number"].as_str().unwrap().starts_with("DZ"));
        // The whole package, hashed here apart from the transfer's code: every file of the
        // sequence in the order of their paths.
        assert_eq!(manifest_package_sm3, sm3_of_folder(&app.join("0000")));

        // Each side's steps are in its ledger, and each row equals its ledgered image.
        for (s, side, steps) in [(&store, "received", 4), (&sender_store, "sent", 4)] {
            let id: i64 = sqlx::query_scalar("SELECT id FROM submission_transfers WHERE side = $1")
                .bind(side)
                .fetch_one(s.pool())
                .await
                .unwrap();
            let history = yaolian_store::versions::history(s.pool(), transfers::ENTITY, &id.to_string()).await.unwrap();
            assert_eq!(history.len(), steps, "{side}: {:?}", history.iter().map(|v| &v.action).collect::<Vec<_>>());
            assert_eq!(transfers::drifts(s).await.unwrap(), vec![]);
        }

        // The same sequence again is refused: sequence numbers are never reused.
        let direct = Remote { base_url: base.clone(), token: secret.clone(), pinned_key: Some(receiver_key) };
        let again = transfers::send(&sender_store, &sender, &app.join("0000"), &direct, keys(), &client).await;
        assert!(again.unwrap_err().to_string().contains("already received"));
        let refused: String =
            sqlx::query_scalar("SELECT status FROM submission_transfers WHERE side = 'sent' ORDER BY id DESC LIMIT 1")
                .fetch_one(sender_store.pool())
                .await
                .unwrap();
        assert_eq!(refused, "refused", "the sender's record of the refused send ends so");
        let _ = stop.send(());
        sender_db.finish().await;
    })
    .await;
}

fn sm3_of_folder(dir: &Path) -> String {
    let mut paths = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                paths.push(e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    paths.sort();
    let mut whole = <sm3::Sm3 as sm3::Digest>::new();
    for p in paths {
        sm3::Digest::update(&mut whole, std::fs::read(dir.join(p)).unwrap());
    }
    hex::encode(sm3::Digest::finalize(whole))
}

async fn w_company(store: &yaolian_store::Store) -> i64 {
    sqlx::query_scalar("SELECT org_id FROM users WHERE username = 'a.master'").fetch_one(store.pool()).await.unwrap()
}

/// Refusals at the receiver, over HTTP: a manifest changed after signing, a chunk out of
/// range, a chunk for a transfer one does not own, completion with chunks missing.
#[tokio::test]
async fn the_receiver_refuses_what_does_not_hold() {
    each_backend(|store| async move {
        let tmp = tempfile::tempdir().unwrap();
        let app = tmp.path().join("x202612345");
        for s in samples::application() {
            package::write(&app, &s).unwrap();
        }
        common::seed(&store).await;
        let (addr, stop, _) = receiver(store.clone(), &tmp.path().join("regulator")).await;
        let base = format!("http://{addr}");
        let secret = token(&base).await;
        let c = reqwest::Client::new();
        let info: transfers::ReceiverInfo = c
            .get(format!("{base}/api/v1/submission/receiver"))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let signer = KeyPair::generate();
        let out = transfer::prepare(
            &app.join("0000"),
            (&info.encryption_key_id, &info.encryption_public_pem),
            &signer,
            64 * 1024,
        )
        .unwrap();
        let post =
            |body: Value| c.post(format!("{base}/api/v1/submission/transfers")).bearer_auth(&secret).json(&body).send();
        // Changed after signing: the signature names it.
        let mut forged = serde_json::to_value(&out.signed).unwrap();
        forged["manifest"]["application"] = json!("x202699999");
        let r = post(forged).await.unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["errors"][0]["rule"], "sm2");
        // Opened; completing with chunks missing is a conflict that counts them.
        let r = post(serde_json::to_value(&out.signed).unwrap()).await.unwrap();
        assert_eq!(r.status(), 201);
        let id = &out.manifest().transfer_id;
        let r = c
            .post(format!("{base}/api/v1/submission/transfers/{id}/complete"))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 409);
        assert!(r.json::<Value>().await.unwrap()["detail"].as_str().unwrap().contains("chunks are missing"));
        // A chunk beyond the last, and one sealed for another index.
        let n = out.manifest().chunk_count();
        let put = |i: u64, body: Vec<u8>| {
            c.put(format!("{base}/api/v1/submission/transfers/{id}/chunks/{i}"))
                .bearer_auth(&secret)
                .header("content-type", "application/octet-stream")
                .body(body)
                .send()
        };
        let r = put(n, out.sealed_chunk(0).unwrap()).await.unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["errors"][0]["rule"], "length");
        let r = put(0, out.sealed_chunk(1.min(n - 1)).unwrap()).await.unwrap();
        if n > 1 {
            assert_eq!(r.status(), 422);
            assert_eq!(r.json::<Value>().await.unwrap()["errors"][0]["rule"], "sm4_gcm_tag");
        }
        // Another company cannot see or feed it.
        let (other, _) = login_at(&base, "b.master").await;
        let r = other.get(format!("{base}/api/v1/submission/transfers/{id}")).send().await.unwrap();
        assert_eq!(r.status(), 404);
        // Every chunk, then completion: three acknowledgements.
        for i in 0..n {
            let r = put(i, out.sealed_chunk(i).unwrap()).await.unwrap();
            assert_eq!(r.status(), 200, "chunk {i}");
        }
        // Two completions at once: one holds the transfer, the other is told it is busy or
        // answered the finished transfer; either way one package is filed, acknowledged once
        // at each level.
        let complete =
            || c.post(format!("{base}/api/v1/submission/transfers/{id}/complete")).bearer_auth(&secret).send();
        let (a, b) = tokio::join!(complete(), complete());
        let mut finished = None;
        for r in [a.unwrap(), b.unwrap()] {
            match r.status().as_u16() {
                200 => finished = Some(r.json::<transfers::Transfer>().await.unwrap()),
                409 => assert_eq!(r.json::<Value>().await.unwrap()["code"], "busy"),
                other => panic!("completion answered {other}"),
            }
        }
        let t = match finished {
            Some(t) => t,
            None => complete().await.unwrap().json::<transfers::Transfer>().await.unwrap(),
        };
        assert_eq!(t.status, "validated");
        assert_eq!(t.acks.iter().map(|a| a.level).collect::<Vec<_>>(), vec![1, 2, 3]);
        let again = complete().await.unwrap().json::<transfers::Transfer>().await.unwrap();
        assert_eq!(again.acks, t.acks, "completion again answers the same acknowledgements");
        assert_eq!(transfers::drifts(&store).await.unwrap(), vec![]);
        assert!(t.acks.iter().all(|a| a.verify(&info.signing_public_pem)));
        assert_eq!(t.acks[0].package_sm3, out.manifest().package_sm3);
        // The validation report is there for the company to read.
        let r =
            c.get(format!("{base}/api/v1/submission/transfers/{id}/report")).bearer_auth(&secret).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<Value>().await.unwrap()["errors"], 0);
        // The same sequence number again, under a new transfer: never reused.
        let again = transfer::prepare(
            &app.join("0000"),
            (&info.encryption_key_id, &info.encryption_public_pem),
            &signer,
            64 * 1024,
        )
        .unwrap();
        let r = post(serde_json::to_value(&again.signed).unwrap()).await.unwrap();
        assert_eq!(r.status(), 409);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "sequence_used");
        // Two manifests for the next sequence at once: one opens, the other is refused.
        let next = |_| {
            transfer::prepare(
                &app.join("0001"),
                (&info.encryption_key_id, &info.encryption_public_pem),
                &signer,
                64 * 1024,
            )
            .unwrap()
        };
        let (one, two) = (next(1), next(2));
        let (a, b) = tokio::join!(
            post(serde_json::to_value(&one.signed).unwrap()),
            post(serde_json::to_value(&two.signed).unwrap())
        );
        let mut codes = vec![a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
        codes.sort();
        assert_eq!(codes, vec![201, 409], "a sequence opens once");
        // The company cancels the one that opened; the sequence number is free again.
        for t in [&one, &two] {
            let tid = &t.manifest().transfer_id;
            let r = c
                .post(format!("{base}/api/v1/submission/transfers/{tid}/cancel"))
                .bearer_auth(&secret)
                .send()
                .await
                .unwrap();
            if r.status() == 200 {
                assert_eq!(r.json::<Value>().await.unwrap()["status"], "cancelled");
            } else {
                assert_eq!(r.status(), 404, "the refused one was never opened");
            }
        }
        let three = next(3);
        let r = post(serde_json::to_value(&three.signed).unwrap()).await.unwrap();
        assert_eq!(r.status(), 201, "after a cancel the sequence may be sent again");
        // Another company's manifest naming this application number is refused.
        let theirs = token_as(&base, "b.master").await;
        let r = c
            .post(format!("{base}/api/v1/submission/transfers"))
            .bearer_auth(&theirs)
            .json(&serde_json::to_value(&next(4).signed).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["errors"][0]["rule"], "applicant");
        // A manifest whose chunks match but whose file SM3 does not: every chunk is taken, the
        // package does not rebuild to the manifest, and the transfer is refused for good — the
        // sequence number stays free for a manifest that holds.
        let mut lying = next(5);
        lying.signed.manifest.files[0].sm3 = "0".repeat(64);
        lying.signed.signature = hex::encode(signer.sign(&lying.signed.manifest.canonical()));
        let lid = lying.manifest().transfer_id.clone();
        let r = c
            .post(format!("{base}/api/v1/submission/transfers/{id}/cancel", id = three.manifest().transfer_id))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let r = post(serde_json::to_value(&lying.signed).unwrap()).await.unwrap();
        assert_eq!(r.status(), 201, "{:?}", r.text().await);
        for i in 0..lying.manifest().chunk_count() {
            let r = c
                .put(format!("{base}/api/v1/submission/transfers/{lid}/chunks/{i}"))
                .bearer_auth(&secret)
                .header("content-type", "application/octet-stream")
                .body(lying.sealed_chunk(i).unwrap())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "chunk {i}");
        }
        let r = c
            .post(format!("{base}/api/v1/submission/transfers/{lid}/complete"))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["errors"][0]["rule"], "sm3");
        let t: transfers::Transfer = c
            .get(format!("{base}/api/v1/submission/transfers/{lid}"))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(t.status, "refused");
        let r = post(serde_json::to_value(&next(6).signed).unwrap()).await.unwrap();
        assert_eq!(r.status(), 201, "a refused transfer frees its sequence");
        assert_eq!(transfers::drifts(&store).await.unwrap(), vec![]);
        let _ = stop.send(());
    })
    .await;
}

/// Sends `dir` and drops the send (as a crash or restart would) once the receiver holds
/// `after` chunks of it.
async fn send_until_stopped(
    (sender_store, receiver_store): (&yaolian_store::Store, &yaolian_store::Store),
    sender: &yaolian_access::Principal,
    dir: &Path,
    remote: &Remote,
    keys: transfers::SenderKeys<'_>,
    after: i64,
) {
    let watch = async {
        loop {
            let held: Option<i64> = sqlx::query_scalar(
                "SELECT chunks_received FROM submission_transfers WHERE side = 'received' AND status = 'receiving'",
            )
            .fetch_optional(receiver_store.pool())
            .await
            .unwrap();
            if held.unwrap_or(0) >= after {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    };
    let client = ClientInfo::default();
    tokio::select! {
        sent = transfers::send(sender_store, sender, dir, remote, keys, &client) => {
            panic!("the send was to be stopped part way: {:?}", sent.map(|(t, _)| t.status))
        }
        _ = watch => {}
    }
}

/// A send stopped part way (a crash or a restart of the company's site) resumes the same
/// transfer from the chunks the receiver lacks; one stopped and then cancelled frees the
/// sequence at both ends for a new transfer. A receiver that signs with another key than the
/// one pinned, or an unpinned receiver elsewhere, is not sent to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_send_resumes_or_is_cancelled() {
    each_backend(|store| async move {
        let tmp = tempfile::tempdir().unwrap();
        let (first, second) = (tmp.path().join("x202612345"), tmp.path().join("x202612346"));
        for app in [&first, &second] {
            package::write(app, &samples::large_sequence(6, 24 * 1024 * 1024)).unwrap();
        }
        common::seed(&store).await;
        let (addr, stop, receiver_key) = receiver(store.clone(), &tmp.path().join("regulator")).await;
        let base = format!("http://{addr}");
        let secret = token(&base).await;
        let (sender_db, sender) = sender_site().await;
        let sender_store = sender_db.store.clone();
        let (signing, sealing) = (KeyPair::generate(), Sealing([9; 16]));
        let keys = || transfers::SenderKeys { signer: &signing, sealing: &sealing };
        let remote = Remote { base_url: base.clone(), token: secret.clone(), pinned_key: Some(receiver_key.clone()) };
        let client = ClientInfo::default();

        // Not sent: another key than the pinned one; an unpinned receiver that is not local.
        let wrong = Remote { pinned_key: Some("0".repeat(64)), ..remote_of(&remote) };
        let e =
            transfers::send(&sender_store, &sender, &first.join("0000"), &wrong, keys(), &client).await.unwrap_err();
        assert!(e.to_string().contains("pinned"), "{e}");
        let far = Remote { base_url: "http://submission.example.org".into(), pinned_key: None, ..remote_of(&remote) };
        let e = transfers::send(&sender_store, &sender, &first.join("0000"), &far, keys(), &client).await.unwrap_err();
        assert!(e.to_string().contains("receiver_key"), "{e}");

        // Stopped after two chunks, then sent again: the same transfer, only what was lacking.
        send_until_stopped((&sender_store, &store), &sender, &first.join("0000"), &remote, keys(), 2).await;
        let (mine, took) =
            transfers::send(&sender_store, &sender, &first.join("0000"), &remote, keys(), &client).await.unwrap();
        assert_eq!(mine.status, "validated");
        assert!(took.chunks_sent < mine.chunk_count as u64, "resumed, not sent anew: {took:?} of {}", mine.chunk_count);
        let received: Vec<String> =
            sqlx::query_scalar("SELECT transfer_id FROM submission_transfers WHERE side = 'received'")
                .fetch_all(store.pool())
                .await
                .unwrap();
        assert_eq!(received, vec![mine.transfer_id.clone()], "one transfer at the receiver");

        // Stopped, then cancelled: dropped at the receiver, closed at the sender, sent anew.
        send_until_stopped((&sender_store, &store), &sender, &second.join("0000"), &remote, keys(), 1).await;
        let cancelled = transfers::cancel_send(&sender_store, &sender, &second.join("0000"), &remote, &client).await;
        let cancelled = cancelled.unwrap();
        assert_eq!(cancelled.status, "cancelled");
        let theirs: (String, i64) = sqlx::query_as(
            "SELECT status, (SELECT COUNT(*) FROM submission_transfer_chunks c WHERE c.transfer = t.id) \
             FROM submission_transfers t WHERE side = 'received' AND transfer_id = $1",
        )
        .bind(&cancelled.transfer_id)
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(theirs, ("cancelled".to_string(), 0));
        let (anew, _) =
            transfers::send(&sender_store, &sender, &second.join("0000"), &remote, keys(), &client).await.unwrap();
        assert_ne!(anew.transfer_id, cancelled.transfer_id);
        assert_eq!(anew.status, "validated");
        for s in [&store, &sender_store] {
            assert_eq!(transfers::drifts(s).await.unwrap(), vec![]);
        }
        let _ = stop.send(());
        sender_db.finish().await;
    })
    .await;
}

fn remote_of(r: &Remote) -> Remote {
    Remote { base_url: r.base_url.clone(), token: r.token.clone(), pinned_key: r.pinned_key.clone() }
}
