//! The linters of the GS1 Barcode Syntax Dictionary: the content checks a component's
//! specification names after its type, e.g. `N13,csum,gcppos1`. One function per linter, written
//! from the rules of the reference implementations (`src/lint_<name>.c` in
//! gs1/gs1-syntax-dictionary at tag 2026-01-27); the code lists below are data taken from those
//! files.
//!
//! A linter sees one component's characters, already checked against the component's character
//! set (so ASCII). A refusal gives the offset of the offending character within the component
//! and a plain-English reason; the caller adds the AI and the position in the input.

use chrono::NaiveDate;

/// A linter named in the dictionary (the 34 referenced by release 2026-01-27).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linter {
    CouponCode,
    CouponPosOffer,
    Csum,
    CsumAlpha,
    Gcppos1,
    Gcppos2,
    HasNonDigit,
    Hh,
    Hhmi,
    Hyphen,
    Iban,
    ImporterIdx,
    Iso3166,
    Iso3166999,
    Iso3166Alpha2,
    Iso4217,
    Iso5218,
    Latitude,
    Longitude,
    MediaType,
    Mi,
    NonZero,
    NoZeroPrefix,
    PackageType,
    PcEnc,
    PieceOfTotal,
    PosInSeqSlash,
    Ss,
    Winding,
    YesNo,
    Yymmd0,
    Yymmdd,
    Yyyymmdd,
    Zero,
}

/// Every linter with its dictionary name.
pub const ALL: &[(&str, Linter)] = &[
    ("couponcode", Linter::CouponCode),
    ("couponposoffer", Linter::CouponPosOffer),
    ("csum", Linter::Csum),
    ("csumalpha", Linter::CsumAlpha),
    ("gcppos1", Linter::Gcppos1),
    ("gcppos2", Linter::Gcppos2),
    ("hasnondigit", Linter::HasNonDigit),
    ("hh", Linter::Hh),
    ("hhmi", Linter::Hhmi),
    ("hyphen", Linter::Hyphen),
    ("iban", Linter::Iban),
    ("importeridx", Linter::ImporterIdx),
    ("iso3166", Linter::Iso3166),
    ("iso3166999", Linter::Iso3166999),
    ("iso3166alpha2", Linter::Iso3166Alpha2),
    ("iso4217", Linter::Iso4217),
    ("iso5218", Linter::Iso5218),
    ("latitude", Linter::Latitude),
    ("longitude", Linter::Longitude),
    ("mediatype", Linter::MediaType),
    ("mi", Linter::Mi),
    ("nonzero", Linter::NonZero),
    ("nozeroprefix", Linter::NoZeroPrefix),
    ("packagetype", Linter::PackageType),
    ("pcenc", Linter::PcEnc),
    ("pieceoftotal", Linter::PieceOfTotal),
    ("posinseqslash", Linter::PosInSeqSlash),
    ("ss", Linter::Ss),
    ("winding", Linter::Winding),
    ("yesno", Linter::YesNo),
    ("yymmd0", Linter::Yymmd0),
    ("yymmdd", Linter::Yymmdd),
    ("yyyymmdd", Linter::Yyyymmdd),
    ("zero", Linter::Zero),
];

/// What kind of rule a linter enforces, for the error's rule name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A mod-10 check digit (`csum`): `gtin_check`, `sscc_check`, `gln_check` or `check_digit`.
    CheckDigit,
    /// The alphanumeric check pair (`csumalpha`): `check_digit`.
    CheckPair,
    /// A date: `date`.
    Date,
    /// Anything else: `ai_lint`.
    Other,
}

/// Why a linter refused: the offset within the component and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fail {
    pub offset: usize,
    pub message: String,
}

fn fail<T>(offset: usize, message: impl Into<String>) -> Result<T, Fail> {
    Err(Fail { offset, message: message.into() })
}

impl Linter {
    pub fn from_name(name: &str) -> Option<Linter> {
        ALL.iter().find(|(n, _)| *n == name).map(|(_, l)| *l)
    }

