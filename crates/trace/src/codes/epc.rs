//! One key per identifier, whatever form it came in. EPCIS lets the same pack be named by an EPC
//! URN (`urn:epc:id:sgtin:9506000.013435.1001`), a GS1 Digital Link URI on any domain, and our
//! CSV uploads by an element string or the bare 20-digit 药品追溯码; all of them are stored and
//! matched by one canonical key:
//!
//! - GS1 identifiers: the Digital Link path of the key and the qualifiers that make it an
//!   instance, for every GS1 scheme of the EPC Tag Data Standard 2.x (§6.3): `/01/{GTIN-14}/21/…`
//!   (sgtin), `/00/{SSCC}`, `/414/{GLN}[/254/…]` (sgln), `/8003/…` (grai), `/8004/…` (giai),
//!   `/8018/…` (gsrn), `/8017/…` (gsrnp), `/253/…` (gdti), `/8010/…/8011/…` (cpi), `/255/…`
//!   (sgcn), `/401/…` (ginc), `/402/…` (gsin), `/8006/…/21/…` (itip), `/01/…/235/…` (upui),
//!   `/417/…` (pgln), and `/01/{GTIN-14}/10/{lot}` for the class `urn:epc:class:lgtin`;
//! - NMPA 药品追溯码: `nmpa/{20 digits}`; in EPCIS it is written `urn:nmpa:code:{20 digits}`
//!   (there is no EPC scheme for it; see docs/glossary.md);
//! - any other URI (the non-GS1 EPC schemes gid, usdod, adi, bic, imovn; private URIs): itself.
//!
//! Values in a key are percent-encoded one way: letters, digits and `- . _ ' ; =` as they are,
//! every other character as `%XX` (upper case) — the GS1 Digital Link form the EPCIS event hash
//! reference implementation writes for an EPC URN. [`epc_urn`] turns a key back into its EPC URN
//! given the length of the GS1 company prefix, which the key itself does not record.
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
        return urn_key(rest, Form::Id);
    }
    if let Some(rest) = t.strip_prefix("urn:epc:class:") {
        return urn_key(rest, Form::Class);
    }
    if let Some(rest) = t.strip_prefix(NMPA_URN) {
        return NmpaCode::parse(rest).map(|c| format!("nmpa/{}", c.code));
    }
    if t.len() == 20 && t.bytes().all(|b| b.is_ascii_digit()) && !t.starts_with("00") {
        return NmpaCode::parse(t).map(|c| format!("nmpa/{}", c.code));
    }
    let lower = t.get(..8).unwrap_or("").to_ascii_lowercase();
    let web = lower.starts_with("https://") || lower.starts_with("http://");
    let link = if web { dl_key(t) } else { None };
    if let Some((ai, read)) = &link {
        // GTINs, SSCCs and GLNs go through the GS1 parser below, which also checks the
        // attributes in the query string; the other keys are read here.
        if !matches!(*ai, "01" | "00" | "414") {
            return read.clone();
        }
    }
    let gs1_like = web
        || t.starts_with('(')
        || t.starts_with(']')
        || t.starts_with(gs1::GS)
        || t.bytes().next().is_some_and(|b| b.is_ascii_digit());
    if gs1_like {
        // A web URI that is not a Digital Link is kept as it is (a private identifier).
        return match gs1::parse(t, today) {
            Ok(code) => gs1_key(&code).ok_or_else(|| CodeError::at(1, "epc_key", "the code carries no GS1 key")),
            // Short names (`/gtin/…/ser/…`) and qualifiers the GS1 parser does not read; a
            // Digital Link that breaks the grammar (rule `digital_link`) is refused.
            Err(e) if web && matches!(e.rule, "digital_link" | "not_digital_link" | "ai_unknown") => match link {
                Some((_, Ok(k))) if e.rule != "digital_link" || short_names(t) => Ok(k),
                // A web URI with no GS1 key is another system's identifier; a Digital Link
                // that breaks the grammar (qualifier order, trailing slash …) is refused.
                _ if e.rule == "not_digital_link" => Ok(t.to_string()),
                _ => Err(e),
            },
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
    if let Some(gtin) = &code.gtin {
        return Some(match (&code.serial, &code.batch) {
            (Some(serial), _) => format!("/01/{gtin}/21/{}", dl_escape(serial)),
            (None, Some(lot)) => format!("/01/{gtin}/10/{}", dl_escape(lot)),
            (None, None) => format!("/01/{gtin}"),
        });
    }
    if let Some(sscc) = &code.sscc {
        return Some(format!("/00/{sscc}"));
    }
    let gln = code.get("414")?;
    Some(match code.get("254") {
        Some(ext) if ext != "0" => format!("/414/{gln}/254/{}", dl_escape(ext)),
        _ => format!("/414/{gln}"),
    })
}

/// The key of an EPC pattern URI that names exactly one GS1 key class (TDS 2.x §8):
/// `sgtin:CP.IR.*` and `upui:CP.IR.*` → `/01/{GTIN}`, `grai:CP.AT.*` → `/8003/…`,
/// `gdti:CP.DT.*` → `/253/…`, `sgcn:CP.CT.*` → `/255/…`, `cpi:CP.REF.*` → `/8010/…`,
/// `itip:CP.IR.PP.TT.*` → `/8006/…`. `None` when `input` is no pattern URI. The event hash
/// names a pattern in a quantity list by this key; query patterns are [`pattern_prefixes`].
pub fn class_key(input: &str) -> Option<Result<String, CodeError>> {
    input.trim().strip_prefix("urn:epc:idpat:").map(|rest| urn_key(rest, Form::Pattern))
}

/// The canonical GS1 Digital Link URI (on [`GS1_DOMAIN`]) of an EPC URN (id, class or
/// single-class pattern) or a Digital Link URI naming a GS1 key, for the EPCIS event hash;
/// `None` for anything else (other URIs, non-GS1 EPC schemes, NMPA codes, text, numbers).
pub fn canonical_uri(value: &str, today: NaiveDate) -> Option<String> {
    let v = value.trim();
    let k = if let Some(rest) = v.strip_prefix("urn:epc:id:") {
        urn_key(rest, Form::Id).ok()?
    } else if let Some(rest) = v.strip_prefix("urn:epc:class:") {
        urn_key(rest, Form::Class).ok()?
    } else if let Some(rest) = v.strip_prefix("urn:epc:idpat:") {
        urn_key(rest, Form::Pattern).ok()?
    } else if v.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("http://"))
        || v.get(..8).is_some_and(|p| p.eq_ignore_ascii_case("https://"))
    {
        key(v, today).ok()?
    } else {
        return None;
    };
    k.starts_with('/').then(|| format!("{GS1_DOMAIN}{k}"))
}

