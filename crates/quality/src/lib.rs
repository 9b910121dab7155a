//! The company's quality system (质量体系), first part: deviations (偏差, China GMP 2010
//! §247–251) and corrective and preventive actions (CAPA, 纠正措施和预防措施, §252–254; ICH
//! Q10 §3.2.2: "the effectiveness of the actions should be evaluated").
//!
//! - `deviations`: reported by hand or opened automatically from an out-of-specification result
//!   (OOS); classified with the reasoning under the configured scheme (GMP §249's 重大 / 次要,
//!   or critical / major / minor); investigated (five whys, the fishbone category 人机料法环测,
//!   root cause, impact); a deadline (30 days by default) that QA may extend with a reason;
//!   approved and closed by QA under an electronic signature, a major one only with its CAPA.
//! - `capa`: actions with owners and due dates, each done with its evidence; closed by QA under
//!   a signature once every action is done, which schedules the effectiveness check (90 days by
//!   default); a failed check reopens the CAPA for new actions.
//!
//! - `documents`: controlled documents (受控文件) — revisions drafted with their file (SM3),
//!   reviewed, approved under a signature with an effective date; the effective revision
//!   supersedes the earlier ones; a revision is effective for a person only after their training.
//!
//! Every change is a versioned, ledgered record with the row's after-image (`qa_deviation`,
//! `qa_capa`); each module's `drifts` compares the rows with the ledger. Like every domain crate,
//! each public function takes the acting `Principal` and checks permission and scope itself.

pub mod capa;
pub mod changes;
pub mod deviations;
pub mod documents;
pub mod error;
pub mod labels;

pub use error::QualityError;

/// The quality system's settings.
#[derive(Debug, Clone)]
pub struct QualityConfig {
    /// Deviation classes (分级) allowed, most severe first: `major`, `minor` (China GMP §249)
    /// by default; `critical`, `major`, `minor` is the other common scheme.
    pub classes: Vec<String>,
    /// Classes whose deviation closes only with a CAPA.
    pub needs_capa: Vec<String>,
    /// Days from the report to the deviation's deadline.
    pub deviation_days: i64,
    /// Days from a CAPA's closure to its effectiveness check.
    pub effectiveness_days: i64,
    /// A change's FMEA risk priority number (RPN) from which its risk is high (and the change
    /// major, its failure modes needing controls) ...
    pub rpn_high: i64,
    /// ... and from which it is medium.
    pub rpn_medium: i64,
    /// Acceptable batches to evaluate after a material or process change before it closes.
    pub first_batches: i64,
}

impl Default for QualityConfig {
    fn default() -> Self {
        QualityConfig {
            classes: vec!["major".into(), "minor".into()],
            needs_capa: vec!["critical".into(), "major".into()],
            deviation_days: 30,
            effectiveness_days: 90,
            rpn_high: 100,
            rpn_medium: 50,
            first_batches: 3,
        }
    }
}

/// The Chinese name of a deviation class.
pub fn class_zh(code: &str) -> Option<&'static str> {
    Some(match code {
        "critical" => "关键",
        "major" => "重大",
        "minor" => "次要",
        _ => return None,
    })
}

/// Fishbone (Ishikawa) cause categories, 人机料法环测 (6M), code and Chinese name.
pub const CAUSES: &[(&str, &str)] = &[
    ("man", "人"),
    ("machine", "机"),
    ("material", "料"),
    ("method", "法"),
    ("environment", "环"),
    ("measurement", "测"),
];

pub(crate) fn today() -> i64 {
    yaolian_core::Timestamp::now().china_day_number()
}

/// A YYYY-MM-DD date as a China day number, or the field's error.
pub(crate) fn day_of(errors: &mut yaolian_core::ValidationError, field: &str, text: &str) -> Option<i64> {
    match chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        Ok(d) => Some(yaolian_core::time::day_number(d)),
        Err(_) => {
            errors.push(field, "date", "a date as YYYY-MM-DD");
            None
        }
    }
}

/// One step of a quality record (`yaolian_records::step::Step`).
pub(crate) use yaolian_records::step::Step;

/// Versions the step and records its audit event, in `tx` (`yaolian_records::step::record`).
pub(crate) async fn record_step(
    tx: &mut yaolian_store::Tx<'_>,
    principal: &yaolian_access::Principal,
    step: Step<'_>,
    client: &yaolian_access::ClientInfo,
) -> error::Result<yaolian_store::RecordVersion> {
    Ok(yaolian_records::step::record(tx, principal, step, client).await?)
}

/// The row `sql` selects for `id` (its columns include `o.path AS org_path`), if the principal
/// may read it (`quality.read` in the record's organization); not found otherwise, the refusal
/// audited as `{entity}:{id}`.
pub(crate) async fn readable_row(
    store: &yaolian_store::Store,
    principal: &yaolian_access::Principal,
    sql: &str,
    id: i64,
    what: (&str, &'static str),
    client: &yaolian_access::ClientInfo,
) -> error::Result<sqlx::any::AnyRow> {
    let permission = yaolian_access::perm::QUALITY_READ;
    Ok(yaolian_identity::readable::row(store, principal, permission, sql, id, what, client).await?)
}

/// One page of a quality list in the principal's `quality.read` scope (see
/// `yaolian_identity::readable::page`).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn readable_page(
    store: &yaolian_store::Store,
    principal: &yaolian_access::Principal,
    table: &str,
    shape: (&str, &str, &str),
    narrow: impl FnOnce(&mut yaolian_store::sql::Params) -> Option<String>,
    limit: i64,
    offset: i64,
    client: &yaolian_access::ClientInfo,
) -> error::Result<(Vec<sqlx::any::AnyRow>, i64)> {
    let permission = yaolian_access::perm::QUALITY_READ;
    let page =
        yaolian_identity::readable::page(store, principal, permission, table, shape, narrow, limit, offset, client);
    Ok(page.await?)
}
