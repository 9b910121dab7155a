//! Fuzzing the spreadsheet readers (issue "Keep the attack suite"): CSV text, xlsx workbooks
//! written by rust_xlsxwriter and a minimal xls, as random bytes, as mutated files, and — so
//! that mutants get past the zip's checksums — as workbooks with one XML part mutated and the
//! zip written again. No input may panic; every refusal is a [`TableError`]; what is read
//! stays within the [`Limits`] (rows, columns, cells) and the process's memory stays small
//! even for parts that claim huge dimensions or string counts. `YAOLIAN_FUZZ_SECONDS` runs the
//! target that long (`scripts/fuzz-long`); unset, it stops after a few thousand cases or three
//! seconds.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Cursor, Read};
use std::time::Duration;

use common::{dimensions, number, with_entry, xls};
use yaolian_core::fuzz::{self, Budget};
use yaolian_registry::table::{self, Limits, TableError};

/// Small limits, so that mutants cross them.
fn limits() -> Limits {
    Limits {
        max_bytes: 256 * 1024,
        max_rows: 40,
        max_columns: 12,
        max_cells: 200,
        max_decompressed_bytes: 1024 * 1024,
        max_zip_entries: 24,
        max_sheets: 4,
        max_time: Duration::from_secs(2),
    }
}

/// The parts of the sample workbook the fuzz rewrites: an input whose first byte is `k` (1 to
/// the number of parts) is the new text of part `k`; first byte 0 is a whole file.
const PARTS: &[&str] = &[
    "xl/worksheets/sheet1.xml",
    "xl/sharedStrings.xml",
    "xl/workbook.xml",
    "[Content_Types].xml",
    "xl/_rels/workbook.xml.rels",
];

fn workbook() -> Vec<u8> {
    let rows = vec![
        vec!["国药准字H20260001".to_string(), "阿莫西林胶囊".into(), "0.25g".into(), "09506000134352".into()],
        vec!["国药准字Z20260002".to_string(), "板蓝根颗粒".into(), "10g".into(), "".into()],
        vec!["=1+1".to_string(), "\"quoted\"".into(), "1e308".into(), "-0".into()],
    ];
    table::write_xlsx("产品", &["批准文号", "通用名", "规格", "GTIN"], &rows).unwrap()
}

fn part(xlsx: &[u8], name: &str) -> Option<Vec<u8>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(xlsx)).ok()?;
    let mut f = zip.by_name(name).ok()?;
    let mut data = Vec::new();
    f.read_to_end(&mut data).ok()?;
    Some(data)
}

const TOKENS: &[&[u8]] = &[
    b"\"",
    b",",
    b"\r\n",
    b"\n",
    b"\xEF\xBB\xBF",
    b"\xff",
    b"\"\"",
    b"<row r=\"1048576\">",
    b"<c r=\"XFD1048576\"",
    b"<c r=\"A0\"",
    b"<c r=\"\"",
    b"<dimension ref=\"A1:XFD1048576\"/>",
    b"uniqueCount=\"4000000000\"",
    b"count=\"-1\"",
    b"<si><t>",
    b"</t></si>",
    b"t=\"s\"",
    b"t=\"str\"",
    b"t=\"inlineStr\"",
    b"t=\"b\"",
    b"t=\"e\"",
    b"<v>",
    b"</v>",
    b"<v>4294967295</v>",
    b"<v>-1</v>",
    b"&amp;",
    b"&#0;",
    b"&#x10FFFF;",
    b"<![CDATA[",
    b"<!DOCTYPE x [<!ENTITY a \"aaaa\">]>",
    b"&a;",
    b"<sheet name=\"S\" sheetId=\"1\" r:id=\"rId9\"/>",
    b"Target=\"../../../etc/passwd\"",
    b"<c r=\"B2\"><v>1</v></c>",
    b"<is><t>x</t></is>",
    b"<f>",
    b"xml:space=\"preserve\"",
];

/// One file through the reader; the outcome is the refusal's rule or the shape read.
fn read(input: &[u8], base: &[u8], l: &Limits) -> String {
    let (mode, body) = input.split_first().map(|(m, b)| (*m as usize % (PARTS.len() + 1), b)).unwrap_or((0, input));
    let file = if mode == 0 { body.to_vec() } else { with_entry(base, PARTS[mode - 1], body) };
    match table::read_with(&file, l) {
        Ok(rows) => {
            assert!(rows.len() <= l.max_rows + 1, "{} rows read, at most {} + the header", rows.len(), l.max_rows);
            let cells: usize = rows.iter().map(Vec::len).sum();
            assert!(cells <= l.max_cells, "{cells} cells read, at most {}", l.max_cells);
            for row in &rows {
                assert!(row.len() <= l.max_columns, "a row of {} columns read, at most {}", row.len(), l.max_columns);
            }
            format!("ok:{mode}:{}x{}", rows.len().min(5), rows.iter().map(Vec::len).max().unwrap_or(0).min(5))
        }
        Err(TableError::OverLimit { limit, .. }) => format!("over:{mode}:{limit}"),
        Err(e) => {
            let rule = e.rule();
            let text = e.to_string();
            // Unreadable messages come from calamine and zip: their first words tell the kind.
            let kind: String = text.split_whitespace().take(12).collect::<Vec<_>>().join(" ");
            format!("{rule}:{mode}:{}", if matches!(e, TableError::Unreadable(_)) { kind } else { String::new() })
        }
    }
}

