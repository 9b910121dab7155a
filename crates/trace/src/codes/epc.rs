//! One key per identifier, whatever form it came in. EPCIS lets the same pack be named by an EPC
//! URN (`urn:epc:id:sgtin:9506000.013435.1001`), a GS1 Digital Link URI on any domain, and our
//! CSV uploads by an element string or the bare 20-digit 药品追溯码; all of them are stored and
//! matched by one canonical key:
//!
//! - GS1 identifiers: the Digital Link path, `/01/{GTIN-14}/21/{serial}`, `/00/{SSCC}`,
//!   `/01/{GTIN-14}/10/{lot}` (a class), `/414/{GLN}[/254/{extension}]` (a location);
//! - NMPA 药品追溯码: `nmpa/{20 digits}`; in EPCIS it is written `urn:nmpa:code:{20 digits}`
//!   (there is no EPC scheme for it; see docs/glossary.md);
//! - any other URI: itself.
//!
//! The GS1 keys become URIs again on `https://id.gs1.org`, the canonical Digital Link form that
//! the EPCIS event hash (CBV 2.0 §8.9) also uses.

use chrono::NaiveDate;
use yaolian_core::gtin::check_digit;

use super::gs1::{self, Gs1Code};
use super::nmpa::NmpaCode;
use super::CodeError;

/// The EPC URI prefix we write NMPA codes with.
pub const NMPA_URN: &str = "urn:nmpa:code:";
/// The canonical Digital Link domain.
pub const GS1_DOMAIN: &str = "https://id.gs1.org";

/// The canonical key of an identifier sent as an EPC URN, a Digital Link URI, a GS1 element
/// string (raw or bracketed), `urn:nmpa:code:…` or a bare 20-digit 药品追溯码.
pub fn key(input: &str, today: NaiveDate) -> Result<String, CodeError> {
    let t = input.trim();
    if let Some(rest) = t.strip_prefix("urn:epc:id:") {
        return urn_key(rest, false);
    }
    if let Some(rest) = t.strip_prefix("urn:epc:class:") {
        return urn_key(rest, true);
    }
    if let Some(rest) = t.strip_prefix(NMPA_URN) {
        return NmpaCode::parse(rest).map(|c| format!("nmpa/{}", c.code));
    }
    if t.len() == 20 && t.bytes().all(|b| b.is_ascii_digit()) && !t.starts_with("00") {
        return NmpaCode::parse(t).map(|c| format!("nmpa/{}", c.code));
    }
    let lower = t.get(..8).unwrap_or("").to_ascii_lowercase();
    let gs1_like = lower.starts_with("https://")
        || lower.starts_with("http://")
        || t.starts_with('(')
        || t.starts_with(']')
        || t.starts_with(gs1::GS)
        || t.bytes().next().is_some_and(|b| b.is_ascii_digit());
    if gs1_like {
        // A web URI that is not a Digital Link is kept as it is (a private identifier).
        return match gs1::parse(t, today) {
            Ok(code) => gs1_key(&code).ok_or_else(|| CodeError::at(1, "epc_key", "the code carries no GS1 key")),
            Err(e) if lower.starts_with("http") && e.rule == "digital_link" => Ok(t.to_string()),
            Err(e) => Err(e),
        };
    }
    if t.contains(':') && !t.chars().any(char::is_whitespace) {
        return Ok(t.to_string());
    }
    Err(CodeError::at(1, "epc_form", format!("{t:?} is not an EPC URI, Digital Link, GS1 code or 药品追溯码")))
}

/// The key of a read GS1 code: its primary key and the qualifiers that make it an instance.
pub fn gs1_key(code: &Gs1Code) -> Option<String> {
    let enc = |v: &str| urlencoding::encode(v).into_owned();
    if let Some(gtin) = &code.gtin {
        return Some(match (&code.serial, &code.batch) {
            (Some(serial), _) => format!("/01/{gtin}/21/{}", enc(serial)),
            (None, Some(lot)) => format!("/01/{gtin}/10/{}", enc(lot)),
            (None, None) => format!("/01/{gtin}"),
        });
    }
    if let Some(sscc) = &code.sscc {
        return Some(format!("/00/{sscc}"));
    }
    let gln = code.get("414")?;
    Some(match code.get("254") {
        Some(ext) if ext != "0" => format!("/414/{gln}/254/{}", enc(ext)),
        _ => format!("/414/{gln}"),
    })
}

