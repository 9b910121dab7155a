//! The validation rule set is data (`data/rules-yaolian-1.1.toml`, or a file given to
//! `yaolian ectd validate --rules`): each rule names the check it runs, its severity, its limit
//! where it has one, its message and its source — a published specification or criterion it
//! mirrors, or ours. When CDE publishes its eCTD validation criteria V1.1 as a list, a rule file
//! with their ids and severities is loaded the same way; the checks stay in code. Pure.

use serde::{Deserialize, Serialize};

/// The rule set shipped with yaolian.
pub const SHIPPED: &str = include_str!("../data/rules-yaolian-1.1.toml");

/// How grave a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// 错误: the package is not acceptable.
    Error,
    /// 警告: acceptable, but the reviewer will ask.
    Warning,
    /// 提示: good practice.
    Info,
}

impl Severity {
    pub fn zh(self) -> &'static str {
        match self {
            Severity::Error => "错误",
            Severity::Warning => "警告",
            Severity::Info => "提示",
        }
    }
}

/// The checks the validator knows; a rule runs one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    SequenceFolder,
    IndexMissing,
    IndexMd5Missing,
    IndexMd5,
    UtilDtd,
    EmptyFolder,
    PackageSize,
    BackboneXml,
    BackboneDtd,
    MissingFile,
    UnreferencedFile,
    Checksum,
    ChecksumType,
    HrefOutside,
    FirstSequenceNew,
    ModifiedFileMissing,
    ModifiedFileTarget,
    NewWithModifiedFile,
    DeleteWithFile,
    LeafWithoutFile,
    LifecycleRetired,
    LifecycleNode,
    LifecycleTwice,
    NameUppercase,
    NameCharacters,
    NameLength,
    PathLength,
    FileSize,
    FileType,
    PdfUnreadable,
    PdfVersion,
    PdfEncrypted,
    PdfBookmarks,
    PdfText,
    RegionalMissing,
    RegionalXml,
    RegionalEnvelope,
    RegionalSequence,
    RegionalTitle,
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The id a report names (YL-204, or a published criterion's number).
    pub id: String,
    pub check: Check,
    pub severity: Severity,
    /// A number the check compares with (bytes, characters, pages), where it has one.
    #[serde(default)]
    pub limit: Option<u64>,
    /// What the report says, in Chinese; `{detail}` is replaced by the finding's particulars.
    pub message: String,
    /// Where the rule comes from: the clause of a published text, or "yaolian".
    pub source: String,
    /// Whether it mirrors a published requirement (`true`) or is ours (`false`).
    pub published: bool,
}

/// A versioned rule set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    pub name: String,
    pub version: String,
    /// What the set is based on, for the report's header.
    pub basis: String,
    #[serde(rename = "rule")]
    pub rules: Vec<Rule>,
}

impl RuleSet {
    /// Reads a rule set; an error names the rule and what is wrong.
    pub fn parse(text: &str) -> Result<RuleSet, String> {
        let set: RuleSet = toml::from_str(text).map_err(|e| format!("the rule set cannot be read: {e}"))?;
        if set.name.trim().is_empty() || set.version.trim().is_empty() {
            return Err("the rule set needs a name and a version".into());
        }
        let mut seen_ids = std::collections::HashSet::new();
        let mut seen_checks = std::collections::HashSet::new();
        for r in &set.rules {
            if r.id.trim().is_empty() || !seen_ids.insert(r.id.as_str()) {
                return Err(format!("rule id {:?} is empty or given twice", r.id));
            }
            if !seen_checks.insert(r.check) {
                return Err(format!("rule {}: its check is run by another rule already", r.id));
            }
            if r.message.trim().is_empty() {
                return Err(format!("rule {} has no message", r.id));
            }
        }
        Ok(set)
    }

    /// The set shipped with yaolian.
    pub fn shipped() -> RuleSet {
        match RuleSet::parse(SHIPPED) {
            Ok(s) => s,
            // The shipped file is tested to parse (`the_shipped_set_reads_and_covers_every_check`).
            Err(e) => panic!("the shipped rule set does not parse: {e}"),
        }
    }

    /// The rule that runs `check`, when the set has one.
    pub fn rule(&self, check: Check) -> Option<&Rule> {
        self.rules.iter().find(|r| r.check == check)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_set_reads_and_covers_every_check() {
        let set = RuleSet::parse(SHIPPED).unwrap_or_else(|e| panic!("{e}"));
        let all = [
            Check::SequenceFolder,
            Check::IndexMissing,
            Check::IndexMd5Missing,
            Check::IndexMd5,
            Check::UtilDtd,
            Check::EmptyFolder,
            Check::PackageSize,
            Check::BackboneXml,
            Check::BackboneDtd,
            Check::MissingFile,
            Check::UnreferencedFile,
            Check::Checksum,
            Check::ChecksumType,
            Check::HrefOutside,
            Check::FirstSequenceNew,
            Check::ModifiedFileMissing,
            Check::ModifiedFileTarget,
            Check::NewWithModifiedFile,
            Check::DeleteWithFile,
            Check::LeafWithoutFile,
            Check::LifecycleRetired,
            Check::LifecycleNode,
            Check::LifecycleTwice,
            Check::NameUppercase,
            Check::NameCharacters,
            Check::NameLength,
            Check::PathLength,
            Check::FileSize,
            Check::FileType,
            Check::PdfUnreadable,
            Check::PdfVersion,
            Check::PdfEncrypted,
            Check::PdfBookmarks,
            Check::PdfText,
            Check::RegionalMissing,
            Check::RegionalXml,
            Check::RegionalEnvelope,
            Check::RegionalSequence,
            Check::RegionalTitle,
        ];
        for c in all {
            assert!(set.rule(c).is_some(), "no rule runs {c:?}");
        }
        assert_eq!(set.rules.len(), all.len());
    }

    #[test]
    fn a_bad_rule_file_is_refused_with_its_reason() {
        let bad = |t: &str| RuleSet::parse(t).err().unwrap_or_default();
        assert!(bad("name = \"x\"\nversion = \"1\"\nbasis = \"\"\n[[rule]]\nid = \"A\"\ncheck = \"nope\"\nseverity = \"error\"\nmessage = \"m\"\nsource = \"s\"\npublished = false\n").contains("nope"));
        let two = "name = \"x\"\nversion = \"1\"\nbasis = \"\"\n[[rule]]\nid = \"A\"\ncheck = \"checksum\"\nseverity = \"error\"\nmessage = \"m\"\nsource = \"s\"\npublished = false\n[[rule]]\nid = \"A\"\ncheck = \"file_type\"\nseverity = \"error\"\nmessage = \"m\"\nsource = \"s\"\npublished = false\n";
        assert!(bad(two).contains("given twice"));
    }
}

#[cfg(test)]
mod docs_tests {
    /// docs/ectd.md lists every rule of the shipped set with its origin.
    #[test]
    fn the_docs_list_every_rule() {
        let doc = include_str!("../../../docs/ectd.md");
        for r in super::RuleSet::shipped().rules {
            let origin = if r.published { "published" } else { "**ours**" };
            let row = doc.lines().find(|l| l.starts_with(&format!("| {} |", r.id)));
            assert!(row.is_some_and(|l| l.contains(origin)), "docs/ectd.md lacks {} as {origin}", r.id);
        }
    }
}