/// The EPC URN of a key (TDS 2.x §6.3 pure identity, `urn:epc:class:lgtin` for a lot,
/// `urn:epc:idpat:…` for a key without its serial), given the length of the GS1 company prefix
/// (6 to 12 digits) that the key does not record. NMPA keys become `urn:nmpa:code:…`, other
/// keys are already URIs. `None` when the key and the prefix length do not fit.
pub fn epc_urn(key: &str, company_prefix_len: usize) -> Option<String> {
    if let Some(code) = key.strip_prefix("nmpa/") {
        return Some(format!("{NMPA_URN}{code}"));
    }
    let Some(path) = key.strip_prefix('/') else { return Some(key.to_string()) };
    let cp = company_prefix_len;
    if !(6..=12).contains(&cp) {
        return None;
    }
    let segments: Vec<&str> = path.split('/').collect();
    let (ai, raw) = (*segments.first()?, *segments.get(1)?);
    let value = unescape(raw).ok()?;
    let v = value.as_str();
    let qualifier = match segments.get(2..) {
        Some([q, qv]) => Some((*q, unescape(qv).ok()?)),
        Some([]) | None => None,
        Some(_) => return None,
    };
    let q = |name: &str| qualifier.as_ref().filter(|(n, _)| *n == name).map(|(_, val)| urn_escape(val));
    let all_digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    // GTIN-14 → company prefix and indicator-first item reference (TDS §6.3.1).
    let gtin_parts =
        |g: &str| (all_digits(g, 14)).then(|| (g[1..1 + cp].to_string(), format!("{}{}", &g[..1], &g[1 + cp..13])));
    match ai {
        "01" => {
            let (c, ir) = gtin_parts(v)?;
            Some(match &qualifier {
                None => format!("urn:epc:idpat:sgtin:{c}.{ir}.*"),
                Some(_) => {
                    if let Some(s) = q("21") {
                        format!("urn:epc:id:sgtin:{c}.{ir}.{s}")
                    } else if let Some(lot) = q("10") {
                        format!("urn:epc:class:lgtin:{c}.{ir}.{lot}")
                    } else {
                        format!("urn:epc:id:upui:{c}.{ir}.{}", q("235")?)
                    }
                }
            })
        }
        "00" if all_digits(v, 18) && qualifier.is_none() => {
            Some(format!("urn:epc:id:sscc:{}.{}{}", &v[1..1 + cp], &v[..1], &v[1 + cp..17]))
        }
        "414" if all_digits(v, 13) => {
            let ext = match &qualifier {
                None => "0".to_string(),
                Some(_) => q("254")?,
            };
            Some(format!("urn:epc:id:sgln:{}.{}.{ext}", &v[..cp], &v[cp..12]))
        }
        "417" if all_digits(v, 13) && qualifier.is_none() => {
            Some(format!("urn:epc:id:pgln:{}.{}", &v[..cp], &v[cp..12]))
        }
        "8003" if v.len() >= 14 && all_digits(&v[..14], 14) && v.starts_with('0') && qualifier.is_none() => {
            let (c, at, serial) = (&v[1..1 + cp], &v[1 + cp..13], &v[14..]);
            Some(if serial.is_empty() {
                format!("urn:epc:idpat:grai:{c}.{at}.*")
            } else {
                format!("urn:epc:id:grai:{c}.{at}.{}", urn_escape(serial))
            })
        }
        "8004" if v.len() > cp && all_digits(&v[..cp], cp) && qualifier.is_none() => {
            Some(format!("urn:epc:id:giai:{}.{}", &v[..cp], urn_escape(&v[cp..])))
        }
        "8017" | "8018" if all_digits(v, 18) && qualifier.is_none() => {
            let scheme = if ai == "8017" { "gsrnp" } else { "gsrn" };
            Some(format!("urn:epc:id:{scheme}:{}.{}", &v[..cp], &v[cp..17]))
        }
        "253" | "255" if v.len() >= 13 && all_digits(&v[..13], 13) && qualifier.is_none() => {
            let scheme = if ai == "253" { "gdti" } else { "sgcn" };
            let (c, r, serial) = (&v[..cp], &v[cp..12], &v[13..]);
            Some(if serial.is_empty() {
                format!("urn:epc:idpat:{scheme}:{c}.{r}.*")
            } else {
                format!("urn:epc:id:{scheme}:{c}.{r}.{}", urn_escape(serial))
            })
        }
        "401" if v.len() > cp && all_digits(&v[..cp], cp) && qualifier.is_none() => {
            Some(format!("urn:epc:id:ginc:{}.{}", &v[..cp], urn_escape(&v[cp..])))
        }
        "402" if all_digits(v, 17) && qualifier.is_none() => {
            Some(format!("urn:epc:id:gsin:{}.{}", &v[..cp], &v[cp..16]))
        }
        "8006" if all_digits(v, 18) => {
            let (c, ir) = gtin_parts(&v[..14])?;
            let (piece, total) = (&v[14..16], &v[16..18]);
            Some(match &qualifier {
                None => format!("urn:epc:idpat:itip:{c}.{ir}.{piece}.{total}.*"),
                Some(_) => format!("urn:epc:id:itip:{c}.{ir}.{piece}.{total}.{}", q("21")?),
            })
        }
        "8010" if v.len() > cp && all_digits(&v[..cp], cp) => {
            let reference = cpi_escape(&v[cp..]);
            Some(match &qualifier {
                None => format!("urn:epc:idpat:cpi:{}.{reference}.*", &v[..cp]),
                Some(_) => format!("urn:epc:id:cpi:{}.{reference}.{}", &v[..cp], q("8011")?),
            })
        }
        _ => None,
    }
}

