//! Checks of an Excel file's container, made before calamine opens it, for what calamine would
//! otherwise size from the file's own claims:
//!
//! - xlsx (a zip): the number of entries, and every entry inflated (into nothing, counting) so
//!   that all of them together stay within `max_decompressed_bytes` whatever their headers say;
//!   the shared-string table may not declare more strings than `max_cells` (calamine reserves
//!   room for `uniqueCount` strings when it opens the workbook); and no cell reference in an
//!   `r`, `ref` or `sqref` attribute may name a row or column beyond 2^32 (calamine adds up the
//!   digits and letters of a reference in a u32, which overflows: found by the fuzz target
//!   `crates/registry/tests/fuzz.rs`).
//! - xls (an OLE compound file): the sector chains calamine follows must end within the file
//!   (a loop in the directory chain makes calamine grow a buffer without end); then, in the
//!   Workbook stream, the sheets (at most `max_sheets`, each of which calamine parses when it
//!   opens the file), each sheet's declared dimension (calamine reserves rows × columns cells
//!   from it) and every cell's position and count.

use super::{unreadable, Deadline, Limits, TableError};
use std::io::{Cursor, Read};

/// How much of the shared-string table is searched for its `sst` element.
const SST_HEAD_BYTES: u64 = 1024 * 1024;

pub(super) fn check_zip(bytes: &[u8], limits: &Limits, deadline: &Deadline) -> Result<(), TableError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    if zip.len() > limits.max_zip_entries {
        let message = format!("the workbook has {} parts; at most {} are read", zip.len(), limits.max_zip_entries);
        return Err(TableError::over("max_zip_entries", limits.max_zip_entries, message));
    }
    let max = limits.max_decompressed_bytes;
    let too_big = || {
        let message = format!("the workbook inflates to more than {max} bytes");
        TableError::over("max_decompressed_bytes", max, message)
    };
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(unreadable)?;
        let left = max - total;
        if entry.size() > left {
            return Err(too_big());
        }
        let name = entry.name().map_err(unreadable)?.to_ascii_lowercase();
        // Never more than what is left plus one byte, whatever the entry's header says.
        let mut inflated = (&mut entry).take(left + 1);
        let mut refs = References::default();
        if name.ends_with("sharedstrings.xml") {
            let mut head = Vec::new();
            (&mut inflated).take(SST_HEAD_BYTES).read_to_end(&mut head).map_err(unreadable)?;
            check_shared_strings(&head, head.len() as u64 == SST_HEAD_BYTES, limits)?;
            refs.scan(&head);
            total += head.len() as u64;
        }
        let copied = std::io::copy(&mut inflated, &mut refs);
        if let Some(reference) = refs.beyond {
            let shown = String::from_utf8_lossy(&reference).into_owned();
            return Err(TableError::Unreadable(format!(
                "{name}: the cell reference {shown:?} is beyond any sheet or ends before it begins"
            )));
        }
        total += copied.map_err(unreadable)?;
        if name.ends_with("sharedstrings.xml") {
            match refs.unique.max {
                Some(n) if n > limits.max_cells as u64 => {
                    let message =
                        format!("the shared-string table declares {n} strings; at most {} are read", limits.max_cells);
                    return Err(TableError::over("max_cells", limits.max_cells, message));
                }
                _ => {}
            }
        }
        if total > max {
            return Err(too_big());
        }
        deadline.check()?;
    }
    Ok(())
}

/// Where [`References`] is in the XML text.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum At {
    #[default]
    Text,
    /// In an attribute name (after whitespace or a quote).
    Name,
    /// After a name, before `=`.
    AfterName,
    /// After `=`, before the quote.
    AfterEquals,
    /// In the value of an `r`, `ref` or `sqref` attribute, up to this quote.
    Reference(u8),
    /// In another attribute's value, up to this quote.
    Skip(u8),
}

