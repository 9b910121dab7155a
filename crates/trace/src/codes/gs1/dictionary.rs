//! The GS1 Barcode Syntax Dictionary (release 2026-01-27, `crates/trace/data/`, Apache-2.0), read
//! once into a table: every Application Identifier with its flags, format components, linters,
//! `req=`/`ex=` association rules and Digital Link primary-key qualifiers.
//!
//! The file's own header (lines 31–86) defines the syntax: `AIs [Flags] Specification
//! [Attributes...] [# Title]`. A range such as `3100-3105` stands for every AI in it.
//!
//! Lookups are O(1): the AI's length is decided by its first two digits (the dictionary keeps that
//! invariant; [`Dictionary::ai_length`]), and the AI itself indexes a dense array.

use std::sync::LazyLock;

use super::lint::Linter;

/// The vendored dictionary file, unmodified.
pub const TEXT: &str = include_str!("../../../data/gs1-syntax-dictionary.txt");

/// Character set of a component (dictionary header, "Type").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cset {
    /// `N`: digits.
    Numeric,
    /// `X`: GS1 AI encodable character set 82.
    Cset82,
    /// `Y`: GS1 AI encodable character set 39.
    Cset39,
    /// `Z`: base64url (character set 64), with `=` padding.
    Cset64,
}

/// One component of an AI's data field, e.g. `N13,csum,gcppos1` or `[X..16]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    pub cset: Cset,
    pub min: usize,
    pub max: usize,
    pub optional: bool,
    pub linters: Vec<Linter>,
}

/// An AI pattern in `req=`/`ex=`: digits, `n` standing for any digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern(pub String);

impl Pattern {
    /// Whether `ai` matches: same length, each `n` any digit, other characters equal.
    pub fn matches(&self, ai: &str) -> bool {
        self.0.len() == ai.len()
            && self.0.bytes().zip(ai.bytes()).all(|(p, a)| p == a || (p == b'n' && a.is_ascii_digit()))
    }
}

/// One `req=` attribute: alternatives (`,`), each a group of AIs that must all be present (`+`).
pub type Requirement = Vec<Vec<Pattern>>;

/// One Application Identifier of the dictionary.
#[derive(Debug, Clone)]
pub struct Entry {
    pub ai: String,
    /// The title after `#` (empty when the line has none, e.g. 8110).
    pub title: String,
    /// `*`: predefined length, no FNC1 separator after it.
    pub predefined: bool,
    /// `?`: permitted as a GS1 Digital Link data attribute (query string).
    pub dl_attribute: bool,
    /// The specification as written, e.g. `N6 [N6]` (for messages).
    pub spec: String,
    pub components: Vec<Component>,
    /// Each `req=` attribute applies (all must be satisfied).
    pub req: Vec<Requirement>,
    pub req_text: Vec<String>,
    /// `ex=`: none of these may appear with this AI (the AI itself excepted).
    pub ex: Vec<Pattern>,
    pub ex_text: String,
    /// `dlpkey`: a Digital Link primary key, with its alternative ordered qualifier sequences
    /// (one empty sequence for a key that takes no qualifiers).
    pub dlpkey: Option<Vec<Vec<String>>>,
}

impl Entry {
    /// The shortest value: the mandatory components at their minimum.
    pub fn min_len(&self) -> usize {
        self.components.iter().filter(|c| !c.optional).map(|c| c.min).sum()
    }

    /// The longest value.
    pub fn max_len(&self) -> usize {
        self.components.iter().map(|c| c.max).sum()
    }

    /// Whether every value has the same length.
    pub fn fixed(&self) -> bool {
        self.min_len() == self.max_len()
    }

    /// `(01) GTIN`, or `(8110)` for an AI without a title.
    pub fn label(&self) -> String {
        if self.title.is_empty() {
            format!("({})", self.ai)
        } else {
            format!("({}) {}", self.ai, self.title)
        }
    }
}

/// The dictionary read into a table.
#[derive(Debug)]
pub struct Dictionary {
    entries: Vec<Entry>,
    /// Index into `entries` by [`slot`] of the AI; `u16::MAX` for none.
    index: Vec<u16>,
    /// The AI length for each two-digit prefix, 0 when no AI starts with it.
    prefix_len: [u8; 100],
    /// Linter names the file uses that this code does not know (expected empty; a test checks).
    pub unknown_linters: Vec<String>,
    /// Lines that could not be read (expected empty; a test checks).
    pub bad_lines: Vec<String>,
    /// The `# Release:` line's value.
    pub release: String,
}

/// The dense index of an AI of 2 to 4 digits: 2-digit AIs at 0..100, 3-digit at 100..1100,
/// 4-digit at 1100..11100.
fn slot(ai: &str) -> Option<usize> {
    let b = ai.as_bytes();
    if !(2..=4).contains(&b.len()) || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = b.iter().fold(0usize, |acc, d| acc * 10 + usize::from(d - b'0'));
    Some(match b.len() {
        2 => n,
        3 => 100 + n,
        _ => 1100 + n,
    })
}

const SLOTS: usize = 11_100;

/// The table, read on first use.
pub static DICTIONARY: LazyLock<Dictionary> = LazyLock::new(|| Dictionary::parse(TEXT));

impl Dictionary {
    /// The entry of `ai` (2 to 4 digits).
    pub fn get(&self, ai: &str) -> Option<&Entry> {
        let i = *self.index.get(slot(ai)?)?;
        self.entries.get(usize::from(i))
    }

