//! Document type definitions (XML 1.0, Fifth Edition, §2.8 and §3) and validity against them:
//! the eCTD backbone is checked against the ICH DTD (`ich-ectd-3-2.dtd`) it names, as the
//! specification requires. Pure: it reads the DTD's text and an element tree.
//!
//! What is read: comments, parameter entities (`<!ENTITY % n "…">`, expanded where they are used,
//! §4.4.8), element declarations (§3.2: `EMPTY`, `ANY`, mixed content, children content models
//! with `?`, `*`, `+`) and attribute-list declarations (§3.3: `CDATA`, `ID`, `IDREF(S)`,
//! `NMTOKEN(S)`, enumerations; `#REQUIRED`, `#IMPLIED`, `#FIXED`, defaults). What is checked
//! (the validity constraints of §3): the root is the document type's name (VC: Root Element
//! Type); every element is declared and its children match its content model (VC: Element
//! Valid); every attribute is declared (VC: Attribute Value Type), required ones are present
//! (VC: Required Attribute), fixed ones have their value (VC: Fixed Attribute Default),
//! enumerated ones one of theirs (VC: Enumeration), IDs are names and unique (VC: ID) and IDREFs
//! name one (VC: IDREF).

use std::collections::{BTreeSet, HashMap, HashSet};

use yaolian_core::xml::Element;

/// How many times a particle may occur.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Occurs {
    One,
    Optional,
    Any,
    Many,
}

#[derive(Debug, Clone, PartialEq)]
enum Particle {
    Name(String, Occurs),
    Seq(Vec<Particle>, Occurs),
    Choice(Vec<Particle>, Occurs),
}

/// What an element may contain.
#[derive(Debug, Clone, PartialEq)]
enum Content {
    Empty,
    Any,
    /// `#PCDATA` with these elements in any order.
    Mixed(Vec<String>),
    Children(Particle),
}

#[derive(Debug, Clone, PartialEq)]
enum AttrType {
    Cdata,
    Id,
    IdRef,
    IdRefs,
    Token,
    Tokens,
    Enumeration(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
enum AttrDefault {
    Required,
    Implied,
    Fixed(String),
    Value(String),
}

#[derive(Debug, Clone, PartialEq)]
struct AttrDecl {
    name: String,
    kind: AttrType,
    default: AttrDefault,
}

/// A parsed DTD.
#[derive(Debug, Clone, Default)]
pub struct Dtd {
    elements: HashMap<String, Content>,
    /// The declaration as written, for messages.
    models: HashMap<String, String>,
    attributes: HashMap<String, Vec<AttrDecl>>,
    /// Read from a schema: `xmlns` declarations are allowed everywhere.
    namespace_attributes: bool,
}

/// A content model written out for a message.
fn describe(c: &Content) -> String {
    fn p(x: &Particle) -> String {
        let (s, o) = match x {
            Particle::Name(n, o) => (n.clone(), o),
            Particle::Seq(v, o) => (format!("({})", v.iter().map(p).collect::<Vec<_>>().join(", ")), o),
            Particle::Choice(v, o) => (format!("({})", v.iter().map(p).collect::<Vec<_>>().join(" | ")), o),
        };
        let suffix = match o {
            Occurs::One => "",
            Occurs::Optional => "?",
            Occurs::Any => "*",
            Occurs::Many => "+",
        };
        format!("{s}{suffix}")
    }
    match c {
        Content::Empty => "EMPTY".into(),
        Content::Any => "ANY".into(),
        Content::Mixed(v) if v.is_empty() => "(#PCDATA)".into(),
        Content::Mixed(v) => format!("(#PCDATA | {})*", v.join(" | ")),
        Content::Children(x) => p(x),
    }
}

/// One validity error: where and what.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    pub line: usize,
    pub element: String,
    pub message: String,
}

/// Expanding entities stops here (a DTD whose entities refer to each other would never end).
const MAX_EXPANSION: usize = 4 * 1024 * 1024;

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')
}

