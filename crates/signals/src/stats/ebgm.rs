//! The gamma-Poisson shrinker (DuMouchel 1999, "Bayesian data mining in large frequency tables,
//! with an application to the FDA spontaneous reporting system", Am Stat 53:177–190): the
//! observed count N of a drug × event pair is Poisson with mean λ·E (E the count expected under
//! independence); λ has a prior that is a mixture of two gamma distributions,
//! π(λ) = P·g(λ; α₁, β₁) + (1 − P)·g(λ; α₂, β₂) (shape α, rate β), fitted by maximum likelihood
//! to every pair's (N, E). Then N is marginally a mixture of two negative binomials (DuMouchel
//! eq. 2.3):
//!
//! f(n; α, β, E) = Γ(α + n) / (Γ(α) n!) · (1 + β/E)^(−n) · (1 + E/β)^(−α),
//!
//! and λ given N = n is a mixture of Gamma(α₁ + n, β₁ + E) and Gamma(α₂ + n, β₂ + E) with weight
//! Qₙ = P f(n; α₁, β₁, E) / [P f(n; α₁, β₁, E) + (1 − P) f(n; α₂, β₂, E)] (eq. 2.4).
//! EBlog₂ = E[log₂ λ | n] = [Qₙ (ψ(α₁ + n) − ln(β₁ + E)) + (1 − Qₙ)(ψ(α₂ + n) − ln(β₂ + E))] / ln 2,
//! EBGM = 2^EBlog₂, and EB05 is the 5% quantile of the posterior (eq. 2.5–2.6).
//!
//! Only pairs that were reported at least once are stored, so the fit maximizes the likelihood
//! truncated at zero (each cell's mixture probability divided by 1 − its probability of 0, as
//! the openEBGM package's `negLLzero` does; Canida & Ihrie 2017, J Stat Softw 82). Nothing here
//! does I/O.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Gamma};
use statrs::function::gamma::{digamma, ln_gamma};

/// The prior's hyperparameters θ = (α₁, β₁, α₂, β₂, P).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prior {
    pub alpha1: f64,
    pub beta1: f64,
    pub alpha2: f64,
    pub beta2: f64,
    pub p: f64,
}

impl Prior {
    /// DuMouchel's suggested starting point, also openEBGM's first (α₁ 0.2, β₁ 0.1, α₂ 2, β₂ 4,
    /// P ⅓).
    pub const START: Prior = Prior { alpha1: 0.2, beta1: 0.1, alpha2: 2.0, beta2: 4.0, p: 1.0 / 3.0 };

    /// Within the bounds the fit searches: α and β in [10⁻⁵, 10⁵], P in [10⁻⁶, 1 − 10⁻⁶]. A small
    /// or uniform table has its likelihood's maximum at a degenerate prior (P → 0, α = β → ∞, all
    /// mass at one λ); the bounds keep the fit, and the gamma quantiles of the posterior, finite.
    pub fn valid(&self) -> bool {
        [self.alpha1, self.beta1, self.alpha2, self.beta2].iter().all(|v| v.is_finite() && (1e-5..=1e5).contains(v))
            && (1e-6..=1.0 - 1e-6).contains(&self.p)
    }
}

/// ln f(n; α, β, E) without the −ln n! both components share, given ln Γ(α + n) − ln Γ(α).
fn ln_nb_tail(gamma_ratio: f64, n: f64, alpha: f64, beta: f64, e: f64) -> f64 {
    gamma_ratio - n * (1.0 + beta / e).ln() - alpha * (1.0 + e / beta).ln()
}

/// ln Γ(α + n) − ln Γ(α) (a sum of logarithms for a small n).
fn gamma_ratio(alpha: f64, n: u64) -> f64 {
    if n <= 16 {
        (0..n).map(|k| (alpha + k as f64).ln()).sum()
    } else {
        ln_gamma(alpha + n as f64) - ln_gamma(alpha)
    }
}

/// The posterior of λ for one pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Posterior {
    /// Qₙ, the weight of the first component.
    pub q: f64,
    pub shape1: f64,
    pub rate1: f64,
    pub shape2: f64,
    pub rate2: f64,
}

