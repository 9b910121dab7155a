//! GS1 Digital Link URIs (GS1 Digital Link standard 1.x, URI syntax), read into elements:
//!
//! - scheme `http` or `https` (case-insensitive, RFC 3986 §3.1), any domain, any path prefix;
//! - the path ends with a primary key and its key qualifiers, `/01/{GTIN}/22/…/10/…/21/…`, in one
//!   of the orders the dictionary's `dlpkey=` attribute allows (`22,10,21|235`: any of 22, 10, 21
//!   in that order, or 235 alone); a key with a bare `dlpkey` (e.g. SSCC (00)) takes none;
//! - the query string carries further AIs, only those with the dictionary's `?` flag; keys that
//!   are not numeric (`linkType`, …) are ignored; an AI that could stand in the path as a key
//!   qualifier must be there;
//! - values are percent-decoded (`+` is a plus sign in the path, a space in the query);
//! - GTIN-8, -12 and -13 in the path are padded to 14 digits.
//!
//! The path is read from its end backwards, pair by pair, to the rightmost primary key, as the
//! GS1 reference parser does (gs1-syntax-engine `src/c-lib/dl.c`, `gs1_parseDLuri`): what comes
//! before is the path prefix, even if it looks like an AI. Compressed Digital Link URIs are
//! recognised and refused.

use super::dictionary::{Entry, DICTIONARY};
use super::{CodeError, Element};

/// The characters a URI may hold (RFC 3986 unreserved, reserved and `%`).
fn uri_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c)
}

/// Characters a URI may hold that a domain may not.
fn bad_domain_char(c: char) -> bool {
    "_~?#@!$&'()*+,;=%".contains(c)
}

/// Whether `text` starts with `http://` or `https://`, in any case.
pub fn is_web_uri(text: &str) -> bool {
    let head = text.get(..8).or_else(|| text.get(..7)).unwrap_or("").to_ascii_lowercase();
    head.starts_with("https://") || head.starts_with("http://")
}

/// Percent-decoding; `plus_space` reads `+` as a space (the query string).
fn decode(s: &str, plus_space: bool) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus_space => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Whether `qualifiers` follow one of the key's allowed sequences, in order.
pub fn valid_sequence(key: &Entry, qualifiers: &[&str]) -> bool {
    let Some(alternatives) = &key.dlpkey else {
        return false;
    };
    alternatives.iter().any(|alt| {
        let mut allowed = alt.iter();
        qualifiers.iter().all(|q| allowed.any(|a| a == q))
    })
}

fn orders(key: &Entry) -> String {
    let alts = key.dlpkey.as_deref().unwrap_or_default();
    alts.iter().map(|a| a.join(", ")).collect::<Vec<_>>().join(" or ")
}

/// A compressed Digital Link: the path ends in one long segment of base64url characters that
/// is not an AI value pair (GS1 Digital Link compression).
fn looks_compressed(segment: &str) -> bool {
    segment.len() >= 10
        && segment.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        && segment.bytes().any(|c| c.is_ascii_uppercase())
        && !segment.bytes().all(|c| c.is_ascii_digit())
}

/// The index of the rightmost primary key, walking back over AI/value pairs from the end.
fn find_root(segments: &[(usize, &str)]) -> Option<usize> {
    let dict = &*DICTIONARY;
    let mut k = segments.len();
    while k >= 2 {
        let entry = dict.get(segments[k - 2].1)?;
        if entry.dlpkey.is_some() {
            return Some(k - 2);
        }
        k -= 2;
    }
    None
}