    pub fn name(self) -> &'static str {
        ALL.iter().find(|(_, l)| *l == self).map(|(n, _)| *n).unwrap_or("")
    }

    pub fn kind(self) -> Kind {
        match self {
            Linter::Csum => Kind::CheckDigit,
            Linter::CsumAlpha => Kind::CheckPair,
            Linter::Yymmd0 | Linter::Yymmdd | Linter::Yyyymmdd => Kind::Date,
            _ => Kind::Other,
        }
    }

    /// Checks `v` (one component); `today` decides the century of YYMMDD dates.
    pub fn check(self, v: &str, today: NaiveDate) -> Result<(), Fail> {
        let b = v.as_bytes();
        match self {
            Linter::Csum => csum(b),
            Linter::CsumAlpha => csumalpha(b),
            Linter::Gcppos1 => gcppos1(b, 0),
            Linter::Gcppos2 => {
                if b.len() < 2 {
                    return fail(0, "is too short to hold a GS1 Company Prefix");
                }
                gcppos1(&b[1..], 1)
            }
            Linter::HasNonDigit => {
                if b.iter().all(u8::is_ascii_digit) {
                    return fail(0, format!("{v} must contain a character that is not a digit"));
                }
                Ok(())
            }
            Linter::Hh => two_digits(b, 23, "hour"),
            Linter::Mi => two_digits(b, 59, "minute"),
            Linter::Ss => two_digits(b, 59, "second"),
            Linter::Hhmi => {
                if b.len() != 4 {
                    return fail(0, format!("{v} is not a time HHMI"));
                }
                two_digits(&b[..2], 23, "hour")?;
                two_digits(&b[2..], 59, "minute").map_err(|f| Fail { offset: f.offset + 2, ..f })
            }
            Linter::Hyphen => {
                if b.is_empty() || b.iter().any(|c| *c != b'-') {
                    return fail(0, format!("{v} must be \"-\""));
                }
                Ok(())
            }
            Linter::Iban => iban(v),
            Linter::ImporterIdx => {
                let ok = b.len() == 1 && (b[0].is_ascii_alphanumeric() || b[0] == b'-' || b[0] == b'_');
                if !ok {
                    return fail(0, format!("{v} is not an importer index (one of 0-9 A-Z a-z - _)"));
                }
                Ok(())
            }
            Linter::Iso3166 => {
                if !numeric_in(b, ISO3166_NUMERIC) {
                    return fail(0, format!("{v} is not an ISO 3166 country code"));
                }
                Ok(())
            }
            Linter::Iso3166999 => {
                if v != "999" && !numeric_in(b, ISO3166_NUMERIC) {
                    return fail(0, format!("{v} is not an ISO 3166 country code or 999"));
                }
                Ok(())
            }
            Linter::Iso3166Alpha2 => {
                if ISO3166_ALPHA2.binary_search(&v).is_err() {
                    return fail(0, format!("{v} is not an ISO 3166 alpha-2 country code"));
                }
                Ok(())
            }
            Linter::Iso4217 => {
                if !numeric_in(b, ISO4217_NUMERIC) {
                    return fail(0, format!("{v} is not an ISO 4217 currency code"));
                }
                Ok(())
            }
            Linter::Iso5218 => {
                if !matches!(v, "0" | "1" | "2" | "9") {
                    return fail(0, format!("{v} is not an ISO/IEC 5218 biological sex code (0, 1, 2 or 9)"));
                }
                Ok(())
            }
            Linter::Latitude => bounded(v, 1_800_000_000, "latitude"),
            Linter::Longitude => bounded(v, 3_600_000_000, "longitude"),
            Linter::MediaType => {
                let n = (b.len() == 2).then(|| v.parse::<u8>().ok()).flatten();
                if !n.is_some_and(|n| MEDIA_TYPES.contains(&n)) {
                    return fail(0, format!("{v} is not an AIDC media type"));
                }
                Ok(())
            }
            Linter::NonZero => {
                if b.iter().all(|c| *c == b'0') {
                    return fail(0, "must not be zero");
                }
                Ok(())
            }
            Linter::NoZeroPrefix => {
                if b.first() == Some(&b'0') {
                    return fail(0, format!("{v} must not start with 0"));
                }
                Ok(())
            }
            Linter::Zero => {
                if b.is_empty() || b.iter().any(|c| *c != b'0') {
                    return fail(0, format!("{v} must be 0"));
                }
                Ok(())
            }
            Linter::PackageType => {
                if PACKAGE_TYPES.binary_search(&v).is_err() {
                    return fail(0, format!("{v} is not a package type code (UN/ECE Recommendation 21)"));
                }
                Ok(())
            }
            Linter::PcEnc => {
                let mut i = 0;
                while i < b.len() {
                    if b[i] == b'%' {
                        let hex = b.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
                        if !hex {
                            return fail(i, "\"%\" must be followed by two hexadecimal digits");
                        }
                        i += 2;
                    }
                    i += 1;
                }
                Ok(())
            }
            Linter::PieceOfTotal => piece_of_total(b),
            Linter::PosInSeqSlash => pos_in_seq(v),
            Linter::Winding => {
                if !matches!(v, "0" | "1" | "9") {
                    return fail(0, format!("{v} is not a winding direction (0, 1 or 9)"));
                }
                Ok(())
            }
            Linter::YesNo => {
                if !matches!(v, "0" | "1") {
                    return fail(0, format!("{v} must be 0 or 1"));
                }
                Ok(())
            }
            Linter::Yymmd0 => {
                if super::yymmdd(v, today).is_none() {
                    return fail(0, format!("{v} is not a date YYMMDD"));
                }
                Ok(())
            }
            Linter::Yymmdd => {
                if super::yymmdd(v, today).is_none() {
                    return fail(0, format!("{v} is not a date YYMMDD"));
                }
                if v.ends_with("00") {
                    return fail(4, format!("{v}: day 00 is not allowed here"));
                }
                Ok(())
            }
            Linter::Yyyymmdd => {
                let n = |r: std::ops::Range<usize>| v.get(r).and_then(|s| s.parse::<u32>().ok());
                let date = match (b.len(), n(0..4), n(4..6), n(6..8)) {
                    (8, Some(y), Some(m), Some(d)) if b.iter().all(u8::is_ascii_digit) => {
                        i32::try_from(y).ok().and_then(|y| NaiveDate::from_ymd_opt(y, m, d))
                    }
                    _ => None,
                };
                if date.is_none() {
                    return fail(0, format!("{v} is not a date YYYYMMDD"));
                }
                Ok(())
            }
            Linter::CouponCode => coupon_code(b),
            Linter::CouponPosOffer => coupon_pos_offer(b),
        }
    }
}

