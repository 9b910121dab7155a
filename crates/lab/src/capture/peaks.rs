//! Peak tables exported by chromatography data systems (色谱工作站峰表): Waters Empower, Thermo
//! Chromeleon and Agilent OpenLab each write CSV-like text whose title lines, delimiter and column
//! names vary with how the user set the export up. Columns are found by their header, never by
//! position: a [`Mapping`] lists the header names each field may have (case, spaces, units in
//! brackets and quotes do not matter); the header row is the first line in which the retention
//! time and area columns are found; lines before it are kept as metadata (`key: value` or
//! `key,value`); the delimiter is whichever of comma, tab and semicolon finds the most columns.

use super::{refuse, ParseError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Largest export read, bytes.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// Most peak rows read.
pub const MAX_PEAKS: usize = 10_000;

/// The fields a peak table gives, and the header names each may have.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mapping {
    pub name: Vec<String>,
    pub retention_time: Vec<String>,
    pub area: Vec<String>,
    pub height: Vec<String>,
    pub amount: Vec<String>,
    pub tailing: Vec<String>,
    pub plates: Vec<String>,
    pub resolution: Vec<String>,
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

impl Default for Mapping {
    /// The headers of the three systems' default peak-table reports.
    fn default() -> Self {
        Mapping {
            name: names(&["name", "peak name", "compound", "compound name", "peak", "组分", "峰名称", "名称"]),
            retention_time: names(&["rt", "ret. time", "ret.time", "retention time", "rettime", "保留时间"]),
            area: names(&["area", "peak area", "峰面积", "面积"]),
            height: names(&["height", "peak height", "峰高"]),
            amount: names(&["amount", "conc.", "concentration", "含量", "浓度"]),
            tailing: names(&["usp tailing", "tailing", "asymmetry", "symmetry", "tailing factor", "拖尾因子"]),
            plates: names(&[
                "usp plate count",
                "plates",
                "plates (ep)",
                "plates (usp)",
                "plate count",
                "theoretical plates",
                "理论板数",
            ]),
            resolution: names(&["usp resolution", "resolution", "resolution (ep)", "resolution (usp)", "分离度"]),
        }
    }
}

/// One peak.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Peak {
    pub name: String,
    pub retention_time: f64,
    pub area: f64,
    pub height: Option<f64>,
    pub amount: Option<f64>,
    pub tailing: Option<f64>,
    pub plates: Option<f64>,
    pub resolution: Option<f64>,
}

/// A parsed export: its title lines and its peaks in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PeakTable {
    pub metadata: Vec<(String, String)>,
    pub peaks: Vec<Peak>,
}

/// A header cell as compared: lower case, quotes and a trailing unit in brackets dropped,
/// inner spaces collapsed. `"RT [min]"` → `rt`, `Area (µV*s)` → `area`.
fn key(cell: &str) -> String {
    let mut s = cell.trim().trim_matches('"').trim().to_lowercase();
    for (open, close) in [('[', ']'), ('(', ')')] {
        if s.ends_with(close) {
            if let Some(i) = s.rfind(open) {
                let inner = &s[i + 1..s.len() - 1];
                // Keep a qualifier that names a pharmacopoeia ("plates (ep)"); drop a unit.
                if !["ep", "usp", "jp"].contains(&inner.trim()) {
                    s.truncate(i);
                }
            }
        }
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Splits a line at `delim`, outside double quotes; a doubled quote inside quotes is one quote.
fn split(line: &str, delim: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == delim && !quoted => out.push(std::mem::take(&mut cell)),
            c => cell.push(c),
        }
    }
    out.push(cell);
    out
}

/// Column of each field in a header row, if it is one (retention time and area found).
fn columns(cells: &[String], m: &Mapping) -> Option<[Option<usize>; 8]> {
    let keys: Vec<String> = cells.iter().map(|c| key(c)).collect();
    let find = |names: &[String]| keys.iter().position(|k| names.iter().any(|n| n == k));
    let cols = [
        find(&m.name),
        find(&m.retention_time),
        find(&m.area),
        find(&m.height),
        find(&m.amount),
        find(&m.tailing),
        find(&m.plates),
        find(&m.resolution),
    ];
    (cols[1].is_some() && cols[2].is_some()).then_some(cols)
}

