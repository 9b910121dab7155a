//! The risk model (风险模型) and the credit scheme (信用分级), as configuration, and the pure
//! scoring of one company or product from the facts the platform holds about it. No I/O here:
//! [`crate::scores`] gathers the facts and keeps the scores.
//!
//! The model follows the shape of PIC/S PI 037-1 (a risk-based inspection-planning model):
//! an intrinsic risk (固有风险 — what the company makes and how: product classes such as
//! sterile products, vaccines, blood products, narcotics and psychotropics; its licenses; the
//! number of its sites) and a compliance risk (合规风险 — its recent history: trace anomalies,
//! risk cases and their measures, overdue recalls) each become low / medium / high by
//! thresholds, and a matrix of the two gives the overall risk level, which sets how often the
//! company is inspected. The weights, thresholds, matrix and intervals are this project's
//! defaults, not PI 037-1's numbers (docs/supervision-sources.md §2 says why); a bureau edits
//! them, each change a version with its reason.
//!
//! The credit scheme (信用分级) is a local one, not a national standard: a company starts at
//! [`Credit::start`] points, loses points per event, and its points give a grade (A 守信 …
//! D 严重失信 by default). Every score carries its explanation: each factor, its count, weight,
//! points, and the records it came from with links.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yaolian_core::ValidationError;

/// Risk levels, code and Chinese name, lowest first.
pub const LEVELS: &[(&str, &str)] = &[("low", "低风险"), ("medium", "中风险"), ("high", "高风险")];

/// The Chinese name of a risk level code.
pub fn level_zh(code: &str) -> &'static str {
    LEVELS.iter().find(|(c, _)| *c == code).map(|(_, z)| *z).unwrap_or("")
}

fn level_index(code: &str) -> usize {
    LEVELS.iter().position(|(c, _)| *c == code).unwrap_or(0)
}

/// A product class (产品类别) that raises intrinsic risk, recognised from the 一品一档: by
/// generic name (a catalogue's names contained in it), by dosage form, or by the category
/// letter of the 批准文号 (S 生物制品 …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProductClass {
    /// Stable code, e.g. `narcotic`.
    pub code: String,
    /// Chinese name, e.g. 麻醉药品.
    pub name: String,
    /// Intrinsic points a company making such a product carries.
    pub weight: i64,
    /// Generic-name fragments; a product whose 通用名 contains one is of the class.
    #[serde(default)]
    pub names: Vec<String>,
    /// Dosage forms (剂型) of the class.
    #[serde(default)]
    pub forms: Vec<String>,
    /// 批准文号 category letters (H, Z, S, J …) of the class.
    #[serde(default)]
    pub letters: Vec<String>,
}

impl ProductClass {
    /// Whether a product is of the class.
    pub fn matches(&self, p: &ProductFact) -> bool {
        self.names.iter().any(|n| !n.is_empty() && p.generic_name.contains(n.as_str()))
            || self.forms.contains(&p.dosage_form)
            || self.letters.iter().any(|l| p.approval_number.contains(&format!("准字{l}")))
    }
}

/// Intrinsic points per license kind held (valid).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LicenseWeight {
    /// License kind code (`drug_manufacturing` …).
    pub kind: String,
    pub weight: i64,
}

/// Two thresholds that make points low / medium / high.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Thresholds {
    /// Points from which the level is medium.
    pub medium: i64,
    /// Points from which the level is high.
    pub high: i64,
}

impl Thresholds {
    pub fn level(&self, points: i64) -> &'static str {
        if points >= self.high {
            "high"
        } else if points >= self.medium {
            "medium"
        } else {
            "low"
        }
    }
}

/// Compliance points per event in the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ComplianceWeights {
    /// A trace anomaly at one of the company's sites.
    pub anomaly: i64,
    /// Added for an urgent one (a recalled, destroyed or expired pack sold; a suspect code).
    pub anomaly_high: i64,
    /// A risk case about the company not yet closed.
    pub case_open: i64,
    /// A closed case whose disposal took measures (约谈, 责令整改 …).
    pub case_measures: i64,
    /// Added when the measures include 立案调查.
    pub case_filed: i64,
    /// A recall of the company's product still open after [`Model::recall_days`].
    pub recall_overdue: i64,
    /// An inspection finding, by grade (严重 / 主要 / 一般缺陷) — of visits whose on-site record
    /// is signed. A model stored before findings counted reads the defaults.
    #[serde(default = "defaults::finding_critical")]
    pub finding_critical: i64,
    #[serde(default = "defaults::finding_major")]
    pub finding_major: i64,
    #[serde(default = "defaults::finding_minor")]
    pub finding_minor: i64,
    /// A batch of the company's product whose sampling report (抽检) is signed failing. A model
    /// stored before sampling counted reads the default.
    #[serde(default = "defaults::sample_failed")]
    pub sample_failed: i64,
    /// An administrative penalty decided (行政处罚), and in addition a severe one (a license
    /// suspended or revoked, the business stopped, closed or restricted). A model stored before
    /// penalties counted reads the defaults.
    #[serde(default = "defaults::penalty")]
    pub penalty: i64,
    #[serde(default = "defaults::penalty_severe")]
    pub penalty_severe: i64,
}

