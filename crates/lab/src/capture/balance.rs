//! Balance output in METTLER TOLEDO's Standard Interface Command Set (MT-SICS), the lines a
//! balance sends for the weighing commands `S` (stable weight), `SI` (weight immediately) and
//! `SIR` (immediately and repeat): the command, a status, the weight value right-aligned in
//! its field, and the unit — `S S      100.00 g`. Status `S` is stable, `D` dynamic (not yet
//! stable); `S I` means the command could not be executed, `S +` overload, `S -` underload;
//! `ES`, `ET`, `EL` are syntax, transmission and logical errors. A result is taken only from a
//! stable reading; the others are refusals that say why.

use super::{refuse, ParseError};
use serde::{Deserialize, Serialize};

/// Longest line read.
pub const MAX_LINE: usize = 256;

/// A weighing as the balance reported it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Weighing {
    /// The value exactly as sent (its decimal places are the balance's readability).
    pub value: String,
    pub unit: String,
    /// `true` for a stable reading (status `S`), `false` for a dynamic one (status `D`).
    pub stable: bool,
}

/// What one line says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reading {
    Weight(Weighing),
    Overload,
    Underload,
    /// `S I`: busy or not possible now.
    NotExecutable,
    /// `ES`, `ET`, `EL`.
    Error {
        code: String,
    },
}

/// Reads one response line (without its CR LF).
pub fn parse_line(line: &str) -> Result<Reading, ParseError> {
    if line.len() > MAX_LINE {
        return Err(refuse(1, "too_large", format!("a balance line of at most {MAX_LINE} bytes")));
    }
    let line = line.trim_end_matches(['\r', '\n']);
    let tokens: Vec<&str> = line.split_whitespace().collect();
    match tokens.as_slice() {
        [code @ ("ES" | "ET" | "EL")] => Ok(Reading::Error { code: code.to_string() }),
        [cmd, status, rest @ ..] if ["S", "SI", "SIR"].contains(cmd) => match (*status, rest) {
            ("+", []) => Ok(Reading::Overload),
            ("-", []) => Ok(Reading::Underload),
            ("I", []) => Ok(Reading::NotExecutable),
            (s @ ("S" | "D"), [value, unit]) => {
                let numeric = value.strip_prefix('-').unwrap_or(value);
                let ok = !numeric.is_empty()
                    && numeric.chars().all(|c| c.is_ascii_digit() || c == '.')
                    && numeric.matches('.').count() <= 1;
                if !ok {
                    return Err(refuse(1, "number", format!("the weight {value:?} is not a number")));
                }
                Ok(Reading::Weight(Weighing { value: value.to_string(), unit: unit.to_string(), stable: s == "S" }))
            }
            _ => Err(refuse(1, "mt_sics", format!("not an MT-SICS weighing response: {line:?}"))),
        },
        _ => Err(refuse(1, "mt_sics", format!("not an MT-SICS weighing response: {line:?}"))),
    }
}