fn digits_value(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 18 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0')))
}

fn numeric_in(b: &[u8], list: &[u16]) -> bool {
    b.len() == 3 && digits_value(b).and_then(|n| u16::try_from(n).ok()).is_some_and(|n| list.binary_search(&n).is_ok())
}

fn two_digits(b: &[u8], max: u64, what: &str) -> Result<(), Fail> {
    let shown = String::from_utf8_lossy(b);
    match digits_value(b) {
        Some(n) if b.len() == 2 && n <= max => Ok(()),
        _ => fail(0, format!("{shown} is not a valid {what}")),
    }
}

fn bounded(v: &str, max: u64, what: &str) -> Result<(), Fail> {
    match digits_value(v.as_bytes()) {
        Some(n) if v.len() == 10 && n <= max => Ok(()),
        _ => fail(0, format!("{v} is not a {what} (10 digits, at most {max})")),
    }
}

/// The mod-10 check digit (`lint_csum.c`): weights 3, 1, 3 … from the right, excluding the
/// check digit.
fn csum(b: &[u8]) -> Result<(), Fail> {
    let Some((last, body)) = b.split_last() else {
        return fail(0, "is too short to hold a check digit");
    };
    let body = std::str::from_utf8(body).unwrap_or("x");
    let Some(expected) = yaolian_core::gtin::check_digit(body) else {
        return fail(0, "check digit over characters that are not digits");
    };
    let found = char::from(*last);
    if found.to_digit(10) != Some(expected) {
        return fail(b.len() - 1, format!("check digit: expected {expected}, found {found}"));
    }
    Ok(())
}

/// The GS1 check character pair (`lint_csumalpha.c`): the data characters' positions in
/// character set 82, weighted by the primes 2, 3, 5 … from the right, summed modulo 1021; the sum's
/// two 5-bit halves index "23456789ABCDEFGHJKLMNPQRSTUVWXYZ".
fn csumalpha(b: &[u8]) -> Result<(), Fail> {
    const CSET82: &[u8] = b"!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
    const CSET32: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    if b.len() < 2 {
        return fail(0, "is too short to hold a check character pair");
    }
    let data = &b[..b.len() - 2];
    // Weights: the first primes, one per data character (at most 97 in the reference).
    let mut primes = Vec::with_capacity(data.len());
    let mut n = 2u32;
    while primes.len() < data.len() {
        if (2..n).take_while(|d| d * d <= n).all(|d| !n.is_multiple_of(d)) {
            primes.push(n);
        }
        n += 1;
    }
    let mut sum: u32 = 0;
    for (i, c) in data.iter().enumerate() {
        let Some(w) = CSET82.iter().position(|x| x == c) else {
            return fail(i, "is not in GS1 character set 82");
        };
        let weight = primes.get(data.len() - 1 - i).copied().unwrap_or(0);
        sum = (sum + u32::try_from(w).unwrap_or(0) * weight) % 1021;
    }
    let hi = CSET32.get((sum >> 5) as usize).copied().unwrap_or(b'?');
    let lo = CSET32.get((sum & 31) as usize).copied().unwrap_or(b'?');
    if b[b.len() - 2] != hi || b[b.len() - 1] != lo {
        return fail(
            b.len() - 2,
            format!(
                "check characters: expected {}{}, found {}",
                char::from(hi),
                char::from(lo),
                String::from_utf8_lossy(&b[b.len() - 2..])
            ),
        );
    }
    Ok(())
}