/// Defaults of weights added to the model after it was first stored.
mod defaults {
    pub fn finding_critical() -> i64 {
        20
    }
    pub fn finding_major() -> i64 {
        8
    }
    pub fn finding_minor() -> i64 {
        2
    }
    pub fn credit_finding_critical() -> i64 {
        10
    }
    pub fn credit_finding_major() -> i64 {
        3
    }
    pub fn sample_failed() -> i64 {
        15
    }
    pub fn credit_sample_failed() -> i64 {
        5
    }
    pub fn penalty() -> i64 {
        20
    }
    pub fn penalty_severe() -> i64 {
        20
    }
    pub fn credit_penalty() -> i64 {
        10
    }
    pub fn credit_penalty_severe() -> i64 {
        20
    }
}

/// The credit scheme: points lost per event, grades by points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Credit {
    /// Points a company starts with.
    pub start: i64,
    /// Lost per closed case with measures.
    pub case_measures: i64,
    /// Lost in addition when the measures include 立案调查.
    pub case_filed: i64,
    /// Lost per urgent trace anomaly.
    pub anomaly_high: i64,
    /// Lost per overdue recall.
    pub recall_overdue: i64,
    /// Lost per critical and per major inspection finding.
    #[serde(default = "defaults::credit_finding_critical")]
    pub finding_critical: i64,
    #[serde(default = "defaults::credit_finding_major")]
    pub finding_major: i64,
    /// Lost per failing sampled batch.
    #[serde(default = "defaults::credit_sample_failed")]
    pub sample_failed: i64,
    /// Lost per administrative penalty, and in addition per severe one.
    #[serde(default = "defaults::credit_penalty")]
    pub penalty: i64,
    #[serde(default = "defaults::credit_penalty_severe")]
    pub penalty_severe: i64,
    /// Grades, best first, each from its minimum points.
    pub grades: Vec<Grade>,
}

/// A credit grade.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Grade {
    /// A, B, C, D …
    pub grade: String,
    /// 守信, 基本守信 …
    pub name: String,
    /// Points from which a company has the grade.
    pub min: i64,
}

/// Inspections a year a product class requires at least, whatever the risk level (a statutory
/// minimum, e.g. narcotic manufacturers quarterly).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Minimum {
    /// A [`ProductClass`] code.
    pub class: String,
    pub per_year: i64,
    /// Where the minimum comes from.
    pub basis: String,
}

/// Months between routine inspections per overall risk level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Intervals {
    pub high: i64,
    pub medium: i64,
    pub low: i64,
}

impl Intervals {
    pub fn months(&self, level: &str) -> i64 {
        match level {
            "high" => self.high,
            "medium" => self.medium,
            _ => self.low,
        }
    }
}

/// The whole model a bureau scores its companies with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Model {
    pub classes: Vec<ProductClass>,
    pub licenses: Vec<LicenseWeight>,
    /// Intrinsic points per site (生产、经营场所) beyond the first, up to [`Model::site_cap`].
    pub site_weight: i64,
    pub site_cap: i64,
    /// Days back the compliance history counts.
    pub window_days: i64,
    /// Days after which an open recall is overdue.
    pub recall_days: i64,
    pub compliance: ComplianceWeights,
    pub intrinsic_levels: Thresholds,
    pub compliance_levels: Thresholds,
    /// Overall level by intrinsic level (rows low, medium, high) and compliance level (columns).
    pub matrix: [[String; 3]; 3],
    pub intervals: Intervals,
    pub minimums: Vec<Minimum>,
    pub credit: Credit,
    /// Raise a risk case when a company's overall level becomes high.
    pub alert_on_high: bool,
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

