//! Spreadsheets for the tests of the readers: real workbooks, workbooks with one zip entry
//! replaced, and minimal xls compound files.

#![allow(dead_code)]

use std::io::{Cursor, Read, Write};

/// A real workbook written by rust_xlsxwriter with a header at A1 and one more cell at `cell`
/// ((row, column), zero-based): the sheet's dimension then claims that cell.
pub fn workbook_with_cell(row: u32, col: u16) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.write_string(0, 0, "批准文号").unwrap();
    ws.write_string(row, col, "x").unwrap();
    book.save_to_buffer().unwrap()
}

/// The entries of an xlsx with `name` replaced by `text` (or added), deflated again.
pub fn with_entry(xlsx: &[u8], name: &str, text: &[u8]) -> Vec<u8> {
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

/// A BIFF8 record.
pub fn record(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut r = typ.to_le_bytes().to_vec();
    r.extend((data.len() as u16).to_le_bytes());
    r.extend(data);
    r
}

/// A minimal xls: a compound file (version 3, 512-byte sectors: FAT, directory, then the
/// Workbook stream) whose Workbook stream has the globals (BOF, one BoundSheet8, EOF) and one
/// sheet (BOF, the given records, EOF), padded past 4,096 bytes so that it is not in the mini
/// stream.
pub fn xls(sheet_records: &[Vec<u8>]) -> Vec<u8> {
    xls_with_globals(&[], sheet_records)
}

/// The same, with `globals` records after the BoundSheet8 of the workbook globals.
pub fn xls_with_globals(globals: &[Vec<u8>], sheet_records: &[Vec<u8>]) -> Vec<u8> {
    let bof = |dt: u16| record(0x0809, &[&0x0600u16.to_le_bytes()[..], &dt.to_le_bytes(), &[0; 12]].concat());
    let eof = record(0x000A, &[]);
    let name = b"Sheet1";
    let boundsheet_len = 4 + 8 + name.len();
    let extra: usize = globals.iter().map(Vec::len).sum();
    let sheet_pos = (bof(5).len() + boundsheet_len + extra + eof.len()) as u32;
    let mut stream = bof(5);
    stream.extend(record(0x0085, &[&sheet_pos.to_le_bytes()[..], &[0, 0, name.len() as u8, 0], name].concat()));
    for r in globals {
        stream.extend(r);
    }
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
pub fn number(row: u16, col: u16, value: f64) -> Vec<u8> {
    record(0x0203, &[&row.to_le_bytes()[..], &col.to_le_bytes(), &0u16.to_le_bytes(), &value.to_le_bytes()].concat())
}

/// A BIFF8 Dimensions record: rows [first, last), columns [first, last).
pub fn dimensions(first_row: u32, last_row: u32, first_col: u16, last_col: u16) -> Vec<u8> {
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