/// A GS1 Company Prefix at `b`'s start: at least its minimum length, 4 digits (`lint_gcppos1.c`).
fn gcppos1(b: &[u8], at: usize) -> Result<(), Fail> {
    const GCP_MIN_LENGTH: usize = 4;
    if b.len() < GCP_MIN_LENGTH {
        return fail(at, "is too short to hold a GS1 Company Prefix");
    }
    if let Some(i) = b[..GCP_MIN_LENGTH].iter().position(|c| !c.is_ascii_digit()) {
        return fail(at + i, "a GS1 Company Prefix starts with 4 digits");
    }
    Ok(())
}

/// An IBAN (`lint_iban.c`): ISO 3166 alpha-2 country, 2 check digits, up to 34 characters of
/// 0-9 A-Z, mod 97 of the rearranged number equal to 1.
fn iban(v: &str) -> Result<(), Fail> {
    let b = v.as_bytes();
    if b.len() < 4 {
        return fail(0, format!("{v} is too short for an IBAN"));
    }
    if ISO3166_ALPHA2.binary_search(&&v[..2]).is_err() {
        return fail(0, format!("{} is not an IBAN country code", &v[..2]));
    }
    if b.len() > 34 {
        return fail(0, "an IBAN has at most 34 characters");
    }
    if b.len() <= 10 {
        return fail(0, format!("{v} is too short for an IBAN"));
    }
    let mut sum: u32 = 0;
    for i in (4..b.len()).chain(0..4) {
        let c = b[i];
        let value = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return fail(i, format!("{:?} is not allowed in an IBAN", char::from(c))),
        };
        sum = (sum * if value < 10 { 10 } else { 100 } + value) % 97;
    }
    if sum != 1 {
        return fail(2, "IBAN check digits are wrong");
    }
    Ok(())
}

/// Piece number and total, each half of the digits; neither zero, piece ≤ total.
fn piece_of_total(b: &[u8]) -> Result<(), Fail> {
    if b.is_empty() || !b.len().is_multiple_of(2) {
        return fail(0, "piece and total must have the same number of digits");
    }
    let (piece, total) = b.split_at(b.len() / 2);
    if piece.iter().all(|c| *c == b'0') {
        return fail(0, "the piece number must not be zero");
    }
    if total.iter().all(|c| *c == b'0') {
        return fail(piece.len(), "the total number of pieces must not be zero");
    }
    if piece > total {
        return fail(0, "the piece number exceeds the total");
    }
    Ok(())
}

/// `position/end` (`lint_posinseqslash.c`): digits, a slash, digits; no leading zeros;
/// position ≤ end.
fn pos_in_seq(v: &str) -> Result<(), Fail> {
    let malformed = || fail(0, format!("{v} is not a position in a sequence \"n/m\""));
    let Some((pos, end)) = v.split_once('/') else {
        return malformed();
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if !digits(pos) || !digits(end) {
        return malformed();
    }
    if pos.starts_with('0') || end.starts_with('0') {
        return fail(0, format!("{v}: numbers must not start with 0"));
    }
    if (pos.len(), pos) > (end.len(), end) {
        return fail(0, format!("{v}: the position exceeds the end of the sequence"));
    }
    Ok(())
}

/// A cursor over a coupon's digits, for the two coupon linters.
struct Coupon<'a> {
    b: &'a [u8],
    p: usize,
}

impl Coupon<'_> {
    fn digit(&mut self, what: &str) -> Result<u8, Fail> {
        match self.b.get(self.p) {
            Some(d) => {
                self.p += 1;
                Ok(d - b'0')
            }
            None => fail(self.p, format!("coupon: {what} is missing")),
        }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<usize, Fail> {
        if self.b.len() - self.p < n {
            return fail(self.p, format!("coupon: {what} is truncated"));
        }
        let at = self.p;
        self.p += n;
        Ok(at)
    }

    fn more(&self, flag: u8) -> bool {
        self.b.get(self.p) == Some(&flag)
    }

    /// A VLI digit in `ok`, then `vli + add` characters (0 when the VLI is 9 and `nine_empty`).
    fn vli_field(&mut self, what: &str, ok: &[u8], add: usize, nine_empty: bool, gcp: bool) -> Result<(), Fail> {
        let at = self.p;
        let vli = self.digit(&format!("the length of the {what}"))?;
        if !ok.contains(&vli) {
            return fail(at, format!("coupon: {vli} is not a valid length for the {what}"));
        }
        let n = if nine_empty && vli == 9 { 0 } else { usize::from(vli) + add };
        let start = self.take(n, what)?;
        if gcp && n > 0 {
            gcppos1(&self.b[start..start + n], start)?;
        }
        Ok(())
    }

    fn code(&mut self, what: &str, ok: &[u8]) -> Result<(), Fail> {
        let at = self.p;
        let c = self.digit(what)?;
        if !ok.contains(&c) {
            return fail(at, format!("coupon: {c} is not a valid {what}"));
        }
        Ok(())
    }

    fn date(&mut self, what: &str) -> Result<usize, Fail> {
        let at = self.take(6, what)?;
        let d = &self.b[at..at + 6];
        let mm = (d[2] - b'0') * 10 + (d[3] - b'0');
        let dd = (d[4] - b'0') * 10 + (d[5] - b'0');
        let year = 2000 + i32::from((d[0] - b'0') * 10 + (d[1] - b'0'));
        let valid = dd > 0 && NaiveDate::from_ymd_opt(year, u32::from(mm), u32::from(dd)).is_some();
        if !valid {
            return fail(at, format!("coupon: the {what} is not a date YYMMDD"));
        }
        Ok(at)
    }

    fn end(&self) -> Result<(), Fail> {
        if self.p != self.b.len() {
            return fail(self.p, "coupon: data after the last field");
        }
        Ok(())
    }
}