/// Reads the values of `r`, `ref` and `sqref` attributes (`B7`, `A1:D4`, `$A$1 C3:D4`) as the
/// XML streams by, and keeps the first reference whose row or column does not fit a u32, or
/// the first range that ends before it begins.
#[derive(Debug, Default)]
struct References {
    at: At,
    name: Vec<u8>,
    watched: bool,
    /// The reference being read: its text (the first 32 bytes), row and column so far.
    token: Vec<u8>,
    row: u64,
    col: u64,
    /// The first cell of a range being read (`A1` of `A1:D4`).
    range_start: Option<(u64, u64)>,
    beyond: Option<Vec<u8>>,
    /// The largest `uniqueCount="n"` anywhere in the part, read by the bytes alone.
    unique: UniqueCount,
}

/// Every `uniqueCount="n"` (spaces around `=`, either quote, a `+` allowed) in a byte stream,
/// whatever element, comment or declaration it stands in: the fuzz target found two ways to hide
/// the `sst` element's count from a reader of tags (a `>` inside a quoted value, an unbalanced
/// quote in the XML declaration) that calamine's reader does not fall for. Reading the bytes
/// alone cannot be misled; at worst a shared string holding that very text is counted too.
#[derive(Debug, Default)]
struct UniqueCount {
    /// Bytes of `uniqueCount` matched; then 11 = before `=`, 12 = before the quote, 13 = after
    /// it (a `+` may come), 14 = in the digits.
    state: usize,
    value: u64,
    max: Option<u64>,
}

impl UniqueCount {
    const NAME: &'static [u8] = b"uniqueCount";

    fn byte(&mut self, b: u8) {
        let n = Self::NAME.len();
        self.state = match self.state {
            s if s < n && b == Self::NAME[s] => s + 1,
            s if s < n => usize::from(b == Self::NAME[0]),
            s if s == n && b == b'=' => n + 1,
            s if (s == n || s == n + 1) && b.is_ascii_whitespace() => s,
            s if s == n + 1 && matches!(b, b'"' | b'\'') => n + 2,
            s if s == n + 2 && b == b'+' => n + 2,
            s if (s == n + 2 || s == n + 3) && b.is_ascii_digit() => {
                self.value = if s == n + 2 { 0 } else { self.value };
                self.value = self.value.saturating_mul(10).saturating_add(u64::from(b - b'0'));
                self.max = Some(self.max.map_or(self.value, |m| m.max(self.value)));
                n + 3
            }
            _ => usize::from(b == Self::NAME[0]),
        };
    }
}

