//! Writes one sequence of an eCTD package to disk: `<sequence>/index.xml` (the ICH backbone
//! with the MD5 of every file), `index-md5.txt`, `m1/cn/cn-regional.xml` (the envelope and the
//! Module 1 leaves), the leaves' files in their nodes' folders under names that follow the
//! rules ([`crate::naming`]), and `util/dtd` and `util/style` with ICH's and CDE's files. The
//! writer does file I/O and nothing else; what goes in is decided by the caller (the package
//! model in [`crate::applications`], the tests, the demo).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use crate::ctd::{self, Node};
use crate::naming;
use crate::regional::{self, Envelope};
use crate::validate::md5_hex;
use yaolian_core::xml::escape;

/// A leaf's lifecycle operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    New,
    Append,
    Replace,
    Delete,
}

impl Operation {
    pub fn code(self) -> &'static str {
        match self {
            Operation::New => "new",
            Operation::Append => "append",
            Operation::Replace => "replace",
            Operation::Delete => "delete",
        }
    }

    pub fn parse(s: &str) -> Option<Operation> {
        Some(match s {
            "new" => Operation::New,
            "append" => Operation::Append,
            "replace" => Operation::Replace,
            "delete" => Operation::Delete,
            _ => return None,
        })
    }
}

/// The leaf an append, replace or delete modifies: its sequence and ID.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub sequence: String,
    pub leaf_id: String,
}

/// A leaf to write.
#[derive(Debug, Clone)]
pub struct LeafSpec {
    /// The leaf's ID (an XML name, unique across the application's sequences).
    pub id: String,
    /// The node's element (`m3-2-s-4-1-specification`, `cn-1-0`).
    pub element: String,
    pub title: String,
    pub operation: Operation,
    pub target: Option<Target>,
    /// The file's name as the author had it (normalized on writing) and its bytes; none for a
    /// delete.
    pub file: Option<(String, Vec<u8>)>,
}

/// The attributes some nodes require (ICH DTD: `substance` and `manufacturer` on 2.3.S and 3.2.S,
/// `indication` on 2.7.3 and 5.3.5; `product-name`, `dosageform` on 2.3.P and 3.2.P).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeAttributes {
    pub substance: String,
    pub manufacturer: String,
    pub product_name: String,
    pub dosage_form: String,
    pub indication: String,
}

/// A sequence to write.
#[derive(Debug, Clone)]
pub struct SequenceSpec {
    pub envelope: Envelope,
    pub attributes: NodeAttributes,
    pub leaves: Vec<LeafSpec>,
}

/// What was written: each leaf's path in the sequence and MD5, and the backbone's MD5.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub folder: PathBuf,
    /// Leaf ID → (path relative to the sequence, MD5).
    pub files: BTreeMap<String, (String, String)>,
    pub index_md5: String,
    pub bytes: u64,
}