/// EPC pure-identity schemes besides SGTIN, SSCC and SGLN (GS1 Tag Data Standard 2.1 §6.3).
const OTHER_SCHEMES: &[&str] = &[
    "grai", "giai", "gsrn", "gsrnp", "gdti", "sgcn", "cpi", "pgln", "itip", "upui", "gid", "usdod", "adi", "bic",
    "imovn",
];

/// `sgtin:CP.IR.serial`, `sscc:CP.SR`, `sgln:CP.LR.ext` (and `lgtin:CP.IR.lot` as a class).
fn urn_key(rest: &str, class: bool) -> Result<String, CodeError> {
    let bad = |m: &str| CodeError::at(1, "epc_urn", format!("urn:epc:…:{rest}: {m}"));
    let (scheme, body) = rest.split_once(':').ok_or_else(|| bad("no scheme"))?;
    let parts: Vec<&str> = body.split('.').collect();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unescape =
        |s: &str| urlencoding::decode(s).map(|c| c.into_owned()).map_err(|_| bad("bad %-escape in the serial"));
    let enc = |v: &str| urlencoding::encode(v).into_owned();
    match (scheme, class, parts.as_slice()) {
        ("sgtin", false, [cp, ir, serial]) | ("lgtin", true, [cp, ir, serial])
            if digits(cp) && digits(ir) && cp.len() + ir.len() == 13 && !serial.is_empty() =>
        {
            let body12 = format!("{}{cp}{}", &ir[..1], &ir[1..]);
            let gtin = format!("{body12}{}", check_digit(&body12).ok_or_else(|| bad("not digits"))?);
            let q = if class { "10" } else { "21" };
            Ok(format!("/01/{gtin}/{q}/{}", enc(&unescape(serial)?)))
        }
        ("sscc", false, [cp, sr]) if digits(cp) && digits(sr) && cp.len() + sr.len() == 17 => {
            let body17 = format!("{}{cp}{}", &sr[..1], &sr[1..]);
            Ok(format!("/00/{body17}{}", check_digit(&body17).ok_or_else(|| bad("not digits"))?))
        }
        ("sgln", false, [cp, lr, ext])
            if digits(cp) && cp.len() + lr.len() == 12 && lr.bytes().all(|b| b.is_ascii_digit()) =>
        {
            let body12 = format!("{cp}{lr}");
            let gln = format!("{body12}{}", check_digit(&body12).ok_or_else(|| bad("not digits"))?);
            let ext = unescape(ext)?;
            Ok(if ext == "0" || ext.is_empty() {
                format!("/414/{gln}")
            } else {
                format!("/414/{gln}/254/{}", enc(&ext))
            })
        }
        ("sgtin" | "sscc" | "sgln" | "lgtin", _, _) => Err(bad("the parts do not add up to a GS1 key")),
        // Other EPC schemes (TDS 2.1 §6) are kept as sent.
        (s, false, parts)
            if OTHER_SCHEMES.contains(&s)
                && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_graphic())) =>
        {
            Ok(format!("urn:epc:id:{rest}"))
        }
        _ => Err(bad("not an EPC scheme this system reads")),
    }
}

