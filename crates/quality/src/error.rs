//! The quality system's errors, each with a stable `code()` that the web layer maps to a status
//! and a problem document (never by matching a message).

use thiserror::Error;
use yaolian_identity::IdentityError;

#[derive(Debug, Error)]
pub enum QualityError {
    /// The refusals every domain shares: validation, permission, not found, conflict, storage.
    #[error(transparent)]
    Shared(#[from] IdentityError),
    /// The step does not apply in the record's present state.
    #[error("{what} is {status}: cannot {action}")]
    WrongState { what: String, status: String, action: &'static str },
    /// A deviation of a class that needs a CAPA closes only with one.
    #[error("a {class} deviation closes only with its CAPA")]
    CapaMissing { class: String },
    /// A document revision is effective for a person only once their training is recorded.
    #[error("no training on {code} revision {revision} is recorded")]
    NotTrained { code: String, revision: i64 },
    /// A change closes only when nothing stands in the way (tasks, documents, first batches).
    #[error("the change cannot close yet: {}", outstanding.join("; "))]
    ChangeOpen { outstanding: Vec<String> },
    /// A CAPA closes only when every action is done.
    #[error("{open} actions of the CAPA are not done")]
    ActionsOpen { open: usize },
}

impl QualityError {
    /// Stable code for API clients (problem+json `code`).
    pub fn code(&self) -> &'static str {
        match self {
            QualityError::Shared(e) => e.code(),
            QualityError::WrongState { .. } => "quality_state",
            QualityError::CapaMissing { .. } => "capa_missing",
            QualityError::ActionsOpen { .. } => "actions_open",
            QualityError::NotTrained { .. } => "not_trained",
            QualityError::ChangeOpen { .. } => "change_open",
        }
    }

    /// The refusal in Chinese, for pages (`None` for the shared refusals).
    pub fn zh(&self) -> Option<String> {
        Some(match self {
            QualityError::Shared(_) => return None,
            QualityError::WrongState { .. } => "当前状态下不能进行这一步".into(),
            QualityError::CapaMissing { .. } => "该级别的偏差须先建立纠正预防措施，才能批准关闭".into(),
            QualityError::ChangeOpen { outstanding } => format!("尚不能关闭：{}", outstanding.join("；")),
            QualityError::ActionsOpen { open } => format!("还有 {open} 项措施未完成，不能关闭"),
            QualityError::NotTrained { code, revision } => {
                format!("尚无 {code} 第 {revision} 版的培训记录，培训后方可按此文件操作")
            }
        })
    }
}

yaolian_identity::domain_error!(QualityError);

pub type Result<T, E = QualityError> = std::result::Result<T, E>;
