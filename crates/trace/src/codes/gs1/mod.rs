//! GS1 element strings (GS1 General Specifications §3 and §7.8) as scanners really send them,
//! checked against the GS1 Barcode Syntax Dictionary (release 2026-01-27, [`dictionary`]):
//!
//! - raw, with FNC1 transmitted as GS (0x1D) after each field that is not of predefined length
//!   (the dictionary's `*` flag), with or without a leading symbology identifier (`]C1` GS1-128,
//!   `]e0` DataBar, `]d2` Data Matrix, `]Q3` QR, `]J1` DotCode) and a leading FNC1;
//! - with the GS missing after a variable-length field that is at its maximum length (the next
//!   AI can only start there);
//! - EAN-13 and EAN-8 (`]E0`, `]E4`): a GTIN with no AI, read as (01);
//! - the bracketed human-readable form `(01)09506000134352(17)261231(10)ABC(21)123`;
//! - GS1 Digital Link URIs, `https://id.gs1.org/01/09506000134352/10/ABC/21/123?17=261231`, also
//!   behind `]d1`/`]Q1` (plain data) ([`link`]).
//!
//! Every AI the dictionary lists is read (541 in this release). Each value is checked against its
//! AI's components: length, character set (N digits, X set 82, Y set 39, Z base64url) and the
//! linters the dictionary names ([`lint`]: check digits, dates, country and currency codes, …).
//! Over the whole message: an AI repeated with another value is refused, and the dictionary's
//! `ex=` (invalid pairings) and `req=` (mandatory associations) rules are applied.
//!
//! Errors name the 1-based position in what was sent and a stable rule: `empty`, `symbology`,
//! `not_gs1`, `ai_unknown`, `ai_length`, `ai_charset`, `gtin_check` (01, 02, 03), `sscc_check`
//! (00), `gln_check` (410–417), `check_digit` (other check digits and pairs), `date`, `ai_lint`
//! (other linters), `ai_repeated`, `ai_excludes`, `ai_requires`, `digital_link`, `bracket`.

pub mod dictionary;
pub mod link;
pub mod lint;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::CodeError;
use dictionary::{Cset, Entry, DICTIONARY};
use lint::Kind;

/// The group separator that stands for FNC1 in transmitted data.
pub const GS: char = '\u{1d}';

/// The dictionary the parser reads with.
pub fn dictionary() -> &'static dictionary::Dictionary {
    &DICTIONARY
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
    /// Every element in the order read (an AI repeated with the same value, once).
    pub elements: Vec<Element>,
}

/// Elements as read, each with the 1-based position of its value's first character.
type Read = Vec<(Element, usize)>;

/// Reads a GS1 code in any of the forms above. `today` decides the century of YYMMDD dates.
pub fn parse(input: &str, today: NaiveDate) -> Result<Gs1Code, CodeError> {
    let text = input.trim_end_matches(['\r', '\n']);
    let trimmed = text.trim_start();
    let lead = text[..text.len() - trimmed.len()].chars().count();
    let text = trimmed;
    if text.is_empty() {
        return Err(CodeError::at(1, "empty", "the code is empty"));
    }
    let elements = if text.starts_with(']') {
        symbology(text, lead, today)?
    } else if link::is_web_uri(text) {
        link::parse(text, lead)?
    } else if text.starts_with('(') {
        bracketed(text, lead)?
    } else {
        let (body, offset) = match text.strip_prefix(GS) {
            Some(rest) => (rest, lead + 1),
            None => (text, lead),
        };
        element_string(body, offset, today)?
    };
    build(elements, today)
}

