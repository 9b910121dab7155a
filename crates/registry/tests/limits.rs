//! Uploaded spreadsheets are read within limits checked before anything is allocated (issue
//! 15, item 1): a 1.5 KB xlsx whose sheet claims cell XFD1048576 once grew the server to 15 GB.
//! Every malicious file here is a few kilobytes and is refused with a message naming the limit.

#![allow(clippy::unwrap_used)]

use std::io::{Cursor, Read, Write};
use yaolian_registry::table::{self, Limits, TableError};

/// A real workbook written by rust_xlsxwriter with a header at A1 and one more cell at `cell`
/// ((row, column), zero-based): the sheet's dimension then claims that cell.
fn workbook_with_cell(row: u32, col: u16) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.write_string(0, 0, "批准文号").unwrap();
    ws.write_string(row, col, "x").unwrap();
    book.save_to_buffer().unwrap()
}

/// The entries of an xlsx with `name` replaced by `text` (or added), deflated again.
fn with_entry(xlsx: &[u8], name: &str, text: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(Cursor::new(xlsx)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut replaced = false;
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let entry = f.name().unwrap().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        out.start_file(entry.as_str(), options).unwrap();
        if entry == name {
            out.write_all(text).unwrap();
            replaced = true;
        } else {
            out.write_all(&data).unwrap();
        }
    }
    if !replaced {
        out.start_file(name, options).unwrap();
        out.write_all(text).unwrap();
    }
    out.finish().unwrap().into_inner()
}

fn rule(e: &TableError) -> String {
    e.rule()
}

#[test]
fn an_xlsx_claiming_cell_xfd1048576_is_refused_before_allocating() {
    // The tester's file: a header and one cell at XFD1048576 (row 1,048,576, column 16,384).
    // calamine's Range spans every cell between them: 17 billion cells.
    let bomb = workbook_with_cell(1_048_575, 16_383);
    assert!(bomb.len() < 8 * 1024, "the file is small: {} bytes", bomb.len());
    let e = table::read(&bomb).unwrap_err();
    assert_eq!(rule(&e), "max_rows:10000", "{e}");
    assert!(e.to_string().contains("XFD1048576"), "the message names the cell: {e}");
    // A cell far to the right only is refused by the column limit.
    let wide = workbook_with_cell(1, 16_383);
    let e = table::read(&wide).unwrap_err();
    assert_eq!(rule(&e), "max_columns:100", "{e}");
    // Within the limits the same shape reads.
    let ok = workbook_with_cell(3, 2);
    let rows = table::read(&ok).unwrap();
    assert_eq!(rows[0][0], "批准文号");
    assert_eq!(rows[3][2], "x");
}

#[test]
fn shared_strings_claiming_a_billion_strings_are_refused_before_allocating() {
    // calamine reserves room for `uniqueCount` strings when it opens the workbook.
    let base = workbook_with_cell(1, 1);
    let sst = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="4000000000000"><si><t>批准文号</t></si><si><t>x</t></si></sst>"#;
    let bomb = with_entry(&base, "xl/sharedStrings.xml", sst.as_bytes());
    let e = table::read(&bomb).unwrap_err();
    assert_eq!(rule(&e), "max_cells:1000000", "{e}");
}

#[test]
fn a_zip_bomb_is_refused_by_its_decompressed_size_and_entry_count() {
    let base = workbook_with_cell(1, 1);
    // 4 MiB of zeros deflate to a few KB; with a 1 MiB allowance the file is refused.
    let bomb = with_entry(&base, "xl/media/padding.bin", &vec![0u8; 4 * 1024 * 1024]);
    assert!(bomb.len() < 64 * 1024);
    let small = Limits { max_decompressed_bytes: 1024 * 1024, ..Limits::UPLOAD };
    let e = table::read_with(&bomb, &small).unwrap_err();
    assert_eq!(rule(&e), "max_decompressed_bytes:1048576", "{e}");
    // The entries are counted from the central directory before any is read.
    let few = Limits { max_zip_entries: 3, ..Limits::UPLOAD };
    let e = table::read_with(&base, &few).unwrap_err();
    assert_eq!(rule(&e), "max_zip_entries:3", "{e}");
    // The upload limits themselves take an ordinary workbook.
    assert!(table::read(&base).is_ok());
}

