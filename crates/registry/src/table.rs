//! Lists in and out as spreadsheets: reading an uploaded Excel (`.xlsx`, `.xls`) or CSV file
//! into rows of text, and writing rows as an `.xlsx` workbook. CSV is RFC 4180 in UTF-8, with or
//! without the byte-order mark Excel writes.
//!
//! Every read is bounded by [`Limits`], checked before the memory is taken: a few kilobytes must
//! not make the server allocate gigabytes (issue 15: an xlsx whose sheet claimed cell
//! XFD1048576 grew it to 15 GB). calamine is trusted with nothing it would size from the file:
//! an xlsx is opened only after its zip has been counted and inflated within the limits
//! (`guard::check_zip`, which also refuses a shared-string table that claims more strings than
//! cells) and its cells are then streamed one by one, each placed only if it lies inside the
//! limits; an xls is walked record by record first (`guard::check_xls`: its compound-file
//! chains, every sheet's declared dimension and every cell's position), because calamine parses
//! every sheet of an xls when it opens it. A file over a limit is refused with
//! [`TableError::OverLimit`], whose `rule()` names the limit (`max_rows:10000`).

mod guard;

use std::io::Cursor;
use std::time::{Duration, Instant};

/// Uploads larger than this are refused before parsing.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// How much of a file is read; every count is checked before what it counts is allocated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of the file itself.
    pub max_bytes: usize,
    /// Rows below the header row (a cell in a row past `max_rows + 1`, counted from row 1, is
    /// refused).
    pub max_rows: usize,
    /// Columns, counted from column A.
    pub max_columns: usize,
    /// Cells held (the sum of the rows' widths); also the most shared strings an xlsx may declare.
    pub max_cells: usize,
    /// xlsx: bytes of all zip entries together once inflated (a zip bomb inflates a thousandfold).
    pub max_decompressed_bytes: u64,
    /// xlsx: entries in the zip (an ordinary workbook has about ten).
    pub max_zip_entries: usize,
    /// xls: sheets in the workbook (calamine parses each one when the file is opened).
    pub max_sheets: usize,
    /// Time to read the file; past it the read stops and the file is refused.
    pub max_time: Duration,
}

impl Limits {
    /// A cell at (`row`, `col`), both from 0 with the header in row 0, is within the rows and
    /// columns read; else the refusal names the cell.
    pub(crate) fn check_position(&self, row: u32, col: u32) -> Result<(), TableError> {
        if row as usize > self.max_rows {
            let message = format!(
                "the sheet has a cell at {} (row {}); at most {} rows below the header are read",
                a1(row, col),
                row as u64 + 1,
                self.max_rows
            );
            return Err(TableError::over("max_rows", self.max_rows, message));
        }
        if col as usize >= self.max_columns {
            let message = format!(
                "the sheet has a cell at {} (column {}); at most {} columns are read",
                a1(row, col),
                col as u64 + 1,
                self.max_columns
            );
            return Err(TableError::over("max_columns", self.max_columns, message));
        }
        Ok(())
    }

    /// An upload over HTTP (the product import): 10,000 rows of at most 100 columns — a list
    /// that takes a minute or two to register row by row — in a file of at most 10 MiB that
    /// inflates to at most 64 MiB (an xlsx of 10,000 rows × 12 columns inflates to about 10 MiB).
    pub const UPLOAD: Limits = Limits {
        max_bytes: MAX_UPLOAD_BYTES,
        max_rows: 10_000,
        max_columns: 100,
        max_cells: 1_000_000,
        max_decompressed_bytes: 64 * 1024 * 1024,
        max_zip_entries: 1_000,
        max_sheets: 256,
        max_time: Duration::from_secs(30),
    };

    /// A file the operator names on the command line (`yaolian trace import`): Excel's own
    /// maximum of rows, operation rows of up to 256 columns, and room for the largest sheets
    /// Excel writes; still bounded, so that a hostile file handed on cannot exhaust the machine.
    pub const OPERATOR_FILE: Limits = Limits {
        max_bytes: 2 * 1024 * 1024 * 1024,
        max_rows: 10_000_000,
        max_columns: 256,
        max_cells: 100_000_000,
        max_decompressed_bytes: 8 * 1024 * 1024 * 1024,
        max_zip_entries: 10_000,
        max_sheets: 1_024,
        max_time: Duration::from_secs(3_600),
    };
}