/// Why a sequence cannot be written.
#[derive(Debug)]
pub enum WriteError {
    /// A leaf names no node of the tree, or lacks what its operation needs.
    Leaf {
        id: String,
        problem: String,
    },
    Io(std::io::Error),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Leaf { id, problem } => write!(f, "leaf {id}: {problem}"),
            WriteError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl From<std::io::Error> for WriteError {
    fn from(e: std::io::Error) -> Self {
        WriteError::Io(e)
    }
}

fn leaf_xml(
    l: &LeafSpec,
    href: Option<&str>,
    md5: Option<&str>,
    modified: Option<String>,
    regional: bool,
    indent: usize,
) -> String {
    let pad = " ".repeat(indent);
    let mut a = format!("ID=\"{}\" operation=\"{}\"", escape(&l.id), l.operation.code());
    match md5 {
        Some(m) => a.push_str(&format!(" checksum-type=\"md5\" checksum=\"{m}\"")),
        // ICH's DTD requires the checksum attributes even on a delete; CDE's schema does not.
        None if !regional => a.push_str(" checksum-type=\"md5\" checksum=\"\""),
        None => {}
    }
    if let Some(m) = modified {
        a.push_str(&format!(" modified-file=\"{}\"", escape(&m)));
    }
    if let Some(h) = href {
        a.push_str(&format!(" xlink:type=\"simple\" xlink:href=\"{}\"", escape(h)));
    }
    format!("{pad}<leaf {a}>\n{pad}  <title>{}</title>\n{pad}</leaf>\n", escape(&l.title))
}

fn node_attributes(element: &str, a: &NodeAttributes) -> String {
    let pairs: Vec<(&str, &str)> = match element {
        "m2-3-s-drug-substance" | "m3-2-s-drug-substance" => {
            vec![("substance", &a.substance), ("manufacturer", &a.manufacturer)]
        }
        "m2-3-p-drug-product" | "m3-2-p-drug-product" => {
            vec![("product-name", &a.product_name), ("dosageform", &a.dosage_form), ("manufacturer", &a.manufacturer)]
        }
        "m2-7-3-summary-of-clinical-efficacy" | "m5-3-5-reports-of-efficacy-and-safety-studies" => {
            vec![("indication", &a.indication)]
        }
        _ => vec![],
    };
    pairs.into_iter().map(|(k, v)| format!(" {k}=\"{}\"", escape(v))).collect()
}

/// Writes the nodes of one module that hold leaves (or hold nodes that do), in the published
/// order, each leaf given by `render`.
fn tree_xml(
    module: u8,
    per_node: &BTreeMap<&str, Vec<String>>,
    attributes: &NodeAttributes,
    base_indent: usize,
) -> String {
    let all = ctd::nodes();
    let used: HashSet<usize> = all
        .iter()
        .enumerate()
        .filter(|(_, n)| per_node.contains_key(n.element.as_str()))
        .flat_map(|(i, _)| {
            let mut chain = vec![i];
            let mut at = all[i].parent;
            while let Some(p) = at {
                chain.push(p);
                at = all[p].parent;
            }
            chain
        })
        .collect();
    fn emit(
        i: usize,
        all: &[Node],
        used: &HashSet<usize>,
        per_node: &BTreeMap<&str, Vec<String>>,
        attributes: &NodeAttributes,
        indent: usize,
        out: &mut String,
    ) {
        let n = &all[i];
        let pad = " ".repeat(indent);
        out.push_str(&format!("{pad}<{}{}>\n", n.element, node_attributes(&n.element, attributes)));
        // Leaves come before the child nodes in every content model of the DTD and the schema.
        for l in per_node.get(n.element.as_str()).into_iter().flatten() {
            out.push_str(l);
        }
        for (j, c) in all.iter().enumerate() {
            if c.parent == Some(i) && used.contains(&j) {
                emit(j, all, used, per_node, attributes, indent + 2, out);
            }
        }
        out.push_str(&format!("{pad}</{}>\n", n.element));
    }
    let mut out = String::new();
    for (i, n) in all.iter().enumerate() {
        if n.module == module && n.parent.is_none() && used.contains(&i) {
            emit(i, all, &used, per_node, attributes, base_indent, &mut out);
        }
    }
    out
}

/// Writes `seq` as `<application folder>/<sequence number>`; the folder must not exist yet.
pub fn write(application_dir: &Path, seq: &SequenceSpec) -> Result<Written, WriteError> {
    let number = &seq.envelope.sequence_number;
    if !(number.len() == 4 && number.bytes().all(|b| b.is_ascii_digit())) {
        return Err(WriteError::Leaf {
            id: String::new(),
            problem: format!("sequence number {number:?} is not 4 digits"),
        });
    }
    let dir = application_dir.join(number);
    if dir.exists() {
        return Err(WriteError::Io(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("{} exists: a sequence is written once", dir.display()),
        )));
    }
    // Check every leaf before writing anything.
    for l in &seq.leaves {
        let bad = |problem: &str| WriteError::Leaf { id: l.id.clone(), problem: problem.into() };
        match ctd::node(&l.element) {
            None => return Err(bad("names no node of the CTD tree")),
            Some(n) if !n.leaves => return Err(bad("its node holds only other nodes, not documents")),
            Some(_) => {}
        }
        match (l.operation, &l.file, &l.target) {
            (Operation::Delete, Some(_), _) => return Err(bad("a delete carries no file")),
            (op, None, _) if op != Operation::Delete => return Err(bad("needs its file")),
            (Operation::New, _, Some(_)) => return Err(bad("a new leaf modifies nothing")),
            (op, _, None) if op != Operation::New => return Err(bad("needs the leaf it modifies")),
            _ => {}
        }
    }
    std::fs::create_dir_all(&dir)?;
    let mut written = Written { folder: dir.clone(), files: BTreeMap::new(), index_md5: String::new(), bytes: 0 };
    let mut taken: HashSet<String> = HashSet::new();
    let mut ich_leaves: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut cn_leaves: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for l in &seq.leaves {
        let Some(node) = ctd::node(&l.element) else { continue };
        let regional = node.module == 1;
        let (href, md5) = match &l.file {
            Some((name, bytes)) => {
                let (stem, ext) = name.rsplit_once('.').unwrap_or((name.as_str(), ""));
                let folder = node.folder();
                let first = naming::normalize(stem, ext, &node.section.replace('.', "-"));
                let mut file = first.clone();
                let mut n = 2;
                while !taken.insert(format!("{folder}/{file}")) {
                    // The same name again in this folder: a numbered one, the number always kept
                    // (the stem is cut to leave it room).
                    file = naming::numbered(&first, n);
                    n += 1;
                }
                let rel = format!("{folder}/{file}");
                std::fs::create_dir_all(dir.join(&folder))?;
                std::fs::write(dir.join(&rel), bytes)?;
                let md5 = md5_hex(bytes);
                written.bytes += bytes.len() as u64;
                written.files.insert(l.id.clone(), (rel.clone(), md5.clone()));
                // The regional file's references are relative to its own folder (m1/cn).
                let href = if regional { rel.trim_start_matches("m1/cn/").to_string() } else { rel };
                (Some(href), Some(md5))
            }
            None => (None, None),
        };
        let modified = l.target.as_ref().map(|t| {
            if regional {
                format!("../../../{}/{}#{}", t.sequence, regional::PATH, t.leaf_id)
            } else {
                format!("../{}/index.xml#{}", t.sequence, t.leaf_id)
            }
        });
        let depth = ctd::ancestry(&l.element).len();
        if regional {
            let xml = leaf_xml(l, href.as_deref(), md5.as_deref(), modified, true, 4 + 2 * depth);
            cn_leaves.entry(node.element.as_str()).or_default().push(xml);
        } else {
            let xml = leaf_xml(l, href.as_deref(), md5.as_deref(), modified, false, 2 + 2 * depth);
            ich_leaves.entry(node.element.as_str()).or_default().push(xml);
        }
    }
    // The regional file (cn-1-0, the cover letter, is required by the schema: present, if empty).
    if !cn_leaves.contains_key("cn-1-0") {
        cn_leaves.insert("cn-1-0", Vec::new());
    }
    let content = tree_xml(1, &cn_leaves, &seq.attributes, 4);
    let regional_text = regional::write(&seq.envelope, &content);
    std::fs::create_dir_all(dir.join("m1/cn"))?;
    std::fs::write(dir.join(regional::PATH), &regional_text)?;
    let regional_md5 = md5_hex(regional_text.as_bytes());
    // The backbone.
    let mut index = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<!DOCTYPE ectd:ectd SYSTEM \"util/dtd/ich-ectd-3-2.dtd\">\n\
<?xml-stylesheet type=\"text/xsl\" href=\"util/style/ectd-2-0.xsl\"?>\n\
<ectd:ectd xmlns:ectd=\"http://www.ich.org/ectd\" xmlns:xlink=\"http://www.w3c.org/1999/xlink\" dtd-version=\"3.2\">\n\
  <m1-administrative-information-and-prescribing-information>\n",
    );
    index.push_str(&format!(
        "    <leaf ID=\"cn-regional-{number}\" operation=\"new\" checksum-type=\"md5\" checksum=\"{regional_md5}\" xlink:type=\"simple\" xlink:href=\"{}\">\n      <title>区域性文件</title>\n    </leaf>\n",
        regional::PATH
    ));
    index.push_str("  </m1-administrative-information-and-prescribing-information>\n");
    for module in 2..=5 {
        index.push_str(&tree_xml(module, &ich_leaves, &seq.attributes, 2));
    }
    index.push_str("</ectd:ectd>\n");
    std::fs::write(dir.join("index.xml"), &index)?;
    written.index_md5 = md5_hex(index.as_bytes());
    std::fs::write(dir.join("index-md5.txt"), &written.index_md5)?;
    std::fs::create_dir_all(dir.join("util/dtd"))?;
    std::fs::create_dir_all(dir.join("util/style"))?;
    std::fs::write(dir.join("util/dtd/ich-ectd-3-2.dtd"), ctd::ICH_DTD)?;
    std::fs::write(dir.join(regional::XSD_PATH), ctd::CN_XSD)?;
    std::fs::write(dir.join("util/style/ectd-2-0.xsl"), ctd::ICH_STYLE)?;
    written.bytes += (index.len() + regional_text.len()) as u64;
    Ok(written)
}