/// Data behind a symbology identifier (ISO/IEC 15424); `lead` characters came before it.
fn symbology(text: &str, lead: usize, today: NaiveDate) -> Result<Read, CodeError> {
    let (id, body) = match (text.get(..3), text.get(3..)) {
        (Some(id), Some(body)) => (id, body),
        _ => return Err(CodeError::at(lead + 1, "symbology", format!("{text:?} is not a symbology identifier"))),
    };
    let offset = lead + 3;
    match id {
        "]C1" | "]e0" | "]d2" | "]Q3" | "]J1" => {
            let (body, offset) = match body.strip_prefix(GS) {
                Some(rest) => (rest, offset + 1),
                None => (body, offset),
            };
            if body.is_empty() {
                return Err(CodeError::at(offset + 1, "empty", format!("no GS1 data after {id}")));
            }
            element_string(body, offset, today)
        }
        "]E0" => ean(body, offset, 13, "EAN-13"),
        "]E4" => ean(body, offset, 8, "EAN-8"),
        "]d1" | "]Q1" | "]J0" => {
            if link::is_web_uri(body) {
                link::parse(body, offset)
            } else {
                Err(CodeError::at(
                    offset + 1,
                    "not_gs1",
                    format!(
                        "{id} carries plain data, not GS1 data (of plain data only a GS1 Digital Link URI is read)"
                    ),
                ))
            }
        }
        _ => Err(CodeError::at(
            lead + 1,
            "symbology",
            format!(
                "{id} is not a symbology identifier of GS1 data (]C1, ]e0, ]d2, ]Q3, ]J1, ]E0, ]E4, ]d1, ]Q1, ]J0)"
            ),
        )),
    }
}

/// EAN-13 / EAN-8: `n` digits, a GTIN with no AI; read as (01) padded to 14 digits.
fn ean(body: &str, offset: usize, n: usize, name: &str) -> Result<Read, CodeError> {
    if let Some((i, c)) = body.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
        return Err(CodeError::at(offset + i + 1, "ai_charset", format!("{name}: {c:?} is not a digit")));
    }
    if body.len() != n {
        return Err(CodeError::at(offset + 1, "ai_length", format!("{name} has {n} digits, found {}", body.len())));
    }
    let (data, last) = body.split_at(n - 1);
    let expected = yaolian_core::gtin::check_digit(data).unwrap_or(0);
    let found = last.parse::<u32>().unwrap_or(10);
    if expected != found {
        return Err(CodeError::at(
            offset + n,
            "gtin_check",
            format!("GTIN check digit: expected {expected}, found {found}"),
        ));
    }
    Ok(vec![(Element { ai: "01".into(), value: format!("{body:0>14}") }, offset + 1)])
}

/// The AI at the start of `s`: its length from its first two digits, then the table.
fn read_ai(s: &[char]) -> Option<&'static Entry> {
    let dict = &*DICTIONARY;
    let mut buf = [0u8; 4];
    for (i, c) in s.iter().take(2).enumerate() {
        buf[i] = u8::try_from(*c).ok().filter(u8::is_ascii_digit)?;
    }
    let len = dict.ai_length(&buf[..2])?;
    for (i, c) in s.iter().enumerate().take(len).skip(2) {
        buf[i] = u8::try_from(*c).ok().filter(u8::is_ascii_digit)?;
    }
    if s.len() < len {
        return None;
    }
    dict.get(std::str::from_utf8(&buf[..len]).ok()?)
}

fn unknown_ai(s: &[char], pos: usize) -> CodeError {
    let shown: String = s.iter().take(4).collect();
    CodeError::at(pos, "ai_unknown", format!("no GS1 application identifier at {shown:?}"))
}

/// Raw element string: fields of predefined length (`*`) by their length, others up to GS,
/// their maximum length (when the next AI follows straight on), or the end.
fn element_string(s: &str, offset: usize, today: NaiveDate) -> Result<Read, CodeError> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == GS {
            i += 1;
            continue;
        }
        let entry = read_ai(&chars[i..]).ok_or_else(|| unknown_ai(&chars[i..], offset + i + 1))?;
        let start = i + entry.ai.len();
        let run = chars[start..].iter().take_while(|c| **c != GS).count();
        let max = entry.max_len();
        let end = if entry.predefined {
            if run < max {
                return Err(CodeError::at(
                    offset + start + 1,
                    "ai_length",
                    format!("({}) value must have {max} characters, found {run}", entry.ai),
                ));
            }
            start + max
        } else if run > max {
            // At its maximum length the field may run straight into the next AI.
            if read_ai(&chars[start + max..]).is_none() {
                return Err(CodeError::at(
                    offset + start + 1,
                    "ai_length",
                    format!("({}) value longer than {max}", entry.ai),
                ));
            }
            start + max
        } else {
            start + run
        };
        let value: String = chars[start..end].iter().collect();
        // Checked here, so that a bad field is named before whatever follows it is read.
        check_value(entry, &value, offset + start + 1, today)?;
        out.push((Element { ai: entry.ai.clone(), value }, offset + start + 1));
        i = end;
    }
    if out.is_empty() {
        return Err(CodeError::at(offset + 1, "empty", "no element in the code"));
    }
    Ok(out)
}

