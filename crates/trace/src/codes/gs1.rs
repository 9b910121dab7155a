//! GS1 element strings (GS1 General Specifications §3 and §7.8) as scanners really send them:
//!
//! - raw, with FNC1 transmitted as GS (0x1D) after each variable-length field, with or without
//!   a leading symbology identifier (`]d2` Data Matrix, `]C1` GS1-128, `]Q3` QR, `]e0` DataBar,
//!   `]J1` DotCode) and with or without a leading FNC1;
//! - with the GS missing after a variable-length field that is at its maximum length (the next
//!   AI can only start there);
//! - the bracketed human-readable form `(01)09506000134352(17)261231(10)ABC(21)123`;
//! - GS1 Digital Link URIs, `https://id.gs1.org/01/09506000134352/10/ABC/21/123?17=261231`.
//!
//! Every field is checked against its AI: length, character set (numeric or GS1 AI encodable
//! character set 82), the mod-10 check digit of GTIN and SSCC, and YYMMDD dates (DD = 00 means the
//! last day of the month; the century by the rule of §7.12).

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use yaolian_core::gtin::check_digit;

use super::CodeError;

/// The group separator that stands for FNC1 in transmitted data.
pub const GS: char = '\u{1d}';

/// Symbology identifiers of the GS1 symbologies (ISO/IEC 15424), removed before parsing.
const SYMBOLOGY_IDS: &[&str] = &["]d2", "]C1", "]Q3", "]e0", "]J1"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// Exactly n digits.
    Fixed(usize),
    /// Up to n digits.
    Numeric(usize),
    /// Up to n characters of character set 82.
    Text(usize),
}

/// One supported Application Identifier.
struct Spec {
    ai: &'static str,
    title: &'static str,
    format: Format,
    check_digit: bool,
    date: bool,
}

const fn spec(ai: &'static str, title: &'static str, format: Format, check_digit: bool, date: bool) -> Spec {
    Spec { ai, title, format, check_digit, date }
}

/// The AIs drug packs and logistics units carry (GS1 General Specifications §3.2).
const SPECS: &[Spec] = &[
    spec("00", "SSCC", Format::Fixed(18), true, false),
    spec("01", "GTIN", Format::Fixed(14), true, false),
    spec("02", "CONTENT", Format::Fixed(14), true, false),
    spec("10", "BATCH/LOT", Format::Text(20), false, false),
    spec("11", "PROD DATE", Format::Fixed(6), false, true),
    spec("13", "PACK DATE", Format::Fixed(6), false, true),
    spec("15", "BEST BEFORE", Format::Fixed(6), false, true),
    spec("16", "SELL BY", Format::Fixed(6), false, true),
    spec("17", "USE BY/EXPIRY", Format::Fixed(6), false, true),
    spec("20", "VARIANT", Format::Fixed(2), false, false),
    spec("21", "SERIAL", Format::Text(20), false, false),
    spec("22", "CPV", Format::Text(20), false, false),
    spec("240", "ADDITIONAL ID", Format::Text(30), false, false),
    spec("241", "CUST. PART No.", Format::Text(30), false, false),
    spec("254", "GLN EXTENSION COMPONENT", Format::Text(20), false, false),
    spec("30", "VAR. COUNT", Format::Numeric(8), false, false),
    spec("37", "COUNT", Format::Numeric(8), false, false),
    spec("400", "ORDER NUMBER", Format::Text(30), false, false),
    spec("410", "SHIP TO LOC", Format::Fixed(13), true, false),
    spec("412", "PURCHASE FROM", Format::Fixed(13), true, false),
    spec("414", "LOC No.", Format::Fixed(13), true, false),
    spec("7003", "EXPIRY TIME", Format::Fixed(10), false, false),
];

fn lookup(ai: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.ai == ai)
}

/// Whether `c` is in the GS1 AI encodable character set 82 (§7.11, Figure 7.11-1).
fn cset82(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!\"%&'()*+,-./:;<=>?_".contains(c)
}

/// One element: an AI and its value as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Element {
    pub ai: String,
    pub value: String,
}

