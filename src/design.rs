//! Sample designs for experiments (issue 11): which parameter points to run.
//!
//! A [`Design`] is a matrix: one row per point, one column per [`Factor`], values
//! in the factor's natural units. Every generator first builds the design in the
//! unit cube and then scales each unit value `u` to `lo + u (hi - lo)` (see
//! [`scale`]). Checking the ranges against the model's parameter bounds is the
//! caller's job.
//!
//! Determinism: a design depends only on its inputs and its seed. Random
//! designs draw from a ChaCha8 stream (`seed_from_u64(seed)`, one stream id per
//! design kind) through the two helpers `unit_draw` and `index_draw`, whose
//! bit-level definitions are fixed here, so a design does not change when
//! `rand`'s distribution code does. The Sobol design uses the Owen-scrambled
//! sequence of the `sobol_burley` crate. [`Design::hash`] fingerprints the
//! matrix.

use std::fmt;
use std::str::FromStr;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};
use thiserror::Error;

/// The most rows any generator produces. A bigger design is almost always a
/// typo (a grid of 12 factors at 10 levels is 10^12 points).
pub const MAX_ROWS: usize = 10_000_000;

/// The number of grid levels per factor used by Morris (1991) when none is given.
pub const MORRIS_DEFAULT_LEVELS: u32 = 4;

/// The most base samples a Saltelli design can have: `sobol_burley` supports
/// sample indices below 2^16.
pub const SOBOL_MAX_BASE: usize = 1 << 16;

/// The number of dimensions of the `sobol_burley` sequence; a Saltelli design
/// over `k` factors uses `2k` of them.
pub const SOBOL_MAX_DIMENSIONS: usize = sobol_burley::NUM_DIMENSIONS as usize;

/// ChaCha8 stream ids of the random designs (part of the reproducibility contract).
const STREAM_LHS: u64 = 0x4c48_5300; // "LHS"
const STREAM_MORRIS: u64 = 0x4d4f_5200; // "MOR"

/// One varied parameter: a name and a closed range in natural units.
#[derive(Clone, Debug, PartialEq)]
pub struct Factor {
    pub name: String,
    pub lo: f64,
    pub hi: f64,
    /// Grid levels for this factor (`N` in `LO..HI:N`); `None` takes the
    /// design's default. Only [`grid`] reads it.
    pub levels: Option<u32>,
}

impl Factor {
    /// A factor over `lo..=hi` without its own grid levels.
    pub fn new(name: impl Into<String>, lo: f64, hi: f64) -> Factor {
        Factor {
            name: name.into(),
            lo,
            hi,
            levels: None,
        }
    }
}

/// How a design's points were chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DesignKind {
    /// Full factorial grid ([`grid`]).
    Grid,
    /// Latin hypercube ([`lhs`]).
    Lhs,
    /// Saltelli's scheme on a scrambled Sobol sequence ([`saltelli`]).
    Sobol,
    /// Morris trajectories ([`morris`]).
    Morris,
    /// Points read from a file ([`from_rows`]).
    File,
}

impl DesignKind {
    /// All kinds, in the order of their names in help texts.
    pub const ALL: [DesignKind; 5] = [
        DesignKind::Grid,
        DesignKind::Lhs,
        DesignKind::Sobol,
        DesignKind::Morris,
        DesignKind::File,
    ];

    /// The lower-case name used on the command line and in output files.
    pub fn name(self) -> &'static str {
        match self {
            DesignKind::Grid => "grid",
            DesignKind::Lhs => "lhs",
            DesignKind::Sobol => "sobol",
            DesignKind::Morris => "morris",
            DesignKind::File => "file",
        }
    }
}

impl fmt::Display for DesignKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DesignKind {
    type Err = DesignError;

    /// Parses a name as written by [`DesignKind::name`] (case-insensitive).
    fn from_str(s: &str) -> Result<DesignKind, DesignError> {
        let lower = s.trim().to_ascii_lowercase();
        DesignKind::ALL
            .into_iter()
            .find(|kind| kind.name() == lower)
            .ok_or_else(|| DesignError::UnknownKind(s.to_string()))
    }
}

/// A sample design: `points[row][column]`, columns in the order of `factors`.
#[derive(Clone, Debug, PartialEq)]
pub struct Design {
    pub kind: DesignKind,
    pub factors: Vec<Factor>,
    /// The seed the design was drawn with (0 for grid and file designs).
    pub seed: u64,
    /// Base samples: LHS rows; Sobol base `N` (rows `N (k + 2)`); Morris
    /// trajectories `r` (rows `r (k + 1)`); grid and file: number of points.
    pub samples: usize,
    /// Morris grid levels `p`; 0 for the other kinds.
    pub morris_levels: u32,
    pub points: Vec<Vec<f64>>,
}

