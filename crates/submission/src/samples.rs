//! Small, valid PDF 1.4 files for the demo's documents and the tests (ISO 32000-1: a catalog, a
//! page tree, one page per text, Helvetica for ASCII text and the predefined CJK font
//! STSong-Light with the `UniGB-UCS2-H` CMap for Chinese, §9.7.5.2; bookmarks when asked), with
//! an exact cross-reference table; and the sample application the tests, the demo and the
//! benchmark build. Pure: it returns bytes and specifications.

use crate::package::{LeafSpec, NodeAttributes, Operation, SequenceSpec, Target};
use crate::regional::Envelope;

fn text_op(line: &str, y: i32) -> String {
    if line.is_ascii() {
        let escaped = line.replace('\\', "\\\\").replace('(', "\\(").replace(')', "\\)");
        format!("BT /F1 14 Tf 56 {y} Td ({escaped}) Tj ET\n")
    } else {
        let hex: String = line.encode_utf16().map(|u| format!("{u:04X}")).collect();
        format!("BT /F2 14 Tf 56 {y} Td <{hex}> Tj ET\n")
    }
}

fn pdf_string(s: &str) -> String {
    // A text string as UTF-16BE with its byte-order mark (§7.9.2.2), so Chinese titles read.
    let mut hex = String::from("FEFF");
    for u in s.encode_utf16() {
        hex.push_str(&format!("{u:04X}"));
    }
    format!("<{hex}>")
}

/// A PDF titled `title` with one page per entry of `pages` (each page shows its text), with a
/// bookmark per page when `bookmarks`.
pub fn pdf(title: &str, pages: &[&str], bookmarks: bool) -> Vec<u8> {
    padded_pdf(title, pages, bookmarks, 0)
}

/// As [`pdf`], with about `pad` more bytes of comment lines in the first page's content stream
/// (a PDF of a given size for the benchmark; ISO 32000-1 §7.2.4: a comment is ignored).
pub fn padded_pdf(title: &str, pages: &[&str], bookmarks: bool, pad: usize) -> Vec<u8> {
    let n = pages.len().max(1);
    let texts: Vec<&str> = if pages.is_empty() { vec![title] } else { pages.to_vec() };
    // Objects: 1 catalog, 2 pages, 3 font F1, 4 font F2, 5 CID font, 6 info, 7 outlines,
    // then per page: the page and its content stream; then the outline items.
    let first_page = 8;
    let outline_first = first_page + 2 * n;
    let mut objects: Vec<String> = Vec::new();
    let outlines = if bookmarks { " /Outlines 7 0 R /PageMode /UseOutlines" } else { "" };
    objects.push(format!("<< /Type /Catalog /Pages 2 0 R{outlines} >>"));
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", first_page + 2 * i)).collect();
    objects.push(format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")));
    objects.push("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".into());
    objects.push(
        "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [5 0 R] >>"
            .into(),
    );
    objects.push(
        "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor << /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >> >>".into(),
    );
    objects.push(format!("<< /Title {} /Producer (yaolian) >>", pdf_string(title)));
    if bookmarks {
        objects.push(format!(
            "<< /Type /Outlines /First {outline_first} 0 R /Last {} 0 R /Count {n} >>",
            outline_first + n - 1
        ));
    } else {
        objects.push("<< /Type /Outlines /Count 0 >>".into());
    }
    for (i, text) in texts.iter().enumerate() {
        let mut content = text_op(text, 780);
        if i == 0 && pad > 0 {
            let line = "% yaolian sample content padding to a realistic document size 0123456789\n";
            content.push_str(&line.repeat(pad / line.len() + 1));
        }
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
            first_page + 2 * i + 1
        ));
        objects.push(format!("<< /Length {} >>\nstream\n{content}endstream", content.len()));
    }
    if bookmarks {
        for (i, text) in texts.iter().enumerate() {
            let id = outline_first + i;
            let prev = if i > 0 { format!(" /Prev {} 0 R", id - 1) } else { String::new() };
            let next = if i + 1 < n { format!(" /Next {} 0 R", id + 1) } else { String::new() };
            objects.push(format!(
                "<< /Title {} /Parent 7 0 R{prev}{next} /Dest [{} 0 R /Fit] >>",
                pdf_string(text),
                first_page + 2 * i
            ));
        }
    }
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1)
            .as_bytes(),
    );
    out
}

fn envelope(seq: &str, kind: &str, related: &str) -> Envelope {
    Envelope {
        application_id: "x202612345".into(),
        application_type: "cnapt2".into(),
        product_type: "cnprt1".into(),
        product_number: "2026000123".into(),
        related_sequence: related.into(),
        regulatory_activity: "cnrat1".into(),
        sequence_number: seq.into(),
        sequence_type: kind.into(),
        description: format!("序列 {seq}"),
        contact_name: "王明".into(),
        contact_phone: "0571-88886666".into(),
        contact_email: "wang@example.com".into(),
    }
}