const ZERO_TO_SIX: &[u8] = &[0, 1, 2, 3, 4, 5, 6];
const ONE_TO_FIVE: &[u8] = &[1, 2, 3, 4, 5];
const REQUIREMENT_CODES: &[u8] = &[0, 1, 2, 3, 4, 9];

/// North American coupon code, AI (8110) (`lint_couponcode.c`).
fn coupon_code(b: &[u8]) -> Result<(), Fail> {
    if let Some(i) = b.iter().position(|c| !c.is_ascii_digit()) {
        return fail(i, "coupon: not a digit");
    }
    let mut c = Coupon { b, p: 0 };
    c.vli_field("GS1 Company Prefix", ZERO_TO_SIX, 6, false, true)?;
    c.take(6, "offer code")?;
    c.vli_field("save value", ONE_TO_FIVE, 0, false, false)?;
    c.vli_field("1st purchase requirement", ONE_TO_FIVE, 0, false, false)?;
    c.code("1st purchase requirement code", REQUIREMENT_CODES)?;
    c.take(3, "1st purchase family code")?;
    if c.more(b'1') {
        c.p += 1;
        c.code("additional purchase rules code", &[0, 1, 2, 3])?;
        c.vli_field("2nd purchase requirement", ONE_TO_FIVE, 0, false, false)?;
        c.code("2nd purchase requirement code", REQUIREMENT_CODES)?;
        c.take(3, "2nd purchase family code")?;
        c.vli_field("2nd purchase GS1 Company Prefix", &[0, 1, 2, 3, 4, 5, 6, 9], 6, true, true)?;
    }
    if c.more(b'2') {
        c.p += 1;
        c.vli_field("3rd purchase requirement", ONE_TO_FIVE, 0, false, false)?;
        c.code("3rd purchase requirement code", REQUIREMENT_CODES)?;
        c.take(3, "3rd purchase family code")?;
        c.vli_field("3rd purchase GS1 Company Prefix", &[0, 1, 2, 3, 4, 5, 6, 9], 6, true, true)?;
    }
    let mut expiry = None;
    if c.more(b'3') {
        c.p += 1;
        expiry = Some(c.date("expiration date")?);
    }
    if c.more(b'4') {
        c.p += 1;
        let start = c.date("start date")?;
        if let Some(e) = expiry {
            if b[start..start + 6] > b[e..e + 6] {
                return fail(e, "coupon: the expiration date is before the start date");
            }
        }
    }
    if c.more(b'5') {
        c.p += 1;
        c.vli_field("serial number", &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 6, false, false)?;
    }
    if c.more(b'6') {
        c.p += 1;
        c.vli_field("retailer GS1 Company Prefix or GLN", &[1, 2, 3, 4, 5, 6, 7], 6, false, true)?;
    }
    if c.more(b'9') {
        c.p += 1;
        c.code("save value code", &[0, 1, 2, 5, 6])?;
        c.code("save value applies to item", &[0, 1, 2])?;
        c.digit("store coupon flag")?;
        c.code("don't multiply flag", &[0, 1])?;
    }
    c.end()
}

/// Coupon positive offer file, AI (8112) (`lint_couponposoffer.c`).
fn coupon_pos_offer(b: &[u8]) -> Result<(), Fail> {
    if let Some(i) = b.iter().position(|c| !c.is_ascii_digit()) {
        return fail(i, "coupon: not a digit");
    }
    let mut c = Coupon { b, p: 0 };
    c.code("format code", &[0, 1])?;
    c.vli_field("funder ID", ZERO_TO_SIX, 6, false, false)?;
    c.take(6, "offer code")?;
    c.vli_field("serial number", &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 6, false, false)?;
    c.end()
}