impl Default for Model {
    /// The shipped default (docs/supervision-sources.md §2–3: project defaults, the class
    /// catalogues' names from the 2013 catalogues of narcotic and psychotropic drugs).
    fn default() -> Self {
        let class =
            |code: &str, name: &str, weight: i64, names: &[&str], forms: &[&str], letters: &[&str]| ProductClass {
                code: code.into(),
                name: name.into(),
                weight,
                names: strings(names),
                forms: strings(forms),
                letters: strings(letters),
            };
        Model {
            classes: vec![
                class("narcotic", "麻醉药品", 40, NARCOTICS, &[], &[]),
                class("psychotropic1", "第一类精神药品", 40, PSYCHOTROPICS_1, &[], &[]),
                class("vaccine", "疫苗", 35, &["疫苗"], &[], &[]),
                class(
                    "blood",
                    "血液制品",
                    30,
                    &["人血白蛋白", "免疫球蛋白", "凝血因子", "纤维蛋白原", "凝血酶原复合物"],
                    &[],
                    &[],
                ),
                class("biologic", "生物制品", 20, &[], &[], &["S"]),
                class("sterile", "无菌药品", 20, &["注射液", "注射用"], &["注射剂", "滴眼剂"], &[]),
            ],
            licenses: vec![
                LicenseWeight { kind: "drug_manufacturing".into(), weight: 20 },
                LicenseWeight { kind: "drug_wholesale".into(), weight: 10 },
                LicenseWeight { kind: "preparation".into(), weight: 10 },
                LicenseWeight { kind: "drug_retail".into(), weight: 5 },
            ],
            site_weight: 2,
            site_cap: 10,
            window_days: 730,
            recall_days: 30,
            compliance: ComplianceWeights {
                anomaly: 3,
                anomaly_high: 3,
                case_open: 5,
                case_measures: 10,
                case_filed: 10,
                recall_overdue: 10,
                finding_critical: defaults::finding_critical(),
                finding_major: defaults::finding_major(),
                finding_minor: defaults::finding_minor(),
                sample_failed: defaults::sample_failed(),
                penalty: defaults::penalty(),
                penalty_severe: defaults::penalty_severe(),
            },
            intrinsic_levels: Thresholds { medium: 20, high: 40 },
            compliance_levels: Thresholds { medium: 10, high: 30 },
            matrix: [
                [s("low"), s("medium"), s("high")],
                [s("medium"), s("medium"), s("high")],
                [s("medium"), s("high"), s("high")],
            ],
            intervals: Intervals { high: 6, medium: 12, low: 24 },
            minimums: vec![
                Minimum { class: "narcotic".into(), per_year: 4, basis: MINIMUM_BASIS.into() },
                Minimum { class: "psychotropic1".into(), per_year: 4, basis: MINIMUM_BASIS.into() },
            ],
            credit: Credit {
                start: 100,
                case_measures: 5,
                case_filed: 10,
                anomaly_high: 2,
                recall_overdue: 5,
                finding_critical: defaults::credit_finding_critical(),
                finding_major: defaults::credit_finding_major(),
                sample_failed: defaults::credit_sample_failed(),
                penalty: defaults::credit_penalty(),
                penalty_severe: defaults::credit_penalty_severe(),
                grades: vec![
                    Grade { grade: "A".into(), name: "守信".into(), min: 90 },
                    Grade { grade: "B".into(), name: "基本守信".into(), min: 75 },
                    Grade { grade: "C".into(), name: "失信".into(), min: 60 },
                    Grade { grade: "D".into(), name: "严重失信".into(), min: 0 },
                ],
            },
            alert_on_high: true,
        }
    }
}

fn s(v: &str) -> String {
    v.to_string()
}

/// Where the quarterly minimum for narcotic and class-I psychotropic manufacturers comes from.
pub const MINIMUM_BASIS: &str = "《药品检查管理办法（试行）》第四十二条";

/// Generic-name fragments of narcotic drugs (麻醉药品) produced or used in China, from
/// 《麻醉药品品种目录（2013年版）》 and names of the later medical-use list (docs/supervision-sources.md
/// §2a); a fragment matches every name containing it (芬太尼: 舒芬太尼 …), so a compound
/// second-class preparation containing 可待因 matches too — a bureau narrows or extends the list
/// in its model.
pub const NARCOTICS: &[&str] = &[
    "吗啡",
    "芬太尼",
    "哌替啶",
    "美沙酮",
    "羟考酮",
    "氢吗啡酮",
    "可待因",
    "布桂嗪",
    "二氢埃托啡",
    "地芬诺酯",
    "福尔可定",
    "蒂巴因",
    "罂粟壳",
    "阿片",
    "可卡因",
    "氢可酮",
    "左啡诺",
    "阿法罗定",
    "阿尼利定",
    "替利定",
    "泰吉利定",
];

/// Generic-name fragments of class-I psychotropic drugs (第一类精神药品) produced or used in
/// China, from 《精神药品品种目录（2013年版）》.
pub const PSYCHOTROPICS_1: &[&str] =
    &["哌醋甲酯", "哌甲酯", "司可巴比妥", "丁丙诺啡", "γ-羟丁酸", "氯胺酮", "马吲哚", "三唑仑", "他喷他多"];

/// Largest lists a model may hold (bounded before they are used).
const MAX_CLASSES: usize = 30;
const MAX_NAMES: usize = 500;

