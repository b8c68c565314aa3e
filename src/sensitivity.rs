//! Sensitivity analysis of experiment outputs (issue 11).
//!
//! Every analysis takes a [`Design`] and the output `y` of each design row
//! (same order; the caller averages the runs of a point). Nothing here runs
//! the model. Bootstrap resamples come from a ChaCha8 stream of the given seed
//! (one stream id per analysis), so the same inputs and seed give the same
//! numbers.
//!
//! - [`sobol`]: first-order and total Sobol indices from a Saltelli design.
//! - [`morris`]: elementary effects (mu, mu*, sigma) from Morris trajectories.
//! - [`regression`]: standardized regression coefficients and partial rank
//!   correlation coefficients, for any design.
//! - [`prim`]: scenario discovery, a box of factor ranges where an outcome is likely.
//! - [`ishigami`]: the standard test function with analytic indices.

use std::f64::consts::PI;

use thiserror::Error;

use crate::design::{Design, DesignKind, index_draw, morris_delta, seeded};
use crate::stats::t_two_sided_p;

/// ChaCha8 stream ids of the bootstraps (part of the reproducibility contract).
const STREAM_SOBOL_BOOTSTRAP: u64 = 0x534f_4200; // "SOB"
const STREAM_MORRIS_BOOTSTRAP: u64 = 0x4d42_5300; // "MBS"

/// [`prim`] picks the densest box whose coverage is at least this share.
pub const PRIM_MIN_COVERAGE: f64 = 0.5;

/// Default peel share of [`prim`] (Friedman & Fisher 1999 suggest 0.05 to 0.1).
pub const PRIM_DEFAULT_ALPHA: f64 = 0.05;

/// Default smallest box mass of [`prim`].
pub const PRIM_DEFAULT_MIN_MASS: f64 = 0.05;

/// A pivot below this (on a correlation scale, where the diagonal is 1) means
/// a factor is a linear combination of the others.
const COLLINEAR_PIVOT: f64 = 1e-10;

/// Why an analysis could not be done.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum SensitivityError {
    #[error(
        "{analysis} analysis needs a {expected} design, but this one is a {found} design; generate the design with --design {expected}"
    )]
    WrongDesign {
        analysis: &'static str,
        expected: DesignKind,
        found: DesignKind,
    },
    #[error(
        "the design has {rows} rows but there are {outputs} outputs; give one output per design row, in design order"
    )]
    LengthMismatch { rows: usize, outputs: usize },
    #[error("the output of design row {row} (counting from 0) is {value}, not a finite number; fix or drop that point")]
    NonFiniteOutput { row: usize, value: f64 },
    #[error("design row {row} (counting from 0), factor {factor}: the value {value} is not a finite number")]
    NonFiniteInput { row: usize, factor: String, value: f64 },
    #[error("the output does not vary ({context}); sensitivity indices are undefined for a constant output")]
    ConstantOutput { context: &'static str },
    #[error("the design is not a valid {kind} design: {detail}; use the design as generated, rows in their order")]
    Malformed { kind: DesignKind, detail: String },
    #[error("{analysis} analysis needs at least {min} {what}, got {got}; use a bigger design")]
    TooFew {
        analysis: &'static str,
        what: &'static str,
        got: usize,
        min: usize,
    },
    #[error("bootstrap needs at least 1 resample, got 0; 1000 is usual")]
    NoBootstrap,
    #[error("factor {0} is constant in the design, so regression cannot estimate its effect; drop it or vary it")]
    ConstantFactor(String),
    #[error("factor {factor} is (almost) a linear combination of the other factors{ranked} in the design; drop it or use a design that varies the factors independently", ranked = if *.ranked { " after rank transformation" } else { "" })]
    Collinear { factor: String, ranked: bool },
    #[error("{0}")]
    BadParameter(String),
    #[error("no point is a hit, so there is nothing for PRIM to find; choose a threshold that some points reach")]
    NoHits,
}

/// An estimate with its 95% bootstrap percentile interval (2.5% and 97.5%
/// quantiles of the bootstrap replicates; Efron & Tibshirani 1993, *An
/// Introduction to the Bootstrap*, ch. 13). Replicates that are not finite
/// (a resample whose output did not vary) are left out; `lo` and `hi` are NaN
/// when none is left.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    pub estimate: f64,
    pub lo: f64,
    pub hi: f64,
}

impl Interval {
    fn from_replicates(estimate: f64, mut replicates: Vec<f64>) -> Interval {
        replicates.retain(|r| r.is_finite());
        replicates.sort_by(f64::total_cmp);
        Interval {
            estimate,
            lo: quantile_sorted(&replicates, 0.025),
            hi: quantile_sorted(&replicates, 0.975),
        }
    }
}

/// The `q` quantile of sorted values, linear between order statistics
/// (Hyndman & Fan 1996 type 7, R's default); NaN for no values.
fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
            let below = h.floor() as usize;
            let above = (below + 1).min(n - 1);
            sorted[below] + (h - below as f64) * (sorted[above] - sorted[below])
        }
    }
}

/// Checks that `y` has one finite value per design row and every row one value per factor.
fn check_outputs(design: &Design, y: &[f64]) -> Result<(), SensitivityError> {
    if y.len() != design.points.len() {
        return Err(SensitivityError::LengthMismatch {
            rows: design.points.len(),
            outputs: y.len(),
        });
    }
    let k = design.factors.len();
    for (row, point) in design.points.iter().enumerate() {
        if point.len() != k {
            return Err(SensitivityError::Malformed {
                kind: design.kind,
                detail: format!("row {row} has {} values for {k} factors", point.len()),
            });
        }
        if let Some((f, &value)) = design.factors.iter().zip(point).find(|(_, v)| !v.is_finite()) {
            return Err(SensitivityError::NonFiniteInput {
                row,
                factor: f.name.clone(),
                value,
            });
        }
    }
    if let Some((row, &value)) = y.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(SensitivityError::NonFiniteOutput { row, value });
    }
    Ok(())
}

fn check_kind(design: &Design, analysis: &'static str, expected: DesignKind) -> Result<(), SensitivityError> {
    if design.kind == expected {
        Ok(())
    } else {
        Err(SensitivityError::WrongDesign {
            analysis,
            expected,
            found: design.kind,
        })
    }
}

fn mean(values: impl ExactSizeIterator<Item = f64>) -> f64 {
    let n = values.len() as f64;
    values.sum::<f64>() / n
}

// ---------------------------------------------------------------- Sobol

/// One factor's Sobol indices.
#[derive(Clone, Debug, PartialEq)]
pub struct SobolRow {
    pub factor: String,
    pub first: Interval,
    pub total: Interval,
}

/// First-order and total Sobol indices from a [`crate::design::saltelli`] design.
///
/// With `f(A)_j`, `f(B)_j`, `f(AB_i)_j` the outputs of the rows of base sample
/// `j` and `V` the variance (divisor `2N`) of all `f(A)` and `f(B)` values together:
///
/// - first order (Saltelli et al. 2010, *Comput. Phys. Commun.* 181, Table 2 (b)):
///   `S_i = mean_j (f(B)_j - c) (f(AB_i)_j - f(A)_j) / V`, with the output centred on `c`,
///   the mean of the `f(A)` and `f(B)` values (as SALib centres it): the uncentred estimator's
///   error grows with the output's mean, so a tight outcome far from 0 (cohesion 0.68 with a
///   variance of 1e-4) gave intervals of +-30;
/// - total (Jansen 1999, *Comput. Phys. Commun.* 117; Saltelli et al. 2010 Table 2 (f)):
///   `ST_i = mean_j (f(A)_j - f(AB_i)_j)^2 / 2 / V`.
///
/// The intervals come from `bootstrap` resamples of the base-sample indices
/// `j` with replacement (`V` recomputed in each), as in SALib. Draw order: per
/// resample, `N` indices in `0..N`.
pub fn sobol(design: &Design, y: &[f64], bootstrap: usize, seed: u64) -> Result<Vec<SobolRow>, SensitivityError> {
    check_kind(design, "sobol", DesignKind::Sobol)?;
    check_outputs(design, y)?;
    if bootstrap == 0 {
        return Err(SensitivityError::NoBootstrap);
    }
    let k = design.factors.len();
    let block = k + 2;
    let rows = design.points.len();
    if k == 0 || !rows.is_multiple_of(block) {
        return Err(SensitivityError::Malformed {
            kind: DesignKind::Sobol,
            detail: format!("{rows} rows are not a whole number of blocks of k + 2 = {block}"),
        });
    }
    let n = rows / block;
    if n < 2 {
        return Err(SensitivityError::TooFew {
            analysis: "sobol",
            what: "base samples",
            got: n,
            min: 2,
        });
    }
    for j in 0..n {
        let a = &design.points[j * block];
        let b = &design.points[j * block + k + 1];
        for i in 0..k {
            let ab = &design.points[j * block + 1 + i];
            if let Some(c) = (0..k).find(|&c| ab[c] != if c == i { b[c] } else { a[c] }) {
                return Err(SensitivityError::Malformed {
                    kind: DesignKind::Sobol,
                    detail: format!(
                        "row {} should be row {} with factor {} from row {}, but factor {} differs",
                        j * block + 1 + i,
                        j * block,
                        design.factors[i].name,
                        j * block + k + 1,
                        design.factors[c].name
                    ),
                });
            }
        }
    }
    let fa: Vec<f64> = (0..n).map(|j| y[j * block]).collect();
    let fb: Vec<f64> = (0..n).map(|j| y[j * block + k + 1]).collect();
    let fab: Vec<Vec<f64>> = (0..k).map(|i| (0..n).map(|j| y[j * block + 1 + i]).collect()).collect();

    let identity: Vec<usize> = (0..n).collect();
    let (first, total) = sobol_estimates(&fa, &fb, &fab, &identity);
    if first.iter().chain(&total).any(|v| !v.is_finite()) {
        return Err(SensitivityError::ConstantOutput {
            context: "over the A and B rows of the sobol design",
        });
    }
    let mut first_reps = vec![Vec::with_capacity(bootstrap); k];
    let mut total_reps = vec![Vec::with_capacity(bootstrap); k];
    let mut rng = seeded(seed, STREAM_SOBOL_BOOTSTRAP);
    let mut idx = vec![0; n];
    for _ in 0..bootstrap {
        for slot in idx.iter_mut() {
            *slot = index_draw(&mut rng, n);
        }
        let (f, t) = sobol_estimates(&fa, &fb, &fab, &idx);
        for i in 0..k {
            first_reps[i].push(f[i]);
            total_reps[i].push(t[i]);
        }
    }
    Ok(design
        .factors
        .iter()
        .zip(first_reps.into_iter().zip(total_reps))
        .enumerate()
        .map(|(i, (factor, (fr, tr)))| SobolRow {
            factor: factor.name.clone(),
            first: Interval::from_replicates(first[i], fr),
            total: Interval::from_replicates(total[i], tr),
        })
        .collect())
}

