//! Statistical process control (统计过程控制) of a production parameter: Shewhart charts for
//! individuals and moving ranges (I-MR) and for subgroup means and ranges (X̄-R), the eight
//! Nelson rules, the EWMA and tabular CUSUM charts, and process capability (Cp, Cpk, Pp, Ppk).
//! Sources are at each item (the NIST/SEMATECH e-Handbook of Statistical Methods, §6.3 and
//! §6.1.6; Nelson 1984, J Qual Technol 16:237–239; Montgomery, Introduction to Statistical
//! Quality Control); the tests carry their worked examples. Nothing here does I/O.

use serde::{Deserialize, Serialize};

/// d₂ and d₃ for subgroups of n = 2 … 10, the mean and standard deviation of the relative
/// range of n normal values (NIST e-Handbook §6.3.2.1; ASTM E2587; the values R's qcc carries):
/// (n, d₂, d₃). The chart factors follow from them: A₂ = 3 / (d₂√n), D₃ = max(0, 1 − 3d₃/d₂),
/// D₄ = 1 + 3d₃/d₂.
pub const CONSTANTS: [(usize, f64, f64); 9] = [
    (2, 1.128, 0.8525033),
    (3, 1.693, 0.8883697),
    (4, 2.059, 0.8798108),
    (5, 2.326, 0.8640855),
    (6, 2.534, 0.8480442),
    (7, 2.704, 0.8332108),
    (8, 2.847, 0.8198378),
    (9, 2.970, 0.8078413),
    (10, 3.078, 0.7970584),
];

/// (d₂, A₂, D₃, D₄) for subgroups of `n`.
pub fn factors(n: usize) -> Option<(f64, f64, f64, f64)> {
    let (_, d2, d3) = CONSTANTS.iter().find(|c| c.0 == n)?;
    Some((*d2, 3.0 / (d2 * (n as f64).sqrt()), (1.0 - 3.0 * d3 / d2).max(0.0), 1.0 + 3.0 * d3 / d2))
}

/// A chart's center line and limits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    pub center: f64,
    pub lower: f64,
    pub upper: f64,
}

/// An individuals and moving range chart (NIST §6.3.2.2; Montgomery §6.4): the mean, the mean
/// moving range M̄R of consecutive points, σ̂ = M̄R / d₂ (d₂ = 1.128), individuals limits
/// mean ± 3σ̂ and the moving range's upper limit D₄·M̄R (D₄ = 3.267 for n = 2).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Individuals {
    pub x: Limits,
    pub mr: Limits,
    /// σ̂ within, M̄R / d₂.
    pub sigma: f64,
}

/// The I-MR chart of `x` (at least two points).
pub fn individuals(x: &[f64]) -> Option<Individuals> {
    if x.len() < 2 {
        return None;
    }
    let mean = mean(x);
    let mr_bar = x.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f64>() / (x.len() - 1) as f64;
    let (d2, _, d3, d4) = factors(2)?;
    let sigma = mr_bar / d2;
    Some(Individuals {
        x: Limits { center: mean, lower: mean - 3.0 * sigma, upper: mean + 3.0 * sigma },
        mr: Limits { center: mr_bar, lower: d3 * mr_bar, upper: d4 * mr_bar },
        sigma,
    })
}

/// An X̄ and R chart (NIST §6.3.2.1; Montgomery §6.2): the grand mean X̿, the mean range R̄,
/// limits X̿ ± A₂R̄ and D₃R̄ … D₄R̄, σ̂ = R̄ / d₂.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeansRanges {
    pub xbar: Limits,
    pub r: Limits,
    pub sigma: f64,
    pub subgroup: usize,
}

