//! The CTD tree as the published files define it: Modules 2–5 are the elements of ICH's
//! `ich-ectd-3-2.dtd` in the order its content models give; Module 1 is China's, the `cn-1-*`
//! elements of CDE's `cn-regional-1-0.xsd`. The Chinese titles come from CDE's
//! `element-property_ICH.xml` (V1.1 附件 1-2, read as shipped) and, for Module 1, the regional
//! stylesheet `cn-regional-1-1.xsl` (gathered in `data/ctd-titles.tsv`). Pure: the files are
//! compiled in.

use std::sync::OnceLock;

use crate::dtd::Dtd;

/// ICH's DTD, byte for byte as ICH publishes it (CRLF line ends; MD5
/// 1d6f631cc6b6357f0f4fe378e5f79a27, the value on ICH's ESTRI page).
pub const ICH_DTD: &str = include_str!("../data/ich-ectd-3-2.dtd");
/// ICH's stylesheet for the backbone (MD5 3a07a202455e954a2eb203c5bb443f77 on ESTRI).
pub const ICH_STYLE: &str = include_str!("../data/ectd-2-0.xsl");
/// CDE's regional schema, version 1.0 (2021-09-01).
pub const CN_XSD: &str = include_str!("../data/cn-regional-1-0.xsd");
/// CDE's section numbers and Chinese titles of Modules 2–5 (BSfileC09, version 1.0).
pub const CN_ELEMENT_PROPERTIES: &str = include_str!("../data/element-property_ICH.xml");
/// Section numbers and Chinese titles of Module 1 (from CDE's regional stylesheet).
const M1_TITLES: &str = include_str!("../data/ctd-titles.tsv");

/// The compiled ICH DTD.
pub fn ich_dtd() -> &'static Dtd {
    static D: OnceLock<Dtd> = OnceLock::new();
    D.get_or_init(|| match Dtd::parse(ICH_DTD) {
        Ok(d) => d,
        // Compiled in and tested (`the_published_files_compile`).
        Err(e) => panic!("the shipped ICH DTD does not parse: {e}"),
    })
}

/// CDE's regional schema, compiled to the same form.
pub fn regional_dtd() -> &'static Dtd {
    static D: OnceLock<Dtd> = OnceLock::new();
    D.get_or_init(|| match Dtd::from_xsd(CN_XSD) {
        Ok(d) => d,
        Err(e) => panic!("the shipped regional schema does not parse: {e}"),
    })
}

/// One node of the tree a leaf can be placed in.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The element (`m3-2-s-4-1-specification`, `cn-1-3-1-2`).
    pub element: String,
    /// 3.2.S.4.1, 1.3.1.2.
    pub section: String,
    pub title: String,
    /// Index of the parent in [`nodes`]; `None` for a module's root.
    pub parent: Option<usize>,
    pub depth: usize,
    /// Module 1 (the regional file) or 2–5 (index.xml).
    pub module: u8,
    /// Whether its content model takes leaves (a heading like 1.3 or 3.2 may hold only nodes).
    pub leaves: bool,
}

impl Node {
    /// The folder its files go in, relative to the sequence: `m3/3-2/3-2-s/3-2-s-4/3-2-s-4-1`,
    /// `m1/cn/1-3-1-2` (names within ICH's 64 characters; the path far inside 180).
    pub fn folder(&self) -> String {
        let dashed = self.section.to_ascii_lowercase().replace('.', "-");
        if self.module == 1 {
            return format!("m1/cn/{dashed}");
        }
        let mut parts = vec![format!("m{}", self.module)];
        let pieces: Vec<&str> = dashed.split('-').collect();
        for i in 2..=pieces.len() {
            parts.push(pieces[..i].join("-"));
        }
        parts.join("/")
    }
}

/// The section number an element's name starts with: `m3-2-s-4-1-specification` → `3.2.S.4.1`,
/// `cn-1-3-1` → `1.3.1`.
pub fn section_of(element: &str) -> String {
    let rest = element.strip_prefix("cn-").or_else(|| element.strip_prefix('m')).unwrap_or(element);
    let mut out: Vec<String> = Vec::new();
    for (i, p) in rest.split('-').enumerate() {
        let numeric = !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        let letter = i >= 2 && p.len() == 1 && p.bytes().all(|b| b.is_ascii_lowercase());
        if numeric || letter {
            out.push(p.to_ascii_uppercase());
        } else {
            break;
        }
    }
    out.join(".")
}