#[test]
fn a_csv_over_the_row_or_column_limit_is_refused() {
    let mut csv = String::from("a,b\n");
    for _ in 0..10_001 {
        csv.push_str("1,2\n");
    }
    let e = table::read(csv.as_bytes()).unwrap_err();
    assert_eq!(rule(&e), "max_rows:10000", "{e}");
    // 10,000 rows below the header are read.
    let ok: String = std::iter::once("a,b\n").chain(std::iter::repeat_n("1,2\n", 10_000)).collect();
    assert_eq!(table::read(ok.as_bytes()).unwrap().len(), 10_001);
    let wide = vec!["x"; 101].join(",");
    let e = table::read(wide.as_bytes()).unwrap_err();
    assert_eq!(rule(&e), "max_columns:100", "{e}");
    let e = table::read(&vec![b'a'; table::MAX_UPLOAD_BYTES + 1]).unwrap_err();
    assert_eq!(rule(&e), format!("max_bytes:{}", table::MAX_UPLOAD_BYTES), "{e}");
}

/// A BIFF8 record.
fn record(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut r = typ.to_le_bytes().to_vec();
    r.extend((data.len() as u16).to_le_bytes());
    r.extend(data);
    r
}

/// A minimal xls: a compound file (version 3, 512-byte sectors: FAT, directory, then the
/// Workbook stream) whose Workbook stream has the globals (BOF, one BoundSheet8, EOF) and one
/// sheet (BOF, the given records, EOF), padded past 4,096 bytes so that it is not in the mini
/// stream.
fn xls(sheet_records: &[Vec<u8>]) -> Vec<u8> {
    let bof = |dt: u16| record(0x0809, &[&0x0600u16.to_le_bytes()[..], &dt.to_le_bytes(), &[0; 12]].concat());
    let eof = record(0x000A, &[]);
    let name = b"Sheet1";
    let boundsheet_len = 4 + 8 + name.len();
    let sheet_pos = (bof(5).len() + boundsheet_len + eof.len()) as u32;
    let mut stream = bof(5);
    stream.extend(record(0x0085, &[&sheet_pos.to_le_bytes()[..], &[0, 0, name.len() as u8, 0], name].concat()));
    stream.extend(&eof);
    stream.extend(bof(0x10));
    for r in sheet_records {
        stream.extend(r);
    }
    stream.extend(&eof);
    while stream.len() < 4_608 {
        stream.extend(record(0x0000, &[0; 64]));
    }
    let sectors = stream.len().div_ceil(512);
    assert!(sectors + 2 <= 128, "one FAT sector");
    let mut out = vec![0u8; 512];
    out[..8].copy_from_slice(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
    let put16 = |b: &mut [u8], at: usize, v: u16| b[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let put32 = |b: &mut [u8], at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    put16(&mut out, 0x18, 0x3E);
    put16(&mut out, 0x1A, 3);
    put16(&mut out, 0x1C, 0xFFFE);
    put16(&mut out, 0x1E, 9);
    put16(&mut out, 0x20, 6);
    put32(&mut out, 0x2C, 1); // FAT sectors
    put32(&mut out, 0x30, 1); // first directory sector
    put32(&mut out, 0x38, 4096); // mini stream cutoff
    put32(&mut out, 0x3C, 0xFFFF_FFFE); // no mini FAT
    put32(&mut out, 0x44, 0xFFFF_FFFE); // no DIFAT sectors
    put32(&mut out, 0x4C, 0); // the FAT is sector 0
    for i in 1..109 {
        put32(&mut out, 0x4C + 4 * i, 0xFFFF_FFFF);
    }
    // Sector 0: the FAT.
    let mut fat = vec![0xFFu8; 512];
    put32(&mut fat, 0, 0xFFFF_FFFD);
    put32(&mut fat, 4, 0xFFFF_FFFE);
    for s in 0..sectors {
        let next = if s + 1 == sectors { 0xFFFF_FFFE } else { (s + 3) as u32 };
        put32(&mut fat, 4 * (s + 2), next);
    }
    out.extend(fat);
    // Sector 1: the directory (root, Workbook, two empty entries).
    let entry = |name: &str, typ: u8, child: u32, start: u32, size: u32| {
        let mut e = vec![0u8; 128];
        let units: Vec<u16> = name.encode_utf16().collect();
        for (i, u) in units.iter().enumerate() {
            put16(&mut e, 2 * i, *u);
        }
        put16(&mut e, 64, (2 * units.len() + 2) as u16);
        e[66] = typ;
        e[67] = 1;
        put32(&mut e, 68, 0xFFFF_FFFF);
        put32(&mut e, 72, 0xFFFF_FFFF);
        put32(&mut e, 76, child);
        put32(&mut e, 116, start);
        put32(&mut e, 120, size);
        e
    };
    out.extend(entry("Root Entry", 5, 1, 0xFFFF_FFFE, 0));
    out.extend(entry("Workbook", 2, 0xFFFF_FFFF, 2, stream.len() as u32));
    out.extend(vec![0u8; 256]);
    stream.resize(sectors * 512, 0);
    out.extend(stream);
    out
}

/// A Number cell (row, column, value).
fn number(row: u16, col: u16, value: f64) -> Vec<u8> {
    record(0x0203, &[&row.to_le_bytes()[..], &col.to_le_bytes(), &0u16.to_le_bytes(), &value.to_le_bytes()].concat())
}

/// A BIFF8 Dimensions record: rows [first, last), columns [first, last).
fn dimensions(first_row: u32, last_row: u32, first_col: u16, last_col: u16) -> Vec<u8> {
    let data = [
        &first_row.to_le_bytes()[..],
        &last_row.to_le_bytes(),
        &first_col.to_le_bytes(),
        &last_col.to_le_bytes(),
        &[0, 0],
    ]
    .concat();
    record(0x0200, &data)
}

#[test]
fn an_xls_declaring_a_huge_sheet_is_refused_before_calamine_opens_it() {
    // Within the limits the hand-made workbook reads (so the bombs below are read the same way).
    let ok = xls(&[dimensions(0, 2, 0, 2), number(0, 0, 1.0), number(1, 1, 2.5)]);
    let rows = table::read(&ok).unwrap();
    assert_eq!(rows, vec![vec!["1".to_string()], vec![String::new(), "2.5".to_string()]]);
    // calamine reserves rows × columns cells from the Dimensions record as it opens the file:
    // 4 billion rows × 256 columns.
    let bomb = xls(&[dimensions(0, u32::MAX, 0, 256), number(0, 0, 1.0)]);
    assert!(bomb.len() < 8 * 1024);
    let e = table::read(&bomb).unwrap_err();
    assert_eq!(rule(&e), "max_rows:10000", "{e}");
    // A cell far away makes calamine's range span everything between.
    let far = xls(&[number(0, 0, 1.0), number(65_535, 255, 1.0)]);
    let e = table::read(&far).unwrap_err();
    assert_eq!(rule(&e), "max_rows:10000", "{e}");
    assert!(e.to_string().contains("IV65536"), "{e}");
    // A dimension that ends before it begins would underflow calamine's arithmetic.
    let e = table::read(&xls(&[dimensions(9, 2, 0, 2)])).unwrap_err();
    assert_eq!(rule(&e), "format", "{e}");
}

#[test]
fn an_xls_whose_directory_chain_loops_is_refused() {
    // The directory sector chained to itself: calamine reads the chain with no length bound.
    let mut looping = xls(&[number(0, 0, 1.0)]);
    looping[512 + 4..512 + 8].copy_from_slice(&1u32.to_le_bytes());
    let e = table::read(&looping).unwrap_err();
    assert_eq!(rule(&e), "format", "{e}");
    assert!(e.to_string().contains("loops"), "{e}");
}