/// The X̄-R chart of `subgroups`, all of one size from 2 to 10.
pub fn means_ranges(subgroups: &[Vec<f64>]) -> Option<MeansRanges> {
    let size = subgroups.first()?.len();
    if subgroups.iter().any(|s| s.len() != size) {
        return None;
    }
    let (d2, a2, d3, d4) = factors(size)?;
    let k = subgroups.len() as f64;
    let grand = subgroups.iter().map(|s| mean(s)).sum::<f64>() / k;
    let r_bar = subgroups.iter().map(|s| range(s)).sum::<f64>() / k;
    Some(MeansRanges {
        xbar: Limits { center: grand, lower: grand - a2 * r_bar, upper: grand + a2 * r_bar },
        r: Limits { center: r_bar, lower: d3 * r_bar, upper: d4 * r_bar },
        sigma: r_bar / d2,
        subgroup: size,
    })
}

/// The arithmetic mean (0 for no values).
pub fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    x.iter().sum::<f64>() / x.len() as f64
}

/// The largest value less the smallest.
pub fn range(x: &[f64]) -> f64 {
    let max = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = x.iter().copied().fold(f64::INFINITY, f64::min);
    if x.is_empty() {
        0.0
    } else {
        max - min
    }
}

/// The sample standard deviation (n − 1 in the denominator).
pub fn std_dev(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return 0.0;
    }
    let m = mean(x);
    (x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
}

/// The eight tests for special causes (Nelson 1984; the same eight as Minitab's tests 1–8).
pub const NELSON_RULES: [(u8, &str); 8] = [
    (1, "1 个点落在 3σ 控制限以外"),
    (2, "连续 9 个点落在中心线同一侧"),
    (3, "连续 6 个点递增或递减"),
    (4, "连续 14 个点上下交替"),
    (5, "3 个点中有 2 个落在中心线同一侧的 2σ 以外"),
    (6, "5 个点中有 4 个落在中心线同一侧的 1σ 以外"),
    (7, "连续 15 个点落在中心线两侧的 1σ 以内"),
    (8, "连续 8 个点落在中心线两侧且无一在 1σ 以内"),
];

/// A rule that a point completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// Nelson's rule number, 1 to 8.
    pub rule: u8,
    /// The point (0-based) that completes the pattern; every later point that still completes
    /// one is flagged too.
    pub index: usize,
}

/// The Nelson rules over `x` with the chart's center and σ (`sigma` > 0): every point that
/// completes a pattern, in order of index then rule (the convention of Minitab and of R's qcc:
/// the completing point is flagged, and every later point while the pattern holds). A point
/// exactly on a line counts as inside it; a point on the center line is on neither side; equal
/// neighbours break an increasing or alternating run; the points of rules 5 and 6 completing a
/// pattern are themselves beyond the line; rule 8's run has points on both sides.
pub fn nelson(x: &[f64], center: f64, sigma: f64) -> Vec<Violation> {
    let mut out = Vec::new();
    if sigma.is_nan() || sigma <= 0.0 {
        return out;
    }
    let z: Vec<f64> = x.iter().map(|v| (v - center) / sigma).collect();
    let side = |v: f64| -> i8 {
        if v > 0.0 {
            1
        } else if v < 0.0 {
            -1
        } else {
            0
        }
    };
    let (mut same, mut trend, mut alternate, mut within, mut beyond) = (0usize, 0usize, 0usize, 0usize, 0usize);
    let mut last_side = 0i8;
    let mut last_step = 0i8;
    for (i, &v) in z.iter().enumerate() {
        // 1: beyond 3σ.
        if v.abs() > 3.0 {
            out.push(Violation { rule: 1, index: i });
        }
        // 2: nine in a row on one side.
        let s = side(v);
        same = if s != 0 && s == last_side {
            same + 1
        } else if s != 0 {
            1
        } else {
            0
        };
        last_side = s;
        if same >= 9 {
            out.push(Violation { rule: 2, index: i });
        }
        // 3: six in a row steadily increasing or decreasing (five steps one way).
        let step = if i == 0 { 0 } else { side(v - z[i - 1]) };
        trend = if step != 0 && step == last_step {
            trend + 1
        } else if step != 0 {
            1
        } else {
            0
        };
        if trend >= 5 {
            out.push(Violation { rule: 3, index: i });
        }
        // 4: fourteen in a row alternating up and down (thirteen steps, each turning).
        alternate = if step != 0 && step == -last_step {
            alternate + 1
        } else if step != 0 {
            1
        } else {
            0
        };
        last_step = step;
        if alternate >= 13 {
            out.push(Violation { rule: 4, index: i });
        }
        // 5 and 6: two of three beyond 2σ, four of five beyond 1σ, on one side; the point
        // completing the pattern is itself one of them.
        for (rule, window, need, zone) in [(5u8, 3usize, 2usize, 2.0), (6, 5, 4, 1.0)] {
            if i + 1 >= window && v.abs() > zone {
                let from = i + 1 - window;
                let count = z[from..=i].iter().filter(|w| side(**w) == s && w.abs() > zone).count();
                if count >= need {
                    out.push(Violation { rule, index: i });
                }
            }
        }
        // 7: fifteen in a row within 1σ (either side).
        within = if v.abs() <= 1.0 { within + 1 } else { 0 };
        if within >= 15 {
            out.push(Violation { rule: 7, index: i });
        }
        // 8: eight in a row beyond 1σ, either side.
        beyond = if v.abs() > 1.0 { beyond + 1 } else { 0 };
        if beyond >= 8 && z[i + 1 - 8..=i].iter().any(|w| *w > 0.0) && z[i + 1 - 8..=i].iter().any(|w| *w < 0.0) {
            out.push(Violation { rule: 8, index: i });
        }
    }
    out
}