/// The bracketed form: `(AI)value(AI)value…`.
fn bracketed(s: &str, offset: usize) -> Result<Read, CodeError> {
    let dict = &*DICTIONARY;
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
        if dict.get(&ai).is_none() {
            return Err(CodeError::at(
                offset + i + 2,
                "ai_unknown",
                format!("({ai}) is not a GS1 application identifier"),
            ));
        }
        // The value runs to the next "(" that opens an AI: digits then ")". "\(" is a "(" in
        // the value (the GS1 syntax engine's escape).
        let mut value = String::new();
        let mut end = close + 1;
        while end < chars.len() {
            if chars[end] == '\\' && chars.get(end + 1) == Some(&'(') {
                value.push('(');
                end += 2;
                continue;
            }
            if chars[end] == '(' {
                let ahead: String = chars[end + 1..].iter().take_while(|c| c.is_ascii_digit()).collect();
                if !ahead.is_empty() && chars.get(end + 1 + ahead.len()) == Some(&')') && dict.get(&ahead).is_some() {
                    break;
                }
            }
            value.push(chars[end]);
            end += 1;
        }
        out.push((Element { ai, value }, offset + close + 2));
        i = end;
    }
    Ok(out)
}

/// The rule and name of a failed mod-10 check digit for `ai`.
fn check_digit_rule(entry: &Entry) -> (&'static str, String) {
    match entry.ai.as_str() {
        "01" | "02" | "03" => ("gtin_check", "GTIN".into()),
        "00" => ("sscc_check", "SSCC".into()),
        "410" | "411" | "412" | "413" | "414" | "415" | "416" | "417" => ("gln_check", "GLN".into()),
        _ => ("check_digit", entry.label()),
    }
}

fn cset_name(cset: Cset) -> &'static str {
    match cset {
        Cset::Numeric => "a digit",
        Cset::Cset82 => "in GS1 character set 82",
        Cset::Cset39 => "in GS1 character set 39",
        Cset::Cset64 => "in base64url (GS1 character set 64)",
    }
}

fn in_cset(cset: Cset, c: u8) -> bool {
    match cset {
        Cset::Numeric => c.is_ascii_digit(),
        Cset::Cset82 => c.is_ascii_alphanumeric() || b"!\"%&'()*+,-./:;<=>?_".contains(&c),
        Cset::Cset39 => c.is_ascii_digit() || c.is_ascii_uppercase() || b"#-/".contains(&c),
        Cset::Cset64 => c.is_ascii_alphanumeric() || c == b'-' || c == b'_',
    }
}

