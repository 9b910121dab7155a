//! `yaolian ectd …`: validate an eCTD package on disk (ours or another tool's) and write the
//! sample application. No database.

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
        /// A rule set file (TOML) instead of the shipped one (data/rules-yaolian-1.0.toml).
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
}

pub fn run(cmd: EctdCommand) -> Result<()> {
    match cmd {
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