impl References {
    fn scan(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.beyond.is_some() {
                return;
            }
            self.unique.byte(b);
            self.at = match (self.at, b) {
                // A value ends at its quote, or (which no well-formed value holds) at `<` or `>`:
                // an unbalanced quote must not hide what follows it.
                (At::Reference(q), _) if b == q => {
                    self.end_token(false);
                    self.name.clear();
                    At::Name
                }
                (At::Reference(_), b'<' | b'>') => {
                    self.end_token(false);
                    At::Text
                }
                (At::Reference(q), b':') => {
                    self.end_token(true);
                    At::Reference(q)
                }
                (At::Reference(q), b' ') => {
                    self.end_token(false);
                    At::Reference(q)
                }
                (At::Reference(q), _) => {
                    if self.token.len() < 32 {
                        self.token.push(b);
                    }
                    match b {
                        b'A'..=b'Z' | b'a'..=b'z' => {
                            let letter = u64::from(b.to_ascii_uppercase() - b'A' + 1);
                            self.col = self.col.saturating_mul(26).saturating_add(letter);
                        }
                        b'0'..=b'9' => self.row = self.row.saturating_mul(10).saturating_add(u64::from(b - b'0')),
                        _ => {}
                    }
                    At::Reference(q)
                }
                (At::Skip(q), _) if b == q => {
                    // The next name may follow the quote with no space between.
                    self.name.clear();
                    At::Name
                }
                (At::Skip(_), b'<' | b'>') => At::Text,
                (At::Skip(q), _) => At::Skip(q),
                (At::AfterEquals, b'"' | b'\'') if self.watched => At::Reference(b),
                (At::AfterEquals, b'"' | b'\'') => At::Skip(b),
                (At::AfterEquals | At::AfterName, _) if b.is_ascii_whitespace() => self.at,
                (At::Name, b'=') | (At::AfterName, b'=') => {
                    self.watched = matches!(self.name.as_slice(), b"r" | b"ref" | b"sqref");
                    At::AfterEquals
                }
                (At::Name, _) if b.is_ascii_whitespace() => {
                    if self.name.is_empty() {
                        At::Name
                    } else {
                        At::AfterName
                    }
                }
                (At::Name, _) if b.is_ascii_alphabetic() && self.name.len() < 8 => {
                    self.name.push(b);
                    At::Name
                }
                (At::AfterName, _) if b.is_ascii_alphabetic() => {
                    self.name.clear();
                    self.name.push(b);
                    At::Name
                }
                // A name starts after whitespace or after the previous value's quote.
                (_, _) if b.is_ascii_whitespace() || b == b'"' || b == b'\'' => {
                    self.name.clear();
                    At::Name
                }
                _ => At::Text,
            };
        }
    }

    /// The end of one cell of a reference; `opens_range` when a `:` follows it.
    fn end_token(&mut self, opens_range: bool) {
        let cell = (self.row, self.col);
        if cell.0 > u64::from(u32::MAX) || cell.1 > u64::from(u32::MAX) {
            self.beyond = Some(std::mem::take(&mut self.token));
        }
        // calamine subtracts a range's first cell from its last in a u32: `A9:D4` overflows.
        if let Some(first) = self.range_start.take() {
            if cell.0 < first.0 || cell.1 < first.1 {
                self.beyond = Some(std::mem::take(&mut self.token));
            }
        }
        if opens_range {
            self.range_start = Some(cell);
            self.token.push(b':');
        } else {
            self.token.clear();
        }
        (self.row, self.col) = (0, 0);
    }
}