fn attrs() -> NodeAttributes {
    NodeAttributes {
        substance: "阿莫西林".into(),
        manufacturer: "康城制药".into(),
        product_name: "阿莫西林胶囊".into(),
        dosage_form: "胶囊剂".into(),
        indication: "敏感菌所致感染".into(),
    }
}

fn leaf(
    id: &str,
    element: &str,
    title: &str,
    op: Operation,
    target: Option<(&str, &str)>,
    file: Option<&str>,
) -> LeafSpec {
    LeafSpec {
        id: id.into(),
        element: element.into(),
        title: title.into(),
        operation: op,
        target: target.map(|(s, l)| Target { sequence: s.into(), leaf_id: l.into() }),
        file: file.map(|name| {
            let pages: Vec<String> =
                (1..=if name.contains("long") { 8 } else { 2 }).map(|p| format!("{title} page {p}")).collect();
            let pages: Vec<&str> = pages.iter().map(String::as_str).collect();
            (name.to_string(), pdf(title, &pages, true))
        }),
    }
}

/// The sample application (申请编号 x202612345) of three sequences — 0000 the first submission,
/// 0001 a response replacing the specification, 0002 a response appending 24-month stability
/// data and deleting the application form — each leaf a PDF of [`pdf`].
pub fn application() -> Vec<SequenceSpec> {
    let s0 = SequenceSpec {
        envelope: envelope("0000", "cnsqt1", "0000"),
        attributes: attrs(),
        leaves: vec![
            leaf("l0000-cover", "cn-1-0", "说明函", Operation::New, None, Some("Cover Letter.pdf")),
            leaf("l0000-form", "cn-1-2", "申请表", Operation::New, None, Some("application-form.pdf")),
            leaf(
                "l0000-qos",
                "m2-3-quality-overall-summary",
                "Quality overall summary",
                Operation::New,
                None,
                Some("qos.pdf"),
            ),
            leaf(
                "l0000-spec",
                "m3-2-s-4-1-specification",
                "Specification",
                Operation::New,
                None,
                Some("specification long.pdf"),
            ),
            leaf(
                "l0000-stab",
                "m3-2-p-8-3-stability-data",
                "Stability data",
                Operation::New,
                None,
                Some("stability.pdf"),
            ),
            leaf(
                "l0000-eff",
                "m5-3-5-1-study-reports-of-controlled-clinical-studies-pertinent-to-the-claimed-indication",
                "Study AB-01",
                Operation::New,
                None,
                Some("ab-01.pdf"),
            ),
        ],
    };
    let s1 = SequenceSpec {
        envelope: envelope("0001", "cnsqt2", "0000"),
        attributes: attrs(),
        leaves: vec![
            leaf("l0001-cover", "cn-1-0", "说明函（回复）", Operation::New, None, Some("cover.pdf")),
            leaf(
                "l0001-spec",
                "m3-2-s-4-1-specification",
                "Specification v2",
                Operation::Replace,
                Some(("0000", "l0000-spec")),
                Some("specification.pdf"),
            ),
        ],
    };
    let s2 = SequenceSpec {
        envelope: envelope("0002", "cnsqt2", "0000"),
        attributes: attrs(),
        leaves: vec![
            leaf("l0002-cover", "cn-1-0", "说明函（补充）", Operation::New, None, Some("cover.pdf")),
            leaf(
                "l0002-stab",
                "m3-2-p-8-3-stability-data",
                "Stability data 24 months",
                Operation::Append,
                Some(("0000", "l0000-stab")),
                Some("stability-24m.pdf"),
            ),
            leaf("l0002-form", "cn-1-2", "申请表", Operation::Delete, Some(("0000", "l0000-form")), None),
        ],
    };
    vec![s0, s1, s2]
}

/// A large first sequence (0000 of x202612345): `files` PDF leaves of [`padded_pdf`] spread
/// over every node of Modules 2–5 that takes leaves, `total_bytes` in all, and the cover
/// letter — what the benchmark and the transfer test send and check.
pub fn large_sequence(files: usize, total_bytes: u64) -> SequenceSpec {
    let nodes: Vec<&crate::ctd::Node> = crate::ctd::nodes().iter().filter(|n| n.leaves && n.module >= 2).collect();
    let each = (total_bytes / files.max(1) as u64) as usize;
    let mut leaves: Vec<LeafSpec> = (0..files)
        .map(|i| {
            let n = nodes[i % nodes.len()];
            let title = format!("Document {i}");
            LeafSpec {
                id: format!("b{i:06}"),
                element: n.element.clone(),
                title: title.clone(),
                operation: Operation::New,
                target: None,
                file: Some((format!("document-{i}.pdf"), padded_pdf(&title, &[&title], false, each))),
            }
        })
        .collect();
    leaves.push(leaf("b-cover", "cn-1-0", "说明函", Operation::New, None, Some("cover.pdf")));
    SequenceSpec { envelope: envelope("0000", "cnsqt1", "0000"), attributes: attrs(), leaves }
}