/// ISO 3166-1 numeric country codes, from the bitfield `iso3166[]` in `src/lint_iso3166.c`.
pub const ISO3166_NUMERIC: &[u16] = &[
    4, 8, 10, 12, 16, 20, 24, 28, 31, 32, 36, 40, 44, 48, 50, 51, 52, 56, 60, 64, 68, 70, 72, 74, 76, 84, 86, 90, 92,
    96, 100, 104, 108, 112, 116, 120, 124, 132, 136, 140, 144, 148, 152, 156, 158, 162, 166, 170, 174, 175, 178, 180,
    184, 188, 191, 192, 196, 203, 204, 208, 212, 214, 218, 222, 226, 231, 232, 233, 234, 238, 239, 242, 246, 248, 250,
    254, 258, 260, 262, 266, 268, 270, 275, 276, 288, 292, 296, 300, 304, 308, 312, 316, 320, 324, 328, 332, 334, 336,
    340, 344, 348, 352, 356, 360, 364, 368, 372, 376, 380, 384, 388, 392, 398, 400, 404, 408, 410, 414, 417, 418, 422,
    426, 428, 430, 434, 438, 440, 442, 446, 450, 454, 458, 462, 466, 470, 474, 478, 480, 484, 492, 496, 498, 499, 500,
    504, 508, 512, 516, 520, 524, 528, 531, 533, 534, 535, 540, 548, 554, 558, 562, 566, 570, 574, 578, 580, 581, 583,
    584, 585, 586, 591, 598, 600, 604, 608, 612, 616, 620, 624, 626, 630, 634, 638, 642, 643, 646, 652, 654, 659, 660,
    662, 663, 666, 670, 674, 678, 682, 686, 688, 690, 694, 702, 703, 704, 705, 706, 710, 716, 724, 728, 729, 732, 740,
    744, 748, 752, 756, 760, 762, 764, 768, 772, 776, 780, 784, 788, 792, 795, 796, 798, 800, 804, 807, 818, 826, 831,
    832, 833, 834, 840, 850, 854, 858, 860, 862, 876, 882, 887, 894,
];

/// ISO 3166-1 alpha-2 country codes, from the bitfield `iso3166alpha2[]` in
/// `src/lint_iso3166alpha2.c`.
pub const ISO3166_ALPHA2: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ", "BA", "BB", "BD",
    "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA",
    "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE",
    "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA",
    "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK",
    "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP",
    "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT",
    "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS",
    "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ",
    "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS",
    "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST",
    "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW",
    "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI", "VN", "VU", "WF", "WS", "YE", "YT", "ZA",
    "ZM", "ZW",
];

/// ISO 4217 numeric currency codes, from the bitfield `iso4217[]` in `src/lint_iso4217.c`.
pub const ISO4217_NUMERIC: &[u16] = &[
    8, 12, 32, 36, 44, 48, 50, 51, 52, 60, 64, 68, 72, 84, 90, 96, 104, 108, 116, 124, 132, 136, 144, 152, 156, 170,
    174, 188, 192, 203, 208, 214, 222, 230, 232, 238, 242, 262, 270, 292, 320, 324, 328, 332, 340, 344, 348, 352, 356,
    360, 364, 368, 376, 388, 392, 396, 398, 400, 404, 408, 410, 414, 417, 418, 422, 426, 430, 434, 446, 454, 458, 462,
    480, 484, 496, 498, 504, 512, 516, 524, 532, 533, 548, 554, 558, 566, 578, 586, 590, 598, 600, 604, 608, 634, 643,
    646, 654, 682, 690, 702, 704, 706, 710, 728, 748, 752, 756, 760, 764, 776, 780, 784, 788, 800, 807, 818, 826, 834,
    840, 858, 860, 882, 886, 901, 924, 925, 926, 927, 928, 929, 930, 933, 934, 936, 938, 940, 941, 943, 944, 946, 947,
    948, 949, 950, 951, 952, 953, 955, 956, 957, 958, 959, 960, 961, 962, 963, 964, 965, 967, 968, 969, 970, 971, 972,
    973, 975, 976, 977, 978, 979, 980, 981, 984, 985, 986, 990, 994, 997, 999,
];

/// AIDC media types of AI (7241) (01–10 ICCBBA assignments, 80–99 ICCBBA local / national
/// use), from the bitfield `mediatypes[]` in `src/lint_mediatype.c`.
pub const MEDIA_TYPES: &[u8] =
    &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99];