/// One point of an EWMA chart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EwmaPoint {
    pub value: f64,
    pub lower: f64,
    pub upper: f64,
    pub out: bool,
}

/// The exponentially weighted moving average chart (NIST §6.3.2.4; Roberts 1959):
/// EWMAₜ = λ·Yₜ + (1 − λ)·EWMAₜ₋₁ from EWMA₀ = `target`, limits
/// target ± k·σ·√(λ/(2 − λ)·[1 − (1 − λ)^(2t)]) (the exact, time-varying limits).
pub fn ewma(x: &[f64], target: f64, sigma: f64, lambda: f64, k: f64) -> Vec<EwmaPoint> {
    let mut z = target;
    x.iter()
        .enumerate()
        .map(|(i, v)| {
            let p = ewma_step(z, *v, i + 1, (target, sigma, lambda, k));
            z = p.value;
            p
        })
        .collect()
}

/// The EWMA chart's point `t` (1-based) from the previous EWMA (`target` before the first) and
/// the value `v`: one step of [`ewma`], for a chart kept as it grows.
pub fn ewma_step(previous: f64, v: f64, t: usize, (target, sigma, lambda, k): (f64, f64, f64, f64)) -> EwmaPoint {
    let z = lambda * v + (1.0 - lambda) * previous;
    let t = i32::try_from(t.min(1 << 20)).unwrap_or(i32::MAX);
    let half = k * sigma * (lambda / (2.0 - lambda) * (1.0 - (1.0 - lambda).powi(2 * t))).sqrt();
    let (lower, upper) = (target - half, target + half);
    EwmaPoint { value: z, lower, upper, out: z < lower || z > upper }
}

/// One point of a tabular CUSUM.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CusumPoint {
    /// Sₕ, the upper cumulative sum.
    pub high: f64,
    /// Sₗ, the lower cumulative sum.
    pub low: f64,
    pub out: bool,
}

/// The tabular CUSUM (NIST §6.3.2.3; Montgomery §9.1.2): Sₕ(t) = max(0, Sₕ(t−1) + xₜ − target −
/// k), Sₗ(t) = max(0, Sₗ(t−1) + target − k − xₜ), both from 0, out of control when either
/// exceeds h (`k` and `h` in the data's units, commonly ½σ and 4σ or 5σ).
pub fn cusum(x: &[f64], target: f64, k: f64, h: f64) -> Vec<CusumPoint> {
    let mut previous = CusumPoint { high: 0.0, low: 0.0, out: false };
    x.iter()
        .map(|v| {
            previous = cusum_step(previous, *v, (target, k, h));
            previous
        })
        .collect()
}