impl Model {
    /// Checks a model before it is stored: every number in its range, levels known, grades
    /// ordered, minimums naming classes.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let mut e = ValidationError::new();
        let range = |e: &mut ValidationError, field: &str, v: i64, lo: i64, hi: i64| {
            if v < lo || v > hi {
                e.push(field, format!("range:{lo}..{hi}"), "a number in range");
            }
        };
        if self.classes.is_empty() || self.classes.len() > MAX_CLASSES {
            e.push("classes", format!("count:1..{MAX_CLASSES}"), "the product classes");
        }
        for (i, c) in self.classes.iter().enumerate().take(MAX_CLASSES) {
            e.length(&format!("classes[{i}].code"), &c.code, 1, 40);
            e.length(&format!("classes[{i}].name"), &c.name, 1, 40);
            range(&mut e, &format!("classes[{i}].weight"), c.weight, 0, 1000);
            if c.names.len() + c.forms.len() + c.letters.len() > MAX_NAMES {
                e.push(format!("classes[{i}].names"), format!("count:0..{MAX_NAMES}"), "the names of the class");
            }
            if self.classes.iter().filter(|o| o.code == c.code).count() > 1 {
                e.push(format!("classes[{i}].code"), "unique", "a class code used once");
            }
        }
        for (i, l) in self.licenses.iter().enumerate().take(20) {
            range(&mut e, &format!("licenses[{i}].weight"), l.weight, 0, 1000);
        }
        range(&mut e, "site_weight", self.site_weight, 0, 100);
        range(&mut e, "site_cap", self.site_cap, 0, 1000);
        range(&mut e, "window_days", self.window_days, 30, 3650);
        range(&mut e, "recall_days", self.recall_days, 1, 365);
        let w = &self.compliance;
        for (f, v) in [
            ("compliance.anomaly", w.anomaly),
            ("compliance.anomaly_high", w.anomaly_high),
            ("compliance.case_open", w.case_open),
            ("compliance.case_measures", w.case_measures),
            ("compliance.case_filed", w.case_filed),
            ("compliance.recall_overdue", w.recall_overdue),
            ("compliance.finding_critical", w.finding_critical),
            ("compliance.finding_major", w.finding_major),
            ("compliance.finding_minor", w.finding_minor),
            ("compliance.sample_failed", w.sample_failed),
            ("compliance.penalty", w.penalty),
            ("compliance.penalty_severe", w.penalty_severe),
        ] {
            range(&mut e, f, v, 0, 1000);
        }
        for (f, t) in [("intrinsic_levels", self.intrinsic_levels), ("compliance_levels", self.compliance_levels)] {
            range(&mut e, &format!("{f}.medium"), t.medium, 1, 10_000);
            if t.high <= t.medium {
                e.push(format!("{f}.high"), "greater:medium", "the high threshold above the medium one");
            }
        }
        for (r, row) in self.matrix.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !LEVELS.iter().any(|(l, _)| l == v) {
                    e.push(format!("matrix[{r}][{c}]"), "one_of:low,medium,high", "a risk level");
                }
            }
        }
        for (f, v) in [
            ("intervals.high", self.intervals.high),
            ("intervals.medium", self.intervals.medium),
            ("intervals.low", self.intervals.low),
        ] {
            range(&mut e, f, v, 1, 60);
        }
        for (i, m) in self.minimums.iter().enumerate().take(MAX_CLASSES) {
            range(&mut e, &format!("minimums[{i}].per_year"), m.per_year, 1, 12);
            if !self.classes.iter().any(|c| c.code == m.class) {
                e.push(format!("minimums[{i}].class"), "exists", "a product class of the model");
            }
        }
        let c = &self.credit;
        range(&mut e, "credit.start", c.start, 1, 10_000);
        for (f, v) in [
            ("credit.case_measures", c.case_measures),
            ("credit.case_filed", c.case_filed),
            ("credit.anomaly_high", c.anomaly_high),
            ("credit.recall_overdue", c.recall_overdue),
            ("credit.finding_critical", c.finding_critical),
            ("credit.finding_major", c.finding_major),
            ("credit.sample_failed", c.sample_failed),
            ("credit.penalty", c.penalty),
            ("credit.penalty_severe", c.penalty_severe),
        ] {
            range(&mut e, f, v, 0, 1000);
        }
        if c.grades.is_empty() || c.grades.len() > 10 {
            e.push("credit.grades", "count:1..10", "the credit grades");
        }
        for (i, g) in c.grades.iter().enumerate().take(10) {
            e.length(&format!("credit.grades[{i}].grade"), &g.grade, 1, 4);
            e.length(&format!("credit.grades[{i}].name"), &g.name, 1, 20);
            if i > 0 && g.min >= c.grades[i - 1].min {
                e.push(format!("credit.grades[{i}].min"), "descending", "grades from the best down");
            }
        }
        e.into_result()
    }

    /// The class codes a product is of, in the model's order.
    pub fn classes_of(&self, p: &ProductFact) -> Vec<&ProductClass> {
        self.classes.iter().filter(|c| c.matches(p)).collect()
    }

    /// The grade of some credit points (the lowest grade when below every minimum).
    pub fn grade(&self, points: i64) -> &Grade {
        let last = self.credit.grades.len().saturating_sub(1);
        self.credit.grades.iter().find(|g| points >= g.min).unwrap_or(&self.credit.grades[last])
    }

    /// The overall level of an intrinsic and a compliance level.
    pub fn overall(&self, intrinsic: &str, compliance: &str) -> String {
        self.matrix[level_index(intrinsic)][level_index(compliance)].clone()
    }

    /// Inspections a year a company with `level` and these classes is due: the risk level's
    /// interval, raised to the classes' statutory minimum.
    pub fn per_year(&self, level: &str, classes: &[String]) -> (f64, Option<&Minimum>) {
        let by_level = 12.0 / self.intervals.months(level).max(1) as f64;
        let minimum = self.minimums.iter().filter(|m| classes.contains(&m.class)).max_by_key(|m| m.per_year);
        match minimum {
            Some(m) if m.per_year as f64 > by_level => (m.per_year as f64, Some(m)),
            _ => (by_level, None),
        }
    }
}

