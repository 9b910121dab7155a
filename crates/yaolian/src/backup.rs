//! `yaolian backup` and `yaolian restore` for the SQLite deployment.
//!
//! A backup is a consistent copy of the database taken while the server runs (`VACUUM INTO`)
//! and, beside it, `FILE.sm3` (the SM3 checksum in the `sm3sum` layout, `<hex>  <name>`, for
//! tools) and `FILE.manifest.json`: the copy's SM3, size, time and ledger size, signed with the
//! site's SM2 key. A checksum can be recomputed by whoever edits the file; the signature cannot.
//! A restore checks the manifest's signature — made by a site key that this site's sealing key
//! opens, or by the public key `--trust-key` names (another site's backup) — and the file's SM3
//! against it, opens the copy in a scratch file, runs the full ledger verification on it and
//! only then moves it into place; the database it replaces is kept beside it. PostgreSQL deployments use `pg_dump` / `pg_restore` and then
//! `yaolian ledger verify` (see the README).

use anyhow::{bail, Context, Result};
use sm3::{Digest, Sm3};
use std::io::Read;
use std::path::{Path, PathBuf};
use yaolian_store::{ledger, Store, StoreOptions};

use crate::Settings;

/// SM3 of a file, read in 1 MiB blocks.
pub fn sm3_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut hasher = Sm3::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex_lower(&hasher.finalize()))
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn checksum_path(file: &Path) -> PathBuf {
    with_suffix(file, ".sm3")
}

fn manifest_path(file: &Path) -> PathBuf {
    with_suffix(file, ".manifest.json")
}

/// What the site signs about a backup.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    /// `yaolian-backup/1`.
    pub format: String,
    /// The backup file's name (without its folder).
    pub file: String,
    /// SM3 of the file, hex.
    pub sm3: String,
    pub bytes: u64,
    /// Ledger entries in the copy when it was taken.
    pub tree_size: u64,
    /// When it was taken, RFC 3339.
    pub at: String,
    /// The signing site key's id and public key.
    pub key_id: String,
    pub public_pem: String,
    /// Hex DER SM2 signature over [`Manifest::message`].
    pub signature: String,
}

const FORMAT: &str = "yaolian-backup/1";

impl Manifest {
    /// The signed text: one field a line, in a fixed order (no field may hold a line break).
    pub fn message(&self) -> Vec<u8> {
        format!(
            "{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
            self.format, self.file, self.sm3, self.bytes, self.tree_size, self.at, self.key_id
        )
        .into_bytes()
    }
}

pub async fn backup(settings: &Settings, output: &Path) -> Result<()> {
    if settings.sqlite_path().is_none() {
        bail!("backup copies the SQLite database; for PostgreSQL use pg_dump (see the README)");
    }
    if output.exists() {
        bail!("{}: already exists; choose a new file name", output.display());
    }
    let name = output.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if name.contains(['\n', '\r']) {
        bail!("{}: a backup's file name holds no line break", output.display());
    }
    let store = settings.open().await?;
    let (key_id, key) =
        ledger::site_key(&store, &settings.sealing_key()?).await.context("opening the site signing key")?;
    let (_, entries) = ledger::head(store.pool()).await?;
    store.backup_into(output).await.with_context(|| format!("writing {}", output.display()))?;
    store.close().await;
    let sum = sm3_file(output)?;
    let sum_path = checksum_path(output);
    std::fs::write(&sum_path, format!("{sum}  {name}\n")).with_context(|| format!("writing {}", sum_path.display()))?;
    let bytes = std::fs::metadata(output).map(|m| m.len()).unwrap_or(0);
    let mut manifest = Manifest {
        format: FORMAT.into(),
        file: name,
        sm3: sum.clone(),
        bytes,
        tree_size: entries,
        at: yaolian_core::Timestamp::now().to_rfc3339(),
        public_pem: key.public_pem(),
        key_id,
        signature: String::new(),
    };
    manifest.signature = hex_lower(&key.sign(&manifest.message()));
    let manifest_file = manifest_path(output);
    let text = serde_json::to_string_pretty(&manifest).context("writing the manifest")?;
    std::fs::write(&manifest_file, text).with_context(|| format!("writing {}", manifest_file.display()))?;
    println!("backup written: {} ({bytes} bytes, {entries} ledger entries)", output.display());
    println!(
        "SM3 {sum} in {}, signed by site key {} in {}",
        sum_path.display(),
        manifest.key_id,
        manifest_file.display()
    );
    println!("keep the ledger sealing key (ledger-seal.key or --ledger-key) safe and apart from the backup");
    Ok(())
}