/// A number as exports write it: `1,523,400` (thousands commas when the delimiter is not a
/// comma, or inside quotes), `12,5` (decimal comma beside a semicolon delimiter), `n.a.` / `-` /
/// empty as none.
fn number(cell: &str, delim: char) -> Result<Option<f64>, ()> {
    let t = cell.trim().trim_matches('"').trim();
    if t.is_empty() || ["-", "n.a.", "n/a", "na", "---"].contains(&t.to_lowercase().as_str()) {
        return Ok(None);
    }
    let text =
        if delim == ';' && t.contains(',') && !t.contains('.') { t.replace(',', ".") } else { t.replace(',', "") };
    let text = text.replace([' ', '\u{a0}'], "");
    text.parse::<f64>().ok().filter(|v| v.is_finite()).map(Some).ok_or(())
}

/// Parses a peak-table export.
pub fn parse(text: &str, m: &Mapping) -> Result<PeakTable, ParseError> {
    if text.len() > MAX_BYTES {
        return Err(refuse(0, "too_large", format!("a peak table of at most {MAX_BYTES} bytes")));
    }
    let text = text.trim_start_matches('\u{feff}');
    let lines: Vec<&str> = text.lines().collect();
    let mut header = None;
    for (i, line) in lines.iter().enumerate() {
        let best = [',', '\t', ';']
            .into_iter()
            .filter_map(|d| {
                let cells = split(line, d);
                columns(&cells, m).map(|cols| (cols.iter().flatten().count(), d, cols))
            })
            .max_by_key(|(n, _, _)| *n);
        if let Some((_, d, cols)) = best {
            header = Some((i, d, cols));
            break;
        }
    }
    let Some((at, delim, cols)) = header else {
        return Err(refuse(0, "no_header", "no header row with a retention time and an area column"));
    };
    let mut table = PeakTable::default();
    for line in &lines[..at] {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (k, v) = match line.split_once(':').or_else(|| line.split_once([',', '\t', ';'])) {
            Some((k, v)) => {
                (k.trim().trim_matches('"').to_string(), v.trim().trim_matches(|c| c == '"' || c == ',').to_string())
            }
            None => (line.to_string(), String::new()),
        };
        table.metadata.push((k, v));
    }
    for (offset, line) in lines[at + 1..].iter().enumerate() {
        let number_of_line = at + 2 + offset;
        if line.trim().is_empty() {
            continue;
        }
        let cells = split(line, delim);
        // A report with one table per compound repeats the header before each.
        if columns(&cells, m).is_some() {
            continue;
        }
        let cell = |col: Option<usize>| col.and_then(|c| cells.get(c)).map(String::as_str).unwrap_or("");
        // A line without a retention time (a "Sum" or "Total" line, a section title) is not a
        // peak.
        let rt = match number(cell(cols[1]), delim) {
            Ok(Some(rt)) => rt,
            Ok(None) => continue,
            Err(()) if cells.len() < 2 => continue,
            Err(()) => {
                let what = format!("the retention time {:?} is not a number", cell(cols[1]));
                return Err(refuse(number_of_line, "number", what));
            }
        };
        let Ok(Some(area)) = number(cell(cols[2]), delim) else {
            return Err(refuse(number_of_line, "number", format!("the area {:?} is not a number", cell(cols[2]))));
        };
        if table.peaks.len() >= MAX_PEAKS {
            return Err(refuse(number_of_line, "too_many", format!("at most {MAX_PEAKS} peaks")));
        }
        let optional = |i: usize, what: &str| -> Result<Option<f64>, ParseError> {
            number(cell(cols[i]), delim).map_err(|_| {
                refuse(number_of_line, "number", format!("the {what} {:?} is not a number", cell(cols[i])))
            })
        };
        table.peaks.push(Peak {
            name: cell(cols[0]).trim().trim_matches('"').to_string(),
            retention_time: rt,
            area,
            height: optional(3, "height")?,
            amount: optional(4, "amount")?,
            tailing: optional(5, "tailing")?,
            plates: optional(6, "plate count")?,
            resolution: optional(7, "resolution")?,
        });
    }
    if table.peaks.is_empty() {
        return Err(refuse(at + 1, "no_peaks", "the header has no peak rows under it"));
    }
    Ok(table)
}

/// The header names as the export's own keys, for a mapping set from the columns a user picks.
pub fn header_keys(line: &str) -> BTreeMap<String, usize> {
    let delim = [',', '\t', ';'].into_iter().max_by_key(|d| line.matches(*d).count()).unwrap_or(',');
    split(line, delim).iter().enumerate().map(|(i, c)| (key(c), i)).collect()
}
