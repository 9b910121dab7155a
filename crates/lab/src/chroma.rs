//! Chromatographic system suitability and assay (色谱系统适用性与含量计算).
//!
//! Sources, cited per function:
//! - USP <621> Chromatography, harmonized text official 1 December 2022 ("USP <621>"), section
//!   "System suitability" and "Definitions";
//! - Ph. Eur. 2.2.46 Chromatographic separation techniques (the text harmonized with USP <621>);
//! - 中国药典 2020 年版 四部 通则 0512 高效液相色谱法, "系统适用性试验" ("ChP 0512").
//!
//! Times and widths are in one unit (minutes, or seconds, or chart millimetres), as read from the
//! same chromatogram; the functions refuse a width or a dead time that is not positive, naming
//! the input. Results are unrounded: a record rounds what it reports (`crate::rounding`).

use yaolian_core::ValidationError;

/// Result of a calculation, or the input that makes it impossible.
pub type Calc<T = f64> = Result<T, ValidationError>;

fn positive(field: &str, value: f64) -> Result<f64, ValidationError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(ValidationError::single(field, "positive", format!("{field} must be a positive number")))
    }
}

fn finite(field: &str, value: f64) -> Result<f64, ValidationError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(ValidationError::single(field, "range:0..", format!("{field} must be a number, 0 or more")))
    }
}

/// Plate number from the peak width at half height (半高峰宽法): N = 5.54 (tR / wh)².
/// USP <621> "Plate number"; ChP 0512 理论板数 n = 5.54 (tR / Wh/2)².
pub fn plate_number_half_height(t_r: f64, w_h: f64) -> Calc {
    let (t, w) = (finite("t_r", t_r)?, positive("w_h", w_h)?);
    Ok(5.54 * (t / w).powi(2))
}

/// Plate number from the baseline width between the tangents (切线法): N = 16 (tR / W)².
/// USP <621> "Plate number" (tangent method); ChP 0512 n = 16 (tR / W)².
pub fn plate_number_tangent(t_r: f64, w: f64) -> Calc {
    let (t, w) = (finite("t_r", t_r)?, positive("w", w)?);
    Ok(16.0 * (t / w).powi(2))
}

/// Resolution from baseline widths: Rs = 2 (tR2 − tR1) / (W1 + W2), peak 2 the later.
/// USP <621> "Resolution"; ChP 0512 分离度 R = 2 (tR2 − tR1) / (W1 + W2).
pub fn resolution_tangent(t_r1: f64, t_r2: f64, w1: f64, w2: f64) -> Calc {
    let (t1, t2) = (finite("t_r1", t_r1)?, finite("t_r2", t_r2)?);
    let (w1, w2) = (positive("w1", w1)?, positive("w2", w2)?);
    Ok(2.0 * (t2 - t1) / (w1 + w2))
}

/// Resolution from widths at half height, USP form: Rs = 1.18 (tR2 − tR1) / (wh1 + wh2).
/// USP <621> "Resolution"; Ph. Eur. 2.2.46.
pub fn resolution_half_height_usp(t_r1: f64, t_r2: f64, w_h1: f64, w_h2: f64) -> Calc {
    let (t1, t2) = (finite("t_r1", t_r1)?, finite("t_r2", t_r2)?);
    let (w1, w2) = (positive("w_h1", w_h1)?, positive("w_h2", w_h2)?);
    Ok(1.18 * (t2 - t1) / (w1 + w2))
}

/// Resolution from widths at half height, ChP form: R = 2 (tR2 − tR1) / 1.70 (W1,h/2 + W2,h/2).
/// ChP 0512 分离度 (半高峰宽). 2 / 1.70 = 1.176…, against USP's rounded 1.18.
pub fn resolution_half_height_chp(t_r1: f64, t_r2: f64, w_h1: f64, w_h2: f64) -> Calc {
    let (t1, t2) = (finite("t_r1", t_r1)?, finite("t_r2", t_r2)?);
    let (w1, w2) = (positive("w_h1", w_h1)?, positive("w_h2", w_h2)?);
    Ok(2.0 * (t2 - t1) / (1.70 * (w1 + w2)))
}

/// Symmetry (tailing) factor: As = W0.05 / 2f, the width at 5 % of the peak height over twice
/// the distance from the leading edge to the peak maximum at that height.
/// USP <621> "Symmetry factor" (tailing factor); ChP 0512 拖尾因子 T = W0.05h / 2d1.
pub fn tailing_factor(w_005: f64, f: f64) -> Calc {
    let (w, f) = (positive("w_005", w_005)?, positive("f", f)?);
    Ok(w / (2.0 * f))
}

/// Signal-to-noise ratio: S/N = 2H / h, H the peak height above the baseline and h the range
/// of the background noise. USP <621> "Signal-to-noise ratio"; ChP 0512 信噪比.
pub fn signal_to_noise(height: f64, noise: f64) -> Calc {
    let (h, n) = (finite("height", height)?, positive("noise", noise)?);
    Ok(2.0 * h / n)
}

/// Retention (capacity) factor: k = (tR − tM) / tM, tM the hold-up (dead) time.
/// USP <621> "Retention factor"; ChP 0512 容量因子.
pub fn retention_factor(t_r: f64, t_m: f64) -> Calc {
    let (t, m) = (finite("t_r", t_r)?, positive("t_m", t_m)?);
    Ok((t - m) / m)
}