pub async fn restore(settings: &Settings, input: &Path, force: bool, trust_key: Option<&Path>) -> Result<()> {
    let Some(target) = settings.sqlite_path() else {
        bail!("restore writes the SQLite database; for PostgreSQL use pg_restore, then `yaolian ledger verify`");
    };
    let manifest_file = manifest_path(input);
    let text = std::fs::read_to_string(&manifest_file)
        .with_context(|| format!("{}: the signed manifest must lie beside the backup", manifest_file.display()))?;
    let manifest: Manifest =
        serde_json::from_str(&text).with_context(|| format!("{}: not a backup manifest", manifest_file.display()))?;
    if manifest.format != FORMAT {
        bail!("{}: format {:?} is not {FORMAT}", manifest_file.display(), manifest.format);
    }
    let trusted_pem = match trust_key {
        Some(path) => {
            Some(std::fs::read_to_string(path).with_context(|| format!("--trust-key {}: reading", path.display()))?)
        }
        None => None,
    };
    // With --trust-key the signature is checked now; else once the copy is open (the site key
    // that signed it must open with this site's sealing key).
    if let Some(pem) = &trusted_pem {
        check_signature(&manifest, pem, "the key --trust-key names")?;
    }
    let found = sm3_file(input)?;
    if manifest.sm3 != found {
        bail!(
            "{}: SM3 mismatch: the signed manifest says {}, the file is {found}; the backup was changed",
            input.display(),
            manifest.sm3
        );
    }
    if target.exists() && !force {
        bail!(
            "{}: a database exists; pass --force to replace it (it is kept beside as .before-restore)",
            target.display()
        );
    }
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let scratch = target.with_extension("db.restoring");
    remove_with_sidecars(&scratch)?;
    std::fs::copy(input, &scratch).with_context(|| format!("copying to {}", scratch.display()))?;
    let sealing = match (&trusted_pem, settings.existing_sealing_key()?) {
        (Some(_), _) => None,
        (None, Some(key)) => Some(key),
        (None, None) => {
            remove_with_sidecars(&scratch)?;
            bail!(
                "restoring checks the backup's signature with this site's sealing key, and there is none here: \
                 put the site's ledger-seal.key in the data directory (or pass --ledger-key), or name the signing \
                 site's public key with --trust-key"
            );
        }
    };
    let verdict = verify_copy(&scratch, &manifest, sealing.as_ref()).await;
    let summary = match verdict {
        Ok(summary) => summary,
        Err(e) => {
            remove_with_sidecars(&scratch)?;
            return Err(e);
        }
    };
    if target.exists() {
        let kept = target.with_extension("db.before-restore");
        remove_with_sidecars(&kept)?;
        std::fs::rename(&target, &kept).with_context(|| format!("moving the old database to {}", kept.display()))?;
        for side in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(with_suffix(&target, side));
        }
        println!("previous database kept as {}", kept.display());
    }
    std::fs::rename(&scratch, &target)
        .with_context(|| format!("moving the restored database to {}", target.display()))?;
    println!("restored {} from {} (SM3 {found})", target.display(), input.display());
    println!("{summary}");
    Ok(())
}

/// The manifest's signature under `pem`, which must be the key it names.
fn check_signature(manifest: &Manifest, pem: &str, whose: &str) -> Result<()> {
    let der = hex_decode(&manifest.signature).context("the manifest's signature is not hex")?;
    let holds = yaolian_ledger::sign::verify(pem, &manifest.message(), &der).unwrap_or(false);
    let named = [pem.to_string(), format!("{}\n", pem.trim())].iter().any(|p| ledger::key_id(p) == manifest.key_id);
    if !holds || !named {
        bail!("the backup manifest is not signed by {whose} (key {}); nothing was restored", manifest.key_id);
    }
    Ok(())
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// Opens the copy, checks the manifest's signer is a key of this site (one that `sealing`
/// opens; skipped when `--trust-key` was checked instead), brings the schema up to date and
/// verifies the whole ledger.
async fn verify_copy(path: &Path, manifest: &Manifest, sealing: Option<&[u8; 16]>) -> Result<String> {
    let store = Store::connect(&yaolian_store::sqlite_url(path), &StoreOptions::default())
        .await
        .context("opening the restored copy")?;
    if let Some(sealing) = sealing {
        let signer = ledger::open_site_key(&store, &manifest.key_id, sealing).await;
        let Ok(key) = signer else {
            store.close().await;
            bail!(
                "the backup manifest is signed by key {}, which this site's sealing key does not open; \
                 nothing was restored (a backup of another site needs --trust-key with its public key)",
                manifest.key_id
            );
        };
        if let Err(e) = check_signature(manifest, &key.public_pem(), "this site's key") {
            store.close().await;
            return Err(e);
        }
    }
    store.migrate().await.context("migrating the restored copy")?;
    let outcome = ledger::verify(&store).await;
    let verdict = match outcome {
        Ok(Ok(s)) => match crate::state::check(&store).await {
            Ok(state) => Ok(format!(
                "ledger OK: {} entries ({}), root {}, {} checkpoints verified\n{state}",
                s.entries, s.hash_alg, s.root, s.checkpoints
            )),
            Err(e) => Err(anyhow::anyhow!("nothing was restored: {e}")),
        },
        Ok(Err(failure)) => {
            Err(anyhow::anyhow!("the backup's ledger does not verify, nothing was restored: {failure}"))
        }
        Err(e) => Err(e.into()),
    };
    store.close().await;
    verdict
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_with_sidecars(path: &Path) -> Result<()> {
    for p in [path.to_path_buf(), with_suffix(path, "-wal"), with_suffix(path, "-shm")] {
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GB/T 32905-2016 Appendix A example 1: SM3("abc").
    #[test]
    fn file_checksum_is_sm3() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(sm3_file(&p).unwrap(), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
    }
}
