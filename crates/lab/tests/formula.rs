//! Calculated fields: formulas parsed as written, evaluated from other fields, refused with the
//! position and rule when they cannot be; calculated fields ordered by what they read.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use yaolian_lab::chroma;
use yaolian_lab::formula::{order, Expr};
use yaolian_lab::rounding::{to_places, Rule};

fn eval(text: &str, values: &[(&str, f64)]) -> f64 {
    let map: BTreeMap<String, f64> = values.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    Expr::parse(text).unwrap().eval(&|k| map.get(k).copied()).unwrap()
}

#[test]
fn precedence_associativity_and_functions() {
    assert_eq!(eval("1 + 2 * 3", &[]), 7.0);
    assert_eq!(eval("(1 + 2) * 3", &[]), 9.0);
    assert_eq!(eval("2 ^ 3 ^ 2", &[]), 512.0);
    assert_eq!(eval("-2 ^ 2", &[]), -4.0);
    assert_eq!(eval("10 / 4 / 5", &[]), 0.5);
    assert_eq!(eval("1.2e-3 * 1000", &[]), 1.2);
    assert_eq!(eval("（a＋0）× 2 ÷ 4".replace('＋', "+").as_str(), &[("a", 3.0)]), 1.5);
    assert_eq!(eval("max(1, a, 3) + min(4, 2) + sum(1, 2) + mean(2, 4)", &[("a", 5.0)]), 13.0);
    assert_eq!(eval("sqrt(16) + abs(-1) + log10(1000) + ln(exp(2))", &[]), 10.0);
}

/// The same repeatability as `chroma::rsd_percent`, and an external-standard assay written the
/// way a template designer writes it.
#[test]
fn a_record_formula_agrees_with_the_calculation_library() {
    let areas = [("a1", 1523.4), ("a2", 1519.8), ("a3", 1527.1), ("a4", 1521.0), ("a5", 1525.6)];
    let by_formula = eval("rsd(a1, a2, a3, a4, a5)", &areas);
    let by_library = chroma::rsd_percent(&areas.map(|(_, v)| v)).unwrap();
    assert_eq!(to_places(by_formula, 2, Rule::HalfEven), to_places(by_library, 2, Rule::HalfEven));
    let assay = eval(
        "a_smp / a_std * w_std / w_smp * p_std",
        &[("a_smp", 1_523_400.0), ("a_std", 1_530_100.0), ("w_std", 25.12), ("w_smp", 25.30), ("p_std", 99.8)],
    );
    assert_eq!(to_places(assay, 1, Rule::HalfEven).unwrap(), "98.7");
}

#[test]
fn what_cannot_be_read_or_evaluated_is_named() {
    let err = Expr::parse("1 + * 2").unwrap_err();
    assert_eq!((err.rule, err.position), ("syntax", Some(4)));
    assert_eq!(Expr::parse("(1 + 2").unwrap_err().rule, "syntax");
    assert_eq!(Expr::parse("1 2").unwrap_err().rule, "syntax");
    assert_eq!(Expr::parse("a $ b").unwrap_err().position, Some(2));
    assert_eq!(Expr::parse("cbrt(8)").unwrap_err().rule, "unknown_function");
    assert_eq!(Expr::parse("sqrt(1, 2)").unwrap_err().rule, "arity");
    assert_eq!(Expr::parse("sd(1)").unwrap_err().rule, "arity");
    assert_eq!(Expr::parse(&"1+".repeat(1001)).unwrap_err().rule, "too_long");
    assert_eq!(Expr::parse(&format!("{}1{}", "(".repeat(100), ")".repeat(100))).unwrap_err().rule, "too_deep");
    assert_eq!(Expr::parse(&"-".repeat(100)).unwrap_err().rule, "too_deep");
    let e = |text: &str| Expr::parse(text).unwrap().eval(&|_| None).unwrap_err().rule;
    assert_eq!(e("a + 1"), "missing_value");
    assert_eq!(e("1 / 0"), "division_by_zero");
    assert_eq!(e("sqrt(-1)"), "domain");
    assert_eq!(e("ln(0)"), "domain");
    assert_eq!(e("10 ^ 400"), "domain");
    assert_eq!(e("rsd(1, -1)"), "division_by_zero");
}

#[test]
fn calculated_fields_come_after_what_they_read_and_cycles_are_named() {
    let inputs: BTreeSet<String> = ["w", "a"].iter().map(|s| s.to_string()).collect();
    let calc = |pairs: &[(&str, &str)]| -> BTreeMap<String, Expr> {
        pairs.iter().map(|(k, f)| (k.to_string(), Expr::parse(f).unwrap())).collect()
    };
    let fields = calc(&[("content", "ratio * 100"), ("ratio", "a / w"), ("label", "content / 2")]);
    assert_eq!(Expr::parse("a / w + a").unwrap().fields(), inputs);
    assert_eq!(order(&inputs, &fields).unwrap(), vec!["ratio", "content", "label"]);
    let err = order(&inputs, &calc(&[("x", "y + 1"), ("y", "x * 2"), ("z", "a")])).unwrap_err();
    assert_eq!(err.rule, "cycle");
    assert!(err.message.contains("x, y") && !err.message.contains('z'), "{}", err.message);
    assert_eq!(order(&inputs, &calc(&[("x", "nope + 1")])).unwrap_err().rule, "unknown_field");
}
