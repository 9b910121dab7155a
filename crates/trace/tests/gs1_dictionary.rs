//! Acceptance of issue 16 §1: the GS1 parser is driven by the GS1 Barcode Syntax Dictionary,
//! release 2026-01-27 (`crates/trace/data/gs1-syntax-dictionary.txt`).
//!
//! - the table holds every AI of the file (counted here from the file itself);
//! - every AI reads with a valid value built from its components (and the partners its `req=`
//!   rules need), and is refused with a wrong length or a wrong check digit;
//! - scanner forms, Digital Link grammar;
//! - cases ported as data from GS1's gs1-syntax-engine unit tests (repository gs1/gs1-syntax-engine,
//!   commit 50657dbd04ce78d8734e8793e054bf70dcba294b, files `src/c-lib/dl.c`, `ai.c`,
//!   `scandata.c`; each block names its test function). Where our expectation differs from the
//!   engine's, the case says why.

#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use yaolian_trace::codes::gs1::{
    self,
    dictionary::{Component, Cset, Entry},
    lint,
};

const DICTIONARY_FILE: &str = include_str!("../data/gs1-syntax-dictionary.txt");

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
}

/// Reads `input`; `expected` is `Ok(())` or `Err(rule)`.
fn check(input: &str, expected: Result<(), &str>) {
    if let Some(problem) = mismatch(input, expected) {
        panic!("{problem}");
    }
}

fn mismatch(input: &str, expected: Result<(), &str>) -> Option<String> {
    let got = gs1::parse(input, today());
    match (&got, expected) {
        (Ok(_), Ok(())) => None,
        (Err(e), Err(rule)) if e.rule == rule => None,
        _ => Some(format!("{input:?}: expected {expected:?}, got {got:?}")),
    }
}

fn check_all(cases: &[(&str, Result<(), &str>)]) {
    let problems: Vec<String> = cases.iter().filter_map(|(input, expected)| mismatch(input, *expected)).collect();
    assert!(problems.is_empty(), "{} cases:\n{}", problems.len(), problems.join("\n"));
}

const OK: Result<(), &str> = Ok(());

/// The lines of the dictionary that hold entries (not comments, not blank).
fn entry_lines() -> impl Iterator<Item = &'static str> {
    DICTIONARY_FILE.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'))
}

#[test]
fn the_table_holds_every_ai_of_the_dictionary() {
    // Counted from the file: each entry line is one AI or a range "3100-3105".
    let mut count = 0;
    let mut ais = Vec::new();
    for line in entry_lines() {
        let first = line.split_whitespace().next().unwrap();
        let (lo, hi) = first.split_once('-').unwrap_or((first, first));
        for n in lo.parse::<u32>().unwrap()..=hi.parse::<u32>().unwrap() {
            ais.push(format!("{n:0width$}", width = lo.len()));
            count += 1;
        }
    }
    // crates/trace/data/gs1-syntax-dictionary.txt, "# Release: 2026-01-27" (line 4): the entries
    // on lines 121–344, 164 single AIs and 60 ranges, cover 541 AIs.
    assert_eq!(count, 541);
    let dict = gs1::dictionary();
    assert_eq!(dict.release, "2026-01-27");
    assert!(dict.bad_lines.is_empty(), "unread lines: {:?}", dict.bad_lines);
    assert!(dict.unknown_linters.is_empty(), "unknown linters: {:?}", dict.unknown_linters);
    assert_eq!(dict.entries().len(), count);
    for ai in &ais {
        assert_eq!(dict.get(ai).map(|e| e.ai.as_str()), Some(ai.as_str()), "({ai}) is in the table");
    }
    assert!(dict.get("23").is_none() && dict.get("231").is_none() && dict.get("89").is_none());
}

#[test]
fn every_linter_the_dictionary_names_is_implemented() {
    // The linters referenced by the file: the names after the type in each component.
    let mut names: Vec<String> = Vec::new();
    for line in entry_lines() {
        let body = line.split('#').next().unwrap();
        for word in body.split_whitespace().skip(1) {
            if word.contains('=') || word == "dlpkey" {
                continue;
            }
            for name in word.split(',').skip(1) {
                names.push(name.to_string());
            }
        }
    }
    names.sort();
    names.dedup();
    // The 34 linters referenced by release 2026-01-27 (docs/trace-conformance-sources.md §1).
    let expected = "couponcode couponposoffer csum csumalpha gcppos1 gcppos2 hasnondigit hh hhmi hyphen iban \
                    importeridx iso3166 iso3166999 iso3166alpha2 iso4217 iso5218 latitude longitude mediatype mi \
                    nonzero nozeroprefix packagetype pcenc pieceoftotal posinseqslash ss winding yesno yymmd0 \
                    yymmdd yyyymmdd zero";
    assert_eq!(names.join(" "), expected);
    assert_eq!(names.len(), 34);
    for name in &names {
        assert!(lint::Linter::from_name(name).is_some(), "linter {name}");
    }
    assert_eq!(lint::ALL.len(), 34);
}

// ---------------------------------------------------------------------------------------------
// Every AI: a valid value from its components, a wrong length, a wrong check digit.

/// `n` digits, 1234567890 repeated.
fn digits(n: usize) -> String {
    "1234567890".chars().cycle().take(n).collect()
}

/// The GS1 mod-10 check digit (GS1 General Specifications §7.9.1), written here independently.
fn mod10(body: &str) -> char {
    let sum: u32 =
        body.bytes().rev().enumerate().map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 }).sum();
    char::from(b'0' + u8::try_from((10 - sum % 10) % 10).unwrap())
}

fn fill(cset: Cset, n: usize) -> String {
    let pattern = match cset {
        Cset::Numeric => "1234567890",
        Cset::Cset82 => "AbC1-x/Z",
        Cset::Cset39 => "AB1-#/Z9",
        Cset::Cset64 => "AbC-_9z",
    };
    pattern.chars().cycle().take(n).collect()
}