/// A DTD's declarations after comments are removed and parameter entities expanded.
fn declarations(text: &str) -> Result<Vec<String>, String> {
    let mut entities: HashMap<String, String> = HashMap::new();
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i..].starts_with(&['<', '!', '-', '-']) {
            let rest: String = chars[i + 4..].iter().collect();
            let end = rest.find("-->").ok_or("a comment is not closed")?;
            i += 4 + rest[..end].chars().count() + 3;
            continue;
        }
        if chars[i..].starts_with(&['<', '!']) {
            // To the '>' outside quotes.
            let mut j = i + 2;
            let mut quote = None;
            while j < chars.len() {
                match (quote, chars[j]) {
                    (None, '"' | '\'') => quote = Some(chars[j]),
                    (Some(q), c) if c == q => quote = None,
                    (None, '>') => break,
                    _ => {}
                }
                j += 1;
            }
            if j >= chars.len() {
                return Err("a declaration is not closed".into());
            }
            let decl: String = chars[i + 2..j].iter().collect();
            i = j + 1;
            let words: Vec<&str> = decl.split_whitespace().collect();
            if words.first() == Some(&"ENTITY") && words.get(1) == Some(&"%") {
                let name = words.get(2).ok_or("a parameter entity without a name")?.to_string();
                let rest = decl.split_once(name.as_str()).map(|(_, r)| r).unwrap_or("").trim();
                if let Some(q) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') {
                    let value = rest[1..].split(q).next().unwrap_or("");
                    let value = expand(value, &entities)?;
                    // The first declaration binds (§4.2).
                    entities.entry(name).or_insert(value);
                }
                continue;
            }
            out.push(expand(&decl, &entities)?);
            continue;
        }
        i += 1;
    }
    Ok(out)
}

/// Replaces `%name;` with the entity's text (padded with a space, §4.4.8).
fn expand(text: &str, entities: &HashMap<String, String>) -> Result<String, String> {
    let mut s = text.to_string();
    for _ in 0..32 {
        if !s.contains('%') {
            return Ok(s);
        }
        let mut out = String::with_capacity(s.len());
        let mut rest = s.as_str();
        let mut changed = false;
        while let Some(p) = rest.find('%') {
            out.push_str(&rest[..p]);
            let after = &rest[p + 1..];
            let name: String = after.chars().take_while(|c| is_name_char(*c)).collect();
            if !name.is_empty() && after[name.len()..].starts_with(';') {
                let value = entities.get(&name).ok_or_else(|| format!("parameter entity %{name}; is not declared"))?;
                out.push(' ');
                out.push_str(value);
                out.push(' ');
                rest = &after[name.len() + 1..];
                changed = true;
            } else {
                out.push('%');
                rest = after;
            }
        }
        out.push_str(rest);
        if out.len() > MAX_EXPANSION {
            return Err("parameter entities expand beyond the limit".into());
        }
        s = out;
        if !changed {
            return Ok(s);
        }
    }
    Err("parameter entities nest too deeply".into())
}