/// The first-order and total estimators over the base samples `idx`; NaN
/// when the output variance over them is 0.
fn sobol_estimates(fa: &[f64], fb: &[f64], fab: &[Vec<f64>], idx: &[usize]) -> (Vec<f64>, Vec<f64>) {
    let m = idx.len() as f64;
    let centre = idx.iter().map(|&j| fa[j] + fb[j]).sum::<f64>() / (2.0 * m);
    let var = idx
        .iter()
        .map(|&j| (fa[j] - centre).powi(2) + (fb[j] - centre).powi(2))
        .sum::<f64>()
        / (2.0 * m);
    if var <= 0.0 {
        return (vec![f64::NAN; fab.len()], vec![f64::NAN; fab.len()]);
    }
    let first = fab
        .iter()
        .map(|ab| idx.iter().map(|&j| (fb[j] - centre) * (ab[j] - fa[j])).sum::<f64>() / m / var)
        .collect();
    let total = fab
        .iter()
        .map(|ab| idx.iter().map(|&j| (fa[j] - ab[j]).powi(2)).sum::<f64>() / m / 2.0 / var)
        .collect();
    (first, total)
}

// ---------------------------------------------------------------- Morris

/// One factor's elementary-effect statistics.
#[derive(Clone, Debug, PartialEq)]
pub struct MorrisRow {
    pub factor: String,
    /// Mean elementary effect (Morris 1991).
    pub mu: f64,
    /// Mean absolute elementary effect (Campolongo, Cariboni & Saltelli 2007,
    /// *Environ. Model. Softw.* 22).
    pub mu_star: f64,
    /// Standard deviation of the elementary effects (divisor `r - 1`).
    pub sigma: f64,
    /// 95% bootstrap percentile interval of `mu_star`, resampling trajectories.
    pub mu_star_lo: f64,
    pub mu_star_hi: f64,
}

/// Elementary effects from a [`crate::design::morris`] design (Morris 1991,
/// *Technometrics* 33(2); mu* from Campolongo et al. 2007).
///
/// Which factor moved between consecutive rows of a trajectory is read from
/// the design itself. The effect is measured in **unit scale** (SALib's
/// convention): `EE = (y_after - y_before) / (±delta)` with `delta = p / (2 (p - 1))`
/// and the sign of the step of the factor in `[0, 1]`. So an effect is the output
/// change per whole range of the factor, extrapolated linearly: for
/// `y = c x` on `lo..hi` every effect of `x` is `c (hi - lo)`.
///
/// `mu` and `mu_star` are the mean and mean absolute effect over the `r`
/// trajectories, `sigma` their standard deviation (divisor `r - 1`). The
/// `mu_star` interval comes from `bootstrap` resamples of the trajectories with
/// replacement (draw order: per resample, `r` indices in `0..r`).
pub fn morris(design: &Design, y: &[f64], bootstrap: usize, seed: u64) -> Result<Vec<MorrisRow>, SensitivityError> {
    check_kind(design, "morris", DesignKind::Morris)?;
    check_outputs(design, y)?;
    if bootstrap == 0 {
        return Err(SensitivityError::NoBootstrap);
    }
    let malformed = |detail: String| SensitivityError::Malformed {
        kind: DesignKind::Morris,
        detail,
    };
    let levels = design.morris_levels;
    if levels < 2 {
        return Err(malformed(format!("{levels} grid levels (at least 2 are needed)")));
    }
    let k = design.factors.len();
    let block = k + 1;
    let rows = design.points.len();
    if k == 0 || !rows.is_multiple_of(block) {
        return Err(malformed(format!(
            "{rows} rows are not a whole number of trajectories of k + 1 = {block} rows"
        )));
    }
    let r = rows / block;
    if r < 2 {
        return Err(SensitivityError::TooFew {
            analysis: "morris",
            what: "trajectories",
            got: r,
            min: 2,
        });
    }
    let delta = morris_delta(levels);
    // by_trajectory[t][c]: the effect of factor c in trajectory t
    let mut by_trajectory = vec![vec![f64::NAN; k]; r];
    for (t, ee) in by_trajectory.iter_mut().enumerate() {
        for s in 0..k {
            let (ra, rb) = (t * block + s, t * block + s + 1);
            let (a, b) = (&design.points[ra], &design.points[rb]);
            let changed: Vec<usize> = (0..k).filter(|&c| a[c] != b[c]).collect();
            let &[c] = changed.as_slice() else {
                return Err(malformed(format!(
                    "rows {ra} and {rb} differ in {} factors, a trajectory step changes exactly one",
                    changed.len()
                )));
            };
            let f = &design.factors[c];
            let step = (b[c] - a[c]) / (f.hi - f.lo);
            let off = (step.abs() - delta).abs();
            if off.is_nan() || off > 1e-6 {
                return Err(malformed(format!(
                    "factor {} moves by {step} of its range between rows {ra} and {rb}, \
                     not by the step {delta} of {levels} levels",
                    f.name
                )));
            }
            if !ee[c].is_nan() {
                return Err(malformed(format!("factor {} moves twice in trajectory {t}", f.name)));
            }
            ee[c] = (y[rb] - y[ra]) / (step.signum() * delta);
        }
    }
    // effects[c][t]
    let effects: Vec<Vec<f64>> = (0..k).map(|c| by_trajectory.iter().map(|ee| ee[c]).collect()).collect();
    let mu_star_of = |ee: &[f64], idx: &[usize]| mean(idx.iter().map(|&t| ee[t].abs()));
    let mut reps = vec![Vec::with_capacity(bootstrap); k];
    let mut rng = seeded(seed, STREAM_MORRIS_BOOTSTRAP);
    let mut idx = vec![0; r];
    for _ in 0..bootstrap {
        for slot in idx.iter_mut() {
            *slot = index_draw(&mut rng, r);
        }
        for (rep, ee) in reps.iter_mut().zip(&effects) {
            rep.push(mu_star_of(ee, &idx));
        }
    }
    let all: Vec<usize> = (0..r).collect();
    Ok(design
        .factors
        .iter()
        .zip(effects.iter().zip(reps))
        .map(|(f, (ee, rep))| {
            let mu = mean(ee.iter().copied());
            let sigma = (ee.iter().map(|e| (e - mu).powi(2)).sum::<f64>() / (r - 1) as f64).sqrt();
            let interval = Interval::from_replicates(mu_star_of(ee, &all), rep);
            MorrisRow {
                factor: f.name.clone(),
                mu,
                mu_star: interval.estimate,
                sigma,
                mu_star_lo: interval.lo,
                mu_star_hi: interval.hi,
            }
        })
        .collect())
}

// ---------------------------------------------------------------- regression

/// One factor's regression-based measures.
#[derive(Clone, Debug, PartialEq)]
pub struct RegressionRow {
    pub factor: String,
    /// Standardized regression coefficient.
    pub src: f64,
    /// Partial rank correlation coefficient; NaN when the ranked output is an
    /// exact linear function of the other ranked factors (nothing left to correlate).
    pub prcc: f64,
    /// Two-sided p-value of the PRCC (`None` when `prcc` is NaN).
    pub prcc_p: Option<f64>,
}

