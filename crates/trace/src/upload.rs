//! 追溯数据上报: a company uploads its trace data as a file — an EPCIS 2.0 document (JSON /
//! JSON-LD), JSON lines (one event or document per line) or the operations sheet (Excel / CSV,
//! see [`ops`]) — and sees each upload as a capture job (`capture`: the same jobs, table and
//! audit as the EPCIS capture interface) with how many events were stored and every refused
//! line with its reason in Chinese (`labels::refusal`). A company reports only at its own sites
//! (`capture::reporting_sites`); the good lines are stored, the bad ones named.

use serde::Serialize;
use serde_json::{json, Value};
use sqlx::Row;
use yaolian_access::perm;
use yaolian_access::{ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::{FieldError, Timestamp, ValidationError};
use yaolian_registry::table::{self, TableError};
use yaolian_store::Store;

use crate::capture::{self, Behaviour};
use crate::ingest::{self, Options};
use crate::labels::{self, At};
use crate::{epcis, ops, TraceError};

/// The largest file the upload page takes (the registry's upload limit, 10 MiB).
pub const MAX_BYTES: usize = table::MAX_UPLOAD_BYTES;

/// What kind of file an upload was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// An EPCIS document (JSON / JSON-LD): refusals name the event.
    Document,
    /// JSON lines: refusals name the line.
    Lines,
    /// The operations sheet (xlsx / xls / csv): refusals name the line, the header being line 1.
    Sheet,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Document => "document",
            Source::Lines => "lines",
            Source::Sheet => "sheet",
        }
    }

    pub fn zh(source: &str) -> &'static str {
        match source {
            "document" => "EPCIS 文档",
            "lines" => "JSON 行文件",
            "sheet" => "操作表格",
            _ => "接口上报",
        }
    }

    /// From the file name's extension.
    pub fn of(file_name: &str) -> Option<Source> {
        let ext = file_name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        match ext.as_str() {
            "json" | "jsonld" => Some(Source::Document),
            "jsonl" | "ndjson" => Some(Source::Lines),
            "csv" | "xlsx" | "xls" => Some(Source::Sheet),
            _ => None,
        }
    }
}

/// One item of a file: where it was and its event, or why it is none.
pub type Item = (At, Result<Value, FieldError>);

fn file_error(rule: impl Into<String>, message: impl Into<String>) -> ValidationError {
    ValidationError { errors: vec![FieldError::new("file", rule, message)] }
}

/// A sheet that cannot be read, in Chinese.
fn table_error(e: &TableError) -> ValidationError {
    let message = match e {
        TableError::Empty => "文件是空的".to_string(),
        TableError::Unreadable(_) => "不是可读取的表格文件（支持 xlsx、xls、csv）".to_string(),
        TableError::NotUtf8(n) => format!("CSV 须为 UTF-8 编码（在 Excel 中另存为“CSV UTF-8”）：第 {n} 行有无效字节"),
        TableError::UnclosedQuote(n) => format!("CSV 第 {n} 行的引号未闭合"),
        TableError::OverLimit { limit, max, .. } => format!("超出上限：{limit} 为 {max}"),
    };
    file_error(e.rule(), message)
}

