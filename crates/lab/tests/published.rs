//! The calculations against values printed by others (never fitted to the code): the rounding
//! illustrations of USP General Notices 7.20 and the examples given with GB/T 8170-2008, the
//! maximum-%RSD table of Ph. Eur. 2.2.46 / USP <621>, and worked chromatography examples.

#![allow(clippy::unwrap_used)]

use yaolian_lab::chroma;
use yaolian_lab::rounding::{to_figures, to_places, Rule};

fn places(value: f64, n: u32, rule: Rule) -> String {
    to_places(value, n, rule).unwrap()
}

fn figures(value: f64, n: u32, rule: Rule) -> String {
    to_figures(value, n, rule).unwrap()
}

/// USP General Notices 7.20, table "Illustration of Rounding Numerical Values for Comparison
/// with Requirements" (as reproduced from USP 32 at drugfuture.com, usp32nf27s0_uspgens8).
#[test]
fn usp_rounding_illustrations() {
    for (unrounded, n, rounded) in [
        (97.96, 1, "98.0"),
        (97.92, 1, "97.9"),
        (97.95, 1, "98.0"),
        (101.55, 1, "101.6"),
        (101.46, 1, "101.5"),
        (101.45, 1, "101.5"),
        (0.025, 2, "0.03"),
        (0.015, 2, "0.02"),
        (0.027, 2, "0.03"),
        (0.00035, 4, "0.0004"),
        (0.00025, 4, "0.0003"),
        (0.00028, 4, "0.0003"),
    ] {
        assert_eq!(places(unrounded, n, Rule::HalfUp), rounded, "{unrounded}");
    }
}

/// GB/T 8170-2008 §3.2 进舍规则 examples (四舍六入五成双), as reproduced in the standard's
/// teaching texts: the rule ChP 凡例 follows.
#[test]
fn gb_t_8170_examples() {
    let even = Rule::HalfEven;
    // Below half: dropped.
    assert_eq!(places(12.1498, 0, even), "12");
    assert_eq!(places(12.1498, 1, even), "12.1");
    assert_eq!(figures(12.1498, 2, even), "12");
    // Above half, or 5 followed by something not zero: raised.
    assert_eq!(figures(1268.0, 2, even), "1300");
    assert_eq!(figures(1268.0, 3, even), "1270");
    assert_eq!(places(10.5002, 0, even), "11");
    // Exactly half: to the even digit.
    assert_eq!(places(1.050, 1, even), "1.0");
    assert_eq!(places(0.35, 1, even), "0.4");
    assert_eq!(figures(2500.0, 1, even), "2000");
    assert_eq!(figures(3500.0, 1, even), "4000");
    // Negative numbers: the absolute value, then the sign.
    assert_eq!(places(-0.0365, 3, even), "-0.036");
    // No rounding in steps: 15.4546 to a unit is 15, not 16.
    assert_eq!(places(15.4546, 0, even), "15");
    assert_eq!(figures(8.53459, 3, even), "8.53");
    for (value, n, rounded) in [(28.175, 2, "28.18"), (28.165, 2, "28.16"), (28.350, 1, "28.4"), (28.250, 1, "28.2")] {
        assert_eq!(places(value, n, even), rounded, "{value}");
    }
    assert_eq!(places(28.050, 1, even), "28.0");
    assert_eq!(places(28.2501, 1, even), "28.3");
}

/// Where the two rules part: USP raises an exact half, GB/T 8170 keeps the even digit.
#[test]
fn the_rules_differ_only_on_an_exact_half() {
    assert_eq!((places(101.45, 1, Rule::HalfUp), places(101.45, 1, Rule::HalfEven)), ("101.5".into(), "101.4".into()));
    assert_eq!((places(0.025, 2, Rule::HalfUp), places(0.025, 2, Rule::HalfEven)), ("0.03".into(), "0.02".into()));
    assert_eq!(places(101.46, 1, Rule::HalfUp), places(101.46, 1, Rule::HalfEven));
}

/// Ph. Eur. 2.2.46 (harmonized with USP <621>, official 2022-12-01), repeatability: the table of
/// the maximum permitted %RSD for B = 2.0, 2.5 and 3.0 and n = 3 to 6 injections, and
/// K = 0.349 = (0.6 / √2) × t90%,5 / √6.
#[test]
fn maximum_rsd_table() {
    let table = [
        (2.0, ["0.41", "0.59", "0.73", "0.85"]),
        (2.5, ["0.52", "0.74", "0.92", "1.06"]),
        (3.0, ["0.62", "0.89", "1.10", "1.27"]),
    ];
    for (b, row) in table {
        for (n, printed) in (3..=6).zip(row) {
            let value = chroma::max_rsd_percent(b, n).unwrap();
            assert_eq!(places(value, 2, Rule::HalfUp), printed, "B = {b}, n = {n}: {value}");
        }
    }
    let k = 0.6 / 2f64.sqrt() * 2.015 / 6f64.sqrt();
    assert_eq!(places(k, 3, Rule::HalfUp), "0.349");
    // A monograph with limits 95.0–105.0 % (B = 5): 1.83 % for 5 injections, 2.12 % for 6
    // (worked in the discussion of Ph. Eur. 2.2.46 at chromforum.org, viewtopic.php?p=176911).
    assert_eq!(places(chroma::max_rsd_percent(5.0, 5).unwrap(), 2, Rule::HalfUp), "1.83");
    assert_eq!(places(chroma::max_rsd_percent(5.0, 6).unwrap(), 2, Rule::HalfUp), "2.12");
}