/// The posterior of a pair observed `n` times with expected count `e` (> 0), under `prior`.
pub fn posterior(prior: &Prior, n: u64, e: f64) -> Posterior {
    let nf = n as f64;
    let l1 = prior.p.ln() + ln_nb_tail(gamma_ratio(prior.alpha1, n), nf, prior.alpha1, prior.beta1, e);
    let l2 = (1.0 - prior.p).ln() + ln_nb_tail(gamma_ratio(prior.alpha2, n), nf, prior.alpha2, prior.beta2, e);
    // Qₙ = 1 / (1 + exp(l2 − l1)), written to keep the exponent from overflowing.
    let q = if l1 >= l2 { 1.0 / (1.0 + (l2 - l1).exp()) } else { (l1 - l2).exp() / (1.0 + (l1 - l2).exp()) };
    Posterior {
        q,
        shape1: prior.alpha1 + nf,
        rate1: prior.beta1 + e,
        shape2: prior.alpha2 + nf,
        rate2: prior.beta2 + e,
    }
}

impl Posterior {
    /// EBlog₂, the posterior mean of log₂ λ.
    pub fn eb_log2(&self) -> f64 {
        let m1 = digamma(self.shape1) - self.rate1.ln();
        let m2 = digamma(self.shape2) - self.rate2.ln();
        (self.q * m1 + (1.0 - self.q) * m2) / std::f64::consts::LN_2
    }

    /// EBGM, the empirical Bayes geometric mean 2^EBlog₂.
    pub fn ebgm(&self) -> f64 {
        self.eb_log2().exp2()
    }

    /// The posterior's cumulative distribution at `x`.
    pub fn cdf(&self, x: f64) -> f64 {
        let f = |shape: f64, rate: f64| Gamma::new(shape, rate).map(|g| g.cdf(x)).unwrap_or(f64::NAN);
        self.q * f(self.shape1, self.rate1) + (1.0 - self.q) * f(self.shape2, self.rate2)
    }

    /// The posterior's `p` quantile (EB05 at 0.05, EB95 at 0.95), by bisection to 1e-10 relative.
    pub fn quantile(&self, p: f64) -> f64 {
        // Each component's quantile brackets the mixture's.
        let one = |shape: f64, rate: f64| Gamma::new(shape, rate).map(|g| g.inverse_cdf(p)).unwrap_or(f64::NAN);
        let (q1, q2) = (one(self.shape1, self.rate1), one(self.shape2, self.rate2));
        if !(q1.is_finite() && q2.is_finite()) {
            return f64::NAN;
        }
        let (mut lo, mut hi) = (q1.min(q2), q1.max(q2));
        if hi - lo <= hi * 1e-12 {
            return lo;
        }
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if self.cdf(mid) < p {
                lo = mid;
            } else {
                hi = mid;
            }
            if hi - lo <= hi * 1e-10 {
                break;
            }
        }
        0.5 * (lo + hi)
    }
}

/// One pair's count and expected count, with the number of pairs that share them (1 unless the
/// caller grouped identical pairs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    pub n: u64,
    pub e: f64,
    pub weight: f64,
}

/// The negative log-likelihood of `prior` over `cells`, truncated at zero (only pairs reported
/// at least once), up to the constant Σ ln n!. `None` for a prior outside the bounds
/// ([`Prior::valid`]).
pub fn negative_log_likelihood(prior: &Prior, cells: &[Cell]) -> Option<f64> {
    if !prior.valid() {
        return None;
    }
    let (lp, lq) = (prior.p.ln(), (1.0 - prior.p).ln());
    let mut total = 0.0;
    // ln Γ(α + n) − ln Γ(α) for the counts seen, computed once per distinct n.
    let mut ratios: Vec<(u64, f64, f64)> = Vec::new();
    for cell in cells {
        if cell.n == 0 || cell.e <= 0.0 || cell.weight <= 0.0 {
            continue;
        }
        let (g1, g2) = match ratios.iter().find(|(n, _, _)| *n == cell.n) {
            Some((_, g1, g2)) => (*g1, *g2),
            None => {
                let pair = (gamma_ratio(prior.alpha1, cell.n), gamma_ratio(prior.alpha2, cell.n));
                if ratios.len() < 64 {
                    ratios.push((cell.n, pair.0, pair.1));
                }
                pair
            }
        };
        let nf = cell.n as f64;
        let l1 = lp + ln_nb_tail(g1, nf, prior.alpha1, prior.beta1, cell.e);
        let l2 = lq + ln_nb_tail(g2, nf, prior.alpha2, prior.beta2, cell.e);
        // Each component's probability of 0: (1 + E/β)^(−α).
        let z1 = lp - prior.alpha1 * (1.0 + cell.e / prior.beta1).ln();
        let z2 = lq - prior.alpha2 * (1.0 + cell.e / prior.beta2).ln();
        let mixture = log_add(l1, l2);
        let zero = log_add(z1, z2);
        // ln(1 − P(0)), with P(0) < 1 for every valid prior and E > 0.
        let nonzero = (-zero.exp()).ln_1p();
        total -= cell.weight * (mixture - nonzero);
    }
    total.is_finite().then_some(total)
}

