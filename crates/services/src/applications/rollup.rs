//! The rollup of applications that a bureau's figures sum (`application_rollup`, migration
//! 0021): 办件统计 and the 工作台's trends read groups of applications keyed by the values the
//! figures need, instead of every application in the bureau's scope.
//!
//! An application moves between groups as it is written: its group is read before the row
//! changes and again after, and when they differ [`shift`] takes it out of the one and puts it
//! in the other, in the same transaction — after the step's ledger entry, whose lock on the
//! ledger head every write takes first, so that two steps never wait on each other's rollup
//! rows in opposite orders. The rollup always equals a GROUP BY over `applications` (a test
//! checks that on both backends); a group that should hold the application and does not is
//! refused as corruption, never counted below zero.

use super::*;

/// The applications that count as open (submitted, in 补正, under review).
pub(super) const OPEN: &str = "('submitted', 'correction', 'accepted')";

/// An application's group in the rollup (its key) and what it adds to the group's sums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Group {
    region: i64,
    sday: i64,
    dday: i64,
    type_code: String,
    accepted_on: String,
    limit_days: i64,
    is_open: i64,
    paused: i64,
    auto: i64,
}

/// An application's group key as SQL over `applications a`, in the order the rollup's readers
/// take it: type, day submitted, day decided (-1 while undecided), day accepted ('' before 受理),
/// time limit, open (1 or 0). The region is the applicant's `o.parent_id`. The one definition
/// of the key: [`group_of`] and a company's own statistics group by it, and migration 0021's
/// backfill writes the same expressions.
pub(super) fn key_sql() -> String {
    use yaolian_core::time::{CHINA_MS, DAY_MS};
    format!(
        "a.type_code, (a.submitted_at + {CHINA_MS}) / {DAY_MS}, COALESCE((a.decided_at + {CHINA_MS}) / {DAY_MS}, -1), \
         COALESCE(a.accepted_on, ''), CAST(a.limit_days AS BIGINT), \
         CAST(CASE WHEN a.status IN {OPEN} THEN 1 ELSE 0 END AS BIGINT)"
    )
}

/// The group of application `id` as its row now reads.
pub(super) async fn group_of(tx: &mut Tx<'_>, id: i64) -> Result<Group> {
    let r = sqlx::query(&format!(
        "SELECT o.parent_id, {}, CAST(a.paused_days AS BIGINT), CAST(a.auto_decided AS BIGINT) \
         FROM applications a JOIN orgs o ON o.id = a.applicant_org_id WHERE a.id = $1",
        key_sql()
    ))
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Group {
        region: r.try_get(0)?,
        type_code: r.try_get(1)?,
        sday: r.try_get(2)?,
        dday: r.try_get(3)?,
        accepted_on: r.try_get(4)?,
        limit_days: r.try_get(5)?,
        is_open: r.try_get(6)?,
        paused: r.try_get(7)?,
        auto: r.try_get(8)?,
    })
}

const KEY: &str = "region_org_id = $1 AND sday = $2 AND dday = $3 AND type_code = $4 AND accepted_on = $5 \
     AND limit_days = $6 AND is_open = $7";

/// Moves an application from group `before` (`None`: a new application) to `after`. Call it
/// after the step's ledger entry (see the module documentation).
pub(super) async fn shift(tx: &mut Tx<'_>, before: Option<&Group>, after: &Group) -> Result<()> {
    if before == Some(after) {
        return Ok(());
    }
    if let Some(g) = before {
        let done = bind_key(
            sqlx::query(&format!(
                "UPDATE application_rollup SET n = n - 1, paused = paused - $8, auto = auto - $9 WHERE {KEY} AND n > 0"
            )),
            g,
        )
        .bind(g.paused)
        .bind(g.auto)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(ServiceError::Shared(
                yaolian_store::StoreError::Corrupt(
                    "application_rollup lacks the group of an application being moved; rebuild it from applications"
                        .into(),
                )
                .into(),
            ));
        }
        bind_key(sqlx::query(&format!("DELETE FROM application_rollup WHERE {KEY} AND n = 0")), g)
            .execute(&mut **tx)
            .await?;
    }
    bind_key(
        sqlx::query(
            "INSERT INTO application_rollup \
           (region_org_id, sday, dday, type_code, accepted_on, limit_days, is_open, n, paused, auto) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9) \
         ON CONFLICT (region_org_id, sday, dday, type_code, accepted_on, limit_days, is_open) DO UPDATE SET \
           n = application_rollup.n + 1, paused = application_rollup.paused + excluded.paused, \
           auto = application_rollup.auto + excluded.auto",
        ),
        after,
    )
    .bind(after.paused)
    .bind(after.auto)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Binds a group's key as `$1`…`$7`.
fn bind_key<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    g: &'q Group,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    q.bind(g.region)
        .bind(g.sday)
        .bind(g.dday)
        .bind(g.type_code.as_str())
        .bind(g.accepted_on.as_str())
        .bind(g.limit_days)
        .bind(g.is_open)
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
