//! The laboratory's errors, each with a stable `code()` that the web layer maps to a status and a
//! problem document.

use thiserror::Error;
use yaolian_identity::IdentityError;

#[derive(Debug, Error)]
pub enum LabError {
    /// The refusals every domain shares: validation, permission, not found, conflict, storage.
    #[error(transparent)]
    Shared(#[from] IdentityError),
    /// An instrument not in calibration (never calibrated, due date passed, or out of service
    /// after a failed calibration) cannot be used or selected.
    #[error("instrument {code} is not in calibration ({state})")]
    OutOfCalibration { code: String, state: &'static str, due: Option<String> },
    /// An idempotency key delivered before with other content.
    #[error("idempotency key {key} was used before for another result")]
    KeyReused { key: String },
    /// A template version that is approved or superseded (in use) is never edited.
    #[error("template {code} version {number} is {status} and cannot be edited; draft a new version")]
    TemplateLocked { code: String, number: i64, status: String, records: i64 },
    /// Only an approved, current template version makes new records.
    #[error("template {code} version {number} is {status}, not approved for use")]
    TemplateNotApproved { code: String, number: i64, status: String },
    /// A step that must be someone else's: approving one's own template or record, reviewing
    /// one's own record, approving a record one reviewed.
    #[error("the same person cannot {step}")]
    SamePerson { step: &'static str },
    /// A record or project step in the wrong state (submitting an approved record, approving a
    /// draft, adding a task to a closed project …).
    #[error("{number} is {status}: cannot {action}")]
    WrongState { number: String, status: String, action: &'static str },
    /// A refusal of the quality module (an OOS deviation, a method's training).
    #[error(transparent)]
    Quality(yaolian_quality::QualityError),
    /// A refusal of the inventory (a reagent lot expired, closed or short).
    #[error(transparent)]
    Inventory(yaolian_inventory::InventoryError),
}

impl From<yaolian_quality::QualityError> for LabError {
    fn from(e: yaolian_quality::QualityError) -> Self {
        match e {
            yaolian_quality::QualityError::Shared(e) => LabError::Shared(e),
            other => LabError::Quality(other),
        }
    }
}

impl From<yaolian_inventory::InventoryError> for LabError {
    fn from(e: yaolian_inventory::InventoryError) -> Self {
        match e {
            yaolian_inventory::InventoryError::Shared(e) => LabError::Shared(e),
            other => LabError::Inventory(other),
        }
    }
}

impl LabError {
    /// Stable code for API clients (problem+json `code`).
    pub fn code(&self) -> &'static str {
        match self {
            LabError::Shared(e) => e.code(),
            LabError::OutOfCalibration { .. } => "out_of_calibration",
            LabError::KeyReused { .. } => "key_reused",
            LabError::TemplateLocked { .. } => "template_locked",
            LabError::TemplateNotApproved { .. } => "template_not_approved",
            LabError::SamePerson { .. } => "same_person",
            LabError::WrongState { .. } => "record_state",
            LabError::Quality(e) => e.code(),
            LabError::Inventory(e) => e.code(),
        }
    }

    /// The refusal in Chinese, for pages (`None` for the shared refusals).
    pub fn zh(&self) -> Option<String> {
        Some(match self {
            LabError::Shared(_) => return None,
            LabError::OutOfCalibration { code, state, due } => match (*state, due) {
                ("never", _) => format!("仪器 {code} 尚未校准，不能使用"),
                ("out_of_service", _) => format!("仪器 {code} 校准不合格已停用，重新校准合格后方可使用"),
                (_, Some(due)) => format!("仪器 {code} 的校准已于 {due} 到期，校准合格后方可使用"),
                _ => format!("仪器 {code} 不在校准有效期内"),
            },
            LabError::KeyReused { key } => format!("幂等键 {key} 已用于另一份结果"),
            LabError::TemplateLocked { code, number, records, .. } => {
                let used = if *records > 0 { format!("，已有 {records} 份记录使用") } else { String::new() };
                format!("模板 {code} 第 {number} 版已批准{used}，不能修改；如需修改请建立新版本")
            }
            LabError::TemplateNotApproved { code, number, status } => match status.as_str() {
                "superseded" => format!("模板 {code} 第 {number} 版已被新版本替代，请使用现行版本"),
                _ => format!("模板 {code} 第 {number} 版尚未批准，不能用于记录"),
            },
            LabError::SamePerson { step } => match *step {
                "approve_template" => "模板须由起草人以外的人批准".to_string(),
                "review" => "记录须由记录人以外的人复核".to_string(),
                "approve_reviewed" => "批准人不能是该记录的复核人".to_string(),
                "approve_project" => "立项须由申请人以外的人批准".to_string(),
                _ => "记录不能由记录人本人批准".to_string(),
            },
            LabError::WrongState { number, status, .. } => {
                let of_record = crate::records::STATUSES.iter().find(|(c, _)| c == status);
                let of_project = crate::projects::STATUSES.iter().find(|(c, _)| c == status);
                let zh = of_record.or(of_project).map(|(_, z)| *z).unwrap_or("");
                format!("{number} 当前为“{zh}”，不能进行这一步")
            }
            LabError::Quality(e) => return e.zh(),
            LabError::Inventory(e) => return e.zh(),
        })
    }
}

yaolian_identity::domain_error!(LabError);

pub type Result<T, E = LabError> = std::result::Result<T, E>;