/// How an EPC URN was written: a pure identity, a class (lgtin) or an ID pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Id,
    Class,
    Pattern,
}

/// The non-GS1 EPC schemes (TDS 2.x §6.3), kept as URNs.
const OTHER_SCHEMES: &[&str] = &["gid", "usdod", "adi", "bic", "imovn"];

/// The key of the part of an EPC URN after `urn:epc:id:` (or `class:`, `idpat:`).
fn urn_key(rest: &str, form: Form) -> Result<String, CodeError> {
    let bad = |m: &str| CodeError::at(1, "epc_urn", format!("urn:epc:…:{rest}: {m}"));
    let (scheme, body) = rest.split_once(':').ok_or_else(|| bad("no scheme"))?;
    // Components split on their dots; the last one (a serial) may itself contain dots.
    let parts = |n: usize| body.splitn(n, '.').collect::<Vec<&str>>();
    let fail = || bad("the parts do not add up to a GS1 key");
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let prefix = |cp: &str| (6..=12).contains(&cp.len()) && digits(cp);
    // Company prefix + reference of `total` digits, with its check digit.
    let keyed = |cp: &str, reference: &str, total: usize| -> Result<String, CodeError> {
        if !prefix(cp) || !digits(reference) || cp.len() + reference.len() != total {
            return Err(fail());
        }
        let body = format!("{cp}{reference}");
        let cd = check_digit(&body).ok_or_else(fail)?;
        Ok(format!("{body}{cd}"))
    };
    // The GTIN of company prefix and item reference: the indicator digit moves to the front.
    let gtin = |cp: &str, ir: &str| -> Result<String, CodeError> {
        if !prefix(cp) || !digits(ir) || cp.len() + ir.len() != 13 {
            return Err(fail());
        }
        let body = format!("{}{cp}{}", &ir[..1], &ir[1..]);
        let cd = check_digit(&body).ok_or_else(fail)?;
        Ok(format!("{body}{cd}"))
    };
    let text = |s: &str, max: usize| {
        gs1_text(s, max).ok_or_else(|| bad("a serial or reference with characters or a length GS1 does not allow"))
    };
    let number = |s: &str, max: usize| {
        if !s.is_empty() && s.len() <= max && digits(s) {
            Ok(s.to_string())
        } else {
            Err(bad("a serial of digits that is too long or empty"))
        }
    };
    use Form::{Class, Id, Pattern};
    match (form, scheme) {
        (Id, "sgtin") | (Class, "lgtin") | (Id, "upui") | (Pattern, "sgtin" | "upui") => match parts(3).as_slice() {
            [cp, ir, "*"] if form == Pattern => gtin(cp, ir).map(|g| format!("/01/{g}")),
            [cp, ir, serial] if form != Pattern => {
                let (q, max) = match scheme {
                    "lgtin" => ("10", 20),
                    "upui" => ("235", 28),
                    _ => ("21", 20),
                };
                Ok(format!("/01/{}/{q}/{}", gtin(cp, ir)?, text(serial, max)?))
            }
            _ => Err(fail()),
        },
        (Id, "sscc") => match parts(2).as_slice() {
            [cp, sr] if prefix(cp) && digits(sr) && !sr.is_empty() && cp.len() + sr.len() == 17 => {
                // The extension digit, first of the serial reference, leads the SSCC.
                let body = format!("{}{cp}{}", &sr[..1], &sr[1..]);
                let cd = check_digit(&body).ok_or_else(fail)?;
                Ok(format!("/00/{body}{cd}"))
            }
            _ => Err(fail()),
        },
        (Id, "sgln") => match parts(3).as_slice() {
            [cp, lr, ext] => {
                let gln = keyed(cp, lr, 12)?;
                let ext = if ext.is_empty() { String::new() } else { text(ext, 20)? };
                Ok(if ext.is_empty() || ext == "0" { format!("/414/{gln}") } else { format!("/414/{gln}/254/{ext}") })
            }
            _ => Err(fail()),
        },
        (Id | Pattern, "grai") => match parts(3).as_slice() {
            [cp, at, "*"] if form == Pattern => Ok(format!("/8003/0{}", keyed(cp, at, 12)?)),
            [cp, at, serial] if form == Id => Ok(format!("/8003/0{}{}", keyed(cp, at, 12)?, text(serial, 16)?)),
            _ => Err(fail()),
        },
        (Id, "giai" | "ginc") => match parts(2).as_slice() {
            [cp, reference] if prefix(cp) => {
                let ai = if scheme == "giai" { "8004" } else { "401" };
                Ok(format!("/{ai}/{cp}{}", text(reference, 30 - cp.len())?))
            }
            _ => Err(fail()),
        },
        (Id, "gsrn" | "gsrnp" | "gsin") => match parts(2).as_slice() {
            [cp, sr] => {
                let (ai, total) = match scheme {
                    "gsrn" => ("8018", 17),
                    "gsrnp" => ("8017", 17),
                    _ => ("402", 16),
                };
                Ok(format!("/{ai}/{}", keyed(cp, sr, total)?))
            }
            _ => Err(fail()),
        },
        (Id | Pattern, "gdti" | "sgcn") => {
            let ai = if scheme == "gdti" { "253" } else { "255" };
            match parts(3).as_slice() {
                [cp, r, "*"] if form == Pattern => Ok(format!("/{ai}/{}", keyed(cp, r, 12)?)),
                [cp, r, serial] if form == Id => {
                    let serial = if scheme == "gdti" { text(serial, 17)? } else { number(serial, 12)? };
                    Ok(format!("/{ai}/{}{serial}", keyed(cp, r, 12)?))
                }
                _ => Err(fail()),
            }
        }
        (Id | Pattern, "cpi") => match parts(3).as_slice() {
            [cp, reference, last] if prefix(cp) => {
                let reference = cpi_reference(reference, 30 - cp.len())
                    .ok_or_else(|| bad("a component/part reference GS1 does not allow"))?;
                match (form, *last) {
                    (Pattern, "*") => Ok(format!("/8010/{cp}{reference}")),
                    (Id, serial) => Ok(format!("/8010/{cp}{reference}/8011/{}", number(serial, 12)?)),
                    _ => Err(fail()),
                }
            }
            _ => Err(fail()),
        },
        (Id | Pattern, "itip") => match parts(5).as_slice() {
            [cp, ir, piece, total, last] if piece.len() == 2 && total.len() == 2 && digits(piece) && digits(total) => {
                let key = format!("/8006/{}{piece}{total}", gtin(cp, ir)?);
                match (form, *last) {
                    (Pattern, "*") => Ok(key),
                    (Id, serial) => Ok(format!("{key}/21/{}", text(serial, 20)?)),
                    _ => Err(fail()),
                }
            }
            _ => Err(fail()),
        },
        (Id, "pgln") => match parts(2).as_slice() {
            [cp, pr] => Ok(format!("/417/{}", keyed(cp, pr, 12)?)),
            _ => Err(fail()),
        },
        (Id, s) if OTHER_SCHEMES.contains(&s) => {
            if body.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_graphic())) {
                Ok(format!("urn:epc:id:{rest}"))
            } else {
                Err(bad("empty or non-printable parts"))
            }
        }
        _ => Err(bad("not an EPC scheme this system reads")),
    }
}

