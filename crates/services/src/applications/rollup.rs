//! The rollup of applications that a bureau's figures sum (`application_rollup`, migration
//! 0021): 办件统计 and the 工作台's trends read groups of applications keyed by the values the
//! figures need, instead of every application in the bureau's scope.
//!
//! An application moves between groups as it is written: [`shift`] takes it out of its group
//! before the row changes and puts it in its new group after, in the same transaction, so the
//! rollup always equals a GROUP BY over `applications` (a store test checks that on both
//! backends).

use super::*;

/// The applications that count as open (submitted, in 补正, under review).
pub(super) const OPEN: &str = "('submitted', 'correction', 'accepted')";

/// Adds (`sign` = 1) or removes (`sign` = -1) application `id`, as its row now reads, to or
/// from its group; a group that holds nothing any more is deleted.
pub(super) async fn shift(tx: &mut Tx<'_>, id: i64, sign: i64) -> Result<()> {
    let group = format!(
        "SELECT o.parent_id, (a.submitted_at + {CHINA_MS}) / {DAY_MS}, \
           COALESCE((a.decided_at + {CHINA_MS}) / {DAY_MS}, -1), a.type_code, COALESCE(a.accepted_on, ''), \
           a.limit_days, CASE WHEN a.status IN {OPEN} THEN 1 ELSE 0 END",
        CHINA_MS = yaolian_core::time::CHINA_MS,
        DAY_MS = yaolian_core::time::DAY_MS,
    );
    let key = "region_org_id, sday, dday, type_code, accepted_on, limit_days, is_open";
    let from = "FROM applications a JOIN orgs o ON o.id = a.applicant_org_id WHERE a.id = $1";
    sqlx::query(&format!(
        "INSERT INTO application_rollup ({key}, n, paused, auto) \
         {group}, $2, $2 * a.paused_days, $2 * a.auto_decided {from} \
         ON CONFLICT ({key}) DO UPDATE SET n = application_rollup.n + excluded.n, \
           paused = application_rollup.paused + excluded.paused, auto = application_rollup.auto + excluded.auto"
    ))
    .bind(id)
    .bind(sign)
    .execute(&mut **tx)
    .await?;
    if sign < 0 {
        sqlx::query(&format!("DELETE FROM application_rollup WHERE n = 0 AND ({key}) IN ({group} {from})"))
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The condition on the region (`o`, the applicant's parent organization) of a rollup row for a
/// bureau whose widest scope over `permissions` is 本单位及下级 or 全部: a company is in that
/// scope exactly when its parent is. A bureau whose scope is 本单位 alone holds no applicant (an
/// applicant is a company), so its condition holds for no row. `None` for a company, whose
/// figures come from its own applications, or for a bureau without the permissions.
pub(super) fn region_filter(principal: &Principal, permissions: &[&str], p: &mut Params) -> Option<String> {
    if !principal.org_kind().is_regulator() {
        return None;
    }
    match permissions.iter().filter_map(|perm| principal.scope_for(perm)).max()? {
        yaolian_access::Scope::Own => Some("1 = 0".into()),
        _ => yaolian_access::scope_filter_any(principal, permissions, p),
    }
}
