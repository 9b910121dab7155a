//! The submission module's errors, each with a stable `code()` that the web layer maps to a
//! status and a problem document.

use thiserror::Error;
use yaolian_identity::IdentityError;

#[derive(Debug, Error)]
pub enum SubmissionError {
    /// The refusals every domain shares: validation, permission, not found, conflict, storage.
    #[error(transparent)]
    Shared(#[from] IdentityError),
    /// A step in the wrong state (a chunk after the transfer completed …).
    #[error("transfer {transfer_id} is {status}: cannot {action}")]
    WrongState { transfer_id: String, status: String, action: &'static str },
    /// The sequence number was used before for this application (sequences are never reused).
    #[error("sequence {sequence} of {application} was already received")]
    SequenceUsed { application: String, sequence: String },
    /// Another call is working on it (completing a transfer, building a sequence): ask again
    /// shortly.
    #[error("{what} is being worked on by another call; ask again shortly")]
    Busy { what: String },
    /// The site runs without its signing key, so it cannot acknowledge (503).
    #[error("this site has no signing key loaded")]
    NoSigningKey,
    /// This site has no receiver to send to (`[submission] receiver_url`), 503.
    #[error("this site has no submission receiver configured")]
    NoReceiver,
    /// A refusal of the quality module (the controlled document a leaf is built from).
    #[error(transparent)]
    Quality(yaolian_quality::QualityError),
    /// The other side did not answer as the protocol says (the sender's view).
    #[error("the receiver: {0}")]
    Peer(String),
}

impl From<yaolian_quality::QualityError> for SubmissionError {
    fn from(e: yaolian_quality::QualityError) -> Self {
        match e {
            yaolian_quality::QualityError::Shared(e) => SubmissionError::Shared(e),
            other => SubmissionError::Quality(other),
        }
    }
}

impl SubmissionError {
    /// Stable code for API clients (problem+json `code`).
    pub fn code(&self) -> &'static str {
        match self {
            SubmissionError::Shared(e) => e.code(),
            SubmissionError::WrongState { .. } => "transfer_state",
            SubmissionError::SequenceUsed { .. } => "sequence_used",
            SubmissionError::Busy { .. } => "busy",
            SubmissionError::Peer(_) => "peer",
            SubmissionError::NoSigningKey => "no_signing_key",
            SubmissionError::NoReceiver => "no_receiver",
            SubmissionError::Quality(e) => e.code(),
        }
    }

    /// The refusal in Chinese, for pages (`None` for the shared refusals).
    pub fn zh(&self) -> Option<String> {
        Some(match self {
            SubmissionError::Shared(_) => return None,
            SubmissionError::WrongState { status, .. } => {
                let zh =
                    crate::transfers::STATUSES.iter().find(|(c, _)| c == status).map_or(status.as_str(), |(_, z)| z);
                format!("该传输当前为“{zh}”，不能进行这一步")
            }
            SubmissionError::SequenceUsed { application, sequence } => {
                format!("申请 {application} 的序列 {sequence} 已接收过，序列号不能重复使用")
            }
            SubmissionError::Busy { .. } => "正在处理中，请稍后刷新查看".into(),
            SubmissionError::Peer(m) => format!("接收方答复异常：{m}"),
            SubmissionError::NoSigningKey => "本站未加载签名密钥，暂不能收发电子申报".into(),
            SubmissionError::NoReceiver => "本站未设置电子申报的接收方（药监部门的接收地址），请联系系统管理员".into(),
            SubmissionError::Quality(e) => return e.zh(),
        })
    }
}

yaolian_identity::domain_error!(SubmissionError);

/// A one-field refusal: `field` broke `rule`.
pub(crate) fn invalid(field: &str, rule: &str, message: impl Into<String>) -> SubmissionError {
    yaolian_core::ValidationError::single(field, rule, message).into()
}

pub type Result<T, E = SubmissionError> = std::result::Result<T, E>;
