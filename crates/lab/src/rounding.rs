//! Rounding a reported result (数值修约), done on the value's decimal digits so that the result
//! never depends on binary floating point: 2.675 rounds as the written 2.675, not as the nearest
//! double 2.67499999…; a computed 1.4749999999999996 rounds as the 1.475 it stands for.
//!
//! Two rules, as the pharmacopoeias state them:
//! - [`Rule::HalfEven`] — 中国药典 凡例 refers the rounding of results to GB/T 8170-2008 数值修约
//!   规则 §3.2: "四舍六入五成双": a discarded part below half is dropped, above half raises
//!   the last kept digit, and exactly half (a 5 with nothing or only zeros after it) raises it
//!   only when it is odd, so that the kept digit ends even.
//! - [`Rule::HalfUp`] — USP General Notices 7.20 Rounding Rules: "When rounding is required,
//!   consider only one digit in the decimal place to the right of the last place in the limit
//!   expression. If this digit is smaller than 5, it is eliminated and the preceding digit is
//!   unchanged. If this digit is equal to or greater than 5, it is eliminated and the preceding
//!   digit is increased by 1."
//!
//! A value is first written with twelve significant figures — beyond any measurement, short of
//! binary noise — then rounded on those decimal digits.

use serde::{Deserialize, Serialize};

/// Significant figures a computed value is written with before it is rounded.
const SIGNIFICANT: usize = 12;

/// A rounding rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// GB/T 8170-2008 §3.2 (中国药典 凡例): round half to even, 四舍六入五成双.
    HalfEven,
    /// USP General Notices 7.20: the one digit after the last kept decides, 5 and up raises.
    HalfUp,
}

/// A value's sign, integer digits and fraction digits, from its shortest decimal form.
#[derive(Debug, Clone, PartialEq)]
struct Digits {
    negative: bool,
    /// Every digit, integer part then fraction, no leading zeros beyond one.
    digits: Vec<u8>,
    /// How many of `digits` are before the decimal point.
    int_len: usize,
}

impl Digits {
    fn of(value: f64) -> Option<Digits> {
        if !value.is_finite() {
            return None;
        }
        // Twelve significant figures with an exponent (1.23450000000e-3): far beyond any
        // measured input, and short of the last bits where binary arithmetic leaves its noise
        // (2 × (9.54 − 8.36) / 1.6 is 1.4749999999999996 in binary, 1.475 written).
        let text = format!("{:.*e}", SIGNIFICANT - 1, value.abs());
        let (mantissa, exp) = text.split_once('e')?;
        let exp: i32 = exp.parse().ok()?;
        let mut raw: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
        while raw.len() > 1 && raw.last() == Some(&0) {
            raw.pop();
        }
        // The point sits after the first mantissa digit; move it by the exponent.
        let point = 1 + exp;
        let (digits, int_len) = if point <= 0 {
            let mut d = vec![0u8; usize::try_from(1 - point).ok()?];
            d.extend(&raw);
            (d, 1)
        } else {
            let point = usize::try_from(point).ok()?;
            let mut d = raw;
            if d.len() < point {
                d.resize(point, 0);
            }
            (d, point)
        };
        Some(Digits { negative: value < 0.0, digits, int_len })
    }

    /// Keeps `keep` digits (from the left) under `rule`; returns the kept digits, possibly one
    /// longer when a carry runs off the front (9.96 → 10.0).
    fn round_to(&self, keep: usize, rule: Rule) -> (Vec<u8>, usize) {
        let mut kept: Vec<u8> = self.digits.iter().copied().take(keep).collect();
        kept.resize(keep, 0);
        let rest: &[u8] = if self.digits.len() > keep { &self.digits[keep..] } else { &[] };
        let first = rest.first().copied().unwrap_or(0);
        let beyond = rest.iter().skip(1).any(|d| *d != 0);
        let up = match rule {
            Rule::HalfUp => first >= 5,
            Rule::HalfEven => first > 5 || (first == 5 && (beyond || kept.last().is_some_and(|d| d % 2 == 1))),
        };
        let mut int_len = self.int_len;
        if up {
            let mut i = kept.len();
            loop {
                if i == 0 {
                    kept.insert(0, 1);
                    int_len += 1;
                    break;
                }
                i -= 1;
                if kept[i] == 9 {
                    kept[i] = 0;
                } else {
                    kept[i] += 1;
                    break;
                }
            }
        }
        (kept, int_len)
    }
}

fn write(negative: bool, digits: &[u8], int_len: usize) -> String {
    let mut out = String::new();
    let all_zero = digits.iter().all(|d| *d == 0);
    if negative && !all_zero {
        out.push('-');
    }
    let (int, frac) = digits.split_at(int_len.min(digits.len()));
    let int_text: String = int.iter().map(|d| char::from(b'0' + d)).collect();
    let int_text = int_text.trim_start_matches('0');
    out.push_str(if int_text.is_empty() { "0" } else { int_text });
    if !frac.is_empty() {
        out.push('.');
        out.extend(frac.iter().map(|d| char::from(b'0' + d)));
    }
    out
}

/// `value` rounded to `places` decimal places under `rule`, written with exactly that many
/// places (`None` for an infinite or NaN value).
pub fn to_places(value: f64, places: u32, rule: Rule) -> Option<String> {
    let d = Digits::of(value)?;
    let keep = d.int_len + usize::try_from(places).ok()?;
    let (kept, int_len) = d.round_to(keep, rule);
    Some(write(d.negative, &kept, int_len))
}

/// `value` rounded to `figures` significant figures under `rule` (zeros kept where they are
/// significant: 0.10050 to 3 figures is `0.100` under half-even), `None` for an infinite or NaN
/// value or no figures.
pub fn to_figures(value: f64, figures: u32, rule: Rule) -> Option<String> {
    if figures == 0 {
        return None;
    }
    let d = Digits::of(value)?;
    let figures = usize::try_from(figures).ok()?;
    let Some(lead) = d.digits.iter().position(|x| *x != 0) else {
        // Zero: "0" with figures − 1 places.
        return Some(write(false, &vec![0; figures], 1));
    };
    let keep = lead + figures;
    let (kept, int_len) = d.round_to(keep, rule);
    // A carry off the front (99.96 → 100.0) adds one digit: drop the last so the count holds.
    let grew = kept.len() > keep;
    let mut kept = kept;
    if grew && kept.len() > int_len {
        kept.pop();
    }
    // Whole numbers with more integer digits than figures keep their place with zeros.
    let int_len_out = int_len;
    if kept.len() < int_len_out {
        kept.resize(int_len_out, 0);
    }
    Some(write(d.negative, &kept, int_len_out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_the_shortest_decimal_form() {
        assert_eq!(Digits::of(2.675).unwrap(), Digits { negative: false, digits: vec![2, 6, 7, 5], int_len: 1 });
        assert_eq!(Digits::of(0.0012).unwrap(), Digits { negative: false, digits: vec![0, 0, 0, 1, 2], int_len: 1 });
        assert_eq!(Digits::of(1500.0).unwrap(), Digits { negative: false, digits: vec![1, 5, 0, 0], int_len: 4 });
        assert!(Digits::of(f64::NAN).is_none());
        // Binary noise below the twelfth figure is gone.
        let noisy = 2.0 * (9.54 - 8.36) / 1.6;
        assert_ne!(noisy, 1.475);
        assert_eq!(Digits::of(noisy).unwrap().digits, vec![1, 4, 7, 5]);
    }
}