/// A product as the model sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductFact {
    pub id: i64,
    pub approval_number: String,
    pub generic_name: String,
    pub dosage_form: String,
    /// Whether the company makes it (manufacturer, or MAH without a manufacturer) rather than
    /// only holding it.
    pub makes: bool,
}

/// A record a factor came from: what people read and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Source {
    pub label: String,
    pub link: String,
}

/// A case about the company, as the model sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFact {
    pub id: i64,
    pub number: String,
    pub closed: bool,
    pub measures: Vec<String>,
}

/// An anomaly at one of the company's sites.
#[derive(Debug, Clone, PartialEq)]
pub struct AnomalyFact {
    pub id: i64,
    pub kind_zh: String,
    pub high: bool,
}

/// An open recall past [`Model::recall_days`].
#[derive(Debug, Clone, PartialEq)]
pub struct RecallFact {
    pub id: i64,
    pub product: String,
}

/// What the platform holds about one company, for scoring.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub products: Vec<ProductFact>,
    /// Kinds of the valid licenses it holds.
    pub licenses: Vec<String>,
    /// Its sites (the company itself and its site organizations).
    pub sites: i64,
    pub anomalies: Vec<AnomalyFact>,
    pub cases: Vec<CaseFact>,
    pub overdue_recalls: Vec<RecallFact>,
    /// Findings of its signed inspections within the window.
    pub findings: Vec<FindingFact>,
    /// Its products' batches whose sampling report was signed failing within the window.
    pub failed_samples: Vec<SampleFact>,
    /// Administrative penalties decided against it within the window.
    pub penalties: Vec<PenaltyFact>,
}

/// An administrative penalty decided (行政处罚).
#[derive(Debug, Clone, PartialEq)]
pub struct PenaltyFact {
    pub enforcement_id: i64,
    /// 决定书文号.
    pub number: String,
    /// The penalties in words.
    pub what: String,
    /// A license suspended or revoked, the business stopped, closed or restricted.
    pub severe: bool,
}

/// A failing sampled batch (抽检不合格).
#[derive(Debug, Clone, PartialEq)]
pub struct SampleFact {
    pub id: i64,
    pub number: String,
    pub product: String,
    pub batch: String,
}

/// An inspection's findings of one grade.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingFact {
    pub inspection_id: i64,
    pub number: String,
    /// `critical`, `major` or `minor`.
    pub grade: String,
    pub count: i64,
}

/// One line of a score's explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Factor {
    /// Stable code, e.g. `class:narcotic`, `anomalies`, `cases_measures`.
    pub code: String,
    /// `intrinsic`, `compliance` or `credit`.
    pub part: String,
    /// What it is, in Chinese.
    pub name: String,
    /// How many records (or 1 for a class or license held).
    pub count: i64,
    /// Points per record.
    pub weight: i64,
    /// Points it adds (intrinsic, compliance) or takes (credit).
    pub points: i64,
    /// The records, at most [`MAX_SOURCES`], with links.
    pub sources: Vec<Source>,
}

/// Records named per factor (the count says how many there are in all).
pub const MAX_SOURCES: usize = 10;

/// A company's (or product's) score with its explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Score {
    pub intrinsic: i64,
    pub compliance: i64,
    pub intrinsic_level: String,
    pub compliance_level: String,
    /// The overall level, one of [`LEVELS`]' codes.
    pub level: String,
    /// The product classes, codes.
    pub classes: Vec<String>,
    /// Credit points and grade (companies only; empty for a product).
    pub credit: i64,
    pub grade: String,
    pub factors: Vec<Factor>,
}

fn factor(code: &str, part: &str, name: &str, count: i64, weight: i64, sources: Vec<Source>) -> Factor {
    Factor {
        code: code.into(),
        part: part.into(),
        name: name.into(),
        count,
        weight,
        points: count * weight,
        sources: sources.into_iter().take(MAX_SOURCES).collect(),
    }
}

fn product_source(p: &ProductFact) -> Source {
    Source {
        label: format!("{}（{}）", p.generic_name, p.approval_number),
        link: format!("/registry/products/{}", p.id),
    }
}

fn case_source(c: &CaseFact) -> Source {
    let what = if c.closed { "已结案" } else { "办理中" };
    Source { label: format!("风险处置 {}（{what}）", c.number), link: format!("/supervision/cases/{}", c.id) }
}

/// The intrinsic factors of products: one per class any of them is in.
fn class_factors(model: &Model, products: &[&ProductFact]) -> (Vec<Factor>, Vec<String>) {
    let mut factors = Vec::new();
    let mut classes = Vec::new();
    for class in &model.classes {
        let of: Vec<&&ProductFact> = products.iter().filter(|p| class.matches(p)).collect();
        if of.is_empty() {
            continue;
        }
        classes.push(class.code.clone());
        let sources = of.iter().map(|p| product_source(p)).collect();
        let mut f = factor(&format!("class:{}", class.code), "intrinsic", &class.name, 1, class.weight, sources);
        f.count = of.len() as i64;
        f.points = class.weight;
        factors.push(f);
    }
    (factors, classes)
}

