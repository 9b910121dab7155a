//! A small element tree read with `quick-xml`: qualified names (`ectd:ectd`, `xlink:href`) as a
//! DTD declares them, the line each element starts on, limits on elements and depth checked
//! before anything grows. The one XML reader of the domain crates (instrument AnIML files, eCTD
//! backbones and schemas). Pure: it reads a string.

use quick_xml::events::Event;

/// How much a document may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub elements: usize,
    pub depth: usize,
}

/// 500,000 elements, 64 deep: far above an eCTD backbone of 5,000 leaves (about 6,000
/// elements, 12 deep) or an instrument's AnIML file.
pub const LIMITS: Limits = Limits { elements: 500_000, depth: 64 };

/// An element: qualified name, attributes in document order, text, children, line.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Element>,
    pub line: usize,
}

/// A parsed document: the root and the `<!DOCTYPE …>` text, if any.
#[derive(Debug, Clone)]
pub struct Document {
    pub root: Element,
    pub doctype: Option<String>,
}

/// Why a document could not be read: the line, the rule (`xml`: not well-formed, `too_large`,
/// `too_deep`) and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct XmlError {
    pub line: usize,
    pub rule: &'static str,
    pub message: String,
}

impl std::fmt::Display for XmlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The name after its prefix (`ectd:ectd` → `ectd`).
    pub fn local_name(&self) -> &str {
        self.name.rsplit(':').next().unwrap_or(&self.name)
    }

    /// Every element below this one, depth first, with this one first.
    pub fn walk(&self) -> Vec<&Element> {
        let mut out = vec![self];
        let mut i = 0;
        while i < out.len() {
            let e = out[i];
            out.extend(e.children.iter());
            i += 1;
        }
        out
    }
}

/// Counts lines as the reader moves forward, so a large document costs one pass.
struct Lines<'a> {
    text: &'a [u8],
    at: usize,
    line: usize,
}

impl Lines<'_> {
    fn to(&mut self, pos: usize) -> usize {
        let pos = pos.min(self.text.len());
        if pos > self.at {
            self.line += self.text[self.at..pos].iter().filter(|b| **b == b'\n').count();
            self.at = pos;
        }
        self.line
    }
}

/// Attributes one element may carry.
pub const MAX_ATTRIBUTES: usize = 256;

fn fail(line: usize, message: impl Into<String>) -> XmlError {
    XmlError { line, rule: "xml", message: message.into() }
}

/// Reads `text` into an element tree within [`LIMITS`].
pub fn parse(text: &str) -> Result<Document, XmlError> {
    parse_with(text, LIMITS)
}

/// Reads `text` into an element tree within `limits`.
pub fn parse_with(text: &str, limits: Limits) -> Result<Document, XmlError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut lines = Lines { text: text.as_bytes(), at: 0, line: 1 };
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut doctype = None;
    let mut count = 0usize;
    loop {
        let pos = reader.buffer_position() as usize;
        let event = reader.read_event();
        // The element starts after the whitespace the reader skipped.
        let start = pos + text.as_bytes()[pos.min(text.len())..].iter().take_while(|b| b.is_ascii_whitespace()).count();
        let line = lines.to(start);
        let event = event.map_err(|e| fail(line, format!("not well-formed XML: {e}")))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if root.is_some() {
                    return Err(fail(line, "content after the root element"));
                }
                count += 1;
                if count > limits.elements {
                    return Err(XmlError {
                        rule: "too_large",
                        ..fail(line, format!("more than {} elements", limits.elements))
                    });
                }
                if stack.len() >= limits.depth {
                    return Err(XmlError {
                        rule: "too_deep",
                        ..fail(line, format!("nested deeper than {}", limits.depth))
                    });
                }
                let mut attrs = Vec::new();
                // quick-xml refuses a repeated name, comparing each attribute with those before
                // it, so the count is bounded before that work grows.
                for a in e.attributes() {
                    if attrs.len() >= MAX_ATTRIBUTES {
                        return Err(XmlError {
                            rule: "too_large",
                            ..fail(line, format!("more than {MAX_ATTRIBUTES} attributes on one element"))
                        });
                    }
                    let a = a.map_err(|err| fail(line, format!("bad attribute: {err}")))?;
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|err| fail(line, format!("bad attribute: {err}")))?;
                    let key: &str = a.key.as_ref();
                    attrs.push((key.to_string(), value.to_string()));
                }
                let qname = e.name();
                let name: &str = qname.as_ref();
                let name = name.to_string();
                let node = Element { name, attrs, text: String::new(), children: Vec::new(), line };
                if matches!(event, Event::Empty(_)) {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(node),
                        None => root = Some(node),
                    }
                } else {
                    stack.push(node);
                }
            }
            Event::End(ref e) => {
                let Some(node) = stack.pop() else { return Err(fail(line, "an end tag without its start")) };
                let qend = e.name();
                let end: &str = qend.as_ref();
                if end != node.name {
                    return Err(fail(line, format!("</{end}> closes <{}>", node.name)));
                }
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::Text(t) => {
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&t);
                } else if !t.chars().all(|c| c.is_whitespace()) {
                    return Err(fail(line, "text outside the root element"));
                }
            }
            Event::CData(t) => {
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&t);
                }
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    _ => match &*r {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "quot" => '"',
                        "apos" => '\'',
                        other => return Err(fail(line, format!("unknown entity &{other};"))),
                    },
                };
                if let Some(n) = stack.last_mut() {
                    n.text.push(c);
                }
            }
            Event::DocType(d) => doctype = Some(d.to_string()),
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(fail(lines.to(text.len()), "the document ends inside an element"));
    }
    let root = root.ok_or_else(|| fail(1, "no root element"))?;
    Ok(Document { root, doctype })
}

/// Escapes text for an attribute or element content.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names_lines_and_refusals() {
        let doc = parse(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE a SYSTEM \"a.dtd\">\n<a:b x:y=\"1 &amp; 2\">\n  <c>t&lt;</c>\n</a:b>",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((doc.root.name.as_str(), doc.root.line, doc.root.attr("x:y")), ("a:b", 3, Some("1 & 2")));
        assert_eq!((doc.root.children[0].line, doc.root.children[0].text.as_str()), (4, "t<"));
        assert!(doc.doctype.is_some_and(|d| d.contains("a.dtd")));
        assert_eq!(parse("<a>\n<b></a>").err().map(|e| e.line), Some(2));
        assert!(parse("<a x=\"1\" x=\"2\"/>").is_err());
        assert!(parse("<a/><b/>").is_err());
        let tight = Limits { elements: 2, depth: 2 };
        assert_eq!(parse_with("<a><b/><c/></a>", tight).err().map(|e| e.rule), Some("too_large"));
        let shallow = Limits { elements: 10, depth: 2 };
        assert_eq!(parse_with("<a><b><c/></b></a>", shallow).err().map(|e| e.rule), Some("too_deep"));
        let many = |n: usize| format!("<a {}/>", (0..n).map(|i| format!("a{i}=\"\"")).collect::<Vec<_>>().join(" "));
        assert!(parse(&many(MAX_ATTRIBUTES)).is_ok());
        assert_eq!(parse(&many(MAX_ATTRIBUTES + 1)).err().map(|e| e.rule), Some("too_large"));
    }
}