/// What went wrong reading a file, for the whole file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("the file is empty")]
    Empty,
    #[error("not a spreadsheet this system reads (xlsx, xls, csv): {0}")]
    Unreadable(String),
    #[error("CSV must be UTF-8 (save as “CSV UTF-8” in Excel): invalid bytes at line {0}")]
    NotUtf8(usize),
    #[error("CSV line {0}: a quoted field is not closed")]
    UnclosedQuote(usize),
    /// A limit of [`Limits`] is exceeded: `limit` names it (`max_rows`), `max` is its value.
    #[error("{message}")]
    OverLimit { limit: &'static str, max: u64, message: String },
}

impl TableError {
    /// The rule a refusal breaks, for `FieldError::rule`: `max_rows:10000` for a limit.
    pub fn rule(&self) -> String {
        match self {
            TableError::Empty => "required".into(),
            TableError::Unreadable(_) => "format".into(),
            TableError::NotUtf8(_) => "utf8".into(),
            TableError::UnclosedQuote(_) => "csv_quote".into(),
            TableError::OverLimit { limit, max, .. } => format!("{limit}:{max}"),
        }
    }

    fn over(limit: &'static str, max: impl TryInto<u64>, message: impl Into<String>) -> TableError {
        TableError::OverLimit { limit, max: max.try_into().unwrap_or(u64::MAX), message: message.into() }
    }
}

fn unreadable(e: impl std::fmt::Display) -> TableError {
    TableError::Unreadable(e.to_string())
}

/// Rows of a sheet as text; the first row is the header.
pub type Rows = Vec<Vec<String>>;

/// Reads the first sheet of an Excel workbook, or a CSV file (told apart by content), of an
/// upload, within [`Limits::UPLOAD`].
pub fn read(bytes: &[u8]) -> Result<Rows, TableError> {
    read_with(bytes, &Limits::UPLOAD)
}

/// Reads a spreadsheet the operator names (not an upload), within [`Limits::OPERATOR_FILE`].
pub fn parse(bytes: &[u8]) -> Result<Rows, TableError> {
    read_with(bytes, &Limits::OPERATOR_FILE)
}

/// Reads the first sheet of an Excel workbook or a CSV file within `limits`.
pub fn read_with(bytes: &[u8], limits: &Limits) -> Result<Rows, TableError> {
    if bytes.len() > limits.max_bytes {
        let message = format!("the file has {} bytes; at most {} are read", bytes.len(), limits.max_bytes);
        return Err(TableError::over("max_bytes", limits.max_bytes, message));
    }
    if bytes.is_empty() {
        return Err(TableError::Empty);
    }
    let deadline = Deadline::new(limits);
    // xlsx is a zip (PK\x03\x04); xls is an OLE compound file.
    if bytes.starts_with(b"PK\x03\x04") {
        return caught(|| read_xlsx(bytes, limits, &deadline));
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return caught(|| read_xls(bytes, limits, &deadline));
    }
    read_csv(bytes, limits, &deadline)
}

/// Runs calamine on a file, a panic in it being a refusal of the file. calamine indexes the
/// records of an xls by the length their type should have, not the length they have: a FilePass,
/// CodePage or DateMode record shorter than two bytes panics while the workbook is opened (found
/// by `crates/registry/tests/fuzz.rs`). The guards check what calamine would size from a file;
/// every record's length is calamine's to check, and until it does, this is the backstop (the
/// workspace unwinds on panic, and calamine holds nothing of ours across the call).
fn caught(read: impl FnOnce() -> Result<Rows, TableError>) -> Result<Rows, TableError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|payload| {
        let why = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(TableError::Unreadable(format!("the file is malformed; its reader stopped: {why}")))
    })
}

/// The time a read may take.
struct Deadline {
    end: Instant,
    max: Duration,
}

impl Deadline {
    fn new(limits: &Limits) -> Deadline {
        let now = Instant::now();
        Deadline { end: now.checked_add(limits.max_time).unwrap_or(now), max: limits.max_time }
    }

    fn check(&self) -> Result<(), TableError> {
        if Instant::now() > self.end {
            let secs = self.max.as_secs();
            return Err(TableError::over("max_seconds", secs, format!("reading the file took more than {secs} s")));
        }
        Ok(())
    }
}