/// Scores a company: intrinsic from the classes of the products it makes, its licenses and
/// sites; compliance from its history; credit from the same history.
pub fn score_company(model: &Model, facts: &Facts) -> Score {
    let made: Vec<&ProductFact> = facts.products.iter().filter(|p| p.makes).collect();
    let (mut factors, classes) = class_factors(model, &made);
    for l in &model.licenses {
        if facts.licenses.contains(&l.kind) && l.weight > 0 {
            let name = format!("持有{}", license_zh(&l.kind));
            factors.push(factor(&format!("license:{}", l.kind), "intrinsic", &name, 1, l.weight, Vec::new()));
        }
    }
    let extra_sites = (facts.sites - 1).max(0);
    if extra_sites > 0 && model.site_weight > 0 {
        let mut f = factor("sites", "intrinsic", "多场所（首个以外）", extra_sites, model.site_weight, Vec::new());
        f.points = f.points.min(model.site_cap);
        factors.push(f);
    }
    let w = &model.compliance;
    let anomaly_sources = |high_only: bool| -> Vec<Source> {
        facts
            .anomalies
            .iter()
            .filter(|a| !high_only || a.high)
            .map(|a| Source {
                label: format!("追溯异常 #{}：{}", a.id, a.kind_zh),
                link: format!("/trace/anomalies#anomaly-{}", a.id),
            })
            .collect()
    };
    let high = facts.anomalies.iter().filter(|a| a.high).count() as i64;
    let mut push = |f: Factor| {
        if f.count > 0 {
            factors.push(f)
        }
    };
    push(factor(
        "anomalies",
        "compliance",
        "追溯异常",
        facts.anomalies.len() as i64,
        w.anomaly,
        anomaly_sources(false),
    ));
    push(factor("anomalies_high", "compliance", "其中紧急追溯异常", high, w.anomaly_high, anomaly_sources(true)));
    let open: Vec<&CaseFact> = facts.cases.iter().filter(|c| !c.closed).collect();
    let with_measures: Vec<&CaseFact> =
        facts.cases.iter().filter(|c| c.closed && c.measures.iter().any(|m| m != "none")).collect();
    let filed: Vec<&CaseFact> =
        with_measures.iter().copied().filter(|c| c.measures.iter().any(|m| m == "file_case")).collect();
    let cases = |list: &[&CaseFact]| list.iter().map(|c| case_source(c)).collect::<Vec<_>>();
    push(factor("cases_open", "compliance", "办理中的风险处置", open.len() as i64, w.case_open, cases(&open)));
    push(factor(
        "cases_measures",
        "compliance",
        "已采取处置措施的风险处置",
        with_measures.len() as i64,
        w.case_measures,
        cases(&with_measures),
    ));
    push(factor("cases_filed", "compliance", "其中已立案调查", filed.len() as i64, w.case_filed, cases(&filed)));
    let recalls: Vec<Source> = facts
        .overdue_recalls
        .iter()
        .map(|r| Source {
            label: format!("召回 #{}：{}", r.id, r.product), link: format!("/trace/recalls/{}", r.id)
        })
        .collect();
    push(factor(
        "recalls_overdue",
        "compliance",
        "逾期未完成的召回",
        recalls.len() as i64,
        w.recall_overdue,
        recalls.clone(),
    ));
    let findings = |grade: &str| -> (i64, Vec<Source>) {
        let of: Vec<&FindingFact> = facts.findings.iter().filter(|f| f.grade == grade).collect();
        let sources = of
            .iter()
            .map(|f| Source {
                label: format!("检查 {}（{} 项）", f.number, f.count),
                link: format!("/supervision/inspections/{}", f.inspection_id),
            })
            .collect();
        (of.iter().map(|f| f.count).sum(), sources)
    };
    let (critical, critical_sources) = findings("critical");
    let (major, major_sources) = findings("major");
    let (minor, minor_sources) = findings("minor");
    push(factor(
        "findings_critical",
        "compliance",
        "检查发现严重缺陷",
        critical,
        w.finding_critical,
        critical_sources.clone(),
    ));
    push(factor("findings_major", "compliance", "检查发现主要缺陷", major, w.finding_major, major_sources.clone()));
    push(factor("findings_minor", "compliance", "检查发现一般缺陷", minor, w.finding_minor, minor_sources));
    let samples: Vec<Source> = facts
        .failed_samples
        .iter()
        .map(|f| Source {
            label: format!("抽检 {}：{} 批号 {}", f.number, f.product, f.batch),
            link: format!("/supervision/samples/{}", f.id),
        })
        .collect();
    let failed = samples.len() as i64;
    push(factor("samples_failed", "compliance", "抽检不合格批次", failed, w.sample_failed, samples.clone()));
    let penalties = |severe_only: bool| -> Vec<Source> {
        facts
            .penalties
            .iter()
            .filter(|f| !severe_only || f.severe)
            .map(|f| Source {
                label: format!("行政处罚 {}：{}", f.number, f.what),
                link: format!("/supervision/enforcements/{}", f.enforcement_id),
            })
            .collect()
    };
    let (all_penalties, severe_penalties) = (penalties(false), penalties(true));
    let (np, ns) = (all_penalties.len() as i64, severe_penalties.len() as i64);
    push(factor("penalties", "compliance", "行政处罚", np, w.penalty, all_penalties.clone()));
    push(factor("penalties_severe", "compliance", "严重行政处罚", ns, w.penalty_severe, severe_penalties.clone()));
    let c = &model.credit;
    push(factor(
        "credit:findings_critical",
        "credit",
        "检查发现严重缺陷",
        critical,
        c.finding_critical,
        critical_sources,
    ));
    push(factor("credit:findings_major", "credit", "检查发现主要缺陷", major, c.finding_major, major_sources));
    push(factor("credit:samples_failed", "credit", "抽检不合格批次", failed, c.sample_failed, samples));
    push(factor("credit:penalties", "credit", "行政处罚", np, c.penalty, all_penalties));
    push(factor("credit:penalties_severe", "credit", "严重行政处罚", ns, c.penalty_severe, severe_penalties));
    push(factor(
        "credit:cases_measures",
        "credit",
        "风险处置采取措施",
        with_measures.len() as i64,
        c.case_measures,
        cases(&with_measures),
    ));
    push(factor("credit:cases_filed", "credit", "风险处置立案调查", filed.len() as i64, c.case_filed, cases(&filed)));
    push(factor("credit:anomalies_high", "credit", "紧急追溯异常", high, c.anomaly_high, anomaly_sources(true)));
    push(factor(
        "credit:recalls_overdue",
        "credit",
        "逾期未完成的召回",
        recalls.len() as i64,
        c.recall_overdue,
        recalls,
    ));
    finish(model, factors, classes, true)
}

