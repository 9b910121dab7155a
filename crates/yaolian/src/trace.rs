//! `yaolian trace …`: bulk import of trace data (EPCIS JSON, JSON lines, CSV, Excel) with a
//! progress bar, per-line errors that never drop the good lines, and resume after interruption;
//! and a generated supply chain for demos and benchmarks.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use serde_json::{json, Value};
use yaolian_core::{FieldError, Timestamp};
use yaolian_store::Store;
use yaolian_trace::capture::prepare;
use yaolian_trace::generate::{self, Plan};
use yaolian_trace::ingest::{self, Options};
use yaolian_trace::{epcis, ops, sites};

#[derive(Subcommand)]
pub enum TraceCommand {
    /// Import events from FILE: an EPCIS 2.0 document (.json / .jsonld), JSON lines (.jsonl,
    /// one event or document per line), or a CSV / Excel file of 生产赋码, 包装关联, 入库, 出库,
    /// 销售, 退货, 销毁 rows. Bad lines go to FILE.errors.jsonl; the good ones are stored. An
    /// interrupted import resumes where it stopped (FILE.progress); events already stored are
    /// recognized by their EPCIS event hash and skipped.
    Import {
        file: PathBuf,
        /// Events per transaction.
        #[arg(long, default_value_t = 5_000)]
        batch: usize,
    },
    /// Write a realistic supply chain (manufacturer → distributor → hospital / pharmacy →
    /// patient) as JSON lines, with one planted anomaly per rule; registers its sites.
    Generate {
        /// Units (packs) in the chain.
        #[arg(long, default_value_t = 10_000)]
        packs: usize,
        /// Units per batch (批号).
        #[arg(long, default_value_t = 2_000)]
        batch_size: usize,
        /// Output file (JSON lines); the events to capture after opening the planted recall go
        /// to OUT.after-recall.jsonl.
        #[arg(long, short = 'o', default_value = "trace-chain.jsonl")]
        out: PathBuf,
        /// First production day (YYYY-MM-DD); default 90 days ago.
        #[arg(long)]
        start: Option<String>,
        /// Leave out the planted anomalies.
        #[arg(long)]
        clean: bool,
    },
}

pub async fn run(store: Store, cmd: TraceCommand) -> Result<()> {
    match cmd {
        TraceCommand::Import { file, batch } => {
            let report = import(&store, &file, batch.clamp(1, 50_000), true).await?;
            println!(
                "imported {}: {} events stored, {} already there, {} refused, {} anomalies, {:.0} events/s",
                file.display(),
                report.stored,
                report.duplicates,
                report.refused,
                report.anomalies,
                report.rate()
            );
            if report.refused > 0 {
                bail!("{} lines refused; each with its reason in {}", report.refused, errors_path(&file).display());
            }
            Ok(())
        }
        TraceCommand::Generate { packs, batch_size, out, start, clean } => {
            let start = match start {
                Some(s) => chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                    .with_context(|| format!("--start {s:?}: expected YYYY-MM-DD"))?,
                None => Timestamp::now().china_date() - chrono::Days::new(90),
            };
            let products = products_with_codes(&store).await?;
            let plan = Plan { packs, batch_size, products, start, anomalies: !clean, first_serial: 0 };
            let chain = generate::generate(&plan);
            sites::insert_missing(&store, &chain.sites).await?;
            write_jsonl(&out, &chain.events)?;
            let after = after_recall_path(&out);
            write_jsonl(&after, &chain.after_recall)?;
            println!(
                "wrote {} events to {} ({} after the recall to {})",
                chain.events.len(),
                out.display(),
                chain.after_recall.len(),
                after.display()
            );
            if let Some((product, batch)) = &chain.recall_batch {
                println!("recall product {product} batch {batch} before importing {}", after.display());
            }
            for p in &chain.planted {
                println!("planted {:<26} {}", p.kind, p.key);
            }
            Ok(())
        }
    }
}

/// Products that have a 药品标识码, for the generator (up to three).
pub async fn products_with_codes(store: &Store) -> Result<Vec<(String, i64)>> {
    use sqlx::Row;
    let rows = sqlx::query("SELECT drug_code, id FROM products WHERE drug_code IS NOT NULL ORDER BY id LIMIT 3")
        .fetch_all(store.pool())
        .await?;
    let products: Vec<(String, i64)> =
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_, sqlx::Error>>()?;
    if products.is_empty() {
        bail!("no product has a 药品标识码 (drug_code); run `yaolian demo --no-serve` or register products first");
    }
    Ok(products)
}