/// Reads an uploaded file into its items (pure; run it on a blocking thread).
pub fn read(file_name: &str, bytes: &[u8]) -> Result<(Source, Vec<Item>), ValidationError> {
    if bytes.is_empty() {
        return Err(file_error("required", "请选择要上报的文件"));
    }
    if bytes.len() > MAX_BYTES {
        return Err(file_error(format!("max_bytes:{MAX_BYTES}"), format!("文件超过 {} MiB", MAX_BYTES / 1024 / 1024)));
    }
    let Some(source) = Source::of(file_name) else {
        return Err(file_error("one_of:json,jsonld,jsonl,csv,xlsx,xls", "文件类型不支持：请上传 EPCIS 文档（.json / .jsonld）、JSON 行文件（.jsonl）或操作表格（.xlsx / .xls / .csv）"));
    };
    let limits = &epcis::DocumentLimits::CAPTURE;
    let items = match source {
        Source::Document => {
            let doc = epcis::parse_document(bytes, limits)
                .map_err(|e| file_error(e.code(), format!("不是有效的 EPCIS JSON 文档：{}", short(&e.to_string()))))?;
            let events = capture::event_list(&doc).map_err(|e| {
                let sentences: Vec<String> = e.errors.iter().map(|f| labels::refusal(At::File, f)).collect();
                file_error("epcis", sentences.join("；"))
            })?;
            events.into_iter().enumerate().map(|(i, e)| (At::Event(i + 1), Ok(e))).collect()
        }
        Source::Lines => {
            let text = std::str::from_utf8(bytes).map_err(|_| file_error("utf8", "JSON 行文件须为 UTF-8 编码"))?;
            let mut items = Vec::new();
            for (i, line) in text.lines().enumerate() {
                let at = At::Line(i + 1);
                if line.trim().is_empty() {
                    continue;
                }
                match epcis::parse_document(line.as_bytes(), limits) {
                    Ok(v) if v.get("type").and_then(Value::as_str) == Some("EPCISDocument") => {
                        match capture::event_list(&v) {
                            Ok(list) => items.extend(list.into_iter().map(|e| (at, Ok(e)))),
                            Err(e) => items.extend(e.errors.into_iter().map(|e| (at, Err(e)))),
                        }
                    }
                    Ok(v) => items.push((at, Ok(v))),
                    Err(e) => items.push((at, Err(FieldError::new(format!("line {}", i + 1), "json", e.to_string())))),
                }
            }
            items
        }
        Source::Sheet => {
            let rows = table::read(bytes).map_err(|e| table_error(&e))?;
            let Some((header, body)) = rows.split_first() else {
                return Err(file_error("required", "表格是空的"));
            };
            let layout =
                ops::Layout::of(header).map_err(|e| file_error(e.rule.clone(), labels::refusal(At::File, &e)))?;
            body.iter()
                .enumerate()
                .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()))
                .map(|(i, r)| (At::Line(i + 2), ops::to_event(&layout, r, i + 2)))
                .collect()
        }
    };
    if items.len() > capture::CAPTURE_LIMIT {
        return Err(file_error(
            format!("max_events:{}", capture::CAPTURE_LIMIT),
            format!("一次最多上报 {} 个事件，请分成几个文件", capture::CAPTURE_LIMIT),
        ));
    }
    Ok((source, items))
}

fn short(s: &str) -> String {
    s.chars().take(120).collect()
}

/// An item's place as stored in the job's errors.
fn at_json(at: At) -> Value {
    match at {
        At::Line(n) => json!({"line": n}),
        At::Event(n) => json!({"eventIndex": n - 1}),
        At::File => json!({}),
    }
}

