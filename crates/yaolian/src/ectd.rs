//! `yaolian ectd …`: validate an eCTD package on disk (ours or another tool's) and write the
//! sample application (no database); send a sequence to a regulator's yaolian (this site's
//! database and key).

use anyhow::{bail, Context, Result};
use clap::{Subcommand, ValueEnum};
use std::path::PathBuf;
use yaolian_submission::{package, report, rules::RuleSet, samples, validate};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One line per finding, then the totals.
    Text,
    Json,
    Html,
    /// An Excel workbook (needs --output).
    Xlsx,
}

#[derive(Subcommand)]
pub enum EctdCommand {
    /// Validate a package: a sequence folder (it holds index.xml) or an application folder of
    /// sequences. Prints the report; exits 1 when there are errors (错误).
    Validate {
        dir: PathBuf,
        /// A rule set file (TOML) instead of the shipped one (data/rules-yaolian-1.1.toml).
        #[arg(long)]
        rules: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Write the report here instead of standard output.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// Write the sample application (three sequences: new, replace, append) into DIR.
    Sample { dir: PathBuf },
    /// Send one sequence folder (inside its application's folder) to a regulator's yaolian:
    /// sealed chunks, a manifest signed with this site's key, resumed after a cut, the three
    /// acknowledgements checked and kept in this site's ledger. The API token of the company's
    /// account at the receiver comes from YAOLIAN_SUBMISSION_TOKEN or --token-file, never the
    /// command line.
    Send {
        sequence: PathBuf,
        /// The receiver's base URL, e.g. https://yaolian.nmpa.example.
        #[arg(long)]
        to: String,
        /// The local account on whose behalf the send is recorded (needs submission.send).
        #[arg(long = "as")]
        user: String,
        #[arg(long)]
        token_file: Option<PathBuf>,
        /// The receiver's signing key id as the regulator publishes it (SM3 of its public key,
        /// hex); required unless the receiver is on this machine.
        #[arg(long)]
        receiver_key: Option<String>,
        /// Cancel this sequence's send still under way (the receiver drops what it holds)
        /// instead of sending.
        #[arg(long)]
        cancel: bool,
    },
}

/// `ectd send`: the sender's record goes into this site's database, signed with its key; a
/// send that stopped is resumed, or with `--cancel` cancelled.
pub async fn send(settings: &crate::Settings, cmd: EctdCommand) -> Result<()> {
    let EctdCommand::Send { sequence, to, user, token_file, receiver_key, cancel } = cmd else {
        bail!("not a send");
    };
    let token = match (std::env::var("YAOLIAN_SUBMISSION_TOKEN").ok().filter(|t| !t.trim().is_empty()), token_file) {
        (Some(t), _) => t,
        (None, Some(f)) => std::fs::read_to_string(&f).with_context(|| format!("--token-file {}", f.display()))?,
        (None, None) => bail!("no token: set YAOLIAN_SUBMISSION_TOKEN or give --token-file"),
    };
    if !sequence.join("index.xml").is_file() {
        bail!("{}: not a sequence folder (no index.xml)", sequence.display());
    }
    let store = settings.open().await?;
    let sealing = yaolian_ledger::sign::Sealing(settings.sealing_key()?);
    let (_, key) = yaolian_store::ledger::site_key(&store, &sealing.0).await?;
    let id = yaolian_identity::users::id_by_username(&store, &user).await.with_context(|| format!("--as {user}"))?;
    let principal = yaolian_identity::auth::principal_for_user(&store, id).await?;
    let client = yaolian_access::ClientInfo { ip: "cli".into(), user_agent: "yaolian ectd send".into() };
    let remote = yaolian_submission::transfers::Remote {
        base_url: to,
        token: token.trim().to_string(),
        pinned_key: receiver_key,
    };
    if cancel {
        let t = yaolian_submission::transfers::cancel_send(&store, &principal, &sequence, &remote, &client)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!("cancelled the send of {} {} (transfer {})", t.application, t.sequence, t.transfer_id);
        return Ok(());
    }
    let keys = yaolian_submission::transfers::SenderKeys { signer: &key, sealing: &sealing };
    let (t, took) = yaolian_submission::transfers::send(&store, &principal, &sequence, &remote, keys, &client)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "sent {} {} ({} bytes in {} chunks, {} re-sent, {} reconnections, {:.1} s): {}; receipt {}; {} errors, {} warnings at the receiver",
        t.application,
        t.sequence,
        t.total_bytes,
        t.chunk_count,
        took.resent,
        took.reconnects,
        took.seconds,
        t.status,
        t.receipt_number,
        t.errors.unwrap_or(0),
        t.warnings.unwrap_or(0)
    );
    Ok(())
}

pub fn run(cmd: EctdCommand) -> Result<()> {
    match cmd {
        EctdCommand::Send { .. } => bail!("ectd send needs the site's database"),
        EctdCommand::Validate { dir, rules, format, output } => {
            let set = match rules {
                None => RuleSet::shipped(),
                Some(path) => {
                    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
                    RuleSet::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
                }
            };
            if format == Format::Xlsx && output.is_none() {
                bail!("--format xlsx writes a workbook: give --output FILE");
            }
            let r = validate::validate(&dir, &set).map_err(|e| anyhow::anyhow!("{e}"))?;
            let bytes = match format {
                Format::Json => report::json(&r).into_bytes(),
                Format::Html => report::html(&r).into_bytes(),
                Format::Xlsx => report::xlsx(&r).map_err(|e| anyhow::anyhow!("writing the workbook: {e}"))?,
                Format::Text => {
                    let mut t = String::new();
                    for f in &r.findings {
                        t.push_str(&format!("{} {} {} {}\n", f.severity.zh(), f.rule, f.location, f.message));
                    }
                    let seqs: Vec<&str> = r.sequences.iter().map(|s| s.sequence.as_str()).collect();
                    t.push_str(&format!(
                        "{} {}: sequences {}; {} errors, {} warnings, {} notes{}\n",
                        r.rule_set,
                        r.rule_set_version,
                        seqs.join(", "),
                        r.errors,
                        r.warnings,
                        r.infos,
                        if r.omitted > 0 { format!(" ({} more not listed)", r.omitted) } else { String::new() }
                    ));
                    t.into_bytes()
                }
            };
            match &output {
                Some(path) => std::fs::write(path, &bytes).with_context(|| format!("writing {}", path.display()))?,
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&bytes)?;
                }
            }
            if !r.passes() {
                bail!("{}: {} errors — the package does not pass", dir.display(), r.errors);
            }
            Ok(())
        }
        EctdCommand::Sample { dir } => {
            for s in samples::application() {
                let w = package::write(&dir, &s).map_err(|e| anyhow::anyhow!("{e}"))?;
                println!("{}: {} files, {} bytes", w.folder.display(), w.files.len(), w.bytes);
            }
            Ok(())
        }
    }
}
