//! Quantities (数量) as integers in thousandths of the item's unit, so that stock, the sum of
//! its movements, is exact: `12.5` g is 12500. Pure: no I/O.

use yaolian_core::FieldError;

/// Thousandths per unit.
pub const SCALE: i64 = 1000;
/// The largest quantity accepted in one field: 10¹² units.
pub const MAX: i64 = 1_000_000_000_000 * SCALE;

/// Units an item is counted in (计量单位).
pub const UNITS: &[&str] = &["g", "mg", "kg", "μg", "mL", "L", "μL", "瓶", "支", "盒", "袋", "个", "片", "张", "套"];

/// A non-negative decimal with at most three places (`12`, `0.5`, `1,000.25`), in thousandths.
pub fn parse(field: &str, text: &str) -> Result<i64, FieldError> {
    let t: String = text.trim().chars().filter(|c| *c != ',' && *c != '，').collect();
    let bad =
        || FieldError::new(field, "quantity", "a quantity is a number ≥ 0 with at most 3 decimal places, e.g. 12.5");
    if t.is_empty() || t.len() > 24 {
        return Err(bad());
    }
    let (whole, frac) = t.split_once('.').unwrap_or((t.as_str(), ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    if frac.len() > 3 {
        return Err(FieldError::new(field, "quantity_places", "at most 3 decimal places (0.001)"));
    }
    let too_big = || FieldError::new(field, "quantity_max", "at most 10¹² units");
    // Only digits are left, so a number that does not parse is one too big for i64.
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| too_big())? };
    let mut thousandths: i64 = 0;
    for (i, b) in frac.bytes().enumerate() {
        thousandths += i64::from(b - b'0') * 10_i64.pow(2 - i as u32);
    }
    let value = whole.checked_mul(SCALE).and_then(|w| w.checked_add(thousandths));
    match value {
        Some(v) if v <= MAX => Ok(v),
        _ => Err(too_big()),
    }
}

/// A positive quantity (what moves: at least 0.001).
pub fn parse_positive(field: &str, text: &str) -> Result<i64, FieldError> {
    let v = parse(field, text)?;
    if v == 0 {
        return Err(FieldError::new(field, "positive", "the quantity must be more than 0"));
    }
    Ok(v)
}

/// Thousandths as a decimal without trailing zeros: 12500 → `12.5`, -3000 → `-3`.
pub fn format(thousandths: i64) -> String {
    let sign = if thousandths < 0 { "-" } else { "" };
    let abs = thousandths.unsigned_abs();
    let whole = abs / SCALE as u64;
    let frac = abs % SCALE as u64;
    if frac == 0 {
        format!("{sign}{whole}")
    } else {
        let f = format!("{frac:03}");
        format!("{sign}{whole}.{}", f.trim_end_matches('0'))
    }
}

/// Whether `unit` is one of [`UNITS`].
pub fn known_unit(unit: &str) -> bool {
    UNITS.contains(&unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_exact_thousandths() {
        assert_eq!(parse("q", "12.5"), Ok(12_500));
        assert_eq!(parse("q", "0.001"), Ok(1));
        assert_eq!(parse("q", "1,000.25"), Ok(1_000_250));
        assert_eq!(parse("q", ".5"), Ok(500));
        assert_eq!(parse("q", "7"), Ok(7_000));
        // 0.1 + 0.2 is exactly 0.3 here, unlike in floating point.
        assert_eq!(parse("q", "0.1").unwrap() + parse("q", "0.2").unwrap(), parse("q", "0.3").unwrap());
        for bad in ["", "-1", "1e3", "abc", "1.2.3", ".", "１２"] {
            assert_eq!(parse("q", bad).unwrap_err().rule, "quantity", "{bad}");
        }
        assert_eq!(parse("q", "1.0005").unwrap_err().rule, "quantity_places");
        assert_eq!(parse("q", "99999999999999999999").unwrap_err().rule, "quantity_max");
        assert_eq!(parse_positive("q", "0").unwrap_err().rule, "positive");
    }

    #[test]
    fn quantities_print_without_trailing_zeros() {
        assert_eq!(format(12_500), "12.5");
        assert_eq!(format(-3_000), "-3");
        assert_eq!(format(1), "0.001");
        assert_eq!(format(1_020), "1.02");
        assert_eq!(format(0), "0");
        for v in [0, 1, 999, 1_000, 123_456_789, MAX] {
            assert_eq!(parse("q", &format(v)), Ok(v));
        }
    }
}