impl std::io::Write for References {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.scan(buf);
        if self.beyond.is_some() {
            return Err(std::io::Error::other("a cell reference beyond any sheet"));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The `uniqueCount` of the `sst` element calamine reserves room for.
fn check_shared_strings(head: &[u8], truncated: bool, limits: &Limits) -> Result<(), TableError> {
    let mut rest = head;
    while let Some(open) = rest.iter().position(|&b| b == b'<') {
        let tag = &rest[open + 1..];
        // The tag ends at the first `>` outside a quoted value, as calamine's reader reads it.
        let Some(close) = tag_end(tag) else { break };
        let tag = &tag[..close];
        let name_end = tag.iter().position(|b| b.is_ascii_whitespace() || *b == b'/').unwrap_or(tag.len());
        let name = &tag[..name_end];
        let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
        if local == b"sst" {
            return match attribute(tag, b"uniqueCount") {
                Some(n) if n > limits.max_cells as u64 => {
                    let message =
                        format!("the shared-string table declares {n} strings; at most {} are read", limits.max_cells);
                    Err(TableError::over("max_cells", limits.max_cells, message))
                }
                _ => Ok(()),
            };
        }
        rest = &rest[open + 1 + close + 1..];
    }
    if truncated {
        return Err(TableError::Unreadable("sharedStrings.xml does not begin with its sst element".into()));
    }
    Ok(())
}

/// Where a tag ends: its first `>` outside a quoted attribute value (found by the fuzz target:
/// a `>` inside the value of the `sst` element's namespace hid its `uniqueCount`).
fn tag_end(tag: &[u8]) -> Option<usize> {
    let mut quote = None;
    for (i, &b) in tag.iter().enumerate() {
        match (quote, b) {
            (None, b'>') => return Some(i),
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if b == q => quote = None,
            _ => {}
        }
    }
    None
}

/// The number in `name="123"` within a start tag; a number too large for u64 reads as u64::MAX.
/// Read as leniently as calamine's XML reader does (found by the fuzz target
/// `crates/registry/tests/fuzz.rs`): the name may follow the previous value's closing quote with
/// no space between, the number may carry a `+`; where the name appears more than once, the
/// largest number counts.
fn attribute(tag: &[u8], name: &[u8]) -> Option<u64> {
    let mut found: Option<u64> = None;
    let mut i = 0;
    while i + name.len() <= tag.len() {
        let after = i + name.len();
        let starts = i > 0 && (tag[i - 1].is_ascii_whitespace() || matches!(tag[i - 1], b'"' | b'\''));
        if starts && &tag[i..after] == name {
            let mut rest = tag[after..].iter().skip_while(|b| b.is_ascii_whitespace());
            if rest.next() == Some(&b'=') {
                let mut rest = rest.skip_while(|b| b.is_ascii_whitespace()).peekable();
                if matches!(rest.next(), Some(b'"') | Some(b'\'')) {
                    rest.next_if_eq(&&b'+');
                    let digits: Vec<u8> = rest.take_while(|b| b.is_ascii_digit()).copied().collect();
                    if let Ok(text) = std::str::from_utf8(&digits) {
                        if !digits.is_empty() {
                            let n = text.parse().unwrap_or(u64::MAX);
                            found = Some(found.map_or(n, |m| m.max(n)));
                        }
                    }
                }
            }
        }
        i += 1;
    }
    found
}

// ---------------------------------------------------------------- xls

const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const DIFSECT: u32 = 0xFFFF_FFFC;
const RESERVED_SECTORS: u32 = 0xFFFF_FFFA;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn bad(why: &str) -> TableError {
    TableError::Unreadable(format!("xls: {why}"))
}

/// The compound file as calamine reads it (`calamine::cfb`): sectors after the header, the FAT
/// from the DIFAT, streams by chain.
struct Cfb<'a> {
    sectors: &'a [u8],
    size: usize,
    maxid: usize,
    fat: Vec<u32>,
}

impl Cfb<'_> {
    fn sector(&self, id: u32) -> Result<&[u8], TableError> {
        let start = (id as usize).checked_mul(self.size).ok_or_else(|| bad("sector beyond the file"))?;
        if id as usize > self.maxid || start > self.sectors.len() {
            return Err(bad("sector beyond the file"));
        }
        Ok(&self.sectors[start..(start + self.size).min(self.sectors.len())])
    }

    /// The bytes of the chain from `start`, at most `len`; a chain longer than the file has
    /// sectors (a loop) is refused.
    fn chain(&self, start: u32, len: usize) -> Result<Vec<u8>, TableError> {
        let mut out = Vec::new();
        let mut id = start;
        let mut steps = 0;
        while id != ENDOFCHAIN && out.len() < len {
            steps += 1;
            if steps > self.maxid + 1 {
                return Err(bad("a sector chain loops"));
            }
            let sector = self.sector(id)?;
            out.extend_from_slice(&sector[..sector.len().min(len - out.len())]);
            if out.len() >= len {
                break;
            }
            id = *self.fat.get(id as usize).ok_or_else(|| bad("sector beyond the allocation table"))?;
        }
        Ok(out)
    }
}