/// A read GS1 code with the fields drug traceability uses pulled out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gs1Code {
    /// AI (01) as 14 digits.
    pub gtin: Option<String>,
    /// AI (00).
    pub sscc: Option<String>,
    /// AI (17), with DD = 00 read as the month's last day.
    pub expiry: Option<NaiveDate>,
    /// AI (10).
    pub batch: Option<String>,
    /// AI (21).
    pub serial: Option<String>,
    /// Every element in the order read.
    pub elements: Vec<Element>,
}

/// Reads a GS1 code in any of the forms above. `today` decides the century of YYMMDD dates.
pub fn parse(input: &str, today: NaiveDate) -> Result<Gs1Code, CodeError> {
    let text = input.trim_end_matches(['\r', '\n']);
    let lead = text.len() - text.trim_start().len();
    let text = text.trim_start();
    if text.is_empty() {
        return Err(CodeError::at(1, "empty", "the code is empty"));
    }
    let lower = text.to_ascii_lowercase();
    let elements = if lower.starts_with("https://") || lower.starts_with("http://") {
        digital_link(text)?
    } else if text.starts_with('(') {
        bracketed(text, lead)?
    } else {
        let mut offset = lead;
        let mut body = text;
        if let Some(id) = SYMBOLOGY_IDS.iter().find(|id| body.starts_with(**id)) {
            body = &body[id.len()..];
            offset += id.chars().count();
        }
        if let Some(rest) = body.strip_prefix(GS) {
            body = rest;
            offset += 1;
        }
        element_string(body, offset)?
    };
    build(elements, today)
}

/// Checks one element's value; `pos` is the 1-based position of its first character.
fn check_value(spec: &Spec, value: &str, pos: usize) -> Result<(), CodeError> {
    let n = value.chars().count();
    let ai = spec.ai;
    match spec.format {
        Format::Fixed(len) if n != len => {
            return Err(CodeError::at(pos, "ai_length", format!("({ai}) {} has {len} digits, found {n}", spec.title)))
        }
        Format::Numeric(max) | Format::Text(max) if n == 0 || n > max => {
            return Err(CodeError::at(
                pos,
                "ai_length",
                format!("({ai}) {} has 1 to {max} characters, found {n}", spec.title),
            ))
        }
        _ => {}
    }
    let numeric = matches!(spec.format, Format::Fixed(_) | Format::Numeric(_));
    for (i, c) in value.chars().enumerate() {
        let ok = if numeric { c.is_ascii_digit() } else { cset82(c) };
        if !ok {
            let what = if numeric { "a digit" } else { "in GS1 character set 82" };
            return Err(CodeError::at(pos + i, "ai_charset", format!("({ai}) {}: {c:?} is not {what}", spec.title)));
        }
    }
    if spec.check_digit {
        let (body, last) = value.split_at(value.len() - 1);
        let expected = check_digit(body).unwrap_or(0);
        let found = last.parse::<u32>().unwrap_or(10);
        if expected != found {
            let (rule, name) = match ai {
                "01" | "02" => ("gtin_check", "GTIN"),
                "00" => ("sscc_check", "SSCC"),
                _ => ("gln_check", "GLN"),
            };
            return Err(CodeError::at(
                pos + value.len() - 1,
                rule,
                format!("{name} check digit: expected {expected}, found {found}"),
            ));
        }
    }
    Ok(())
}

/// A YYMMDD date: the century by §7.12 (a year more than 50 ahead of `today` is in the past
/// century, more than 49 behind is in the next), DD = 00 the last day of the month.
pub fn yymmdd(value: &str, today: NaiveDate) -> Option<NaiveDate> {
    if value.len() != 6 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let yy: i32 = value[0..2].parse().ok()?;
    let mm: u32 = value[2..4].parse().ok()?;
    let dd: u32 = value[4..6].parse().ok()?;
    let current = today.year();
    let century = current / 100 * 100;
    let diff = yy - current % 100;
    let year = if diff >= 51 {
        century - 100 + yy
    } else if diff <= -50 {
        century + 100 + yy
    } else {
        century + yy
    };
    if dd == 0 {
        let first = NaiveDate::from_ymd_opt(year, mm, 1)?;
        return first.checked_add_months(chrono::Months::new(1))?.pred_opt();
    }
    NaiveDate::from_ymd_opt(year, mm, dd)
}