impl Design {
    /// SHA-256 (lower-case hex) of the factor names and the matrix, so that two
    /// designs with the same hash ran the same points.
    ///
    /// Hashed bytes, in order: the number of factors as a little-endian `u64`;
    /// for each factor its name's UTF-8 length as a little-endian `u64` and the
    /// name's bytes; then every value's `f64` bits, little-endian, row-major.
    /// The ranges, seed and kind are not hashed: the points are what ran.
    pub fn hash(&self) -> String {
        let mut sha = Sha256::new();
        sha.update((self.factors.len() as u64).to_le_bytes());
        for factor in &self.factors {
            sha.update((factor.name.len() as u64).to_le_bytes());
            sha.update(factor.name.as_bytes());
        }
        for row in &self.points {
            for value in row {
                sha.update(value.to_bits().to_le_bytes());
            }
        }
        sha.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The factor names, in column order.
    pub fn names(&self) -> Vec<String> {
        self.factors.iter().map(|f| f.name.clone()).collect()
    }
}

/// Why a design could not be built. Every message names the factor or the
/// number at fault and says how to fix it.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum DesignError {
    #[error("the design has no factors; give at least one factor to vary, e.g. NAME=LO..HI")]
    NoFactors,
    #[error("factor {0} is given twice; give each factor once")]
    DuplicateFactor(String),
    #[error("a factor has an empty name; give every factor a parameter name")]
    EmptyName,
    #[error("factor {factor}: the range {lo}..{hi} is not finite; give finite numbers")]
    NonFiniteRange { factor: String, lo: f64, hi: f64 },
    #[error(
        "factor {factor}: the range {lo}..{hi} is empty or reversed; give lo < hi \
         (a grid may fix a factor with one level, {lo}..{lo}:1)"
    )]
    EmptyRange { factor: String, lo: f64, hi: f64 },
    #[error("factor {factor}: a grid needs at least 1 level, got 0; give {factor}=LO..HI:N with N >= 2")]
    ZeroLevels { factor: String },
    #[error(
        "factor {factor}: 1 grid level but the range {lo}..{hi} has two ends; \
         give at least 2 levels, or fix the factor with {lo}..{lo}:1"
    )]
    OneLevelRange { factor: String, lo: f64, hi: f64 },
    #[error("a {kind} design needs at least {min} {what}, got {got}; ask for more")]
    TooFewSamples {
        kind: DesignKind,
        what: &'static str,
        got: usize,
        min: usize,
    },
    #[error(
        "a sobol design can have at most {max} base samples (the limit of the Sobol sequence), \
         got {got}; ask for fewer (a power of two such as 4096 is best)"
    )]
    TooManySobolSamples { got: usize, max: usize },
    #[error(
        "a sobol design over {factors} factors needs {needed} Sobol dimensions (2 per factor), \
         but the sequence has {max}; vary at most {} factors, or fix some", .max / 2
    )]
    TooManyDimensions { factors: usize, needed: usize, max: usize },
    #[error(
        "the {kind} design would have {rows} rows, more than the cap of {max}; \
         use fewer levels, samples or factors"
    )]
    TooManyPoints { kind: DesignKind, rows: String, max: usize },
    #[error("a morris design needs at least 2 grid levels, got {0}; 4 is usual")]
    MorrisLevels(u32),
    #[error(
        "a morris design needs an even number of grid levels (so the step p/(2(p-1)) lands \
         on the grid), got {0}; use {below} or {above}", below = .0 - 1, above = .0 + 1
    )]
    MorrisOddLevels(u32),
    #[error("unknown design {0:?}; expected one of grid, lhs, sobol, morris, file")]
    UnknownKind(String),
    #[error("design row {row} has {got} values but there are {expected} factors; give one value per factor")]
    RowWidth { row: usize, got: usize, expected: usize },
    #[error("design row {row}, factor {factor}: the value {value} is not a finite number")]
    NonFiniteValue { row: usize, factor: String, value: f64 },
}

/// Scales a unit value `u` in [0, 1] to `lo + u (hi - lo)`, exactly `hi` at
/// `u = 1` and never outside `[lo, hi]` (rounding could otherwise step over).
pub fn scale(u: f64, lo: f64, hi: f64) -> f64 {
    if u >= 1.0 {
        hi
    } else {
        (lo + u * (hi - lo)).clamp(lo, hi)
    }
}

/// The Morris step in unit scale, `delta = p / (2 (p - 1))` (Morris 1991,
/// the recommended choice for even `p`; e.g. 2/3 for `p = 4`).
pub fn morris_delta(levels: u32) -> f64 {
    f64::from(levels) / (2.0 * (f64::from(levels) - 1.0))
}