/// A valid value for one component, satisfying its linters.
fn component_value(c: &Component) -> String {
    let names: Vec<&str> = c.linters.iter().map(|l| l.name()).collect();
    let has = |n: &str| names.contains(&n);
    let n = c.max;
    let fixed = |s: &str| -> String {
        assert!(s.len() >= c.min && s.len() <= c.max, "{s} fits {c:?}");
        s.to_string()
    };
    if has("csum") {
        let body = digits(n - 1);
        let cd = mod10(&body);
        return format!("{body}{cd}");
    }
    if has("csumalpha") {
        // A GMN the reference linter accepts (lint_csumalpha.c, test_lint_csumalpha).
        return fixed("1987654Ad4X4bL5ttr2310c2K");
    }
    for (name, value) in [
        // Passing values of the reference linters' own unit tests (lint_<name>.c).
        ("couponcode", "012345612345611110123"),
        ("couponposoffer", "001234561234560123456"),
        ("iban", "FR7630006000011234567890189"),
        ("yymmd0", "261231"),
        ("yymmdd", "261231"),
        ("yyyymmdd", "20261231"),
        ("hhmi", "2359"),
        ("hh", "23"),
        ("mi", "59"),
        ("ss", "59"),
        // ISO 3166 156 China, CN; ISO 4217 156 yuan renminbi.
        ("iso3166", "156"),
        ("iso3166999", "156"),
        ("iso3166alpha2", "CN"),
        ("iso4217", "156"),
        ("iso5218", "1"),
        ("yesno", "1"),
        ("winding", "1"),
        ("zero", "0"),
        ("pieceoftotal", "0102"),
        ("latitude", "0900000000"),
        ("longitude", "1800000000"),
        ("mediatype", "01"),
        ("packagetype", "BX"),
        ("importeridx", "A"),
        ("hyphen", "-"),
        ("posinseqslash", "1/2"),
    ] {
        if has(name) {
            return fixed(value);
        }
    }
    if has("nonzero") || has("nozeroprefix") {
        return digits(n);
    }
    if has("pcenc") {
        return format!("A%20{}", fill(c.cset, n - 4));
    }
    if has("gcppos1") {
        return format!("9506000{}", fill(c.cset, n - 7));
    }
    fill(c.cset, n)
}

/// A valid value of `entry`, every component (optional ones too) present.
fn value_of(entry: &Entry) -> String {
    entry.components.iter().map(component_value).collect()
}

/// `entry` and the AIs its `req=` rules need (recursively), avoiding `ex=` conflicts.
fn with_partners(entry: &Entry) -> Vec<&'static Entry> {
    let dict = gs1::dictionary();
    let mut set: Vec<&Entry> = vec![dict.get(&entry.ai).unwrap()];
    let conflicts = |set: &[&Entry], ai: &str| {
        set.iter().any(|e| {
            e.ai != ai
                && (e.ex.iter().any(|p| p.matches(ai)) || dict.get(ai).unwrap().ex.iter().any(|p| p.matches(&e.ai)))
        })
    };
    loop {
        let mut added = false;
        for i in 0..set.len() {
            let e = set[i];
            for req in &e.req {
                let met = req.iter().any(|g| g.iter().all(|p| set.iter().any(|o| o.ai != e.ai && p.matches(&o.ai))));
                if met {
                    continue;
                }
                let group = req
                    .iter()
                    .map(|g| g.iter().map(|p| p.0.replace('n', "0")).collect::<Vec<_>>())
                    .find(|g| g.iter().all(|ai| set.iter().any(|o| o.ai == *ai) || !conflicts(&set, ai)))
                    .unwrap_or_else(|| panic!("no partner for ({}) {req:?}", e.ai));
                for ai in group {
                    if !set.iter().any(|o| o.ai == ai) {
                        set.push(dict.get(&ai).unwrap());
                        added = true;
                    }
                }
            }
            if added {
                break;
            }
        }
        if !added {
            return set;
        }
    }
}

fn bracketed(parts: &[(&str, String)]) -> String {
    parts.iter().map(|(ai, v)| format!("({ai}){v}")).collect()
}

/// The raw element string with GS after every field not of predefined length (but the last).
fn raw(parts: &[(&str, String)]) -> String {
    let dict = gs1::dictionary();
    let mut out = String::new();
    for (i, (ai, v)) in parts.iter().enumerate() {
        out.push_str(ai);
        out.push_str(v);
        if !dict.get(ai).unwrap().predefined && i + 1 < parts.len() {
            out.push(gs1::GS);
        }
    }
    out
}

fn check_digit_rule(ai: &str) -> &'static str {
    match ai {
        "00" => "sscc_check",
        "01" | "02" | "03" => "gtin_check",
        "410" | "411" | "412" | "413" | "414" | "415" | "416" | "417" => "gln_check",
        _ => "check_digit",
    }
}

#[test]
fn every_ai_reads_a_valid_value_and_refuses_a_wrong_length_or_check_digit() {
    let dict = gs1::dictionary();
    let mut tested = 0;
    let mut check_digits = 0;
    for entry in dict.entries() {
        let ai = entry.ai.as_str();
        let set = with_partners(entry);
        let parts: Vec<(&str, String)> = set.iter().map(|e| (e.ai.as_str(), value_of(e))).collect();
        let value = parts[0].1.clone();
        // Valid, bracketed and raw, with a symbology identifier.
        for input in
            [bracketed(&parts), raw(&parts), format!("]d2{}", raw(&parts)), format!("]C1{}{}", gs1::GS, raw(&parts))]
        {
            let code = gs1::parse(&input, today()).unwrap_or_else(|e| panic!("({ai}) {input:?}: {e:?}"));
            assert_eq!(code.get(ai), Some(value.as_str()), "({ai}) {input:?}");
        }
        // Wrong length: one character too many (variable), one too few (fixed).
        let wrong = if entry.fixed() {
            value[..value.len() - 1].to_string()
        } else {
            let last = entry.components.last().unwrap();
            format!("{value}{}", fill(last.cset, entry.max_len() + 1 - value.len()))
        };
        let mut bad = parts.clone();
        bad[0].1 = wrong;
        let e = gs1::parse(&bracketed(&bad), today()).err().unwrap_or_else(|| panic!("({ai}) wrong length read"));
        assert_eq!(e.rule, "ai_length", "({ai}): {e:?}");
        assert!(e.message.contains(&format!("({ai})")), "({ai}) named: {e:?}");
        // Wrong check digit (csum) or check pair (csumalpha).
        let mut offset = 0;
        for c in &entry.components {
            let part = component_value(c);
            let names: Vec<&str> = c.linters.iter().map(|l| l.name()).collect();
            if names.contains(&"csum") || names.contains(&"csumalpha") {
                let at = offset + part.len() - 1;
                let old = value.as_bytes()[at];
                let new = if old.is_ascii_digit() {
                    b'0' + (old - b'0' + 1) % 10
                } else if old == b'Z' {
                    b'Y'
                } else {
                    old + 1
                };
                let mut v = value.clone().into_bytes();
                v[at] = new;
                let mut bad = parts.clone();
                bad[0].1 = String::from_utf8(v).unwrap();
                let e = gs1::parse(&bracketed(&bad), today()).err().unwrap_or_else(|| panic!("({ai}) bad check read"));
                let rule = if names.contains(&"csum") { check_digit_rule(ai) } else { "check_digit" };
                assert_eq!(e.rule, rule, "({ai}): {e:?}");
                check_digits += 1;
            }
            offset += part.len();
        }
        tested += 1;
    }
    assert_eq!(tested, 541);
    // The entries of the 2026-01-27 file whose specification names csum or csumalpha: 00 01 02
    // 03 253 255 402 410–417 8003 8006 8013 8014 8017 8018 8026.
    assert_eq!(check_digits, 22);
}