/// Standardized regression coefficients and partial rank correlation
/// coefficients, for a design of any kind; also returns the `R^2` of the linear fit.
///
/// - SRC (Saltelli et al. 2008, *Global Sensitivity Analysis: The Primer*,
///   ch. 1.2.5): the OLS coefficients of `y` on the factors (with intercept),
///   times `sd(x_i) / sd(y)`. Computed as the solution of `R_xx b = r_xy` on the
///   correlation scale (the same numbers), by Cholesky. For independent
///   factors `SRC_i^2` is the share of variance due to `x_i` when `R^2` is near 1.
/// - PRCC (Marino et al. 2008, *J. Theor. Biol.* 254): factors and output
///   are rank-transformed (average ranks for ties); `PRCC_i` is the Pearson
///   correlation of the residuals of ranked `x_i` and ranked `y`, each
///   regressed (with intercept) on the other ranked factors. The residual
///   (co)variances are computed exactly from the rank correlation matrix
///   (`c_ab - c_aS C_SS^-1 c_Sb`), which is the same number.
///   The p-value is from `t = r sqrt((n - 2 - p) / (1 - r^2))` with `p = k - 1`
///   controlled factors and `n - 2 - p` degrees of freedom (Marino et al. 2008).
///
/// Needs `n >= k + 2` rows, every factor varying and no factor a linear
/// combination of the others (errors name the factor).
pub fn regression(design: &Design, y: &[f64]) -> Result<(Vec<RegressionRow>, f64), SensitivityError> {
    check_outputs(design, y)?;
    let k = design.factors.len();
    let n = y.len();
    if k == 0 {
        return Err(SensitivityError::TooFew {
            analysis: "regression",
            what: "factors",
            got: 0,
            min: 1,
        });
    }
    if n < k + 2 {
        return Err(SensitivityError::TooFew {
            analysis: "regression",
            what: "rows (factors + 2)",
            got: n,
            min: k + 2,
        });
    }
    let names: Vec<&str> = design.factors.iter().map(|f| f.name.as_str()).collect();
    let mut columns: Vec<Vec<f64>> = (0..k)
        .map(|c| design.points.iter().map(|row| row[c]).collect())
        .collect();
    columns.push(y.to_vec());
    for (c, col) in columns.iter().enumerate() {
        let first = col[0];
        if col.iter().all(|&v| v == first) {
            return Err(if c < k {
                SensitivityError::ConstantFactor(names[c].to_string())
            } else {
                SensitivityError::ConstantOutput {
                    context: "over the design rows",
                }
            });
        }
    }

    // SRC and R^2 on the correlation scale
    let corr = correlation_matrix(&columns);
    let rxx: Vec<Vec<f64>> = corr[..k].iter().map(|row| row[..k].to_vec()).collect();
    let rxy: Vec<f64> = corr[..k].iter().map(|row| row[k]).collect();
    let chol = cholesky(&rxx).map_err(|c| SensitivityError::Collinear {
        factor: names[c].to_string(),
        ranked: false,
    })?;
    let src = cholesky_solve(&chol, &rxy);
    let r2 = src.iter().zip(&rxy).map(|(b, r)| b * r).sum::<f64>().clamp(0.0, 1.0);

    // PRCC on ranks
    let ranked: Vec<Vec<f64>> = columns.iter().map(|col| ranks(col)).collect();
    let rc = correlation_matrix(&ranked);
    cholesky(&rc[..k].iter().map(|row| row[..k].to_vec()).collect::<Vec<_>>()).map_err(|c| {
        SensitivityError::Collinear {
            factor: names[c].to_string(),
            ranked: true,
        }
    })?;
    let df = (n - k - 1) as f64;
    let mut out = Vec::with_capacity(k);
    for i in 0..k {
        let others: Vec<usize> = (0..k).filter(|&c| c != i).collect();
        let (cxx, cxy, cyy) = if others.is_empty() {
            (1.0, rc[i][k], 1.0)
        } else {
            let css: Vec<Vec<f64>> = others
                .iter()
                .map(|&a| others.iter().map(|&b| rc[a][b]).collect())
                .collect();
            let csx: Vec<f64> = others.iter().map(|&a| rc[a][i]).collect();
            let csy: Vec<f64> = others.iter().map(|&a| rc[a][k]).collect();
            // the full ranked Gram matrix is positive definite, so this one is too
            let l = cholesky(&css).map_err(|c| SensitivityError::Collinear {
                factor: names[others[c]].to_string(),
                ranked: true,
            })?;
            let wx = cholesky_solve(&l, &csx);
            let wy = cholesky_solve(&l, &csy);
            let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>();
            (1.0 - dot(&csx, &wx), rc[i][k] - dot(&csx, &wy), 1.0 - dot(&csy, &wy))
        };
        let prcc = if cyy > 1e-12 && cxx > 0.0 {
            (cxy / (cxx * cyy).sqrt()).clamp(-1.0, 1.0)
        } else {
            f64::NAN
        };
        let prcc_p = prcc.is_finite().then(|| {
            let t = if prcc.abs() >= 1.0 {
                f64::INFINITY
            } else {
                prcc * (df / (1.0 - prcc * prcc)).sqrt()
            };
            t_two_sided_p(t, df)
        });
        out.push(RegressionRow {
            factor: names[i].to_string(),
            src: src[i],
            prcc,
            prcc_p,
        });
    }
    Ok((out, r2))
}

/// Ranks 1..n of the values, ties sharing the average of their ranks (the
/// mid-rank convention of Spearman's rho and of Marino et al. 2008).
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut out = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        let rank = (start + end + 1) as f64 / 2.0; // mean of start+1 ..= end
        for &i in &order[start..end] {
            out[i] = rank;
        }
        start = end;
    }
    out
}

/// Pearson correlation matrix of non-constant columns (two-pass: centred
/// first, which avoids the cancellation of the one-pass formula; Chan, Golub &
/// LeVeque 1983, *Am. Stat.* 37).
fn correlation_matrix(columns: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let centred: Vec<Vec<f64>> = columns
        .iter()
        .map(|col| {
            let m = mean(col.iter().copied());
            col.iter().map(|v| v - m).collect()
        })
        .collect();
    let norms: Vec<f64> = centred
        .iter()
        .map(|c| c.iter().map(|v| v * v).sum::<f64>().sqrt())
        .collect();
    let p = columns.len();
    let mut corr = vec![vec![1.0; p]; p];
    for a in 0..p {
        for b in 0..a {
            let dot: f64 = centred[a].iter().zip(&centred[b]).map(|(u, v)| u * v).sum();
            let r = (dot / (norms[a] * norms[b])).clamp(-1.0, 1.0);
            corr[a][b] = r;
            corr[b][a] = r;
        }
    }
    corr
}

