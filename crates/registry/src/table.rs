//! Lists in and out as spreadsheets: reading an uploaded Excel (`.xlsx`, `.xls`) or CSV file
//! into rows of text, and writing rows as an `.xlsx` workbook. CSV is RFC 4180 in UTF-8, with or
//! without the byte-order mark Excel writes.

use std::io::Cursor;

/// Uploads larger than this are refused before parsing.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// What went wrong reading a file, for the whole file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than {} MiB", MAX_UPLOAD_BYTES / 1024 / 1024)]
    TooLarge,
    #[error("not a spreadsheet this system reads (xlsx, xls, csv): {0}")]
    Unreadable(String),
    #[error("CSV must be UTF-8 (save as “CSV UTF-8” in Excel): invalid bytes at line {0}")]
    NotUtf8(usize),
    #[error("CSV line {0}: a quoted field is not closed")]
    UnclosedQuote(usize),
}

/// Rows of a sheet as text; the first row is the header.
pub type Rows = Vec<Vec<String>>;

/// Reads the first sheet of an Excel workbook, or a CSV file (told apart by content), of an
/// upload (at most `MAX_UPLOAD_BYTES`).
pub fn read(bytes: &[u8]) -> Result<Rows, TableError> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(TableError::TooLarge);
    }
    parse(bytes)
}

/// Reads a spreadsheet of any size (a file the operator names, not an upload).
pub fn parse(bytes: &[u8]) -> Result<Rows, TableError> {
    if bytes.is_empty() {
        return Err(TableError::Empty);
    }
    // xlsx is a zip (PK\x03\x04); xls is an OLE compound file.
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return read_workbook(bytes);
    }
    read_csv(bytes)
}

fn read_workbook(bytes: &[u8]) -> Result<Rows, TableError> {
    use calamine::Reader;
    let mut book =
        calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| TableError::Unreadable(e.to_string()))?;
    let range = match book.worksheet_range_at(0) {
        Some(Ok(range)) => range,
        Some(Err(e)) => return Err(TableError::Unreadable(e.to_string())),
        None => return Err(TableError::Empty),
    };
    let rows: Rows = range.rows().map(|r| r.iter().map(|c| c.to_string().trim().to_string()).collect()).collect();
    if rows.is_empty() {
        return Err(TableError::Empty);
    }
    Ok(rows)
}

fn read_csv(bytes: &[u8]) -> Result<Rows, TableError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        TableError::NotUtf8(line)
    })?;
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
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
            (false, ',') => row.push(std::mem::take(&mut field).trim().to_string()),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field).trim().to_string());
                rows.push(std::mem::take(&mut row));
                line += 1;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(TableError::UnclosedQuote(line));
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field.trim().to_string());
        rows.push(row);
    }
    rows.retain(|r| r.iter().any(|f| !f.is_empty()));
    if rows.is_empty() {
        return Err(TableError::Empty);
    }
    Ok(rows)
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