// ---------------------------------------------------------------------------------------------
// Scanner forms and Digital Link grammar (our own cases).

const GS: &str = "\u{1d}";

#[test]
fn scanner_forms() {
    let body = "0109506000134352172712311010ABC\u{1d}2112345";
    let with_ids: Vec<String> = ["]C1", "]C1\u{1d}", "]d2", "]d2\u{1d}", "]Q3", "]e0", "]J1", "", "\u{1d}"]
        .iter()
        .map(|id| format!("{id}{body}"))
        .collect();
    for input in &with_ids {
        check(input, OK);
    }
    check_all(&[
        ("(01)09506000134352(17)271231(10)10ABC(21)12345", OK),
        // EAN-13 / EAN-8: a GTIN with no AI.
        ("]E09506000134352", OK),
        ("]E09506000134357", Err("gtin_check")),
        ("]E0950600013435", Err("ai_length")),
        ("]E402345673", OK),
        ("]E402345674", Err("gtin_check")),
        // Plain data: a Digital Link is read, anything else is not GS1 data.
        ("]d1https://id.gs1.org/01/09506000134352/10/ABC", OK),
        ("]Q1https://id.gs1.org/01/09506000134352/10/ABC", OK),
        ("]Q1HELLO", Err("not_gs1")),
        ("]d1010950600013435217271231", Err("not_gs1")),
        ("]X9010950600013435217271231", Err("symbology")),
        ("]d2", Err("empty")),
        // The symbology identifier counts in positions.
        ("]d20109506000134357", Err("gtin_check")),
    ]);
    let e = gs1::parse("]d20109506000134357", today()).unwrap_err();
    assert_eq!(e.position, 19);
    let c = gs1::parse("]E402345673", today()).unwrap();
    assert_eq!(c.gtin.as_deref(), Some("00000002345673"));
    let c = gs1::parse("]E09506000134352", today()).unwrap();
    assert_eq!(c.gtin.as_deref(), Some("09506000134352"));
}

#[test]
fn errors_name_the_ai_and_its_rule() {
    let e = gs1::parse("(01)09506000134352(235)ABCDEFGHIJKLMNOPQRSTUVWXYZ123", today()).unwrap_err();
    assert_eq!((e.rule, e.message.as_str()), ("ai_length", "(235) value longer than 28"));
    let e = gs1::parse("(01)09506000134352(422)999", today()).unwrap_err();
    assert_eq!((e.rule, e.message.as_str()), ("ai_lint", "(422) 999 is not an ISO 3166 country code"));
    // An unknown AI after a GTIN is named as such, not as a GTIN of the wrong length.
    let e = gs1::parse("01095060001343528912", today()).unwrap_err();
    assert_eq!((e.rule, e.position), ("ai_unknown", 17));
    // A variable-length field too long for its AI, where no AI follows: its length, not an
    // unknown AI.
    let e = gs1::parse(&format!("0109506000134352235{}", "A".repeat(29)), today()).unwrap_err();
    assert_eq!((e.rule, e.position), ("ai_length", 20));
    // Association rules over the whole message.
    let e = gs1::parse("(01)09506000134352(37)10", today()).unwrap_err();
    assert_eq!(e.rule, "ai_excludes");
    assert!(e.message.contains("(37)") && e.message.contains("(01)"), "{e:?}");
    let e = gs1::parse("(21)123", today()).unwrap_err();
    assert_eq!((e.rule, e.message.as_str()), ("ai_requires", "(21) SERIAL needs (01), (03) or (8006)"));
    // Repeated with the same value: read once; with another value: refused.
    let c = gs1::parse("(01)09506000134352(10)A(10)A", today()).unwrap();
    assert_eq!(c.elements.len(), 2);
    check("(01)09506000134352(10)A(10)B", Err("ai_repeated"));
}

#[test]
fn digital_link_grammar() {
    check_all(&[
        ("https://id.gs1.org/01/09506000134352/22/2A/10/ABC/21/123", OK),
        ("https://id.gs1.org/01/09506000134352/10/ABC/21/123", OK),
        ("https://id.gs1.org/01/09506000134352/235/TPX1", OK),
        // Qualifiers out of order, or mixing the two alternative sequences.
        ("https://id.gs1.org/01/09506000134352/21/123/10/ABC", Err("digital_link")),
        ("https://id.gs1.org/01/09506000134352/10/ABC/235/TPX1", Err("digital_link")),
        // An SSCC takes no qualifier.
        ("https://id.gs1.org/00/106141411234567897", OK),
        ("https://id.gs1.org/00/106141411234567897/10/ABC", Err("digital_link")),
        // Trailing slash.
        ("https://id.gs1.org/01/09506000134352/", Err("digital_link")),
        ("https://id.gs1.org/01/09506000134352/10/ABC/", Err("digital_link")),
        // Scheme in any case (RFC 3986 §3.1).
        ("HTTPS://id.gs1.org/01/09506000134352", OK),
        ("Http://example.com/01/09506000134352", OK),
        // Query string: AIs with the "?" flag; other keys ignored; unknown AIs refused.
        ("https://id.gs1.org/01/09506000134352?17=271231&linkType=gs1:pip", OK),
        ("https://id.gs1.org/01/09506000134352?89=ABC", Err("ai_unknown")),
        ("https://id.gs1.org/01/09506000134352?21=123", Err("digital_link")),
        ("https://id.gs1.org/01/09506000134352?10=ABC", Err("digital_link")),
        ("https://id.gs1.org/01/09506000134352?17=", Err("digital_link")),
        // Compressed Digital Link.
        ("https://id.gs1.org/AQnYUc1gmiA3BbT8Xkf9", Err("digital_link")),
        // Not a Digital Link at all.
        ("https://example.com/products/aspirin", Err("not_digital_link")),
        // GTIN-8/12/13 padded; percent-decoding.
        ("https://example.com/01/9506000134352", OK),
        ("https://example.com/01/02345673", OK),
        ("https://id.gs1.org/01/09506000134352/10/AB%2FC", OK),
        ("https://id.gs1.org/01/09506000134352/10/AB%ZZ", Err("digital_link")),
        // Values still checked against their AI.
        ("https://id.gs1.org/01/09506000134357", Err("gtin_check")),
        ("https://id.gs1.org/01/09506000134352?17=271332", Err("date")),
    ]);
    let e = gs1::parse("https://id.gs1.org/AQnYUc1gmiA3BbT8Xkf9", today()).unwrap_err();
    assert!(e.message.contains("compressed Digital Link is not supported"), "{e:?}");
    let c = gs1::parse("https://id.gs1.org/01/09506000134352/10/AB%2FC", today()).unwrap();
    assert_eq!(c.batch.as_deref(), Some("AB/C"));
    let c = gs1::parse("https://example.com/01/02345673", today()).unwrap();
    assert_eq!(c.gtin.as_deref(), Some("00000002345673"));
}