/// Tokens of a content model.
fn model_tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        if is_name_char(c) || c == '#' {
            cur.push(c);
            continue;
        }
        if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if !c.is_whitespace() {
            out.push(c.to_string());
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn occurs(tokens: &[String], at: &mut usize) -> Occurs {
    let o = match tokens.get(*at).map(String::as_str) {
        Some("?") => Occurs::Optional,
        Some("*") => Occurs::Any,
        Some("+") => Occurs::Many,
        _ => return Occurs::One,
    };
    *at += 1;
    o
}

fn particle(tokens: &[String], at: &mut usize) -> Result<Particle, String> {
    let t = tokens.get(*at).ok_or("a content model ends early")?.clone();
    *at += 1;
    if t != "(" {
        if !t.chars().all(is_name_char) {
            return Err(format!("unexpected {t} in a content model"));
        }
        let o = occurs(tokens, at);
        return Ok(Particle::Name(t, o));
    }
    let mut items = vec![particle(tokens, at)?];
    let mut sep: Option<String> = None;
    loop {
        let t = tokens.get(*at).ok_or("a group is not closed")?.clone();
        *at += 1;
        match t.as_str() {
            ")" => break,
            "," | "|" => {
                if sep.as_deref().is_some_and(|s| s != t) {
                    return Err("a group mixes ',' and '|'".into());
                }
                sep = Some(t);
                items.push(particle(tokens, at)?);
            }
            other => return Err(format!("unexpected {other} in a content model")),
        }
    }
    let o = occurs(tokens, at);
    Ok(if sep.as_deref() == Some("|") { Particle::Choice(items, o) } else { Particle::Seq(items, o) })
}

fn content(spec: &str) -> Result<Content, String> {
    let spec = spec.trim();
    match spec {
        "EMPTY" => return Ok(Content::Empty),
        "ANY" => return Ok(Content::Any),
        _ => {}
    }
    let tokens = model_tokens(spec);
    if tokens.get(1).map(String::as_str) == Some("#PCDATA") {
        let names = tokens.iter().filter(|t| t.chars().all(is_name_char)).cloned().collect();
        return Ok(Content::Mixed(names));
    }
    let mut at = 0;
    let p = particle(&tokens, &mut at)?;
    if at != tokens.len() {
        return Err(format!("text after the content model: {}", tokens[at..].join(" ")));
    }
    Ok(Content::Children(p))
}

/// Splits an ATTLIST body into words, keeping quoted values and parenthesized groups whole.
fn attlist_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote = None;
    let mut depth = 0;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                cur.push(c);
                quote = None;
            }
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                cur.push(c);
                quote = Some(c);
            }
            (None, '(') => {
                depth += 1;
                cur.push(c);
            }
            (None, ')') => {
                depth -= 1;
                cur.push(c);
            }
            (None, c) if c.is_whitespace() && depth == 0 => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            (None, c) if c.is_whitespace() => {}
            (None, c) => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn unquote(s: &str) -> String {
    s.trim_matches(|c| c == '"' || c == '\'').to_string()
}

impl Dtd {
    /// Reads a DTD; an error names the declaration it could not read.
    pub fn parse(text: &str) -> Result<Dtd, String> {
        let mut dtd = Dtd::default();
        for decl in declarations(text)? {
            let decl = decl.trim();
            if let Some(rest) = decl.strip_prefix("ELEMENT") {
                let rest = rest.trim();
                let name: String = rest.chars().take_while(|c| is_name_char(*c)).collect();
                let spec = rest[name.len()..].trim();
                let c = content(spec).map_err(|e| format!("<!ELEMENT {name}>: {e}"))?;
                dtd.models.insert(name.clone(), spec.split_whitespace().collect::<Vec<_>>().join(" "));
                dtd.elements.insert(name, c);
            } else if let Some(rest) = decl.strip_prefix("ATTLIST") {
                let words = attlist_words(rest);
                let Some((element, words)) = words.split_first() else { continue };
                let list = dtd.attributes.entry(element.clone()).or_default();
                let mut i = 0;
                while i < words.len() {
                    let name = words[i].clone();
                    let kind_word =
                        words.get(i + 1).ok_or_else(|| format!("<!ATTLIST {element}>: {name} has no type"))?;
                    let kind = match kind_word.as_str() {
                        "CDATA" | "ENTITY" | "ENTITIES" => AttrType::Cdata,
                        "ID" => AttrType::Id,
                        "IDREF" => AttrType::IdRef,
                        "IDREFS" => AttrType::IdRefs,
                        "NMTOKEN" => AttrType::Token,
                        "NMTOKENS" => AttrType::Tokens,
                        "NOTATION" => {
                            i += 1;
                            AttrType::Cdata
                        }
                        g if g.starts_with('(') => AttrType::Enumeration(
                            g.trim_matches(|c| c == '(' || c == ')').split('|').map(|v| v.trim().to_string()).collect(),
                        ),
                        other => return Err(format!("<!ATTLIST {element}>: unknown type {other}")),
                    };
                    let d = words.get(i + 2).ok_or_else(|| format!("<!ATTLIST {element}>: {name} has no default"))?;
                    let (default, step) = match d.as_str() {
                        "#REQUIRED" => (AttrDefault::Required, 3),
                        "#IMPLIED" => (AttrDefault::Implied, 3),
                        "#FIXED" => (
                            AttrDefault::Fixed(unquote(
                                words
                                    .get(i + 3)
                                    .ok_or_else(|| format!("<!ATTLIST {element}>: {name} #FIXED has no value"))?,
                            )),
                            4,
                        ),
                        v => (AttrDefault::Value(unquote(v)), 3),
                    };
                    // The first declaration of an attribute binds (§3.3).
                    if !list.iter().any(|a| a.name == name) {
                        list.push(AttrDecl { name, kind, default });
                    }
                    i += step;
                }
            }
        }
        if dtd.elements.is_empty() {
            return Err("the DTD declares no element".into());
        }
        Ok(dtd)
    }

