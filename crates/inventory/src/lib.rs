//! Reagent, standard and material inventory (试剂、标准品与物料库存) of a company's
//! stockrooms, where the ledger is the stock.
//!
//! - `items`: what is kept — names in Chinese and English, synonyms, CAS number (check digit
//!   verified), formula, GHS pictograms and H/P statements, storage, the control class of
//!   剧毒 / 易制毒 / 易制爆 chemicals, and a requisition limit per request. Found by any name,
//!   a part of one, the CAS number or the formula (`search`).
//! - `stock`: lots (批次) and their movements. Every receipt, issue, return, adjustment and
//!   disposal is a movement, versioned and ledgered with the lot's after-image; a lot's quantity
//!   on hand is the sum of its posted movements and never negative. Issues go earliest expiry
//!   first (FEFO, 近效期先出, China GMP 2010 Art. 108); expired lots cannot be issued; a count
//!   that differs from the stock creates an adjustment that waits for someone else's approval;
//!   a controlled chemical moves only under two signatures (双人收发、双人保管,
//!   《危险化学品安全管理条例》 Art. 24).
//!
//! `qty` and `search` are pure (no I/O). Like every domain crate, each public function takes
//! the acting `Principal`, checks permission and data scope itself and audits a refusal.

pub mod error;
pub mod items;
pub mod labels;
pub mod qty;
pub mod search;
pub mod stock;

pub use error::InventoryError;

/// What an inventory function needs besides the store: the identity settings that signing
/// (re-authentication, lockout) follows.
pub use yaolian_identity::IdentityConfig;