#[test]
fn written_forms_read_back() {
    let c = gs1::parse("(01)09506000134352(235)TPX1(10)AB(C(3103)000195(17)271231", today()).unwrap();
    for form in [c.element_string(), c.human_readable()] {
        assert_eq!(gs1::parse(&form, today()).unwrap().elements, c.elements, "{form:?}");
    }
    // (235) and (10) are two alternative qualifiers: no Digital Link carries both.
    assert_eq!(c.digital_link("https://id.gs1.org"), None);
    let c = gs1::parse("(01)09506000134352(3103)000195(17)271231(10)AB(21)S1", today()).unwrap();
    let dl = c.digital_link("https://id.gs1.org").unwrap();
    assert_eq!(dl, "https://id.gs1.org/01/09506000134352/10/AB/21/S1?3103=000195&17=271231");
    assert_eq!(gs1::parse(&dl, today()).unwrap().elements.len(), c.elements.len());
    // (3103) is of predefined length: no GS after it.
    assert_eq!(c.element_string(), "0109506000134352310300019517271231".to_string() + "10AB\u{1d}21S1");
}

// ---------------------------------------------------------------------------------------------
// Ported from gs1/gs1-syntax-engine (commit 50657dbd04ce78d8734e8793e054bf70dcba294b).

/// `^` in the engine's data strings stands for FNC1: leading, it is the symbology's FNC1; inside,
/// the GS separator.
fn fnc1(s: &str) -> String {
    s.replace('^', GS)
}

/// src/c-lib/ai.c, test_ai_processAIdata. The engine checks syntax and linters there and the
/// `req=` rules in a later step; we check all at once, so where the AI under test needs a GTIN
/// partner the case is prefixed with (01)12345678901231 ("^01…"), and (8111) with
/// (255)1234567890128.
#[test]
fn engine_ai_process_ai_data() {
    let g = "^0112345678901231";
    let cases: Vec<(String, Result<(), &str>)> = vec![
        ("".into(), Err("empty")),
        ("^".into(), Err("empty")),
        ("^891234".into(), Err("ai_unknown")),
        ("^991234".into(), OK),
        ("^99~ABC".into(), Err("ai_charset")),
        ("^99ABC~".into(), Err("ai_charset")),
        ("^0112345678901231".into(), OK),
        ("^01A2345678901231".into(), Err("ai_charset")),
        ("^011234567890123A".into(), Err("ai_charset")),
        ("^0112345678901234".into(), Err("gtin_check")),
        ("^011234567890123".into(), Err("ai_length")),
        ("^01123456789012312".into(), Err("ai_unknown")),
        ("^0112345678901231^".into(), OK),
        ("^011234567890123^".into(), Err("ai_length")),
        // The engine names the stray "5"; we read in order, and the first 14 digits are
        // already a GTIN with a wrong check digit.
        ("^01123456789012345^".into(), Err("gtin_check")),
        ("^01123456789012345^991234".into(), Err("gtin_check")),
        ("^0112345678901231991234".into(), OK),
        ("^0112345678901231^991234".into(), OK),
        (format!("{g}2421"), OK),
        (format!("{g}24212"), OK),
        (format!("{g}242123"), OK),
        (format!("{g}2421234"), OK),
        (format!("{g}24212345"), OK),
        (format!("{g}242123456"), OK),
        (format!("{g}242123456^10ABC123"), OK),
        (format!("{g}242123456^"), OK),
        (format!("{g}2421234567"), Err("ai_length")),
        ("^2551234567890128^81111234".into(), OK),
        ("^2551234567890128^8111123".into(), Err("ai_length")),
        ("^2551234567890128^811112345".into(), Err("ai_length")),
        (format!("{g}800112341234512398"), OK),
        (format!("{g}80011234123451239"), Err("ai_length")),
        (format!("{g}8001123412345123981"), Err("ai_length")),
        ("^800112341234512398^0112345678901231".into(), OK),
        ("^80011234123451239^0112345678901231".into(), Err("ai_length")),
        ("^8001123412345123981^01123456789012312".into(), Err("ai_length")),
        (format!("{g}7007211225211231"), OK),
        (format!("{g}7007211225"), OK),
        (format!("{g}70072112252"), Err("ai_length")),
        (format!("{g}700721122521"), Err("ai_length")),
        (format!("{g}7007211225211"), Err("ai_length")),
        (format!("{g}70072112252112"), Err("ai_length")),
        (format!("{g}700721122521123"), Err("ai_length")),
        (format!("{g}70072112252212311"), Err("ai_length")),
        ("^800302112345678900ABC".into(), OK),
        ("^800302112345678901ABC".into(), Err("check_digit")),
        ("^800302112345678900".into(), OK),
        ("^800302112345678900ABCDEFGHIJKLMNOP".into(), OK),
        ("^800302112345678900ABCDEFGHIJKLMNOPQ".into(), Err("ai_length")),
        (format!("{g}7230121234567890123456789012345678"), OK),
        (format!("{g}72301212345678901234567890123456789"), Err("ai_length")),
        (format!("{g}7230123"), OK),
        (format!("{g}723012"), Err("ai_length")),
        (format!("{g}235ABC"), OK),
        (format!("{g}235ABCDEFGHIJKLMNOPQRSTUVWXYZ12"), OK),
        (format!("{g}235ABCDEFGHIJKLMNOPQRSTUVWXYZ123"), Err("ai_length")),
        ("^0112345678901231235XYZ".into(), OK),
        ("^0112345678901231235XYZ^10BATCH".into(), OK),
        (format!("{g}423"), Err("ai_length")),
        (format!("{g}4235"), Err("ai_length")),
        (format!("{g}42352"), Err("ai_length")),
        (format!("{g}423528"), OK),
        (format!("{g}4235285"), Err("ai_length")),
        (format!("{g}42352852"), Err("ai_length")),
        (format!("{g}423528528"), OK),
        (format!("{g}4235285285"), Err("ai_length")),
        (format!("{g}42352852852"), Err("ai_length")),
        (format!("{g}423528528528"), OK),
        (format!("{g}4235285285285"), Err("ai_length")),
        (format!("{g}42352852852852"), Err("ai_length")),
        (format!("{g}423528528528528"), OK),
        (format!("{g}4235285285285285"), Err("ai_length")),
        (format!("{g}42352852852852852"), Err("ai_length")),
        (format!("{g}423528528528528528"), OK),
        (format!("{g}4235285285285285285"), Err("ai_length")),
        (format!("^99{}", "A".repeat(90)), OK),
        (format!("^99{}", "A".repeat(91)), Err("ai_length")),
    ];
    for (input, expected) in &cases {
        check(&fnc1(input), *expected);
    }
    // "^891234" with unknown AIs permitted: we never permit them.
}