/// Reads a Digital Link URI; `offset` is the number of characters before it in what was sent.
pub fn parse(uri: &str, offset: usize) -> Result<Vec<(Element, usize)>, CodeError> {
    let at = |i: usize| offset + i + 1;
    let err = |i: usize, m: String| CodeError::at(at(i), "digital_link", m);
    // A web URI with no GS1 key in its path is no Digital Link at all (another system's
    // identifier), as opposed to a Digital Link that breaks its grammar.
    let not_link = |i: usize, m: String| CodeError::at(at(i), "not_digital_link", m);
    if let Some((i, c)) = uri.char_indices().find(|(_, c)| !uri_char(*c)) {
        return Err(err(i, format!("{c:?} is not allowed in a URI")));
    }
    // From here on the URI is ASCII: byte offsets are character offsets.
    let lower = uri.get(..8).unwrap_or(uri).to_ascii_lowercase();
    let host = if lower.starts_with("https://") {
        8
    } else if lower.starts_with("http://") {
        7
    } else {
        return Err(err(0, "a Digital Link URI starts with http:// or https://".into()));
    };
    let Some(path_start) = uri[host..].find('/').map(|p| host + p) else {
        return Err(not_link(host, "a Digital Link URI has a path like /01/{GTIN}".into()));
    };
    let domain = &uri[host..path_start];
    if domain.is_empty() {
        return Err(err(host, "the URI has no domain".into()));
    }
    if let Some(i) = domain.find(bad_domain_char) {
        return Err(err(host + i, format!("{:?} is not allowed in a domain", &domain[i..=i])));
    }
    let end = uri[path_start..].find('#').map_or(uri.len(), |p| path_start + p);
    let body = &uri[path_start..end];
    let (path, query, query_start) = match body.find('?') {
        Some(q) => (&body[..q], &body[q + 1..], path_start + q + 1),
        None => (body, "", end),
    };
    let trailing_slash = path.len() > 1 && path.ends_with('/');
    let path_body = if trailing_slash { &path[1..path.len() - 1] } else { &path[1..] };
    let mut segments: Vec<(usize, &str)> = Vec::new();
    let mut pos = path_start + 1;
    for s in path_body.split('/') {
        segments.push((pos, s));
        pos += s.len() + 1;
    }

    let dict = &*DICTIONARY;
    let Some(root) = find_root(&segments) else {
        // A trailing slash after what would be a Digital Link path gets its own message.
        if trailing_slash {
            let mut with_empty = segments.clone();
            with_empty.push((path_start + path.len(), ""));
            if find_root(&with_empty).is_some() {
                return Err(err(path_start + path.len() - 1, "a Digital Link path must not end with \"/\"".into()));
            }
        }
        if segments.last().is_some_and(|(_, s)| looks_compressed(s)) {
            return Err(err(
                path_start,
                "compressed Digital Link is not supported; send the uncompressed URI (/01/{GTIN}/…)".into(),
            ));
        }
        // A path that names a primary-key AI but does not read as one is a broken Digital
        // Link; one that names none is some other web identifier.
        let names_key = segments.iter().any(|(_, s)| dict.get(s).is_some_and(|e| e.dlpkey.is_some()));
        let message = "no GS1 primary key (such as /01/{GTIN} or /00/{SSCC}) in the path".to_string();
        return Err(if names_key { err(path_start, message) } else { not_link(path_start, message) });
    };
    if trailing_slash {
        return Err(err(path_start + path.len() - 1, "a Digital Link path must not end with \"/\"".into()));
    }

    let mut out: Vec<(Element, usize)> = Vec::new();
    let mut path_ais: Vec<&str> = Vec::new();
    for pair in segments[root..].chunks(2) {
        let [(ai_pos, ai), (value_pos, raw)] = pair else {
            return Err(err(pair[0].0, format!("path segment {} has no value", pair[0].1)));
        };
        if raw.is_empty() {
            return Err(err(*ai_pos, format!("({ai}) has no value in the path")));
        }
        let mut value =
            decode(raw, false).ok_or_else(|| err(*value_pos, format!("({ai}): bad percent-encoding in the path")))?;
        if value.contains('\0') {
            return Err(err(*value_pos, format!("({ai}): a NUL character is not allowed")));
        }
        // Digital Link allows GTIN-8, -12 and -13 in the path; (01) is 14 digits.
        if *ai == "01" && matches!(value.len(), 8 | 12 | 13) && value.bytes().all(|b| b.is_ascii_digit()) {
            value = format!("{value:0>14}");
        }
        path_ais.push(ai);
        out.push((Element { ai: (*ai).to_string(), value }, at(*value_pos)));
    }
    let (key_ai, qualifiers) = path_ais.split_first().map_or(("", &[][..]), |(k, q)| (*k, q));
    let key = dict.get(key_ai).ok_or_else(|| err(path_start, "no GS1 primary key in the path".into()))?;
    if !valid_sequence(key, qualifiers) {
        let found = qualifiers.iter().map(|q| format!("({q})")).collect::<Vec<_>>().join(", ");
        let message = if key.dlpkey.as_ref().is_some_and(|alts| alts.iter().all(Vec::is_empty)) {
            format!("{} takes no key qualifiers in the path; found {found}", key.label())
        } else {
            format!("{}: key qualifiers go in the order {}; found {found}", key.label(), orders(key))
        };
        return Err(err(segments[root].0, message));
    }

    let mut pos = query_start;
    for param in query.split('&') {
        let here = pos;
        pos += param.len() + 1;
        let (name, value) = match param.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (param, None),
        };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_digit()) {
            continue; // linkType, context, … and empty parameters: not GS1 data.
        }
        let Some(entry) = dict.get(name) else {
            return Err(CodeError::at(
                at(here),
                "ai_unknown",
                format!("({name}) in the query string is not a GS1 application identifier"),
            ));
        };
        if !entry.dl_attribute {
            return Err(err(
                here,
                format!("{} is not allowed as a Digital Link data attribute (query string)", entry.label()),
            ));
        }
        let raw = value.unwrap_or("");
        if raw.is_empty() {
            return Err(err(here, format!("({name}) has no value in the query string")));
        }
        let value = decode(raw, true).ok_or_else(|| err(here, format!("({name}): bad percent-encoding")))?;
        if value.contains('\0') {
            return Err(err(here, format!("({name}): a NUL character is not allowed")));
        }
        // An AI that can stand in the path as a key qualifier must be there.
        for i in 1..=path_ais.len() {
            let mut trial: Vec<&str> = path_ais.clone();
            trial.insert(i, name);
            if valid_sequence(key, &trial[1..]) {
                return Err(err(here, format!("({name}) belongs in the path as a key qualifier of {}", key.label())));
            }
        }
        out.push((Element { ai: name.to_string(), value }, at(here + name.len() + 1)));
    }
    // Each AI once in a Digital Link.
    for (i, (e, p)) in out.iter().enumerate() {
        if out[..i].iter().any(|(o, _)| o.ai == e.ai) {
            return Err(CodeError::at(*p, "ai_repeated", format!("({}) appears twice in the Digital Link", e.ai)));
        }
    }
    Ok(out)
}