#[test]
fn spreadsheets_are_read_within_their_limits_and_never_panic() {
    let l = limits();
    let base = workbook();
    assert_eq!(table::read_with(&base, &l).unwrap().len(), 4, "the sample workbook reads");
    let sheet = xls(&[dimensions(0, 3, 0, 3), number(0, 0, 1.0), number(1, 1, 2.5), number(2, 2, -1.0)]);
    assert_eq!(table::read_with(&sheet, &l).unwrap().len(), 3, "the sample xls reads");
    let csv = "批准文号,通用名,规格\r\n国药准字H20260001,\"阿莫西林,胶囊\",0.25g\r\n\"a \"\"b\"\"\",,\n\u{feff}x,y,z";
    let mut samples: Vec<Vec<u8>> = vec![
        [&[0u8][..], csv.as_bytes()].concat(),
        [&[0u8][..], b"\xEF\xBB\xBFa,b\n1,2\n"].concat(),
        [&[0u8][..], &base].concat(),
        [&[0u8][..], &sheet].concat(),
    ];
    for (k, name) in PARTS.iter().enumerate() {
        let text = part(&base, name).unwrap_or_else(|| panic!("the workbook has {name}"));
        samples.push([&[k as u8 + 1][..], &text].concat());
    }
    let budget = Budget::from_env(3_000, Duration::from_secs(4));
    let last = fuzz::last_case_path("table");
    let report = fuzz::run("table", &samples, TOKENS, budget, |input| {
        save(&last, input);
        read(input, &base, &l)
    });
    assert!(report.outcomes > 20, "the cases reach many rules: {report}");
    if let Some(peak) = peak_memory() {
        assert!(peak < 1 << 30, "peak memory {peak} bytes");
    }
}

/// Findings 1 and 4 of the fuzz target above (29 November 2026, case 79 of the first run, and
/// case 746 of a run after the fix of finding 3): a sheet whose dimension, row or cell
/// reference names a row or column beyond 2^32 made calamine's reference parser overflow its
/// u32, and a dimension that ends before it begins (`A999999990:D4`) made it subtract past
/// zero (a panic in debug builds, a wrapped number in release). The guard now refuses the file
/// and names the reference.
#[test]
fn fuzz_finding_cell_references_beyond_u32_are_refused() {
    let base = workbook();
    let sheet = String::from_utf8(part(&base, "xl/worksheets/sheet1.xml").unwrap()).unwrap();
    let cases = [
        // The input as found: the dimension's first cell.
        sheet.replacen("<dimension ref=\"A1:D4\"/>", "<dimension ref=\"A99999999999999999999999:D4\"/>", 1),
        sheet.replacen("<row r=\"2\"", "<row r=\"4294967296\"", 1),
        sheet.replacen("<c r=\"B2\"", "<c r = 'B4294967297'", 1),
        sheet.replacen("<c r=\"B2\"", "<c r=\"AAAAAAAAA2\"", 1),
        // Read as leniently as calamine: no space after the previous value, or an unbalanced
        // quote in the XML declaration before the sheet.
        sheet.replacen("<c r=\"B2\"", "<c s=\"0\"r=\"B99999999999\"", 1),
        sheet.replacen("standalone=\"yes\"", "standalone='yes\"", 1).replacen(
            "<row r=\"2\"",
            "<row r=\"4294967296\"",
            1,
        ),
        // Finding 4 (a later run): a range that ends before it begins (calamine subtracts).
        sheet.replacen("<dimension ref=\"A1:D4\"/>", "<dimension ref=\"A999999990:D4\"/>", 1),
        sheet.replacen("<dimension ref=\"A1:D4\"/>", "<dimension ref=\"E1:D4\"/>", 1),
    ];
    for (i, text) in cases.iter().enumerate() {
        assert_ne!(text, &sheet, "case {i} edits the sheet");
        let file = with_entry(&base, "xl/worksheets/sheet1.xml", text.as_bytes());
        let e = table::read_with(&file, &limits()).unwrap_err();
        assert_eq!(e.rule(), "format", "case {i}: {e}");
        assert!(e.to_string().contains("beyond any sheet or ends before it begins"), "case {i}: {e}");
    }
    // References within a u32 still read (and are then held to the limits).
    let far = sheet.replacen("<c r=\"B2\"", "<c r=\"B4294967295\"", 1);
    let e = table::read_with(&with_entry(&base, "xl/worksheets/sheet1.xml", far.as_bytes()), &limits()).unwrap_err();
    assert_eq!(e.rule(), "max_rows:40", "{e}");
}