/// Cholesky factor `L` (lower, `A = L L^T`; Golub & Van Loan 2013, *Matrix
/// Computations*, 4th ed., section 4.2) of a symmetric matrix with unit
/// diagonal scale; `Err(i)` when pivot `i` is below [`COLLINEAR_PIVOT`], i.e.
/// variable `i` is a linear combination of the variables before it.
fn cholesky(a: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, usize> {
    let p = a.len();
    let mut l = vec![vec![0.0; p]; p];
    for i in 0..p {
        for j in 0..=i {
            let s: f64 = (0..j).map(|m| l[i][m] * l[j][m]).sum();
            if i == j {
                let pivot = a[i][i] - s;
                if pivot.is_nan() || pivot < COLLINEAR_PIVOT {
                    return Err(i);
                }
                l[i][i] = pivot.sqrt();
            } else {
                l[i][j] = (a[i][j] - s) / l[j][j];
            }
        }
    }
    Ok(l)
}

/// Solves `L L^T x = b` by forward and back substitution (Golub & Van Loan
/// 2013, section 3.1).
fn cholesky_solve(l: &[Vec<f64>], b: &[f64]) -> Vec<f64> {
    let p = b.len();
    let mut z = vec![0.0; p];
    for i in 0..p {
        z[i] = (b[i] - (0..i).map(|m| l[i][m] * z[m]).sum::<f64>()) / l[i][i];
    }
    let mut x = vec![0.0; p];
    for i in (0..p).rev() {
        x[i] = (z[i] - (i + 1..p).map(|m| l[m][i] * x[m]).sum::<f64>()) / l[i][i];
    }
    x
}

// ---------------------------------------------------------------- PRIM

/// One box on the PRIM peeling trajectory.
#[derive(Clone, Debug, PartialEq)]
pub struct PrimBox {
    /// `(factor, lo, hi)` for the factors the box restricts (closed bounds,
    /// the extreme values of the points inside; an unrestricted side is the
    /// data's minimum or maximum).
    pub bounds: Vec<(String, f64, f64)>,
    /// Hits in the box / all hits.
    pub coverage: f64,
    /// Hits in the box / points in the box.
    pub density: f64,
    /// Points in the box / all points.
    pub mass: f64,
    /// Points in the box.
    pub n: usize,
}

/// The peeling trajectory and the chosen box.
#[derive(Clone, Debug, PartialEq)]
pub struct PrimResult {
    /// Hits / points over the whole data.
    pub base_density: f64,
    /// From the full box (index 0) to the last peel.
    pub trajectory: Vec<PrimBox>,
    /// Index of the chosen box in `trajectory`.
    pub chosen: usize,
}

/// PRIM scenario discovery: a box of factor ranges where `hit` is common.
///
/// Peeling as in Friedman & Fisher 1999 (*Statistics and Computing* 9), used
/// for scenario discovery by Bryant & Lempert 2010 (*Technol. Forecast. Soc.
/// Change* 77) and the EMA Workbench: starting from the box of all points, each
/// step considers, for every factor, removing the `alpha` share of the box's
/// points with the lowest values or the highest values (at least one point;
/// points tied with the new bound stay; when the share falls inside the extreme group of tied
/// values, as on a grid or among the runs of one point, that whole group is peeled), and takes the peel that leaves the
/// highest density (ties: the larger remaining box, then the earlier factor,
/// lower side first). Peeling stops when every peel would leave a mass below
/// `min_mass` or none removes a point. No pasting.
///
/// Chosen box: the densest box on the trajectory whose coverage is at least
/// [`PRIM_MIN_COVERAGE`] (0.5); among equally dense boxes the one with the
/// larger coverage (earlier). This is one point of Bryant & Lempert's
/// coverage/density trade-off; the whole trajectory is returned for a caller
/// that prefers another.
pub fn prim(
    points: &[Vec<f64>],
    names: &[String],
    hit: &[bool],
    alpha: f64,
    min_mass: f64,
) -> Result<PrimResult, SensitivityError> {
    let k = names.len();
    let n = points.len();
    if k == 0 {
        return Err(SensitivityError::TooFew {
            analysis: "PRIM",
            what: "factors",
            got: 0,
            min: 1,
        });
    }
    if n == 0 {
        return Err(SensitivityError::TooFew {
            analysis: "PRIM",
            what: "points",
            got: 0,
            min: 1,
        });
    }
    if hit.len() != n {
        return Err(SensitivityError::LengthMismatch {
            rows: n,
            outputs: hit.len(),
        });
    }
    if !(alpha > 0.0 && alpha < 0.5) {
        return Err(SensitivityError::BadParameter(format!(
            "PRIM peel share alpha must lie strictly between 0 and 0.5, got {alpha}; 0.05 is usual"
        )));
    }
    if !(min_mass > 0.0 && min_mass < 1.0) {
        return Err(SensitivityError::BadParameter(format!(
            "PRIM minimum box mass must lie strictly between 0 and 1, got {min_mass}; 0.05 is usual"
        )));
    }
    for (row, point) in points.iter().enumerate() {
        if point.len() != k {
            return Err(SensitivityError::BadParameter(format!(
                "PRIM point {row} has {} values but there are {k} factor names",
                point.len()
            )));
        }
        if let Some((name, &value)) = names.iter().zip(point).find(|(_, v)| !v.is_finite()) {
            return Err(SensitivityError::NonFiniteInput {
                row,
                factor: name.clone(),
                value,
            });
        }
    }
    let total_hits = hit.iter().filter(|&&h| h).count();
    if total_hits == 0 {
        return Err(SensitivityError::NoHits);
    }
    let full: Vec<(f64, f64)> = (0..k)
        .map(|c| {
            points.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
                (lo.min(p[c]), hi.max(p[c]))
            })
        })
        .collect();
    let make_box = |bounds: &[(f64, f64)], inside: &[usize]| {
        let hits = inside.iter().filter(|&&i| hit[i]).count();
        PrimBox {
            bounds: (0..k)
                .filter(|&c| bounds[c] != full[c])
                .map(|c| (names[c].clone(), bounds[c].0, bounds[c].1))
                .collect(),
            coverage: hits as f64 / total_hits as f64,
            density: hits as f64 / inside.len() as f64,
            mass: inside.len() as f64 / n as f64,
            n: inside.len(),
        }
    };

    let mut inside: Vec<usize> = (0..n).collect();
    let mut bounds = full.clone();
    let mut trajectory = vec![make_box(&bounds, &inside)];
    let mut column: Vec<(f64, bool)> = Vec::with_capacity(n);
    loop {
        let m = inside.len();
        let peel = ((alpha * m as f64).floor() as usize).max(1);
        if peel >= m {
            break;
        }
        let hits_inside = inside.iter().filter(|&&i| hit[i]).count();
        // best: (density, kept, factor, lower side?, new bound)
        let mut best: Option<(f64, usize, usize, bool, f64)> = None;
        for (c, _) in names.iter().enumerate() {
            column.clear();
            column.extend(inside.iter().map(|&i| (points[i][c], hit[i])));
            column.sort_by(|a, b| a.0.total_cmp(&b.0));
            for lower in [true, false] {
                let mut bound = if lower { column[peel].0 } else { column[m - 1 - peel].0 };
                // Ties (grid levels, the runs of one point): when the share falls inside the
                // extreme group of equal values, peel that whole group instead of nothing.
                let edge = if lower { column[0].0 } else { column[m - 1].0 };
                if bound == edge {
                    let next = if lower {
                        column.iter().map(|x| x.0).find(|&v| v > edge)
                    } else {
                        column.iter().rev().map(|x| x.0).find(|&v| v < edge)
                    };
                    match next {
                        Some(v) => bound = v,
                        None => continue,
                    }
                }
                let (removed, removed_hits) = column
                    .iter()
                    .filter(|(v, _)| if lower { *v < bound } else { *v > bound })
                    .fold((0, 0), |(r, h), &(_, is_hit)| (r + 1, h + usize::from(is_hit)));
                let kept = m - removed;
                if removed == 0 || (kept as f64) < min_mass * n as f64 {
                    continue;
                }
                let density = (hits_inside - removed_hits) as f64 / kept as f64;
                let better = match best {
                    None => true,
                    Some((d, kk, ..)) => density > d || (density == d && kept > kk),
                };
                if better {
                    best = Some((density, kept, c, lower, bound));
                }
            }
        }
        let Some((_, _, c, lower, bound)) = best else { break };
        if lower {
            bounds[c].0 = bound;
            inside.retain(|&i| points[i][c] >= bound);
        } else {
            bounds[c].1 = bound;
            inside.retain(|&i| points[i][c] <= bound);
        }
        trajectory.push(make_box(&bounds, &inside));
    }
    let mut chosen = 0;
    for (i, b) in trajectory.iter().enumerate() {
        if b.coverage >= PRIM_MIN_COVERAGE && b.density > trajectory[chosen].density {
            chosen = i;
        }
    }
    Ok(PrimResult {
        base_density: total_hits as f64 / n as f64,
        trajectory,
        chosen,
    })
}

/// Significance level above which [`prim_prune`] drops a restriction.
pub const PRIM_PRUNE_P: f64 = 0.05;
/// Least relative rise of the box's density a restriction must bring for [`prim_prune`] to keep it.
pub const PRIM_MIN_GAIN: f64 = 0.05;

/// One restriction of a pruned PRIM box, with its quasi-p-value.
#[derive(Clone, Debug, PartialEq)]
pub struct Restriction {
    pub factor: String,
    pub lo: f64,
    pub hi: f64,
    /// One-sided p-value that the parameter points this restriction keeps have no higher hit
    /// share than the points it excludes, the other parameters held fixed (see [`prim_prune`]).
    /// Small: the restriction matters.
    pub quasi_p: f64,
}

/// Points and hits inside the box given by `bounds` (factor index, lo, hi).
fn in_box(p: &[f64], bounds: &[(usize, f64, f64)]) -> bool {
    bounds.iter().all(|&(j, lo, hi)| lo <= p[j] && p[j] <= hi)
}

/// Inverse of a small symmetric matrix by Gauss-Jordan elimination with partial pivoting;
/// `None` when it is (numerically) singular.
fn invert(mut a: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let scale = a
        .iter()
        .map(|r| r.iter().fold(0.0f64, |m, v| m.max(v.abs())))
        .fold(0.0f64, f64::max);
    let mut inv: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    for col in 0..n {
        let pivot = (col..n).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        if a[pivot][col].abs() <= 1e-10 * scale.max(1e-300) {
            return None;
        }
        a.swap(col, pivot);
        inv.swap(col, pivot);
        let d = a[col][col];
        for j in 0..n {
            a[col][j] /= d;
            inv[col][j] /= d;
        }
        for row in 0..n {
            if row != col {
                let f = a[row][col];
                if f != 0.0 {
                    for j in 0..n {
                        a[row][j] -= f * a[col][j];
                        inv[row][j] -= f * inv[col][j];
                    }
                }
            }
        }
    }
    Some(inv)
}

/// One-sided p-value that `y` is higher where `flag` is set, holding the columns of `x`
/// fixed: the t-test of the flag's coefficient in the least-squares fit of `y` on
/// (1, flag, x). Falls back to dropping `x` when the fit with it is singular.
fn adjusted_greater(y: &[f64], flag: &[bool], x: &[Vec<f64>]) -> f64 {
    let n = y.len();
    let fit = |with_x: bool| -> Option<f64> {
        let row = |i: usize| -> Vec<f64> {
            let mut r = vec![1.0, f64::from(u8::from(flag[i]))];
            if with_x {
                r.extend(&x[i]);
            }
            r
        };
        let p = row(0).len();
        if n <= p {
            return None;
        }
        let mut xtx = vec![vec![0.0; p]; p];
        let mut xty = vec![0.0; p];
        for (i, yi) in y.iter().enumerate() {
            let r = row(i);
            for a in 0..p {
                xty[a] += r[a] * yi;
                for b in 0..p {
                    xtx[a][b] += r[a] * r[b];
                }
            }
        }
        let inv = invert(xtx)?;
        let beta: Vec<f64> = (0..p).map(|a| (0..p).map(|b| inv[a][b] * xty[b]).sum()).collect();
        let rss: f64 = (0..n)
            .map(|i| {
                let r = row(i);
                let fitted: f64 = r.iter().zip(&beta).map(|(u, v)| u * v).sum();
                (y[i] - fitted).powi(2)
            })
            .sum();
        let df = (n - p) as f64;
        let se = (rss / df * inv[1][1]).max(0.0).sqrt();
        if se <= 1e-12 {
            return Some(if beta[1] > 1e-12 { 0.0 } else { 1.0 });
        }
        let t = beta[1] / se;
        let two = crate::stats::t_two_sided_p(t, df);
        Some(if t > 0.0 { two / 2.0 } else { 1.0 - two / 2.0 })
    };
    fit(true).or_else(|| fit(false)).unwrap_or(1.0)
}