/// Reads the AI at the start of `s`: the longest supported AI that is a prefix.
fn read_ai(s: &str, pos: usize) -> Result<&'static Spec, CodeError> {
    for len in [2, 3, 4] {
        if let Some(spec) = s.get(..len).and_then(lookup) {
            return Ok(spec);
        }
    }
    let shown: String = s.chars().take(4).collect();
    Err(CodeError::at(pos, "ai_unknown", format!("no supported application identifier at {shown:?}")))
}

/// Raw element string: fixed-length fields by their length, variable ones up to GS, their
/// maximum length, or the end.
fn element_string(s: &str, offset: usize) -> Result<Vec<(Element, usize)>, CodeError> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == GS {
            i += 1;
            continue;
        }
        let rest: String = chars[i..].iter().collect();
        let spec = read_ai(&rest, offset + i + 1)?;
        let start = i + spec.ai.len();
        let end = match spec.format {
            Format::Fixed(n) => {
                let end = start + n;
                if end > chars.len() || chars[start..end].contains(&GS) {
                    let got = chars[start..].iter().take_while(|c| **c != GS).count();
                    return Err(CodeError::at(
                        offset + start + 1,
                        "ai_length",
                        format!("({}) {} has {n} digits, found {got}", spec.ai, spec.title),
                    ));
                }
                end
            }
            Format::Numeric(max) | Format::Text(max) => {
                let run = chars[start..].iter().take_while(|c| **c != GS).count();
                start + run.min(max)
            }
        };
        let value: String = chars[start..end].iter().collect();
        out.push((Element { ai: spec.ai.into(), value }, offset + start + 1));
        i = end;
    }
    if out.is_empty() {
        return Err(CodeError::at(offset + 1, "empty", "no element in the code"));
    }
    Ok(out)
}

/// The bracketed form: `(AI)value(AI)value…`.
fn bracketed(s: &str, offset: usize) -> Result<Vec<(Element, usize)>, CodeError> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '(' {
            return Err(CodeError::at(offset + i + 1, "bracket", "expected \"(\" and an application identifier"));
        }
        let close = chars[i..].iter().position(|c| *c == ')').map(|p| i + p);
        let Some(close) = close else {
            return Err(CodeError::at(offset + i + 1, "bracket", "\"(\" without \")\""));
        };
        let ai: String = chars[i + 1..close].iter().collect();
        if lookup(&ai).is_none() {
            return Err(CodeError::at(
                offset + i + 2,
                "ai_unknown",
                format!("no supported application identifier ({ai})"),
            ));
        }
        // The value runs to the next "(" that opens an AI: digits then ")".
        let mut end = close + 1;
        while end < chars.len() {
            if chars[end] == '(' {
                let ahead: String = chars[end + 1..].iter().take_while(|c| c.is_ascii_digit()).collect();
                if !ahead.is_empty() && chars.get(end + 1 + ahead.len()) == Some(&')') && lookup(&ahead).is_some() {
                    break;
                }
            }
            end += 1;
        }
        let value: String = chars[close + 1..end].iter().collect();
        out.push((Element { ai, value }, offset + close + 2));
        i = end;
    }
    Ok(out)
}