/// Finding 2 (29 November 2026, a 40-second run): a shared-string table whose `uniqueCount`
/// followed the previous attribute's quote with no space (`xmlns="…"uniqueCount="4000000000"`)
/// slipped past the guard, which looked for the name after whitespace only; calamine's reader
/// accepts it and reserved room for 4 billion strings (an abort: "memory allocation of
/// 96000000000 bytes failed"). The guard now reads the attribute as leniently as calamine.
#[test]
fn fuzz_finding_unique_count_without_a_space_is_refused() {
    let base = workbook();
    let sst = String::from_utf8(part(&base, "xl/sharedStrings.xml").unwrap()).unwrap();
    let head = "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"";
    assert!(sst.contains(head), "{sst}");
    let variants =
        ["uniqueCount=\"4000000000\" ", "uniqueCount='+4000000000' ", " uniqueCount=\"1\" uniqueCount=\"4000000000\" "];
    for v in variants {
        let text = sst.replacen(head, &format!("{head}{v}"), 1);
        let file = with_entry(&base, "xl/sharedStrings.xml", text.as_bytes());
        let e = table::read_with(&file, &limits()).unwrap_err();
        assert_eq!(e.rule(), "max_cells:200", "{v}: {e}");
    }
}

/// Finding 3 (29 November 2026, a 60-second run): a `>` inside an attribute value of the `sst`
/// element (`xmlns="…<dimension ref=\"A1:XFD1048576\"/>…"`) ended the tag early for the guard,
/// which then never saw `uniqueCount="4294967296"`; calamine reads quoted values whole and
/// reserved room for 4 billion strings (an abort, 103 GB). The guard now ends a tag at the
/// first `>` outside quotes.
#[test]
fn fuzz_finding_a_quoted_angle_bracket_does_not_hide_unique_count() {
    let base = workbook();
    let sst = String::from_utf8(part(&base, "xl/sharedStrings.xml").unwrap()).unwrap();
    let head = "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"";
    let text = sst.replacen(
        head,
        "<sst xmlns=\"http://schemas.openxmlformats.org/<x/>spreadsheetml/2006/main\" uniqueCount=\"4294967296\"",
        1,
    );
    assert_ne!(text, sst);
    let file = with_entry(&base, "xl/sharedStrings.xml", text.as_bytes());
    let e = table::read_with(&file, &limits()).unwrap_err();
    assert_eq!(e.rule(), "max_cells:200", "{e}");
}

/// Finding 5 (a later run): an unbalanced quote in the XML declaration
/// (`<?xml version="1.0" sion=&#0;.1e309" …?>`) made the guard's reading of tags swallow the
/// `sst` element and its `uniqueCount="14294967296"` (an abort, 343 GB). The guard now finds
/// every `uniqueCount` in the part by its bytes alone.
#[test]
fn fuzz_finding_an_unbalanced_quote_does_not_hide_unique_count() {
    let base = workbook();
    let sst = String::from_utf8(part(&base, "xl/sharedStrings.xml").unwrap()).unwrap();
    let text = sst.replacen("<?xml version=\"1.0\"", "<?xml version=\"1.0\" sion=&#0;.1e309\"", 1).replacen(
        "<sst ",
        "<!-- <sst uniqueCount=\"1\"> --><sst uniqueCount=\"14294967296\" ",
        1,
    );
    let file = with_entry(&base, "xl/sharedStrings.xml", text.as_bytes());
    let e = table::read_with(&file, &limits()).unwrap_err();
    assert_eq!(e.rule(), "max_cells:200", "{e}");
}

/// Finding 6 (29 November 2026, case 16,395 of the 2-minute run): an xls whose globals hold a
/// FilePass, CodePage or DateMode record shorter than two bytes made calamine index past the
/// record while opening the workbook. Such a file is now refused as malformed.
#[test]
fn fuzz_finding_a_short_xls_record_is_refused() {
    for typ in [0x002Fu16, 0x0042, 0x0022] {
        let file = common::xls_with_globals(&[common::record(typ, &[])], &[number(0, 0, 1.0)]);
        let e = table::read_with(&file, &limits()).unwrap_err();
        assert_eq!(e.rule(), "format", "record {typ:#06x}: {e}");
    }
    // With a well-formed record of each type the file reads.
    let file = common::xls_with_globals(&[common::record(0x0042, &1200u16.to_le_bytes())], &[number(0, 0, 1.0)]);
    assert_eq!(table::read_with(&file, &limits()).unwrap().len(), 1);
}

/// Writes the case about to run where `YAOLIAN_FUZZ_LAST` says (see `fuzz::last_case_path`).
fn save(path: &Option<std::path::PathBuf>, input: &[u8]) {
    if let Some(path) = path {
        let _ = std::fs::write(path, input);
    }
}

/// The process's peak resident memory in bytes (`VmHWM`), where the system tells it (Linux).
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