/// Scores a product: intrinsic from its classes, compliance from its overdue recalls.
pub fn score_product(model: &Model, product: &ProductFact, overdue_recalls: &[RecallFact]) -> Score {
    let (mut factors, classes) = class_factors(model, &[product]);
    let recalls: Vec<Source> = overdue_recalls
        .iter()
        .map(|r| Source { label: format!("召回 #{}", r.id), link: format!("/trace/recalls/{}", r.id) })
        .collect();
    if !recalls.is_empty() {
        let n = recalls.len() as i64;
        factors.push(factor(
            "recalls_overdue",
            "compliance",
            "逾期未完成的召回",
            n,
            model.compliance.recall_overdue,
            recalls,
        ));
    }
    finish(model, factors, classes, false)
}

fn finish(model: &Model, factors: Vec<Factor>, classes: Vec<String>, credit: bool) -> Score {
    let sum = |part: &str| factors.iter().filter(|f| f.part == part).map(|f| f.points).sum::<i64>();
    let (intrinsic, compliance) = (sum("intrinsic"), sum("compliance"));
    let intrinsic_level = model.intrinsic_levels.level(intrinsic).to_string();
    let compliance_level = model.compliance_levels.level(compliance).to_string();
    let level = model.overall(&intrinsic_level, &compliance_level);
    let (points, grade) = if credit {
        let p = model.credit.start - sum("credit");
        (p, model.grade(p).grade.clone())
    } else {
        (0, String::new())
    };
    Score { intrinsic, compliance, intrinsic_level, compliance_level, level, classes, credit: points, grade, factors }
}

/// A license kind's Chinese name.
pub fn license_zh(kind: &str) -> &'static str {
    match kind {
        "drug_manufacturing" => "药品生产许可证",
        "drug_wholesale" => "药品经营许可证（批发）",
        "drug_retail" => "药品经营许可证（零售）",
        "preparation" => "医疗机构制剂许可证",
        _ => "许可证",
    }
}

