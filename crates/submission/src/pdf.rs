//! What the validator needs to know of a PDF leaf: its version (the header's, raised by the
//! catalog's `/Version`, ISO 32000-1 §7.5.2 and §7.7.2), whether it claims PDF/A (the XMP
//! `pdfaid:part`, ISO 19005-1 §6.7.11), whether it is encrypted (a trailer `/Encrypt`
//! dictionary, §7.6), its page count, whether it has bookmarks (the catalog's `/Outlines` with a
//! first item, §12.3.3) and whether its pages carry fonts (text that can be searched, where that
//! is detectable: a scanned page has images and no font). Read with `lopdf`. Pure: it reads
//! bytes.

/// The facts of one PDF.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PdfFacts {
    /// "1.4" …, the header's or the catalog's, whichever is later.
    pub version: String,
    /// The PDF/A part (1, 2, 3) its metadata claims.
    pub pdfa: Option<u8>,
    pub encrypted: bool,
    pub pages: usize,
    pub bookmarks: bool,
    /// Whether any of the first pages has a font; `None` when that could not be read.
    pub text: Option<bool>,
}

/// The pages whose fonts are looked at for searchable text.
const TEXT_PAGES: usize = 20;

fn header_version(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(1024)];
    let at = head.windows(5).position(|w| w == b"%PDF-")?;
    let v: String = head[at + 5..].iter().take(3).map(|b| *b as char).collect();
    (v.len() == 3 && v.as_bytes()[1] == b'.' && v.as_bytes()[0].is_ascii_digit() && v.as_bytes()[2].is_ascii_digit())
        .then_some(v)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn pdfa_part(bytes: &[u8]) -> Option<u8> {
    // As an element (<pdfaid:part>1</pdfaid:part>) or an attribute (pdfaid:part="1").
    let at = find(bytes, b"pdfaid:part")?;
    bytes[at + 11..].iter().take(8).find(|b| b.is_ascii_digit()).map(|b| b - b'0')
}

/// Reads the facts of `bytes`; `Err` when it is not a PDF that can be read.
pub fn facts(bytes: &[u8]) -> Result<PdfFacts, String> {
    let header = header_version(bytes).ok_or("no %PDF- header in its first 1,024 bytes")?;
    let pdfa = pdfa_part(bytes);
    let doc = match lopdf::Document::load_mem(bytes) {
        Ok(d) => d,
        // An encrypted file this reader cannot open is still known to be encrypted.
        Err(_) if find(&bytes[bytes.len().saturating_sub(64 * 1024)..], b"/Encrypt").is_some() => {
            return Ok(PdfFacts { version: header, pdfa, encrypted: true, ..PdfFacts::default() })
        }
        Err(e) => return Err(format!("cannot be read as a PDF: {e}")),
    };
    let catalog = doc.catalog().ok();
    let mut version = header;
    if let Some(v) = catalog.and_then(|c| c.get(b"Version").ok()).and_then(|v| v.as_name().ok()) {
        let v = String::from_utf8_lossy(v).into_owned();
        if v > version {
            version = v;
        }
    }
    let bookmarks = catalog
        .and_then(|c| c.get(b"Outlines").ok())
        .and_then(|o| match o {
            lopdf::Object::Reference(id) => doc.get_dictionary(*id).ok(),
            lopdf::Object::Dictionary(d) => Some(d),
            _ => None,
        })
        .is_some_and(|o| o.get(b"First").is_ok());
    let pages = doc.get_pages();
    let mut text = Some(false);
    for id in pages.values().take(TEXT_PAGES) {
        match doc.get_page_fonts(*id) {
            Ok(f) if !f.is_empty() => {
                text = Some(true);
                break;
            }
            Ok(_) => {}
            Err(_) => text = None,
        }
    }
    Ok(PdfFacts {
        version,
        pdfa,
        encrypted: doc.was_encrypted() || doc.is_encrypted(),
        pages: pages.len(),
        bookmarks,
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::pdf;

    #[test]
    fn facts_of_written_pdfs() {
        let one = facts(&pdf("One page", &["Hello"], false)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            one,
            PdfFacts {
                version: "1.4".into(),
                pdfa: None,
                encrypted: false,
                pages: 1,
                bookmarks: false,
                text: Some(true)
            }
        );
        let many = facts(&pdf("Seven", &["1", "2", "3", "4", "5", "6", "7"], true)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((many.pages, many.bookmarks), (7, true));
        assert!(facts(b"not a pdf").is_err());
    }
}