/// A GS1 Digital Link URI: the primary key and its qualifiers in the path (`/01/{gtin}`,
/// `/22/…`, `/10/…`, `/21/…`), other AIs in the query string. Any domain and path prefix.
fn digital_link(uri: &str) -> Result<Vec<(Element, usize)>, CodeError> {
    let (before_query, query) = uri.split_once('?').unwrap_or((uri, ""));
    let before_query = before_query.split('#').next().unwrap_or(before_query);
    let query = query.split('#').next().unwrap_or(query);
    let path_start = before_query.find("://").map(|p| p + 3).and_then(|p| before_query[p..].find('/').map(|q| p + q));
    let Some(path_start) = path_start else {
        return Err(CodeError::at(1, "digital_link", "a Digital Link URI has a path like /01/{GTIN}"));
    };
    let segments: Vec<&str> = before_query[path_start..].split('/').filter(|s| !s.is_empty()).collect();
    let Some(key_at) = segments.iter().position(|s| matches!(*s, "01" | "00" | "414")) else {
        return Err(CodeError::at(path_start + 1, "digital_link", "no primary key (01, 00 or 414) in the path"));
    };
    let decode = |s: &str, pos: usize| {
        urlencoding::decode(s)
            .map(|c| c.into_owned())
            .map_err(|_| CodeError::at(pos, "digital_link", "bad percent-encoding"))
    };
    let mut out = Vec::new();
    let pairs = segments[key_at..].chunks(2);
    for pair in pairs {
        let pos = uri.find(pair[0]).map(|p| p + 1).unwrap_or(1);
        let [ai, value] = pair else {
            return Err(CodeError::at(pos, "digital_link", format!("path segment {} has no value", pair[0])));
        };
        if lookup(ai).is_none() {
            return Err(CodeError::at(pos, "ai_unknown", format!("no supported application identifier ({ai})")));
        }
        let mut value = decode(value, pos)?;
        // Digital Link allows GTIN-8, -12 and -13 in the path; (01) is 14 digits.
        if *ai == "01"
            && value.len() < 14
            && value.bytes().all(|b| b.is_ascii_digit())
            && matches!(value.len(), 8 | 12 | 13)
        {
            value = format!("{value:0>14}");
        }
        out.push((Element { ai: (*ai).into(), value }, pos));
    }
    for param in query.split('&').filter(|p| !p.is_empty()) {
        let (ai, value) = param.split_once('=').unwrap_or((param, ""));
        if ai.bytes().all(|b| b.is_ascii_digit()) && lookup(ai).is_some() {
            let pos = uri.find(param).map(|p| p + 1).unwrap_or(1);
            out.push((Element { ai: ai.into(), value: decode(value, pos)? }, pos));
        }
    }
    Ok(out)
}

/// Validates the elements and pulls out the traceability fields.
fn build(elements: Vec<(Element, usize)>, today: NaiveDate) -> Result<Gs1Code, CodeError> {
    let mut code = Gs1Code { gtin: None, sscc: None, expiry: None, batch: None, serial: None, elements: Vec::new() };
    for (e, pos) in elements {
        let Some(spec) = lookup(&e.ai) else {
            return Err(CodeError::at(pos, "ai_unknown", format!("no supported application identifier ({})", e.ai)));
        };
        check_value(spec, &e.value, pos)?;
        if code.elements.iter().any(|x| x.ai == e.ai) {
            return Err(CodeError::at(pos, "ai_repeated", format!("({}) appears twice", e.ai)));
        }
        if spec.date && yymmdd(&e.value, today).is_none() {
            return Err(CodeError::at(
                pos,
                "date",
                format!("({}) {}: {} is not a date YYMMDD", e.ai, spec.title, e.value),
            ));
        }
        match e.ai.as_str() {
            "01" => code.gtin = Some(e.value.clone()),
            "00" => code.sscc = Some(e.value.clone()),
            "17" => code.expiry = yymmdd(&e.value, today),
            "10" => code.batch = Some(e.value.clone()),
            "21" => code.serial = Some(e.value.clone()),
            _ => {}
        }
        code.elements.push(e);
    }
    if code.serial.is_some() && code.gtin.is_none() {
        return Err(CodeError::at(1, "ai_requires", "(21) SERIAL needs (01) GTIN"));
    }
    Ok(code)
}

impl Gs1Code {
    /// The value of `ai`, if the code carries it.
    pub fn get(&self, ai: &str) -> Option<&str> {
        self.elements.iter().find(|e| e.ai == ai).map(|e| e.value.as_str())
    }

    /// The element string with GS after every variable-length field but the last, keys first
    /// (the order of the elements as read).
    pub fn element_string(&self) -> String {
        let mut out = String::new();
        let n = self.elements.len();
        for (i, e) in self.elements.iter().enumerate() {
            out.push_str(&e.ai);
            out.push_str(&e.value);
            let variable = lookup(&e.ai).is_some_and(|s| !matches!(s.format, Format::Fixed(_)));
            if variable && i + 1 < n {
                out.push(GS);
            }
        }
        out
    }

    /// The bracketed human-readable form.
    pub fn human_readable(&self) -> String {
        self.elements.iter().map(|e| format!("({}){}", e.ai, e.value)).collect()
    }