/// A GS1 key read from the path of a Digital Link URI on any domain: the primary key's AI (or
/// its short name, `/gtin/`, `/giai/`, …) and value, then qualifier pairs; the query string and
/// a CPV (22) are left out, a lot is left out when a serial is there. `None` when the path names
/// no GS1 primary key; otherwise the primary AI and the key or why it does not read.
fn dl_key(uri: &str) -> Option<(&'static str, Result<String, CodeError>)> {
    let (_, after) = uri.split_once("://")?;
    let path = &after[after.find('/')?..];
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let start = segments.iter().position(|s| primary_ai(s).is_some())?;
    let ai = primary_ai(segments[start])?;
    Some((ai, dl_path_key(ai, &segments[start + 1..])))
}

/// Whether a Digital Link path uses the short names of Digital Link 1.0 (`/gtin/…/ser/…`),
/// which the GS1 parser does not read; only then does the lenient reader here decide. The
/// names are those [`primary_ai`] and [`dl_path_key`] read.
fn short_names(uri: &str) -> bool {
    let path = uri.split(['?', '#']).next().unwrap_or(uri);
    path.split('/').any(|s| {
        let named = !s.is_empty() && !s.bytes().all(|b| b.is_ascii_digit());
        named && (primary_ai(s).is_some() || QUALIFIER_NAMES.iter().any(|(n, _)| *n == s))
    })
}

/// Key qualifiers by their Digital Link 1.0 short names.
const QUALIFIER_NAMES: &[(&str, &str)] = &[("cpv", "22"), ("lot", "10"), ("ser", "21")];

/// The AI of a primary key segment of a Digital Link path (TDS / Digital Link short names too).
fn primary_ai(segment: &str) -> Option<&'static str> {
    Some(match segment {
        "01" | "gtin" => "01",
        "00" | "sscc" => "00",
        "414" | "gln" => "414",
        "417" | "party" => "417",
        "8003" | "grai" => "8003",
        "8004" | "giai" => "8004",
        "8017" | "gsrnp" => "8017",
        "8018" | "gsrn" => "8018",
        "253" | "gdti" => "253",
        "255" | "gcn" => "255",
        "401" | "ginc" => "401",
        "402" | "gsin" => "402",
        "8006" | "itip" => "8006",
        "8010" | "cpid" => "8010",
        _ => return None,
    })
}