fn log_add(x: f64, y: f64) -> f64 {
    let (hi, lo) = if x >= y { (x, y) } else { (y, x) };
    hi + (lo - hi).exp().ln_1p()
}

/// Squashes `cells` to at most about `max` (plus one per distinct count) for the fit (data
/// squashing, DuMouchel, Johnson, Cortes & Pregibon 1999; openEBGM's `squashData` bins E within
/// each N the same way): cells sorted by (n, E), runs of consecutive cells with the same n
/// merged into one of their mean E and summed weight. The likelihood of the squashed cells
/// approximates the full one; a table of at most `max` cells is returned as it is.
pub fn squash(cells: &[Cell], max: usize) -> Vec<Cell> {
    let mut sorted: Vec<Cell> = cells.iter().filter(|c| c.n > 0 && c.e > 0.0 && c.weight > 0.0).copied().collect();
    if sorted.len() <= max.max(1) {
        return sorted;
    }
    sorted.sort_by(|a, b| a.n.cmp(&b.n).then(a.e.total_cmp(&b.e)));
    let group = sorted.len().div_ceil(max.max(1));
    let mut out = Vec::with_capacity(max + 64);
    for same_n in sorted.chunk_by(|a, b| a.n == b.n) {
        for run in same_n.chunks(group) {
            let weight: f64 = run.iter().map(|c| c.weight).sum();
            let e = run.iter().map(|c| c.e * c.weight).sum::<f64>() / weight;
            out.push(Cell { n: run[0].n, e, weight });
        }
    }
    out
}

/// A fitted prior.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fit {
    pub prior: Prior,
    /// The negative log-likelihood at the fit (up to Σ ln n!).
    pub nll: f64,
    /// Likelihood evaluations the search took.
    pub evaluations: u32,
}

/// Cells a fit uses at most: a larger table is squashed first ([`squash`]).
pub const FIT_CELLS: usize = 4_000;

/// Fits the prior to `cells` by maximum likelihood: Nelder–Mead over (ln α₁, ln β₁, ln α₂, ln β₂,
/// logit P), from DuMouchel's starting point and from `extra` starts, restarted at each best
/// point until it no longer improves; more than [`FIT_CELLS`] cells are squashed first. `None`
/// when there are no cells or no start is valid.
pub fn fit(cells: &[Cell], extra: &[Prior]) -> Option<Fit> {
    let squashed = squash(cells, FIT_CELLS);
    let cells = squashed.as_slice();
    if cells.is_empty() {
        return None;
    }
    let objective = |x: &[f64; 5]| negative_log_likelihood(&from_point(x), cells).unwrap_or(f64::INFINITY);
    let mut best: Option<([f64; 5], f64)> = None;
    let mut evaluations = 0u32;
    for start in std::iter::once(&Prior::START).chain(extra) {
        let mut x = to_point(start);
        let mut fx = objective(&x);
        evaluations += 1;
        if !fx.is_finite() {
            continue;
        }
        for _ in 0..6 {
            let (nx, nfx, used) = nelder_mead(&objective, &x, 0.5, 4_000);
            evaluations += used;
            let improved = fx - nfx > 1e-9 * fx.abs().max(1.0);
            if nfx < fx {
                x = nx;
                fx = nfx;
            }
            if !improved {
                break;
            }
        }
        if best.as_ref().is_none_or(|(_, f)| fx < *f) {
            best = Some((x, fx));
        }
    }
    best.map(|(x, nll)| Fit { prior: from_point(&x), nll, evaluations })
}

fn to_point(p: &Prior) -> [f64; 5] {
    [p.alpha1.ln(), p.beta1.ln(), p.alpha2.ln(), p.beta2.ln(), (p.p / (1.0 - p.p)).ln()]
}

fn from_point(x: &[f64; 5]) -> Prior {
    Prior {
        alpha1: x[0].exp(),
        beta1: x[1].exp(),
        alpha2: x[2].exp(),
        beta2: x[3].exp(),
        p: 1.0 / (1.0 + (-x[4]).exp()),
    }
}

