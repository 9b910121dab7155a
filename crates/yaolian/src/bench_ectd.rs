//! `yaolian bench ectd`: validation of a large eCTD sequence (5,000 PDF leaves, 2 GB by default)
//! against a baseline measured in the same run — reading every file of the package and taking
//! its MD5, the least any validator must do.

use anyhow::{anyhow, Result};
use std::io::Read;
use std::time::Instant;
use yaolian_submission::package::{self, LeafSpec, NodeAttributes, Operation, SequenceSpec};
use yaolian_submission::regional::Envelope;
use yaolian_submission::{ctd, rules::RuleSet, samples, validate};

fn envelope() -> Envelope {
    Envelope {
        application_id: "x202600001".into(),
        application_type: "cnapt2".into(),
        product_type: "cnprt1".into(),
        product_number: "2026000001".into(),
        related_sequence: "0000".into(),
        regulatory_activity: "cnrat1".into(),
        sequence_number: "0000".into(),
        sequence_type: "cnsqt1".into(),
        description: "基准测试".into(),
        contact_name: "基准".into(),
        contact_phone: "010-12345678".into(),
        contact_email: "bench@example.com".into(),
    }
}

/// Reads every file under `dir` and takes its MD5: the baseline.
fn read_and_hash(dir: &std::path::Path) -> Result<(u64, usize)> {
    let mut bytes = 0u64;
    let mut files = 0usize;
    let mut stack = vec![dir.to_path_buf()];
    let mut buf = vec![0u8; 1 << 20];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let e = e?;
            if e.file_type()?.is_dir() {
                stack.push(e.path());
                continue;
            }
            let mut f = std::fs::File::open(e.path())?;
            let mut h = <md5::Md5 as md5::Digest>::new();
            loop {
                let n = f.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                md5::Digest::update(&mut h, &buf[..n]);
                bytes += n as u64;
            }
            std::hint::black_box(md5::Digest::finalize(h));
            files += 1;
        }
    }
    Ok((bytes, files))
}

pub fn run(files: usize, megabytes: u64) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let app = tmp.path().join("x202600001");
    // Leaves spread over every node of Modules 2–5 that takes leaves.
    let nodes: Vec<&ctd::Node> = ctd::nodes().iter().filter(|n| n.leaves && n.module >= 2).collect();
    let each = ((megabytes * 1024 * 1024) / files.max(1) as u64) as usize;
    println!(
        "eCTD validation: {files} PDF leaves of about {} KB ({megabytes} MB) over {} nodes",
        each / 1024,
        nodes.len()
    );
    let started = Instant::now();
    let leaves: Vec<LeafSpec> = (0..files)
        .map(|i| {
            let n = nodes[i % nodes.len()];
            let title = format!("Document {i}");
            LeafSpec {
                id: format!("b{i:06}"),
                element: n.element.clone(),
                title: title.clone(),
                operation: Operation::New,
                target: None,
                file: Some((format!("document-{i}.pdf"), samples::padded_pdf(&title, &[&title], false, each))),
            }
        })
        .collect();
    let mut leaves = leaves;
    leaves.push(LeafSpec {
        id: "b-cover".into(),
        element: "cn-1-0".into(),
        title: "说明函".into(),
        operation: Operation::New,
        target: None,
        file: Some(("cover.pdf".into(), samples::pdf("说明函", &["说明函"], false))),
    });
    let attributes = NodeAttributes {
        substance: "substance".into(),
        manufacturer: "manufacturer".into(),
        product_name: "product".into(),
        dosage_form: "tablet".into(),
        indication: "indication".into(),
    };
    let written =
        package::write(&app, &SequenceSpec { envelope: envelope(), attributes, leaves }).map_err(|e| anyhow!("{e}"))?;
    println!(
        "  built in {:.1} s: {} files, {:.2} GB",
        started.elapsed().as_secs_f64(),
        written.files.len(),
        written.bytes as f64 / 1e9
    );
    let set = RuleSet::shipped();
    for round in 1..=2 {
        let t = Instant::now();
        let (bytes, n) = read_and_hash(&app)?;
        let base = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let report = validate::validate(&app, &set).map_err(|e| anyhow!("{e}"))?;
        let took = t.elapsed().as_secs_f64();
        let mb = bytes as f64 / 1e6;
        println!(
            "  round {round}: baseline read + MD5 of {n} files {base:.2} s ({:.0} MB/s); validation {took:.2} s ({:.0} MB/s, {:.1}× the baseline); {} errors, {} warnings",
            mb / base,
            mb / took,
            took / base,
            report.errors,
            report.warnings
        );
        if !report.passes() {
            return Err(anyhow!("the generated package does not validate: {:?}", report.findings.first()));
        }
    }
    Ok(())
}