/// A uniform draw in [0, 1) with 53 random bits: `(next_u64 >> 11) * 2^-53`.
pub(crate) fn unit_draw(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A uniform integer in `0..n` (`n >= 1`), without modulo bias: Lemire's
/// multiply-and-reject method (Lemire 2019, "Fast random integer generation
/// in an interval", ACM TOMACS 29(1)).
pub(crate) fn index_draw(rng: &mut ChaCha8Rng, n: usize) -> usize {
    let range = n.max(1) as u64;
    let threshold = range.wrapping_neg() % range;
    loop {
        let m = u128::from(rng.next_u64()) * u128::from(range);
        if (m as u64) >= threshold {
            return (m >> 64) as usize;
        }
    }
}

/// A ChaCha8 generator keyed by `seed` on stream `stream`.
pub(crate) fn seeded(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// Checks names (non-empty, unique) and that every range is finite; with
/// `strict`, also that `lo < hi`.
fn check_factors(factors: &[Factor], strict: bool) -> Result<(), DesignError> {
    if factors.is_empty() {
        return Err(DesignError::NoFactors);
    }
    for (i, f) in factors.iter().enumerate() {
        if f.name.trim().is_empty() {
            return Err(DesignError::EmptyName);
        }
        if factors[..i].iter().any(|g| g.name == f.name) {
            return Err(DesignError::DuplicateFactor(f.name.clone()));
        }
        if !f.lo.is_finite() || !f.hi.is_finite() {
            return Err(DesignError::NonFiniteRange {
                factor: f.name.clone(),
                lo: f.lo,
                hi: f.hi,
            });
        }
        if strict && f.lo >= f.hi {
            return Err(DesignError::EmptyRange {
                factor: f.name.clone(),
                lo: f.lo,
                hi: f.hi,
            });
        }
    }
    Ok(())
}

/// `a * b` as a row count, or the cap error.
fn rows_product(kind: DesignKind, a: usize, b: usize) -> Result<usize, DesignError> {
    match a.checked_mul(b) {
        Some(rows) if rows <= MAX_ROWS => Ok(rows),
        Some(rows) => Err(DesignError::TooManyPoints {
            kind,
            rows: rows.to_string(),
            max: MAX_ROWS,
        }),
        None => Err(DesignError::TooManyPoints {
            kind,
            rows: format!("{a} x {b}"),
            max: MAX_ROWS,
        }),
    }
}

/// Scales a unit-cube matrix to the factors' ranges.
fn scale_rows(factors: &[Factor], unit: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
    unit.into_iter()
        .map(|row| {
            row.into_iter()
                .zip(factors)
                .map(|(u, f)| scale(u, f.lo, f.hi))
                .collect()
        })
        .collect()
}

/// Full factorial grid: every combination of each factor's levels, evenly
/// spaced over `lo..=hi` (both ends included), with the **last factor varying
/// fastest** (row-major, like nested loops in factor order).
///
/// Levels are `factor.levels`, or `default_levels` when `None`. One level is
/// allowed only for a fixed factor (`lo == hi`); otherwise a factor needs
/// `lo < hi` and at least 2 levels. The classical full factorial design
/// (Box, Hunter & Hunter 2005, *Statistics for Experimenters*, ch. 5), here
/// with any number of levels.
pub fn grid(factors: &[Factor], default_levels: u32) -> Result<Design, DesignError> {
    check_factors(factors, false)?;
    let mut levels = Vec::with_capacity(factors.len());
    for f in factors {
        let n = f.levels.unwrap_or(default_levels);
        match n {
            0 => return Err(DesignError::ZeroLevels { factor: f.name.clone() }),
            1 if f.lo != f.hi => {
                return Err(DesignError::OneLevelRange {
                    factor: f.name.clone(),
                    lo: f.lo,
                    hi: f.hi,
                });
            }
            1 => {}
            _ if f.lo >= f.hi => {
                return Err(DesignError::EmptyRange {
                    factor: f.name.clone(),
                    lo: f.lo,
                    hi: f.hi,
                });
            }
            _ => {}
        }
        levels.push(n as usize);
    }
    let rows = levels
        .iter()
        .try_fold(1usize, |acc, &n| rows_product(DesignKind::Grid, acc, n))?;
    let values: Vec<Vec<f64>> = factors
        .iter()
        .zip(&levels)
        .map(|(f, &n)| {
            if n == 1 {
                vec![f.lo]
            } else {
                (0..n).map(|l| scale(l as f64 / (n - 1) as f64, f.lo, f.hi)).collect()
            }
        })
        .collect();
    let mut points = Vec::with_capacity(rows);
    for index in 0..rows {
        let mut row = vec![0.0; factors.len()];
        let mut rest = index;
        for c in (0..factors.len()).rev() {
            row[c] = values[c][rest % levels[c]];
            rest /= levels[c];
        }
        points.push(row);
    }
    Ok(Design {
        kind: DesignKind::Grid,
        factors: factors.to_vec(),
        seed: 0,
        samples: rows,
        morris_levels: 0,
        points,
    })
}

/// Latin hypercube sample (McKay, Beckman & Conover 1979, *Technometrics*
/// 21(2)): each factor's range is cut into `samples` equal strata and every
/// stratum holds exactly one point; the strata are paired across factors by an
/// independent random permutation per column, and each point lies uniformly
/// at random inside its stratum.
///
/// Draw order (ChaCha8 stream "LHS" of `seed`): column by column, a
/// Fisher-Yates shuffle of `0..samples` (from the last position down), then
/// one jitter per row.
pub fn lhs(factors: &[Factor], samples: usize, seed: u64) -> Result<Design, DesignError> {
    check_factors(factors, true)?;
    if samples < 2 {
        return Err(DesignError::TooFewSamples {
            kind: DesignKind::Lhs,
            what: "samples",
            got: samples,
            min: 2,
        });
    }
    rows_product(DesignKind::Lhs, samples, 1)?;
    let k = factors.len();
    let mut rng = seeded(seed, STREAM_LHS);
    let mut unit = vec![vec![0.0; k]; samples];
    let mut perm: Vec<usize> = Vec::with_capacity(samples);
    for c in 0..k {
        perm.clear();
        perm.extend(0..samples);
        for i in (1..samples).rev() {
            let j = index_draw(&mut rng, i + 1);
            perm.swap(i, j);
        }
        for (row, &stratum) in unit.iter_mut().zip(&perm) {
            row[c] = (stratum as f64 + unit_draw(&mut rng)) / samples as f64;
        }
    }
    Ok(Design {
        kind: DesignKind::Lhs,
        factors: factors.to_vec(),
        seed,
        samples,
        morris_levels: 0,
        points: scale_rows(factors, unit),
    })
}

/// The 32-bit scramble seed of the Sobol sequence: the lower 32 bits of
/// `seed` xor the upper 32.
pub fn sobol_seed(seed: u64) -> u32 {
    (seed as u32) ^ ((seed >> 32) as u32)
}

/// Saltelli's design for first-order and total Sobol indices (Saltelli 2002,
/// *Comput. Phys. Commun.* 145; Saltelli et al. 2010, *Comput. Phys. Commun.*
/// 181, section 3): two `N x k` matrices `A` and `B` and, for each factor `i`,
/// `AB_i` = `A` with column `i` taken from `B`.
///
/// `A` and `B` are the two halves of one `2k`-dimensional Owen-scrambled Sobol
/// sequence (Burley 2020, "Practical hash-based Owen scrambling", JCGT 9(4);
/// crate `sobol_burley`): dimensions `0..k` give `A`, `k..2k` give `B`, sample
/// indices `0..N`, scramble seed [`sobol_seed`]`(seed)`. The first point is
/// **not** skipped: with Owen scrambling point 0 is a random point, not the
/// origin, and dropping it would break the balance of the first `2^m` points
/// (Owen 2022, "On dropping the first Sobol' point", MCQMC 2020). A power of
/// two for `base` keeps that balance.
///
/// Row layout (SALib's, without second-order rows): for each base sample `j`,
/// the `k + 2` rows `A_j, AB_j^(1), ..., AB_j^(k), B_j`; so `N (k + 2)` rows.
pub fn saltelli(factors: &[Factor], base: usize, seed: u64) -> Result<Design, DesignError> {
    check_factors(factors, true)?;
    let k = factors.len();
    if 2 * k > SOBOL_MAX_DIMENSIONS {
        return Err(DesignError::TooManyDimensions {
            factors: k,
            needed: 2 * k,
            max: SOBOL_MAX_DIMENSIONS,
        });
    }
    if base < 2 {
        return Err(DesignError::TooFewSamples {
            kind: DesignKind::Sobol,
            what: "base samples",
            got: base,
            min: 2,
        });
    }
    if base > SOBOL_MAX_BASE {
        return Err(DesignError::TooManySobolSamples {
            got: base,
            max: SOBOL_MAX_BASE,
        });
    }
    let rows = rows_product(DesignKind::Sobol, base, k + 2)?;
    let scramble = sobol_seed(seed);
    let mut unit = Vec::with_capacity(rows);
    for j in 0..base as u32 {
        let a: Vec<f64> = (0..k as u32)
            .map(|d| f64::from(sobol_burley::sample(j, d, scramble)))
            .collect();
        let b: Vec<f64> = (0..k as u32)
            .map(|d| f64::from(sobol_burley::sample(j, k as u32 + d, scramble)))
            .collect();
        unit.push(a.clone());
        for i in 0..k {
            let mut ab = a.clone();
            ab[i] = b[i];
            unit.push(ab);
        }
        unit.push(b);
    }
    Ok(Design {
        kind: DesignKind::Sobol,
        factors: factors.to_vec(),
        seed,
        samples: base,
        morris_levels: 0,
        points: scale_rows(factors, unit),
    })
}

/// Morris's one-at-a-time trajectories (Morris 1991, *Technometrics* 33(2)).
///
/// Each factor takes the `p = levels` unit values `0, 1/(p-1), ..., 1`. A
/// trajectory has `k + 1` rows: a random start on that grid, then each factor
/// in turn (random order) moves once by `±delta`, `delta = p / (2 (p - 1))`
/// ([`morris_delta`]), so consecutive rows differ in exactly one factor. As in
/// Morris's `B*` construction, the start is a random base level in the lower
/// half of the grid (levels `0..p/2`) plus, for a factor that steps down, `delta`;
/// so every value stays on the grid. `p` must be even (default
/// [`MORRIS_DEFAULT_LEVELS`]).
///
/// Trajectory `t` occupies rows `t (k + 1) .. (t + 1) (k + 1)`. Draw order
/// (ChaCha8 stream "MOR" of `seed`), per trajectory: for each factor its base
/// level then its direction (one draw in `0..2`, 1 = up), then a Fisher-Yates
/// shuffle of the factor order.
pub fn morris(factors: &[Factor], trajectories: usize, levels: u32, seed: u64) -> Result<Design, DesignError> {
    check_factors(factors, true)?;
    if levels < 2 {
        return Err(DesignError::MorrisLevels(levels));
    }
    if !levels.is_multiple_of(2) {
        return Err(DesignError::MorrisOddLevels(levels));
    }
    if trajectories < 2 {
        return Err(DesignError::TooFewSamples {
            kind: DesignKind::Morris,
            what: "trajectories (10 to 50 is usual)",
            got: trajectories,
            min: 2,
        });
    }
    let k = factors.len();
    let rows = rows_product(DesignKind::Morris, trajectories, k + 1)?;
    let top = f64::from(levels - 1);
    let jump = (levels / 2) as usize; // delta in grid steps
    let mut rng = seeded(seed, STREAM_MORRIS);
    let mut unit = Vec::with_capacity(rows);
    let mut order: Vec<usize> = Vec::with_capacity(k);
    for _ in 0..trajectories {
        let mut current = vec![0usize; k];
        let mut up = vec![true; k];
        for c in 0..k {
            let base = index_draw(&mut rng, jump);
            up[c] = index_draw(&mut rng, 2) == 1;
            current[c] = if up[c] { base } else { base + jump };
        }
        order.clear();
        order.extend(0..k);
        for i in (1..k).rev() {
            let j = index_draw(&mut rng, i + 1);
            order.swap(i, j);
        }
        unit.push(current.iter().map(|&l| l as f64 / top).collect::<Vec<f64>>());
        for &c in &order {
            current[c] = if up[c] { current[c] + jump } else { current[c] - jump };
            unit.push(current.iter().map(|&l| l as f64 / top).collect());
        }
    }
    Ok(Design {
        kind: DesignKind::Morris,
        factors: factors.to_vec(),
        seed,
        samples: trajectories,
        morris_levels: levels,
        points: scale_rows(factors, unit),
    })
}

/// A design from given points (e.g. read from a CSV file), kind
/// [`DesignKind::File`]. Checks that every row has one finite value per
/// factor and that the names are unique; the values need not lie in the
/// factors' ranges (the ranges of a file design are only labels).
pub fn from_rows(factors: &[Factor], rows: Vec<Vec<f64>>) -> Result<Design, DesignError> {
    check_factors(factors, false)?;
    if rows.is_empty() {
        return Err(DesignError::TooFewSamples {
            kind: DesignKind::File,
            what: "rows",
            got: 0,
            min: 1,
        });
    }
    rows_product(DesignKind::File, rows.len(), 1)?;
    for (r, row) in rows.iter().enumerate() {
        if row.len() != factors.len() {
            return Err(DesignError::RowWidth {
                row: r,
                got: row.len(),
                expected: factors.len(),
            });
        }
        if let Some((f, &value)) = factors.iter().zip(row).find(|(_, v)| !v.is_finite()) {
            return Err(DesignError::NonFiniteValue {
                row: r,
                factor: f.name.clone(),
                value,
            });
        }
    }
    Ok(Design {
        kind: DesignKind::File,
        factors: factors.to_vec(),
        seed: 0,
        samples: rows.len(),
        morris_levels: 0,
        points: rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three() -> Vec<Factor> {
        vec![
            Factor::new("a", 0.0, 1.0),
            Factor::new("b", -2.0, 3.0),
            Factor::new("c", 10.0, 10.5),
        ]
    }

    fn assert_in_range(d: &Design) {
        for (r, row) in d.points.iter().enumerate() {
            assert_eq!(row.len(), d.factors.len(), "row {r}");
            for (v, f) in row.iter().zip(&d.factors) {
                assert!(*v >= f.lo && *v <= f.hi, "row {r}: {v} outside {}..{}", f.lo, f.hi);
            }
        }
    }

    #[test]
    fn kind_names_round_trip() {
        for kind in DesignKind::ALL {
            assert_eq!(kind.name().parse::<DesignKind>(), Ok(kind));
        }
        assert_eq!(" Sobol ".parse::<DesignKind>(), Ok(DesignKind::Sobol));
        assert_eq!(
            "halton".parse::<DesignKind>(),
            Err(DesignError::UnknownKind("halton".into()))
        );
    }

    #[test]
    fn grid_counts_ordering_and_ends() {
        let mut f = three();
        f[1].levels = Some(3);
        let d = grid(&f, 2).unwrap();
        assert_eq!(d.kind, DesignKind::Grid);
        assert_eq!(d.points.len(), 2 * 3 * 2);
        assert_eq!(d.samples, 12);
        assert_in_range(&d);
        // last factor fastest, then the middle one, the first slowest
        assert_eq!(d.points[0], vec![0.0, -2.0, 10.0]);
        assert_eq!(d.points[1], vec![0.0, -2.0, 10.5]);
        assert_eq!(d.points[2], vec![0.0, 0.5, 10.0]);
        assert_eq!(d.points[5], vec![0.0, 3.0, 10.5]);
        assert_eq!(d.points[6], vec![1.0, -2.0, 10.0]);
        assert_eq!(d.points[11], vec![1.0, 3.0, 10.5]);
    }

    #[test]
    fn grid_level_rules() {
        let mut fixed = vec![
            Factor {
                name: "x".into(),
                lo: 2.0,
                hi: 2.0,
                levels: Some(1),
            },
            Factor::new("y", 0.0, 1.0),
        ];
        let d = grid(&fixed, 5).unwrap();
        assert_eq!(d.points.len(), 5);
        assert!(d.points.iter().all(|r| r[0] == 2.0));
        assert_eq!(d.points[4][1], 1.0);
        fixed[0].hi = 3.0;
        assert!(matches!(grid(&fixed, 5), Err(DesignError::OneLevelRange { ref factor, .. }) if factor == "x"));
        fixed[0].levels = Some(0);
        assert!(matches!(grid(&fixed, 5), Err(DesignError::ZeroLevels { ref factor }) if factor == "x"));
        fixed[0].levels = None;
        fixed[0].hi = 2.0;
        let err = grid(&fixed, 5).unwrap_err();
        assert!(matches!(err, DesignError::EmptyRange { ref factor, .. } if factor == "x"));
        assert!(err.to_string().contains("2..2:1"), "{err}");
    }

    #[test]
    fn grid_caps_rows() {
        let f: Vec<Factor> = (0..12).map(|i| Factor::new(format!("f{i}"), 0.0, 1.0)).collect();
        let err = grid(&f, 10).unwrap_err();
        assert!(matches!(
            err,
            DesignError::TooManyPoints {
                kind: DesignKind::Grid,
                ..
            }
        ));
        assert!(err.to_string().contains("10000000"), "{err}");
        let f: Vec<Factor> = (0..40).map(|i| Factor::new(format!("f{i}"), 0.0, 1.0)).collect();
        assert!(matches!(grid(&f, 10), Err(DesignError::TooManyPoints { .. })));
    }

    #[test]
    fn factor_checks() {
        assert_eq!(lhs(&[], 10, 1), Err(DesignError::NoFactors));
        let dup = vec![Factor::new("a", 0.0, 1.0), Factor::new("a", 0.0, 2.0)];
        assert_eq!(lhs(&dup, 10, 1), Err(DesignError::DuplicateFactor("a".into())));
        let rev = vec![Factor::new("r", 1.0, 0.0)];
        let err = saltelli(&rev, 8, 1).unwrap_err();
        assert!(err.to_string().contains("factor r"), "{err}");
        let inf = vec![Factor::new("i", 0.0, f64::INFINITY)];
        assert!(matches!(morris(&inf, 4, 4, 1), Err(DesignError::NonFiniteRange { .. })));
        assert_eq!(lhs(&[Factor::new(" ", 0.0, 1.0)], 10, 1), Err(DesignError::EmptyName));
    }

    #[test]
    fn lhs_one_point_per_stratum() {
        let n = 50;
        let d = lhs(&three(), n, 7).unwrap();
        assert_eq!(d.points.len(), n);
        assert_in_range(&d);
        for (c, f) in d.factors.iter().enumerate() {
            let mut seen = vec![0; n];
            for row in &d.points {
                let u = (row[c] - f.lo) / (f.hi - f.lo);
                let stratum = ((u * n as f64).floor() as usize).min(n - 1);
                seen[stratum] += 1;
            }
            assert!(seen.iter().all(|&s| s == 1), "column {c}: {seen:?}");
        }
        assert!(matches!(lhs(&three(), 1, 7), Err(DesignError::TooFewSamples { .. })));
    }

    #[test]
    fn lhs_columns_are_shuffled_independently() {
        let d = lhs(&[Factor::new("a", 0.0, 1.0), Factor::new("b", 0.0, 1.0)], 40, 3).unwrap();
        let stratum = |v: f64| (v * 40.0).floor() as usize;
        let same = d.points.iter().filter(|r| stratum(r[0]) == stratum(r[1])).count();
        assert!(same < 10, "columns paired almost identically: {same} of 40");
    }

    #[test]
    fn random_designs_are_deterministic() {
        let f = three();
        assert_eq!(lhs(&f, 20, 5).unwrap(), lhs(&f, 20, 5).unwrap());
        assert_ne!(lhs(&f, 20, 5).unwrap().points, lhs(&f, 20, 6).unwrap().points);
        assert_eq!(saltelli(&f, 16, 5).unwrap(), saltelli(&f, 16, 5).unwrap());
        assert_ne!(saltelli(&f, 16, 5).unwrap().points, saltelli(&f, 16, 6).unwrap().points);
        // the upper 32 bits of the seed matter too
        assert_ne!(
            saltelli(&f, 16, 5).unwrap().points,
            saltelli(&f, 16, 5 | (1 << 40)).unwrap().points
        );
        assert_eq!(morris(&f, 6, 4, 5).unwrap(), morris(&f, 6, 4, 5).unwrap());
        assert_ne!(morris(&f, 6, 4, 5).unwrap().points, morris(&f, 6, 4, 6).unwrap().points);
        assert_eq!(lhs(&f, 20, 5).unwrap().hash(), lhs(&f, 20, 5).unwrap().hash());
    }

    #[test]
    fn saltelli_layout() {
        let f = three();
        let k = f.len();
        let n = 32;
        let d = saltelli(&f, n, 11).unwrap();
        assert_eq!(d.points.len(), n * (k + 2));
        assert_eq!(d.samples, n);
        assert_in_range(&d);
        for j in 0..n {
            let block = &d.points[j * (k + 2)..(j + 1) * (k + 2)];
            let (a, b) = (&block[0], &block[k + 1]);
            for c in 0..k {
                assert_ne!(a[c], b[c], "A and B share a value");
            }
            for i in 0..k {
                let ab = &block[1 + i];
                for c in 0..k {
                    let expected = if c == i { b[c] } else { a[c] };
                    assert_eq!(ab[c], expected, "sample {j}, AB_{i}, column {c}");
                }
            }
        }
    }

    #[test]
    fn saltelli_a_is_stratified() {
        // the first 2^m points of a (scrambled) Sobol sequence put one point in
        // each of the 2^m equal intervals of every dimension
        let f = vec![Factor::new("a", 0.0, 1.0), Factor::new("b", 0.0, 1.0)];
        let n = 64;
        let d = saltelli(&f, n, 99).unwrap();
        for c in 0..2 {
            for offset in [0, 3] {
                // offset 0: rows of A; offset 3: rows of B
                let mut seen = vec![0; n];
                for j in 0..n {
                    let v = d.points[j * 4 + offset][c];
                    seen[(v * n as f64) as usize] += 1;
                }
                assert!(seen.iter().all(|&s| s == 1), "column {c}, offset {offset}");
            }
        }
    }

    #[test]
    fn saltelli_limits() {
        let many: Vec<Factor> = (0..129).map(|i| Factor::new(format!("f{i}"), 0.0, 1.0)).collect();
        let err = saltelli(&many, 8, 1).unwrap_err();
        assert!(matches!(
            err,
            DesignError::TooManyDimensions {
                factors: 129,
                needed: 258,
                max: 256
            }
        ));
        assert!(err.to_string().contains("at most 128"), "{err}");
        assert!(saltelli(&many[..128], 8, 1).is_ok());
        assert!(matches!(
            saltelli(&three(), 1, 1),
            Err(DesignError::TooFewSamples { .. })
        ));
        assert!(matches!(
            saltelli(&three(), 65537, 1),
            Err(DesignError::TooManySobolSamples { .. })
        ));
    }

    #[test]
    fn morris_trajectories_step_once_per_factor_on_the_grid() {
        let f = three();
        let k = f.len();
        for levels in [2, 4, 6] {
            let r = 25;
            let d = morris(&f, r, levels, 3).unwrap();
            assert_eq!(d.points.len(), r * (k + 1));
            assert_eq!((d.samples, d.morris_levels), (r, levels));
            assert_in_range(&d);
            let delta = morris_delta(levels);
            let unit = |row: &[f64], c: usize| (row[c] - f[c].lo) / (f[c].hi - f[c].lo);
            for row in &d.points {
                for c in 0..k {
                    let l = unit(row, c) * f64::from(levels - 1);
                    assert!((l - l.round()).abs() < 1e-9, "off-grid unit value {}", unit(row, c));
                }
            }
            let mut ups = 0;
            for t in 0..r {
                let mut moved = vec![0; k];
                for s in 0..k {
                    let (a, b) = (&d.points[t * (k + 1) + s], &d.points[t * (k + 1) + s + 1]);
                    let changed: Vec<usize> = (0..k).filter(|&c| a[c] != b[c]).collect();
                    assert_eq!(changed.len(), 1, "trajectory {t} step {s}");
                    let c = changed[0];
                    let step = unit(b, c) - unit(a, c);
                    assert!((step.abs() - delta).abs() < 1e-9, "step {step}, delta {delta}");
                    ups += usize::from(step > 0.0);
                    moved[c] += 1;
                }
                assert!(moved.iter().all(|&m| m == 1), "trajectory {t}: {moved:?}");
            }
            assert!(
                ups > 0 && ups < r * k,
                "directions are not random: {ups} up of {}",
                r * k
            );
        }
    }

    #[test]
    fn morris_level_checks() {
        assert_eq!(morris(&three(), 4, 1, 1), Err(DesignError::MorrisLevels(1)));
        let err = morris(&three(), 4, 5, 1).unwrap_err();
        assert_eq!(err, DesignError::MorrisOddLevels(5));
        assert!(err.to_string().contains("use 4 or 6"), "{err}");
        assert!(matches!(
            morris(&three(), 1, 4, 1),
            Err(DesignError::TooFewSamples { .. })
        ));
        assert!((morris_delta(4) - 2.0 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn from_rows_checks() {
        let f = vec![Factor::new("a", 0.0, 1.0), Factor::new("b", 0.0, 1.0)];
        let d = from_rows(&f, vec![vec![0.5, 2.0], vec![0.1, 0.2]]).unwrap();
        assert_eq!((d.kind, d.samples, d.points.len()), (DesignKind::File, 2, 2));
        assert_eq!(
            from_rows(&f, vec![vec![0.5]]),
            Err(DesignError::RowWidth {
                row: 0,
                got: 1,
                expected: 2
            })
        );
        let err = from_rows(&f, vec![vec![0.5, 0.5], vec![0.5, f64::NAN]]).unwrap_err();
        assert!(matches!(err, DesignError::NonFiniteValue { row: 1, ref factor, .. } if factor == "b"));
        assert!(matches!(from_rows(&f, vec![]), Err(DesignError::TooFewSamples { .. })));
    }

    #[test]
    fn hash_tracks_values_and_names() {
        let f = vec![Factor::new("a", 0.0, 1.0), Factor::new("b", 0.0, 1.0)];
        let d = from_rows(&f, vec![vec![0.5, 0.25], vec![0.1, 0.2]]).unwrap();
        let h = d.hash();
        assert_eq!(h.len(), 64);
        let mut changed = d.clone();
        changed.points[1][1] = 0.2000000000000001;
        assert_ne!(changed.hash(), h);
        let mut renamed = d.clone();
        renamed.factors[0].name = "z".into();
        assert_ne!(renamed.hash(), h);
        // names are length-prefixed: "ab","c" differs from "a","bc"
        let g1 = from_rows(
            &[Factor::new("ab", 0.0, 1.0), Factor::new("c", 0.0, 1.0)],
            vec![vec![0.0, 0.0]],
        )
        .unwrap();
        let g2 = from_rows(
            &[Factor::new("a", 0.0, 1.0), Factor::new("bc", 0.0, 1.0)],
            vec![vec![0.0, 0.0]],
        )
        .unwrap();
        assert_ne!(g1.hash(), g2.hash());
        // the seed and ranges are not hashed: the points are what ran
        let mut reseeded = d.clone();
        reseeded.seed = 42;
        assert_eq!(reseeded.hash(), h);
    }

    #[test]
    fn hash_known_value() {
        // pinned so that a change in the hashed byte layout is noticed
        let d = from_rows(&[Factor::new("x", 0.0, 1.0)], vec![vec![1.0]]).unwrap();
        let mut bytes = Vec::new();
        bytes.extend(1u64.to_le_bytes());
        bytes.extend(1u64.to_le_bytes());
        bytes.extend(b"x");
        bytes.extend(1.0f64.to_bits().to_le_bytes());
        assert_eq!(d.hash(), crate::hash::sha256_hex(&bytes));
    }

    #[test]
    fn draw_helpers() {
        let mut rng = seeded(1, 2);
        let mut counts = [0usize; 3];
        for _ in 0..3000 {
            counts[index_draw(&mut rng, 3)] += 1;
            let u = unit_draw(&mut rng);
            assert!((0.0..1.0).contains(&u));
        }
        assert!(counts.iter().all(|&c| (900..1100).contains(&c)), "{counts:?}");
        assert!((0..100).all(|_| index_draw(&mut rng, 1) == 0));
        assert_eq!(scale(1.0, 0.1, 0.7), 0.7);
        assert_eq!(scale(0.0, 0.1, 0.7), 0.1);
    }
}