/// UN/ECE Recommendation 21 package type codes, from `packagetypes[]` in
/// `src/lint_packagetype.c` (sorted, searched by binary search).
pub const PACKAGE_TYPES: &[&str] = &[
    "1A", "1B", "1D", "1F", "1G", "1W", "200", "201", "202", "203", "204", "205", "206", "210", "211", "212", "2C",
    "3A", "3H", "43", "44", "4A", "4B", "4C", "4D", "4F", "4G", "4H", "5H", "5L", "5M", "6H", "6P", "7A", "7B", "8",
    "8A", "8B", "8C", "9", "AA", "AB", "AC", "AD", "AF", "AG", "AH", "AI", "AJ", "AL", "AM", "AP", "APE", "AT", "AV",
    "B4", "BB", "BC", "BD", "BE", "BF", "BG", "BGE", "BH", "BI", "BJ", "BK", "BL", "BM", "BME", "BN", "BO", "BP", "BQ",
    "BR", "BRI", "BS", "BT", "BU", "BV", "BW", "BX", "BY", "BZ", "CA", "CB", "CBL", "CC", "CCE", "CD", "CE", "CF",
    "CG", "CH", "CI", "CJ", "CK", "CL", "CM", "CN", "CO", "CP", "CQ", "CR", "CS", "CT", "CU", "CV", "CW", "CX", "CY",
    "CZ", "DA", "DB", "DC", "DG", "DH", "DI", "DJ", "DK", "DL", "DM", "DN", "DP", "DPE", "DR", "DS", "DT", "DU", "DV",
    "DW", "DX", "DY", "E1", "E2", "E3", "EC", "ED", "EE", "EF", "EG", "EH", "EI", "EN", "FB", "FC", "FD", "FE", "FI",
    "FL", "FO", "FOB", "FP", "FPE", "FR", "FT", "FW", "FX", "GB", "GI", "GL", "GR", "GU", "GY", "GZ", "HA", "HB", "HC",
    "HG", "HN", "HR", "IA", "IB", "IC", "ID", "IE", "IF", "IG", "IH", "IK", "IL", "IN", "IZ", "JB", "JC", "JG", "JR",
    "JT", "JY", "KG", "KI", "LAB", "LE", "LG", "LT", "LU", "LV", "LZ", "MA", "MB", "MC", "ME", "MPE", "MR", "MS", "MT",
    "MW", "MX", "NA", "NE", "NF", "NG", "NS", "NT", "NU", "NV", "OA", "OB", "OC", "OD", "OE", "OF", "OK", "OPE", "OT",
    "OU", "P2", "PA", "PAE", "PB", "PC", "PD", "PE", "PF", "PG", "PH", "PI", "PJ", "PK", "PL", "PLP", "PN", "PO",
    "POP", "PP", "PPE", "PR", "PT", "PU", "PUE", "PV", "PX", "PY", "PZ", "QA", "QB", "QC", "QD", "QF", "QG", "QH",
    "QJ", "QK", "QL", "QM", "QN", "QP", "QQ", "QR", "QS", "RB1", "RB2", "RB3", "RCB", "RD", "RG", "RJ", "RK", "RL",
    "RO", "RT", "RZ", "S1", "SA", "SB", "SC", "SD", "SE", "SEC", "SH", "SI", "SK", "SL", "SM", "SO", "SP", "SS", "ST",
    "STL", "SU", "SV", "SW", "SX", "SY", "SZ", "T1", "TB", "TC", "TD", "TE", "TEV", "TG", "THE", "TI", "TK", "TL",
    "TN", "TO", "TR", "TRE", "TS", "TT", "TTE", "TU", "TV", "TW", "TWE", "TY", "TZ", "UC", "UN", "UUE", "VA", "VG",
    "VI", "VK", "VL", "VN", "VO", "VP", "VQ", "VR", "VS", "VY", "WA", "WB", "WC", "WD", "WF", "WG", "WH", "WJ", "WK",
    "WL", "WM", "WN", "WP", "WQ", "WR", "WRP", "WS", "WT", "WU", "WV", "WW", "WX", "WY", "WZ", "X11", "X12", "X15",
    "X16", "X17", "X18", "X19", "X20", "X3", "XA", "XB", "XC", "XD", "XF", "XG", "XH", "XJ", "XK", "YA", "YB", "YC",
    "YD", "YF", "YG", "YH", "YJ", "YK", "YL", "YM", "YN", "YP", "YQ", "YR", "YS", "YT", "YV", "YW", "YX", "YY", "YZ",
    "ZA", "ZB", "ZC", "ZD", "ZF", "ZG", "ZH", "ZJ", "ZK", "ZL", "ZM", "ZN", "ZP", "ZQ", "ZR", "ZS", "ZT", "ZU", "ZV",
    "ZW", "ZX", "ZY", "ZZ",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(l: Linter, v: &str) -> bool {
        l.check(v, NaiveDate::from_ymd_opt(2026, 11, 28).unwrap_or_default()).is_ok()
    }

    /// Values from the reference linters' own unit tests (gs1/gs1-syntax-dictionary, tag
    /// 2026-01-27, `src/lint_<name>.c`, `test_lint_<name>`).
    #[test]
    fn reference_unit_test_values() {
        // lint_csumalpha.c
        for v in
            ["22", "!22", "!!22", "1987654Ad4X4bL5ttr2310c2K", "12345678901234567890123NT", "12345_!\"%&'()*+,-./LC"]
        {
            assert!(ok(Linter::CsumAlpha, v), "{v}");
        }
        for v in ["", "2", "33", "1987654Ad4X4bL5ttr2310cXK", "1987654Ad4X4bL5ttr2310c2X", "12345678901234567890123 T"]
        {
            assert!(!ok(Linter::CsumAlpha, v), "{v}");
        }
        // lint_csum.c
        for v in ["02345673", "416000336108", "1234567890128", "12345678901231", "123456789012345675"] {
            assert!(ok(Linter::Csum, v), "{v}");
        }
        for v in ["", "12345673", "416000336109", "1234567890129", "12345678901232", "123456789012345670"] {
            assert!(!ok(Linter::Csum, v), "{v}");
        }
        // lint_iban.c
        for v in [
            "FR7630006000011234567890189",
            "DE91100000000123456789",
            "BE71096123456769",
            "MT90MALT011000012345MTLCAST001SABC",
        ] {
            assert!(ok(Linter::Iban, v), "{v}");
        }
        for v in ["", "B", "BE", "BE71096123456760", "MT90MALT011000012345MTLCAST001SAB0"] {
            assert!(!ok(Linter::Iban, v), "{v}");
        }
        // lint_iso3166.c, lint_iso4217.c, lint_iso3166alpha2.c, lint_mediatype.c: the first and
        // last codes of the lists and neighbours that are not codes.
        assert!(ok(Linter::Iso3166, "004") && ok(Linter::Iso3166, "894") && !ok(Linter::Iso3166, "999"));
        assert!(!ok(Linter::Iso3166, "000") && !ok(Linter::Iso3166, "005") && !ok(Linter::Iso3166, "AAA"));
        assert!(ok(Linter::Iso3166999, "999") && !ok(Linter::Iso3166999, "998"));
        assert!(ok(Linter::Iso4217, "008") && ok(Linter::Iso4217, "999") && !ok(Linter::Iso4217, "016"));
        assert!(ok(Linter::Iso3166Alpha2, "AD") && ok(Linter::Iso3166Alpha2, "ZW") && !ok(Linter::Iso3166Alpha2, "AA"));
        assert!(ok(Linter::MediaType, "01") && ok(Linter::MediaType, "99") && !ok(Linter::MediaType, "00"));
        assert!(!ok(Linter::MediaType, "11") && !ok(Linter::MediaType, "79"));
        assert!(ok(Linter::PackageType, "1A") && ok(Linter::PackageType, "ZZ") && !ok(Linter::PackageType, "1C"));
        // lint_couponcode.c, lint_couponposoffer.c
        assert!(ok(Linter::CouponCode, "012345612345611110123"));
        assert!(ok(Linter::CouponCode, "0123456123456111101231011012311234567"));
        assert!(ok(Linter::CouponPosOffer, "101234561234560123456"));
        // lint_posinseqslash.c, lint_pieceoftotal.c
        assert!(
            ok(Linter::PosInSeqSlash, "1/2") && ok(Linter::PosInSeqSlash, "9/10") && !ok(Linter::PosInSeqSlash, "10/9")
        );
        assert!(
            ok(Linter::PieceOfTotal, "0102") && !ok(Linter::PieceOfTotal, "0302") && !ok(Linter::PieceOfTotal, "0100")
        );
    }

    #[test]
    fn the_code_lists_are_sorted_for_binary_search() {
        assert!(ISO3166_NUMERIC.windows(2).all(|w| w[0] < w[1]));
        assert!(ISO4217_NUMERIC.windows(2).all(|w| w[0] < w[1]));
        assert!(ISO3166_ALPHA2.windows(2).all(|w| w[0] < w[1]));
        assert!(PACKAGE_TYPES.windows(2).all(|w| w[0] < w[1]));
        // Counts of the reference lists (the same files): 249 countries, 179 currencies,
        // 431 package types, 30 media types.
        assert_eq!((ISO3166_NUMERIC.len(), ISO3166_ALPHA2.len(), ISO4217_NUMERIC.len()), (249, 249, 179));
        assert_eq!((PACKAGE_TYPES.len(), MEDIA_TYPES.len()), (431, 30));
    }
}
