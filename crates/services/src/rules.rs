//! 智能秒办: rules that decide simple cases with no person in the loop. A rule looks at the
//! application's inputs and at stored facts, runs named checks, and decides only when every
//! check passes; the rule, its inputs and each check's result are kept with the decision.

use crate::error::Result;
use serde::Serialize;
use sqlx::Row;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use yaolian_store::Tx;

/// The rules there are: code and what it does.
pub const RULES: &[(&str, &str)] =
    &[("contact_change", "联系方式变更：持有有效许可证且联系人、电话、邮箱格式正确时自动办结")];

/// The Chinese name of a rule (联系方式变更), never its code.
pub fn name_zh(rule: &str) -> &'static str {
    RULES.iter().find(|(code, _)| *code == rule).and_then(|(_, what)| what.split('：').next()).unwrap_or("智能秒办")
}

/// One check of a rule.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ToSchema)]
pub struct Check {
    pub check: String,
    pub passed: bool,
    pub detail: String,
}

/// What a rule found.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ToSchema)]
pub struct RuleOutcome {
    pub rule: String,
    pub inputs: BTreeMap<String, String>,
    pub checks: Vec<Check>,
    pub passed: bool,
}

fn check(name: &str, passed: bool, detail: impl Into<String>) -> Check {
    Check { check: name.into(), passed, detail: detail.into() }
}

/// A mainland mobile number (1[3-9] + 9 digits) or a landline with area code (0 + 2–3 digits,
/// optional hyphen, 7–8 digits).
pub fn phone_ok(s: &str) -> bool {
    // Spaces group digits for reading (0571-8690 1234); they are not part of the number.
    let s: String = s.chars().filter(|c| *c != ' ').collect();
    let s = s.as_str();
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if s.len() == 11 && s.starts_with('1') && digits(s) {
        return matches!(s.as_bytes()[1], b'3'..=b'9');
    }
    let landline = |area: &str, number: &str| {
        area.starts_with('0')
            && (3..=4).contains(&area.len())
            && digits(area)
            && (7..=8).contains(&number.len())
            && digits(number)
    };
    match s.split_once('-') {
        Some((area, number)) => landline(area, number),
        None => [3, 4].iter().any(|&n| s.len() > n && s.is_char_boundary(n) && landline(&s[..n], &s[n..])),
    }
}

/// The format rule a form field's own value breaks, if any: a phone (`contact_phone`) or an
/// email (`email`) that could never be right. Checked on submission for every type, so that
/// the form says so instead of a 秒办 check failing on it and the case going to a person.
pub fn format_refusal(key: &str, value: &str) -> Option<&'static str> {
    match key {
        "contact_phone" if !phone_ok(value) => Some("format:phone"),
        "email" if !email_ok(value) => Some("format:email"),
        _ => None,
    }
}

fn email_ok(s: &str) -> bool {
    let s = s.trim();
    if s.is_empty() {
        return true;
    }
    match s.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        }
        None => false,
    }
}

/// Runs `rule` for an application; `None` when the type has no rule.
pub async fn evaluate(
    tx: &mut Tx<'_>,
    rule: &str,
    applicant_org_id: i64,
    license_kind: &str,
    form: &BTreeMap<String, String>,
    today: &str,
) -> Result<Option<RuleOutcome>> {
    if rule != "contact_change" {
        return Ok(None);
    }
    let get = |k: &str| form.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let (person, phone, email) = (get("contact_person"), get("contact_phone"), get("email"));
    let held = sqlx::query(
        "SELECT number FROM licenses WHERE holder_org_id = $1 AND kind = $2 AND status = 'valid' AND valid_until >= $3 \
         ORDER BY valid_until DESC LIMIT 1",
    )
    .bind(applicant_org_id)
    .bind(license_kind)
    .bind(today)
    .fetch_optional(&mut **tx)
    .await?;
    let held: Option<String> = held.map(|r| r.try_get(0)).transpose()?;
    let person_len = person.chars().count();
    let checks = vec![
        check(
            "holds_valid_license",
            held.is_some(),
            held.map(|n| format!("持有有效许可证 {n}")).unwrap_or_else(|| "未持有有效许可证".into()),
        ),
        check("contact_person", (2..=30).contains(&person_len), format!("联系人 {person_len} 个字符（2–30）")),
        check("contact_phone", phone_ok(&phone), format!("电话 {phone:?}")),
        check("email", email_ok(&email), format!("邮箱 {email:?}")),
    ];
    let passed = checks.iter().all(|c| c.passed);
    let inputs = [("contact_person", person), ("contact_phone", phone), ("email", email)]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    Ok(Some(RuleOutcome { rule: rule.into(), inputs, checks, passed }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_and_emails() {
        for ok in ["13812345678", "0571-87654321", "010-1234567", "057187654321", "0571-8690 1234"] {
            assert!(phone_ok(ok), "{ok}");
        }
        for bad in ["12812345678", "1381234567", "571-87654321", "0571-12", "abc", ""] {
            assert!(!phone_ok(bad), "{bad}");
        }
        assert!(email_ok("") && email_ok("qa@example.cn"));
        assert!(!email_ok("qa@") && !email_ok("qa.example.cn") && !email_ok("a@b@c.cn"));
    }
}