    /// The GS1 Digital Link URI on `base` (e.g. `https://id.gs1.org`): the GTIN (or SSCC) and
    /// its qualifiers CPV (22), batch (10) and serial (21) in the path, in that order; the other
    /// AIs as query parameters.
    pub fn digital_link(&self, base: &str) -> Option<String> {
        let base = base.trim_end_matches('/');
        let enc = |v: &str| urlencoding::encode(v).into_owned();
        let mut uri = if let Some(gtin) = &self.gtin {
            let mut u = format!("{base}/01/{gtin}");
            for q in ["22", "10", "21"] {
                if let Some(v) = self.get(q) {
                    u.push_str(&format!("/{q}/{}", enc(v)));
                }
            }
            u
        } else {
            format!("{base}/00/{}", self.sscc.as_deref()?)
        };
        let path_ais = ["01", "00", "22", "10", "21"];
        let query: Vec<String> = self
            .elements
            .iter()
            .filter(|e| !path_ais.contains(&e.ai.as_str()))
            .map(|e| format!("{}={}", e.ai, enc(&e.value)))
            .collect();
        if !query.is_empty() {
            uri.push('?');
            uri.push_str(&query.join("&"));
        }
        Some(uri)
    }

    /// The EPC pure-identity URI (GS1 Tag Data Standard): `urn:epc:id:sgtin:…` for a GTIN with
    /// a serial, `urn:epc:id:sscc:…` for an SSCC. The GS1 company prefix length (6 to 12) is not
    /// in the code itself; it comes from the registry.
    pub fn epc_urn(&self, company_prefix_len: usize) -> Option<String> {
        if !(6..=12).contains(&company_prefix_len) {
            return None;
        }
        if let (Some(gtin), Some(serial)) = (&self.gtin, &self.serial) {
            // GTIN-14: indicator, company prefix, item reference, check digit.
            let indicator = &gtin[0..1];
            let prefix = &gtin[1..1 + company_prefix_len];
            let item = &gtin[1 + company_prefix_len..13];
            return Some(format!("urn:epc:id:sgtin:{prefix}.{indicator}{item}.{}", escape_epc(serial)));
        }
        let sscc = self.sscc.as_deref()?;
        let extension = &sscc[0..1];
        let prefix = &sscc[1..1 + company_prefix_len];
        let serial = &sscc[1 + company_prefix_len..17];
        Some(format!("urn:epc:id:sscc:{prefix}.{extension}{serial}"))
    }
}

