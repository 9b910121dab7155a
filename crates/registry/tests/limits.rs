//! Uploaded spreadsheets are read within limits checked before anything is allocated (issue
//! 15, item 1): a 1.5 KB xlsx whose sheet claims cell XFD1048576 once grew the server to 15 GB.
//! Every malicious file here is a few kilobytes and is refused with a message naming the limit.

#![allow(clippy::unwrap_used)]

mod common;

use common::{dimensions, number, with_entry, workbook_with_cell, xls};
use yaolian_registry::table::{self, Limits, TableError};

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