/// `A1` notation of a zero-based (row, column).
fn a1(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut c = col as u64 + 1;
    while c > 0 {
        let rem = ((c - 1) % 26) as u8;
        letters.push(char::from(b'A' + rem));
        c = (c - 1) / 26;
    }
    letters.iter().rev().collect::<String>() + &(row as u64 + 1).to_string()
}

/// The cells of a sheet as they arrive, each placed only inside the limits. Like calamine's
/// `Range`, the rows returned start at the first row and column holding a cell.
struct Grid<'a> {
    limits: &'a Limits,
    deadline: &'a Deadline,
    rows: Rows,
    held: usize,
    placed: usize,
    first: Option<(usize, usize)>,
}

impl<'a> Grid<'a> {
    fn new(limits: &'a Limits, deadline: &'a Deadline) -> Grid<'a> {
        Grid { limits, deadline, rows: Vec::new(), held: 0, placed: 0, first: None }
    }

    fn place(&mut self, row: u32, col: u32, text: &str) -> Result<(), TableError> {
        let (r, c) = (row as usize, col as usize);
        let l = self.limits;
        l.check_position(row, col)?;
        if self.rows.len() <= r {
            self.rows.resize_with(r + 1, Vec::new);
        }
        let line = &mut self.rows[r];
        if line.len() <= c {
            self.held += c + 1 - line.len();
            if self.held > l.max_cells {
                let message = format!("the sheet holds more than {} cells", l.max_cells);
                return Err(TableError::over("max_cells", l.max_cells, message));
            }
            line.resize(c + 1, String::new());
        }
        line[c] = text.trim().to_string();
        let (fr, fc) = self.first.unwrap_or((r, c));
        self.first = Some((fr.min(r), fc.min(c)));
        self.placed += 1;
        if self.placed.is_multiple_of(1024) {
            self.deadline.check()?;
        }
        Ok(())
    }

    fn finish(self) -> Result<Rows, TableError> {
        let Some((fr, fc)) = self.first else { return Err(TableError::Empty) };
        Ok(self.rows.into_iter().skip(fr).map(|row| row.into_iter().skip(fc).collect()).collect())
    }
}

fn read_xlsx(bytes: &[u8], limits: &Limits, deadline: &Deadline) -> Result<Rows, TableError> {
    use calamine::{Data, DataRef, Reader, Xlsx, XlsxError};
    guard::check_zip(bytes, limits, deadline)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let Some(name) = book.sheet_names().first().cloned() else { return Err(TableError::Empty) };
    // The cell reader streams the sheet: nothing is sized from the dimension it declares.
    let mut cells = match book.worksheet_cells_reader(&name) {
        Ok(cells) => cells,
        Err(XlsxError::NotAWorksheet(_)) => return Err(TableError::Empty),
        Err(e) => return Err(unreadable(e)),
    };
    let mut grid = Grid::new(limits, deadline);
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        if matches!(cell.get_value(), DataRef::Empty) {
            continue;
        }
        let (row, col) = cell.get_position();
        grid.place(row, col, &Data::from(cell.get_value().clone()).to_string())?;
    }
    grid.finish()
}

fn read_xls(bytes: &[u8], limits: &Limits, deadline: &Deadline) -> Result<Rows, TableError> {
    use calamine::{Reader, Xls};
    // calamine parses every sheet, sized by what the file declares, as it opens an xls.
    guard::check_xls(bytes, limits, deadline)?;
    let mut book: Xls<_> = Xls::new(Cursor::new(bytes)).map_err(unreadable)?;
    let range = match book.worksheet_range_at(0) {
        Some(Ok(range)) => range,
        Some(Err(e)) => return Err(unreadable(e)),
        None => return Err(TableError::Empty),
    };
    let (r0, c0) = range.start().unwrap_or((0, 0));
    let mut grid = Grid::new(limits, deadline);
    for (r, c, value) in range.used_cells() {
        grid.place(r0 + r as u32, c0 + c as u32, &value.to_string())?;
    }
    grid.finish()
}

fn read_csv(bytes: &[u8], limits: &Limits, deadline: &Deadline) -> Result<Rows, TableError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        TableError::NotUtf8(line)
    })?;
    let mut csv = Csv { limits, rows: Vec::new(), row: Vec::new(), held: 0 };
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut chars = text.chars().peekable();
    let mut seen = 0usize;
    while let Some(c) = chars.next() {
        seen += 1;
        if seen.is_multiple_of(65_536) {
            deadline.check()?;
        }
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => csv.field(&mut field)?,
            (false, '\r') => {}
            (false, '\n') => {
                csv.field(&mut field)?;
                csv.end_row()?;
                line += 1;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(TableError::UnclosedQuote(line));
    }
    if !field.is_empty() || !csv.row.is_empty() {
        csv.field(&mut field)?;
        csv.end_row()?;
    }
    if csv.rows.is_empty() {
        return Err(TableError::Empty);
    }
    Ok(csv.rows)
}