/// Nelder–Mead (Nelder & Mead 1965) with the standard coefficients (reflection 1, expansion 2,
/// contraction ½, shrink ½), from a simplex of `step` around `start`; stops when the simplex's
/// values agree to 1e-10 or after `limit` evaluations. Answers the best point, its value and the
/// evaluations used.
fn nelder_mead(f: &impl Fn(&[f64; 5]) -> f64, start: &[f64; 5], step: f64, limit: u32) -> ([f64; 5], f64, u32) {
    let mut simplex: Vec<([f64; 5], f64)> = Vec::with_capacity(6);
    simplex.push((*start, f(start)));
    for i in 0..5 {
        let mut x = *start;
        x[i] += step;
        simplex.push((x, f(&x)));
    }
    let mut used = 6u32;
    let towards = |from: &[f64; 5], to: &[f64; 5], t: f64| -> [f64; 5] {
        let mut x = [0.0; 5];
        for k in 0..5 {
            x[k] = from[k] + t * (to[k] - from[k]);
        }
        x
    };
    while used < limit {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (simplex[0].1, simplex[5].1);
        if (worst - best).abs() <= 1e-10 * (best.abs() + 1e-10) {
            break;
        }
        let mut centroid = [0.0; 5];
        for (x, _) in &simplex[..5] {
            for k in 0..5 {
                centroid[k] += x[k] / 5.0;
            }
        }
        let worst_x = simplex[5].0;
        let reflected = towards(&centroid, &worst_x, -1.0);
        let fr = f(&reflected);
        used += 1;
        if fr < best {
            let expanded = towards(&centroid, &worst_x, -2.0);
            let fe = f(&expanded);
            used += 1;
            simplex[5] = if fe < fr { (expanded, fe) } else { (reflected, fr) };
        } else if fr < simplex[4].1 {
            simplex[5] = (reflected, fr);
        } else {
            let (toward, ft) = if fr < worst { (reflected, fr) } else { (worst_x, worst) };
            let contracted = towards(&centroid, &toward, 0.5);
            let fc = f(&contracted);
            used += 1;
            if fc < ft {
                simplex[5] = (contracted, fc);
            } else {
                let best_x = simplex[0].0;
                for item in simplex.iter_mut().skip(1) {
                    let x = towards(&best_x, &item.0, 0.5);
                    *item = (x, f(&x));
                    used += 1;
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    (simplex[0].0, simplex[0].1, used)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, tolerance: f64) {
        assert!((actual - expected).abs() <= tolerance, "{actual} is not {expected} ± {tolerance}");
    }

    /// The hyperparameters of openEBGM's posterior vignette (github.com/cran/openEBGM,
    /// inst/doc/vignette04-posteriorCalculation.html, v0.9.1).
    const VIGNETTE: Prior =
        Prior { alpha1: 3.25379356, beta1: 0.39988854, alpha2: 2.02612692, beta2: 1.90807970, p: 0.06534557 };

    /// The vignette's printed Qn (7 digits), EBGM (2 decimals) and QUANT_05 / QUANT_95 (its
    /// bisection stops at 0.005 and rounds to 2 decimals, so ±0.01).
    #[test]
    fn posterior_matches_open_ebgm_vignette() {
        for (n, e, q, ebgm, q05, q95) in [
            (1, 0.0360548272, Some(0.2819737), 2.23, 0.49, 13.85),
            (1, 0.0038736591, Some(0.3409653), 2.58, 0.52, 15.78),
            (1, 0.0002979738, Some(0.3482317), 2.63, 0.52, 16.02),
            (1, 0.0765792610, Some(0.2226356), 1.92, 0.47, 11.77),
            (1, 0.0527413588, Some(0.2556670), 2.09, 0.48, 12.95),
            (16, 0.40643623, None, 23.26, 15.68, 33.48),
            (19, 0.89690107, None, 16.78, 11.65, 23.55),
            (6, 0.07866508, None, 18.28, 10.16, 30.83),
            (8, 0.30482718, None, 15.25, 9.00, 24.52),
            (11, 0.56317044, None, 14.28, 8.98, 21.78),
        ] {
            let post = posterior(&VIGNETTE, n, e);
            if let Some(q) = q {
                close(post.q, q, 5e-8);
            }
            close(post.ebgm(), ebgm, 0.005 + 1e-9);
            close(post.quantile(0.05), q05, 0.01 + 1e-9);
            close(post.quantile(0.95), q95, 0.01 + 1e-9);
            close(post.cdf(post.quantile(0.05)), 0.05, 1e-8);
        }
    }

    /// Expected frequencies of n = 1 … 100 at a grid of expected counts under a known prior: the
    /// likelihood truncated at zero is maximized at that prior, so the fit must find it.
    #[test]
    fn fit_recovers_the_prior_that_made_the_counts() {
        let truth = Prior { alpha1: 0.4, beta1: 0.3, alpha2: 4.0, beta2: 2.5, p: 0.3 };
        let mut cells = Vec::new();
        for k in 0..19 {
            let e = 0.02 * 1.35f64.powi(k);
            let f = |n: u64, a: f64, b: f64| {
                (gamma_ratio(a, n) - ln_gamma(n as f64 + 1.0) + ln_nb_tail(0.0, n as f64, a, b, e)).exp()
            };
            let zero = truth.p * f(0, truth.alpha1, truth.beta1) + (1.0 - truth.p) * f(0, truth.alpha2, truth.beta2);
            for n in 1..=100u64 {
                let pn = truth.p * f(n, truth.alpha1, truth.beta1) + (1.0 - truth.p) * f(n, truth.alpha2, truth.beta2);
                cells.push(Cell { n, e, weight: 1000.0 * pn / (1.0 - zero) });
            }
        }
        let fit = fit(&cells, &[]).unwrap();
        let truth_nll = negative_log_likelihood(&truth, &cells).unwrap();
        assert!(fit.nll <= truth_nll + 1e-6, "fit {} worse than the truth {truth_nll}", fit.nll);
        let p = fit.prior;
        // Label switching: the component with the smaller mean α/β is the first here.
        let (a1, b1, a2, b2, w) = if p.alpha1 / p.beta1 < p.alpha2 / p.beta2 {
            (p.alpha1, p.beta1, p.alpha2, p.beta2, p.p)
        } else {
            (p.alpha2, p.beta2, p.alpha1, p.beta1, 1.0 - p.p)
        };
        close(a1, 0.4, 0.02);
        close(b1, 0.3, 0.02);
        close(a2, 4.0, 0.1);
        close(b2, 2.5, 0.1);
        close(w, 0.3, 0.01);
    }

    /// Squashing keeps the total weight and each count, and its likelihood stays close to the
    /// full table's.
    #[test]
    fn squashing_keeps_weight_and_likelihood() {
        let cells: Vec<Cell> = (0..20_000u64)
            .map(|i| Cell { n: 1 + i % 7, e: 0.05 + (i as f64 * 0.618).fract() * 3.0, weight: 1.0 })
            .collect();
        let small = squash(&cells, 1_000);
        assert!(small.len() <= 1_000 + 7, "{}", small.len());
        let total: f64 = small.iter().map(|c| c.weight).sum();
        close(total, 20_000.0, 1e-9);
        for n in 1..=7 {
            let full: f64 = cells.iter().filter(|c| c.n == n).map(|c| c.weight).sum();
            let kept: f64 = small.iter().filter(|c| c.n == n).map(|c| c.weight).sum();
            close(kept, full, 1e-9);
        }
        let prior = Prior::START;
        let (a, b) =
            (negative_log_likelihood(&prior, &cells).unwrap(), negative_log_likelihood(&prior, &small).unwrap());
        assert!((a - b).abs() / a.abs() < 1e-3, "{a} vs {b}");
        assert_eq!(squash(&cells[..10], 1_000).len(), 10);
    }

    #[test]
    fn invalid_priors_and_empty_data_have_no_fit() {
        assert!(
            negative_log_likelihood(&Prior { p: 1.0, ..Prior::START }, &[Cell { n: 1, e: 1.0, weight: 1.0 }]).is_none()
        );
        assert!(negative_log_likelihood(&Prior { alpha1: -1.0, ..Prior::START }, &[]).is_none());
        assert!(fit(&[], &[]).is_none());
        assert!(fit(&[Cell { n: 0, e: 1.0, weight: 1.0 }], &[]).is_none());
    }

    /// Shrinkage: one report where 0.01 were expected is not taken at face value (O/E 100).
    #[test]
    fn a_single_report_is_shrunk() {
        let post = posterior(&VIGNETTE, 1, 0.01);
        assert!(post.ebgm() < 5.0, "EBGM {}", post.ebgm());
        assert!(post.quantile(0.05) < 1.0);
    }
}