/// Drops the restrictions of a PRIM box that do not matter, one at a time, the least
/// significant first, until every restriction left has a quasi-p-value at most
/// [`PRIM_PRUNE_P`] and raises the box's density by at least [`PRIM_MIN_GAIN`] (5%, relative)
/// over the box without it (a restriction below that gain counts as p = 1). Peeling picks the peel that happens to raise the density most, so it
/// also trims the edges of parameters that do not matter (Bryant & Lempert 2010 call such
/// restrictions spurious; the EMA Workbench reports a "quasi-p" per restriction).
///
/// The test counts parameter points, not cases: `point_of[c]` is the point of case `c` (several
/// runs per point share it; under common random numbers run k of every point shares its draws, so
/// runs are not independent evidence about parameters). For each restriction, over the points
/// inside the box without it, the points' hit shares are regressed on an indicator of the
/// restriction and the other parameters' values (least squares); the quasi-p-value is the
/// one-sided t-test of the indicator. Holding the other parameters fixed matters: peeling the
/// edges of an irrelevant parameter can drop points that happen to have low values of a relevant
/// one (in a Saltelli design whole groups of rows share them), and an unadjusted comparison then
/// calls the irrelevant restriction "significant" (at 4e-10 in the western sweep of
/// docs/experiments.md; 6e-11 when runs were counted as independent). The linear adjustment does
/// not remove every such artefact when the relevant parameters act through thresholds (0.006
/// there), hence the minimum gain: that restriction raised the density by 3.5%.
///
/// Returns the restrictions kept and the pruned box (coverage, density and mass over cases).
pub fn prim_prune(
    points: &[Vec<f64>],
    names: &[String],
    hit: &[bool],
    chosen: &PrimBox,
    point_of: &[usize],
) -> (Vec<Restriction>, PrimBox) {
    let index = |f: &str| names.iter().position(|n| n == f);
    let mut bounds: Vec<(usize, f64, f64)> = chosen
        .bounds
        .iter()
        .filter_map(|(f, lo, hi)| index(f).map(|j| (j, *lo, *hi)))
        .collect();
    let total_hits = hit.iter().filter(|&&h| h).count().max(1);
    // One row per parameter point: its values and hit share (cases of a point share its values).
    let mut share: std::collections::BTreeMap<usize, (usize, f64, f64)> = std::collections::BTreeMap::new();
    for (c, &is_hit) in hit.iter().enumerate() {
        let e = share.entry(point_of[c]).or_insert((c, 0.0, 0.0));
        e.1 += f64::from(u8::from(is_hit));
        e.2 += 1.0;
    }
    let units: Vec<(usize, f64)> = share.values().map(|&(c, h, n)| (c, h / n)).collect();
    let quasi_p = |bounds: &[(usize, f64, f64)]| -> Vec<f64> {
        (0..bounds.len())
            .map(|d| {
                let others: Vec<(usize, f64, f64)> = bounds
                    .iter()
                    .enumerate()
                    .filter(|&(e, _)| e != d)
                    .map(|(_, b)| *b)
                    .collect();
                let rows: Vec<&(usize, f64)> = units.iter().filter(|(c, _)| in_box(&points[*c], &others)).collect();
                let y: Vec<f64> = rows.iter().map(|r| r.1).collect();
                let flag: Vec<bool> = rows.iter().map(|r| in_box(&points[r.0], bounds)).collect();
                let j = bounds[d].0;
                let x: Vec<Vec<f64>> = rows
                    .iter()
                    .map(|r| (0..names.len()).filter(|&f| f != j).map(|f| points[r.0][f]).collect())
                    .collect();
                let p = adjusted_greater(&y, &flag, &x);
                // Density of the box and of the box without this restriction, over cases.
                let density = |b: &[(usize, f64, f64)]| {
                    let (mut n, mut h) = (0.0, 0.0);
                    for (pt, &is_hit) in points.iter().zip(hit) {
                        if in_box(pt, b) {
                            n += 1.0;
                            h += f64::from(u8::from(is_hit));
                        }
                    }
                    if n > 0.0 { h / n } else { 0.0 }
                };
                let (with, without) = (density(bounds), density(&others));
                // A restriction that barely raises the density is not worth reporting: mark it
                // as not significant (p = 1) so that it is dropped first.
                if with < without * (1.0 + PRIM_MIN_GAIN) { 1.0 } else { p }
            })
            .collect()
    };
    loop {
        let qp = quasi_p(&bounds);
        let worst = qp
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(d, &p)| (d, p));
        match worst {
            Some((d, p)) if p > PRIM_PRUNE_P => {
                bounds.remove(d);
            }
            _ => {
                let (mut n, mut h) = (0usize, 0usize);
                for (p, &is_hit) in points.iter().zip(hit) {
                    if in_box(p, &bounds) {
                        n += 1;
                        h += usize::from(is_hit);
                    }
                }
                let restrictions = bounds
                    .iter()
                    .zip(qp)
                    .map(|(&(j, lo, hi), quasi_p)| Restriction {
                        factor: names[j].clone(),
                        lo,
                        hi,
                        quasi_p,
                    })
                    .collect();
                let pruned = PrimBox {
                    bounds: bounds.iter().map(|&(j, lo, hi)| (names[j].clone(), lo, hi)).collect(),
                    coverage: h as f64 / total_hits as f64,
                    density: if n > 0 { h as f64 / n as f64 } else { 0.0 },
                    mass: n as f64 / points.len().max(1) as f64,
                    n,
                };
                return (restrictions, pruned);
            }
        }
    }
}

/// Scenario discovery with a held-out half: the box found on one half, its restrictions
/// tested on the other.
#[derive(Clone, Debug, PartialEq)]
pub struct Discovery {
    /// The peeling trajectory on the training half (or on all cases, see `held_out`).
    pub peeling: PrimResult,
    /// The restrictions kept by [`prim_prune`] on the test half.
    pub restrictions: Vec<Restriction>,
    /// The pruned box, its coverage, density and mass over all cases.
    pub found: PrimBox,
    /// Whether the cases were split; `false` when a half would hold fewer than
    /// [`DISCOVERY_MIN_UNITS`] design units or no hit, and everything ran on all cases.
    pub held_out: bool,
}

/// Fewest design units in each half for [`discover`] to hold one half out. With fewer (a grid
/// of 11 levels), the test on one half has too few points to find anything, and peeling has few
/// positions to choose from, so its selection bias is small.
pub const DISCOVERY_MIN_UNITS: usize = 10;

/// PRIM ([`prim`]) on half of the design units and [`prim_prune`] on the other half.
///
/// Peeling chooses, at every step, the best of 2k candidate peels, so on the data that chose
/// them the restrictions look better than they are, and a test on that same data calls some
/// restrictions on parameters that do nothing "significant" (tariff_signal under the realist
/// lens, which ignores tariff signals, at p = 0.003 in the western sweep of
/// docs/experiments.md). Friedman & Fisher (1999) choose boxes on a test sample; here the
/// restrictions are tested on the half of the design that peeling did not see. `unit_of[c]` is
/// the design unit of case `c` (a Saltelli base sample, a Morris trajectory, or a point): units
/// with even numbers train, odd ones test, so the rows that share a base sample stay together.
pub fn discover(
    points: &[Vec<f64>],
    names: &[String],
    hit: &[bool],
    point_of: &[usize],
    unit_of: &[usize],
    alpha: f64,
    min_mass: f64,
) -> Result<Discovery, SensitivityError> {
    let pick = |keep: &dyn Fn(usize) -> bool| -> (Vec<Vec<f64>>, Vec<bool>, Vec<usize>) {
        let idx: Vec<usize> = (0..points.len()).filter(|&c| keep(c)).collect();
        (
            idx.iter().map(|&c| points[c].clone()).collect(),
            idx.iter().map(|&c| hit[c]).collect(),
            idx.iter().map(|&c| point_of[c]).collect(),
        )
    };
    let units = |parity: usize| {
        let mut u: Vec<usize> = unit_of.iter().copied().filter(|u| u % 2 == parity).collect();
        u.sort_unstable();
        u.dedup();
        u.len()
    };
    let (train, test) = (pick(&|c| unit_of[c].is_multiple_of(2)), pick(&|c| unit_of[c] % 2 == 1));
    let split = units(0) >= DISCOVERY_MIN_UNITS
        && units(1) >= DISCOVERY_MIN_UNITS
        && train.1.iter().any(|&h| h)
        && train.1.iter().any(|&h| !h);
    let (peeling, restrictions) = if split {
        let peeling = prim(&train.0, names, &train.1, alpha, min_mass)?;
        let (restrictions, _) = prim_prune(&test.0, names, &test.1, &peeling.trajectory[peeling.chosen], &test.2);
        (peeling, restrictions)
    } else {
        let peeling = prim(points, names, hit, alpha, min_mass)?;
        let (restrictions, _) = prim_prune(points, names, hit, &peeling.trajectory[peeling.chosen], point_of);
        (peeling, restrictions)
    };
    // A side at the training half's extreme value is no restriction: widen it to all cases'.
    let extreme = |rows: &[Vec<f64>], j: usize| {
        rows.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p[j]), hi.max(p[j]))
        })
    };
    let seen: &[Vec<f64>] = if split { &train.0 } else { points };
    let restrictions: Vec<Restriction> = restrictions
        .into_iter()
        .map(|mut r| {
            if let Some(j) = names.iter().position(|n| *n == r.factor) {
                let ((tlo, thi), (alo, ahi)) = (extreme(seen, j), extreme(points, j));
                if r.lo <= tlo {
                    r.lo = alo;
                }
                if r.hi >= thi {
                    r.hi = ahi;
                }
            }
            r
        })
        .collect();
    let bounds: Vec<(usize, f64, f64)> = restrictions
        .iter()
        .filter_map(|r| names.iter().position(|n| *n == r.factor).map(|j| (j, r.lo, r.hi)))
        .collect();
    let (mut n, mut h) = (0usize, 0usize);
    for (p, &is_hit) in points.iter().zip(hit) {
        if in_box(p, &bounds) {
            n += 1;
            h += usize::from(is_hit);
        }
    }
    let total_hits = hit.iter().filter(|&&x| x).count().max(1);
    let found = PrimBox {
        bounds: restrictions.iter().map(|r| (r.factor.clone(), r.lo, r.hi)).collect(),
        coverage: h as f64 / total_hits as f64,
        density: if n > 0 { h as f64 / n as f64 } else { 0.0 },
        mass: n as f64 / points.len().max(1) as f64,
        n,
    };
    Ok(Discovery {
        peeling,
        restrictions,
        found,
        held_out: split,
    })
}

