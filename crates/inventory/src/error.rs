//! The inventory's errors, each with a stable `code()` that the web layer maps to a status and
//! a problem document (never by matching a message).

use thiserror::Error;
use yaolian_identity::IdentityError;

#[derive(Debug, Error)]
pub enum InventoryError {
    /// The refusals every domain shares: validation, permission, not found, conflict, storage.
    #[error(transparent)]
    Shared(#[from] IdentityError),
    /// An expired lot is blocked (过期批次不得发放).
    #[error("lot {lot_no} expired on {expired_on} and cannot be issued")]
    Expired { lot_no: String, expired_on: String },
    /// Less in stock than asked for; stock never goes below zero.
    #[error("only {available} {unit} of {item} in stock, {wanted} {unit} asked for")]
    Insufficient { item: String, wanted: String, available: String, unit: String },
    /// The lot is closed (disposed of): nothing moves in or out of it any more.
    #[error("lot {lot_no} is disposed of")]
    LotClosed { lot_no: String },
    /// A count's adjustment of this lot already waits for a decision.
    #[error("adjustment {id} of this lot awaits approval")]
    AdjustmentWaiting { id: i64 },
    /// The adjustment was decided already.
    #[error("adjustment {id} is decided already ({status})")]
    AdjustmentDecided { id: i64, status: String },
}

impl InventoryError {
    /// Stable code for API clients (problem+json `code`).
    pub fn code(&self) -> &'static str {
        match self {
            InventoryError::Shared(e) => e.code(),
            InventoryError::Expired { .. } => "lot_expired",
            InventoryError::Insufficient { .. } => "insufficient_stock",
            InventoryError::LotClosed { .. }
            | InventoryError::AdjustmentWaiting { .. }
            | InventoryError::AdjustmentDecided { .. } => "inventory_state",
        }
    }

    /// The refusal in Chinese, for pages (`None` for the shared refusals, which pages say by
    /// field and rule).
    pub fn zh(&self) -> Option<String> {
        Some(match self {
            InventoryError::Shared(_) => return None,
            InventoryError::Expired { lot_no, expired_on } => {
                format!("批次 {lot_no} 已于 {expired_on} 过期，不得发放，请按报废处理")
            }
            InventoryError::Insufficient { item, wanted, available, unit } => {
                format!("{item}可用库存只有 {available} {unit}，不足本次的 {wanted} {unit}")
            }
            InventoryError::LotClosed { lot_no } => format!("批次 {lot_no} 已报废，不能再出入库或盘点"),
            InventoryError::AdjustmentWaiting { .. } => "该批次已有一笔盘点调整等待审批，请先审批再盘点".into(),
            InventoryError::AdjustmentDecided { .. } => "这笔调整已经审批过了".into(),
        })
    }
}

yaolian_identity::domain_error!(InventoryError);

pub type Result<T, E = InventoryError> = std::result::Result<T, E>;