/// Element → (section, Chinese title), from CDE's two files.
fn titles() -> &'static std::collections::HashMap<String, (String, String)> {
    static T: OnceLock<std::collections::HashMap<String, (String, String)>> = OnceLock::new();
    T.get_or_init(|| {
        let mut out = std::collections::HashMap::new();
        for l in M1_TITLES.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let f: Vec<&str> = l.split('\t').collect();
            if f.len() >= 3 {
                out.insert(f[0].to_string(), (f[1].to_string(), f[2].trim().to_string()));
            }
        }
        if let Ok(doc) = yaolian_core::xml::parse(CN_ELEMENT_PROPERTIES) {
            for e in doc.root.walk().into_iter().filter(|e| e.name == "element") {
                let zh = e.children.iter().find(|d| d.name == "description" && d.attr("xml:lang") == Some("zh"));
                if let (Some(name), Some(no), Some(zh)) = (e.attr("name"), e.attr("structureno"), zh) {
                    out.insert(name.to_string(), (no.to_string(), zh.text.trim().to_string()));
                }
            }
        }
        out
    })
}

/// Every node, Module 1 first, each module in its published order.
pub fn nodes() -> &'static [Node] {
    static N: OnceLock<Vec<Node>> = OnceLock::new();
    N.get_or_init(|| {
        let mut out: Vec<Node> = Vec::new();
        fn add(dtd: &Dtd, element: &str, parent: Option<usize>, depth: usize, module: u8, out: &mut Vec<Node>) {
            if out.iter().any(|n| n.element == element) {
                return;
            }
            let (section, title) = match titles().get(element) {
                Some((s, t)) => (s.clone(), t.clone()),
                None => (section_of(element), element.to_string()),
            };
            let leaves = dtd.children_of(element).iter().any(|c| c == "leaf");
            out.push(Node { element: element.to_string(), section, title, parent, depth, module, leaves });
            let me = out.len() - 1;
            let prefix = if module == 1 { "cn-1" } else { "m" };
            for c in dtd.children_of(element) {
                if c.starts_with(prefix) && c != element {
                    add(dtd, &c, Some(me), depth + 1, module, out);
                }
            }
        }
        let cn = regional_dtd();
        for c in cn.children_of("cn-content") {
            add(cn, &c, None, 0, 1, &mut out);
        }
        let ich = ich_dtd();
        for (i, m) in ich.children_of("ectd:ectd").iter().enumerate().skip(1) {
            add(ich, m, None, 0, i as u8 + 1, &mut out);
        }
        out
    })
}

/// The node of `element`.
pub fn node(element: &str) -> Option<&'static Node> {
    nodes().iter().find(|n| n.element == element)
}

/// The path from the module's root to `element`, root first.
pub fn ancestry(element: &str) -> Vec<&'static Node> {
    let all = nodes();
    let mut out = Vec::new();
    let mut at = all.iter().position(|n| n.element == element);
    while let Some(i) = at {
        out.push(&all[i]);
        at = all[i].parent;
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_files_compile() {
        assert_eq!(crate::validate::md5_hex(ICH_DTD.as_bytes()), "1d6f631cc6b6357f0f4fe378e5f79a27");
        assert_eq!(crate::validate::md5_hex(ICH_STYLE.as_bytes()), "3a07a202455e954a2eb203c5bb443f77");
        let ich = ich_dtd();
        assert_eq!(
            ich.enumeration("leaf", "operation"),
            Some(vec!["new".into(), "append".into(), "replace".into(), "delete".into()])
        );
        assert!(ich.declares("m5-3-7-case-report-forms-and-individual-patient-listings"));
        let cn = regional_dtd();
        assert!(cn.declares("cn-1-12") && cn.declares("cn-envelope"));
        assert_eq!(cn.enumeration("leaf", "operation").map(|v| v.len()), Some(4));
    }

    #[test]
    fn the_tree_in_published_order_with_chinese_titles() {
        let all = nodes();
        assert_eq!(all[0].element, "cn-1-0");
        let spec = node("m3-2-s-4-1-specification").map(|n| (n.section.as_str(), n.title.as_str(), n.module));
        assert_eq!(spec, Some(("3.2.S.4.1", "质量标准", 3)));
        assert_eq!(node("cn-1-3-1-2").map(|n| n.section.as_str()), Some("1.3.1.2"));
        assert_eq!(section_of("m2-3-a-appendices"), "2.3.A");
        assert_eq!(section_of("m5-3-1-1-bioavailability-study-reports"), "5.3.1.1");
        let path: Vec<&str> = ancestry("m3-2-s-4-1-specification").iter().map(|n| n.section.as_str()).collect();
        assert_eq!(path, vec!["3", "3.2", "3.2.S", "3.2.S.4", "3.2.S.4.1"]);
        assert_eq!(node("m3-2-s-4-1-specification").map(|n| n.folder()), Some("m3/3-2/3-2-s/3-2-s-4/3-2-s-4-1".into()));
        assert_eq!(node("cn-1-0").map(|n| n.folder()), Some("m1/cn/1-0".into()));
        // CDE's 1.3 holds only its subsections; ICH's 3.2.S.4.1 takes leaves.
        assert_eq!(node("cn-1-3").map(|n| n.leaves), Some(false));
        assert_eq!(node("m3-2-s-4-1-specification").map(|n| n.leaves), Some(true));
        // Every node has its Chinese title.
        for n in all {
            assert!(
                n.title.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{} has no Chinese title",
                n.element
            );
        }
    }
}
