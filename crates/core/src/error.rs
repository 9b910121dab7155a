//! Validation errors: every rejected input names the field and the rule it broke.

use serde::Serialize;
use std::fmt;

/// One broken rule on one field, e.g. `{field: "password", rule: "min_length:8"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub rule: String,
    /// Human-readable explanation (English; the UI translates by `rule`).
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { field: field.into(), rule: rule.into(), message: message.into() }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.field, self.rule, self.message)
    }
}

impl std::error::Error for FieldError {}

/// A non-empty list of field errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ValidationError {
    pub errors: Vec<FieldError>,
}

impl ValidationError {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: impl Into<String>, rule: impl Into<String>, message: impl Into<String>) -> Self {
        ValidationError { errors: vec![FieldError::new(field, rule, message)] }
    }

    pub fn push(&mut self, field: impl Into<String>, rule: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, rule, message));
    }

    /// Refuses `value` (trimmed) unless it has `min` to `max` characters, as `length:min..max`.
    pub fn length(&mut self, field: &str, value: &str, min: usize, max: usize) {
        let n = value.trim().chars().count();
        if n < min || n > max {
            self.push(field, format!("length:{min}..{max}"), format!("{field} must have {min} to {max} characters"));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok(())` when no rule was broken, otherwise `Err(self)`.
    pub fn into_result(self) -> Result<(), ValidationError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.errors.iter().map(FieldError::to_string).collect();
        write!(f, "{}", parts.join("; "))
    }
}

impl std::error::Error for ValidationError {}

impl From<FieldError> for ValidationError {
    fn from(e: FieldError) -> Self {
        ValidationError { errors: vec![e] }
    }
}