    /// Reads the subset of W3C XML Schema 1.0 that regional eCTD schemas use (CDE's
    /// `cn-regional-1-0.xsd`): global and local `xs:element`s with a named or inline
    /// `xs:complexType`, `xs:sequence` and `xs:choice` with `minOccurs` / `maxOccurs`,
    /// `xs:simpleContent` (text), `xs:attribute` by name or `ref` with `use="required"` and
    /// enumerated `xs:simpleType`s. An element name is declared once (the first declaration binds;
    /// the schemas this reads give a repeated local name the same type). Namespace declarations
    /// (`xmlns`, `xmlns:*`) are allowed on every element, as XML Schema does not count them as
    /// attributes.
    pub fn from_xsd(text: &str) -> Result<Dtd, String> {
        let doc = yaolian_core::xml::parse(text).map_err(|e| format!("the schema is not well-formed: {e}"))?;
        fn kids<'a>(e: &'a Element, name: &'static str) -> Vec<&'a Element> {
            e.children.iter().filter(|c| c.local_name() == name).collect()
        }
        let named_types: HashMap<String, &Element> = kids(&doc.root, "complexType")
            .into_iter()
            .filter_map(|t| t.attr("name").map(|n| (n.to_string(), t)))
            .collect();
        let simple_types: HashMap<String, Vec<String>> = kids(&doc.root, "simpleType")
            .into_iter()
            .filter_map(|t| {
                let values: Vec<String> = t
                    .walk()
                    .into_iter()
                    .filter(|e| e.local_name() == "enumeration")
                    .filter_map(|e| e.attr("value").map(str::to_string))
                    .collect();
                t.attr("name").map(|n| (n.to_string(), values))
            })
            .collect();
        let mut dtd = Dtd::default();
        fn occurs_of(e: &Element) -> Occurs {
            let min = e.attr("minOccurs").unwrap_or("1");
            let max = e.attr("maxOccurs").unwrap_or("1");
            match (min == "0", max == "1") {
                (false, true) => Occurs::One,
                (true, true) => Occurs::Optional,
                (true, false) => Occurs::Any,
                (false, false) => Occurs::Many,
            }
        }
        struct Ctx<'a> {
            named: &'a HashMap<String, &'a Element>,
            simple: &'a HashMap<String, Vec<String>>,
        }
        // The content and attributes of a complex type, declaring the elements it holds.
        fn complex(
            ctx: &Ctx<'_>,
            t: &Element,
            dtd: &mut Dtd,
            depth: usize,
        ) -> Result<(Content, Vec<AttrDecl>), String> {
            if depth > 32 {
                return Err("the schema's types nest too deeply".into());
            }
            let mut attrs = Vec::new();
            let mut content = Content::Empty;
            for c in &t.children {
                match c.local_name() {
                    "sequence" | "choice" => content = Content::Children(group(ctx, c, dtd, depth)?),
                    "simpleContent" => {
                        content = Content::Mixed(Vec::new());
                        for ext in &c.children {
                            for a in &ext.children {
                                if a.local_name() == "attribute" {
                                    attrs.push(attribute(ctx, a));
                                }
                            }
                        }
                    }
                    "attribute" => attrs.push(attribute(ctx, c)),
                    _ => {}
                }
            }
            Ok((content, attrs))
        }
        fn attribute(ctx: &Ctx<'_>, a: &Element) -> AttrDecl {
            let name = a.attr("name").or(a.attr("ref")).unwrap_or("").to_string();
            let kind = match a.attr("type") {
                Some("xs:ID") => AttrType::Id,
                Some(t) if ctx.simple.contains_key(t) => AttrType::Enumeration(ctx.simple[t].clone()),
                _ => {
                    let values: Vec<String> = a
                        .walk()
                        .into_iter()
                        .filter(|e| e.local_name() == "enumeration")
                        .filter_map(|e| e.attr("value").map(str::to_string))
                        .collect();
                    if values.is_empty() {
                        AttrType::Cdata
                    } else {
                        AttrType::Enumeration(values)
                    }
                }
            };
            let default = if a.attr("use") == Some("required") { AttrDefault::Required } else { AttrDefault::Implied };
            AttrDecl { name, kind, default }
        }
        fn group(ctx: &Ctx<'_>, g: &Element, dtd: &mut Dtd, depth: usize) -> Result<Particle, String> {
            let mut items = Vec::new();
            for c in &g.children {
                match c.local_name() {
                    "element" => {
                        let name = c.attr("name").or(c.attr("ref")).ok_or("an element without a name")?.to_string();
                        declare(ctx, c, &name, dtd, depth)?;
                        items.push(Particle::Name(name, occurs_of(c)));
                    }
                    "sequence" | "choice" => items.push(group(ctx, c, dtd, depth + 1)?),
                    _ => {}
                }
            }
            let o = occurs_of(g);
            Ok(if g.local_name() == "choice" { Particle::Choice(items, o) } else { Particle::Seq(items, o) })
        }
        fn declare(ctx: &Ctx<'_>, e: &Element, name: &str, dtd: &mut Dtd, depth: usize) -> Result<(), String> {
            if dtd.elements.contains_key(name) {
                return Ok(());
            }
            // Declared before its content, so that a recursive type ends.
            dtd.elements.insert(name.to_string(), Content::Any);
            let (content, attrs) = if let Some(inline) = e.children.iter().find(|c| c.local_name() == "complexType") {
                complex(ctx, inline, dtd, depth + 1)?
            } else {
                match e.attr("type") {
                    Some(t) if ctx.named.contains_key(t) => complex(ctx, ctx.named[t], dtd, depth + 1)?,
                    _ => (Content::Mixed(Vec::new()), Vec::new()),
                }
            };
            dtd.models.insert(name.to_string(), describe(&content));
            dtd.elements.insert(name.to_string(), content);
            dtd.attributes.insert(name.to_string(), attrs);
            Ok(())
        }
        let ctx = Ctx { named: &named_types, simple: &simple_types };
        for e in kids(&doc.root, "element") {
            let name = e.attr("name").ok_or("a global element without a name")?.to_string();
            declare(&ctx, e, &name, &mut dtd, 0)?;
        }
        if dtd.elements.is_empty() {
            return Err("the schema declares no element".into());
        }
        dtd.namespace_attributes = true;
        Ok(dtd)
    }

    /// Whether `name` is declared.
    pub fn declares(&self, name: &str) -> bool {
        self.elements.contains_key(name)
    }

    /// The values an enumerated attribute allows (`operation` of `leaf`: new, append, …).
    pub fn enumeration(&self, element: &str, attribute: &str) -> Option<Vec<String>> {
        self.attributes.get(element)?.iter().find(|a| a.name == attribute).and_then(|a| match &a.kind {
            AttrType::Enumeration(v) => Some(v.clone()),
            _ => None,
        })
    }

    /// The element names a content model names, in the order written (the CTD tree's order).
    pub fn children_of(&self, element: &str) -> Vec<String> {
        fn names(p: &Particle, out: &mut Vec<String>) {
            match p {
                Particle::Name(n, _) => out.push(n.clone()),
                Particle::Seq(items, _) | Particle::Choice(items, _) => items.iter().for_each(|i| names(i, out)),
            }
        }
        let mut out = Vec::new();
        match self.elements.get(element) {
            Some(Content::Children(p)) => names(p, &mut out),
            Some(Content::Mixed(v)) => out.extend(v.iter().cloned()),
            _ => {}
        }
        out
    }

    /// Checks `root` (the document element, with `doctype` the name the DOCTYPE gives, if any)
    /// against the DTD. At most `limit` errors are returned.
    pub fn validate(&self, root: &Element, doctype: Option<&str>, limit: usize) -> Vec<Invalid> {
        let mut out = Vec::new();
        if let Some(name) = doctype {
            if name != root.name {
                out.push(Invalid {
                    line: root.line,
                    element: root.name.clone(),
                    message: format!("the root element is {} but the document type is {name}", root.name),
                });
            }
        }
        let mut ids: HashSet<&str> = HashSet::new();
        let mut refs: Vec<(&Element, &str)> = Vec::new();
        for e in root.walk() {
            if out.len() >= limit {
                break;
            }
            macro_rules! push {
                ($m:expr) => {
                    out.push(Invalid { line: e.line, element: e.name.clone(), message: $m })
                };
            }
            let Some(content) = self.elements.get(&e.name) else {
                push!(format!("element {} is not declared", e.name));
                continue;
            };
            let has_text = !e.text.trim().is_empty();
            match content {
                Content::Empty if !e.children.is_empty() || !e.text.is_empty() => {
                    push!(format!("{} must be empty", e.name));
                }
                Content::Mixed(allowed) => {
                    for c in &e.children {
                        if !allowed.contains(&c.name) {
                            push!(format!("{} is not allowed in {}", c.name, e.name));
                        }
                    }
                }
                Content::Children(model) => {
                    if has_text {
                        push!(format!("{} may not contain text", e.name));
                    }
                    let names: Vec<&str> = e.children.iter().map(|c| c.name.as_str()).collect();
                    let ends = ends(model, &names, &BTreeSet::from([0]));
                    if !ends.contains(&names.len()) {
                        let reached = ends.iter().max().copied().unwrap_or(0);
                        let at = names.get(reached).map(|n| format!(" at <{n}>")).unwrap_or_default();
                        push!(format!(
                            "the content of {} does not follow the DTD{at}: expected {}, got ({})",
                            e.name,
                            self.models.get(&e.name).map(String::as_str).unwrap_or("?"),
                            names.join(" ")
                        ));
                    }
                }
                _ => {}
            }
            let decls = self.attributes.get(&e.name).map(Vec::as_slice).unwrap_or(&[]);
            for (k, v) in &e.attrs {
                if out.len() >= limit {
                    break;
                }
                if self.namespace_attributes && (k == "xmlns" || k.starts_with("xmlns:") || k.starts_with("xsi:")) {
                    continue;
                }
                let Some(d) = decls.iter().find(|d| d.name == *k) else {
                    push!(format!("attribute {k} is not declared for {}", e.name));
                    continue;
                };
                match &d.kind {
                    AttrType::Enumeration(allowed) if !allowed.iter().any(|a| a == v) => {
                        push!(format!("{k}=\"{v}\" is not one of {}", allowed.join(", ")))
                    }
                    AttrType::Id => {
                        if v.is_empty()
                            || !v.chars().all(is_name_char)
                            || v.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.')
                        {
                            push!(format!("{k}=\"{v}\" is not an XML name"));
                        } else if !ids.insert(v.as_str()) {
                            push!(format!("ID {v} is used twice"));
                        }
                    }
                    AttrType::IdRef => refs.push((e, v.as_str())),
                    AttrType::IdRefs => v.split_whitespace().for_each(|r| refs.push((e, r))),
                    AttrType::Token if v.is_empty() || !v.chars().all(is_name_char) => {
                        push!(format!("{k}=\"{v}\" is not a name token"))
                    }
                    _ => {}
                }
                if let AttrDefault::Fixed(fixed) = &d.default {
                    if fixed != v {
                        push!(format!("{k} must be \"{fixed}\", not \"{v}\""));
                    }
                }
            }
            for d in decls {
                if d.default == AttrDefault::Required && e.attr(&d.name).is_none() {
                    push!(format!("{} lacks its required attribute {}", e.name, d.name));
                }
            }
        }
        for (e, r) in refs {
            if out.len() < limit && !ids.contains(r) {
                out.push(Invalid { line: e.line, element: e.name.clone(), message: format!("IDREF {r} names no ID") });
            }
        }
        out.truncate(limit);
        out
    }
}