/// Uploads a file as `principal`: read, checked line by line, stored at the principal's own
/// sites, recorded as a capture job. Returns the job's id. A file that cannot be read at all is
/// refused as a whole (`ValidationError` on `file`) and starts no job.
pub async fn submit(
    store: &Store,
    principal: &Principal,
    file_name: &str,
    bytes: Vec<u8>,
    client: &ClientInfo,
) -> Result<i64, TraceError> {
    let allowed = capture::reporting_sites(store, principal, client).await?;
    let name: String = file_name.trim().chars().take(200).collect();
    let reading = name.clone();
    let read = tokio::task::spawn_blocking(move || read(&reading, &bytes))
        .await
        .unwrap_or_else(|e| Err(file_error("file", format!("文件无法读取：{e}"))));
    let (source, items) = read?;
    let id = capture::start(store, principal, items.len(), Behaviour::Proceed, client).await?;
    sqlx::query("UPDATE trace_captures SET file_name = $1, source = $2, org_id = $3 WHERE id = $4")
        .bind(&name)
        .bind(source.as_str())
        .bind((!principal.is_system()).then_some(principal.org_id()))
        .bind(id)
        .execute(store.pool())
        .await?;
    let mut places = Vec::with_capacity(items.len());
    let mut values = Vec::with_capacity(items.len());
    let mut refused: Vec<(At, Vec<FieldError>)> = Vec::new();
    for (at, item) in items {
        match item {
            Ok(v) => {
                places.push(at);
                values.push(v);
            }
            Err(e) => refused.push((at, vec![e])),
        }
    }
    let (good, bad) = capture::prepare(&values, 0, allowed.as_ref(), Timestamp::now().china_date());
    refused.extend(bad.into_iter().map(|(i, e)| (places[i], e)));
    let options = Options {
        capture_id: Some(id),
        all_or_nothing: false,
        duplicates_are_errors: true,
        reporter: ingest::Reporter::of(principal),
    };
    let stored = match ingest::store(store, good, options).await {
        Ok(outcome) => {
            refused.extend(outcome.refused.into_iter().map(|(i, e)| (places[i], e)));
            outcome.stored
        }
        Err(e) => {
            let errors = vec![json!({"detail": e.to_string()})];
            capture::finish_with(store, id, true, 0, errors).await?;
            return Err(e);
        }
    };
    refused.sort_by_key(|(at, _)| match at {
        At::Line(n) | At::Event(n) => *n,
        At::File => 0,
    });
    let errors: Vec<Value> = refused
        .into_iter()
        .map(|(at, errs)| {
            let mut v = at_json(at);
            v["errors"] = json!(errs);
            v
        })
        .collect();
    let failed = stored == 0 && !errors.is_empty();
    capture::finish_with(store, id, failed, stored as i64, errors).await?;
    Ok(id)
}

/// A refused line (or event) with its reasons in Chinese.
#[derive(Debug, Clone, Serialize)]
pub struct Refused {
    /// 第 7 行 / 第 3 个事件.
    pub at: String,
    pub reasons: Vec<String>,
}

/// An upload as its company sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Upload {
    pub id: i64,
    pub file_name: String,
    pub source: String,
    pub source_zh: String,
    /// 处理中 / 已完成 / 失败.
    pub status_zh: String,
    pub running: bool,
    pub total: i64,
    pub stored: i64,
    pub refused_count: i64,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    pub refused: Vec<Refused>,
}

/// May `principal` upload trace data (the page offers the form to exactly these)?
pub fn may_upload(principal: &Principal) -> bool {
    principal.is_system()
        || principal.has(perm::TRACE_CAPTURE)
        || (principal.org_kind().is_regulator() && principal.has(perm::TRACE_MANAGE))
}

const COLUMNS: &str = "id, file_name, source, status, total, stored, errors, created_at, finished_at, user_id, org_id";

fn upload_from(r: &sqlx::any::AnyRow) -> Result<Upload, TraceError> {
    let source: String = r.try_get(2)?;
    let status: String = r.try_get(3)?;
    let errors: String = r.try_get(6)?;
    let errors: Vec<Value> = serde_json::from_str(&errors).unwrap_or_default();
    let refused: Vec<Refused> = errors.iter().map(refused_zh).collect();
    Ok(Upload {
        id: r.try_get(0)?,
        file_name: r.try_get(1)?,
        source_zh: Source::zh(&source).into(),
        source,
        status_zh: match status.as_str() {
            "accepted" => "处理中",
            "succeeded" if refused.is_empty() => "全部接收",
            "succeeded" => "部分接收",
            _ => "未接收",
        }
        .into(),
        running: status == "accepted",
        total: r.try_get(4)?,
        stored: r.try_get(5)?,
        refused_count: refused.len() as i64,
        created_at: r.try_get(7)?,
        finished_at: r.try_get(8)?,
        refused,
    })
}

/// One stored refusal (`{"line": 7, "errors": […]}`, `{"eventIndex": 2, …}` or `{"detail": …}`)
/// in Chinese.
fn refused_zh(v: &Value) -> Refused {
    let at = if let Some(n) = v.get("line").and_then(Value::as_u64) {
        At::Line(n as usize)
    } else if let Some(i) = v.get("eventIndex").and_then(Value::as_u64) {
        At::Event(i as usize + 1)
    } else {
        At::File
    };
    let text = |e: &Value, k: &str| e.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let errors: Vec<FieldError> = v
        .get("errors")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter().map(|e| FieldError::new(text(e, "field"), text(e, "rule"), text(e, "message"))).collect()
        })
        .unwrap_or_default();
    let mut reasons: Vec<String> = Vec::new();
    for sentence in errors.iter().map(|e| labels::refusal(at, e)) {
        // readPoint and bizLocation name the same place: one sentence for both.
        if !reasons.contains(&sentence) {
            reasons.push(sentence);
        }
    }
    if reasons.is_empty() {
        reasons.push(format!("{}：未能保存，请重新上报", at.zh()));
    }
    Refused { at: at.zh(), reasons }
}