fn dl_path_key(ai: &'static str, rest: &[&str]) -> Result<String, CodeError> {
    let bad = |m: String| CodeError::at(1, "digital_link", m);
    let value = unescape(rest.first().ok_or_else(|| bad(format!("/{ai}/ has no value")))?)
        .map_err(|_| bad("bad percent-encoding".into()))?;
    let mut qualifiers: Vec<(&str, String)> = Vec::new();
    for pair in rest[1..].chunks(2) {
        let [q, v] = pair else { return Err(bad(format!("path segment {} has no value", pair[0]))) };
        let q = QUALIFIER_NAMES.iter().find(|(n, _)| n == q).map_or(*q, |(_, ai)| *ai);
        qualifiers.push((q, unescape(v).map_err(|_| bad("bad percent-encoding".into()))?));
    }
    let qualifier = |name: &str| qualifiers.iter().find(|(q, _)| *q == name).map(|(_, v)| v.as_str());
    let unknown = qualifiers.iter().find(|(q, _)| {
        !matches!(
            (ai, *q),
            ("01", "22" | "10" | "21" | "235") | ("8006", "22" | "10" | "21") | ("414", "254") | ("8010", "8011")
        )
    });
    if let Some((q, _)) = unknown {
        return Err(bad(format!("/{q}/ does not qualify /{ai}/")));
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let checked = |s: &str| {
        let (body, last) = s.split_at(s.len().saturating_sub(1));
        digits(s) && !s.is_empty() && check_digit(body).map(|c| c.to_string()).as_deref() == Some(last)
    };
    let fixed = |s: &str, n: usize| -> Result<(), CodeError> {
        if s.len() == n && checked(s) {
            Ok(())
        } else {
            Err(bad(format!("/{ai}/ needs {n} digits with a valid check digit")))
        }
    };
    let text = |s: &str, max: usize| -> Result<String, CodeError> {
        if !s.is_empty() && s.chars().count() <= max && s.chars().all(cset82) {
            Ok(dl_escape(s))
        } else {
            Err(bad(format!("a value of /{ai}/ with characters or a length GS1 does not allow")))
        }
    };
    let v = value.as_str();
    match ai {
        "01" => {
            let gtin = if matches!(v.len(), 8 | 12 | 13) { format!("{v:0>14}") } else { v.to_string() };
            fixed(&gtin, 14)?;
            Ok(if let Some(s) = qualifier("21") {
                format!("/01/{gtin}/21/{}", text(s, 20)?)
            } else if let Some(t) = qualifier("235") {
                format!("/01/{gtin}/235/{}", text(t, 28)?)
            } else if let Some(l) = qualifier("10") {
                format!("/01/{gtin}/10/{}", text(l, 20)?)
            } else {
                format!("/01/{gtin}")
            })
        }
        "8006" => {
            if v.len() != 18 || !digits(v) {
                return Err(bad("/8006/ needs 18 digits".into()));
            }
            fixed(&v[..14], 14)?;
            Ok(if let Some(s) = qualifier("21") {
                format!("/8006/{v}/21/{}", text(s, 20)?)
            } else if let Some(l) = qualifier("10") {
                format!("/8006/{v}/10/{}", text(l, 20)?)
            } else {
                format!("/8006/{v}")
            })
        }
        "00" | "8017" | "8018" => fixed(v, 18).map(|()| format!("/{ai}/{v}")),
        "417" => fixed(v, 13).map(|()| format!("/417/{v}")),
        "402" => fixed(v, 17).map(|()| format!("/402/{v}")),
        "414" => {
            fixed(v, 13)?;
            Ok(match qualifier("254") {
                Some(ext) if ext != "0" => format!("/414/{v}/254/{}", text(ext, 20)?),
                _ => format!("/414/{v}"),
            })
        }
        "8003" if v.len() >= 14 && v.starts_with('0') => {
            fixed(&v[..14], 14)?;
            let serial = &v[14..];
            Ok(if serial.is_empty() {
                format!("/8003/{v}")
            } else {
                format!("/8003/{}{}", &v[..14], text(serial, 16)?)
            })
        }
        "253" | "255" if v.len() >= 13 => {
            fixed(&v[..13], 13)?;
            let serial = &v[13..];
            if ai == "255" && !(digits(serial) && serial.len() <= 12) {
                return Err(bad("/255/ has a serial of up to 12 digits".into()));
            }
            Ok(if serial.is_empty() {
                format!("/{ai}/{v}")
            } else {
                format!("/{ai}/{}{}", &v[..13], text(serial, 17)?)
            })
        }
        "8004" | "401" => text(v, 30).map(|t| format!("/{ai}/{t}")),
        "8010" => {
            let reference =
                cpi_reference_plain(v, 30).ok_or_else(|| bad("/8010/ has digits, capitals, - # and /".into()))?;
            Ok(match qualifier("8011") {
                Some(s) if !s.is_empty() && s.len() <= 12 && digits(s) => format!("/8010/{reference}/8011/{s}"),
                Some(_) => return Err(bad("/8011/ is up to 12 digits".into())),
                None => format!("/8010/{reference}"),
            })
        }
        _ => Err(bad(format!("/{ai}/ does not hold a valid key"))),
    }
}

/// GS1 AI encodable character set 82 (GS1 General Specifications §7.11, figure 7.11-1).
fn cset82(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!\"%&'()*+,-./:;<=>?_".contains(c)
}

/// A serial or reference of an EPC URN (TDS 2.x §5, "GS3A3" component): URN characters and
/// `%XX` escapes of set-82 characters, at most `max` characters once decoded; as a key value.
fn gs1_text(s: &str, max: usize) -> Option<String> {
    let raw_ok = |c: char| c.is_ascii_alphanumeric() || "!'()*+,-.:;=_".contains(c);
    if s.is_empty() || !s.chars().all(|c| c == '%' || raw_ok(c)) {
        return None;
    }
    let decoded = unescape(s).ok()?;
    (decoded.chars().count() <= max && decoded.chars().all(cset82)).then(|| dl_escape(&decoded))
}

/// A component/part reference of a CPI URN: digits, capitals, `-`, and `%23` (#), `%2F` (/).
fn cpi_reference(s: &str, max: usize) -> Option<String> {
    let decoded = unescape(s).ok()?;
    let escapes_ok = s.match_indices('%').all(|(i, _)| matches!(s.get(i..i + 3), Some("%23" | "%2F" | "%2f")));
    if !escapes_ok {
        return None;
    }
    cpi_reference_plain(&decoded, max)
}

fn cpi_reference_plain(decoded: &str, max: usize) -> Option<String> {
    let ok = |c: char| c.is_ascii_digit() || c.is_ascii_uppercase() || "-#/".contains(c);
    (!decoded.is_empty() && decoded.len() <= max && decoded.chars().all(ok)).then(|| dl_escape(decoded))
}

/// A value as a key writes it (see the module doc).
fn dl_escape(value: &str) -> String {
    escape(value, |b| b.is_ascii_alphanumeric() || b"-._';=".contains(&b))
}

/// A serial or reference as an EPC URN writes it (TDS 2.x Table A-1: `"`, `%`, `&`, `/`, `<`,
/// `>`, `?` and anything outside set 82 escaped).
fn urn_escape(value: &str) -> String {
    escape(value, |b| b.is_ascii_alphanumeric() || b"!'()*+,-.:;=_".contains(&b))
}

/// A CPI reference as an EPC URN writes it: `#` and `/` escaped.
fn cpi_escape(value: &str) -> String {
    escape(value, |b| b.is_ascii_alphanumeric() || b == b'-')
}

fn escape(value: &str, keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for b in value.bytes() {
        if keep(b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 15)]));
        }
    }
    out
}

