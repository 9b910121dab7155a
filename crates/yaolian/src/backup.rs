//! `yaolian backup` and `yaolian restore` for the SQLite deployment.
//!
//! A backup is a consistent copy of the database taken while the server runs (`VACUUM INTO`)
//! and, beside it, `FILE.sm3`: the SM3 checksum of the copy in the `sm3sum` layout
//! (`<hex>  <name>`). A restore checks the checksum, opens the copy in a scratch file, runs the
//! full ledger verification on it and only then moves it into place; the database it replaces
//! is kept beside it. PostgreSQL deployments use `pg_dump` / `pg_restore` and then
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
    let mut name = file.as_os_str().to_owned();
    name.push(".sm3");
    PathBuf::from(name)
}

pub async fn backup(settings: &Settings, output: &Path) -> Result<()> {
    if settings.sqlite_path().is_none() {
        bail!("backup copies the SQLite database; for PostgreSQL use pg_dump (see the README)");
    }
    if output.exists() {
        bail!("{}: already exists; choose a new file name", output.display());
    }
    let store = settings.open().await?;
    let (_, entries) = ledger::head(store.pool()).await?;
    store.backup_into(output).await.with_context(|| format!("writing {}", output.display()))?;
    store.close().await;
    let sum = sm3_file(output)?;
    let name = output.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let sum_path = checksum_path(output);
    std::fs::write(&sum_path, format!("{sum}  {name}\n")).with_context(|| format!("writing {}", sum_path.display()))?;
    let bytes = std::fs::metadata(output).map(|m| m.len()).unwrap_or(0);
    println!("backup written: {} ({bytes} bytes, {entries} ledger entries)", output.display());
    println!("SM3 {sum} in {}", sum_path.display());
    println!("keep the ledger sealing key (ledger-seal.key or --ledger-key) safe and apart from the backup");
    Ok(())
}

pub async fn restore(settings: &Settings, input: &Path, force: bool) -> Result<()> {
    let Some(target) = settings.sqlite_path() else {
        bail!("restore writes the SQLite database; for PostgreSQL use pg_restore, then `yaolian ledger verify`");
    };
    let sum_path = checksum_path(input);
    let expected = std::fs::read_to_string(&sum_path)
        .with_context(|| format!("{}: the checksum file must lie beside the backup", sum_path.display()))?;
    let expected = expected.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
    let found = sm3_file(input)?;
    if expected != found {
        bail!("{}: SM3 checksum mismatch: expected {expected}, found {found}; the backup is damaged", input.display());
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
    let verdict = verify_copy(&scratch).await;
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

/// Opens the copy, brings its schema up to date and verifies its whole ledger.
async fn verify_copy(path: &Path) -> Result<String> {
    let store = Store::connect(&yaolian_store::sqlite_url(path), &StoreOptions::default())
        .await
        .context("opening the restored copy")?;
    store.migrate().await.context("migrating the restored copy")?;
    let outcome = ledger::verify(&store).await;
    store.close().await;
    match outcome? {
        Ok(s) => Ok(format!(
            "ledger OK: {} entries ({}), root {}, {} checkpoints verified",
            s.entries, s.hash_alg, s.root, s.checkpoints
        )),
        Err(failure) => bail!("the backup's ledger does not verify, nothing was restored: {failure}"),
    }
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
