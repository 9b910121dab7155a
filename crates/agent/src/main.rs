//! `yaolian-agent`: `run` watches a folder and delivers, `status` shows the outbox. Every flag
//! may also come from a `YAOLIAN_AGENT_*` environment variable (the token best of all).

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;
use yaolian_agent::outbox::Outbox;
use yaolian_agent::{deliver_due, scan, Target};

#[derive(Parser)]
#[command(name = "yaolian-agent", about = "药链仪器数据采集代理 — instrument capture agent")]
struct Cli {
    /// The local outbox file.
    #[arg(long, env = "YAOLIAN_AGENT_OUTBOX", default_value = "yaolian-agent.db", global = true)]
    outbox: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Watch a folder and deliver its results.
    Run {
        /// The folder the instrument software exports to.
        #[arg(long, env = "YAOLIAN_AGENT_WATCH")]
        watch: PathBuf,
        #[arg(long, env = "YAOLIAN_AGENT_SERVER")]
        server: String,
        /// A scoped API token with `lab.use`.
        #[arg(long, env = "YAOLIAN_AGENT_TOKEN", hide_env_values = true)]
        token: String,
        #[arg(long, env = "YAOLIAN_AGENT_ORG")]
        org: i64,
        /// The instrument's number, e.g. HPLC-01.
        #[arg(long, env = "YAOLIAN_AGENT_INSTRUMENT")]
        instrument: String,
        /// The workstation's user.
        #[arg(long, env = "YAOLIAN_AGENT_OPERATOR", default_value = "workstation")]
        operator: String,
        /// Milliseconds between scans of the folder.
        #[arg(long, default_value_t = 2000)]
        scan_ms: u64,
        /// Milliseconds before the first retry of a failed delivery; it doubles up to a day.
        #[arg(long, default_value_t = yaolian_agent::FIRST_RETRY_MS)]
        first_retry_ms: i64,
    },
    /// The outbox: waiting, delivered, set aside, the next attempt and the last error.
    Status,
    /// Retry everything waiting now (after an outage), instead of waiting out the backoff.
    Retry,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("yaolian-agent: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<()> {
    let outbox = Outbox::open(&cli.outbox).await?;
    match cli.command {
        Command::Retry => {
            println!("{} waiting results will be retried now", outbox.retry_now().await?);
            Ok(())
        }
        Command::Status => {
            println!("{}", serde_json::to_string_pretty(&outbox.status().await?)?);
            Ok(())
        }
        Command::Run { watch, server, token, org, instrument, operator, scan_ms, first_retry_ms } => {
            let target =
                Target { server, token, org_id: org, instrument: instrument.clone(), operator, first_retry_ms };
            let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
            loop {
                let new = scan(&outbox, &watch, &instrument).await?;
                let round = deliver_due(&outbox, &http, &target, 200).await?;
                if new > 0 || round.delivered > 0 || round.failed > 0 || round.rejected > 0 {
                    eprintln!(
                        "captured {new}, delivered {}, to retry {}, set aside {}",
                        round.delivered, round.failed, round.rejected
                    );
                }
                tokio::time::sleep(Duration::from_millis(scan_ms)).await;
            }
        }
    }
}