/// `%XX` escapes decoded (UTF-8).
fn unescape(s: &str) -> Result<String, CodeError> {
    if !s.contains('%') {
        return Ok(s.to_string());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            let Some(b) = hex else { return Err(CodeError::at(i + 1, "epc_escape", "a % that is no %XX escape")) };
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| CodeError::at(1, "epc_escape", "escapes that are not UTF-8"))
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
        assert_eq!(key("urn:epc:id:giai:9506000.SENSOR1", today()).as_deref(), Ok("/8004/9506000SENSOR1"));
        assert_eq!(key("urn:epc:id:gid:31415.271828.1414", today()).as_deref(), Ok("urn:epc:id:gid:31415.271828.1414"));
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

    /// Worked examples of the EPC Tag Data Standard (pure identity ↔ GS1 element string), as
    /// collected in dannyhaak/TagDataTranslation, TagDataTranslation-C#/TagDataTranslationUnitTest/
    /// TDSStandard.cs (PURE_IDENTITY and LEGACY_AI of each test; company prefix length 7), with the
    /// element string written as a Digital Link path.
    const TDS_EXAMPLES: &[(&str, &str)] = &[
        ("urn:epc:id:sgtin:0614141.812345.6789", "/01/80614141123458/21/6789"), // Sgtin96: (01)80614141123458(21)6789
        ("urn:epc:id:sgtin:0614141.712345.32a%2Fb", "/01/70614141123451/21/32a%2Fb"), // Sgtin198: (21)32a/b
        ("urn:epc:id:sscc:0614141.1234567890", "/00/106141412345678908"),       // Sscc96
        ("urn:epc:id:sgln:0614141.12345.5678", "/414/0614141123452/254/5678"),  // Sgln96
        ("urn:epc:id:sgln:0614141.12345.32a%2Fb", "/414/0614141123452/254/32a%2Fb"), // Sgln195
        ("urn:epc:id:grai:0614141.12345.5678", "/8003/006141411234525678"),     // Grai96
        ("urn:epc:id:grai:0614141.12345.32a%2Fb", "/8003/0061414112345232a%2Fb"), // Grai170
        ("urn:epc:id:giai:0614141.5678", "/8004/06141415678"),                  // Giai96
        ("urn:epc:id:giai:0614141.32a%2Fb", "/8004/061414132a%2Fb"),            // Giai202
        ("urn:epc:id:gsrn:0614141.1234567890", "/8018/061414112345678902"),     // Gsrn96
        ("urn:epc:id:gsrnp:0614141.1234567890", "/8017/061414112345678902"),    // Gsrnp96
        ("urn:epc:id:gdti:0614141.12345.5678", "/253/06141411234525678"),       // Gdti96
        ("urn:epc:id:gdti:4012345.98765.ABCDefgh012345678", "/253/4012345987652ABCDefgh012345678"), // Gdti174
        ("urn:epc:id:cpi:0614141.98765.12345", "/8010/061414198765/8011/12345"), // Cpi96
        ("urn:epc:id:cpi:0614141.5PQ7%2FZ43.12345", "/8010/06141415PQ7%2FZ43/8011/12345"), // CpiVar: 5PQ7/Z43
        ("urn:epc:id:sgcn:4012345.67890.04711", "/255/401234567890104711"),     // Sgcn96
        ("urn:epc:id:itip:4012345.012345.01.02.987", "/8006/040123451234560102/21/987"), // Itip110
        ("urn:epc:id:itip:4012345.012345.01.02.mw133", "/8006/040123451234560102/21/mw133"), // Itip212
    ];

    #[test]
    fn tag_data_standard_examples_convert_both_ways() {
        for (urn, want) in TDS_EXAMPLES {
            assert_eq!(key(urn, today()).as_deref(), Ok(*want), "{urn}");
            assert_eq!(epc_urn(want, 7).as_deref(), Some(*urn), "{want}");
            assert_eq!(key(&uri(want), today()).as_deref(), Ok(*want), "{want} as a Digital Link");
        }
        // The non-GS1 examples of the same file stay URNs (Gid96, Usdod96, AdiVar).
        for urn in
            ["urn:epc:id:gid:31415.271828.1414", "urn:epc:id:usdod:CAGEY.5678", "urn:epc:id:adi:35962.PQ7VZ4.M37GXB92"]
        {
            assert_eq!(key(urn, today()).as_deref(), Ok(urn));
            assert_eq!(epc_urn(urn, 7).as_deref(), Some(urn));
        }
        assert_eq!(epc_urn("/01/80614141123458/21/6789", 13), None, "a company prefix is 6 to 12 digits");
        assert_eq!(epc_urn("/8004/06141415678", 11), None, "GIAI 06141415678 holds no 11-digit prefix and a reference");
    }

    /// RalphTro/epcis-event-hash-generator@5d2f1c3, tests/dl_normaliser_test.py:
    /// test_good_epc_conversion, test_epc_uri_patterns, test_regression_52, test_regression_87 —
    /// the canonical Digital Link of every EPC scheme, class and pattern the event hash reads.
    const REFERENCE_URNS: &[(&str, &str)] = &[
        ("urn:epc:id:sgtin:4012345.011111.98%22", "https://id.gs1.org/01/04012345111118/21/98%22"),
        ("urn:epc:id:sgtin:415056789012.0.987654", "https://id.gs1.org/01/04150567890128/21/987654"),
        (
            "urn:epc:id:sgtin:0614141.812345.6789%2F%26%25%22!%3F()",
            "https://id.gs1.org/01/80614141123458/21/6789%2F%26%25%22%21%3F%28%29",
        ),
        ("urn:epc:id:sscc:4012345.3111111111", "https://id.gs1.org/00/340123451111111111"),
        ("urn:epc:id:sgln:4012345.00005.122", "https://id.gs1.org/414/4012345000054/254/122"),
        ("urn:epc:id:sgln:4012345.00005.0", "https://id.gs1.org/414/4012345000054"),
        ("urn:epc:id:grai:4012345.00022.334455", "https://id.gs1.org/8003/04012345000221334455"),
        ("urn:epc:id:giai:4012345.ABC345", "https://id.gs1.org/8004/4012345ABC345"),
        ("urn:epc:id:gsrn:4012345.0000006765", "https://id.gs1.org/8018/401234500000067657"),
        ("urn:epc:id:gsrnp:4012345.0000000007", "https://id.gs1.org/8017/401234500000000074"),
        ("urn:epc:id:gdti:4012345.00009.PO-4711", "https://id.gs1.org/253/4012345000092PO-4711"),
        ("urn:epc:id:gdti:987659999999..9", "https://id.gs1.org/253/98765999999929"),
        (
            "urn:epc:id:cpi:0614141.11111111111111-A%23%2F.1234",
            "https://id.gs1.org/8010/061414111111111111111-A%23%2F/8011/1234",
        ),
        ("urn:epc:id:ginc:0614141.xyz47%2F11", "https://id.gs1.org/401/0614141xyz47%2F11"),
        ("urn:epc:id:gsin:4012345.222333444", "https://id.gs1.org/402/40123452223334442"),
        ("urn:epc:id:itip:4012345.011111.01.02.987", "https://id.gs1.org/8006/040123451111180102/21/987"),
        (
            "urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7SDB",
            "https://id.gs1.org/01/01234567987651/235/51qIgY%29%3C%26Jp3%2Aj7SDB",
        ),
        ("urn:epc:id:pgln:4000001.00000", "https://id.gs1.org/417/4000001000005"),
        ("urn:epc:id:pgln:999999999999.", "https://id.gs1.org/417/9999999999994"),
        ("urn:epc:class:lgtin:4012345.012345.Lot987", "https://id.gs1.org/01/04012345123456/10/Lot987"),
        ("urn:epc:idpat:sgtin:4012345.012345.*", "https://id.gs1.org/01/04012345123456"),
        ("urn:epc:idpat:grai:4012345.99999.*", "https://id.gs1.org/8003/04012345999990"),
        ("urn:epc:idpat:gdti:4012345.11111.*", "https://id.gs1.org/253/4012345111118"),
        ("urn:epc:idpat:sgcn:4012345.22222.*", "https://id.gs1.org/255/4012345222227"),
        ("urn:epc:idpat:cpi:4012345.AB12.*", "https://id.gs1.org/8010/4012345AB12"),
        ("urn:epc:idpat:itip:4012345.012345.01.02.*", "https://id.gs1.org/8006/040123451234560102"),
        ("urn:epc:idpat:upui:4012345.012345.*", "https://id.gs1.org/01/04012345123456"),
        ("urn:epc:id:gsrn:4012345.9876540000", "https://id.gs1.org/8018/401234598765400000"),
        ("urn:epc:id:gsrnp:4012345.0000098765", "https://id.gs1.org/8017/401234500000987658"),
        ("urn:epc:id:gsin:4012345.999987654", "https://id.gs1.org/402/40123459999876541"),
        ("urn:epc:id:sscc:4012345.0000000011", "https://id.gs1.org/00/040123450000000115"),
    ];

    #[test]
    fn every_scheme_has_the_reference_digital_link_and_reads_back() {
        for (urn, link) in REFERENCE_URNS {
            assert_eq!(canonical_uri(urn, today()).as_deref(), Some(*link), "{urn}");
            let k = &link[GS1_DOMAIN.len()..];
            // Round trip: the key, written back as a URN with the example's prefix length, is
            // the same identifier (the same key again; `upui`'s `*` and `'` decode the same).
            let cp = urn.split([':', '.']).nth(4).map_or(0, str::len);
            let back = epc_urn(k, cp).unwrap_or_else(|| panic!("{k} with prefix length {cp}"));
            let again = if back.starts_with("urn:epc:idpat:") {
                class_key(&back).and_then(Result::ok)
            } else {
                key(&back, today()).ok()
            };
            assert_eq!(again.as_deref(), Some(k), "{urn} → {k} → {back}");
            if !urn.contains(['%', '!', '(', ')', '*']) && !urn.starts_with("urn:epc:idpat:upui") {
                assert_eq!(back, *urn, "{k}");
            }
        }
        // Patterns are class keys for the hash, never instance keys: `key` keeps them as URIs.
        let pattern = "urn:epc:idpat:sgtin:4012345.012345.*";
        assert_eq!(key(pattern, today()).as_deref(), Ok(pattern));
        assert_eq!(class_key("urn:epc:id:sgtin:4012345.012345.1"), None);
    }

    /// RalphTro/epcis-event-hash-generator@5d2f1c3, tests/dl_normaliser_test.py:
    /// test_uris_with_letters_and_ais, test_gtin_8_12_13, test_http_only, test_key_qualifiers,
    /// test_sub_domains, test_qualifier_or_custom_data_attributes_in_query_string,
    /// test_other_gs1_keys, test_ordinary_web_uri.
    #[test]
    fn digital_links_of_every_key_on_any_domain_have_one_form() {
        for (link, want) in [
            ("https://id.gs1.org/gtin/09780345418913", Some("https://id.gs1.org/01/09780345418913")),
            (
                "https://example.com/gtin/09780345418913/21/765tz?abc=211121",
                Some("https://id.gs1.org/01/09780345418913/21/765tz"),
            ),
            (
                "http://us-company-with-UPC.com/01/001122334455/ser/GHB",
                Some("https://id.gs1.org/01/00001122334455/21/GHB"),
            ),
            ("https://ean-13.de/gtin/4012345123456/ser/ABC524", Some("https://id.gs1.org/01/04012345123456/21/ABC524")),
            ("http://id.gs1.org/gtin/9780345418913", Some("https://id.gs1.org/01/09780345418913")),
            (
                "https://id.gs1.org/gtin/9780345418913/cpv/344/lot/1223/ser/765tz",
                Some("https://id.gs1.org/01/09780345418913/21/765tz"),
            ),
            (
                "https://fashion-corp.com/8006/040123451234560102/22/AB/21/443322",
                Some("https://id.gs1.org/8006/040123451234560102/21/443322"),
            ),
            (
                "https://id.gs1.org/8006/040123451234560102/22/ABCD/10/XYZ",
                Some("https://id.gs1.org/8006/040123451234560102/10/XYZ"),
            ),
            (
                "https://gs1.test.example.org/01/9780345418913/10/1223",
                Some("https://id.gs1.org/01/09780345418913/10/1223"),
            ),
            (
                "https://example.org/01/9780345418913/21/765tz?11=221109",
                Some("https://id.gs1.org/01/09780345418913/21/765tz"),
            ),
            ("https://example.co.uk/party/4226350800008", Some("https://id.gs1.org/417/4226350800008")),
            ("https://id.gs1.org/414/4280000000002/254/12", Some("https://id.gs1.org/414/4280000000002/254/12")),
            ("https://id.gs1.org/8003/03870585000552987", Some("https://id.gs1.org/8003/03870585000552987")),
            ("https://id.gs1.org/8004/0180451111ABC987", Some("https://id.gs1.org/8004/0180451111ABC987")),
            ("https://id.gs1.org/8018/385888700111111111", Some("https://id.gs1.org/8018/385888700111111111")),
            ("https://id.gs1.org/8017/440018922222222226", Some("https://id.gs1.org/8017/440018922222222226")),
            ("https://id.gs1.org/253/4602443000331XYZ", Some("https://id.gs1.org/253/4602443000331XYZ")),
            ("https://id.gs1.org/8010/0628165987/8011/9876", Some("https://id.gs1.org/8010/0628165987/8011/9876")),
            ("https://id.gs1.org/255/0811625999996554433", Some("https://id.gs1.org/255/0811625999996554433")),
            (
                "http://fashion.com/itip/040123451234560102/ser/ABC145",
                Some("https://id.gs1.org/8006/040123451234560102/21/ABC145"),
            ),
            ("http://example.de/abc/9780345418913", None),
            ("http://example.org/123/4012345ABC987/456/4711", None),
            // The reference normalises these without checking the check digit (test_gtin_8_12_13,
            // test_key_qualifiers); GTIN 97803111 and 040123451234 have wrong check digits, and
            // such a URI stays as it is here.
            ("http://example.de/gtin-8/01/97803111", None),
            ("http://example.de/01/040123451234/cpv/344/lot/ABD", None),
        ] {
            assert_eq!(canonical_uri(link, today()).as_deref(), want, "{link}");
        }
    }

    #[test]
    fn a_broken_digital_link_is_refused_and_another_web_uri_kept() {
        // Another system's identifier: kept as it is.
        assert_eq!(
            key("https://example.com/products/aspirin", today()).as_deref(),
            Ok("https://example.com/products/aspirin")
        );
        // A Digital Link that breaks the grammar is not kept as a private identifier.
        for bad in [
            "https://id.gs1.org/01/09506000134352/",
            "https://id.gs1.org/01/09506000134352/21/123/10/ABC",
            "https://id.gs1.org/01/09506000134352?10=ABC",
        ] {
            assert_eq!(key(bad, today()).map_err(|e| e.rule), Err("digital_link"), "{bad}");
        }
    }
}