/// The Workbook stream, read as calamine reads it, with every chain checked.
fn workbook_stream(bytes: &[u8]) -> Result<Vec<u8>, TableError> {
    let header = bytes.get(..512).ok_or_else(|| bad("shorter than its header"))?;
    let size = match u16_at(header, 30) {
        Some(9) => 512,
        Some(12) => 4096,
        _ => return Err(bad("sector size")),
    };
    let sectors = bytes.get(size.min(bytes.len())..).unwrap_or_default();
    let maxid = bytes.len() / size;
    let mut cfb = Cfb { sectors, size, maxid, fat: Vec::new() };
    let field = |at| u32_at(header, at).ok_or_else(|| bad("header"));
    // DIFAT: 109 sector ids in the header, then a chain of DIFAT sectors.
    let mut difat: Vec<u32> = header[76..512].chunks_exact(4).filter_map(|c| u32_at(c, 0)).collect();
    let mut id = field(68)?;
    let mut hops = 0;
    while id < RESERVED_SECTORS {
        hops += 1;
        if hops > maxid + 1 {
            return Err(bad("the DIFAT chain loops"));
        }
        difat.extend(cfb.sector(id)?.chunks_exact(4).filter_map(|c| u32_at(c, 0)));
        id = difat.pop().ok_or_else(|| bad("DIFAT"))?;
    }
    let fat_sectors: Vec<u32> = difat.into_iter().filter(|id| *id < DIFSECT).collect();
    if fat_sectors.len() > maxid + 1 {
        return Err(bad("more allocation-table sectors than the file has"));
    }
    let mut fat = Vec::new();
    for id in fat_sectors {
        fat.extend(cfb.sector(id)?.chunks_exact(4).filter_map(|c| u32_at(c, 0)));
    }
    cfb.fat = fat;
    // Directory: 128-byte entries; calamine reads the whole chain.
    let dirs = cfb.chain(field(48)?, usize::MAX)?;
    let entries: Vec<&[u8]> = dirs.chunks_exact(128).collect();
    let root = entries.first().ok_or_else(|| bad("no root directory"))?;
    let entry_len = |e: &[u8]| -> Result<usize, TableError> {
        let len = if size == 512 {
            u64::from(u32_at(e, 120).unwrap_or(0))
        } else {
            u64::from_le_bytes(e[120..128].try_into().map_err(|_| bad("directory"))?)
        };
        // No stream holds more than the file.
        if len > bytes.len() as u64 {
            return Err(bad("a stream longer than the file"));
        }
        Ok(len as usize)
    };
    let name = |e: &[u8]| -> String {
        let units: Vec<u16> = e[..64].chunks_exact(2).filter_map(|c| u16_at(c, 0)).take_while(|u| *u != 0).collect();
        String::from_utf16_lossy(&units)
    };
    let stream = ["Workbook", "Book"]
        .iter()
        .find_map(|wanted| entries.iter().find(|e| name(e).eq_ignore_ascii_case(wanted)))
        .ok_or_else(|| bad("no Workbook stream"))?;
    let (start, len) = (u32_at(stream, 116).unwrap_or(ENDOFCHAIN), entry_len(stream)?);
    if len >= 4096 {
        return cfb.chain(start, len);
    }
    // A short stream lives in the mini stream, in 64-byte sectors chained by the mini FAT.
    let mini_fat_len = field(64)? as usize;
    if mini_fat_len > maxid + 1 {
        return Err(bad("a mini allocation table larger than the file"));
    }
    let mini_stream = cfb.chain(u32_at(root, 116).unwrap_or(ENDOFCHAIN), entry_len(root)?)?;
    let mini_fat: Vec<u32> = cfb
        .chain(field(60)?, mini_fat_len.saturating_mul(size))?
        .chunks_exact(4)
        .filter_map(|c| u32_at(c, 0))
        .collect();
    let mini = Cfb { sectors: &mini_stream, size: 64, maxid: mini_stream.len() / 64, fat: mini_fat };
    mini.chain(start, len)
}

/// BIFF records of a stream: (type, data), as calamine's `RecordIter` reads them.
fn records(stream: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = stream;
    std::iter::from_fn(move || {
        let typ = u16_at(rest, 0)?;
        let len = u16_at(rest, 2)? as usize;
        let data = rest.get(4..4 + len)?;
        rest = &rest[4 + len..];
        Some((typ, data))
    })
}