/// The uploads of the principal's organization, newest first (at most 100).
pub async fn list(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<Vec<Upload>, TraceError> {
    if !may_upload(principal) {
        return Err(audit::deny(store, principal, perm::TRACE_CAPTURE, "trace_uploads", client).await);
    }
    let sql = format!("SELECT {COLUMNS} FROM trace_captures WHERE org_id = $1 ORDER BY id DESC LIMIT 100");
    let rows = sqlx::query(&sql).bind(principal.org_id()).fetch_all(store.pool()).await?;
    rows.iter().map(upload_from).collect()
}

/// One upload, with its refused lines: for its organization (and a bureau reader, as the
/// capture status is).
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Upload, TraceError> {
    if !may_upload(principal) && !crate::access::is_bureau_reader(principal) {
        return Err(audit::deny(store, principal, perm::TRACE_CAPTURE, "trace_uploads", client).await);
    }
    let sql = format!("SELECT {COLUMNS} FROM trace_captures WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(store.pool()).await?.ok_or(TraceError::not_found("upload"))?;
    let (user, org): (Option<i64>, Option<i64>) = (row.try_get(9)?, row.try_get(10)?);
    let own = org == Some(principal.org_id()) || user == Some(principal.user_id());
    if !own && !crate::access::is_bureau_reader(principal) {
        return Err(TraceError::not_found("upload"));
    }
    upload_from(&row)
}

/// The template sheet as xlsx.
pub fn template_xlsx() -> Result<Vec<u8>, TraceError> {
    let (header, rows) = ops::template();
    table::write_xlsx("追溯数据", &header, &rows).map_err(|e| file_error(e.rule(), e.to_string()).into())
}

/// The template sheet as CSV (UTF-8 with a byte-order mark, so Excel opens it as UTF-8).
pub fn template_csv() -> String {
    let (header, rows) = ops::template();
    let mut out = String::from("\u{feff}");
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for r in rows {
        out.push_str(&r.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sheet_names_its_bad_line_and_the_rest_are_events() {
        let csv = "操作类型,追溯码,操作时间,操作场所\n生产赋码,81000011234567890123,2026-11-28 10:00,6901234000016\n搬运,81000011234567890124,2026-11-28 10:00,6901234000016\n";
        let (source, items) = read("ops.csv", csv.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(source, Source::Sheet);
        assert_eq!(items.len(), 2);
        assert!(items[0].1.is_ok() && items[0].0 == At::Line(2));
        let (at, err) = (&items[1].0, items[1].1.as_ref().err());
        let said = err.map(|e| labels::refusal(*at, e)).unwrap_or_default();
        assert!(said.starts_with("第 3 行：操作类型“搬运”不是可用的值"), "{said}");
    }

    #[test]
    fn a_file_that_is_no_trace_data_is_refused_in_chinese() {
        for (name, bytes, rule) in [
            ("a.txt", &b"x"[..], "one_of:json,jsonld,jsonl,csv,xlsx,xls"),
            ("a.csv", &b""[..], "required"),
            ("a.csv", &b"a,b\n1,2\n"[..], "column_required"),
        ] {
            let e = read(name, bytes).err().map(|e| e.errors[0].clone());
            assert_eq!(e.as_ref().map(|e| e.rule.as_str()), Some(rule), "{name}");
            assert!(e.is_some_and(|e| !e.message.is_ascii()), "{name}");
        }
        let csv = template_csv();
        let (_, items) = read("t.csv", csv.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(items.iter().all(|(_, r)| r.is_ok()));
    }
}
