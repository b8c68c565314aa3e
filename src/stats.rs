//! Streaming statistics with memory bounded by the aggregate, not by the runs.
//!
//! [`Summary`] keeps a count, Welford's running mean and variance, and a
//! [`QuantileSketch`]. Values are fed in run order, so the result does not
//! depend on the number of threads.

use std::collections::BTreeMap;

/// Relative accuracy of the quantile sketch: a reported quantile is within
/// 0.1% (relative) of a value whose rank is the requested one.
pub const SKETCH_ACCURACY: f64 = 0.001;

#[derive(Clone, Copy, Debug, PartialEq)]
struct Bucket {
    count: u64,
    min: f64,
    max: f64,
}

/// A mergeable quantile sketch in the manner of DDSketch (Masson, Rim & Lee,
/// VLDB 2019): values are counted in logarithmic buckets of relative width
/// `2 * SKETCH_ACCURACY`, so a quantile is known to within that relative error;
/// each bucket also keeps its exact min and max, and a bucket that holds one
/// distinct value reports it exactly (small integers such as dispute counts
/// are therefore exact). Memory grows with the log of the value range, not with
/// the number of values: about 10,400 buckets for values spanning 1e-9..1e9, and
/// about 46 for values within 20% of each other.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QuantileSketch {
    positive: BTreeMap<i32, Bucket>,
    negative: BTreeMap<i32, Bucket>,
    zeros: u64,
    count: u64,
}

const ZERO_BELOW: f64 = 1e-12;

fn gamma_ln() -> f64 {
    ((1.0 + SKETCH_ACCURACY) / (1.0 - SKETCH_ACCURACY)).ln()
}

fn add_to(store: &mut BTreeMap<i32, Bucket>, key: i32, value: f64, count: u64) {
    store
        .entry(key)
        .and_modify(|b| {
            b.count += count;
            b.min = b.min.min(value);
            b.max = b.max.max(value);
        })
        .or_insert(Bucket {
            count,
            min: value,
            max: value,
        });
}

impl QuantileSketch {
    /// Adds a finite value (non-finite values are ignored).
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        self.count += 1;
        if x.abs() < ZERO_BELOW {
            self.zeros += 1;
            return;
        }
        let key = (x.abs().ln() / gamma_ln()).ceil() as i32;
        let store = if x > 0.0 {
            &mut self.positive
        } else {
            &mut self.negative
        };
        add_to(store, key, x, 1);
    }

    /// Adds every value of another sketch.
    pub fn merge(&mut self, other: &QuantileSketch) {
        self.count += other.count;
        self.zeros += other.zeros;
        for (k, b) in &other.positive {
            add_to(&mut self.positive, *k, b.min, b.count);
            add_to(&mut self.positive, *k, b.max, 0);
        }
        for (k, b) in &other.negative {
            add_to(&mut self.negative, *k, b.min, b.count);
            add_to(&mut self.negative, *k, b.max, 0);
        }
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// Number of buckets held (the sketch's memory, in buckets).
    pub fn buckets(&self) -> usize {
        self.positive.len() + self.negative.len()
    }

    /// The nearest-rank q-quantile (`rank = ceil(q n)`), or `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0u64;
        // The value of rank `r` (1-based) among the bucket's values: interpolated by rank
        // between the bucket's exact min and max, then held where it is within the sketch's
        // relative accuracy of every value the bucket holds (the bucket is at most
        // (1 + a) / (1 - a) wide, so that interval is never empty).
        let estimate = |b: &Bucket, r: u64, positive: bool| -> f64 {
            if b.min == b.max {
                return b.min;
            }
            // min != max, so the bucket holds at least two values.
            let t = (r - 1) as f64 / (b.count - 1) as f64;
            let a = SKETCH_ACCURACY;
            let (lo, hi) = if positive {
                (b.max * (1.0 - a), b.min * (1.0 + a))
            } else {
                (b.max * (1.0 + a), b.min * (1.0 - a))
            };
            // (min/max guard only against rounding making lo exceed hi.)
            (b.min + (b.max - b.min) * t).clamp(lo.min(hi), hi.max(lo))
        };
        // Negative values: the largest magnitude (highest key) is the smallest value.
        for b in self.negative.values().rev() {
            if seen + b.count >= rank {
                return Some(estimate(b, rank - seen, false));
            }
            seen += b.count;
        }
        seen += self.zeros;
        if seen >= rank {
            return Some(0.0);
        }
        for b in self.positive.values() {
            if seen + b.count >= rank {
                return Some(estimate(b, rank - seen, true));
            }
            seen += b.count;
        }
        // Rounding can leave the rank just past the end: the maximum.
        self.positive.values().next_back().map(|b| b.max).or(Some(0.0))
    }
}

