//! Verification before dispensing (发药前核验) and the consumer lookup (扫码查询): one scan in,
//! the pack's product, batch, expiry, state and alerts out, with reason codes in the manner of
//! the EU medicines verification system (EMVS/NMVS return codes) so that pharmacy software that
//! already speaks them can map ours.

use serde::Serialize;
use sqlx::Row;
use yaolian_core::Timestamp;
use yaolian_store::Store;

use crate::codes::{epc, Code};
use crate::query::{self, CodeView};
use crate::resolve::{self, ResolveError};
use crate::TraceError;

/// Why a pack must not be dispensed, or what to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// Stable code: NMVS return codes where the EU system has one, ours otherwise.
    pub code: &'static str,
    pub message_zh: String,
    pub message_en: String,
}

fn reason(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Reason {
    Reason { code, message_zh: zh.into(), message_en: en.into() }
}

/// The answer to one scan.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub input: String,
    /// The code reads and is known.
    pub valid: bool,
    /// Valid, active (not sold, destroyed, recalled or expired) and without alerts.
    pub dispensable: bool,
    pub code: Option<CodeView>,
    pub recalled: bool,
    pub expired: bool,
    pub reasons: Vec<Reason>,
    /// Open anomalies on this pack (kinds).
    pub alerts: Vec<String>,
}

/// Verification before dispensing (发药前核验) for a reader of trace data (`trace.read`).
pub async fn before_dispensing(
    store: &Store,
    principal: &yaolian_access::Principal,
    input: &str,
    client: &yaolian_access::ClientInfo,
) -> Result<Verification, TraceError> {
    crate::access::may_read(store, principal, "trace.verify", client).await?;
    verify(store, input, Timestamp::now().china_date()).await
}

/// The longest input the public lookup reads.
pub const MAX_LOOKUP_INPUT: usize = 200;

/// The public consumer lookup (扫码查药), no login: the pack's verification with nothing of
/// the supply chain (no holder, no case or pallet).
pub async fn consumer_lookup(store: &Store, input: &str) -> Result<Verification, TraceError> {
    if input.len() > MAX_LOOKUP_INPUT {
        return Err(TraceError::not_found("code"));
    }
    let mut v = verify(store, input, Timestamp::now().china_date()).await?;
    if let Some(c) = v.code.as_mut() {
        c.holder = None;
        c.holder_name = None;
        c.parent = None;
    }
    Ok(v)
}

/// Verifies a scan (any form `codes::Code` reads) on `today` (China date), for whoever may ask
/// (the callers above decide).
pub async fn verify(store: &Store, input: &str, today: chrono::NaiveDate) -> Result<Verification, TraceError> {
    let mut v = Verification {
        input: input.trim().to_string(),
        valid: false,
        dispensable: false,
        code: None,
        recalled: false,
        expired: false,
        reasons: Vec::new(),
        alerts: Vec::new(),
    };
    let scanned = match Code::parse(input, today) {
        Ok(c) => c,
        Err(e) => {
            v.reasons.push(reason("FORMAT", format!("码格式错误：{e}"), format!("code does not read: {e}")));
            return Ok(v);
        }
    };
    let key = match &scanned {
        Code::Nmpa(n) => format!("nmpa/{}", n.code),
        Code::Gs1(g) => epc::gs1_key(g).unwrap_or_default(),
    };
    let Some(code) = query::code(store, &key).await? else {
        match resolve::product_of(store, &scanned).await {
            Err(ResolveError::Code(e)) => {
                v.reasons.push(reason("NMVS_NC_PC_01", format!("未知产品：{e}"), format!("unknown product code: {e}")))
            }
            Err(ResolveError::Store(e)) => return Err(e.into()),
            Ok(_) => {
                v.reasons.push(reason("NMVS_NC_PC_02", "未知序列号：该码未赋码上传", "unknown pack serial number"))
            }
        }
        return Ok(v);
    };
    v.valid = true;
    if let Code::Gs1(g) = &scanned {
        if let (Some(scan), Some(known)) = (&g.batch, &code.batch) {
            if scan != known {
                v.reasons.push(reason(
                    "NMVS_FE_LOT_13",
                    format!("批号不符：码上 {scan}，追溯记录 {known}"),
                    format!("batch mismatch: scanned {scan}, recorded {known}"),
                ));
            }
        }
        if let (Some(scan), Some(known)) = (g.expiry, &code.expiry) {
            if scan.format("%Y-%m-%d").to_string() != *known {
                v.reasons.push(reason(
                    "NMVS_FE_LOT_12",
                    format!("有效期不符：码上 {scan}，追溯记录 {known}"),
                    format!("expiry mismatch: scanned {scan}, recorded {known}"),
                ));
            }
        }
    }
    if matches!(code.state.as_str(), "sold" | "dispensed" | "destroyed" | "returned") {
        let zh = crate::ingest::STATES.iter().find(|s| s.0 == code.state).map_or("", |s| s.1);
        v.reasons.push(reason(
            "NMVS_NC_PCK_22",
            format!("该药品已失效（{zh}），不得再次销售或调配"),
            format!("pack is already inactive ({})", code.state),
        ));
    }
    if let Some(x) = &code.expiry {
        if x.as_str() < today.format("%Y-%m-%d").to_string().as_str() {
            v.expired = true;
            v.reasons.push(reason("EXPIRED", format!("已过有效期 {x}"), format!("expired on {x}")));
        }
    }
    let recall_possible = code.open_recalls_of_product > 0;
    if let (Some(product_id), Some(batch), true) = (code.product_id, &code.batch, recall_possible) {
        let rows = sqlx::query("SELECT id, batches FROM trace_recalls WHERE product_id = $1 AND status = 'open'")
            .bind(product_id)
            .fetch_all(store.pool())
            .await?;
        for r in rows {
            let batches: String = r.try_get(1)?;
            if batches.split(',').any(|b| b == batch) {
                let id: i64 = r.try_get(0)?;
                v.recalled = true;
                v.reasons.push(reason(
                    "RECALLED",
                    format!("该批次正在召回（召回 #{id}），请停止销售并退回"),
                    format!("batch under recall #{id}"),
                ));
            }
        }
    }
    if code.open_anomalies > 0 {
        let rows =
            sqlx::query("SELECT DISTINCT kind FROM trace_anomalies WHERE epc = $1 AND status = 'open' ORDER BY kind")
                .bind(&key)
                .fetch_all(store.pool())
                .await?;
        for r in rows {
            v.alerts.push(r.try_get(0)?);
        }
    }
    v.dispensable = v.reasons.is_empty() && v.alerts.is_empty();
    v.code = Some(code);
    Ok(v)
}