/// src/c-lib/ai.c, test_ai_parseAIdata (bracketed input). Prefixed with a GTIN where the AI
/// needs one (see above).
#[test]
fn engine_ai_parse_ai_data() {
    let g = "(01)12345678901231";
    let cases: Vec<(String, Result<(), &str>)> = vec![
        ("(01)12345678901231".into(), OK),
        (format!("{g}(10)12345"), OK),
        ("(01)12345678901231(10)12345".into(), OK),
        (format!("{g}(3100)123456(10)12345"), OK),
        (format!("{g}(10)12345(11)991225"), OK),
        (format!("{g}(10)12345\\(11)991225"), OK),
        (format!("{g}(10)12345\\("), OK),
        (format!("{g}(235)ABC"), OK),
        ("(01)12345678901231(235)XYZ".into(), OK),
        ("(01)12345678901231(235)XYZ(10)BATCH".into(), OK),
        (format!("{g}(235)ABCDEFGHIJKLMNOPQRSTUVWXYZ12"), OK),
        (format!("{g}(235)ABCDEFGHIJKLMNOPQRSTUVWXYZ123"), Err("ai_length")),
        ("(10)(11)98765".into(), Err("ai_length")),
        (format!("{g}(10)12345(11)"), Err("ai_length")),
        ("(1A)12345".into(), Err("ai_unknown")),
        ("1(12345".into(), Err("ai_unknown")),
        ("12345".into(), Err("ai_length")),
        ("()12345".into(), Err("ai_unknown")),
        ("(1)12345".into(), Err("ai_unknown")),
        ("(12345)12345".into(), Err("ai_unknown")),
        ("(15".into(), Err("bracket")),
        ("(1".into(), Err("bracket")),
        ("(".into(), Err("bracket")),
        ("(01)123456789012312(10)12345".into(), Err("ai_length")),
        (format!("{g}(10)12345^"), Err("ai_charset")),
        ("(17)9(90)217".into(), Err("ai_length")),
        (format!("(99){}", "A".repeat(90)), OK),
        (format!("(99){}", "A".repeat(91)), Err("ai_length")),
    ];
    for (input, expected) in &cases {
        check(input, *expected);
    }
    let c = gs1::parse(&format!("{g}(10)12345\\(11)991225"), today()).unwrap();
    assert_eq!(c.batch.as_deref(), Some("12345(11)991225"));
}

/// src/c-lib/ai.c, test_ai_linters: each linter triggered through a real AI. The engine names
/// the linter's error code; we name the rule (ai_charset, the check-digit rules, date, ai_lint).
#[test]
fn engine_ai_linters() {
    check_all(&[
        ("(00)123456789012345675", OK),
        ("(00)A23456789012345675", Err("ai_charset")),
        ("(10) ", Err("ai_charset")),
        ("(8010)123456_", Err("ai_charset")),
        ("(8030)ABC:123", Err("ai_charset")),
        ("(8030)123=", Err("ai_charset")),
        ("(00)123456789012345670", Err("sscc_check")),
        ("(8013)123456ABXX", Err("check_digit")),
        ("(8013)A", Err("check_digit")),
        ("(401)123", Err("ai_lint")),
        ("(7023)12A4", Err("ai_lint")),
        ("(7040)1AB=", Err("ai_lint")),
        ("(8001)12340000012311", Err("ai_lint")),
        ("(8003)112345678901281234567890123456", Err("ai_lint")),
        ("(8011)023456789012", Err("ai_lint")),
        ("(4321)2", Err("ai_lint")),
        ("(8001)12341234512321", Err("ai_lint")),
        ("(426)987", Err("ai_lint")),
        ("(7030)987ABC", Err("ai_lint")),
        ("(4307)AA", Err("ai_lint")),
        ("(3910)9870", Err("ai_lint")),
        ("(8007)FR1234", Err("ai_lint")),
        ("(8007)FR12_45678901234", Err("ai_lint")),
        ("(8007)AB12345678901234", Err("ai_lint")),
        ("(8007)FR12345678901234", Err("ai_lint")),
        ("(4326)201300", Err("date")),
        ("(4326)201200", Err("date")),
        ("(4324)2012252400", Err("ai_lint")),
        ("(4324)2012252360", Err("ai_lint")),
        ("(8008)201225230060", Err("ai_lint")),
        ("(8026)123456789012310099", Err("ai_lint")),
        ("(8026)123456789012310100", Err("ai_lint")),
        ("(8026)123456789012310302", Err("ai_lint")),
        ("(4300)ABC%0g", Err("ai_lint")),
        ("(8112)201234561234560123456", Err("ai_lint")),
        ("(8112)0", Err("ai_lint")),
        ("(8112)07", Err("ai_lint")),
        ("(8112)01123456", Err("ai_lint")),
        ("(8112)00123456", Err("ai_lint")),
        ("(8112)00123456123456", Err("ai_lint")),
        ("(8112)001234561234560", Err("ai_lint")),
        ("(8110)71234567890123", Err("ai_lint")),
        ("(8110)012345", Err("ai_lint")),
        ("(8110)0123456123456", Err("ai_lint")),
        ("(8110)01234561234560", Err("ai_lint")),
        ("(8110)01234561234561", Err("ai_lint")),
        ("(8110)012345612345611", Err("ai_lint")),
        ("(8110)0123456123456116123456", Err("ai_lint")),
        ("(8110)0123456123456111", Err("ai_lint")),
        ("(8110)01234561234561111", Err("ai_lint")),
        ("(8110)012345612345611115", Err("ai_lint")),
        ("(8110)012345612345611119", Err("ai_lint")),
        ("(8110)0123456123456111101231", Err("ai_lint")),
        ("(8110)01234561234561111012314", Err("ai_lint")),
        ("(8110)01234561234561111012310", Err("ai_lint")),
        ("(8110)012345612345611110123106123456", Err("ai_lint")),
        ("(8110)012345612345611110123101", Err("ai_lint")),
        ("(8110)0123456123456111101231011", Err("ai_lint")),
        ("(8110)01234561234561111012310115", Err("ai_lint")),
        ("(8110)01234561234561111012310119", Err("ai_lint")),
        ("(8110)01234561234561111012310110123", Err("ai_lint")),
        ("(8110)0123456123456111101231011012371234567890123", Err("ai_lint")),
        ("(8110)012345612345611110123101101230", Err("ai_lint")),
        ("(8110)0123456123456111101232", Err("ai_lint")),
        ("(8110)01234561234561111012320", Err("ai_lint")),
        ("(8110)01234561234561111012321", Err("ai_lint")),
        ("(8110)012345612345611110123211", Err("ai_lint")),
        ("(8110)0123456123456111101232115", Err("ai_lint")),
        ("(8110)0123456123456111101232110", Err("ai_lint")),
        ("(8110)0123456123456111101232110123", Err("ai_lint")),
        ("(8110)012345612345611110123211012371234567890123", Err("ai_lint")),
        ("(8110)01234561234561111012321101230", Err("ai_lint")),
        ("(8110)0123456123456111101233", Err("ai_lint")),
        ("(8110)0123456123456111101233200010", Err("ai_lint")),
        ("(8110)0123456123456111101234", Err("ai_lint")),
        ("(8110)0123456123456111101234200010", Err("ai_lint")),
        ("(8110)01234561234561111012335006064500607", Err("ai_lint")),
        ("(8110)0123456123456111101236", Err("ai_lint")),
        ("(8110)01234561234561111012360", Err("ai_lint")),
        ("(8110)01234561234561111012361", Err("ai_lint")),
        ("(8110)0123456123456111101239", Err("ai_lint")),
        ("(8110)01234561234561111012393", Err("ai_lint")),
        ("(8110)01234561234561111012390", Err("ai_lint")),
        ("(8110)012345612345611110123903", Err("ai_lint")),
        ("(8110)012345612345611110123900", Err("ai_lint")),
        ("(8110)0123456123456111101239000", Err("ai_lint")),
        ("(8110)01234561234561111012390002", Err("ai_lint")),
        ("(8110)012345612345611110123900000", Err("ai_lint")),
        ("(4309)18000000010000000000", Err("ai_lint")),
        ("(4309)00000000003600000001", Err("ai_lint")),
        ("(4330)000000X", Err("ai_lint")),
        ("(7252)5", Err("ai_lint")),
        ("(7258)111", Err("ai_lint")),
        ("(7258)0/3", Err("ai_lint")),
        ("(7258)2/1", Err("ai_lint")),
        ("(01)95012345678903(3103)000123", OK),
        ("(01)95012345678902(3103)000123", Err("gtin_check")),
        ("(01)95012345678903(11)131313", Err("date")),
    ]);
}

