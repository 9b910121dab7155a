//! Parsers of what instruments write (仪器数据采集): the instrument capture agent runs them on the
//! workstation, the server runs them again on what arrives. Pure, no I/O; every parser refuses
//! input over its size limit before reading it, and names the line and the rule it breaks.

pub mod animl;
pub mod astm;
pub mod balance;
pub mod peaks;

/// A parse refusal: where, and what rule the input breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line (or frame) number, 0 for the input as a whole.
    pub line: usize,
    /// A stable rule code, e.g. `too_large`, `no_header`, `number`.
    pub rule: &'static str,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{} ({})", self.message, self.rule)
        } else {
            write!(f, "line {}: {} ({})", self.line, self.message, self.rule)
        }
    }
}

impl std::error::Error for ParseError {}

pub(crate) fn refuse(line: usize, rule: &'static str, message: impl Into<String>) -> ParseError {
    ParseError { line, rule, message: message.into() }
}