/// One step of [`cusum`] from the previous point (both sums 0 before the first).
pub fn cusum_step(previous: CusumPoint, v: f64, (target, k, h): (f64, f64, f64)) -> CusumPoint {
    let high = (previous.high + v - target - k).max(0.0);
    let low = (previous.low + target - k - v).max(0.0);
    CusumPoint { high, low, out: high > h || low > h }
}

/// Process capability against the specification limits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Capability {
    pub cp: Option<f64>,
    pub cpk: f64,
    pub pp: Option<f64>,
    pub ppk: f64,
}

/// Process capability (NIST §6.1.6; Montgomery §8.2): with σ within (short term, from the
/// chart: M̄R/d₂ or R̄/d₂) Cp = (USL − LSL)/6σ and Cpk = min(USL − μ, μ − LSL)/3σ; with the
/// overall sample standard deviation s, Pp and Ppk the same way. A one-sided specification
/// gives no Cp or Pp and its one-sided Cpk / Ppk. `None` without a limit or with σ ≤ 0.
pub fn capability(
    mean: f64,
    sigma_within: f64,
    sigma_overall: f64,
    lsl: Option<f64>,
    usl: Option<f64>,
) -> Option<Capability> {
    if lsl.is_none() && usl.is_none()
        || sigma_within.is_nan()
        || sigma_within <= 0.0
        || sigma_overall.is_nan()
        || sigma_overall <= 0.0
    {
        return None;
    }
    let index = |sigma: f64| -> (Option<f64>, f64) {
        let spread = match (lsl, usl) {
            (Some(l), Some(u)) => Some((u - l) / (6.0 * sigma)),
            _ => None,
        };
        let upper = usl.map(|u| (u - mean) / (3.0 * sigma));
        let lower = lsl.map(|l| (mean - l) / (3.0 * sigma));
        let k = match (upper, lower) {
            (Some(u), Some(l)) => u.min(l),
            (Some(u), None) => u,
            (None, Some(l)) => l,
            (None, None) => f64::NAN,
        };
        (spread, k)
    };
    let (cp, cpk) = index(sigma_within);
    let (pp, ppk) = index(sigma_overall);
    Some(Capability { cp, cpk, pp, ppk })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, tolerance: f64) {
        assert!((actual - expected).abs() <= tolerance, "{actual} is not {expected} ± {tolerance}");
    }

    fn flagged(x: &[f64], rule: u8) -> Vec<usize> {
        // 1-based, as the sources print them.
        nelson(x, 0.0, 1.0).into_iter().filter(|v| v.rule == rule).map(|v| v.index + 1).collect()
    }

    /// Nelson's eight rules on R qcc's test series (github.com/luca-scr/qcc,
    /// tests/testthat/test-rules.R: center 0, σ 1; the points flagged, 1-based).
    #[test]
    fn nelson_rules_match_qcc() {
        assert_eq!(flagged(&[0.0, 3.2, -3.4, 3.0], 1), [2, 3]);
        let two: Vec<f64> = [0.5; 10].into_iter().chain([-0.5; 10]).collect();
        assert_eq!(flagged(&two, 2), [9, 10, 19, 20]);
        let three = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0];
        assert_eq!(flagged(&three, 3), [6, 7, 13, 14]);
        let four = [1.0, 3.0, 2.0, 4.0, 3.0, 5.0, 4.0, 6.0, 5.0, 7.0, 6.0, 8.0, 7.0, 9.0, 8.0];
        assert_eq!(flagged(&four, 4), [14, 15]);
        assert_eq!(flagged(&[0.0, 2.3, 0.4, 2.2, -2.4, -0.2, -2.5], 5), [4, 7]);
        assert_eq!(flagged(&[1.2, 1.3, 0.2, 1.4, 1.5, -1.2, -1.3, -0.1, -1.4, -1.5], 6), [5, 10]);
        let seven: Vec<f64> = [0.3; 16].into_iter().chain([1.2]).collect();
        assert_eq!(flagged(&seven, 7), [15, 16]);
        assert_eq!(flagged(&[1.2, -1.3, 1.1, -1.4, 1.5, -1.2, 1.3, -1.1, 0.2], 8), [8]);
        assert!(flagged(&[1.2; 8], 8).is_empty(), "rule 8 needs both sides");
    }

    /// SAS/QC's SHEWHART example "Applying Tests for Special Causes" (sample library SHWTEST,
    /// data set Parts: 21 subgroup means and ranges of 5): "Test 5 was positive at sample 14".
    #[test]
    fn nelson_rule_five_matches_sas_parts() {
        let means = [
            270.0, 258.0, 248.0, 260.0, 273.0, 260.0, 259.0, 248.0, 260.0, 255.0, 268.0, 253.0, 273.0, 275.0, 257.0,
            269.0, 249.0, 264.0, 258.0, 248.0, 248.0,
        ];
        let ranges = [
            35.0, 25.0, 24.0, 39.0, 29.0, 21.0, 37.0, 37.0, 28.0, 19.0, 36.0, 36.0, 29.0, 22.0, 24.0, 41.0, 36.0, 31.0,
            25.0, 36.0, 30.0,
        ];
        let (d2, ..) = factors(5).unwrap();
        let sigma = mean(&ranges) / d2 / 5f64.sqrt();
        let found = nelson(&means, mean(&means), sigma);
        let five: Vec<usize> = found.iter().filter(|v| v.rule == 5).map(|v| v.index + 1).collect();
        assert_eq!(five, [14]);
        assert!(found.iter().all(|v| v.rule == 5), "tests 1–4 negative, as SAS prints: {found:?}");
    }

    /// The chart factors derived from d₂ and d₃ agree with the printed table (ASTM, Montgomery
    /// Appendix VI, NIST §6.3.2.1) to its three decimals.
    #[test]
    fn factors_match_the_printed_table() {
        let table = [
            (2, 1.880, 0.0, 3.267),
            (3, 1.023, 0.0, 2.574),
            (4, 0.729, 0.0, 2.282),
            (5, 0.577, 0.0, 2.114),
            (6, 0.483, 0.0, 2.004),
            (7, 0.419, 0.076, 1.924),
            (8, 0.373, 0.136, 1.864),
            (9, 0.337, 0.184, 1.816),
            (10, 0.308, 0.223, 1.777),
        ];
        for (n, a2, d3, d4) in table {
            let (_, fa2, fd3, fd4) = factors(n).unwrap();
            close(fa2, a2, 1.1e-3);
            close(fd3, d3, 1.1e-3);
            close(fd4, d4, 1.1e-3);
        }
        assert!(factors(1).is_none() && factors(11).is_none());
    }

    /// Montgomery's piston-ring diameters, the first 25 samples of 5, as R's qcc prints their X̄
    /// and R charts (qcc `pistonrings`; the data and the printed figures as
    /// github.com/gedeck/mistat carries them, src/mistat/qcc/tests): center 74.00118, σ
    /// 0.009785039, limits 73.98805 and 74.0143; R center 0.02276, upper 0.04812533.
    #[test]
    fn means_ranges_match_qcc_pistonrings() {
        let rows: [[f64; 5]; 25] = [
            [74.030, 74.002, 74.019, 73.992, 74.008],
            [73.995, 73.992, 74.001, 74.011, 74.004],
            [73.988, 74.024, 74.021, 74.005, 74.002],
            [74.002, 73.996, 73.993, 74.015, 74.009],
            [73.992, 74.007, 74.015, 73.989, 74.014],
            [74.009, 73.994, 73.997, 73.985, 73.993],
            [73.995, 74.006, 73.994, 74.000, 74.005],
            [73.985, 74.003, 73.993, 74.015, 73.988],
            [74.008, 73.995, 74.009, 74.005, 74.004],
            [73.998, 74.000, 73.990, 74.007, 73.995],
            [73.994, 73.998, 73.994, 73.995, 73.990],
            [74.004, 74.000, 74.007, 74.000, 73.996],
            [73.983, 74.002, 73.998, 73.997, 74.012],
            [74.006, 73.967, 73.994, 74.000, 73.984],
            [74.012, 74.014, 73.998, 73.999, 74.007],
            [74.000, 73.984, 74.005, 73.998, 73.996],
            [73.994, 74.012, 73.986, 74.005, 74.007],
            [74.006, 74.010, 74.018, 74.003, 74.000],
            [73.984, 74.002, 74.003, 74.005, 73.997],
            [74.000, 74.010, 74.013, 74.020, 74.003],
            [73.988, 74.001, 74.009, 74.005, 73.996],
            [74.004, 73.999, 73.990, 74.006, 74.009],
            [74.010, 73.989, 73.990, 74.009, 74.014],
            [74.015, 74.008, 73.993, 74.000, 74.010],
            [73.982, 73.984, 73.995, 74.017, 74.013],
        ];
        let groups: Vec<Vec<f64>> = rows.iter().map(|r| r.to_vec()).collect();
        let chart = means_ranges(&groups).unwrap();
        close(chart.xbar.center, 74.00118, 5e-6);
        close(chart.sigma, 0.009785039, 5e-10);
        close(chart.xbar.lower, 73.98805, 5e-6);
        close(chart.xbar.upper, 74.0143, 5e-5);
        close(chart.r.center, 0.02276, 5e-6);
        close(chart.r.lower, 0.0, 1e-12);
        close(chart.r.upper, 0.04812533, 5e-9);
        let means: Vec<f64> = groups.iter().map(|g| mean(g)).collect();
        let sigma_mean = chart.sigma / 5f64.sqrt();
        assert!(nelson(&means, chart.xbar.center, sigma_mean).iter().all(|v| v.rule != 1), "qcc: no point beyond");
        // Mixed subgroup sizes and sizes outside 2…10 have no chart.
        assert!(means_ranges(&[vec![1.0, 2.0], vec![1.0, 2.0, 3.0]]).is_none());
        assert!(means_ranges(&[vec![1.0]]).is_none());
    }

    /// NIST/SEMATECH e-Handbook §6.3.2.2, the individuals chart of flow rates: x̄ 50.81, M̄R
    /// 1.8778, UCL 55.8041, LCL 45.8159.
    #[test]
    fn individuals_match_nist_flow_rates() {
        let x = [49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4, 53.6, 52.1];
        let chart = individuals(&x).unwrap();
        close(chart.x.center, 50.81, 5e-5);
        close(chart.mr.center, 1.8778, 5e-5);
        close(chart.x.upper, 55.8041, 5e-5);
        close(chart.x.lower, 45.8159, 5e-5);
        assert!(nelson(&x, chart.x.center, chart.sigma).iter().all(|v| v.rule != 1), "in control");
        assert!(individuals(&[1.0]).is_none());
    }

    /// Montgomery's aircraft-primer viscosity, individuals chart as R's qcc prints it (mistat
    /// `test_xbar_one`): center 33.52333, σ 0.4261651, limits 32.24484 and 34.80183.
    #[test]
    fn individuals_match_qcc_viscosity() {
        let x =
            [33.75, 33.05, 34.0, 33.81, 33.46, 34.02, 33.68, 33.27, 33.49, 33.20, 33.62, 33.00, 33.54, 33.12, 33.84];
        let chart = individuals(&x).unwrap();
        close(chart.x.center, 33.52333, 5e-6);
        close(chart.sigma, 0.4261651, 5e-8);
        close(chart.x.lower, 32.24484, 5e-6);
        close(chart.x.upper, 34.80183, 5e-6);
    }

    /// NIST/SEMATECH e-Handbook §6.3.2.4, the EWMA example: λ 0.3, target 50, s 2.0539, k 3;
    /// the printed EWMA values (two decimals) and the limits 52.5884 / 47.4115, which the
    /// exact limits approach (within the handbook's rounding of √(λ/(2 − λ)) to 0.4201).
    #[test]
    fn ewma_matches_nist() {
        let x = [
            52.0, 47.0, 53.0, 49.3, 50.1, 47.0, 51.0, 50.1, 51.2, 50.5, 49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4,
            53.6, 52.1,
        ];
        let printed = [
            50.60, 49.52, 50.56, 50.18, 50.16, 49.21, 49.75, 49.85, 50.26, 50.33, 50.11, 49.36, 49.52, 50.05, 49.38,
            49.92, 50.73, 51.23, 51.94, 51.99,
        ];
        let chart = ewma(&x, 50.0, 2.0539, 0.3, 3.0);
        for (point, value) in chart.iter().zip(printed) {
            close(point.value, value, 0.005 + 1e-9);
        }
        let last = chart.last().unwrap();
        close(last.upper, 52.5884, 1e-4);
        close(last.lower, 47.4115, 1e-4);
        assert!(chart.iter().all(|p| !p.out), "the handbook finds the process in control");
        // The first limits are narrower: σ·√(λ/(2 − λ)·(1 − (1 − λ)²)) = 0.3σ.
        close(chart[0].upper, 50.0 + 3.0 * 2.0539 * 0.3, 1e-12);
    }

    /// NIST/SEMATECH e-Handbook §6.3.2.3, the tabular CUSUM: target 325, k 0.3175, h 4.1959;
    /// the printed upper and lower sums (two decimals) and the first point beyond h, group 14.
    #[test]
    fn cusum_matches_nist() {
        let x = [
            324.925, 324.675, 324.725, 324.350, 325.350, 325.225, 324.125, 324.525, 325.225, 324.600, 324.625, 325.150,
            328.325, 327.250, 327.825, 328.500, 326.675, 327.775, 326.875, 328.350,
        ];
        let high = [
            0.00, 0.00, 0.00, 0.00, 0.03, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 3.01, 4.94, 7.45, 10.63, 11.99,
            14.44, 16.00, 19.04,
        ];
        let low = [
            0.00, 0.01, 0.00, 0.33, 0.00, 0.00, 0.56, 0.72, 0.17, 0.25, 0.31, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00,
            0.00, 0.00,
        ];
        let chart = cusum(&x, 325.0, 0.3175, 4.1959);
        for (i, point) in chart.iter().enumerate() {
            // The handbook rounds halves either way (0.0075 printed 0.01, 14.445 printed 14.44).
            close(point.high, high[i], 0.0051);
            close(point.low, low[i], 0.0051);
        }
        assert_eq!(chart.iter().position(|p| p.out), Some(13));
        assert!(chart[13..].iter().all(|p| p.out));
    }

    /// Process capability: NIST/SEMATECH e-Handbook §6.1.6 (USL 20, LSL 8, μ 16, σ 2: Cp 1,
    /// Cpk 0.6667), and R qcc's `processCapability` test (github.com/luca-scr/qcc,
    /// tests/testthat/test-capability.R: three subgroups of four, limits 9.9 and 10.1; Cp
    /// 1.372667, Cpk 1.304033, Pp 1.612598, Ppk 1.531968).
    #[test]
    fn capability_matches_nist_and_qcc() {
        let c = capability(16.0, 2.0, 2.0, Some(8.0), Some(20.0)).unwrap();
        close(c.cp.unwrap(), 1.0, 1e-12);
        close(c.cpk, 0.6667, 5e-5);
        let groups =
            vec![vec![10.00, 10.02, 9.98, 10.01], vec![10.03, 9.99, 10.01, 10.00], vec![9.97, 10.04, 10.02, 9.99]];
        let chart = means_ranges(&groups).unwrap();
        let all: Vec<f64> = groups.concat();
        let c = capability(mean(&all), chart.sigma, std_dev(&all), Some(9.9), Some(10.1)).unwrap();
        close(c.cp.unwrap(), 1.372667, 5e-7);
        close(c.cpk, 1.304033, 5e-7);
        close(c.pp.unwrap(), 1.612598, 5e-7);
        close(c.ppk, 1.531968, 5e-7);
        // One-sided: no Cp, Cpk from the one limit.
        let c = capability(16.0, 2.0, 2.0, None, Some(20.0)).unwrap();
        assert!(c.cp.is_none());
        close(c.cpk, 0.6667, 5e-5);
        assert!(capability(16.0, 2.0, 2.0, None, None).is_none());
        assert!(capability(16.0, 0.0, 2.0, Some(8.0), Some(20.0)).is_none());
    }
}
