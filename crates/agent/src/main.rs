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
    /// Watch a folder and/or read a serial port, and deliver the results.
    Run {
        /// The folder the instrument software exports to.
        #[arg(long, env = "YAOLIAN_AGENT_WATCH")]
        watch: Option<PathBuf>,
        /// A serial port a balance or pH meter prints to, e.g. /dev/ttyUSB0.
        #[arg(long, env = "YAOLIAN_AGENT_SERIAL")]
        serial: Option<String>,
        /// The serial port's speed (8 data bits, no parity, 1 stop bit).
        #[arg(long, default_value_t = 9600)]
        baud: u32,
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
        Command::Run { watch, serial, baud, server, token, org, instrument, operator, scan_ms, first_retry_ms } => {
            anyhow::ensure!(watch.is_some() || serial.is_some(), "give --watch (a folder), --serial (a port) or both");
            let target =
                Target { server, token, org_id: org, instrument: instrument.clone(), operator, first_retry_ms };
            let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
            if let Some(port) = serial {
                // Lines are captured as they arrive, not at the next scan: a line held only in
                // memory would be lost if the agent stopped.
                let (tx, mut rx) = tokio::sync::mpsc::channel(1000);
                yaolian_agent::serial::spawn_reader(port.clone(), baud, tx);
                let (outbox, instrument) = (outbox.clone(), instrument.clone());
                tokio::spawn(async move {
                    while let Some(reading) = rx.recv().await {
                        if let Err(e) = yaolian_agent::serial::capture(&outbox, &instrument, &port, &reading).await {
                            eprintln!("cannot capture a line from {port}: {e:#}");
                        }
                    }
                });
            }
            loop {
                let new = match &watch {
                    Some(dir) => scan(&outbox, dir, &instrument).await?,
                    None => 0,
                };
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