/// The key prefixes an EPC pattern URI (TDS 2.1 §8, `urn:epc:idpat:…`) stands for, for the
/// EPCIS `MATCH_` query parameters: `sgtin:CP.IR.*` (every serial of one GTIN), `sgtin:CP.*.*`
/// and `sscc:CP.*` (everything of a company prefix: one prefix per leading indicator or
/// extension digit), `sgln:CP.LR.*` (a location with every extension). `None` when `input` is
/// not a pattern; an error for a pattern that names no company prefix or does not add up.
pub fn pattern_prefixes(input: &str) -> Option<Result<Vec<String>, CodeError>> {
    let rest = input.trim().strip_prefix("urn:epc:idpat:")?;
    let bad = |m: &str| CodeError::at(1, "epc_pattern", format!("urn:epc:idpat:{rest}: {m}"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (scheme, body) = match rest.split_once(':') {
        Some(x) => x,
        None => return Some(Err(bad("no scheme"))),
    };
    let parts: Vec<&str> = body.split('.').collect();
    let every_digit = |head: &str| (0..10).map(|d| format!("{head}{d}")).collect::<Vec<_>>();
    Some(match (scheme, parts.as_slice()) {
        ("sgtin", [cp, ir, "*"]) if digits(cp) && digits(ir) && cp.len() + ir.len() == 13 => {
            let body12 = format!("{}{cp}{}", &ir[..1], &ir[1..]);
            Ok(vec![format!("/01/{body12}{}/21/", check_digit(&body12).unwrap_or(0))])
        }
        ("sgtin", [cp, "*", "*"]) if digits(cp) && (6..=12).contains(&cp.len()) => {
            Ok(every_digit("/01/").into_iter().map(|p| format!("{p}{cp}")).collect())
        }
        ("sscc", [cp, "*"]) if digits(cp) && (6..=12).contains(&cp.len()) => {
            Ok(every_digit("/00/").into_iter().map(|p| format!("{p}{cp}")).collect())
        }
        ("sgln", [cp, lr, "*"])
            if digits(cp) && cp.len() + lr.len() == 12 && lr.bytes().all(|b| b.is_ascii_digit()) =>
        {
            let body12 = format!("{cp}{lr}");
            Ok(vec![format!("/414/{body12}{}", check_digit(&body12).unwrap_or(0))])
        }
        ("sgtin" | "sscc" | "sgln", _) => Err(bad("name the company prefix (and for one product its item reference)")),
        _ => Err(bad("patterns are read for sgtin, sscc and sgln")),
    })
}

/// The URI of a key: GS1 keys on id.gs1.org, NMPA codes as `urn:nmpa:code:…`.
pub fn uri(key: &str) -> String {
    if key.starts_with('/') {
        format!("{GS1_DOMAIN}{key}")
    } else if let Some(code) = key.strip_prefix("nmpa/") {
        format!("{NMPA_URN}{code}")
    } else {
        key.to_string()
    }
}

/// What a key names, for resolving its product: the GTIN of a GS1 trade item, the 药品标识码 of
/// an NMPA code, or neither (an SSCC, a location, another scheme).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductKey<'a> {
    Gtin(&'a str),
    DrugCode(&'a str),
    None,
}

pub fn product_key(key: &str) -> ProductKey<'_> {
    if let Some(rest) = key.strip_prefix("/01/") {
        return rest.get(..14).map_or(ProductKey::None, ProductKey::Gtin);
    }
    if let Some(code) = key.strip_prefix("nmpa/") {
        return code.get(..7).map_or(ProductKey::None, ProductKey::DrugCode);
    }
    ProductKey::None
}

/// The serial-level display form of a key: the 20 digits, or the bracketed GS1 form.
pub fn display(key: &str) -> String {
    if let Some(code) = key.strip_prefix("nmpa/") {
        return code.to_string();
    }
    if key.starts_with('/') {
        let parts: Vec<&str> = key.trim_start_matches('/').split('/').collect();
        let decoded: Vec<String> = parts
            .chunks(2)
            .map(|p| match p {
                [ai, v] => format!("({ai}){}", urlencoding::decode(v).map(|c| c.into_owned()).unwrap_or_default()),
                _ => String::new(),
            })
            .collect();
        return decoded.concat();
    }
    key.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap_or_default()
    }

    #[test]
    fn every_form_of_one_pack_has_one_key() {
        // GS1 EPCIS 2.0 / TDS 2.1 worked example: sgtin 0614141.107346.2017 is GTIN 10614141073464.
        let want = "/01/10614141073464/21/2017";
        for form in [
            "urn:epc:id:sgtin:0614141.107346.2017",
            "https://id.gs1.org/01/10614141073464/21/2017",
            "https://example.com/shop/01/10614141073464/21/2017?17=271231",
            "(01)10614141073464(21)2017",
            "]d20110614141073464212017",
        ] {
            assert_eq!(key(form, today()).as_deref(), Ok(want), "{form}");
        }
        assert_eq!(uri(want), "https://id.gs1.org/01/10614141073464/21/2017");
        assert_eq!(display(want), "(01)10614141073464(21)2017");
    }

    #[test]
    fn containers_locations_and_nmpa_codes() {
        // TDS examples: sscc 0614141.1234567890 is SSCC 106141412345678908; sgln
        // 0614141.07346.1234 is GLN 0614141073467 with extension 1234.
        assert_eq!(key("urn:epc:id:sscc:0614141.1234567890", today()).as_deref(), Ok("/00/106141412345678908"));
        assert_eq!(key("urn:epc:id:sgln:0614141.07346.1234", today()).as_deref(), Ok("/414/0614141073467/254/1234"));
        assert_eq!(key("urn:epc:id:sgln:0614141.07346.0", today()).as_deref(), Ok("/414/0614141073467"));
        assert_eq!(key("81000011234567890123", today()).as_deref(), Ok("nmpa/81000011234567890123"));
        assert_eq!(key("urn:nmpa:code:81000011234567890123", today()).as_deref(), Ok("nmpa/81000011234567890123"));
        assert_eq!(product_key("nmpa/81000011234567890123"), ProductKey::DrugCode("8100001"));
        assert_eq!(product_key("/01/10614141073464/21/2017"), ProductKey::Gtin("10614141073464"));
        assert_eq!(key("urn:epc:id:giai:9506000.SENSOR1", today()).as_deref(), Ok("urn:epc:id:giai:9506000.SENSOR1"));
        let e = key("urn:epc:id:sgtin:0614141.10734.2017", today()).err().map(|e| e.rule);
        assert_eq!(e, Some("epc_urn"), "12 digits of company prefix and item reference");
        assert!(key("urn:nmpa:code:8100001123456789012", today()).is_err(), "19 digits");
        assert!(key("not a code", today()).is_err());
    }

    #[test]
    fn pattern_uris_stand_for_key_prefixes() {
        // Company prefix 0614141, item reference 112345: the indicator digit 1 moves to the front
        // (TDS 2.1 §6.3.1), 1061414112345 takes the mod-10 check digit 9 (weights 3,1,… from the
        // right: sum 81), so every serial of GTIN 10614141123459.
        let one_gtin = pattern_prefixes("urn:epc:idpat:sgtin:0614141.112345.*").unwrap().unwrap();
        assert_eq!(one_gtin, vec!["/01/10614141123459/21/".to_string()]);
        assert!(key("urn:epc:id:sgtin:0614141.112345.400", today()).unwrap().starts_with(&one_gtin[0]));
        let company = pattern_prefixes("urn:epc:idpat:sgtin:0614141.*.*").unwrap().unwrap();
        assert_eq!((company.len(), company[1].as_str()), (10, "/01/10614141"));
        let sscc = pattern_prefixes("urn:epc:idpat:sscc:0614141.*").unwrap().unwrap();
        assert!(sscc
            .iter()
            .any(|p| key("urn:epc:id:sscc:0614141.1234567890", today()).unwrap().starts_with(p.as_str())));
        let place = pattern_prefixes("urn:epc:idpat:sgln:0614141.12345.*").unwrap().unwrap();
        assert!(key("urn:epc:id:sgln:0614141.12345.400", today()).unwrap().starts_with(&place[0]));
        assert_eq!(pattern_prefixes("urn:epc:idpat:sgtin:*.*.*").unwrap().unwrap_err().rule, "epc_pattern");
        assert!(pattern_prefixes("urn:epc:id:sgtin:0614141.112345.400").is_none());
    }
}