/// src/c-lib/ai.c, test_ai_validateAIs: repeats, `ex=` and `req=` (the cases with the unknown
/// AIs (89), (3338) are left out: we do not permit unknown AIs; the engine's extra rule
/// validateDigSigRequiresSerialisedKey is not in the dictionary and not ported).
#[test]
fn engine_ai_validate_ais() {
    check_all(&[
        ("(400)ABC", OK),
        ("(400)ABC(400)ABC", OK),
        ("(400)ABC(99)DEF(400)ABC", OK),
        ("(99)ABC(400)XYZ(400)XYZ", OK),
        ("(400)ABC(400)AB", Err("ai_repeated")),
        ("(400)ABC(400)ABCD", Err("ai_repeated")),
        ("(400)ABC(400)ABC(400)XYZ", Err("ai_repeated")),
        ("(400)ABC(400)XYZ(400)ABC", Err("ai_repeated")),
        ("(400)ABC(400)XYZ(400)XYZ", Err("ai_repeated")),
        ("(400)ABC(99)DEF(400)XYZ", Err("ai_repeated")),
        ("(99)ABC(400)ABC(400)XYZ", Err("ai_repeated")),
        ("(01)12345678901231(02)12345678901231", Err("ai_excludes")),
        ("(99)ABC123(01)12345678901231(02)12345678901231", Err("ai_excludes")),
        ("(01)12345678901231(99)ABC123(02)12345678901231", Err("ai_excludes")),
        ("(01)12345678901231(02)12345678901231(99)ABC123", Err("ai_excludes")),
        ("(01)12345678901231(255)5412345000150", Err("ai_excludes")),
        ("(01)12345678901231(37)123", Err("ai_excludes")),
        ("(21)ABC123(235)XYZ", Err("ai_excludes")),
        ("(3940)1234(8111)9999", Err("ai_excludes")),
        ("(3940)1234(3941)9999", Err("ai_excludes")),
        ("(3955)123456(3929)123", Err("ai_excludes")),
        ("(02)12345678901231", Err("ai_requires")),
        ("(02)12345678901231(37)123", Err("ai_requires")),
        ("(99)AAA(02)12345678901231(37)123", Err("ai_requires")),
        ("(02)12345678901231(99)AAA(37)123", Err("ai_requires")),
        ("(02)12345678901231(37)123(99)AAA", Err("ai_requires")),
        ("(02)12345678901231(37)123(00)123456789012345675", OK),
        ("(91)XXX(02)12345678901231(92)YYY(37)123(93)ZZZ(00)123456789012345675", OK),
        ("(21)ABC123", Err("ai_requires")),
        ("(21)ABC123(01)12345678901231", OK),
        ("(21)ABC123(8006)123456789012310510", OK),
        ("(01)12345678901231(250)ABC123", Err("ai_requires")),
        ("(01)12345678901231(21)XYZ999(250)ABC123", OK),
        ("(01)12345678901231(3925)12599", Err("ai_requires")),
        ("(01)12345678901231(3925)12599(30)123", OK),
        ("(01)12345678901231(3925)12599(3100)654321", OK),
        ("(01)12345678901231(3925)12599(3105)654321", OK),
        ("(01)12345678901231(3925)12599(3160)654321", OK),
        ("(01)12345678901231(3925)12599(3165)654321", OK),
        ("(01)12345678901231(3925)12599(3295)654321", OK),
        ("(01)12345678901231(3925)12599(3500)654321", OK),
        ("(01)12345678901231(3925)12599(3575)654321", OK),
        ("(01)12345678901231(3925)12599(3600)654321", OK),
        ("(01)12345678901231(3925)12599(3695)654321", OK),
        ("(8030)DIGSIG", Err("ai_requires")),
        ("(8030)DIGSIG(00)123456789012345675", OK),
        ("(8030)DIGSIG(01)12345678901231", Err("ai_requires")),
        ("(8030)DIGSIG(01)12345678901231(21)ABC123", OK),
        ("(8030)DIGSIG(253)1234567890128X", OK),
        ("(8030)DIGSIG(255)12345678901280", OK),
        ("(8030)DIGSIG(8003)01234567890128X", OK),
        ("(8030)DIGSIG(8004)01234567890", OK),
        ("(8030)DIGSIG(8006)123456789012310102", Err("ai_requires")),
        ("(8030)DIGSIG(8006)123456789012310102(21)ABC123", OK),
        ("(8030)DIGSIG(8010)1234567890", Err("ai_requires")),
        ("(8030)DIGSIG(8010)1234567890(8011)123456789012", OK),
        ("(8030)DIGSIG(8017)123456789012345675", OK),
        ("(8030)DIGSIG(8018)123456789012345675", OK),
    ]);
}