/// Checks one element's value against its AI's components; `pos` is the 1-based position of
/// its first character.
fn check_value(entry: &Entry, value: &str, pos: usize, today: NaiveDate) -> Result<(), CodeError> {
    let ai = &entry.ai;
    let n = value.chars().count();
    let (min, max) = (entry.min_len(), entry.max_len());
    let length = |message: String| CodeError::at(pos, "ai_length", message);
    if n > max {
        return Err(length(if entry.fixed() {
            format!("({ai}) value must have {max} characters, found {n}")
        } else {
            format!("({ai}) value longer than {max}")
        }));
    }
    if n < min {
        return Err(length(if n == 0 {
            format!("({ai}) value is empty")
        } else if entry.fixed() {
            format!("({ai}) value must have {max} characters, found {n}")
        } else {
            format!("({ai}) value shorter than {min}")
        }));
    }
    if let Some((i, c)) = value.chars().enumerate().find(|(_, c)| !c.is_ascii()) {
        return Err(CodeError::at(pos + i, "ai_charset", format!("({ai}) {c:?} is not allowed")));
    }
    // ASCII from here: byte offsets are character offsets.
    let b = value.as_bytes();
    let mut p = 0;
    for comp in &entry.components {
        if p == b.len() && comp.optional {
            break;
        }
        let rest = b.len() - p;
        let take = if comp.min == comp.max { comp.max } else { rest.min(comp.max) };
        if take > rest || take < comp.min {
            return Err(length(format!("({ai}) value of {n} characters does not fit {}", entry.spec)));
        }
        let part = &value[p..p + take];
        // Base64url may end in "=" padding (at most two, the whole a multiple of 3 long).
        let pads = if comp.cset == Cset::Cset64 { part.bytes().rev().take_while(|c| *c == b'=').count() } else { 0 };
        if pads > 2 || (pads > 0 && !part.len().is_multiple_of(3)) {
            return Err(CodeError::at(
                pos + p + part.len() - pads,
                "ai_charset",
                format!("({ai}) {}: bad base64url padding", entry.title),
            ));
        }
        if let Some(i) = part.bytes().take(part.len() - pads).position(|c| !in_cset(comp.cset, c)) {
            let c = char::from(part.as_bytes()[i]);
            return Err(CodeError::at(
                pos + p + i,
                "ai_charset",
                format!("({ai}) {}: {c:?} is not {}", entry.title, cset_name(comp.cset)),
            ));
        }
        for linter in &comp.linters {
            if let Err(f) = linter.check(part, today) {
                let at = pos + p + f.offset;
                return Err(match linter.kind() {
                    Kind::CheckDigit => {
                        let (rule, name) = check_digit_rule(entry);
                        CodeError::at(at, rule, format!("{name} {}", f.message))
                    }
                    Kind::CheckPair => CodeError::at(at, "check_digit", format!("{} {}", entry.label(), f.message)),
                    Kind::Date => CodeError::at(at, "date", format!("{}: {}", entry.label(), f.message)),
                    Kind::Other => CodeError::at(at, "ai_lint", format!("({ai}) {}", f.message)),
                });
            }
        }
        p += take;
    }
    if p < b.len() {
        return Err(length(format!("({ai}) value of {n} characters does not fit {}", entry.spec)));
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

/// `(01)`, `(01) with (21)`, …, joined with "or".
fn alternatives(req: &dictionary::Requirement) -> String {
    let items: Vec<String> =
        req.iter().map(|group| group.iter().map(|p| format!("({})", p.0)).collect::<Vec<_>>().join(" with ")).collect();
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

/// Validates the elements, applies the message-wide rules and pulls out the traceability
/// fields.
fn build(read: Read, today: NaiveDate) -> Result<Gs1Code, CodeError> {
    let dict = &*DICTIONARY;
    let mut code = Gs1Code { gtin: None, sscc: None, expiry: None, batch: None, serial: None, elements: Vec::new() };
    let mut entries: Vec<(&Entry, usize)> = Vec::with_capacity(read.len());
    for (e, pos) in read {
        let Some(entry) = dict.get(&e.ai) else {
            return Err(CodeError::at(pos, "ai_unknown", format!("({}) is not a GS1 application identifier", e.ai)));
        };
        check_value(entry, &e.value, pos, today)?;
        // GS1 General Specifications §4.14: an AI may repeat only with the same value.
        if let Some(prev) = code.elements.iter().find(|x| x.ai == e.ai) {
            if prev.value == e.value {
                continue;
            }
            return Err(CodeError::at(
                pos,
                "ai_repeated",
                format!("({}) appears twice with different values ({} and {})", e.ai, prev.value, e.value),
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
        entries.push((entry, pos));
    }
    // ex=: invalid pairings (an AI is not exclusive of itself).
    for (entry, _) in &entries {
        for (other, other_pos) in &entries {
            if other.ai != entry.ai && entry.ex.iter().any(|p| p.matches(&other.ai)) {
                return Err(CodeError::at(
                    *other_pos,
                    "ai_excludes",
                    format!(
                        "({}) cannot appear together with ({}) (rule ex={} of ({}))",
                        other.ai, entry.ai, entry.ex_text, entry.ai
                    ),
                ));
            }
        }
    }
    // req=: each attribute needs one of its alternatives, all AIs of it present.
    for (entry, pos) in &entries {
        for req in &entry.req {
            let met = req
                .iter()
                .any(|group| group.iter().all(|p| entries.iter().any(|(o, _)| o.ai != entry.ai && p.matches(&o.ai))));
            if !met {
                return Err(CodeError::at(
                    *pos,
                    "ai_requires",
                    format!("{} needs {}", entry.label(), alternatives(req)),
                ));
            }
        }
    }
    Ok(code)
}

impl Gs1Code {
    /// The value of `ai`, if the code carries it.
    pub fn get(&self, ai: &str) -> Option<&str> {
        self.elements.iter().find(|e| e.ai == ai).map(|e| e.value.as_str())
    }

    /// The element string, in the order read, with GS after every field but the last that is
    /// not of predefined length (the dictionary's `*` flag).
    pub fn element_string(&self) -> String {
        let dict = &*DICTIONARY;
        let mut out = String::new();
        let n = self.elements.len();
        for (i, e) in self.elements.iter().enumerate() {
            out.push_str(&e.ai);
            out.push_str(&e.value);
            let predefined = dict.get(&e.ai).is_some_and(|s| s.predefined);
            if !predefined && i + 1 < n {
                out.push(GS);
            }
        }
        out
    }

    /// The bracketed human-readable form; a "(" in a value is written "\\(" so that it reads
    /// back the same.
    pub fn human_readable(&self) -> String {
        self.elements.iter().map(|e| format!("({}){}", e.ai, e.value.replace('(', "\\("))).collect()
    }

    /// The GS1 Digital Link URI on `base` (e.g. `https://id.gs1.org`): the primary key ((01)
    /// first, then (00), then any other key) with the key qualifiers it carries in the path, in
    /// the dictionary's order (for a GTIN: 22, 10, 21, or 235), the other AIs as query
    /// parameters. `None` when the code has no primary key or carries an AI that a Digital Link
    /// cannot (one that is neither in the path nor a data attribute).
    pub fn digital_link(&self, base: &str) -> Option<String> {
        let dict = &*DICTIONARY;
        let base = base.trim_end_matches('/');
        let enc = |v: &str| urlencoding::encode(v).into_owned();
        let key = ["01", "00"]
            .iter()
            .find_map(|k| self.elements.iter().find(|e| e.ai == *k))
            .or_else(|| self.elements.iter().find(|e| dict.get(&e.ai).is_some_and(|x| x.dlpkey.is_some())))?;
        let alternatives = dict.get(&key.ai)?.dlpkey.as_ref()?;
        // The qualifier sequence with the most qualifiers present (the first on a tie).
        let mut best: &[String] = &[];
        let mut best_count = 0;
        for alt in alternatives {
            let count = alt.iter().filter(|q| self.get(q).is_some()).count();
            if count > best_count {
                best = alt;
                best_count = count;
            }
        }
        let mut uri = format!("{base}/{}/{}", key.ai, enc(&key.value));
        let mut in_path = vec![key.ai.as_str()];
        for q in best {
            if let Some(v) = self.get(q) {
                uri.push_str(&format!("/{q}/{}", enc(v)));
                in_path.push(q);
            }
        }
        let mut query = Vec::new();
        for e in self.elements.iter().filter(|e| !in_path.contains(&e.ai.as_str())) {
            if !dict.get(&e.ai)?.dl_attribute {
                return None;
            }
            query.push(format!("{}={}", e.ai, enc(&e.value)));
        }
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
        // Changed with the dictionary: (99) INTERNAL is an AI (dictionary line `91-99 ? X..90`),
        // so the unknown AI here is (231): of the AIs starting with 23 only (235) exists.
        let e = read("0109506000134352231234").err().unwrap_or_else(|| panic!("refused"));
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
