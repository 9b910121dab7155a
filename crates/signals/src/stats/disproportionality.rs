//! Frequentist and Bayesian disproportionality measures of one drug × event pair, over the
//! 2×2 table of spontaneous reports (不良反应报告):
//!
//! |                | the event | other events | total   |
//! |----------------|-----------|--------------|---------|
//! | the drug       | a         | b            | a + b   |
//! | other drugs    | c         | d            | c + d   |
//! | total          | a + c     | b + d        | N       |
//!
//! The formulas and their sources are at each function; the tests carry published worked
//! examples. Nothing here does I/O.

use serde::Serialize;

/// z of the two-sided 95% interval, as the sources write it (Evans et al. 2001; Rothman's
/// log-odds interval; van Puijenbroek et al. 2002).
pub const Z95: f64 = 1.96;

/// The counts of the 2×2 table (a report counts once for a pair whatever else it names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Table {
    /// Reports naming the drug and the event.
    pub a: u64,
    /// Reports naming the drug and not the event.
    pub b: u64,
    /// Reports naming the event and not the drug.
    pub c: u64,
    /// Reports naming neither.
    pub d: u64,
}

impl Table {
    /// The table from the margins the rollups keep: `n_pair` reports with both, `n_drug` with
    /// the drug, `n_event` with the event, `total` reports; `None` when the margins contradict
    /// each other (a pair counted more often than its drug, …).
    pub fn from_margins(n_pair: u64, n_drug: u64, n_event: u64, total: u64) -> Option<Table> {
        let b = n_drug.checked_sub(n_pair)?;
        let c = n_event.checked_sub(n_pair)?;
        let d = total.checked_sub(n_drug)?.checked_sub(c)?;
        Some(Table { a: n_pair, b, c, d })
    }

    /// N, every report.
    pub fn total(&self) -> u64 {
        self.a + self.b + self.c + self.d
    }

    /// The count expected under independence, E = (a + b)(a + c) / N.
    pub fn expected(&self) -> f64 {
        let n = self.total();
        if n == 0 {
            return 0.0;
        }
        (self.a + self.b) as f64 * (self.a + self.c) as f64 / n as f64
    }
}

/// A point estimate with the bounds of its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub estimate: f64,
    pub lower: f64,
    pub upper: f64,
}

/// The proportional reporting ratio (Evans, Waller & Davis 2001, Pharmacoepidemiol Drug Saf
/// 10:483–6): PRR = [a / (a + b)] / [c / (c + d)], with the 95% interval
/// exp(ln PRR ± 1.96 · √(1/a − 1/(a + b) + 1/c − 1/(c + d))). `None` when a or c is 0 (no
/// logarithm) or a row is empty.
pub fn prr(t: &Table) -> Option<Interval> {
    let (a, b, c, d) = (t.a as f64, t.b as f64, t.c as f64, t.d as f64);
    if t.a == 0 || t.c == 0 {
        return None;
    }
    let estimate = (a / (a + b)) / (c / (c + d));
    let se = (1.0 / a - 1.0 / (a + b) + 1.0 / c - 1.0 / (c + d)).max(0.0).sqrt();
    Some(log_interval(estimate, se))
}

/// The reporting odds ratio (van Puijenbroek et al. 2002, Pharmacoepidemiol Drug Saf
/// 11:3–10): ROR = (a · d) / (b · c), with the 95% interval exp(ln ROR ± 1.96 · √(1/a + 1/b +
/// 1/c + 1/d)). `None` when a cell is 0.
pub fn ror(t: &Table) -> Option<Interval> {
    if t.a == 0 || t.b == 0 || t.c == 0 || t.d == 0 {
        return None;
    }
    let (a, b, c, d) = (t.a as f64, t.b as f64, t.c as f64, t.d as f64);
    let estimate = (a * d) / (b * c);
    let se = (1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d).sqrt();
    Some(log_interval(estimate, se))
}

fn log_interval(estimate: f64, se: f64) -> Interval {
    let ln = estimate.ln();
    Interval { estimate, lower: (ln - Z95 * se).exp(), upper: (ln + Z95 * se).exp() }
}