pub(super) fn check_xls(bytes: &[u8], limits: &Limits, deadline: &Deadline) -> Result<(), TableError> {
    let stream = workbook_stream(bytes)?;
    // Globals, up to their EOF: the position of each sheet (BoundSheet8).
    let mut sheets = Vec::new();
    for (typ, data) in records(&stream) {
        match typ {
            0x0085 => sheets.push(u32_at(data, 0).ok_or_else(|| bad("BoundSheet8"))? as usize),
            0x000A => break,
            _ => {}
        }
    }
    if sheets.len() > limits.max_sheets {
        let message = format!("the workbook has {} sheets; at most {} are read", sheets.len(), limits.max_sheets);
        return Err(TableError::over("max_sheets", limits.max_sheets, message));
    }
    let mut cells = 0usize;
    for pos in sheets {
        let Some(sheet) = stream.get(pos..) else { continue };
        for (typ, data) in records(sheet) {
            check_record(typ, data, limits, &mut cells)?;
            if typ == 0x000A {
                break;
            }
        }
        deadline.check()?;
    }
    Ok(())
}

/// A sheet record: a dimension within the limits, a cell at a place within them, and not more
/// cells than `max_cells` in all sheets together.
fn check_record(typ: u16, data: &[u8], limits: &Limits, cells: &mut usize) -> Result<(), TableError> {
    let at = |row: u32, col: u32| limits.check_position(row, col);
    let mut count = |n: usize| -> Result<(), TableError> {
        *cells += n;
        if *cells > limits.max_cells {
            let message = format!("the workbook holds more than {} cells", limits.max_cells);
            return Err(TableError::over("max_cells", limits.max_cells, message));
        }
        Ok(())
    };
    let cell = || -> Option<(u32, u32)> { Some((u16_at(data, 0)? as u32, u16_at(data, 2)? as u32)) };
    match typ {
        // Dimensions: calamine reserves (last row − first row + 1) × (last col − first col + 1).
        0x0200 => {
            let (first_row, last_row, first_col, last_col) = match data.len() {
                10 => (
                    u16_at(data, 0).map(u32::from),
                    u16_at(data, 2).map(u32::from),
                    u16_at(data, 4).map(u32::from),
                    u16_at(data, 6).map(u32::from),
                ),
                14 | 16 => {
                    (u32_at(data, 0), u32_at(data, 4), u16_at(data, 8).map(u32::from), u16_at(data, 10).map(u32::from))
                }
                _ => return Err(bad("Dimensions record")),
            };
            let (Some(first_row), Some(last_row), Some(first_col), Some(last_col)) =
                (first_row, last_row, first_col, last_col)
            else {
                return Err(bad("Dimensions record"));
            };
            // calamine's reading: the first column is taken as 0 if it is past 0xFF or the last;
            // the last row and column are one past the end.
            let first_col = if first_col > 0xFF || last_col < first_col { 0 } else { first_col };
            if last_row >= 1 && last_col >= 1 {
                let (end_row, end_col) = (last_row - 1, last_col - 1);
                if end_row < first_row || end_col < first_col {
                    return Err(bad("a sheet dimension ends before it begins"));
                }
                at(end_row, end_col)?;
                let area = (end_row - first_row + 1) as u64 * (end_col - first_col + 1) as u64;
                if area > limits.max_cells as u64 {
                    let message = format!("a sheet declares {area} cells; at most {} are read", limits.max_cells);
                    return Err(TableError::over("max_cells", limits.max_cells, message));
                }
            }
        }
        // Number, Label, RString, BoolErr, Rk, LabelSst, Formula: one cell each.
        0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 => {
            let (row, col) = cell().ok_or_else(|| bad("cell record"))?;
            at(row, col)?;
            count(if typ == 0x0006 { 2 } else { 1 })?;
        }
        // String (a formula's text value) at the formula's place, already checked.
        0x0207 => count(1)?,
        // MulRk: a row of cells from the first to the last column.
        0x00BD => {
            let (row, first) = cell().ok_or_else(|| bad("MulRk record"))?;
            let last = u32::from(u16_at(data, data.len().saturating_sub(2)).ok_or_else(|| bad("MulRk record"))?);
            if last < first {
                return Err(bad("a MulRk record ends before it begins"));
            }
            at(row, last)?;
            count((last - first + 1) as usize)?;
        }
        _ => {}
    }
    Ok(())
}