/// The positions one occurrence of `p` can end at, from each of `starts`.
fn once(p: &Particle, names: &[&str], starts: &BTreeSet<usize>) -> BTreeSet<usize> {
    match p {
        Particle::Name(n, _) => starts.iter().filter(|i| names.get(**i) == Some(&n.as_str())).map(|i| i + 1).collect(),
        Particle::Seq(items, _) => items.iter().fold(starts.clone(), |acc, it| ends(it, names, &acc)),
        Particle::Choice(items, _) => items.iter().flat_map(|it| ends(it, names, starts)).collect(),
    }
}

/// Every position the particle, with its occurrence, can end at when it starts at one of
/// `starts`.
fn ends(p: &Particle, names: &[&str], starts: &BTreeSet<usize>) -> BTreeSet<usize> {
    let occ = match p {
        Particle::Name(_, o) | Particle::Seq(_, o) | Particle::Choice(_, o) => *o,
    };
    match occ {
        Occurs::One => once(p, names, starts),
        Occurs::Optional => {
            let mut r = once(p, names, starts);
            r.extend(starts.iter().copied());
            r
        }
        Occurs::Any | Occurs::Many => {
            let first = once(p, names, starts);
            let mut result: BTreeSet<usize> = first.clone();
            if occ == Occurs::Any {
                result.extend(starts.iter().copied());
            }
            let mut frontier = first;
            while !frontier.is_empty() {
                let next: BTreeSet<usize> = once(p, names, &frontier).difference(&result).copied().collect();
                result.extend(next.iter().copied());
                frontier = next;
            }
            result
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yaolian_core::xml::parse;

    const DTD: &str = r#"
        <!-- a test DTD -->
        <!ENTITY % att "ID ID #IMPLIED">
        <!ENTITY % kids "(b, c?, d*)">
        <!ELEMENT a %kids;>
        <!ATTLIST a %att; op (new | old) #REQUIRED fixed CDATA #FIXED "x">
        <!ELEMENT b (#PCDATA)>
        <!ELEMENT c EMPTY>
        <!ATTLIST c to IDREF #IMPLIED>
        <!ELEMENT d ((b | c)+, b?)>
    "#;

    fn check(xml: &str) -> Vec<String> {
        let dtd = Dtd::parse(DTD).unwrap_or_else(|e| panic!("{e}"));
        let doc = parse(xml).unwrap_or_else(|e| panic!("{e}"));
        dtd.validate(&doc.root, Some("a"), 50).into_iter().map(|i| i.message).collect()
    }

    #[test]
    fn content_models_attributes_and_ids() {
        assert_eq!(
            check(r#"<a op="new" ID="x1"><b>t</b><c to="x1"/><d><c/><b/></d><d><b/></d></a>"#),
            Vec::<String>::new()
        );
        let bad = check(r#"<a op="odd" fixed="y"><c/><b/></a>"#);
        assert!(bad.iter().any(|m| m.contains("not one of new, old")), "{bad:?}");
        assert!(bad.iter().any(|m| m.contains("must be \"x\"")), "{bad:?}");
        assert!(bad.iter().any(|m| m.contains("does not follow the DTD at <c>")), "{bad:?}");
        let bad = check(r#"<a><b/><c to="nope">t</c><e/></a>"#);
        assert!(bad.iter().any(|m| m.contains("lacks its required attribute op")), "{bad:?}");
        assert!(bad.iter().any(|m| m.contains("c must be empty")), "{bad:?}");
        assert!(bad.iter().any(|m| m.contains("element e is not declared")), "{bad:?}");
        assert!(bad.iter().any(|m| m.contains("IDREF nope")), "{bad:?}");
        let bad = check(r#"<a op="new" ID="1x"><b/><d/></a>"#);
        assert!(bad.iter().any(|m| m.contains("not an XML name")), "{bad:?}");
        assert!(bad.iter().any(|m| m.contains("content of d")), "{bad:?}");
    }

    #[test]
    fn undeclared_entities_and_loops_are_refused() {
        assert!(Dtd::parse("<!ELEMENT a %nope;>").is_err());
        assert!(Dtd::parse("<!ENTITY % a \"%a;\"><!ELEMENT x %a;>").is_err());
        assert!(Dtd::parse("<!-- only a comment -->").is_err());
    }
}