/// Pearson's χ² of the table with Yates's continuity correction, as Evans et al. 2001 use it
/// beside the PRR: χ² = N · (|ad − bc| − N/2)² / [(a + b)(c + d)(a + c)(b + d)], 0 when
/// |ad − bc| ≤ N/2 or a margin is empty.
pub fn chi_square_yates(t: &Table) -> f64 {
    let (a, b, c, d) = (t.a as f64, t.b as f64, t.c as f64, t.d as f64);
    let n = a + b + c + d;
    let margins = (a + b) * (c + d) * (a + c) * (b + d);
    if margins == 0.0 {
        return 0.0;
    }
    let diff = ((a * d - b * c).abs() - n / 2.0).max(0.0);
    n * diff * diff / margins
}

/// Evans's criteria for a signal: PRR ≥ 2, χ² ≥ 4 and at least 3 reports.
pub fn evans_signal(t: &Table) -> bool {
    t.a >= 3 && prr(t).is_some_and(|p| p.estimate >= 2.0) && chi_square_yates(t) >= 4.0
}

/// The information component of the Bayesian confidence propagation neural network (BCPNN) in
/// its shrinkage form (Norén, Hopstadius & Bate 2013, Stat Methods Med Res 22:57–69; the
/// Uppsala Monitoring Centre's IC): IC = log₂((O + ½) / (E + ½)) with O = a and E the expected
/// count, and the bounds of its 95% credibility interval in the paper's closed form
/// IC₀₂₅ ≈ IC − 3.3·(O + ½)^(−½) − 2·(O + ½)^(−3/2) and IC₉₇₅ ≈ IC + 2.4·(O + ½)^(−½) −
/// 0.5·(O + ½)^(−3/2) (for O + ½ ≥ 1, which every stored pair has). A signal when IC₀₂₅ > 0.
pub fn information_component(t: &Table) -> Interval {
    let observed = t.a as f64 + 0.5;
    let estimate = (observed / (t.expected() + 0.5)).log2();
    Interval {
        estimate,
        lower: estimate - 3.3 * observed.powf(-0.5) - 2.0 * observed.powf(-1.5),
        upper: estimate + 2.4 * observed.powf(-0.5) - 0.5 * observed.powf(-1.5),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margins_make_the_table_and_refuse_contradictions() {
        let t = Table::from_margins(5, 20, 50, 1000).unwrap();
        assert_eq!(t, Table { a: 5, b: 15, c: 45, d: 935 });
        assert_eq!(t.total(), 1000);
        assert!((t.expected() - 1.0).abs() < 1e-12);
        assert!(Table::from_margins(21, 20, 50, 1000).is_none());
        assert!(Table::from_margins(5, 600, 600, 1000).is_none());
    }

    #[test]
    fn zero_cells_give_no_ratio_and_no_signal() {
        let t = Table { a: 0, b: 10, c: 5, d: 100 };
        assert!(prr(&t).is_none());
        assert!(ror(&t).is_none());
        assert!(!evans_signal(&t));
        let t = Table { a: 3, b: 0, c: 0, d: 100 };
        assert!(prr(&t).is_none());
        assert!(ror(&t).is_none());
        assert_eq!(chi_square_yates(&Table { a: 0, b: 0, c: 1, d: 1 }), 0.0);
    }

    fn close(actual: f64, expected: f64, relative: f64) {
        assert!(
            (actual - expected).abs() <= relative * expected.abs(),
            "{actual} is not {expected} within {relative} relative"
        );
    }

    /// CDC Epi Info StatCalc, "2 x 2 Table Statistics", stratum 1 (a 66, b 28, c 36, d 32), as
    /// printed in the Epi Info training session I (epiinformatics.com, SessionI): risk ratio
    /// 1.326 with Taylor-series limits 1.023, 1.72 — the PRR and its interval are that risk
    /// ratio of the report table — and the Yates-corrected χ² 4.334 (uncorrected 5.047).
    #[test]
    fn prr_and_yates_match_epi_info() {
        let t = Table { a: 66, b: 28, c: 36, d: 32 };
        let p = prr(&t).unwrap();
        close(p.estimate, 1.326, 5e-4);
        close(p.lower, 1.023, 5e-4);
        close(p.upper, 1.72, 3e-3);
        close(chi_square_yates(&t), 4.334, 1e-4);
    }

    /// Agresti (1990), Categorical Data Analysis, the aspirin trial (placebo 189 heart attacks,
    /// 10,845 none; aspirin 104, 10,933), as StatSoft's STATISTICA help on crosstabulation odds
    /// ratios works it: odds ratio 1.832054, asymptotic interval [1.440042, 2.330780] — the
    /// ROR's formula (its z 1.959964 against our 1.96: the bounds agree to 1e-5).
    #[test]
    fn ror_matches_agresti_aspirin() {
        let t = Table { a: 189, b: 10_845, c: 104, d: 10_933 };
        let r = ror(&t).unwrap();
        close(r.estimate, 1.832054, 1e-6);
        close(r.lower, 1.440042, 1e-5);
        close(r.upper, 2.330780, 1e-5);
    }

    /// R's `chisq.test(matrix(c(a, b, c, d), 2, byrow = TRUE))` with Yates's correction, as
    /// recorded in github.com/glycerine/fisherexact `chisq_test.go` (commit 3ae86c8e).
    #[test]
    fn yates_matches_r_chisq_test() {
        for (a, b, c, d, expected) in [
            (2, 5, 14, 8, 1.4125639985015),
            (8, 6, 14, 3, 1.30268546812664),
            (15, 8, 13, 4, 0.175374497625137),
            (10, 13, 14, 15, 0.00417648318697791),
            (12, 13, 2, 10, 2.18332556935818),
            (14, 11, 9, 2, 1.22984493767102),
            (13, 9, 12, 3, 0.953123737373737),
            (11, 6, 4, 7, 1.16791443850267),
        ] {
            close(chi_square_yates(&Table { a, b, c, d }), expected, 1e-9);
        }
        // R's correction is min(½, |O − E|): below ½ the statistic is 0 (R prints 8.2e-32).
        assert!(chi_square_yates(&Table { a: 14, b: 5, c: 6, d: 3 }) < 1e-12);
    }

    /// Norén, Hopstadius & Bate 2013's closed-form IC and IC₀₂₅ on the inputs of Norén 2006
    /// Table III, as the pharmsignal R package's tests carry them
    /// (github.com/tystan/pharmsignal, tests/testthat/test_obsexp_shrink_signal.R, commit
    /// 93c1cb56): n₁₁ 25, n₁. 1126, n.₁ 87, N 572,573 → IC 5.247845, IC₀₂₅ 4.578816; n₁₁ 203,
    /// n₁. 30,068, n.₁ 508, N 155,209 → IC 1.0408, IC₀₂₅ 0.8087816.
    #[test]
    fn information_component_matches_noren() {
        let t = Table::from_margins(25, 1126, 87, 572_573).unwrap();
        let ic = information_component(&t);
        close(ic.estimate, 5.247845, 1e-6);
        close(ic.lower, 4.578816, 1e-6);
        let t = Table::from_margins(203, 30_068, 508, 155_209).unwrap();
        let ic = information_component(&t);
        close(ic.estimate, 1.0408, 1e-4);
        close(ic.lower, 0.8087816, 1e-6);
    }

    #[test]
    fn evans_needs_all_three_criteria() {
        // PRR 1.33: no signal, however significant.
        assert!(!evans_signal(&Table { a: 66, b: 28, c: 36, d: 32 }));
        // 3 reports, PRR 30, χ² large: a signal; 2 reports of the same shape: none.
        assert!(evans_signal(&Table { a: 3, b: 97, c: 10, d: 9890 }));
        assert!(!evans_signal(&Table { a: 2, b: 98, c: 10, d: 9890 }));
    }
}
