//! `yaolian ledger …`: verify the ledger (from the database or a bundle), sign a checkpoint,
//! export a record's proof bundle.

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use std::path::PathBuf;
use yaolian_identity::IdentityError;
use yaolian_ledger::batch::{self, TraceBundle};
use yaolian_ledger::bundle::{self, Bundle};
use yaolian_store::ledger;
use yaolian_trace::{anchor, TraceError};

use crate::Settings;

#[derive(Subcommand)]
pub enum LedgerCommand {
    /// Recompute every leaf from the stored records, every root and every checkpoint signature,
    /// and in the same pass every trace batch root from the stored events; with --bundle, check
    /// a proof bundle offline without any database.
    Verify {
        /// A bundle written by `ledger export`.
        #[arg(long)]
        bundle: Option<PathBuf>,
        /// Pin the site's public key (PEM) instead of trusting the one inside the bundle.
        #[arg(long, requires = "bundle")]
        public_key: Option<PathBuf>,
    },
    /// Sign a checkpoint (tree head) of the ledger now.
    Checkpoint,
    /// Write a record's whole history with inclusion proofs to a fresh checkpoint; with
    /// --trace-code, a trace code's whole history with each event's proof to its batch root and
    /// each batch's proof to the checkpoint.
    Export {
        #[arg(long, required_unless_present = "trace_code", requires = "id")]
        entity: Option<String>,
        #[arg(long)]
        id: Option<String>,
        /// A trace code in any form (药品追溯码, GS1 element string, Digital Link, EPC URI).
        #[arg(long, conflicts_with_all = ["entity", "id"])]
        trace_code: Option<String>,
        #[arg(short = 'o', long)]
        output: PathBuf,
    },
}

pub async fn run(settings: &Settings, cmd: LedgerCommand) -> Result<()> {
    match cmd {
        LedgerCommand::Verify { bundle: Some(path), public_key } => {
            let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            let pinned = match public_key {
                Some(p) => Some(std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?),
                None => None,
            };
            let value: serde_json::Value =
                serde_json::from_str(&text).with_context(|| format!("{}: not a ledger bundle", path.display()))?;
            if value.get("format").and_then(|f| f.as_str()) == Some(batch::TRACE_FORMAT) {
                let bundle: TraceBundle =
                    serde_json::from_value(value).with_context(|| format!("{}: not a trace bundle", path.display()))?;
                return match batch::verify_trace(&bundle, pinned.as_deref(), &anchor::check_bundle_event) {
                    Ok(s) => {
                        println!(
                            "trace bundle OK: code {} — {} events in {} batches included in the checkpoint of {} \
                             entries, signed by site key {}",
                            bundle.code, s.events, s.batches, s.tree_size, s.key_id
                        );
                        Ok(())
                    }
                    Err(problem) => bail!("bundle verification failed: {problem}"),
                };
            }
            let bundle: Bundle =
                serde_json::from_value(value).with_context(|| format!("{}: not a ledger bundle", path.display()))?;
            match bundle::verify(&bundle, pinned.as_deref()) {
                Ok(s) => {
                    println!(
                        "bundle OK: {} {} — {} versions included in the checkpoint of {} entries, signed by site key {}",
                        bundle.entity, bundle.id, s.versions, s.tree_size, s.key_id
                    );
                    Ok(())
                }
                Err(problem) => bail!("bundle verification failed: {problem}"),
            }
        }
        LedgerCommand::Verify { bundle: None, .. } => {
            let store = settings.open().await?;
            // One pass: the ledger's check hands each trace batch record it has vouched for to
            // the trace check, which reads the stored events beside it.
            let started = std::time::Instant::now();
            let all = anchor::verify_with_ledger(&store).await?;
            let s = match all.ledger {
                Ok(s) => s,
                Err(failure) => bail!("ledger verification failed at {failure}"),
            };
            println!(
                "ledger OK: {} entries ({}), root {}, {} checkpoints verified, {:.0} entries/s",
                s.entries,
                s.hash_alg,
                s.root,
                s.checkpoints,
                s.entries as f64 / all.ledger_time.as_secs_f64().max(1e-9)
            );
            match all.trace {
                Ok(t) => {
                    let secs = started.elapsed().as_secs_f64();
                    println!(
                        "trace OK: {} events in {} batches match their ledgered roots, {:.0} events/s",
                        t.events,
                        t.batches,
                        t.events as f64 / secs.max(1e-9)
                    );
                }
                Err(failure) => bail!("ledger verification failed at {failure}"),
            }
            // The tables that hold current state, against the versions the ledger vouched for.
            println!("{}", crate::state::check(&store).await?);
            Ok(())
        }
        LedgerCommand::Checkpoint => {
            let store = settings.open().await?;
            let (key_id, key) = ledger::site_key(&store, &settings.sealing_key()?).await?;
            let cp = ledger::make_checkpoint(&store, &key, &key_id).await?;
            println!(
                "checkpoint: {} entries, root {}, signed by site key {}",
                cp.head.tree_size, cp.head.root_hash, cp.key_id
            );
            Ok(())
        }
        LedgerCommand::Export { trace_code: Some(code), output, .. } => {
            let store = settings.open().await?;
            let (key_id, key) = ledger::site_key(&store, &settings.sealing_key()?).await?;
            let bundle = match anchor::export_bundle(&store, &code, &key_id, &key).await {
                Err(TraceError::Shared(IdentityError::NotFound(_))) => {
                    bail!("--trace-code {code}: no event names this code")
                }
                Err(TraceError::Shared(IdentityError::Validation(v))) => bail!("--trace-code {code}: {v}"),
                other => other?,
            };
            let text = serde_json::to_string_pretty(&bundle)?;
            std::fs::write(&output, text).with_context(|| format!("writing {}", output.display()))?;
            println!(
                "wrote {}: {} events of code {} in {} batches, checkpoint of {} entries",
                output.display(),
                bundle.events.len(),
                bundle.code,
                bundle.batches.len(),
                bundle.checkpoint.tree_size
            );
            Ok(())
        }
        LedgerCommand::Export { entity, id, output, .. } => {
            let (Some(entity), Some(id)) = (entity, id) else {
                bail!("ledger export needs --entity and --id, or --trace-code");
            };
            let store = settings.open().await?;
            let (key_id, key) = ledger::site_key(&store, &settings.sealing_key()?).await?;
            let bundle = match ledger::export_bundle(&store, &entity, &id, &key, &key_id).await {
                Err(yaolian_store::StoreError::NotFound) => {
                    bail!("--entity {entity} --id {id}: no such record in the ledger")
                }
                other => other?,
            };
            let text = serde_json::to_string_pretty(&bundle)?;
            std::fs::write(&output, text).with_context(|| format!("writing {}", output.display()))?;
            println!(
                "wrote {}: {} versions of {entity} {id}, checkpoint of {} entries",
                output.display(),
                bundle.versions.len(),
                bundle.checkpoint.tree_size
            );
            Ok(())
        }
    }
}