// ---------------------------------------------------------------- Ishigami

/// Ishigami's `a`.
pub const ISHIGAMI_A: f64 = 7.0;
/// Ishigami's `b`.
pub const ISHIGAMI_B: f64 = 0.1;

const PI4: f64 = PI * PI * PI * PI;
const PI8: f64 = PI4 * PI4;
/// Partial variances of the Ishigami function (Sobol' & Levitan 1999;
/// Saltelli et al. 2000, *Sensitivity Analysis*, Wiley).
const ISHIGAMI_V1: f64 = 0.5 * (1.0 + ISHIGAMI_B * PI4 / 5.0) * (1.0 + ISHIGAMI_B * PI4 / 5.0);
const ISHIGAMI_V2: f64 = ISHIGAMI_A * ISHIGAMI_A / 8.0;
const ISHIGAMI_V13: f64 = 8.0 * ISHIGAMI_B * ISHIGAMI_B * PI8 / 225.0;

/// Variance of the Ishigami output for independent `x_i ~ U(-pi, pi)`:
/// `a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2`.
pub const ISHIGAMI_VARIANCE: f64 = ISHIGAMI_V1 + ISHIGAMI_V2 + ISHIGAMI_V13;

/// Analytic first-order indices of the Ishigami function (about 0.3139, 0.4424, 0).
pub const ISHIGAMI_FIRST: [f64; 3] = [ISHIGAMI_V1 / ISHIGAMI_VARIANCE, ISHIGAMI_V2 / ISHIGAMI_VARIANCE, 0.0];

/// Analytic total indices of the Ishigami function (about 0.5576, 0.4424, 0.2437).
pub const ISHIGAMI_TOTAL: [f64; 3] = [
    (ISHIGAMI_V1 + ISHIGAMI_V13) / ISHIGAMI_VARIANCE,
    ISHIGAMI_V2 / ISHIGAMI_VARIANCE,
    ISHIGAMI_V13 / ISHIGAMI_VARIANCE,
];