/// src/c-lib/scandata.c, test_scandata_processScanData. The engine returns plain data (`]Q1`,
/// `]d1`, `]J0`) as it is; we read GS1 data only, so plain data that is not a Digital Link is
/// refused (`not_gs1`). EAN-13/EAN-8 with a composite component (`|]e0…`) are not supported.
#[test]
fn engine_scandata_process_scan_data() {
    check_all(&[
        ("", Err("empty")),
        ("ABC", Err("ai_unknown")),
        ("]", Err("symbology")),
        ("]X", Err("symbology")),
        ("]XX", Err("symbology")),
        ("]e0", Err("empty")),
        ("]Q1", Err("not_gs1")),        // engine: plain data, accepted
        ("]Q1TESTING", Err("not_gs1")), // engine: plain data, accepted
        ("]Q3", Err("empty")),
        ("]Q3011231231231233310ABC123\u{1d}99TESTING", OK),
        ("]Q1https://example.com/01/12312312312333?99=TEST", OK),
        ("]Q1HTTPS://example.com/01/12312312312333?99=TEST", OK),
        // Engine: a mixed-case scheme is not a Digital Link. RFC 3986 §3.1 makes the scheme
        // case-insensitive; we read it.
        ("]Q1HtTps://example.com/01/12312312312333?99=TEST", OK),
        ("]d1", Err("not_gs1")),
        ("]d1TESTING", Err("not_gs1")),
        ("]d2", Err("empty")),
        ("]d2011231231231233310ABC123\u{1d}99TESTING", OK),
        ("]d1https://example.com/01/12312312312333?99=TEST", OK),
        ("]J0TESTING", Err("not_gs1")),
        ("]J1", Err("empty")),
        ("]J1011231231231233310ABC123\u{1d}99TESTING", OK),
        ("]J0https://example.com/01/12312312312333?99=TEST", OK),
        ("]e0011231231231233310ABC123\u{1d}99TESTING", OK),
        ("]e0011231231231233310ABC123\u{1d}99TESTING\u{1d}98XYZ", OK),
        ("]e0011231231231233310ABC123\u{1d}1199122598TESTING\u{1d}97XYZ", OK),
        ("]e00112312312312333235XYZ\u{1d}10ABC", OK),
        ("]C1", Err("empty")),
        ("]C1011231231231233310ABC123\u{1d}99TESTING", OK),
        ("]C10112312312312333235XYZ", OK),
        ("]C10112312312312333235XYZ\u{1d}10ABC", OK),
        ("]E0", Err("ai_length")),
        ("]E0123456789012", Err("ai_length")),
        ("]E012345678901234", Err("ai_length")),
        ("]E01234ABC890123", Err("ai_charset")),
        ("]E02112345678901", Err("gtin_check")),
        ("]E02112345678900", OK),
        ("]E02112345678900|]e099COMPOSITE\u{1d}98XYZ", Err("ai_charset")), // engine: composite, accepted
        ("]E4", Err("ai_length")),
        ("]E41234567", Err("ai_length")),
        ("]E4123456789", Err("ai_length")),
        ("]E412ABC678", Err("ai_charset")),
        ("]E402345674", Err("gtin_check")),
        ("]E402345673", OK),
        ("]C101123123123133^10ABC", Err("ai_charset")),
        ("]Q1https://a/NOPRIMARYAI", Err("digital_link")),
    ]);
}