/// Resolution from baseline widths, Harvey, *Analytical Chemistry 2.1*, §12.2, the lemon-oil
/// example: tR 8.36 and 9.54 min, widths 0.96 and 0.64 min → 2 (1.18) / 1.60 = 1.48.
#[test]
fn resolution_worked_examples() {
    let r = chroma::resolution_tangent(8.36, 9.54, 0.96, 0.64).unwrap();
    assert_eq!(places(r, 2, Rule::HalfUp), "1.48");
    // A Chinese worked example of R = 2 (t2 − t1) / (y1 + y2) (360docs.net/doc/8617173092.html).
    for (t1, t2, y1, y2, printed) in [
        (9.409, 9.598, 0.079, 0.080, "2.38"),
        (9.598, 9.767, 0.080, 0.0828, "2.08"),
        (9.272, 9.463, 0.076, 0.0756, "2.52"),
        (9.463, 9.632, 0.0756, 0.0791, "2.18"),
    ] {
        let r = chroma::resolution_tangent(t1, t2, y1, y2).unwrap();
        assert_eq!(places(r, 2, Rule::HalfUp), printed, "{t1} {t2}");
    }
    // The half-height forms: USP's 1.18 against ChP's 2 / 1.70, on the same peaks.
    let usp = chroma::resolution_half_height_usp(8.36, 9.54, 0.5, 0.4).unwrap();
    let chp = chroma::resolution_half_height_chp(8.36, 9.54, 0.5, 0.4).unwrap();
    assert_eq!((places(usp, 3, Rule::HalfUp), places(chp, 3, Rule::HalfUp)), ("1.547".into(), "1.542".into()));
}

/// Plate number by the tangent method, N = 16 (tR / W)²: tR 10.0 min, W 0.76 min → 2770;
/// tR 10.9 min, W 0.82 min → 2827 (mathix.co worked examples of the theoretical plate number).
#[test]
fn plate_number_worked_examples() {
    let n = chroma::plate_number_tangent(10.0, 0.76).unwrap();
    assert_eq!(places(n, 0, Rule::HalfUp), "2770");
    let n = chroma::plate_number_tangent(10.9, 0.82).unwrap();
    assert_eq!(places(n, 0, Rule::HalfUp), "2827");
    // The half-height form on a Gaussian peak agrees with the tangent form: W = 1.699 wh.
    let tangent = chroma::plate_number_tangent(10.0, 1.699 * 0.5).unwrap();
    let half = chroma::plate_number_half_height(10.0, 0.5).unwrap();
    assert!((tangent / half - 1.0).abs() < 0.005, "{tangent} {half}");
}

#[test]
fn assay_and_impurity_arithmetic() {
    // External standard: 0.1002 mg/mL reference, areas 1 523 400 (sample) and 1 530 100.
    let c = chroma::external_standard(1_523_400.0, 1_530_100.0, 0.1002).unwrap();
    assert_eq!(figures(c, 4, Rule::HalfEven), "0.09976");
    let pct = chroma::area_percent(&[980.0, 15.0, 5.0]).unwrap();
    assert_eq!(pct.iter().map(|p| places(*p, 1, Rule::HalfEven)).collect::<Vec<_>>(), vec!["98.0", "1.5", "0.5"]);
    // An impurity of area 2 400 with RRF 1.2 against a 1.0 % reference of area 40 000: 0.05 %.
    let i = chroma::impurity_by_rrf(2400.0, 1.2, 40_000.0, 1.0).unwrap();
    assert_eq!(places(i, 2, Rule::HalfEven), "0.05");
    assert_eq!(places(chroma::rsd_percent(&[100.0, 101.0, 99.0]).unwrap(), 2, Rule::HalfUp), "1.00");
    assert_eq!(places(chroma::tailing_factor(0.30, 0.12).unwrap(), 2, Rule::HalfUp), "1.25");
    assert_eq!(places(chroma::signal_to_noise(0.5, 0.1).unwrap(), 0, Rule::HalfUp), "10");
    assert_eq!(places(chroma::retention_factor(6.0, 1.5).unwrap(), 1, Rule::HalfUp), "3.0");
    assert_eq!(places(chroma::relative_retention(4.0, 7.0, 1.0).unwrap(), 1, Rule::HalfUp), "2.0");
    assert_eq!(places(chroma::relative_retention_unadjusted(4.0, 7.0).unwrap(), 2, Rule::HalfUp), "1.75");
}