/// Relative retention of a peak against the reference peak: r = (tR2 − tM) / (tR1 − tM).
/// USP <621> "Relative retention" (α when tM is subtracted).
pub fn relative_retention(t_ref: f64, t_r: f64, t_m: f64) -> Calc {
    let (t1, t2, m) = (finite("t_ref", t_ref)?, finite("t_r", t_r)?, finite("t_m", t_m)?);
    let adjusted = positive("t_ref", t1 - m)?;
    Ok((t2 - m) / adjusted)
}

/// Unadjusted relative retention: rG = tR2 / tR1 (USP <621>; Ph. Eur. 2.2.46's "unadjusted
/// relative retention", the form impurity monographs quote).
pub fn relative_retention_unadjusted(t_ref: f64, t_r: f64) -> Calc {
    let (t1, t2) = (positive("t_ref", t_ref)?, finite("t_r", t_r)?);
    Ok(t2 / t1)
}

/// Percentage relative standard deviation of replicate values: %RSD = 100 s / x̄, s the sample
/// standard deviation (n − 1). USP <621> "System repeatability"; ChP 0512 重复性. At least two
/// values, mean not zero.
pub fn rsd_percent(values: &[f64]) -> Calc {
    if values.len() < 2 {
        return Err(ValidationError::single("values", "range:2..", "at least two replicate values"));
    }
    for (i, v) in values.iter().enumerate() {
        if !v.is_finite() {
            return Err(ValidationError::single(format!("values[{i}]"), "number", "a number"));
        }
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if mean == 0.0 {
        return Err(ValidationError::single("values", "positive", "the mean must not be zero"));
    }
    let ss: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
    Ok(100.0 * (ss / (n - 1.0)).sqrt() / mean.abs())
}

/// Two-sided Student's t at 90 % (t0.05) for `df` degrees of freedom, df 2 to 5: the values
/// the maximum-%RSD formula uses for 3 to 6 injections.
fn t_90(df: usize) -> Option<f64> {
    Some(match df {
        2 => 2.920,
        3 => 2.353,
        4 => 2.132,
        5 => 2.015,
        _ => return None,
    })
}

/// The constant K of the maximum-%RSD formula: 0.349 = (0.6 / √2) × t90%,5 / √6.
pub const RSD_K: f64 = 0.349;

/// Maximum permitted %RSD of `n` replicate injections of a reference solution for an assay whose
/// upper limit is 100 + `b` percent (B the upper limit minus 100): %RSDmax = K B √n / t90%,n−1.
/// USP <621> "System repeatability" (harmonized 2022), Ph. Eur. 2.2.46; n from 3 to 6.
pub fn max_rsd_percent(b: f64, n: usize) -> Calc {
    let b = positive("b", b)?;
    let Some(t) = t_90(n.wrapping_sub(1)) else {
        return Err(ValidationError::single("n", "range:3..6", "from 3 to 6 injections"));
    };
    Ok(RSD_K * b * (n as f64).sqrt() / t)
}

/// Assay by external standard (外标法): the sample's concentration from the peak areas and the
/// standard's concentration, Cx = Cs × Ax / As. ChP 0512 外标法 (cx = cR × Ax / AR).
pub fn external_standard(area_sample: f64, area_standard: f64, conc_standard: f64) -> Calc {
    let ax = finite("area_sample", area_sample)?;
    let a_s = positive("area_standard", area_standard)?;
    let cs = positive("conc_standard", conc_standard)?;
    Ok(cs * ax / a_s)
}

/// Area normalization (面积归一化法): each peak's area as a percentage of all peaks' areas.
/// ChP 0512 面积归一化法.
pub fn area_percent(areas: &[f64]) -> Calc<Vec<f64>> {
    let mut total = 0.0;
    for (i, a) in areas.iter().enumerate() {
        total += finite(&format!("areas[{i}]"), *a)?;
    }
    let total = positive("areas", total)?;
    Ok(areas.iter().map(|a| 100.0 * a / total).collect())
}

/// An impurity by the principal peak of a diluted reference (主成分自身对照法) corrected by its
/// relative response factor: impurity % = (Ai / RRF) / Aref × Cref% , Cref% the reference's
/// concentration as a percentage of the test solution's. ChP 0512 加校正因子的主成分自身对照法;
/// USP <621> relative response factor.
pub fn impurity_by_rrf(area_impurity: f64, rrf: f64, area_reference: f64, reference_percent: f64) -> Calc {
    let ai = finite("area_impurity", area_impurity)?;
    let f = positive("rrf", rrf)?;
    let ar = positive("area_reference", area_reference)?;
    let c = positive("reference_percent", reference_percent)?;
    Ok(ai / f / ar * c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_width_or_dead_time_that_is_not_positive_is_named() {
        let e = plate_number_half_height(5.0, 0.0).unwrap_err();
        assert_eq!((e.errors[0].field.as_str(), e.errors[0].rule.as_str()), ("w_h", "positive"));
        assert_eq!(retention_factor(5.0, -1.0).unwrap_err().errors[0].field, "t_m");
        assert_eq!(rsd_percent(&[1.0]).unwrap_err().errors[0].field, "values");
        assert_eq!(rsd_percent(&[1.0, f64::NAN]).unwrap_err().errors[0].field, "values[1]");
        assert_eq!(max_rsd_percent(2.0, 7).unwrap_err().errors[0].field, "n");
        assert_eq!(max_rsd_percent(2.0, 0).unwrap_err().errors[0].field, "n");
        assert_eq!(area_percent(&[0.0, 0.0]).unwrap_err().errors[0].field, "areas");
    }
}