/// Escapes a serial for an EPC URI (TDS §7: `"`, `%`, `&`, `/`, `<`, `>` and `?` as %XX).
fn escape_epc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' | '%' | '&' | '/' | '<' | '>' | '?' => out.push_str(&format!("%{:02X}", c as u32)),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap_or_default()
    }

    fn read(s: &str) -> Result<Gs1Code, CodeError> {
        parse(s, today())
    }

    /// The GS1 example GTIN 09506000134352 (GS1 General Specifications and Digital Link
    /// examples) with expiry 2027-12-31, batch ABC123 and serial 12345XYZ, in every form a
    /// scanner or a system sends it.
    #[test]
    fn every_scanner_form_reads_to_the_same_fields() {
        let forms = [
            "010950600013435217271231".to_string() + "10ABC123\u{1d}2112345XYZ",
            "]d2010950600013435217271231".to_string() + "10ABC123\u{1d}2112345XYZ",
            "]C1\u{1d}010950600013435217271231".to_string() + "10ABC123\u{1d}2112345XYZ",
            "]Q3010950600013435217271231".to_string() + "10ABC123\u{1d}2112345XYZ",
            // Serial first: its GS is needed, the batch runs to the end.
            "]d20109506000134352".to_string() + "2112345XYZ\u{1d}17271231" + "10ABC123",
            "(01)09506000134352(17)271231(10)ABC123(21)12345XYZ".to_string(),
            "https://id.gs1.org/01/09506000134352/10/ABC123/21/12345XYZ?17=271231".to_string(),
            "https://example.cn/dl/01/9506000134352/10/ABC123/21/12345XYZ?17=271231&linkType=gs1:pip".to_string(),
        ];
        for f in &forms {
            let c = read(f).unwrap_or_else(|e| panic!("{f:?}: {e}"));
            assert_eq!(c.gtin.as_deref(), Some("09506000134352"), "{f:?}");
            assert_eq!(c.batch.as_deref(), Some("ABC123"), "{f:?}");
            assert_eq!(c.serial.as_deref(), Some("12345XYZ"), "{f:?}");
            assert_eq!(c.expiry, NaiveDate::from_ymd_opt(2027, 12, 31), "{f:?}");
        }
    }

    #[test]
    fn a_missing_gs_after_a_full_length_field_is_still_read() {
        // A 20-character batch ends where (21) begins, with no GS between.
        let c = read(&("0109506000134352".to_owned() + "10ABCDEFGHIJ0123456789" + "21SN1"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.batch.as_deref(), Some("ABCDEFGHIJ0123456789"));
        assert_eq!(c.serial.as_deref(), Some("SN1"));
    }

    #[test]
    fn errors_name_the_position_and_the_rule() {
        // 09506000134357: the check digit should be 2.
        let e = read("0109506000134357").err().unwrap_or_else(|| panic!("refused"));
        assert_eq!((e.rule, e.position), ("gtin_check", 16));
        assert_eq!(e.message, "GTIN check digit: expected 2, found 7");
        let e = read("(01)09506000134352(17)271332").err().unwrap_or_else(|| panic!("refused"));
        assert_eq!(e.rule, "date");
        let e = read("0109506000134352991234").err().unwrap_or_else(|| panic!("refused"));
        assert_eq!((e.rule, e.position), ("ai_unknown", 17));
        let e = read("01095060001343").err().unwrap_or_else(|| panic!("refused"));
        assert_eq!(e.rule, "ai_length");
        let e = read("010950600013435210AB C").err().unwrap_or_else(|| panic!("refused"));
        assert_eq!((e.rule, e.position), ("ai_charset", 21));
        let e = read("2112345").err().unwrap_or_else(|| panic!("refused"));
        assert_eq!(e.rule, "ai_requires");
        // The symbology identifier counts in positions.
        let e = read("]d20109506000134357").err().unwrap_or_else(|| panic!("refused"));
        assert_eq!(e.position, 19);
    }

    #[test]
    fn dates_follow_the_century_rule_and_day_00() {
        let t = today();
        // §7.12: from 2026, "76" is 2076 (50 ahead), "77" is 1977 (51 ahead).
        assert_eq!(yymmdd("761231", t), NaiveDate::from_ymd_opt(2076, 12, 31));
        assert_eq!(yymmdd("771231", t), NaiveDate::from_ymd_opt(1977, 12, 31));
        // DD = 00: the last day of the month, in a leap year too.
        assert_eq!(yymmdd("280200", t), NaiveDate::from_ymd_opt(2028, 2, 29));
        assert_eq!(yymmdd("270200", t), NaiveDate::from_ymd_opt(2027, 2, 28));
        assert_eq!(yymmdd("271300", t), None);
        assert_eq!(yymmdd("270230", t), None);
    }

    #[test]
    fn written_forms_round_trip() {
        let c = read("(01)09506000134352(17)271231(10)AB/C 1(21)12345XYZ").err();
        assert!(c.is_some(), "a space is not in character set 82");
        let c = read("(01)09506000134352(17)271231(10)AB/C%1(21)12&5").unwrap_or_else(|e| panic!("{e}"));
        let dl = c.digital_link("https://id.gs1.org").unwrap_or_default();
        assert_eq!(dl, "https://id.gs1.org/01/09506000134352/10/AB%2FC%251/21/12%265?17=271231");
        let back = read(&dl).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.batch, c.batch);
        assert_eq!(back.serial, c.serial);
        assert_eq!(back.expiry, c.expiry);
        assert_eq!(read(&c.element_string()).unwrap_or_else(|e| panic!("{e}")).elements, c.elements);
        assert_eq!(read(&c.human_readable()).unwrap_or_else(|e| panic!("{e}")).elements, c.elements);
        // Tag Data Standard: company prefix 9506000 (7 digits), indicator 0, item 13435.
        assert_eq!(c.epc_urn(7).as_deref(), Some("urn:epc:id:sgtin:9506000.013435.12%265"));
        assert_eq!(c.epc_urn(5), None);
        let sscc = read("00106141411234567897").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sscc.epc_urn(7).as_deref(), Some("urn:epc:id:sscc:0614141.1123456789"));
    }
}