/// Count, mean, standard deviation and quantiles of one series across runs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    n: u64,
    mean: f64,
    m2: f64,
    sketch: QuantileSketch,
}

impl Summary {
    /// Adds one run's value; NaN means "undefined in this run" and is skipped.
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
        self.sketch.add(x);
    }

    pub fn n(&self) -> u64 {
        self.n
    }
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then_some(self.mean)
    }
    /// Sample standard deviation (n - 1), when n >= 2.
    pub fn sd(&self) -> Option<f64> {
        (self.n > 1).then(|| (self.m2 / (self.n - 1) as f64).max(0.0).sqrt())
    }
    pub fn quantile(&self, q: f64) -> Option<f64> {
        self.sketch.quantile(q)
    }
    pub fn sketch(&self) -> &QuantileSketch {
        &self.sketch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welford_by_hand() {
        let mut s = Summary::default();
        for x in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0, f64::NAN] {
            s.add(x);
        }
        assert_eq!(s.n(), 8);
        assert!((s.mean().unwrap() - 5.0).abs() < 1e-12);
        // sample variance 32 / 7
        assert!((s.sd().unwrap() - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        assert_eq!(Summary::default().mean(), None);
    }

    #[test]
    fn small_integers_are_exact() {
        let mut s = QuantileSketch::default();
        for x in [0.0, 0.0, 1.0, 1.0, 1.0, 2.0, 3.0, 3.0, 10.0, 0.0] {
            s.add(x);
        }
        assert_eq!(s.quantile(0.05), Some(0.0));
        assert_eq!(s.quantile(0.5), Some(1.0));
        assert_eq!(s.quantile(0.95), Some(10.0));
        assert_eq!(s.quantile(0.8), Some(3.0));
    }

    #[test]
    fn a_tight_cluster_keeps_its_spread() {
        // 500 values within 0.25% of each other (one or two buckets): the quantiles are
        // interpolated by rank between the buckets' exact min and max, so p05 < mean < p95
        // as in the data, instead of all three collapsing onto one bucket's midpoint.
        let mut s = Summary::default();
        let values: Vec<f64> = (0..500)
            .map(|i| 0.6796 + 0.0017 * ((i * 37) % 500) as f64 / 499.0)
            .collect();
        values.iter().for_each(|&x| s.add(x));
        let (p05, p50, p95) = (
            s.quantile(0.05).unwrap(),
            s.quantile(0.5).unwrap(),
            s.quantile(0.95).unwrap(),
        );
        let mean = s.mean().unwrap();
        assert!(p05 < mean && mean < p95, "{p05} {mean} {p95}");
        assert!(p05 <= p50 && p50 <= p95);
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        for (q, got) in [(0.05, p05), (0.5, p50), (0.95, p95)] {
            let truth = sorted[((q * 500.0f64).ceil() as usize).clamp(1, 500) - 1];
            assert!((got - truth).abs() <= SKETCH_ACCURACY * truth, "q{q}: {got} vs {truth}");
        }
    }

    #[test]
    fn relative_error_is_bounded() {
        let mut s = QuantileSketch::default();
        let positives: Vec<f64> = (0..20000)
            .map(|i| ((i * 7919) % 20000) as f64 / 20000.0 * 3.7 + 0.001)
            .collect();
        let mut exact = Vec::new();
        for &x in &positives {
            s.add(x);
            s.add(-x);
            exact.push(x);
            exact.push(-x);
        }
        let mut sorted = exact.clone();
        sorted.sort_by(f64::total_cmp);
        for q in [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99] {
            let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
            let truth = sorted[rank - 1];
            let got = s.quantile(q).unwrap();
            assert!(
                (got - truth).abs() <= SKETCH_ACCURACY * truth.abs() + 1e-12,
                "q {q}: {got} vs {truth}"
            );
        }
        // Memory follows the log of the value range, not the 40,000 values.
        let per_sign = (3.701f64 / 0.001).ln() / gamma_ln() + 2.0;
        assert!((s.buckets() as f64) <= 2.0 * per_sign, "{} buckets", s.buckets());
    }

    #[test]
    fn merge_equals_sequential() {
        let values: Vec<f64> = (1..500).map(|i| (i as f64).sqrt()).collect();
        let mut whole = QuantileSketch::default();
        values.iter().for_each(|&x| whole.add(x));
        let mut a = QuantileSketch::default();
        let mut b = QuantileSketch::default();
        values[..200].iter().for_each(|&x| a.add(x));
        values[200..].iter().for_each(|&x| b.add(x));
        a.merge(&b);
        for q in [0.05, 0.5, 0.95] {
            assert_eq!(a.quantile(q), whole.quantile(q));
        }
    }
}

/// Natural log of the gamma function (Lanczos approximation, g = 7, n = 9;
/// relative error below 1e-13 for x > 0).
pub fn ln_gamma(x: f64) -> f64 {
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + 7.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Regularized incomplete beta function `I_x(a, b)` (continued fraction, Lentz's method).
pub fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x > (a + 1.0) / (a + b + 2.0) {
        return 1.0 - incomplete_beta(b, a, 1.0 - x);
    }
    let tiny = 1e-300;
    let (mut c, mut d) = (1.0, 1.0 - (a + b) * x / (a + 1.0));
    if d.abs() < tiny {
        d = tiny;
    }
    d = 1.0 / d;
    let mut f = d;
    for m in 1..500 {
        let m = m as f64;
        let num = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        d = 1.0 + num * d;
        d = if d.abs() < tiny { 1.0 / tiny } else { 1.0 / d };
        c = 1.0 + num / c;
        if c.abs() < tiny {
            c = tiny;
        }
        f *= d * c;
        let num = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        d = 1.0 + num * d;
        d = if d.abs() < tiny { 1.0 / tiny } else { 1.0 / d };
        c = 1.0 + num / c;
        if c.abs() < tiny {
            c = tiny;
        }
        let delta = d * c;
        f *= delta;
        if (delta - 1.0).abs() < 1e-15 {
            break;
        }
    }
    ln_front.exp() * f / a
}

/// Two-sided p-value of a Student t statistic with `df` degrees of freedom.
pub fn t_two_sided_p(t: f64, df: f64) -> f64 {
    if !t.is_finite() {
        return if t.is_nan() { f64::NAN } else { 0.0 };
    }
    incomplete_beta(df / 2.0, 0.5, df / (df + t * t)).clamp(0.0, 1.0)
}

/// The `q` quantile (q in (0.5, 1)) of Student's t with `df` degrees of freedom, by bisection.
pub fn t_quantile(q: f64, df: f64) -> f64 {
    let target = 2.0 * (1.0 - q); // two-sided p at the quantile
    let (mut lo, mut hi) = (0.0, 1e4);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if t_two_sided_p(mid, df) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod t_tests {
    use super::*;

    #[test]
    fn gamma_and_beta_by_hand() {
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-12);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
        // I_x(1, 1) = x; I_x(2, 1) = x^2
        assert!((incomplete_beta(1.0, 1.0, 0.3) - 0.3).abs() < 1e-12);
        assert!((incomplete_beta(2.0, 1.0, 0.3) - 0.09).abs() < 1e-12);
    }

    #[test]
    fn t_distribution_matches_tables() {
        // two-sided 5% critical values: df 1 -> 12.706, df 10 -> 2.228, df 30 -> 2.042, large -> 1.960
        assert!((t_quantile(0.975, 1.0) - 12.7062).abs() < 1e-3);
        assert!((t_quantile(0.975, 10.0) - 2.2281).abs() < 1e-3);
        assert!((t_quantile(0.975, 30.0) - 2.0423).abs() < 1e-3);
        assert!((t_quantile(0.975, 1e6) - 1.95996).abs() < 1e-3);
        assert!((t_two_sided_p(2.2281, 10.0) - 0.05).abs() < 1e-4);
        assert!((t_two_sided_p(0.0, 5.0) - 1.0).abs() < 1e-12);
    }
}