fn write_jsonl(path: &Path, events: &[Value]) -> Result<()> {
    let f = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = std::io::BufWriter::new(f);
    for e in events {
        serde_json::to_writer(&mut w, e)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn after_recall_path(out: &Path) -> PathBuf {
    with_suffix(&out.with_extension(""), ".after-recall.jsonl")
}

fn errors_path(file: &Path) -> PathBuf {
    with_suffix(file, ".errors.jsonl")
}

fn progress_path(file: &Path) -> PathBuf {
    with_suffix(file, ".progress")
}

/// What an import did.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub stored: usize,
    pub duplicates: usize,
    pub refused: usize,
    pub anomalies: usize,
    pub seconds: f64,
}

impl Report {
    pub fn rate(&self) -> f64 {
        (self.stored + self.duplicates) as f64 / self.seconds.max(1e-9)
    }
}

/// One item of a file: its line (or event number) and the event, or why the line is no event.
type Item = (usize, Result<Value, FieldError>);

/// The items of a file, and how many there are.
fn items(file: &Path) -> Result<(usize, Box<dyn Iterator<Item = Item>>)> {
    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "jsonl" | "ndjson" => {
            let count = BufReader::new(std::fs::File::open(file)?).lines().count();
            let reader = BufReader::new(std::fs::File::open(file)?);
            let iter = reader.lines().enumerate().flat_map(|(i, line)| -> Vec<Item> {
                let line_no = i + 1;
                let text = match line {
                    Ok(t) => t,
                    Err(e) => {
                        return vec![(line_no, Err(FieldError::new(format!("line {line_no}"), "utf8", e.to_string())))]
                    }
                };
                if text.trim().is_empty() {
                    return Vec::new();
                }
                match epcis::parse_document(text.as_bytes(), &epcis::DocumentLimits::OPERATOR_FILE) {
                    Ok(v) if v.get("type").and_then(Value::as_str) == Some("EPCISDocument") => {
                        match yaolian_trace::capture::event_list(&v) {
                            Ok(list) => list.into_iter().map(|e| (line_no, Ok(e))).collect(),
                            Err(e) => e.errors.into_iter().map(|e| (line_no, Err(e))).collect(),
                        }
                    }
                    Ok(v) => vec![(line_no, Ok(v))],
                    Err(epcis::DocumentError::OverLimit(e)) => {
                        vec![(line_no, Err(FieldError::new(format!("line {line_no}"), e.rule, e.message)))]
                    }
                    Err(e) => vec![(line_no, Err(FieldError::new(format!("line {line_no}"), "json", e.to_string())))],
                }
            });
            Ok((count, Box::new(iter)))
        }
        "json" | "jsonld" => {
            let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            let doc = epcis::parse_document(&bytes, &epcis::DocumentLimits::OPERATOR_FILE)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            drop(bytes);
            if let Some(e) =
                doc.is_object().then(|| yaolian_trace::schema::envelope(&doc)).and_then(|e| e.into_iter().next())
            {
                bail!("{}: {}: {}", file.display(), e.field, e.message);
            }
            let events: Vec<Value> = match &doc {
                Value::Array(list) => list.clone(),
                _ => match doc.pointer("/epcisBody/eventList").and_then(Value::as_array) {
                    Some(list) => {
                        let mut events = list.clone();
                        yaolian_trace::capture::carry_context(&doc, &mut events);
                        events
                    }
                    None => bail!("{}: not an EPCIS document (no epcisBody.eventList)", file.display()),
                },
            };
            let n = events.len();
            Ok((n, Box::new(events.into_iter().enumerate().map(|(i, e)| (i + 1, Ok(e))))))
        }
        "csv" | "xlsx" | "xls" => {
            let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            let rows =
                yaolian_registry::table::parse(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let Some((header, body)) = rows.split_first() else { bail!("{}: the file is empty", file.display()) };
            let layout = ops::Layout::of(header).map_err(|e| anyhow::anyhow!("{}: {}", file.display(), e.message))?;
            let events: Vec<Item> =
                body.iter().enumerate().map(|(i, r)| (i + 2, ops::to_event(&layout, r, i + 2))).collect();
            Ok((events.len(), Box::new(events.into_iter())))
        }
        other => bail!("{}: unknown file type {other:?} (json, jsonld, jsonl, csv, xlsx)", file.display()),
    }
}

/// Imports a file in transactions of `batch` events.
pub async fn import(store: &Store, file: &Path, batch: usize, show_progress: bool) -> Result<Report> {
    let size = std::fs::metadata(file).with_context(|| format!("reading {}", file.display()))?.len();
    let progress_file = progress_path(file);
    let resume_from = std::fs::read_to_string(&progress_file)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .filter(|p| p["size"].as_u64() == Some(size))
        .and_then(|p| p["done"].as_u64())
        .unwrap_or(0) as usize;
    if resume_from > 0 && show_progress {
        eprintln!("resuming {} after {resume_from} items", file.display());
    }
    let (total, iter) = items(file)?;
    let mut errors_out: Option<std::io::BufWriter<std::fs::File>> = None;
    let mut report = Report::default();
    let started = Instant::now();
    let today = Timestamp::now().china_date();
    let mut done = resume_from;
    let mut iter = iter.skip(resume_from).peekable();
    while iter.peek().is_some() {
        let chunk: Vec<Item> = iter.by_ref().take(batch).collect();
        let n = chunk.len();
        let mut lines = Vec::with_capacity(n);
        let mut values = Vec::with_capacity(n);
        let mut refused: Vec<(usize, Vec<FieldError>)> = Vec::new();
        for (line, item) in chunk {
            match item {
                Ok(v) => {
                    lines.push(line);
                    values.push(v);
                }
                Err(e) => refused.push((line, vec![e])),
            }
        }
        let (good, bad) = prepare(&values, 0, None, today);
        refused.extend(bad.into_iter().map(|(i, e)| (lines[i], at_line(e, lines[i]))));
        let options = Options::bulk();
        let outcome = ingest::store(store, good, options).await.context("storing a batch")?;
        refused.extend(outcome.refused.into_iter().map(|(i, e)| (lines[i], at_line(e, lines[i]))));
        report.stored += outcome.stored;
        report.duplicates += outcome.duplicates;
        report.anomalies += outcome.anomalies;
        report.refused += refused.len();
        if !refused.is_empty() {
            let w = match &mut errors_out {
                Some(w) => w,
                None => {
                    let f = std::fs::File::create(errors_path(file))?;
                    errors_out.insert(std::io::BufWriter::new(f))
                }
            };
            refused.sort_by_key(|(l, _)| *l);
            for (line, errs) in &refused {
                serde_json::to_writer(&mut *w, &json!({"line": line, "errors": errs}))?;
                w.write_all(b"\n")?;
                if show_progress && report.refused <= 10 {
                    let first = errs.first().map(|e| format!("{}: {}", e.field, e.message)).unwrap_or_default();
                    eprintln!("\r{first}");
                }
            }
            w.flush()?;
        }
        done += n;
        std::fs::write(&progress_file, json!({"size": size, "done": done}).to_string())?;
        report.seconds = started.elapsed().as_secs_f64();
        if show_progress {
            bar(done, total, &report);
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    if show_progress {
        eprintln!();
    }
    let _ = std::fs::remove_file(&progress_file);
    Ok(report)
}

/// Errors of an event named by its line in the file: `eventList[3].action` → `line 12: action`.
fn at_line(errors: Vec<FieldError>, line: usize) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            if let Some(rest) = e.field.strip_prefix("eventList[").and_then(|r| r.split_once(']')).map(|(_, r)| r) {
                e.field = format!("line {line}: {}", rest.trim_start_matches('.'));
            }
            e
        })
        .collect()
}

/// `[#########           ] 45% 45000/100000  52000/s  3 refused  12 anomalies`
fn bar(done: usize, total: usize, r: &Report) {
    let width = 30;
    let frac = if total == 0 { 1.0 } else { (done as f64 / total as f64).min(1.0) };
    let filled = (frac * width as f64) as usize;
    eprint!(
        "\r[{}{}] {:>3.0}% {done}/{total}  {:.0}/s  {} refused  {} anomalies ",
        "#".repeat(filled),
        " ".repeat(width - filled),
        frac * 100.0,
        r.rate(),
        r.refused,
        r.anomalies
    );
    let _ = std::io::stderr().flush();
}