/// Rows of a CSV file as they are read, counted against the limits before each is kept.
struct Csv<'a> {
    limits: &'a Limits,
    rows: Rows,
    row: Vec<String>,
    held: usize,
}

impl Csv<'_> {
    fn field(&mut self, field: &mut String) -> Result<(), TableError> {
        let max = self.limits.max_columns;
        if self.row.len() >= max {
            let message = format!("row {} has more than {max} columns", self.rows.len() + 1);
            return Err(TableError::over("max_columns", max, message));
        }
        self.row.push(std::mem::take(field).trim().to_string());
        Ok(())
    }

    /// Keeps the row unless it is blank.
    fn end_row(&mut self) -> Result<(), TableError> {
        let row = std::mem::take(&mut self.row);
        if row.iter().all(|f| f.is_empty()) {
            return Ok(());
        }
        let l = self.limits;
        if self.rows.len() > l.max_rows {
            let message = format!("the file has more than {} rows below the header", l.max_rows);
            return Err(TableError::over("max_rows", l.max_rows, message));
        }
        self.held += row.len();
        if self.held > l.max_cells {
            return Err(TableError::over(
                "max_cells",
                l.max_cells,
                format!("the file holds more than {} cells", l.max_cells),
            ));
        }
        self.rows.push(row);
        Ok(())
    }
}

/// An exported list ([`yaolian_audit::Table`]) as an `.xlsx` workbook: the one writer behind
/// every list's Excel export.
pub fn table_xlsx(table: &yaolian_audit::Table) -> Result<Vec<u8>, TableError> {
    let header: Vec<&str> = table.header.iter().map(String::as_str).collect();
    write_xlsx(&table.title, &header, &table.rows)
}

/// Writes a header and rows as a one-sheet `.xlsx` workbook (header bold and frozen; every cell
/// text, so codes keep their leading zeros).
pub fn write_xlsx(sheet: &str, header: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, TableError> {
    use rust_xlsxwriter::{Format, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| TableError::Unreadable(e.to_string());
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).map_err(fail)?;
    let bold = Format::new().set_bold();
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold).map_err(fail)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            ws.write_string(r as u32 + 1, c as u16, value.as_str()).map_err(fail)?;
        }
    }
    ws.set_freeze_panes(1, 0).map_err(fail)?;
    ws.autofit();
    book.save_to_buffer().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_bom_quotes_and_crlf() {
        let text =
            "\u{feff}批准文号,通用名\r\n国药准字H20230001,\"盐酸二甲双胍片, 0.5g\"\r\n\"a\"\"b\",\"多\n行\"\r\n,\r\n";
        let rows = read(text.as_bytes()).unwrap();
        assert_eq!(rows[0], vec!["批准文号", "通用名"]);
        assert_eq!(rows[1], vec!["国药准字H20230001", "盐酸二甲双胍片, 0.5g"]);
        assert_eq!(rows[2], vec!["a\"b", "多\n行"]);
        assert_eq!(rows.len(), 3, "the blank row is dropped");
        assert_eq!(read(b"a,\"b\nc").unwrap_err(), TableError::UnclosedQuote(2));
        assert_eq!(read(b"a\n\xff").unwrap_err(), TableError::NotUtf8(2));
        assert_eq!(read(b"").unwrap_err(), TableError::Empty);
    }

    #[test]
    fn xlsx_round_trip_keeps_text() {
        let rows = vec![vec!["09506000134352".to_string(), "盐酸二甲双胍片".to_string()]];
        let bytes = write_xlsx("药品", &["GTIN", "通用名"], &rows).unwrap();
        assert!(bytes.starts_with(b"PK\x03\x04"));
        let back = read(&bytes).unwrap();
        assert_eq!(back[0], vec!["GTIN", "通用名"]);
        assert_eq!(back[1], rows[0]);
        assert!(matches!(read(b"PK\x03\x04garbage").unwrap_err(), TableError::Unreadable(_)));
    }
}