/// src/c-lib/dl.c, test_dl_parseDLuri. The engine checks the URI and the key-qualifier
/// sequence there and the data later; we do both, so the outcome is ours for the whole URI.
#[test]
fn engine_dl_parse_dl_uri() {
    check_all(&[
        ("", Err("empty")),
        ("ftp://", Err("ai_unknown")),
        ("http://", Err("not_digital_link")),
        ("http:///", Err("digital_link")),
        ("http://a", Err("not_digital_link")),
        ("http://a/", Err("not_digital_link")),
        ("http://a/b", Err("not_digital_link")),
        ("http://a/b/", Err("not_digital_link")),
        ("http://a/00/006141411234567890", OK),
        ("HTTP://a/00/006141411234567890", OK),
        ("https://a/00/006141411234567890", OK),
        ("HTTPS://a/00/006141411234567890", OK),
        // Engine: mixed-case scheme forbidden. We follow RFC 3986 §3.1 (case-insensitive).
        ("HtTp://a/b/00/006141411234567890", OK),
        ("https://00/006141411234567890", Err("not_digital_link")),
        ("https://a/01/12312312312333", OK),
        ("https://xn--fsq.xn--0zwm56d/01/12312312312333", OK),
        ("https://a./01/12312312312333", OK),
        ("https://a:65535/01/12312312312333", OK),
        ("https://192.0.2.1/01/12312312312333", OK),
        ("https://3232235777/01/12312312312333", OK),
        ("https://0300.0250.01.01/01/12312312312333", OK),
        ("https://0xC0.0xA8.0x01.0x01/01/12312312312333", OK),
        ("https://[2001:db8::1]/01/12312312312333", OK),
        ("https://[fe80::1%25lo]/01/12312312312333", Err("digital_link")),
        ("https://$a/006141411234567890", Err("digital_link")),
        ("https://a$/006141411234567890", Err("digital_link")),
        ("https://a/01/12312312312333<bad", Err("digital_link")),
        ("https://a/01/12312312312333>bad", Err("digital_link")),
        ("https://a/01/12312312312333{bad", Err("digital_link")),
        ("https://a/01/12312312312333}bad", Err("digital_link")),
        ("https://a/01/12312312312333\\bad", Err("digital_link")),
        ("https://a/01/12312312312333^bad", Err("digital_link")),
        ("https://a/01/12312312312333`bad", Err("digital_link")),
        ("https://a/stem/00/006141411234567890", OK),
        ("https://a/more/stem/00/006141411234567890", OK),
        ("https://a/00/faux/00/006141411234567890", OK),
        // Convenience alphas are off by default in the engine; we do not read them.
        ("https://a/gtin/12312312312333", Err("not_digital_link")),
        // Zero-suppressed GTINs in the path: off by default in the engine; Digital Link 1.x
        // and our callers send them, so we pad them.
        ("https://a/01/2112345678900", OK),
        ("https://a/01/416000336108", OK),
        ("https://a/01/02345673", OK),
        // In the query string they are not padded (as the engine's default).
        ("https://a/8004/9520614141234567?01=2112345678900", Err("ai_length")),
        ("https://a/8004/9520614141234567?01=02345673", Err("ai_length")),
        ("https://a/8004/9520614141234567?01=09521234543213", OK),
        ("https://a/01/12312312312333/22/TEST/10/ABC/21/XYZ", OK),
        ("https://a/01/12312312312333/235/TEST", OK),
        ("https://a/253/1231231231232", OK),
        ("https://a/253/1231231231232TEST5678901234567", OK),
        ("https://a/253/1231231231232TEST56789012345678", Err("ai_length")),
        ("https://a/8018/123456789012345675/8019/123", OK),
        ("https://a/stem/00/006141411234567890/", Err("digital_link")),
        ("https://a/stem/00/006141411234567890?", OK),
        ("https://a/stem/00/006141411234567890?99=ABC", OK),
        ("https://a/stem/401/12345678?99=ABC", OK),
        ("https://a/01/12312312312333?99=ABC&98=XYZ", OK),
        ("https://a/01/12312312312333?99=", Err("digital_link")),
        ("https://a/01/12312312312333?99=ABC&999=faux", Err("ai_unknown")),
        ("https://a/01/12312312312333?&&&99=ABC&&&&&&98=XYZ&&&", OK),
        ("https://a/01/12312312312333?99=ABC&unknown=666&98=XYZ", OK),
        ("https://a/01/12312312312333?unknown=666&99=ABC&98=XYZ", OK),
        ("https://a/01/12312312312333?99=ABC&98=XYZ&unknown=666", OK),
        ("https://a/01/12312312312333?unknown1=555&99=ABC&unknown2=666&98=XYZ&unknown3=777", OK),
        ("https://a/01/12312312312333?99=ABC&singleton&98=XYZ", OK),
        ("https://a/01/12312312312333?singleton&99=ABC&98=XYZ", OK),
        ("https://a/01/12312312312333?99=ABC&98=XYZ&singleton", OK),
        ("https://a/01/12312312312333?singleton1&99=ABC&singleton2&98=XYZ&singleton3", OK),
        (
            "https://a/01/12312312312333?singleton1&unknown1=555&99=ABC&singleton2&unknown2=6666&98=XYZ&unknown3=777&singleton3",
            OK,
        ),
        ("https://a/01/12312312312333/22/ABC%2d123?99=ABC&98=XYZ%2f987", OK),
        ("https://a/01/12312312312333/22/ABC+123?99=ABC&98=XYZ%2f987", OK),
        ("https://a/01/12312312312333/22/ABC%2d123?99=ABC&98=XYZ+987", Err("ai_charset")),
        ("https://a/01/12312312312333/22/test/10/abc/21/xyz#", OK),
        ("https://a/01/12312312312333/22/test/10/abc/21/xyz#fragment", OK),
        ("https://a/stem/00/006141411234567890?99=ABC#", OK),
        ("https://a/stem/00/006141411234567890?99=ABC#fragment", OK),
        // Examples from the Digital Link specification, as the engine carries them.
        ("https://id.gs1.org/01/09520123456788", OK),
        ("https://brand.example.com/01/9520123456788", OK),
        ("https://brand.example.com/some-extra/pathinfo/01/9520123456788", OK),
        ("https://id.gs1.org/01/09520123456788/22/2A", OK),
        ("https://id.gs1.org/01/09520123456788/10/ABC123", OK),
        ("https://id.gs1.org/01/09520123456788/21/12345", OK),
        ("https://id.gs1.org/01/09520123456788/10/ABC1/21/12345?17=180426", OK),
        ("https://id.gs1.org/01/09520123456788?3103=000195", OK),
        ("https://example.com/01/9520123456788?3103=000195&3922=0299&17=201225", OK),
        ("https://example.com/01/09520123456788?3103=000195&3922=0299&17=201225", OK),
        ("https://id.gs1.org/01/9520123456788?17=201225&3103=000195&3922=0299", OK),
        ("https://id.gs1.org/00/952012345678912345", OK),
        ("https://id.gs1.org/00/952012345678912345?02=09520123456788&37=25&10=ABC123", OK),
        ("https://id.gs1.org/414/9520123456788", OK),
        ("https://id.gs1.org/414/9520123456788/254/32a%2Fb", OK),
        ("https://example.com/8004/9520614141234567?01=09520123456788", OK),
        ("https://example.com/01/09520123456788?10=ABC123", Err("digital_link")),
        ("https://id.gs1.org/01/09520123456788/235/XYZ?10=ABC123", OK),
        ("https://id.gs1.org/01/09520123456788/10/ABC123?99=XYZ789&01=09520123456788", Err("ai_repeated")),
        ("https://id.gs1.org/01/09520123456788/10/ABC123?99=XYZ789&10=ABC123", Err("ai_repeated")),
        ("https://id.gs1.org/01/09520123456788/10/ABC123?99=XYZ789&99=XYZ789", Err("ai_repeated")),
        ("https://example.com/01/09520123456788/89/ABC123?99=XYZ", Err("digital_link")),
        ("https://example.com/01/09520123456788?99=XYZ&89=ABC123", Err("ai_unknown")),
        ("https://a/01//12312312312333", Err("digital_link")),
        ("https://a/01/1231231231233%003", Err("digital_link")),
        ("https://a/01/12312312312333?99=ABC%00DEF", Err("digital_link")),
        ("https://a/01/12312312312333/10/", Err("digital_link")),
        ("https://a/01/12312312312333/99/ABC", Err("digital_link")),
    ]);
    let long = format!("https://a/01/12312312312333?99={}", "A".repeat(90));
    check(&long, OK);
    check(&format!("{long}A"), Err("ai_length"));
}

/// src/c-lib/dl.c, test_dl_testValidateDLpathAIseq: every key–qualifier sequence the engine
/// lists is valid; then each as a whole URI. (22) requires (01) (`22 X..20 req=01`), so the
/// sequences of (8006) with (22) are valid paths whose data the dictionary refuses.
#[test]
fn engine_dl_validate_dl_path_ai_seq() {
    let seqs: &[&[&str]] = &[
        &["00"],
        &["01"],
        &["01", "21"],
        &["01", "10"],
        &["01", "10", "21"],
        &["01", "22"],
        &["01", "22", "21"],
        &["01", "22", "10"],
        &["01", "22", "10", "21"],
        &["01", "235"],
        &["253"],
        &["255"],
        &["401"],
        &["402"],
        &["414"],
        &["414", "254"],
        &["414", "7040"],
        &["417"],
        &["417", "7040"],
        &["8003"],
        &["8004"],
        &["8004", "7040"],
        &["8006"],
        &["8006", "21"],
        &["8006", "10"],
        &["8006", "10", "21"],
        &["8006", "22"],
        &["8006", "22", "21"],
        &["8006", "22", "10"],
        &["8006", "22", "10", "21"],
        &["8010"],
        &["8010", "8011"],
        &["8013"],
        &["8017"],
        &["8017", "8019"],
        &["8018"],
        &["8018", "8019"],
    ];
    let dict = gs1::dictionary();
    let value = |ai: &str| value_of(dict.get(ai).unwrap());
    for seq in seqs {
        let key = dict.get(seq[0]).unwrap();
        assert!(gs1::link::valid_sequence(key, &seq[1..]), "{seq:?}");
        let mut uri = "https://example.com".to_string();
        for ai in *seq {
            uri.push_str(&format!("/{ai}/{}", urlencoding::encode(&value(ai))));
        }
        let expected = if seq[0] == "8006" && seq.contains(&"22") { Err("ai_requires") } else { OK };
        check(&uri, expected);
    }
    // And some the engine's grammar refuses.
    let gtin = dict.get("01").unwrap();
    assert!(!gs1::link::valid_sequence(gtin, &["10", "22"]));
    assert!(!gs1::link::valid_sequence(gtin, &["22", "235"]));
    assert!(!gs1::link::valid_sequence(dict.get("00").unwrap(), &["10"]));
}