/// Why a score changed, in Chinese: the level, the grade and each factor whose points moved,
/// after the trigger (e.g. "风险处置 FX-2026-00003 结案").
pub fn why(before: Option<&Score>, after: &Score, trigger: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !trigger.is_empty() {
        parts.push(trigger.to_string());
    }
    let Some(b) = before else {
        parts.push(format!("首次评分：{}，信用 {}", level_zh(&after.level), after.grade));
        return parts.join("；");
    };
    if b.level != after.level {
        parts.push(format!("风险等级 {} → {}", level_zh(&b.level), level_zh(&after.level)));
    }
    if b.grade != after.grade {
        parts.push(format!("信用等级 {} → {}", b.grade, after.grade));
    }
    let points = |s: &Score, code: &str| s.factors.iter().find(|f| f.code == code).map(|f| (f.count, f.points));
    let mut codes: Vec<&Factor> = after.factors.iter().collect();
    codes.extend(b.factors.iter().filter(|f| !after.factors.iter().any(|a| a.code == f.code)));
    for f in codes {
        let (was, now) = (points(b, &f.code), points(after, &f.code));
        if was != now {
            let (wc, wp) = was.unwrap_or((0, 0));
            let (nc, np) = now.unwrap_or((0, 0));
            let part = match f.part.as_str() {
                "credit" => "信用扣分",
                "intrinsic" => "固有风险",
                _ => "合规风险",
            };
            parts.push(format!("{part}·{} {wc}→{nc}（{wp}→{np} 分）", f.name));
        }
    }
    if parts.is_empty() {
        parts.push("评分未变".into());
    }
    parts.join("；")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(id: i64, name: &str, form: &str, number: &str) -> ProductFact {
        ProductFact {
            id,
            approval_number: number.into(),
            generic_name: name.into(),
            dosage_form: form.into(),
            makes: true,
        }
    }

    #[test]
    fn the_default_model_is_valid_and_a_broken_one_names_its_field() {
        Model::default().validate().unwrap();
        let mut m = Model::default();
        m.intrinsic_levels.high = 5;
        m.matrix[1][2] = "severe".into();
        m.minimums.push(Minimum { class: "nothing".into(), per_year: 2, basis: String::new() });
        m.credit.grades.swap(0, 1);
        let e = m.validate().unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|f| f.field.as_str()).collect();
        assert!(fields.contains(&"intrinsic_levels.high"), "{fields:?}");
        assert!(fields.contains(&"matrix[1][2]"), "{fields:?}");
        assert!(fields.contains(&"minimums[2].class"), "{fields:?}");
        assert!(fields.contains(&"credit.grades[1].min"), "{fields:?}");
    }

    #[test]
    fn a_narcotic_manufacturer_is_high_intrinsic_and_due_quarterly() {
        let m = Model::default();
        let facts = Facts {
            products: vec![product(1, "盐酸吗啡注射液", "注射剂", "国药准字H20000001")],
            licenses: vec!["drug_manufacturing".into()],
            sites: 1,
            ..Facts::default()
        };
        let s = score_company(&m, &facts);
        // 麻醉药品 40 + 无菌药品 20 + 生产许可 20.
        assert_eq!(s.intrinsic, 80);
        assert_eq!(s.intrinsic_level, "high");
        assert_eq!(s.compliance_level, "low");
        assert_eq!(s.level, "medium");
        assert_eq!(s.classes, vec!["narcotic".to_string(), "sterile".to_string()]);
        let (n, minimum) = m.per_year(&s.level, &s.classes);
        assert_eq!(n, 4.0);
        assert_eq!(minimum.map(|x| x.basis.as_str()), Some(MINIMUM_BASIS));
        assert_eq!(s.credit, 100);
        assert_eq!(s.grade, "A");
    }

    #[test]
    fn a_closed_case_with_measures_moves_score_and_grade_and_is_named() {
        let m = Model::default();
        let mut facts = Facts { licenses: vec!["drug_wholesale".into()], sites: 3, ..Facts::default() };
        facts.cases.push(CaseFact { id: 7, number: "FX-2026-00007".into(), closed: false, measures: vec![] });
        let before = score_company(&m, &facts);
        assert_eq!((before.intrinsic, before.compliance), (14, 5));
        assert_eq!(before.grade, "A");
        facts.cases[0] = CaseFact {
            id: 7,
            number: "FX-2026-00007".into(),
            closed: true,
            measures: vec!["file_case".into(), "rectify".into()],
        };
        let after = score_company(&m, &facts);
        assert_eq!(after.compliance, 20);
        assert_eq!(after.compliance_level, "medium");
        assert_eq!(after.credit, 85);
        assert_eq!(after.grade, "B");
        let named = after.factors.iter().find(|f| f.code == "cases_measures").unwrap();
        assert_eq!(named.sources[0].link, "/supervision/cases/7");
        assert!(named.sources[0].label.contains("FX-2026-00007"));
        let text = why(Some(&before), &after, "风险处置 FX-2026-00007 结案");
        assert!(text.starts_with("风险处置 FX-2026-00007 结案；"), "{text}");
        assert!(text.contains("信用等级 A → B"), "{text}");
        assert!(text.contains("办理中的风险处置 1→0"), "{text}");
    }

    #[test]
    fn a_case_found_nothing_costs_no_credit() {
        let m = Model::default();
        let facts = Facts {
            cases: vec![CaseFact { id: 1, number: "FX-1".into(), closed: true, measures: vec!["none".into()] }],
            ..Facts::default()
        };
        let s = score_company(&m, &facts);
        assert_eq!((s.compliance, s.credit), (0, 100));
        assert!(s.factors.is_empty());
    }

    #[test]
    fn the_site_factor_is_capped_and_classes_match_by_letter_and_form() {
        let m = Model::default();
        let facts = Facts {
            products: vec![
                product(1, "人用狂犬病疫苗（Vero细胞）", "注射剂", "国药准字S20000002"),
                product(2, "阿莫西林胶囊", "胶囊剂", "国药准字H20000003"),
            ],
            sites: 30,
            ..Facts::default()
        };
        let s = score_company(&m, &facts);
        let sites = s.factors.iter().find(|f| f.code == "sites").unwrap();
        assert_eq!((sites.count, sites.points), (29, 10));
        assert_eq!(s.classes, vec!["vaccine".to_string(), "biologic".to_string(), "sterile".to_string()]);
        let product = score_product(&m, &facts.products[1], &[]);
        assert!(product.classes.is_empty());
        assert_eq!(product.level, "low");
    }

    #[test]
    fn credit_below_every_minimum_is_the_lowest_grade() {
        let m = Model::default();
        assert_eq!(m.grade(-500).grade, "D");
        assert_eq!(m.grade(90).grade, "A");
        assert_eq!(m.grade(89).grade, "B");
    }
}