/// The Ishigami function (Ishigami & Homma 1990, *Proc. ISUMA*):
/// `sin x1 + a sin^2 x2 + b x3^4 sin x1`, with `a = 7`, `b = 0.1` and `x_i` in
/// `[-pi, pi]`; the standard test of sensitivity methods (`x3` acts only through
/// its interaction with `x1`). NaN unless `x` has exactly 3 values.
pub fn ishigami(x: &[f64]) -> f64 {
    let &[x1, x2, x3] = x else { return f64::NAN };
    x1.sin() + ISHIGAMI_A * x2.sin().powi(2) + ISHIGAMI_B * x3.powi(4) * x1.sin()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::design::{self, Factor};
    use crate::design::{seeded, unit_draw};

    fn ishigami_factors() -> Vec<Factor> {
        (1..=3).map(|i| Factor::new(format!("x{i}"), -PI, PI)).collect()
    }

    fn outputs(d: &Design, f: impl Fn(&[f64]) -> f64) -> Vec<f64> {
        d.points.iter().map(|p| f(p)).collect()
    }

    #[test]
    fn ishigami_constants_match_the_literature() {
        let lit_first = [0.3139, 0.4424, 0.0];
        let lit_total = [0.5576, 0.4424, 0.2437];
        for i in 0..3 {
            assert!(
                (ISHIGAMI_FIRST[i] - lit_first[i]).abs() < 5e-5,
                "S1[{i}] = {}",
                ISHIGAMI_FIRST[i]
            );
            assert!(
                (ISHIGAMI_TOTAL[i] - lit_total[i]).abs() < 5e-5,
                "ST[{i}] = {}",
                ISHIGAMI_TOTAL[i]
            );
        }
        let (a, b) = (ISHIGAMI_A, ISHIGAMI_B);
        let closed = a * a / 8.0 + b * PI4 / 5.0 + b * b * PI8 / 18.0 + 0.5;
        assert!((ISHIGAMI_VARIANCE - closed).abs() < 1e-9);
        assert!((ishigami(&[PI / 2.0, PI / 2.0, 1.0]) - (1.0 + 7.0 + 0.1)).abs() < 1e-12);
        assert!(ishigami(&[1.0, 2.0]).is_nan());
    }

    #[test]
    fn sobol_recovers_ishigami_indices() {
        let d = design::saltelli(&ishigami_factors(), 4096, 2024).unwrap();
        let y = outputs(&d, ishigami);
        let rows = sobol(&d, &y, 500, 7).unwrap();
        assert_eq!(rows.len(), 3);
        for (i, row) in rows.iter().enumerate() {
            println!(
                "{}: S1 {:.4} [{:.4}, {:.4}] (analytic {:.4}), ST {:.4} [{:.4}, {:.4}] (analytic {:.4})",
                row.factor,
                row.first.estimate,
                row.first.lo,
                row.first.hi,
                ISHIGAMI_FIRST[i],
                row.total.estimate,
                row.total.lo,
                row.total.hi,
                ISHIGAMI_TOTAL[i]
            );
            assert_eq!(row.factor, format!("x{}", i + 1));
            assert!(
                (row.first.estimate - ISHIGAMI_FIRST[i]).abs() < 0.03,
                "S1 {}: {} vs {}",
                row.factor,
                row.first.estimate,
                ISHIGAMI_FIRST[i]
            );
            assert!(
                (row.total.estimate - ISHIGAMI_TOTAL[i]).abs() < 0.03,
                "ST {}: {} vs {}",
                row.factor,
                row.total.estimate,
                ISHIGAMI_TOTAL[i]
            );
            for iv in [row.first, row.total] {
                assert!(iv.lo <= iv.estimate && iv.estimate <= iv.hi, "{iv:?}");
                assert!(iv.hi - iv.lo > 0.0 && iv.hi - iv.lo < 0.2, "{iv:?}");
            }
        }
        // deterministic, and the bootstrap seed moves only the intervals
        assert_eq!(sobol(&d, &y, 500, 7).unwrap(), rows);
        let other = sobol(&d, &y, 500, 8).unwrap();
        assert_eq!(other[0].first.estimate, rows[0].first.estimate);
        assert_ne!(other[0].first.lo, rows[0].first.lo);
    }

    #[test]
    fn prim_prune_drops_restrictions_on_irrelevant_factors() {
        // Hits where x1 > 0.7 and x2 < 0.4; x3 and x4 are noise. Peeling may trim them by
        // chance; pruning keeps x1 and x2 only, with tiny quasi-p-values.
        let mut rng = seeded(5, 99);
        let points: Vec<Vec<f64>> = (0..4000)
            .map(|_| (0..4).map(|_| unit_draw(&mut rng)).collect())
            .collect();
        let hit: Vec<bool> = points.iter().map(|p| p[0] > 0.7 && p[1] < 0.4).collect();
        let names: Vec<String> = (1..=4).map(|i| format!("x{i}")).collect();
        // A box with a spurious restriction on x3 as well.
        let chosen = PrimBox {
            bounds: vec![
                ("x1".into(), 0.7, 1.0),
                ("x2".into(), 0.0, 0.4),
                ("x3".into(), 0.05, 0.95),
            ],
            coverage: 0.0,
            density: 0.0,
            mass: 0.0,
            n: 0,
        };
        let single: Vec<usize> = (0..points.len()).collect();
        let (restrictions, pruned) = prim_prune(&points, &names, &hit, &chosen, &single);
        let kept: Vec<&str> = restrictions.iter().map(|r| r.factor.as_str()).collect();
        assert_eq!(kept, ["x1", "x2"]);
        assert!(restrictions.iter().all(|r| r.quasi_p < 1e-6), "{restrictions:?}");
        assert!(pruned.density > 0.99 && pruned.coverage > 0.99, "{pruned:?}");
        assert!((pruned.mass - 0.12).abs() < 0.03, "{pruned:?}");
        // A box on noise alone keeps nothing.
        let noise = PrimBox {
            bounds: vec![("x4".into(), 0.1, 0.9)],
            ..chosen.clone()
        };
        assert!(prim_prune(&points, &names, &hit, &noise, &single).0.is_empty());
        // Cases grouped 100 to a point (as runs of one parameter point): the test counts the
        // 40 points, so the evidence is no stronger, and both restrictions stay.
        let grouped: Vec<usize> = (0..points.len()).map(|c| c / 100).collect();
        let same: Vec<Vec<f64>> = (0..points.len()).map(|c| points[c / 100 * 100].clone()).collect();
        let hit_g: Vec<bool> = same.iter().map(|p| p[0] > 0.7 && p[1] < 0.4).collect();
        let (g, _) = prim_prune(&same, &names, &hit_g, &chosen, &grouped);
        assert_eq!(g.len(), 2, "{g:?}");
        for r in &g {
            let single_p = restrictions
                .iter()
                .find(|x| x.factor == r.factor)
                .map_or(0.0, |x| x.quasi_p);
            assert!(r.quasi_p >= single_p, "{r:?}");
        }
    }

    #[test]
    fn discovery_holds_half_out_and_finds_the_box() {
        let mut rng = seeded(8, 99);
        let points: Vec<Vec<f64>> = (0..3000)
            .map(|_| (0..5).map(|_| unit_draw(&mut rng)).collect())
            .collect();
        let hit: Vec<bool> = points.iter().map(|p| p[0] > 0.6 && p[2] < 0.5).collect();
        let names: Vec<String> = (1..=5).map(|i| format!("x{i}")).collect();
        let ids: Vec<usize> = (0..points.len()).collect();
        let d = discover(&points, &names, &hit, &ids, &ids, 0.05, 0.05).unwrap();
        assert!(d.held_out);
        let kept: Vec<&str> = d.restrictions.iter().map(|r| r.factor.as_str()).collect();
        assert_eq!(kept, ["x1", "x3"], "{:?}", d.restrictions);
        assert!(d.found.density > 0.9 && d.found.coverage > 0.8, "{:?}", d.found);
        // Too few units to split: everything runs on all cases.
        let few: Vec<usize> = (0..points.len()).map(|c| c % 18).collect();
        assert!(
            !discover(&points, &names, &hit, &ids, &few, 0.05, 0.05)
                .unwrap()
                .held_out
        );
    }

    #[test]
    fn sobol_indices_ignore_a_shift_of_the_output() {
        // A tight outcome far from 0 (as cohesion is: mean 0.68, sd 0.01) has the indices of
        // the same outcome around 0; the uncentred first-order estimator had intervals of +-30.
        let d = design::saltelli(&ishigami_factors(), 256, 11).unwrap();
        let y = outputs(&d, ishigami);
        let near: Vec<f64> = y.iter().map(|v| v * 1e-3).collect();
        let far: Vec<f64> = near.iter().map(|v| v + 1000.0).collect();
        let (a, b) = (sobol(&d, &near, 200, 3).unwrap(), sobol(&d, &far, 200, 3).unwrap());
        for (x, z) in a.iter().zip(&b) {
            assert!((x.first.estimate - z.first.estimate).abs() < 1e-6, "{x:?} vs {z:?}");
            assert!(
                (x.first.hi - x.first.lo) < 0.5 && (z.first.hi - z.first.lo) < 0.5,
                "{z:?}"
            );
        }
    }

    #[test]
    fn sobol_additive_linear_function() {
        // y = x1 + 2 x2 + 0 x3 on [0, 1]^3: S = ST = (1, 4, 0) / 5
        let f: Vec<Factor> = ["a", "b", "c"].iter().map(|n| Factor::new(*n, 0.0, 1.0)).collect();
        let d = design::saltelli(&f, 1024, 5).unwrap();
        let y = outputs(&d, |x| x[0] + 2.0 * x[1]);
        let rows = sobol(&d, &y, 100, 1).unwrap();
        let expected = [0.2, 0.8, 0.0];
        for (row, e) in rows.iter().zip(expected) {
            assert!((row.first.estimate - e).abs() < 0.02, "{row:?}");
            assert!((row.total.estimate - e).abs() < 0.02, "{row:?}");
        }
        assert_eq!(
            rows[2].total.estimate, 0.0,
            "a factor without effect has total index exactly 0"
        );
    }

    #[test]
    fn sobol_errors() {
        let f = ishigami_factors();
        let lhs = design::lhs(&f, 50, 1).unwrap();
        let y = outputs(&lhs, ishigami);
        let err = sobol(&lhs, &y, 10, 1).unwrap_err();
        assert!(matches!(
            err,
            SensitivityError::WrongDesign {
                found: DesignKind::Lhs,
                ..
            }
        ));
        assert!(err.to_string().contains("--design sobol"), "{err}");

        let d = design::saltelli(&f, 16, 1).unwrap();
        let mut y = outputs(&d, ishigami);
        assert_eq!(
            sobol(&d, &y[1..], 10, 1),
            Err(SensitivityError::LengthMismatch { rows: 80, outputs: 79 })
        );
        assert_eq!(sobol(&d, &y, 0, 1), Err(SensitivityError::NoBootstrap));
        let constant = vec![3.0; y.len()];
        assert!(matches!(
            sobol(&d, &constant, 10, 1),
            Err(SensitivityError::ConstantOutput { .. })
        ));
        y[17] = f64::NAN;
        let err = sobol(&d, &y, 10, 1).unwrap_err();
        assert!(matches!(err, SensitivityError::NonFiniteOutput { row: 17, .. }));
        assert!(err.to_string().contains("row 17"), "{err}");

        let mut swapped = d.clone();
        swapped.points.swap(1, 2);
        assert!(matches!(
            sobol(&swapped, &outputs(&swapped, ishigami), 10, 1),
            Err(SensitivityError::Malformed { .. })
        ));
        let mut short = d.clone();
        short.points.pop();
        assert!(matches!(
            sobol(&short, &outputs(&short, ishigami), 10, 1),
            Err(SensitivityError::Malformed { .. })
        ));
    }

    #[test]
    fn morris_linear_effects_are_exact() {
        // y = 3 a - 2 b: effects in unit scale are 3 * 1 and -2 * 5, c has none
        let f = vec![
            Factor::new("a", 0.0, 1.0),
            Factor::new("b", -2.0, 3.0),
            Factor::new("c", 10.0, 10.5),
        ];
        let d = design::morris(&f, 20, 4, 9).unwrap();
        let y = outputs(&d, |x| 3.0 * x[0] - 2.0 * x[1]);
        let rows = morris(&d, &y, 100, 1).unwrap();
        let expected = [(3.0, 3.0), (-10.0, 10.0), (0.0, 0.0)];
        for (row, (mu, mu_star)) in rows.iter().zip(expected) {
            assert!((row.mu - mu).abs() < 1e-9, "{row:?}");
            assert!((row.mu_star - mu_star).abs() < 1e-9, "{row:?}");
            assert!(row.sigma < 1e-9, "{row:?}");
            assert!((row.mu_star_lo - mu_star).abs() < 1e-9 && (row.mu_star_hi - mu_star).abs() < 1e-9);
        }
    }

    #[test]
    fn morris_on_ishigami() {
        // On the 4-level grid of [-pi, pi] (-pi, -pi/3, pi/3, pi) a step of x2
        // always changes sin^2 x2 by +-3/4, so |EE| = 7 * 0.75 / (2/3) = 7.875
        // exactly, with both signs; x1's steps always raise sin x1 by sqrt(3)/2
        // going up, so all its effects are positive; x3 has effects only
        // through its interaction with x1 (S1 = 0 but mu* > 0, sigma > 0).
        let d = design::morris(&ishigami_factors(), 60, 4, 11).unwrap();
        let y = outputs(&d, ishigami);
        let rows = morris(&d, &y, 200, 3).unwrap();
        for row in &rows {
            println!(
                "{}: mu {:.3}, mu* {:.3} [{:.3}, {:.3}], sigma {:.3}",
                row.factor, row.mu, row.mu_star, row.mu_star_lo, row.mu_star_hi, row.sigma
            );
        }
        let (x1, x2, x3) = (&rows[0], &rows[1], &rows[2]);
        assert!((x2.mu_star - 7.875).abs() < 1e-9, "{x2:?}");
        assert!(x2.mu.abs() < 0.5 * x2.mu_star, "{x2:?}");
        assert!((x1.mu - x1.mu_star).abs() < 1e-9 && x1.mu > 0.0, "{x1:?}");
        assert!(x1.sigma > 0.0, "{x1:?}");
        assert!(x3.mu_star > 1.0 && x3.sigma > 1.0, "{x3:?}");
        assert!(x3.mu.abs() < x3.mu_star, "{x3:?}");
        for row in &rows {
            assert!(
                row.mu_star_lo <= row.mu_star && row.mu_star <= row.mu_star_hi,
                "{row:?}"
            );
        }
        assert_eq!(morris(&d, &y, 200, 3).unwrap(), rows);
    }

    #[test]
    fn morris_errors() {
        let f = ishigami_factors();
        let s = design::saltelli(&f, 8, 1).unwrap();
        assert!(matches!(
            morris(&s, &outputs(&s, ishigami), 10, 1),
            Err(SensitivityError::WrongDesign {
                expected: DesignKind::Morris,
                ..
            })
        ));
        let d = design::morris(&f, 5, 4, 1).unwrap();
        let y = outputs(&d, ishigami);
        assert_eq!(morris(&d, &y, 0, 1), Err(SensitivityError::NoBootstrap));
        assert!(matches!(
            morris(&d, &y[..19], 10, 1),
            Err(SensitivityError::LengthMismatch { .. })
        ));
        let mut swapped = d.clone();
        swapped.points.swap(0, 2);
        let err = morris(&swapped, &y, 10, 1).unwrap_err();
        assert!(matches!(err, SensitivityError::Malformed { .. }), "{err}");
        let mut wrong_levels = d.clone();
        wrong_levels.morris_levels = 6;
        let err = morris(&wrong_levels, &y, 10, 1).unwrap_err();
        assert!(err.to_string().contains("not by the step"), "{err}");
    }

    fn lhs_linear(ranges: [(f64, f64); 2], noise: f64) -> (Design, Vec<f64>) {
        let f = vec![
            Factor::new("x1", ranges[0].0, ranges[0].1),
            Factor::new("x2", ranges[1].0, ranges[1].1),
        ];
        let d = design::lhs(&f, 500, 4).unwrap();
        let mut rng = seeded(99, 1);
        let y = d
            .points
            .iter()
            .map(|x| 2.0 * x[0] + x[1] + noise * (unit_draw(&mut rng) - 0.5))
            .collect();
        (d, y)
    }

    #[test]
    fn regression_on_a_linear_function() {
        let (d, y) = lhs_linear([(0.0, 1.0), (0.0, 1.0)], 1e-3);
        let (rows, r2) = regression(&d, &y).unwrap();
        let expected = [2.0 / 5f64.sqrt(), 1.0 / 5f64.sqrt()]; // 0.894, 0.447
        for (row, e) in rows.iter().zip(expected) {
            assert!((row.src - e).abs() < 0.01, "{row:?}");
            // ranks of a sum are not linear in the ranks of its terms, so < 1
            assert!(row.prcc > 0.95, "{row:?}");
            assert!(row.prcc_p.is_some_and(|p| p < 1e-10), "{row:?}");
        }
        assert!(r2 > 0.9999, "R^2 {r2}");
        // x2 over twice the range contributes as much variance as 2 x1
        let (d, y) = lhs_linear([(0.0, 1.0), (0.0, 2.0)], 0.0);
        let (rows, r2) = regression(&d, &y).unwrap();
        assert!((rows[0].src - rows[1].src).abs() < 0.01, "{rows:?}");
        assert!((r2 - 1.0).abs() < 1e-9);
    }

    #[test]
    fn prcc_sees_through_monotone_nonlinearity() {
        // y = exp(8 x1) + x2 / 10: linear regression underrates x1, ranks do not
        let f = vec![
            Factor::new("x1", 0.0, 1.0),
            Factor::new("x2", 0.0, 1.0),
            Factor::new("x3", 0.0, 1.0),
        ];
        let d = design::lhs(&f, 400, 8).unwrap();
        let y = outputs(&d, |x| (8.0 * x[0]).exp() + x[1] / 10.0);
        let (rows, r2) = regression(&d, &y).unwrap();
        assert!(r2 < 0.9, "R^2 {r2}");
        assert!(rows[0].prcc > 0.99 && rows[0].prcc > rows[0].src, "{rows:?}");
        assert!(rows[2].prcc.abs() < 0.15, "{rows:?}");
        assert!(rows[2].prcc_p.is_some_and(|p| p > 0.001), "{rows:?}");
    }

    #[test]
    fn prcc_with_one_factor_is_spearman() {
        let f = vec![Factor::new("x", 0.0, 1.0)];
        let d = design::from_rows(&f, vec![vec![1.0], vec![2.0], vec![3.0], vec![4.0]]).unwrap();
        let (rows, _) = regression(&d, &[1.0, 3.0, 2.0, 4.0]).unwrap();
        // ranks (1,2,3,4) vs (1,3,2,4): rho = 1 - 6*2/(4*15) = 0.8
        assert!((rows[0].prcc - 0.8).abs() < 1e-12, "{rows:?}");
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0, 3.0]), vec![4.0, 1.0, 4.0, 2.0, 4.0]);
        assert_eq!(ranks(&[1.0, 2.0, 2.0, 3.0]), vec![1.0, 2.5, 2.5, 4.0]);
    }

    #[test]
    fn regression_errors() {
        let f = vec![Factor::new("a", 0.0, 1.0), Factor::new("b", 0.0, 1.0)];
        let rows: Vec<Vec<f64>> = (0..10).map(|i| vec![f64::from(i), 5.0]).collect();
        let d = design::from_rows(&f, rows).unwrap();
        let y: Vec<f64> = (0..10).map(f64::from).collect();
        let err = regression(&d, &y).unwrap_err();
        assert_eq!(err, SensitivityError::ConstantFactor("b".into()));
        assert!(err.to_string().contains("factor b"), "{err}");

        let rows: Vec<Vec<f64>> = (0..10).map(|i| vec![f64::from(i), 2.0 * f64::from(i) + 1.0]).collect();
        let d = design::from_rows(&f, rows).unwrap();
        assert!(
            matches!(regression(&d, &y), Err(SensitivityError::Collinear { ref factor, ranked: false }) if factor == "b")
        );

        // not collinear, but the ranks are identical
        let rows: Vec<Vec<f64>> = (0..10).map(|i| vec![f64::from(i), f64::from(i).powi(3)]).collect();
        let d = design::from_rows(&f, rows).unwrap();
        assert!(matches!(
            regression(&d, &y),
            Err(SensitivityError::Collinear { ranked: true, .. })
        ));

        let (d, mut y) = lhs_linear([(0.0, 1.0), (0.0, 1.0)], 0.0);
        assert!(matches!(
            regression(&d, &vec![1.0; y.len()]),
            Err(SensitivityError::ConstantOutput { .. })
        ));
        y[3] = f64::INFINITY;
        assert!(matches!(
            regression(&d, &y),
            Err(SensitivityError::NonFiniteOutput { row: 3, .. })
        ));
        let small = design::from_rows(&f, vec![vec![0.0, 1.0], vec![1.0, 0.0], vec![0.5, 0.2]]).unwrap();
        assert!(matches!(
            regression(&small, &[1.0, 2.0, 3.0]),
            Err(SensitivityError::TooFew { min: 4, .. })
        ));
    }

    fn prim_data(n: usize) -> (Vec<Vec<f64>>, Vec<String>, Vec<bool>) {
        let mut rng = seeded(5, 6);
        let points: Vec<Vec<f64>> = (0..n).map(|_| vec![unit_draw(&mut rng), unit_draw(&mut rng)]).collect();
        let hit = points.iter().map(|p| p[0] > 0.7 && p[1] < 0.4).collect();
        (points, vec!["x1".to_string(), "x2".to_string()], hit)
    }

    #[test]
    fn prim_finds_the_hit_box() {
        let (points, names, hit) = prim_data(3000);
        let result = prim(&points, &names, &hit, PRIM_DEFAULT_ALPHA, PRIM_DEFAULT_MIN_MASS).unwrap();
        assert!((result.base_density - 0.12).abs() < 0.02, "{}", result.base_density);
        let first = &result.trajectory[0];
        assert!(first.bounds.is_empty() && first.mass == 1.0 && first.coverage == 1.0 && first.n == 3000);
        for pair in result.trajectory.windows(2) {
            assert!(pair[1].n < pair[0].n && pair[1].coverage <= pair[0].coverage);
        }
        assert!(
            result
                .trajectory
                .last()
                .is_some_and(|b| b.mass >= PRIM_DEFAULT_MIN_MASS)
        );
        let chosen = &result.trajectory[result.chosen];
        assert!(chosen.density > 0.95 && chosen.coverage > 0.85, "{chosen:?}");
        let bound = |name: &str| chosen.bounds.iter().find(|b| b.0 == name).cloned();
        let (_, x1_lo, x1_hi) = bound("x1").expect("x1 restricted");
        let (_, x2_lo, x2_hi) = bound("x2").expect("x2 restricted");
        assert!((x1_lo - 0.7).abs() < 0.05 && x1_hi > 0.95, "x1 {x1_lo}..{x1_hi}");
        assert!((x2_hi - 0.4).abs() < 0.05 && x2_lo < 0.05, "x2 {x2_lo}..{x2_hi}");
        assert_eq!(prim(&points, &names, &hit, 0.05, 0.05).unwrap(), result);
    }

    #[test]
    fn prim_choice_rule() {
        // all hits: nothing to gain, the full box is chosen
        let (points, names, _) = prim_data(200);
        let all = vec![true; 200];
        let result = prim(&points, &names, &all, 0.1, 0.05).unwrap();
        assert_eq!(result.chosen, 0);
        assert_eq!(result.trajectory[0].density, 1.0);
        // a small hit region: the chosen box keeps at least half the hits
        let hit: Vec<bool> = points.iter().map(|p| p[0] < 0.2).collect();
        let result = prim(&points, &names, &hit, 0.1, 0.05).unwrap();
        let chosen = &result.trajectory[result.chosen];
        assert!(chosen.coverage >= PRIM_MIN_COVERAGE);
        for b in &result.trajectory {
            if b.coverage >= PRIM_MIN_COVERAGE {
                assert!(b.density <= chosen.density);
            }
        }
    }

    #[test]
    fn prim_errors() {
        let (points, names, hit) = prim_data(100);
        assert_eq!(
            prim(&points, &names, &[false; 100], 0.05, 0.05),
            Err(SensitivityError::NoHits)
        );
        assert!(matches!(
            prim(&points, &names, &hit[1..], 0.05, 0.05),
            Err(SensitivityError::LengthMismatch { .. })
        ));
        assert!(matches!(
            prim(&points, &names, &hit, 0.0, 0.05),
            Err(SensitivityError::BadParameter(_))
        ));
        assert!(matches!(
            prim(&points, &names, &hit, 0.05, 1.0),
            Err(SensitivityError::BadParameter(_))
        ));
        assert!(matches!(
            prim(&points, &names[..1], &hit, 0.05, 0.05),
            Err(SensitivityError::BadParameter(_))
        ));
        let mut bad = points.clone();
        bad[4][1] = f64::NAN;
        assert!(matches!(
            prim(&bad, &names, &hit, 0.05, 0.05),
            Err(SensitivityError::NonFiniteInput { row: 4, .. })
        ));
    }

    #[test]
    fn quantiles() {
        assert!(quantile_sorted(&[], 0.5).is_nan());
        assert_eq!(quantile_sorted(&[2.0], 0.025), 2.0);
        let v: Vec<f64> = (0..=100).map(f64::from).collect();
        assert!((quantile_sorted(&v, 0.025) - 2.5).abs() < 1e-12);
        assert!((quantile_sorted(&v, 0.975) - 97.5).abs() < 1e-12);
        let iv = Interval::from_replicates(1.0, vec![f64::NAN, 3.0, 1.0, 2.0]);
        assert_eq!((iv.lo, iv.hi), (1.05, 2.95));
    }
}