    /// The length of the AIs that start with the two digits `prefix`, if any AI does.
    pub fn ai_length(&self, prefix: &[u8]) -> Option<usize> {
        match prefix {
            [a, b, ..] if a.is_ascii_digit() && b.is_ascii_digit() => {
                let n = usize::from(a - b'0') * 10 + usize::from(b - b'0');
                Some(usize::from(self.prefix_len[n])).filter(|l| *l > 0)
            }
            _ => None,
        }
    }

    /// Every AI, in the file's (lexical) order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Reads the dictionary text. Lines it cannot read are kept in `bad_lines` (a test requires
    /// none), never a panic.
    pub fn parse(text: &str) -> Dictionary {
        let mut d = Dictionary {
            entries: Vec::new(),
            index: vec![u16::MAX; SLOTS],
            prefix_len: [0; 100],
            unknown_linters: Vec::new(),
            bad_lines: Vec::new(),
            release: String::new(),
        };
        for line in text.lines() {
            let trimmed = line.trim();
            if let Some(rest) = trimmed.strip_prefix("# Release:") {
                d.release = rest.trim().to_string();
            }
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if d.read_line(trimmed).is_none() {
                d.bad_lines.push(line.to_string());
            }
        }
        d
    }

    fn read_line(&mut self, line: &str) -> Option<()> {
        let (body, title) = match line.split_once('#') {
            Some((b, t)) => (b, t.trim()),
            None => (line, ""),
        };
        let mut words = body.split_whitespace().peekable();
        let ais = words.next()?;
        let mut predefined = false;
        let mut dl_attribute = false;
        // Flags: a word made only of flag characters (the dictionary's "Allocated from" pool).
        if let Some(w) = words.peek() {
            if w.chars().all(|c| "*!?\"$%&'()+,-./:;<=>@[\\]^_`{|}~".contains(c)) && !w.starts_with('[') {
                predefined = w.contains('*');
                dl_attribute = w.contains('?');
                words.next();
            }
        }
        let mut components = Vec::new();
        let mut spec = Vec::new();
        let mut req = Vec::new();
        let mut req_text = Vec::new();
        let mut ex = Vec::new();
        let mut ex_text = String::new();
        let mut dlpkey = None;
        for w in words {
            if let Some(v) = w.strip_prefix("req=") {
                req.push(v.split(',').map(|alt| alt.split('+').map(|p| Pattern(p.to_string())).collect()).collect());
                req_text.push(v.to_string());
            } else if let Some(v) = w.strip_prefix("ex=") {
                ex.extend(v.split(',').map(|p| Pattern(p.to_string())));
                ex_text = v.to_string();
            } else if w == "dlpkey" {
                dlpkey = Some(vec![Vec::new()]);
            } else if let Some(v) = w.strip_prefix("dlpkey=") {
                dlpkey = Some(v.split('|').map(|seq| seq.split(',').map(str::to_string).collect()).collect());
            } else if w.contains('=') {
                // An attribute this release does not define: ignored, as the header allows.
            } else {
                components.push(self.component(w)?);
                spec.push(w);
            }
        }
        if components.is_empty() {
            return None;
        }
        let (first, last) = match ais.split_once('-') {
            Some((a, b)) => (a, b),
            None => (ais, ais),
        };
        if first.len() != last.len() || !(2..=4).contains(&first.len()) {
            return None;
        }
        let (lo, hi): (usize, usize) = (first.parse().ok()?, last.parse().ok()?);
        for n in lo..=hi {
            let ai = format!("{n:0width$}", width = first.len());
            let prefix: usize = ai.get(..2)?.parse().ok()?;
            let len = u8::try_from(ai.len()).ok()?;
            match self.prefix_len[prefix] {
                0 => self.prefix_len[prefix] = len,
                l if l != len => return None,
                _ => {}
            }
            let at = u16::try_from(self.entries.len()).ok()?;
            self.index[slot(&ai)?] = at;
            self.entries.push(Entry {
                ai,
                title: title.to_string(),
                predefined,
                dl_attribute,
                spec: spec.join(" "),
                components: components.clone(),
                req: req.clone(),
                req_text: req_text.clone(),
                ex: ex.clone(),
                ex_text: ex_text.clone(),
                dlpkey: dlpkey.clone(),
            });
        }
        Some(())
    }

    /// `N13,csum,gcppos1`, `[X..16]`, `[N3],iso3166`.
    fn component(&mut self, word: &str) -> Option<Component> {
        let mut parts = word.split(',');
        let mut ty = parts.next()?;
        let optional = ty.starts_with('[');
        if optional {
            ty = ty.strip_prefix('[')?.strip_suffix(']')?;
        }
        let mut chars = ty.chars();
        let cset = match chars.next()? {
            'N' => Cset::Numeric,
            'X' => Cset::Cset82,
            'Y' => Cset::Cset39,
            'Z' => Cset::Cset64,
            _ => return None,
        };
        let len = chars.as_str();
        let (min, max) = match len.strip_prefix("..") {
            Some(max) => (1, max.parse().ok()?),
            None => {
                let n = len.parse().ok()?;
                (n, n)
            }
        };
        let mut linters = Vec::new();
        for name in parts {
            match Linter::from_name(name) {
                Some(l) => linters.push(l),
                None => self.unknown_linters.push(name.to_string()),
            }
        }
        Some(Component { cset, min, max, optional, linters })
    }
}
